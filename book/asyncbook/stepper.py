"""Drive a coroutine by hand, one ``send()`` at a time, and record every step.

A coroutine moves only when somebody calls its ``send()`` method. An event loop
does that for you, out of sight. :func:`drive` does it in the open: it sends,
notes what the coroutine yielded (the value that travelled out to the driver)
and what was sent back in, and repeats until the coroutine returns. The
:class:`Trace` it returns prints as a numbered list of those steps, so you can
*see* where a coroutine suspends and what it receives.

:func:`drive` is the one-send ``run()`` of many tutorials, fixed. That ``run()``
sends once and gives up: it returns ``None`` as soon as the coroutine suspends.

Three promises make :func:`drive` safe to use in a notebook:

- it refuses anything that is not a fresh coroutine (or generator) with an
  error that says what to pass instead;
- it stops a coroutine that never finishes after ``max_steps`` sends
  (:class:`TooManySteps`) instead of looping forever;
- it never leaves a coroutine half-run or never-started behind: on any error it
  calls ``close()``, which runs the coroutine's ``finally`` blocks and keeps
  Python from warning "coroutine ... was never awaited".
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["DEFAULT_MAX_STEPS", "Step", "Trace", "TooManySteps", "drive"]

#: How many sends :func:`drive` allows unless told otherwise. Generous for any
#: example in this book, small enough to stop a runaway loop at once.
DEFAULT_MAX_STEPS = 1000

_MAX_SHOWN = 50  # longest repr a trace line shows before cutting it short

Coro = types.CoroutineType | types.GeneratorType


class TooManySteps(ValueError):
    """The coroutine was still suspended after ``max_steps`` sends.

    A :class:`ValueError` because the argument ``max_steps`` was too small for
    this coroutine, or the coroutine never finishes.
    """


def _short(value: object) -> str:
    """``repr(value)``, cut to a readable length for one line of a trace."""
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


@dataclass(frozen=True)
class Step:
    """One ``send()``: what went in, and what came out.

    *event* is ``"yielded"`` when the coroutine suspended (then *value* is what
    it yielded to the driver) or ``"returned"`` when it finished (then *value*
    is its return value, which ``send()`` delivered inside ``StopIteration``).
    """

    number: int
    sent: Any
    event: Literal["yielded", "returned"]
    value: Any

    def describe(self, sent_width: int = 0) -> str:
        """One line such as ``2. send 'pong' -> returned 42``; *sent_width* aligns the arrows."""
        sent = f"send {_short(self.sent)}".ljust(sent_width)
        return f"{self.number}. {sent} -> {self.event} {_short(self.value)}"

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class Trace:
    """Everything :func:`drive` saw: the coroutine's name, each step, the result.

    ``print(trace)`` shows one numbered line per step. ``trace.result`` is the
    coroutine's return value; ``trace.yielded`` and ``trace.sent`` list what went
    out and what went in.
    """

    name: str
    steps: tuple[Step, ...]
    result: Any

    @property
    def yielded(self) -> list[Any]:
        """What the coroutine yielded to the driver, one item per suspension."""
        return [step.value for step in self.steps if step.event == "yielded"]

    @property
    def sent(self) -> list[Any]:
        """What the driver sent in, one item per step (the first is always ``None``)."""
        return [step.sent for step in self.steps]

    def __str__(self) -> str:
        count = len(self.steps)
        head = f"{self.name}(): {count} step{'s' if count != 1 else ''}, returned {_short(self.result)}"
        return "\n".join([head, *_step_lines(self.steps)])

    def __repr__(self) -> str:
        return f"Trace({self.name!r}, steps={len(self.steps)}, result={_short(self.result)})"


def _step_lines(steps: Iterable[Step]) -> list[str]:
    steps = list(steps)
    width = max((len(f"send {_short(s.sent)}") for s in steps), default=0)
    return [f"  {step.describe(width)}" for step in steps]


def _name_of(obj: object) -> str:
    """The short name (``__name__``, not the ``<locals>``-laden ``__qualname__``): a trace is read, not parsed."""
    return getattr(obj, "__name__", None) or type(obj).__name__


def _check_coroutine(coro: object) -> None:
    """Raise TypeError/ValueError unless *coro* is a coroutine or generator that has not started."""
    if isinstance(coro, (types.CoroutineType, types.GeneratorType)):
        if isinstance(coro, types.CoroutineType):
            state = inspect.getcoroutinestate(coro).removeprefix("CORO_")
        else:
            state = inspect.getgeneratorstate(coro).removeprefix("GEN_")
        if state != "CREATED":
            raise ValueError(
                f"drive() runs a coroutine from its first step, but {_name_of(coro)}() is already "
                f"{state.lower()}: call {_name_of(coro)}(...) again for a fresh one"
            )
        return
    if inspect.iscoroutinefunction(coro) or inspect.isgeneratorfunction(coro):
        name = _name_of(coro)
        raise TypeError(f"drive() needs a coroutine object, not the function {name!r}: pass {name}(), not {name}")
    if inspect.isasyncgen(coro):
        raise TypeError(
            "drive() needs a coroutine, and an async generator is not one: wrap it, e.g. "
            "async def main(): return [x async for x in agen]; then drive(main())"
        )
    if inspect.isawaitable(coro):
        raise TypeError(
            f"drive() needs a coroutine; a {type(coro).__name__} can be awaited but has no send(): wrap it, "
            "e.g. async def main(): return await obj; then drive(main())"
        )
    if callable(coro):
        raise TypeError(
            f"drive() needs a coroutine object, got the callable {_name_of(coro)!r}: "
            "call it first (pass coro_fn(), not coro_fn)"
        )
    raise TypeError(f"drive() needs a coroutine object such as main(), got {type(coro).__name__}")


def _replies(send_values: Iterable[Any]) -> Iterator[Any]:
    if isinstance(send_values, (str, bytes)):
        raise TypeError(
            "send_values lists the values to send, one per suspension; to send a single string, "
            f"put it in a list: send_values=[{send_values!r}]"
        )
    if not isinstance(send_values, Iterable):
        raise TypeError(
            f"send_values must be an iterable such as a list, got {type(send_values).__name__}: "
            f"to send one value, write send_values=[{send_values!r}]"
        )
    return iter(send_values)


def _check_max_steps(max_steps: int) -> None:
    if isinstance(max_steps, bool) or not isinstance(max_steps, int):
        raise TypeError(f"max_steps must be a whole number such as 100, got {type(max_steps).__name__}")
    if max_steps < 1:
        raise ValueError(f"max_steps must be at least 1 (the first send starts the coroutine), got {max_steps}")


def drive(coro: Coro, send_values: Iterable[Any] = (), *, max_steps: int = DEFAULT_MAX_STEPS) -> Trace:
    """Run *coro* to the end with ``send()`` and return a :class:`Trace` of every step.

    The first send is always ``None``: it starts the coroutine, and Python
    allows nothing else for a coroutine that has not started. Each later send
    answers the previous yield with the next item of *send_values*, or with
    ``None`` once they run out (``asyncio.sleep(0)`` and most awaitables expect
    ``None``). Items left over when the coroutine returns are ignored, so an
    endless iterator such as ``itertools.count()`` works.

    *coro* may also be a generator: coroutines are driven exactly like the
    generators they grew from.

    If the coroutine raises, the exception propagates unchanged (with a note
    listing the steps before it). If it is still suspended after *max_steps*
    sends, it is closed and :class:`TooManySteps` is raised.

    >>> async def answer():
    ...     return 42
    >>> drive(answer()).result
    42
    """
    _check_coroutine(coro)
    try:
        replies = _replies(send_values)
        _check_max_steps(max_steps)
    except BaseException:
        coro.close()  # we refused it, so nobody else will start it: don't leave it never-awaited
        raise

    name = _name_of(coro)
    steps: list[Step] = []
    value: Any = None
    try:
        for number in range(1, max_steps + 1):
            try:
                yielded = coro.send(value)
            except StopIteration as stop:
                steps.append(Step(number, value, "returned", stop.value))
                return Trace(name, tuple(steps), stop.value)
            steps.append(Step(number, value, "yielded", yielded))
            value = next(replies, None)
        raise TooManySteps(
            f"{name}() was still suspended after {max_steps} steps, so drive() closed it. "
            "If it really needs more, pass a larger max_steps; otherwise look for a loop that never ends."
        )
    except BaseException as error:
        coro.close()  # runs the coroutine's finally blocks; a no-op if it already finished
        if isinstance(error, Exception) and not isinstance(error, TooManySteps):
            lines = _step_lines(steps) or ["  (none)"]
            error.add_note(f"drive(): {name}() failed at step {len(steps) + 1}; the steps before:\n" + "\n".join(lines))
        raise
