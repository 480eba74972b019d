"""Checkers for chapter 4, *Tasks: running coroutines concurrently*.

The reader's code runs against :class:`_Service`, a fake whose fetches finish only when
the checker says so (each waits on its own :class:`asyncio.Event`). The checker decides the
order in which fetches finish and looks at what happened: which fetches started, finished
or were cancelled, and in what order. No check depends on how long anything takes, so the
verdict is the same on a fast laptop and on a loaded test machine: the one exercise about a
time limit runs on a virtual clock (:func:`asyncbook.selfcheck.run_in_virtual_loop`), where a
time limit fires exactly when every task is waiting.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from ..selfcheck import Wrong, exercise, run_in_fresh_loop, run_in_virtual_loop

_SETTLE_ROUNDS = 50  # loop iterations that let every runnable task run as far as it can


async def _settle() -> None:
    """Let every task that can make progress do so (without any real waiting)."""
    for _ in range(_SETTLE_ROUNDS):
        await asyncio.sleep(0)


class _Service:
    """A fake remote service: ``await fetch(name)`` returns ``"data:<name>"`` once released.

    - names in *unknown* raise ``KeyError(name)`` at once, before waiting;
    - names in *broken* raise ``ConnectionError(name)`` at once, before waiting;
    - names in *fail_on_release* raise ``ConnectionError(name)`` when released.
    A cancelled fetch takes a few loop iterations to clean up, like real code that closes a
    connection, and logs ``cancelled <name>`` when its cleanup is over.
    """

    def __init__(self, *, unknown: Iterable[str] = (), broken: Iterable[str] = (),
                 fail_on_release: Iterable[str] = ()) -> None:
        self.events: list[str] = []
        self.tasks: list[asyncio.Task[Any]] = []  # tasks that ran a fetch, other than the reader's own
        self.reader: asyncio.Task[Any] | None = None
        self.at_return: tuple[list[str], int] | None = None  # (cancelled, still running) when the reader ended
        self._gates: dict[str, asyncio.Event] = {}
        self._unknown = set(unknown)
        self._broken = set(broken)
        self._fail_on_release = set(fail_on_release)
        self._all_released = False

    def _gate(self, name: str) -> asyncio.Event:
        if name not in self._gates:
            self._gates[name] = asyncio.Event()
            if self._all_released:
                self._gates[name].set()
        return self._gates[name]

    async def fetch(self, name: str) -> str:
        task = asyncio.current_task()
        if task is not None and task is not self.reader:
            self.tasks.append(task)
        self.events.append(f"start {name}")
        if name in self._unknown:
            self.events.append(f"unknown {name}")
            raise KeyError(name)
        if name in self._broken:
            self.events.append(f"broken {name}")
            raise ConnectionError(name)
        try:
            await self._gate(name).wait()
        except asyncio.CancelledError:
            for _ in range(3):  # cleanup that needs the loop (closing a connection, say)
                await asyncio.sleep(0)
            self.events.append(f"cancelled {name}")
            raise
        if name in self._fail_on_release:
            self.events.append(f"failed {name}")
            raise ConnectionError(name)
        self.events.append(f"end {name}")
        return f"data:{name}"

    def release(self, name: str) -> None:
        self._gate(name).set()

    def release_all(self) -> None:
        """Let every fetch, present and future, finish: so that a wrong answer cannot hang the check."""
        self._all_released = True
        for gate in self._gates.values():
            gate.set()

    def started(self) -> list[str]:
        return [e.split(" ", 1)[1] for e in self.events if e.startswith("start ")]

    def cancelled(self) -> list[str]:
        return sorted(e.split(" ", 1)[1] for e in self.events if e.startswith("cancelled "))

    def still_running(self) -> int:
        return sum(not t.done() for t in self.tasks)

    def watch(self, reader: Awaitable[Any]) -> asyncio.Task[Any]:
        """Run the reader's awaitable in a task and note, the moment it ends, what is still running."""
        async def watched() -> Any:
            try:
                return await reader
            finally:
                self.at_return = (self.cancelled(), self.still_running())

        self.reader = asyncio.ensure_future(watched())
        return self.reader


def _require_coroutine_function(func: object, name: str) -> None:
    if not callable(func):
        raise Wrong(f"pass the function itself: check(..., {name}), without calling it")
    if not inspect.iscoroutinefunction(func):
        raise Wrong(f"{name} must be an `async def` function.")


