"""The chapter 2 checkers accept right answers and explain wrong ones."""

from __future__ import annotations

import inspect
import json
import pathlib
import textwrap

import pytest

from asyncbook.exercises import ch02
from asyncbook.selfcheck import evaluate

ROOT = pathlib.Path(__file__).resolve().parent.parent

# --- ch02-ticket ---------------------------------------------------------------------------------


class Ticket:
    def __init__(self, waits, value):
        self.waits = waits
        self.value = value

    def __await__(self):
        for _ in range(self.waits):
            yield
        return self.value


def make_ticket(await_method):
    return type("Ticket", (), {"__init__": Ticket.__init__, "__await__": await_method})


def test_ticket_right_answer_passes() -> None:
    result = evaluate("ch02-ticket", Ticket)
    assert result.passed and "works under asyncio too" in result.message


def test_ticket_starter_is_not_answered_yet() -> None:
    def __await__(self):
        raise NotImplementedError

    result = evaluate("ch02-ticket", make_ticket(__await__))
    assert not result.passed and "not answered yet" in result.message


def test_ticket_instance_instead_of_class() -> None:
    result = evaluate("ch02-ticket", Ticket(1, "x"))
    assert not result.passed and "pass the class itself" in result.message


def test_ticket_without_await_method() -> None:
    class Plain:
        def __init__(self, waits, value):
            pass

    result = evaluate("ch02-ticket", Plain)
    assert not result.passed and "give the class an __await__ method" in result.message


def test_ticket_wrong_constructor() -> None:
    class NoArgs:
        def __await__(self):
            yield

    result = evaluate("ch02-ticket", NoArgs)
    assert not result.passed and "(self, waits, value)" in result.message


def test_ticket_await_returning_a_value_not_an_iterator() -> None:
    def __await__(self):
        return self.value

    result = evaluate("ch02-ticket", make_ticket(__await__))
    assert not result.passed and "returned a str, but it must return an iterator" in result.message


def test_ticket_off_by_one() -> None:
    def __await__(self):
        for _ in range(self.waits + 1):
            yield
        return self.value

    result = evaluate("ch02-ticket", make_ticket(__await__))
    assert not result.passed and "suspended 1 time(s), expected 0" in result.message


def test_ticket_yielding_the_value() -> None:
    def __await__(self):
        for _ in range(self.waits):
            yield self.value
        return self.value

    result = evaluate("ch02-ticket", make_ticket(__await__))
    assert not result.passed and "yield None (a bare `yield`)" in result.message


def test_ticket_forgetting_to_return() -> None:
    def __await__(self):
        for _ in range(self.waits):
            yield

    result = evaluate("ch02-ticket", make_ticket(__await__))
    assert not result.passed and "end __await__ with `return self.value`" in result.message


def test_ticket_that_never_finishes() -> None:
    def __await__(self):
        while True:
            yield

    result = evaluate("ch02-ticket", make_ticket(__await__))
    assert not result.passed and "still suspended after 5 steps" in result.message


# --- ch02-run-to-completion ------------------------------------------------------------------------


def run_to_completion(coro):
    while True:
        try:
            coro.send(None)
        except StopIteration as stop:
            return stop.value


def test_run_to_completion_right_answer_passes() -> None:
    assert evaluate("ch02-run-to-completion", run_to_completion).passed


def test_run_to_completion_starter() -> None:
    def starter(coro):
        raise NotImplementedError

    result = evaluate("ch02-run-to-completion", starter)
    assert not result.passed and result.message.startswith("not answered yet")
    assert "never awaited" not in result.message  # the checker closed the coroutine it made


def test_the_notes_one_send_run_fails_with_advice() -> None:
    def run(coroutine):
        try:
            coroutine.send(None)
        except StopIteration as e:
            return e.value

    result = evaluate("ch02-run-to-completion", run)
    assert not result.passed
    assert "resumed only 0 time(s), and you returned None" in result.message
    assert "keep sending in a loop" in result.message


def test_run_to_completion_letting_stop_iteration_escape() -> None:
    def leaky(coro):
        while True:
            coro.send(None)

    result = evaluate("ch02-run-to-completion", leaky)
    assert not result.passed and "StopIteration('no waiting') escaped" in result.message


