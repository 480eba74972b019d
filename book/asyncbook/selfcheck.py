"""Self-checks for exercises: write an answer in a cell, then ``check(...)`` it.

Each exercise's checker lives in ``asyncbook/exercises/<chapter>.py`` and is
registered under an id such as ``"ch01-kind-of"``. A checker receives the
reader's answer and either returns a short success message or raises
:class:`Wrong` with an explanation a learner can act on. Anything else the
reader's code raises is reported, not propagated: a self-check should teach,
not crash the notebook.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import pkgutil
import re
import textwrap
import threading
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .background import sleep_aware_loop
from .colour import paint
from .loopthread import WorkerTimeout, run_in_worker
from .virtualtime import VirtualTimeLoop

__all__ = ["Wrong", "CheckResult", "exercise", "evaluate", "check", "run_in_fresh_loop", "run_in_virtual_loop",
           "run_in_watched_loop", "exercise_ids"]

Checker = Callable[[Any], str]
#: Feedback lines, the ✔/✘ mark included, are wrapped to this many characters.
WIDTH = 72  # fits the output box of the built page at common window sizes
_REGISTRY: dict[str, Checker] = {}
_T = TypeVar("_T")


class Wrong(Exception):
    """Raised by a checker when the answer is not right yet; the message says why."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one self-check: which exercise, passed or not, and why."""

    exercise_id: str
    passed: bool
    message: str

    def __str__(self) -> str:
        mark = paint("✔", "green", bold=True) if self.passed else paint("✘", "red", bold=True)
        # Wrap long feedback here, at the source, so it reads well in a notebook, in a
        # terminal and on the built page without sideways scrolling.
        # The first line starts with the mark and a space, so it is wrapped 2 narrower.
        lines = f"{self.exercise_id}: {self.message}".splitlines()
        wrapped = [textwrap.fill(line, WIDTH - 2 if i == 0 else WIDTH, subsequent_indent="  ",
                                 break_on_hyphens=False) for i, line in enumerate(lines)]
        return f"{mark} " + "\n".join(wrapped)


def exercise(exercise_id: str) -> Callable[[Checker], Checker]:
    """Register the decorated function as the checker for *exercise_id*."""
    if not isinstance(exercise_id, str) or not exercise_id:
        raise ValueError("an exercise id is a non-empty str such as 'ch01-kind-of'")

    def register(checker: Checker) -> Checker:
        if exercise_id in _REGISTRY and _REGISTRY[exercise_id] is not checker:
            raise ValueError(f"exercise id {exercise_id!r} is already registered: pick another id")
        _REGISTRY[exercise_id] = checker
        return checker

    return register


def _load_all_checkers() -> None:
    """Import every module in :mod:`asyncbook.exercises` so their checkers register."""
    from . import exercises

    for module in pkgutil.iter_modules(exercises.__path__):
        importlib.import_module(f"{exercises.__name__}.{module.name}")


def _load_checkers_for(exercise_id: str) -> None:
    """Import the module of *exercise_id*'s chapter ("ch04-..." -> exercises/ch04.py) only.

    A notebook checks its own chapter's exercises; importing every chapter's module would make
    each notebook's first check pay for all of them (chapter 12's imports Trio, and Trio's
    testing module imports pytest: a sixth of a second). An id whose module does not exist, or
    does not register it, falls back to importing all of them, for the error message.
    """
    from . import exercises

    chapter = exercise_id.partition("-")[0]
    if chapter.isidentifier() and any(m.name == chapter for m in pkgutil.iter_modules(exercises.__path__)):
        importlib.import_module(f"{exercises.__name__}.{chapter}")
    if exercise_id not in _REGISTRY:
        _load_all_checkers()


def exercise_ids() -> list[str]:
    """Return the ids of all registered exercises, sorted."""
    _load_all_checkers()
    return sorted(_REGISTRY)


