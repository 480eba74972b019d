"""Unit tests for asyncbook.selfcheck: the registry, evaluate(), check() and run_in_fresh_loop()."""

from __future__ import annotations

import asyncio
import threading
import warnings

import pytest

from asyncbook import selfcheck
from asyncbook.selfcheck import (CheckResult, Wrong, check, evaluate, exercise, exercise_ids, run_in_fresh_loop,
                                 run_in_virtual_loop, run_in_watched_loop)


@pytest.fixture()
def scratch_exercise():
    """Register a throw-away exercise and remove it afterwards."""
    ids = []

    def make(exercise_id, checker):
        exercise(exercise_id)(checker)
        ids.append(exercise_id)

    yield make
    for exercise_id in ids:
        selfcheck._REGISTRY.pop(exercise_id, None)


def test_passing_answer(scratch_exercise) -> None:
    scratch_exercise("t-double", lambda f: "ok" if f(2) == 4 else (_ for _ in ()).throw(Wrong("no")))
    assert evaluate("t-double", lambda x: 2 * x) == CheckResult("t-double", True, "ok")


def test_wrong_answer_explains(scratch_exercise) -> None:
    def checker(answer):
        raise Wrong(f"expected 4, got {answer}")

    scratch_exercise("t-wrong", checker)
    assert evaluate("t-wrong", 5) == CheckResult("t-wrong", False, "expected 4, got 5")


def test_unanswered_exercise_says_so(scratch_exercise) -> None:
    def starter(_):
        raise NotImplementedError

    scratch_exercise("t-todo", lambda f: f(1))
    result = evaluate("t-todo", starter)
    assert not result.passed and "not answered yet" in result.message


def test_warnings_are_reported_without_addresses(scratch_exercise) -> None:
    def checker(answer):
        warnings.warn(f"Unclosed <Stream at 0x7f3a5c2b1d90> and <Other at {id(answer):x}>", ResourceWarning)
        return "looked fine"

    scratch_exercise("t-address", checker)
    result = evaluate("t-address", object())
    assert not result.passed
    assert result.message.endswith("Python also warned: ResourceWarning: Unclosed <Stream> and <Other>")


def test_readers_exception_is_reported_not_raised(scratch_exercise) -> None:
    scratch_exercise("t-crash", lambda f: f())
    result = evaluate("t-crash", lambda: 1 / 0)
    assert result == CheckResult("t-crash", False, "your code raised ZeroDivisionError: division by zero")


def test_never_awaited_warning_fails_the_check(scratch_exercise) -> None:
    async def helper():
        return 1

    def checker(answer):
        answer()  # creates a coroutine and drops it
        return "looked fine"

    scratch_exercise("t-unawaited", checker)
    result = evaluate("t-unawaited", helper)
    assert not result.passed
    assert "coroutine" in result.message and "was never awaited" in result.message