def test_run_to_completion_never_starting() -> None:
    result = evaluate("ch02-run-to-completion", lambda coro: "no waiting")
    assert not result.passed and "never started the coroutine" in result.message
    assert "never awaited" not in result.message


def test_run_to_completion_returning_the_wrong_thing() -> None:
    def returns_exception(coro):
        while True:
            try:
                coro.send(None)
            except StopIteration as stop:
                return stop

    result = evaluate("ch02-run-to-completion", returns_exception)
    assert not result.passed and "return the StopIteration's .value" in result.message


def test_run_to_completion_swallowing_errors() -> None:
    def swallows(coro):
        while True:
            try:
                coro.send(None)
            except StopIteration as stop:
                return stop.value
            except Exception:
                return None

    result = evaluate("ch02-run-to-completion", swallows)
    assert not result.passed and "Catch only StopIteration" in result.message


def test_run_to_completion_must_be_plain() -> None:
    async def awaiting(coro):
        return await coro

    result = evaluate("ch02-run-to-completion", awaiting)
    assert not result.passed and "plain `def`" in result.message


def test_run_to_completion_not_callable() -> None:
    assert "pass the function itself" in evaluate("ch02-run-to-completion", 42).message


# --- ch02-predict-trace ----------------------------------------------------------------------------

RIGHT = {"yields": ["name?", None, "Ada, age?"], "result": ("Ada", 40)}


def test_predict_trace_right() -> None:
    result = evaluate("ch02-predict-trace", dict(RIGHT))
    assert result.passed and "4 sends, 3 yields, result ('Ada', 40)" in result.message


def test_predict_trace_starter() -> None:
    result = evaluate("ch02-predict-trace", {"yields": None, "result": None})
    assert not result.passed and "replace both Nones" in result.message


def test_predict_trace_needs_both_keys() -> None:
    assert "exactly two keys" in evaluate("ch02-predict-trace", {"yields": []}).message
    assert "exactly two keys" in evaluate("ch02-predict-trace", ["name?"]).message


def test_predict_trace_yields_must_be_a_list() -> None:
    result = evaluate("ch02-predict-trace", {"yields": "name?", "result": ("Ada", 40)})
    assert "'yields' should be a list" in result.message


def test_predict_trace_forgetting_sleep_zero() -> None:
    result = evaluate("ch02-predict-trace", {"yields": ["name?", "Ada, age?"], "result": ("Ada", 40)})
    assert not result.passed and "you predicted 2 yield(s)" in result.message


def test_predict_trace_counting_add_one() -> None:
    result = evaluate("ch02-predict-trace", {"yields": ["name?", 4, None, "Ada, age?"], "result": ("Ada", 40)})
    assert not result.passed and "does awaiting add_one() suspend?" in result.message


def test_predict_trace_wrong_values_are_numbered() -> None:
    result = evaluate("ch02-predict-trace", {"yields": ["name?", None, "name, age?"], "result": ("Ada", 40)})
    assert not result.passed and "number 3 are not" in result.message


def test_predict_trace_wrong_result() -> None:
    result = evaluate("ch02-predict-trace", {"yields": RIGHT["yields"], "result": ("Ada", 36)})
    assert not result.passed and "the result is not" in result.message


def test_predict_trace_list_instead_of_tuple() -> None:
    result = evaluate("ch02-predict-trace", {"yields": RIGHT["yields"], "result": ["Ada", 40]})
    assert not result.passed and "returns a tuple" in result.message


def test_notebook_shows_the_checkers_interview_verbatim() -> None:
    """The reader predicts from the notebook's copy; the checker drives its own. They must match."""
    notebook = ROOT / "book" / "02_coroutines_by_hand.ipynb"
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    for func in (ch02.ask, ch02.add_one, ch02.interview):
        source = textwrap.dedent(inspect.getsource(func))
        assert source.strip() in code, f"the notebook's {func.__name__} differs from the checker's"
    assert ch02.INTERVIEW_REPLIES == ["Ada", None, 36]
    assert 'drive(interview(), send_values=["Ada", None, 36])' in code


@pytest.mark.parametrize("exercise_id", ["ch02-ticket", "ch02-run-to-completion", "ch02-predict-trace"])
def test_every_checker_is_registered(exercise_id: str) -> None:
    from asyncbook.selfcheck import exercise_ids

    assert exercise_id in exercise_ids()
