"""VirtualTimeLoop: asyncio's timers follow a virtual clock that jumps instead of waiting."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from asyncbook.loopthread import run_in_worker
from asyncbook.virtualtime import VirtualTimeLoop, run_virtual


def test_sleep_moves_the_virtual_clock_exactly() -> None:
    async def main() -> list[float]:
        loop = asyncio.get_running_loop()
        seen = [loop.time()]
        await asyncio.sleep(3600)
        seen.append(loop.time())
        await asyncio.sleep(0.25)
        seen.append(loop.time())
        return seen

    assert run_virtual(main()) == [0.0, 3600.0, 3600.25]


def test_timers_fire_in_order_of_their_virtual_times() -> None:
    async def main() -> list[tuple[str, float]]:
        loop = asyncio.get_running_loop()
        order: list[tuple[str, float]] = []

        async def sleeper(name: str, seconds: float) -> None:
            await asyncio.sleep(seconds)
            order.append((name, loop.time()))

        async with asyncio.TaskGroup() as tg:
            tg.create_task(sleeper("c", 30))
            tg.create_task(sleeper("a", 10))
            tg.create_task(sleeper("b", 20))
        return order

    assert run_virtual(main()) == [("a", 10.0), ("b", 20.0), ("c", 30.0)]


def test_timeout_and_wait_for_follow_the_virtual_clock() -> None:
    async def main() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(30):
                await asyncio.Event().wait()
        after_timeout = loop.time()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.sleep(100), 5)
        return after_timeout, loop.time()

    assert run_virtual(main()) == (30.0, 35.0)


def test_real_io_and_threads_still_work() -> None:
    """A socket pair and a worker thread wake the loop although no timer is pending."""
    async def main() -> tuple[bytes, int]:
        loop = asyncio.get_running_loop()
        left, right = socket.socketpair()
        left.setblocking(False)
        right.setblocking(False)
        try:
            loop.call_soon(right.send, b"ping")
            data = await loop.sock_recv(left, 4)
        finally:
            left.close()
            right.close()
        return data, await asyncio.to_thread(lambda: 42)

    assert run_virtual(main()) == (b"ping", 42)


def test_a_long_virtual_wait_takes_little_real_time() -> None:
    # A day of virtual waiting must not be a day of real waiting; the bound only has to tell
    # "no real wait" (well under a second) from "a real wait" (86400 s), so it cannot flake.
    start = time.monotonic()
    assert run_virtual(asyncio.sleep(86400, result="ok")) == "ok"
    assert time.monotonic() - start < 60


def test_loop_closes_cleanly() -> None:
    loop = VirtualTimeLoop()
    try:
        assert loop.time() == 0.0
        assert loop.run_until_complete(asyncio.sleep(2, result="done")) == "done"
        assert loop.time() == 2.0
    finally:
        loop.close()
    assert loop.is_closed()


def test_run_virtual_refuses_a_running_loop_like_asyncio_run() -> None:
    async def inner() -> None:
        coro = asyncio.sleep(0)
        try:
            with pytest.raises(RuntimeError, match="run_in_worker"):
                run_virtual(coro)
        finally:
            coro.close()

    asyncio.run(inner())
    assert run_in_worker(run_virtual, asyncio.sleep(1, result=1)) == 1


def test_run_virtual_rejects_non_coroutines() -> None:
    async def main() -> None:
        pass

    with pytest.raises(TypeError, match="coroutine function"):
        run_virtual(main)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="needs a coroutine"):
        run_virtual(42)  # type: ignore[arg-type]


def test_a_time_limit_around_a_thread_waits_for_the_thread_in_real_time() -> None:
    """While an executor thread works, a pending timer must not jump ahead of it."""
    gate = __import__("threading").Event()

    def slow_thread_work() -> str:
        gate.wait(5)   # released by the timer below, in real time
        return "thread done"

    async def main() -> tuple[str, float]:
        loop = asyncio.get_running_loop()
        loop.call_later(0.05, gate.set)  # fires in real time while the thread works
        async with asyncio.timeout(10):
            result = await asyncio.to_thread(slow_thread_work)
        return result, loop.time()

    result, virtual = run_virtual(main())
    assert result == "thread done"
    assert 0.05 <= virtual < 10


def test_shutting_down_the_executor_does_not_warn(recwarn: pytest.WarningsRecorder) -> None:
    async def main() -> int:
        return await asyncio.to_thread(lambda: 7)

    assert run_virtual(main()) == 7
    assert not [w for w in recwarn if "executor" in str(w.message)]
