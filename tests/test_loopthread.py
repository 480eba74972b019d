"""Unit tests for asyncbook.loopthread: run code that owns an event loop, from inside a running loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from asyncbook.loopthread import WorkerTimeout, run_in_worker


def test_returns_the_result_and_passes_arguments() -> None:
    assert run_in_worker(pow, 2, 5) == 32


def test_runs_in_another_thread() -> None:
    assert run_in_worker(threading.get_ident) != threading.get_ident()


def test_reraises_the_functions_exception() -> None:
    def fail() -> None:
        raise KeyError("potato")

    with pytest.raises(KeyError, match="potato"):
        run_in_worker(fail)


def test_a_fresh_loop_can_start_and_close_while_a_loop_runs_here() -> None:
    closed: list[str] = []

    async def agen():
        try:
            yield 1
            yield 2
        finally:
            closed.append("finally")

    async def first_only(gen) -> int:
        async for item in gen:
            return item
        raise AssertionError("the generator yielded nothing")

    def with_own_loop() -> list[str]:
        gen = agen()
        with asyncio.Runner() as runner:
            runner.run(first_only(gen))
            closed.append("run returned")
        return closed  # Runner.close() finalised the abandoned generator

    async def inside_a_running_loop() -> list[str]:
        coro = asyncio.sleep(0)
        with pytest.raises(RuntimeError, match="running event loop"):
            asyncio.run(coro)
        coro.close()  # asyncio.run refused it: close it so it does not warn
        return run_in_worker(with_own_loop)

    assert asyncio.run(inside_a_running_loop()) == ["run returned", "finally"]


def test_times_out_instead_of_hanging() -> None:
    release = threading.Event()
    try:
        with pytest.raises(WorkerTimeout, match="wait"):  # a TimeoutError of its own kind
            run_in_worker(release.wait, timeout=0.01)
    finally:
        release.set()


def test_the_functions_own_timeout_error_is_not_a_worker_timeout() -> None:
    def gives_up() -> None:
        raise TimeoutError("the function's own")

    with pytest.raises(TimeoutError, match="the function's own") as raised:
        run_in_worker(gives_up, timeout=None)
    assert not isinstance(raised.value, WorkerTimeout)


def test_timeout_none_waits_as_long_as_it_takes() -> None:
    release = threading.Event()

    def wait_for_release() -> str:
        # Finishes only once the main thread has seen it running and let it go.
        assert release.wait(10), "never released"
        return "released"

    def release_soon() -> None:
        release.set()

    starter = threading.Timer(0.05, release_soon)
    starter.start()
    try:
        assert run_in_worker(wait_for_release, timeout=None) == "released"
    finally:
        starter.cancel()


def test_selfcheck_runs_fresh_loops_through_run_in_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    # The two helpers share one way of running code in a thread: run_in_fresh_loop is
    # run_in_worker(asyncio.run, ...), waiting as long as wait_for lets the awaitable run plus a
    # backstop for code that never lets the loop run (default timeout 5 s + 10 s).
    from asyncbook import selfcheck

    calls: list[tuple[object, object]] = []

    def spy(function, *args, timeout=10.0):
        calls.append((function, timeout))
        return run_in_worker(function, *args, timeout=timeout)

    monkeypatch.setattr(selfcheck, "run_in_worker", spy)

    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    assert selfcheck.run_in_fresh_loop(answer) == 42
    assert calls == [(asyncio.run, 5.0 + selfcheck._UNRESPONSIVE_LOOP_BACKSTOP)]


def test_rejects_a_result_instead_of_a_function() -> None:
    with pytest.raises(TypeError, match="pass the function itself"):
        run_in_worker(3)  # type: ignore[arg-type]


@pytest.mark.parametrize("timeout", [0, -1, "1", True])
def test_rejects_bad_timeouts(timeout: object) -> None:
    with pytest.raises(ValueError, match="timeout"):
        run_in_worker(int, timeout=timeout)  # type: ignore[arg-type]
