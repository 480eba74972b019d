"""Checkers for chapter 3, *The event loop: from scratch to asyncio*.

None of them measures how long anything took: they compare the *order* of what
happened (the toy loop's trace, which callbacks ran, on a virtual clock) and whether calls
overlapped (a meeting point that opens only when every call is running at the same time, and
that gives up only when the event loop is idle and every call it handed to a thread is
waiting there: then no other call can ever come).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import threading
import time
from collections.abc import Callable
from typing import Any

from ..selfcheck import Wrong, exercise, run_in_virtual_loop, run_in_watched_loop
from ..toyloop import ToyLoop, toy_sleep

# Real seconds the to_thread checker's fake fetches wait for each other at most. Answers that
# use the loop's default executor (asyncio.to_thread does) never wait this long, right or
# wrong: the meeting point sees when they are stuck. Only an answer that keeps the loop busy,
# or hands the calls to an executor of its own one at a time, meets this limit.
OVERLAP_TIMEOUT = 10.0


# -- ch03-trace-order ------------------------------------------------------------------
# Facts this exercise needs, and where the book teaches them (chapter 3 unless noted):
# - a toy task's trace has one step per `await toy_sleep(...)` plus one for its `return`:
#   "A toy event loop" (the three workers' trace, and the three outcomes of `_step`);
# - at the start every task is ready, and ready tasks run first come, first served (in
#   spawn order): "A toy event loop" (the ready queue is a deque, served first come, first served);
# - a sleeper wakes at "now + seconds", the earliest wake-up first: "A toy event loop" (the
#   sleeping heap, `_sleep`, and the trace where b wakes at 0.1 and sleeps until 0.4);
# - equal wake-up times go in the order the tasks fell asleep (the ticket): "A toy event
#   loop" (the paragraph on the ticket).
async def _cook(dish: str, *steps: float) -> str:
    for seconds in steps:
        await toy_sleep(seconds)
    return dish


def kitchen_trace() -> list[str]:
    """The task names of the exercise's kitchen, in the order the toy loop runs them."""
    kitchen = ToyLoop()
    kitchen.spawn(_cook("soup", 0.2, 0.1), "soup")
    kitchen.spawn(_cook("salad", 0.1, 0.2), "salad")
    kitchen.spawn(_cook("tea", 0.3), "tea")
    kitchen.run()
    return [event.task for event in kitchen.trace]


@exercise("ch03-trace-order")
def check_trace_order(predicted: list[str]) -> str:
    truth = kitchen_trace()
    if not isinstance(predicted, list) or not all(isinstance(name, str) for name in predicted):
        raise Wrong("answer with a list of task names, such as ['soup', 'salad', ...]")
    unknown = sorted(set(predicted) - set(truth))
    if unknown:
        raise Wrong(f"there is no task called {', '.join(map(repr, unknown))}: the tasks are 'soup', 'salad' and 'tea'.")
    if len(predicted) != len(truth):
        raise Wrong(f"the loop runs {len(truth)} steps in all (one per await toy_sleep, plus one that returns), "
                    f"and your list has {len(predicted)}. Count each task's steps: soup 3, salad 3, tea 2.")
    for step, (guess, actual) in enumerate(zip(predicted, truth), start=1):
        if guess != actual:
            raise Wrong(f"steps 1 to {step - 1} are right; step {step} is {actual!r}, not {guess!r}. "
                        "Hint: write down each task's wake-up time; when two wake at the same time, "
                        "the one that fell asleep first runs first.")
    return "all 8 steps in order, ties at 0.3 s included (first asleep, first awake)."


# -- ch03-race -------------------------------------------------------------------------
# Facts this exercise needs, and where the book teaches them (chapter 3):
# - `loop.call_later(delay, fn, *args)` calls `fn(*args)` later from the loop's heap of
#   timers: "`sleep`, built from a future";
# - a future takes one result: `set_result` on a future that is done raises
#   `InvalidStateError`: "`sleep`, built from a future" (the paragraph after `my_sleep`);
# - `fut.done()` says whether the result is set: "Futures: what a task really waits on"
#   (the asyncio cells, after the toy future).
# The check runs on a virtual clock, so it can ask *when* race() returned, exactly: at the
# shortest delay, not at once (no waiting) and not at the longest delay (waiting for them all).
# The clock moves only from timer to timer, so the elapsed time is a sum of the delays' floats:
# the tolerance covers float rounding only, never a slow machine (which the clock cannot see).
_RACE_TOLERANCE = 1e-9


