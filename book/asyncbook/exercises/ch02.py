"""Checkers for chapter 2, *Coroutines by hand*.

The checkers drive the reader's code with :func:`asyncbook.stepper.drive`, the
same tool the chapter teaches, so their verdicts speak the chapter's language:
how many times something suspended, what it yielded, what it returned.
"""

from __future__ import annotations

import asyncio
import inspect
import types
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from ..selfcheck import Wrong, exercise, run_in_fresh_loop
from ..stepper import TooManySteps, drive

# --- ch02-ticket ---------------------------------------------------------------------------------


@exercise("ch02-ticket")
def check_ticket(ticket_class: type) -> str:
    # Where the facts this exercise needs are taught (chapter 2 unless stated):
    # - `await obj` calls `obj.__await__()`, which must return an iterator; a generator method
    #   is the simplest; its return value becomes the value of the `await`: "Where does a
    #   coroutine suspend?" (the `Pause` class);
    # - each `yield` in it is one suspension, and the value yielded reaches the driver:
    #   "Where does a coroutine suspend?" ("Follow the two values");
    # - a bare `yield` yields None, which is what asyncio.sleep(0) yields and what asyncio's
    #   loop accepts: "Generator-based coroutines: `@types.coroutine`";
    # - drive() counts sends and records yields: "A driver that loops: `drive()`".
    if not isinstance(ticket_class, type):
        raise Wrong("pass the class itself: check('ch02-ticket', Ticket), without calling it")
    try:
        probe = ticket_class(2, "seat 12A")
    except TypeError as error:
        raise Wrong(f"Ticket(2, 'seat 12A') failed ({error}): __init__ should take (self, waits, value)") from None
    if not isinstance(probe, Awaitable):
        raise Wrong("a Ticket cannot be awaited yet: give the class an __await__ method")
    iterator = probe.__await__()
    if not isinstance(iterator, Iterator):
        raise Wrong(f"__await__ returned a {type(iterator).__name__}, but it must return an iterator. "
                    "Make it a generator method: put a `yield` in its body.")
    if isinstance(iterator, types.GeneratorType):
        iterator.close()

    for waits, value in ((0, "walk in"), (1, "seat 3C"), (3, ("row", 7))):
        async def main() -> Any:
            return await ticket_class(waits, value)

        try:
            trace = drive(main(), max_steps=waits + 5)
        except TooManySteps:
            raise Wrong(f"await Ticket({waits}, {value!r}) was still suspended after {waits + 5} steps: "
                        "yield exactly `waits` times, then return") from None
        suspensions = len(trace.yielded)
        if suspensions != waits:
            raise Wrong(f"await Ticket({waits}, {value!r}) suspended {suspensions} time(s), expected {waits}. "
                        "Loop `for _ in range(self.waits): yield`.")
        if any(item is not None for item in trace.yielded):
            raise Wrong(f"await Ticket({waits}, {value!r}) yielded {trace.yielded}; yield None (a bare `yield`): "
                        "asyncio's event loop accepts only None or a Future from a yield.")
        if trace.result != value:
            raise Wrong(f"await Ticket({waits}, {value!r}) gave {trace.result!r}, expected {value!r}: "
                        "end __await__ with `return self.value`.")

    async def under_asyncio() -> Any:
        return await ticket_class(2, "seat 12A")

    got = run_in_fresh_loop(under_asyncio)
    if got != "seat 12A":  # pragma: no cover - drive() and asyncio agree for any Ticket that got this far
        raise Wrong(f"under asyncio, await Ticket(2, 'seat 12A') gave {got!r}")
    return "Ticket(n, value) suspends n times, yields None, returns value, and works under asyncio too."


# --- ch02-run-to-completion ------------------------------------------------------------------------


async def _returns_at_once() -> str:
    return "no waiting"


async def _suspends(times: int, result: object, resumed: list[int]) -> object:
    for _ in range(times):
        await asyncio.sleep(0)
        resumed.append(1)
    return result


async def _fails_after_one_suspension() -> None:
    await asyncio.sleep(0)
    raise LookupError("raised inside the coroutine")


def _call(run_to_completion: Callable[[Any], Any], coro: Any) -> Any:
    """Call the reader's function, closing *coro* whatever happens, and explain escapes."""
    try:
        got = run_to_completion(coro)
    except StopIteration as stop:
        raise Wrong(f"StopIteration({stop.value!r}) escaped from run_to_completion: catch it and return its "
                    ".value") from None
    finally:
        started = inspect.getcoroutinestate(coro) != inspect.CORO_CREATED
        coro.close()  # whatever the reader did, leave nothing suspended or never-awaited
    if not started:
        raise Wrong("run_to_completion never started the coroutine: call coro.send(None)")
    return got


