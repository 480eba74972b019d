"""asyncbook.background.BackgroundLoop: a loop in a thread that synchronous code submits to."""

from __future__ import annotations

import asyncio
import threading
import warnings

import pytest

from asyncbook.background import BackgroundLoop, sleep_aware_loop


async def double(x: int) -> int:
    await asyncio.sleep(0)
    return 2 * x


async def fail() -> None:
    await asyncio.sleep(0)
    raise KeyError("kiwi")


def test_run_and_submit_return_results() -> None:
    with BackgroundLoop() as bg:
        assert bg.run(double(2)) == 4
        futures = [bg.submit(double(x)) for x in range(3)]
        assert [f.result(5) for f in futures] == [0, 2, 4]
        assert repr(bg) == "<BackgroundLoop running>"
    assert repr(bg) == "<BackgroundLoop closed>"


def test_coroutines_run_on_the_loop_in_its_thread() -> None:
    async def where() -> tuple[asyncio.AbstractEventLoop, str]:
        return asyncio.get_running_loop(), threading.current_thread().name

    with BackgroundLoop() as bg:
        loop, thread = bg.run(where())
        assert loop is bg.loop
        assert thread == "background-loop"


def test_errors_reach_the_caller() -> None:
    with BackgroundLoop() as bg, pytest.raises(KeyError, match="kiwi"):
        bg.run(fail())


def test_timeout_cancels_the_task() -> None:
    events: list[str] = []

    async def forever() -> None:
        try:
            await asyncio.Event().wait()  # never set: only a cancellation ends it
        except asyncio.CancelledError:
            events.append("cancelled")
            raise

    with BackgroundLoop() as bg:
        with pytest.raises(TimeoutError):
            bg.run(forever(), timeout=0.05)
        bg.run(asyncio.sleep(0))  # the cancellation was queued before this: it has been delivered
        bg.run(asyncio.sleep(0))
        assert events == ["cancelled"]


def test_exit_cancels_what_still_runs_and_closes_the_loop() -> None:
    events: list[str] = []

    async def forever() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            events.append("cancelled at exit")
            raise

    with BackgroundLoop() as bg:
        future = bg.submit(forever())
    assert events == ["cancelled at exit"]
    assert future.cancelled()
    assert bg.loop.is_closed()
    assert not bg._thread.is_alive()


def test_debug_mode_catches_call_soon_from_another_thread() -> None:
    with BackgroundLoop(debug=True) as bg:
        with pytest.raises(RuntimeError, match="Non-thread-safe operation"):
            bg.loop.call_soon(print, "hello")
        bg.loop.call_soon_threadsafe(print, "fine")  # the thread-safe way is allowed


def test_submit_refuses_what_is_not_a_coroutine() -> None:
    with BackgroundLoop() as bg, pytest.raises(TypeError, match="submit a coroutine"):
        bg.submit(double)  # type: ignore[arg-type]


def test_submit_after_exit_closes_the_coroutine() -> None:
    with BackgroundLoop() as bg:
        pass
    coro = double(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "never awaited" would be an error here
        with pytest.raises(RuntimeError, match="not running"):
            bg.submit(coro)
    assert coro.cr_frame is None  # closed


@pytest.mark.parametrize("bad", [0, -1, "1", True])
def test_run_refuses_a_bad_timeout(bad: object) -> None:
    with BackgroundLoop() as bg:
        coro = double(1)
        with pytest.raises(ValueError, match="timeout must be"):
            bg.run(coro, timeout=bad)  # type: ignore[arg-type]
        coro.close()


def test_call_soon_from_another_thread_waits_for_a_wake_up() -> None:
    """The chapter's demonstration: once the loop sleeps, call_soon from outside does not wake it."""
    ran: list[str] = []
    with BackgroundLoop() as bg:
        bg.wait_until_asleep()
        bg.loop.call_soon(ran.append, "call_soon")
        bg.wait_until_asleep()  # still asleep: nothing woke it (it may return at once)
        assert ran == []
        bg.loop.call_soon_threadsafe(ran.append, "call_soon_threadsafe")
        bg.run(asyncio.sleep(0))
        assert ran == ["call_soon", "call_soon_threadsafe"]


def test_wait_until_asleep_refuses_a_bad_timeout() -> None:
    with BackgroundLoop() as bg, pytest.raises(ValueError, match="timeout must be"):
        bg.wait_until_asleep(0)


def test_is_asleep_only_when_the_loop_has_no_timer() -> None:
    with BackgroundLoop() as bg:
        bg.wait_until_asleep()
        assert bg.is_asleep()  # nothing to do: only another thread can wake it
        pending = bg.submit(asyncio.sleep(30))
        bg.run(asyncio.sleep(0))  # the sleep's timer exists once this has run on the loop
        assert not bg.is_asleep()  # a timer will wake it: it never sleeps without a time limit now
        pending.cancel()


def test_sleep_aware_loop_refuses_what_is_not_a_threading_event() -> None:
    with pytest.raises(TypeError, match="asleep must be a threading.Event"):
        sleep_aware_loop(asyncio.Event())  # type: ignore[arg-type]
