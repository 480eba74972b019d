"""Unit tests for asyncbook.selfcheck: the registry, evaluate(), check() and run_in_fresh_loop()."""

from __future__ import annotations

import asyncio

import pytest

from asyncbook import selfcheck
from asyncbook.selfcheck import CheckResult, Wrong, check, evaluate, exercise, exercise_ids, run_in_fresh_loop


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


def test_long_feedback_is_wrapped_with_indented_continuation(monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    text = str(CheckResult("x", False, "word " * 40 + "\n  Python also warned: something"))
    lines = text.splitlines()
    assert len(lines) > 2 and all(len(line) <= selfcheck.WIDTH for line in lines)
    assert all(line.startswith("  ") for line in lines[1:])
    assert lines[-1] == "  Python also warned: something"