async def _drive(reader: Awaitable[Any], service: _Service, release_order: list[str]) -> tuple[asyncio.Task[Any], list[str]]:
    """Run *reader* as a task, release gates one by one (settling in between) until it is done.

    Returns the reader's task (done) and the names that had started before the first release.
    """
    task = service.watch(reader)
    await _settle()
    started_before_release = service.started()
    for name in release_order:
        if task.done():
            break
        service.release(name)
        await _settle()
    if not task.done():  # release everything so nothing hangs, then report
        service.release_all()
        await _settle()
    if not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return task, started_before_release


def _outcome(task: asyncio.Task[Any]) -> tuple[str, Any]:
    if task.cancelled():
        return "cancelled", None
    if task.exception() is not None:
        return "raised", task.exception()
    return "returned", task.result()


def _describe(kind: str, value: Any) -> str:
    if kind == "raised":
        if isinstance(value, BaseExceptionGroup):
            inner = ", ".join(f"{type(e).__name__}({e})" for e in value.exceptions)
            return f"raised {type(value).__name__} [{inner}]"
        return f"raised {type(value).__name__}({value})"
    if kind == "cancelled":
        return "was cancelled"
    return f"returned {value!r}"


# -- fetch all, in input order, with a TaskGroup ----------------------------------------------
# Facts this exercise needs, and where the book teaches them (chapter 4 unless noted):
# - create every task first, then wait, so that they run side by side: "Creating a task"
#   (three tasks, awaited one by one, take the longest wait, not the sum);
# - `async with asyncio.TaskGroup() as tg:` and `tg.create_task(...)`; the block exits when
#   every task is done, and `task.result()` is safe after it: "`asyncio.TaskGroup`:
#   structured concurrency";
# - when one task fails, the group cancels the others and raises an `ExceptionGroup`:
#   "`asyncio.TaskGroup`: structured concurrency" > "When a task fails" (cancellation itself:
#   "Cancelling a task").
@exercise("ch04-fetch-all")
def check_fetch_all(fetch_all: Callable[..., Any]) -> str:
    _require_coroutine_function(fetch_all, "fetch_all")
    names = ["a", "b", "c"]

    async def finishing_in_reverse() -> tuple[str, Any, list[str]]:
        service = _Service()
        task, started = await _drive(fetch_all(service.fetch, names), service, ["c", "b", "a"])
        return (*_outcome(task), started)

    kind, value, started = run_in_fresh_loop(finishing_in_reverse)
    if sorted(started) != names:
        raise Wrong(f"only {sorted(started)} had started when the first fetch could finish: fetch_all waits for "
                    "one fetch before starting the next. Create a task for every name first "
                    "(tg.create_task in a TaskGroup), then let the group wait for them all.")
    if kind != "returned":
        raise Wrong(f"with all fetches succeeding, fetch_all {_describe(kind, value)}.")
    expected = [f"data:{n}" for n in names]
    if value == expected[::-1]:
        raise Wrong(f"fetch_all returned {value!r}: that is the order the fetches finished in. "
                    f"Return the results in the order of the names: {expected!r}.")
    if value != expected:
        raise Wrong(f"fetch_all(fetch, {names!r}) returned {value!r}, expected {expected!r}.")

    async def one_fails() -> tuple[str, Any, list[str], int]:
        service = _Service(fail_on_release={"b"})
        task, _ = await _drive(fetch_all(service.fetch, names), service, ["b"])
        cancelled, running = service.at_return
        return (*_outcome(task), cancelled, running)

    kind, value, cancelled, running = run_in_fresh_loop(one_fails)
    if cancelled != ["a", "c"] or running:
        raise Wrong(f"when fetch 'b' fails, the other fetches must be cancelled, but {_describe(kind, value)} "
                    f"while {running} of them were still running. asyncio.gather leaves them running; "
                    "an asyncio.TaskGroup cancels them and waits until they have stopped.")
    if not (kind == "raised" and isinstance(value, BaseExceptionGroup)
            and [type(e) for e in value.exceptions] == [ConnectionError]):
        raise Wrong(f"when fetch 'b' fails with ConnectionError, fetch_all should let the TaskGroup's "
                    f"ExceptionGroup out, but it {_describe(kind, value)}.")
    return ("results in input order while finishing in reverse; when one fetch fails, "
            "the others are cancelled and the ExceptionGroup comes out.")