def evaluate(exercise_id: str, answer: object) -> CheckResult:
    """Check *answer* against exercise *exercise_id* and return the result (prints nothing)."""
    if not isinstance(exercise_id, str):
        raise TypeError(f"the exercise id is a str such as 'ch01-kind-of', got {type(exercise_id).__name__}")
    _load_checkers_for(exercise_id)
    if exercise_id not in _REGISTRY:
        raise ValueError(f"no exercise called {exercise_id!r}; known ids: {', '.join(sorted(_REGISTRY))}")
    # Warnings raised while the reader's code runs (above all "coroutine ... was
    # never awaited") are part of the feedback, so they are caught and reported
    # here rather than printed by the kernel with a temporary file's path.
    #
    # Coroutines abandoned inside a reference cycle (a traceback holding their frame, say) are
    # finalised only by the garbage collector, so one runs before the warnings are read. Objects
    # that existed before the check are set aside (gc.freeze) for its duration: the collection
    # then looks only at what the check created, which is where its garbage is, and stays quick
    # in a kernel that has loaded large libraries (a full collection after importing matplotlib
    # takes a sixth of a second). gc.unfreeze gives the set-aside objects back to the collector.
    gc.freeze()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                passed, message = True, _REGISTRY[exercise_id](answer)
            except Wrong as wrong:
                passed, message = False, str(wrong)
            except NotImplementedError:
                passed, message = False, "not answered yet: replace `raise NotImplementedError` with your code."
            except Exception as error:  # the reader's code failed: report it, don't crash
                passed, message = False, f"your code raised {type(error).__name__}: {error}"
            gc.collect()  # finalise coroutines the check abandoned, so their warnings are caught here
    finally:
        gc.unfreeze()
    # Addresses (" at 0x7f...") change every run and mean nothing to the reader: left out.
    for warning in dict.fromkeys(re.sub(r" at (0x)?[0-9a-fA-F]{6,}", "", f"{w.category.__name__}: {w.message}")
                                 for w in caught):
        passed, message = False, f"{message}\n  Python also warned: {warning}"
    return CheckResult(exercise_id, passed, message)


def check(exercise_id: str, answer: object) -> None:
    """Check *answer* for exercise *exercise_id* and print ✔ or ✘ with an explanation."""
    print(evaluate(exercise_id, answer))


# Seconds, beyond its timeout, that run_in_fresh_loop waits for a loop that never gets a turn.
_UNRESPONSIVE_LOOP_BACKSTOP = 10.0


def run_in_fresh_loop(make_awaitable: Callable[[], Awaitable[_T]], timeout: float = 5.0) -> _T:
    """Run ``make_awaitable()`` to completion on a new event loop in a worker thread.

    Checkers are plain functions, but a notebook cell already runs inside an
    event loop, where :func:`asyncio.run` refuses to start a second one. A
    worker thread has no loop, so it can run the reader's coroutine there. The
    thread comes from :func:`asyncbook.loopthread.run_in_worker`, the helper that
    chapters use to run a script's ``asyncio.run`` from a notebook.

    After *timeout* seconds the awaitable is cancelled (:func:`asyncio.wait_for`)
    and :class:`TimeoutError` is raised.
    """
    if not callable(make_awaitable):
        raise TypeError("pass a function that creates the awaitable, e.g. lambda: collect(items), not the awaitable itself")
    if not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")

    async def main() -> _T:
        return await asyncio.wait_for(make_awaitable(), timeout)

    # wait_for enforces the timeout inside the loop, and the loop ends soon after. Only code that
    # never gives the loop a turn (a `while True` whose awaits never suspend) escapes it: the
    # thread is then given up on after a generous real-time backstop, so the reader's cell ends.
    backstop = timeout + _UNRESPONSIVE_LOOP_BACKSTOP
    try:
        return run_in_worker(asyncio.run, main(), timeout=backstop)
    except WorkerTimeout:
        raise TimeoutError(f"the code never gave the event loop a turn for {backstop:g} s (a loop whose "
                           "awaits never suspend?); it still runs in a background thread: restart "
                           "the kernel to stop it") from None