def _race_timing(entries: list[tuple[float, Any]], elapsed: float) -> str | None:
    """What is wrong with returning *elapsed* virtual seconds after race(*entries*) began, if anything."""
    shortest = min(delay for delay, _ in entries)
    longest = max(delay for delay, _ in entries)
    if abs(elapsed - shortest) <= _RACE_TOLERANCE:
        return None
    if elapsed <= _RACE_TOLERANCE:
        return (f"race({entries}) returned the right value, but at once, before any delay was over: "
                f"wait for the timers, and return when the first one goes off, {shortest} s later.")
    if elapsed < shortest:
        return (f"race({entries}) returned the right value, but after {elapsed:.3g} s, before the shortest "
                f"delay ({shortest} s) was over: wait for the first timer to go off.")
    if elapsed >= longest - _RACE_TOLERANCE and longest > shortest:
        return (f"race({entries}) returned the right value, but only after the longest delay ({longest} s) "
                f"was over: return as soon as the first is over, after {shortest} s.")
    return (f"race({entries}) returned the right value, but after {elapsed:.3g} s, not as soon as the "
            f"shortest delay ({shortest} s) was over: return when the first timer goes off.")


@exercise("ch03-race")
def check_race(race: Callable[[list[tuple[float, Any]]], Any]) -> str:
    if not inspect.iscoroutinefunction(race):
        raise Wrong("race must be an `async def` function, so that it can `await` the future.")

    async def probe(entries: list[tuple[float, Any]]) -> tuple[Any, float, list[str]]:
        loop = asyncio.get_running_loop()
        errors: list[str] = []

        def record(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            exc = context.get("exception")
            errors.append(f"{type(exc).__name__}: {exc}" if exc else context["message"])

        loop.set_exception_handler(record)
        start = loop.time()
        value = await race(entries)
        elapsed = loop.time() - start  # virtual seconds: exact, however loaded the machine is
        # Let every timer the answer started go off, so a failing late callback shows up.
        # The loop runs timers in deadline order, and ours is due after all of them.
        await asyncio.sleep(max(delay for delay, _ in entries) + 0.02)
        return value, elapsed, errors

    cases = [
        ([(0.03, "slow"), (0.01, "fast"), (0.02, "middle")], "fast"),
        ([(0.01, "first"), (0.02, "second")], "first"),
        ([(0.01, "alone")], "alone"),
    ]
    for entries, expected in cases:
        # On a virtual clock, every call_later made while race() runs is timed from the same
        # instant: on a real clock, a pause between two calls on a loaded machine could make
        # the 0.01 s entry's deadline later than the 0.03 s one's, and refuse a right answer.
        value, elapsed, errors = run_in_virtual_loop(lambda: probe(entries))
        if value != expected:
            raise Wrong(f"race({entries}) returned {value!r}; expected {expected!r}, the value with the shortest delay.")
        timing = _race_timing(entries, elapsed)
        if timing:
            raise Wrong(timing)
        if errors:
            raise Wrong(f"race({entries}) returned the right value, but afterwards a later callback failed with "
                        f"{errors[0]}. A future takes one result: the second set_result() raises. "
                        "Set the result only if not fut.done().")
    return "the shortest delay wins, and the later callbacks leave the finished future alone."


class _CountingExecutor(concurrent.futures.ThreadPoolExecutor):
    """The loop's default executor, counting the calls handed to it and not yet finished.

    The count goes up in submit() (in the loop's thread) and down in the loop's thread too,
    through call_soon_threadsafe after each call returns: so while the loop sleeps idle, the
    count is exactly the calls that are queued or running in a thread.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(thread_name_prefix="asyncio")
        self._loop = loop
        self.outstanding = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        self.outstanding += 1
        return super().submit(self._counted, fn, *args, **kwargs)

    def _counted(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        finally:
            try:
                self._loop.call_soon_threadsafe(self._finished)
            except RuntimeError:  # the loop has closed: nobody is counting any more
                pass

    def _finished(self) -> None:
        self.outstanding -= 1


class _MeetingPoint:
    """Where the fake fetches wait until *expected* of them are running at the same time.

    A fetch gives up ("alone") only when no other fetch can ever come: the loop is idle
    (*asleep*) and every call in the loop's default executor is a fetch waiting here. Until
    then it waits, however long a loaded machine takes to start a thread (up to
    OVERLAP_TIMEOUT, for answers that use an executor of their own). Once one fetch has given
    up, the others give up at once, as at a broken threading.Barrier.
    """

    def __init__(self, expected: int, asleep: threading.Event) -> None:
        self.expected = expected
        self.asleep = asleep
        self.executor: _CountingExecutor | None = None
        self.waiting = 0
        self.met = False
        self.broken = False  # once one fetch gave up, the others do not wait either (like a Barrier)
        self._condition = threading.Condition()

    def _stuck(self) -> bool:
        if self.executor is None:
            return False
        before = self.executor.outstanding
        idle = self.asleep.is_set()
        # Read the count on both sides of the flag: if the loop woke up and counted a finished
        # call in between, the two reads differ and nothing is concluded from them.
        return idle and before == self.executor.outstanding == self.waiting

    def wait(self) -> bool:
        """Wait for the others; True if all *expected* fetches were here at the same time."""
        deadline = time.monotonic() + OVERLAP_TIMEOUT
        with self._condition:
            self.waiting += 1
            if self.waiting >= self.expected:
                self.met = True
                self._condition.notify_all()
            try:
                while not (self.met or self.broken or self._stuck() or time.monotonic() >= deadline):
                    self._condition.wait(0.01)  # looks again at the loop's state, not at a clock
                self.broken = not self.met
                return self.met
            finally:
                self.waiting -= 1


# -- ch03-to-thread --------------------------------------------------------------------
# Facts this exercise needs, and where the book teaches them (chapter 3):
# - a blocking call in a coroutine freezes the loop: "Seeing concurrency on a timeline",
#   "`time.sleep` blocks the loop";
# - `await asyncio.to_thread(func, *args)` runs it in a worker thread and keeps the loop free:
#   "The fix for a blocking call: `asyncio.to_thread`";
# - `asyncio.gather(*aws)` runs awaitables concurrently, and returns their results in the
#   order of its arguments: "Seeing concurrency on a timeline" (the gather cells, and the
#   paragraph "`gather` also collects what the coroutines return").
@exercise("ch03-to-thread")
def check_fetch_all(fetch_all: Callable[[Callable[[str], str], list[str]], Any]) -> str:
    if not inspect.iscoroutinefunction(fetch_all):
        raise Wrong("fetch_all must stay an `async def` function.")
    names = ["ada", "bob", "cy"]
    asleep = threading.Event()
    meeting = _MeetingPoint(len(names), asleep)
    seen: list[str] = []   # for each call: "loop thread", "together" or "alone"
    loop_thread: list[int] = []

    def fake_fetch(name: str) -> str:
        """Stands for a blocking call. Returns at once if run on the loop's thread; in a
        worker thread, waits until all calls are running at the same time."""
        if threading.get_ident() in loop_thread:
            seen.append("loop thread")
        else:
            seen.append("together" if meeting.wait() else "alone")
        return name.upper()

    async def probe() -> Any:
        loop_thread.append(threading.get_ident())
        loop = asyncio.get_running_loop()
        meeting.executor = _CountingExecutor(loop)
        loop.set_default_executor(meeting.executor)
        return await fetch_all(fake_fetch, list(names))

    result = run_in_watched_loop(probe, asleep, timeout=OVERLAP_TIMEOUT * len(names) + 10)
    if "loop thread" in seen:
        raise Wrong("fetch ran in the event loop's own thread: while it blocks, the loop and every other "
                    "task are stuck. Hand each call to a worker thread with await asyncio.to_thread(fetch, name).")
    if len(seen) != len(names):
        raise Wrong(f"fetch was called {len(seen)} times for {len(names)} names: call it once per name.")
    if "alone" in seen:
        raise Wrong("the calls ran in worker threads, but one after another: each await finished before the "
                    "next call started. Start them all, then wait for all of them: "
                    "asyncio.gather(*(asyncio.to_thread(fetch, name) for name in names)).")
    expected = [name.upper() for name in names]
    if result != expected:
        raise Wrong(f"fetch_all(fetch, {names}) returned {result!r}; expected {expected!r}, in the names' order.")
    return "all three calls ran at the same time in worker threads, and the loop stayed free."