# -- first completed wins, the rest are cancelled -----------------------------------------------
# Facts this exercise needs, and where the book teaches them (chapter 4):
# - `asyncio.create_task` starts each coroutine: "Creating a task";
# - `asyncio.as_completed(tasks)`: the first item awaited gives the first result to finish:
#   "In order of completion: `asyncio.as_completed`";
# - `task.cancel()` asks a task to stop, and does nothing to a task that is already done:
#   "Cancelling a task";
# - waiting until cancelled tasks have really stopped, without their `CancelledError`
#   escaping: `await asyncio.gather(*tasks, return_exceptions=True)` (or `asyncio.wait`):
#   "Cancelling a task" > "Waiting for the tasks you cancelled";
# - `finally` runs when a `return` leaves the `try`: plain Python.
@exercise("ch04-first-completed")
def check_first_completed(first_completed: Callable[..., Any]) -> str:
    _require_coroutine_function(first_completed, "first_completed")

    async def b_finishes_first() -> tuple[str, Any, list[str], list[str], int]:
        service = _Service()
        aws = [service.fetch(n) for n in ("a", "b", "c")]
        task, started = await _drive(first_completed(aws), service, ["b"])
        cancelled, running = service.at_return
        for aw in aws:  # coroutines the reader never started: close them quietly
            if inspect.getcoroutinestate(aw) == inspect.CORO_CREATED:
                aw.close()
        return (*_outcome(task), started, cancelled, running)

    kind, value, started, cancelled, running = run_in_fresh_loop(b_finishes_first)
    if sorted(started) != ["a", "b", "c"]:
        raise Wrong(f"only {sorted(started)} had started before the first one could finish: start all of "
                    "them at once, each in its own task (asyncio.create_task).")
    if kind == "returned" and value == "data:b" and running:
        raise Wrong("first_completed returned 'data:b', but the other fetches were still running (or still "
                    "cleaning up) when it returned. cancel() only asks a task to stop: after cancelling, "
                    "await the tasks (e.g. await asyncio.gather(*rest, return_exceptions=True)).")
    if kind != "returned" or value != "data:b":
        hint = (" It seems to wait for all of them." if cancelled == [] and kind == "returned" else "")
        raise Wrong(f"'b' finished first, so first_completed should return 'data:b'; it {_describe(kind, value)}.{hint}")
    if cancelled != ["a", "c"]:
        raise Wrong(f"after 'b' finished, fetches 'a' and 'c' should have been cancelled; cancelled: {cancelled}.")
    return "returns the first result, and the other tasks are cancelled and finished before it returns."


# -- a timeout that returns a default -------------------------------------------------------------
# Facts this exercise needs, and where the book teaches them (chapter 4):
# - `async with asyncio.timeout(s):` cancels the block when the time is up and raises
#   `TimeoutError` when the block exits (so `aw` stops): "Time limits: `asyncio.timeout` and
#   `asyncio.wait_for`";
# - a cancellation from outside arrives as `CancelledError`, which a coroutine must not
#   swallow: "Cancelling a task" > "Waiting for the tasks you cancelled" (the rule), and
#   Pitfalls > "Swallowing `CancelledError`".
@exercise("ch04-with-default")
def check_with_default(with_default: Callable[..., Any]) -> str:
    _require_coroutine_function(with_default, "with_default")

    async def fast() -> tuple[str, Any]:
        service = _Service()
        service.release("a")
        task, _ = await _drive(with_default(service.fetch("a"), 1.0, "fallback"), service, [])
        return _outcome(task)

    # Every scenario runs on a virtual clock: the reader's time limit fires exactly when every
    # task is waiting, whatever the machine's speed, and the checker's own guard costs no time.
    kind, value = run_in_virtual_loop(fast)
    if (kind, value) != ("returned", "data:a"):
        raise Wrong(f"with_default(fetch('a'), 1.0, 'fallback') on a fetch that answers at once "
                    f"{_describe(kind, value)}; expected 'data:a'.")

    async def too_slow() -> tuple[str, Any, list[str], int, float]:
        service = _Service()
        loop = asyncio.get_running_loop()
        start = loop.time()
        task = service.watch(with_default(service.fetch("b"), 0.05, "fallback"))
        # On the virtual clock the 0.05 s limit fires as soon as every task waits; the guard, due
        # at 60 s, only ends answers that set no limit (and takes no real time either).
        await asyncio.wait({task}, timeout=60.0)
        if not task.done():
            service.release_all()
            await asyncio.gather(task, return_exceptions=True)
            return "no time limit", None, [], 0, 0.0
        return (*_outcome(task), *service.at_return, loop.time() - start)

    kind, value, cancelled, running, waited = run_in_virtual_loop(too_slow)
    if kind == "no time limit":
        raise Wrong("with_default(fetch('b'), 0.05, 'fallback') was still waiting for a fetch that never answers "
                    "long after 0.05 s: put a time limit on the await (async with asyncio.timeout(seconds)).")
    if (kind, value) != ("returned", "fallback"):
        raise Wrong(f"with_default(fetch('b'), 0.05, 'fallback') on a fetch that never answers "
                    f"{_describe(kind, value)}; expected 'fallback'. Catch the TimeoutError.")
    if running or cancelled != ["b"]:
        raise Wrong("with_default returned 'fallback' but left the slow fetch running: cancel it "
                    "(asyncio.timeout and asyncio.wait_for do that for you).")
    if waited > 0.5:  # on the virtual clock a 0.05 s limit ends at 0.05 s, give or take the clock's resolution
        raise Wrong(f"with_default(fetch('b'), 0.05, 'fallback') returned 'fallback' only after {waited:g} s: "
                    "the time limit is the `seconds` argument.")

    async def cancelled_from_outside() -> tuple[str, Any]:
        service = _Service()
        task = service.watch(with_default(service.fetch("c"), 60.0, "fallback"))
        await _settle()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return _outcome(task)

    kind, value = run_in_virtual_loop(cancelled_from_outside)
    if kind != "cancelled":
        raise Wrong(f"when the task running with_default is cancelled from outside (not a timeout), the "
                    f"cancellation must go on, but with_default {_describe(kind, value)}. "
                    "Catch TimeoutError only, never CancelledError.")
    return "returns the result in time, the default after cancelling a slow call, and lets cancellation through."