def test_check_prints_marked_result(scratch_exercise, capsys, monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    scratch_exercise("t-print", lambda answer: "fine")
    check("t-print", None)
    assert capsys.readouterr().out == "✔ t-print: fine\n"


def test_failed_result_is_marked_with_a_cross(monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert str(CheckResult("x", False, "why")) == "✘ x: why"


def test_chapter_checkers_are_discovered() -> None:
    assert {"ch01-kind-of", "ch01-awaitable", "ch01-basket-total", "ch01-countdown"} <= set(exercise_ids())


def test_unknown_id_lists_known_ones() -> None:
    with pytest.raises(ValueError, match="no exercise called 'nope'.*ch01-kind-of"):
        evaluate("nope", None)


def test_id_must_be_str() -> None:
    with pytest.raises(TypeError, match="exercise id is a str"):
        evaluate(1, None)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad_id", ["", None])
def test_registering_needs_an_id(bad_id) -> None:
    with pytest.raises(ValueError, match="non-empty str"):
        exercise(bad_id)


def test_registering_twice_is_refused(scratch_exercise) -> None:
    scratch_exercise("t-dup", lambda a: "x")
    with pytest.raises(ValueError, match="already registered"):
        exercise("t-dup")(lambda a: "y")


def test_run_in_fresh_loop_works_inside_a_running_loop() -> None:
    async def inner():
        await asyncio.sleep(0)
        return "ran"

    async def outer():
        # asyncio.run() would fail here: a loop is running in this thread.
        return run_in_fresh_loop(inner)

    assert asyncio.run(outer()) == "ran"


def test_run_in_fresh_loop_times_out() -> None:
    with pytest.raises(TimeoutError):
        run_in_fresh_loop(lambda: asyncio.sleep(10), timeout=0.05)


def test_run_in_fresh_loop_wants_a_factory() -> None:
    async def inner():
        return 1

    coro = inner()
    with pytest.raises(TypeError, match="function that creates the awaitable"):
        run_in_fresh_loop(coro)  # type: ignore[arg-type]
    coro.close()


@pytest.mark.parametrize("timeout", [0, -1, "1"])
def test_run_in_fresh_loop_rejects_bad_timeout(timeout) -> None:
    with pytest.raises(ValueError, match="positive number"):
        run_in_fresh_loop(lambda: asyncio.sleep(0), timeout=timeout)


def test_run_in_virtual_loop_sleeps_without_waiting() -> None:
    async def nap():
        await asyncio.sleep(3600)
        return asyncio.get_running_loop().time()

    assert run_in_virtual_loop(nap) == 3600.0


def test_run_in_virtual_loop_time_limit_fires_only_when_every_task_waits() -> None:
    async def busy_then_stuck():
        turns = 0
        try:
            async with asyncio.timeout(1):
                for _ in range(1000):      # busy: the clock stands still, the limit cannot fire
                    await asyncio.sleep(0)
                    turns += 1
                await asyncio.Event().wait()  # stuck: the clock jumps to the limit
        except TimeoutError:
            return turns, asyncio.get_running_loop().time()

    assert run_in_virtual_loop(busy_then_stuck) == (1000, 1.0)


def test_run_in_virtual_loop_ends_a_busy_loop_after_real_seconds() -> None:
    async def spin():
        while True:
            await asyncio.sleep(0)

    with pytest.raises(TimeoutError, match="still running after 0.2 s"):
        run_in_virtual_loop(spin, timeout=0.2)


def test_run_in_watched_loop_says_when_the_loop_is_idle() -> None:
    asleep = threading.Event()

    async def wait_for_idle_in_a_thread():
        # The loop has nothing to do but wait for this thread, so it goes to sleep.
        return await asyncio.to_thread(asleep.wait, 30)

    assert run_in_watched_loop(wait_for_idle_in_a_thread, asleep) is True


def test_run_in_watched_loop_ends_a_stuck_awaitable_after_real_seconds() -> None:
    with pytest.raises(TimeoutError, match="still running after 0.1 s"):
        run_in_watched_loop(lambda: asyncio.Event().wait(), threading.Event(), timeout=0.1)


@pytest.mark.parametrize("runner", [run_in_virtual_loop,
                                    lambda make, **kw: run_in_watched_loop(make, threading.Event(), **kw)])
def test_guarded_runners_reject_bad_input(runner) -> None:
    async def inner():
        return 1

    coro = inner()
    with pytest.raises(TypeError, match="function that creates the awaitable"):
        runner(coro)
    coro.close()
    with pytest.raises(ValueError, match="positive number"):
        runner(lambda: asyncio.sleep(0), timeout=0)


def test_run_in_watched_loop_wants_an_event() -> None:
    with pytest.raises(TypeError, match="threading.Event"):
        run_in_watched_loop(lambda: asyncio.sleep(0), asleep=None)  # type: ignore[arg-type]


def test_long_feedback_is_wrapped_with_indented_continuation(monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    text = str(CheckResult("x", False, "word " * 40 + "\n  Python also warned: something"))
    lines = text.splitlines()
    assert len(lines) > 2 and all(len(line) <= selfcheck.WIDTH for line in lines)
    assert all(line.startswith("  ") for line in lines[1:])
    assert lines[-1] == "  Python also warned: something"


def test_fresh_loop_gives_up_on_code_that_never_lets_the_loop_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """wait_for cannot fire while the loop never gets a turn: the real-time backstop ends the wait."""
    monkeypatch.setattr(selfcheck, "_UNRESPONSIVE_LOOP_BACKSTOP", 0.2)
    stop = threading.Event()

    async def never_suspends() -> None:
        while not stop.is_set():  # no await at all: the loop never runs again
            stop.wait(0.01)

    try:
        with pytest.raises(TimeoutError, match="never gave the event loop a turn for 0.3 s"):
            run_in_fresh_loop(never_suspends, timeout=0.1)
    finally:
        stop.set()  # lets the abandoned thread end