@exercise("ch02-run-to-completion")
def check_run_to_completion(run_to_completion: Callable[[Any], Any]) -> str:
    # Where the facts this exercise needs are taught (chapter 2):
    # - send(None) starts or resumes a coroutine and returns when it suspends; its return value
    #   comes as StopIteration.value: "A coroutine is a suspended computation", "Suspending
    #   half-way";
    # - one send is not enough when the coroutine suspends: "A one-send `run()`, and when it
    #   fails";
    # - an exception raised inside the coroutine comes out of send(): the `no running event
    #   loop` traceback in "A one-send `run()`, and when it fails", and "`throw()`: an
    #   exception at the suspension point" (an uncaught exception comes straight back out).
    if not callable(run_to_completion):
        raise Wrong("pass the function itself: check('ch02-run-to-completion', run_to_completion)")
    if inspect.iscoroutinefunction(run_to_completion):
        raise Wrong("run_to_completion should be a plain `def`: it drives a coroutine with send(), it does not await it.")

    got = _call(run_to_completion, _returns_at_once())
    if got != "no waiting":
        raise Wrong(f"for a coroutine that returns 'no waiting' without suspending, you returned {got!r}: "
                    "return the StopIteration's .value")

    for times, result in ((1, 42), (3, [1, 2, 3]), (2, None)):
        resumed: list[int] = []
        coro = _suspends(times, result, resumed)
        got = _call(run_to_completion, coro)
        if len(resumed) < times:
            raise Wrong(f"a coroutine that suspends {times} time(s) was resumed only {len(resumed)} time(s), "
                        f"and you returned {got!r}. One send(None) is not enough: keep sending in a loop "
                        "until StopIteration.")
        if got != result:
            raise Wrong(f"a coroutine that suspends {times} time(s) and returns {result!r}: you returned {got!r}")

    try:
        got = _call(run_to_completion, _fails_after_one_suspension())
    except LookupError:
        pass
    else:
        raise Wrong(f"a coroutine that raises LookupError: you returned {got!r} instead of letting the error "
                    "propagate. Catch only StopIteration.")
    return "drives coroutines that never suspend, suspend several times, or fail, to the end."


# --- ch02-predict-trace ----------------------------------------------------------------------------
# The notebook shows these three functions verbatim (a test keeps the copies identical).


@types.coroutine
def ask(question):
    answer = yield question
    return answer


async def add_one(x):
    return x + 1


async def interview():
    name = await ask("name?")
    n = await add_one(len(name))
    await asyncio.sleep(0)
    age = await ask(f"{name}, age?")
    return (name, age + n)


INTERVIEW_REPLIES = ["Ada", None, 36]


@exercise("ch02-predict-trace")
def check_predicted_trace(prediction: dict[str, Any]) -> str:
    # Where the facts this exercise needs are taught (chapter 2):
    # - a `@types.coroutine` generator yields its value to the driver, and the next send
    #   becomes the value of its `yield`: "Generator-based coroutines: `@types.coroutine`";
    # - awaiting a coroutine that never suspends does not suspend: "Where does a coroutine
    #   suspend?" (outer/inner);
    # - asyncio.sleep(0) suspends once and yields None: "Suspending half-way", "Generator-based
    #   coroutines" (its bare `yield`);
    # - drive()'s send_values, first send None: "A driver that loops: `drive()`".
    if not isinstance(prediction, dict) or set(prediction) != {"yields", "result"}:
        raise Wrong("answer with a dict with exactly two keys: {'yields': [...], 'result': ...}")
    yields, result = prediction["yields"], prediction["result"]
    if yields is None or result is None:
        raise Wrong("replace both Nones: 'yields' is the list of what interview() yields, in order, "
                    "and 'result' is what it returns.")
    if not isinstance(yields, list):
        raise Wrong(f"'yields' should be a list, got {type(yields).__name__}")
    truth = drive(interview(), send_values=INTERVIEW_REPLIES)
    if len(yields) != len(truth.yielded):
        raise Wrong(f"you predicted {len(yields)} yield(s); count again. Only what reaches the driver counts: "
                    "does awaiting add_one() suspend? does asyncio.sleep(0)?")
    if yields != truth.yielded:
        wrong = [i + 1 for i, (guess, real) in enumerate(zip(yields, truth.yielded)) if guess != real]
        raise Wrong(f"the number of yields is right, but yield(s) number {', '.join(map(str, wrong))} are not. "
                    "What does each awaitable yield, and what is `name` by then?")
    if isinstance(result, list) and tuple(result) == truth.result:
        raise Wrong("the values are right, but look at the `return` line: interview() returns a tuple, not a list.")
    if result != truth.result:
        raise Wrong("the yields are right, the result is not: follow each sent value to the variable it lands in.")
    return f"exactly right: {len(truth.steps)} sends, {len(truth.yielded)} yields, result {truth.result!r}."