# A checker must never reject a right answer because the machine was busy. The two runners
# below let a checker tell "stuck" from "slow" without looking at a clock: on a virtual clock a
# time limit fires only once every task is waiting, and a watched loop says when it has nothing
# left to do. Their one real-time limit is a backstop that puts no timer on the loop, so it
# cannot change what the loop does; only an answer that keeps the loop busy forever meets it.


def run_in_virtual_loop(make_awaitable: Callable[[], Awaitable[_T]], timeout: float = 10.0) -> _T:
    """Run ``make_awaitable()`` on a new :class:`~asyncbook.virtualtime.VirtualTimeLoop` in a worker thread.

    The loop's clock jumps to the next timer whenever nothing else can run, so sleeps and time
    limits inside take no real time, and a limit such as ``asyncio.wait_for(answer(), 60)`` fires
    exactly when every task is waiting: it ends an answer that is stuck, at once, and never
    one that is merely slow on a loaded machine.

    *timeout* is in real seconds, a backstop for an awaitable that never lets the loop go idle
    (a task spinning on ``asyncio.sleep(0)``): it is then cancelled and :class:`TimeoutError`
    is raised.
    """
    return _run_with_real_limit(make_awaitable, VirtualTimeLoop, timeout)


def run_in_watched_loop(make_awaitable: Callable[[], Awaitable[_T]], asleep: threading.Event,
                        timeout: float = 10.0) -> _T:
    """Run ``make_awaitable()`` on a new event loop in a worker thread that sets *asleep* while it is idle.

    The loop sets *asleep* when it sleeps with nothing at all to do (no ready callback, no timer:
    only a thread or I/O can wake it) and clears it when it wakes. A checker that runs the
    reader's calls in worker threads reads it to know that no more calls can come until one of
    them returns, instead of guessing that from how long it waited.

    *timeout* is in real seconds, a backstop that puts no timer on the loop (one would keep it
    from ever being idle): after it the awaitable is cancelled and :class:`TimeoutError` raised.
    """
    if not isinstance(asleep, threading.Event):  # refused here, before any thread or loop starts
        raise TypeError(f"asleep must be a threading.Event for the loop to set, got {type(asleep).__name__}")
    return _run_with_real_limit(make_awaitable, lambda: sleep_aware_loop(asleep), timeout)


def _run_with_real_limit(make_awaitable: Callable[[], Awaitable[_T]],
                         loop_factory: Callable[[], asyncio.AbstractEventLoop], timeout: float) -> _T:
    """Run ``make_awaitable()`` on ``loop_factory()`` in a worker thread; cancel it after *timeout* real seconds."""
    if not callable(make_awaitable):
        raise TypeError("pass a function that creates the awaitable, e.g. lambda: collect(items), not the awaitable itself")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")

    async def main() -> _T:
        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(make_awaitable())
        expired = threading.Event()

        def expire() -> None:  # runs in the loop's thread
            expired.set()
            task.cancel()

        def from_timer_thread() -> None:
            try:
                loop.call_soon_threadsafe(expire)
            except RuntimeError:  # the loop has closed: the run is over anyway
                pass

        # A thread, not a loop timer: a timer would change what the loop does (a virtual clock
        # would jump to it; a watched loop would never be idle).
        watchdog = threading.Timer(timeout, from_timer_thread)
        watchdog.daemon = True
        watchdog.start()
        try:
            return await task
        except asyncio.CancelledError:
            if expired.is_set():
                raise TimeoutError(f"still running after {timeout} s") from None
            raise
        finally:
            watchdog.cancel()

    def run() -> _T:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            return runner.run(main())

    # The limit is enforced inside the loop, so the thread is waited for as long as it takes.
    return run_in_worker(run, timeout=None)