# -- handle part of an ExceptionGroup with except* --------------------------------------------------
# Facts this exercise needs, and where the book teaches them (chapter 4):
# - a TaskGroup raises an `ExceptionGroup`, even for one failure, and `except KeyError` does
#   not match it: "`asyncio.TaskGroup`: structured concurrency" > "When a task fails", and
#   Pitfalls > "Catching a task group's error with `except SomeError`";
# - `except* KeyError as group:` runs once with the matching part, `group.exceptions`, and
#   whatever no clause matches propagates: "Handling the errors: `except*`";
# - `return` is not allowed inside `except*`: Pitfalls > "Catching a task group's error with
#   `except SomeError`";
# - `KeyError(name).args[0]` is the name; `sorted`, `", ".join`: plain Python.
@exercise("ch04-except-star")
def check_except_star(fetch_report: Callable[..., Any]) -> str:
    _require_coroutine_function(fetch_report, "fetch_report")

    def run(names: list[str], **faults: set[str]) -> tuple[str, Any]:
        async def scenario() -> tuple[str, Any]:
            service = _Service(**faults)
            task, _ = await _drive(fetch_report(service.fetch, names), service, list(names))
            return _outcome(task)
        return run_in_fresh_loop(scenario)

    kind, value = run(["a", "b"])
    if (kind, value) != ("returned", ["data:a", "data:b"]):
        raise Wrong(f"when every fetch succeeds, fetch_report(fetch, ['a', 'b']) {_describe(kind, value)}; "
                    "expected ['data:a', 'data:b'].")
    kind, value = run(["a", "x", "b", "z"], unknown={"x", "z"})
    if kind == "raised" and isinstance(value, BaseExceptionGroup) and value.subgroup(KeyError) is not None:
        raise Wrong(f"with unknown names 'x' and 'z', fetch_report {_describe(kind, value)}. A TaskGroup wraps "
                    "errors in an ExceptionGroup, which `except KeyError` never matches: use `except* KeyError`.")
    if (kind, value) != ("returned", "unknown: x, z"):
        raise Wrong(f"with unknown names 'x' and 'z', fetch_report should return 'unknown: x, z' "
                    f"(names sorted, from each KeyError's args[0]); it {_describe(kind, value)}.")
    kind, value = run(["a", "x", "down"], unknown={"x"}, broken={"down"})
    if not (kind == "raised" and isinstance(value, BaseExceptionGroup)
            and [type(e) for e in value.exceptions] == [ConnectionError]):
        raise Wrong(f"when one fetch raises KeyError and another ConnectionError, the ConnectionError must "
                    f"propagate (in an ExceptionGroup) while the KeyError is handled; fetch_report "
                    f"{_describe(kind, value)}. Handle only KeyError with except*; the rest re-raises by itself.")
    return "returns results, reports unknown names, and lets every other error propagate."
