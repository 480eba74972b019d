"""Unit tests for asyncbook.stepper: drive(), Trace and Step, bad input included."""

from __future__ import annotations

import asyncio
import gc
import inspect
import itertools
import types
import warnings

import pytest

from asyncbook.stepper import DEFAULT_MAX_STEPS, Step, TooManySteps, Trace, drive


class Pause:
    """Suspend once, yielding *message*; return whatever the driver sends back."""

    def __init__(self, message):
        self.message = message

    def __await__(self):
        reply = yield self.message
        return reply


async def answer():
    return 42


async def chat():
    reply = await Pause("ping")
    await asyncio.sleep(0)
    return f"got {reply!r}"


async def sleepy(times):
    for _ in range(times):
        await asyncio.sleep(0)
    return times


@types.coroutine
def pause(message):
    reply = yield message
    return reply


def counter(n):
    for i in range(n):
        yield i
    return "done"


@pytest.fixture()
def no_unawaited_warnings():
    """Fail the test if a coroutine was left never-awaited (the warning fires on collection)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
        gc.collect()
    never_awaited = [str(w.message) for w in caught if "was never awaited" in str(w.message)]
    assert never_awaited == []


# --- driving ---------------------------------------------------------------------------------


def test_coroutine_that_never_suspends_takes_one_step() -> None:
    trace = drive(answer())
    assert trace.result == 42
    assert trace.steps == (Step(1, None, "returned", 42),)
    assert trace.yielded == [] and trace.sent == [None]


def test_records_what_went_out_and_what_came_in() -> None:
    trace = drive(chat(), send_values=["pong"])
    assert trace.steps == (
        Step(1, None, "yielded", "ping"),
        Step(2, "pong", "yielded", None),
        Step(3, None, "returned", "got 'pong'"),
    )
    assert trace.result == "got 'pong'"
    assert trace.yielded == ["ping", None]
    assert trace.sent == [None, "pong", None]


def test_sends_none_once_send_values_run_out() -> None:
    trace = drive(sleepy(3), send_values=[])
    assert trace.sent == [None] * 4 and trace.result == 3


def test_leftover_and_endless_send_values_are_fine() -> None:
    assert drive(chat(), send_values=["a", "b", "c", "d"]).result == "got 'a'"
    assert drive(chat(), send_values=itertools.count()).result == "got 0"


def test_send_values_are_taken_lazily() -> None:
    taken = []

    def values():
        for v in ("x", "y", "z"):
            taken.append(v)
            yield v

    drive(chat(), send_values=values())
    assert taken == ["x", "y"]  # two suspensions, two replies; "z" never asked for


def test_drives_generator_based_coroutines_and_generators() -> None:
    assert drive(pause("hi"), send_values=["back"]).steps == (
        Step(1, None, "yielded", "hi"),
        Step(2, "back", "returned", "back"),
    )
    trace = drive(counter(3))
    assert trace.yielded == [0, 1, 2] and trace.result == "done" and trace.name == "counter"


def test_coroutine_is_finished_afterwards(no_unawaited_warnings) -> None:
    coro = chat()
    drive(coro)
    assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED


def test_exactly_max_steps_is_allowed() -> None:
    assert drive(sleepy(4), max_steps=5).result == 4


# --- the guard against endless coroutines -------------------------------------------------------


def test_too_many_steps_closes_the_coroutine() -> None:
    events = []

    async def forever():
        try:
            while True:
                await asyncio.sleep(0)
        finally:
            events.append("finally ran")

    coro = forever()
    with pytest.raises(TooManySteps, match=r"still suspended after 5 steps.*larger max_steps"):
        drive(coro, max_steps=5)
    assert events == ["finally ran"]
    assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED


def test_too_many_steps_is_a_value_error() -> None:
    assert issubclass(TooManySteps, ValueError)
    with pytest.raises(ValueError):
        drive(sleepy(3), max_steps=3)


def test_default_max_steps_stops_an_endless_generator() -> None:
    with pytest.raises(TooManySteps, match=f"after {DEFAULT_MAX_STEPS} steps"):
        drive(i for i in itertools.count())


# --- errors raised by the coroutine ---------------------------------------------------------------


def test_exception_from_the_coroutine_propagates_with_a_note() -> None:
    async def fails():
        await asyncio.sleep(0)
        raise KeyError("missing")

    coro = fails()
    with pytest.raises(KeyError, match="missing") as info:
        drive(coro)
    assert info.value.__notes__ == ["drive(): fails() failed at step 2; the steps before:\n  1. send None -> yielded None"]
    assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED


def test_failing_send_values_iterator_closes_the_coroutine(no_unawaited_warnings) -> None:
    closed = []

    async def waits():
        try:
            await asyncio.sleep(0)
        finally:
            closed.append(True)

    def broken():
        raise OSError("no more values")
        yield  # pragma: no cover

    with pytest.raises(OSError, match="no more values"):
        drive(waits(), send_values=broken())
    assert closed == [True]


def test_asyncio_future_needs_a_real_event_loop() -> None:
    """asyncio.sleep(0.1) yields a Future; sending None back without the loop completing it fails."""

    async def nap():
        await asyncio.sleep(0.1)

    async def main():
        coro = nap()
        with pytest.raises(RuntimeError, match="await wasn't used with future"):
            drive(coro)
        return inspect.getcoroutinestate(coro)

    assert asyncio.run(main()) == inspect.CORO_CLOSED


# --- bad input -----------------------------------------------------------------------------------


def test_rejects_the_coroutine_function_itself() -> None:
    with pytest.raises(TypeError, match=r"not the function 'answer': pass answer\(\), not answer"):
        drive(answer)  # type: ignore[arg-type]


def test_rejects_a_generator_function() -> None:
    with pytest.raises(TypeError, match=r"pass counter\(\), not counter"):
        drive(counter)  # type: ignore[arg-type]


def test_rejects_other_callables() -> None:
    with pytest.raises(TypeError, match=r"pass coro_fn\(\), not coro_fn"):
        drive(lambda: answer())  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [3, None, "main", [answer]])
def test_rejects_non_coroutines(value: object) -> None:
    with pytest.raises(TypeError, match=f"needs a coroutine object such as main\\(\\), got {type(value).__name__}"):
        drive(value)  # type: ignore[arg-type]


def test_rejects_awaitables_that_are_not_coroutines() -> None:
    with pytest.raises(TypeError, match=r"a Pause can be awaited but has no send\(\): wrap it"):
        drive(Pause("x"))  # type: ignore[arg-type]


def test_rejects_async_generators() -> None:
    async def agen():
        yield 1

    gen = agen()
    with pytest.raises(TypeError, match="async generator is not one"):
        drive(gen)  # type: ignore[arg-type]


def test_rejects_finished_and_started_coroutines(no_unawaited_warnings) -> None:
    done = answer()
    drive(done)
    with pytest.raises(ValueError, match=r"answer\(\) is already closed: call answer\(...\) again"):
        drive(done)
    started = chat()
    started.send(None)
    with pytest.raises(ValueError, match=r"chat\(\) is already suspended"):
        drive(started)
    assert inspect.getcoroutinestate(started) == inspect.CORO_SUSPENDED  # not ours to close
    started.close()


@pytest.mark.parametrize(("send_values", "message"), [
    ("pong", r"put it in a list: send_values=\['pong'\]"),
    (b"pong", r"put it in a list"),
    (5, r"must be an iterable such as a list, got int: to send one value, write send_values=\[5\]"),
])
def test_rejects_bad_send_values_and_closes_the_coroutine(send_values, message, no_unawaited_warnings) -> None:
    coro = chat()
    with pytest.raises(TypeError, match=message):
        drive(coro, send_values=send_values)
    assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED


@pytest.mark.parametrize(("max_steps", "error", "message"), [
    (0, ValueError, "at least 1"),
    (-3, ValueError, "at least 1"),
    (2.5, TypeError, "whole number"),
    ("10", TypeError, "whole number"),
    (True, TypeError, "whole number"),
])
def test_rejects_bad_max_steps_and_closes_the_coroutine(max_steps, error, message, no_unawaited_warnings) -> None:
    coro = answer()
    with pytest.raises(error, match=message):
        drive(coro, max_steps=max_steps)
    assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED


# --- how a trace reads ----------------------------------------------------------------------------


def test_trace_prints_one_aligned_line_per_step() -> None:
    assert str(drive(chat(), send_values=["pong"])).splitlines() == [
        "chat(): 3 steps, returned \"got 'pong'\"",
        "  1. send None   -> yielded 'ping'",
        "  2. send 'pong' -> yielded None",
        "  3. send None   -> returned \"got 'pong'\"",
    ]


def test_one_step_trace_says_step_not_steps() -> None:
    assert str(drive(answer())) == "answer(): 1 step, returned 42\n  1. send None -> returned 42"


def test_trace_repr_is_one_deterministic_line() -> None:
    assert repr(drive(answer())) == "Trace('answer', steps=1, result=42)"


def test_long_values_are_cut_short() -> None:
    async def long():
        return "x" * 200

    text = str(drive(long()))
    assert "x" * 46 + "..." in text and "x" * 60 not in text
    assert drive(long()).result == "x" * 200  # only the printout is shortened


def test_nested_functions_keep_their_short_name() -> None:
    async def inner():
        return 1

    assert drive(inner()).name == "inner"


def test_step_str() -> None:
    assert str(Step(2, "pong", "returned", 42)) == "2. send 'pong' -> returned 42"


def test_traces_compare_by_value() -> None:
    assert drive(chat(), ["a"]) == drive(chat(), ["a"])
    assert isinstance(drive(answer()), Trace)
