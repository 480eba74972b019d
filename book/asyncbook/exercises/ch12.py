"""Checkers for chapter 12, *Beyond asyncio: Trio and AnyIO*.

Where the chapter teaches what each exercise needs:

- ``ch12-fetch-all`` (port chapter 4's TaskGroup program to Trio): nurseries, ``start_soon``
  with the function and its arguments, collecting results into a list by index, and a failing
  child cancelling its siblings and coming out as an ``ExceptionGroup`` (sections *Nurseries*
  and *When a child fails*; the asyncio original is chapter 4's exercise 4.1).
- ``ch12-with-default``: ``trio.move_on_after`` and ``scope.cancelled_caught`` (section
  *Cancel scopes*); a cancellation from outside must go on (chapter 4, and *Cancel scopes*).
- ``ch12-pipeline``: AnyIO task groups, ``anyio.create_memory_object_stream``, closing the
  send stream with ``async with`` so the receiver's ``async for`` ends (sections *Memory
  channels* and *AnyIO*), on both backends (``anyio.run(..., backend=...)``, section *AnyIO*).
- ``ch12-shielded-cleanup``: level-triggered cancellation and ``trio.CancelScope(shield=True)``
  (section *Edge-triggered and level-triggered cancellation*).

The scenarios never depend on how fast the machine is. Trio checks run on Trio's virtual clock
(``trio.testing.MockClock(autojump_threshold=0)``: when every task waits, time jumps to the next
deadline at once), and they decide when each fake fetch finishes with ``trio.Event``s, letting
everything settle with ``trio.testing.wait_all_tasks_blocked()``. The AnyIO check looks only at
the order of events; it runs on a virtual clock too, on each backend (asyncbook's
``VirtualTimeLoop`` for asyncio, ``MockClock`` for Trio), so that its guard against a pipeline
that never ends fires exactly when every task is waiting, at once, and never on a right answer
that a loaded machine runs slowly.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import trio
import trio.testing

from ..backends import BACKENDS
from ..loopthread import run_in_worker
from ..selfcheck import Wrong, exercise
from ..virtualtime import VirtualTimeLoop

# Real seconds a check's worker thread may run: a backstop only for an answer that keeps its
# loop busy forever (an answer that waits forever is ended on the virtual clock, at once).
_GUARD = 10.0


def _require_async_function(fn: object, name: str) -> None:
    if inspect.iscoroutine(fn):
        fn.close()
        raise Wrong(f"pass the function itself: check(..., {name}), not {name}(...).")
    if not inspect.iscoroutinefunction(fn):
        raise Wrong(f"{name} must be defined with `async def`.")


def _run_trio(scenario: Callable[[], Any]) -> Any:
    """Run *scenario* with ``trio.run`` on a virtual clock, in a worker thread (see the module docstring)."""
    clock = trio.testing.MockClock(autojump_threshold=0)
    return run_in_worker(functools.partial(trio.run, scenario, clock=clock), timeout=_GUARD)


def _run_anyio(backend: str, scenario: Callable[[], Any]) -> Any:
    """Run *scenario* with ``anyio.run`` on *backend*, on that backend's virtual clock, in a worker thread."""
    options: dict[str, Any] = ({"loop_factory": VirtualTimeLoop} if backend == "asyncio"
                               else {"clock": trio.testing.MockClock(autojump_threshold=0)})
    return run_in_worker(functools.partial(anyio.run, scenario, backend=backend, backend_options=options),
                         timeout=_GUARD)


def _describe(kind: str, value: Any) -> str:
    if kind == "returned":
        return f"returned {value!r}"
    if isinstance(value, BaseExceptionGroup):
        return f"raised {type(value).__name__} {list(value.exceptions)!r}"
    return f"raised {value!r}"


# -- port a TaskGroup program to Trio -----------------------------------------------------------
class _Service:
    """A fake service: ``await fetch(name)`` returns ``"data:<name>"`` once the checker releases it.

    Names in *broken* raise ``ConnectionError(name)`` when released.
    """

    def __init__(self, broken: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.started: list[str] = []
        self.finished: list[str] = []
        self.cancelled: list[str] = []
        self.broken = set(broken)
        self._gates: dict[str, trio.Event] = {}

    def _gate(self, name: str) -> trio.Event:
        return self._gates.setdefault(name, trio.Event())

    async def fetch(self, name: str) -> str:
        self.started.append(name)
        try:
            await self._gate(name).wait()
        except trio.Cancelled:
            self.cancelled.append(name)
            raise
        self.finished.append(name)
        if name in self.broken:
            raise ConnectionError(name)
        return f"data:{name}"

    def release(self, name: str) -> None:
        self._gate(name).set()

    @property
    def running(self) -> list[str]:
        return [n for n in self.started if n not in self.finished and n not in self.cancelled]


async def _drive(fetch_all: Callable[..., Any], service: _Service, names: list[str],
                 order: list[str]) -> tuple[str, Any, list[str], list[str]]:
    """Run the reader's fetch_all, release the fetches in *order*; return outcome, started-at-first, running-at-end."""
    outcome: dict[str, Any] = {}

    async def reader() -> None:
        try:
            outcome["returned"] = await fetch_all(service.fetch, list(names))
        except Exception as error:  # noqa: BLE001 - the reader's error is the outcome
            outcome["raised"] = error
        outcome["running"] = service.running

    async with trio.open_nursery() as nursery:
        nursery.start_soon(reader)
        await trio.testing.wait_all_tasks_blocked()
        started_first = list(service.started)
        for name in order:
            if outcome:
                break
            service.release(name)
            await trio.testing.wait_all_tasks_blocked()
        if not outcome:
            nursery.cancel_scope.cancel()
            return "still waiting", None, started_first, service.running
    kind = "returned" if "returned" in outcome else "raised"
    return kind, outcome[kind], started_first, outcome["running"]


@exercise("ch12-fetch-all")
def check_fetch_all(fetch_all: Callable[..., Any]) -> str:
    # Taught in chapter 12: "Nurseries" (open_nursery, start_soon(fn, *args), results stored by
    # index) and "When a child fails" (siblings cancelled, ExceptionGroup); chapter 4, exercise 1.
    _require_async_function(fetch_all, "fetch_all")
    names = ["a", "b", "c"]

    async def in_reverse() -> tuple[str, Any, list[str], list[str]]:
        return await _drive(fetch_all, _Service(), names, ["c", "b", "a"])

    kind, value, started, _ = _run_trio(in_reverse)
    if kind == "raised" and not started:
        raise Wrong(f"under Trio, fetch_all {_describe(kind, value)} before starting any fetch. asyncio's "
                    "TaskGroup and create_task need asyncio's event loop: use trio.open_nursery() and "
                    "nursery.start_soon(function, *args).")
    if sorted(started) != names:
        raise Wrong(f"only {sorted(started)} had started when the first fetch could finish: start every "
                    "fetch at once, each with nursery.start_soon(...), before waiting for any.")
    if kind == "still waiting":
        raise Wrong("fetch_all was still waiting after every fetch had finished.")
    if (kind, value) == ("returned", ["data:c", "data:b", "data:a"]):
        raise Wrong("fetch_all returned the results in the order the fetches finished (c, b, a); return them "
                    "in the order of names: give each child its index and store its result at that index.")
    if (kind, value) != ("returned", ["data:a", "data:b", "data:c"]):
        raise Wrong(f"with every fetch succeeding, fetch_all(fetch, ['a', 'b', 'c']) {_describe(kind, value)}; "
                    "expected ['data:a', 'data:b', 'data:c'].")

    async def one_fails() -> tuple[str, Any, list[str], list[str]]:
        return await _drive(fetch_all, _Service(broken={"b"}), names, ["b", "a", "c"])

    kind, value, _, running = _run_trio(one_fails)
    if kind == "still waiting" or running:
        raise Wrong("when fetch 'b' failed, the other fetches kept running: run them in a nursery, which "
                    "cancels the other children when one fails.")
    if kind == "returned":
        raise Wrong(f"when fetch 'b' raised ConnectionError, fetch_all {_describe(kind, value)}: let the "
                    "nursery's ExceptionGroup come out instead of hiding the failure.")
    if not (isinstance(value, BaseExceptionGroup) and value.subgroup(ConnectionError) is not None):
        raise Wrong(f"when fetch 'b' raised ConnectionError, fetch_all {_describe(kind, value)}; expected the "
                    "nursery's ExceptionGroup holding the ConnectionError.")
    return "starts every fetch at once, returns results in input order, and a failure cancels the rest."


# -- a time limit that returns a default ---------------------------------------------------------
@exercise("ch12-with-default")
def check_with_default(with_default: Callable[..., Any]) -> str:
    # Taught in chapter 12, "Cancel scopes": move_on_after, cancelled_caught, fail_after and
    # TooSlowError; a cancellation from outside goes on (chapter 4, "Swallowing CancelledError").
    _require_async_function(with_default, "with_default")
    log: list[str] = []

    async def answer(value: Any) -> Any:
        await trio.sleep(1)
        return value

    async def never() -> str:
        try:
            await trio.sleep_forever()
        except trio.Cancelled:
            log.append("cancelled")
            raise
        return "unreachable"

    # cancel_at: when the code around with_default is cancelled (virtual seconds); by default long
    # after any right answer has returned, so an answer with no time limit cannot hang the check.
    def run(seconds: float, fn: Callable[..., Any], *args: Any, cancel_at: float = 1000):
        async def scenario() -> tuple[str, Any, bool]:
            outcome: tuple[str, Any] = ("cancelled from outside", None)
            with trio.CancelScope() as outer:
                outer.deadline = trio.current_time() + cancel_at
                try:
                    outcome = ("returned", await with_default(seconds, "fallback", fn, *args))
                except Exception as error:  # noqa: BLE001 - the reader's error is the outcome
                    outcome = ("raised", error)
            return (*outcome, outer.cancelled_caught)
        return _run_trio(scenario)

    kind, value, _ = run(5, answer, "data")
    if (kind, value) != ("returned", "data"):
        raise Wrong(f"with_default(5, 'fallback', fn) where fn returns 'data' after 1 s {_describe(kind, value)}; "
                    "expected 'data'.")
    kind, value, _ = run(5, answer, None)
    if (kind, value) != ("returned", None):
        raise Wrong(f"when fn returns None in time, with_default {_describe(kind, value)}; expected None. "
                    "Tell a timeout from a result by the scope (scope.cancelled_caught), not by the value.")
    kind, value, _ = run(0.5, never)
    if kind == "cancelled from outside":
        raise Wrong("with_default(0.5, 'fallback', fn) on a call that never ends did not return: put a time "
                    "limit on it with trio.move_on_after(seconds).")
    if (kind, value) != ("returned", "fallback"):
        raise Wrong(f"with_default(0.5, 'fallback', fn) on a call that never ends {_describe(kind, value)}; "
                    "expected 'fallback'.")
    if log != ["cancelled"]:
        raise Wrong("with_default returned 'fallback' but the slow call was never cancelled.")
    kind, value, outer_caught = run(60, never, cancel_at=1)
    if kind != "cancelled from outside" or not outer_caught:
        raise Wrong(f"when the code around with_default is cancelled (not its own time limit), the cancellation "
                    f"must go on, but with_default {_describe(kind, value)}. Never catch trio.Cancelled.")
    return "returns the result in time (None included), the default after cancelling a slow call, " \
           "and lets an outside cancellation through."


# -- a pipeline on both AnyIO backends -----------------------------------------------------------
class _Items:
    """An iterator over 1..4 that logs each item as it is taken."""

    def __init__(self, log: list[str]) -> None:
        self._log = log
        self._next = 1

    def __iter__(self) -> Iterator[int]:
        return self

    def __next__(self) -> int:
        if self._next > 4:
            raise StopIteration
        self._log.append(f"take {self._next}")
        self._next += 1
        return self._next - 1


@exercise("ch12-pipeline")
def check_pipeline(pipeline: Callable[..., Any]) -> str:
    # Taught in chapter 12: "Memory channels" (buffer sizes, `async with send:` ends `async for`)
    # and "AnyIO: one program, two backends" (create_task_group, create_memory_object_stream).
    _require_async_function(pipeline, "pipeline")
    for backend in BACKENDS:
        log: list[str] = []

        async def transform(item: int) -> int:
            await anyio.sleep(0)  # a checkpoint: the other tasks may run here
            log.append(f"transform {item}")
            return item * 10

        async def scenario() -> Any:
            # Virtual seconds: the clock gets there only when every task waits for good.
            with anyio.fail_after(60):
                return await pipeline(_Items(log), transform)

        try:
            result = _run_anyio(backend, scenario)
        except TimeoutError:
            raise Wrong(f"on the {backend} backend, pipeline never finished: the consumer's `async for` ends "
                        "only when every send stream is closed. Close it when the producer is done "
                        "(`async with send:` around the producer's loop).") from None
        except Exception as error:  # noqa: BLE001 - reported as feedback
            raise Wrong(f"on the {backend} backend, pipeline raised {error!r}. Use only AnyIO's API "
                        "(anyio.create_task_group, anyio.create_memory_object_stream, anyio.sleep), "
                        "so that it runs on both backends.") from None
        if result != [10, 20, 30, 40]:
            raise Wrong(f"on the {backend} backend, pipeline(items 1..4, transform) returned {result!r}; "
                        "expected [10, 20, 30, 40].")
        if "transform 1" not in log:
            raise Wrong(f"on the {backend} backend, pipeline never called transform: the consumer must "
                        "`await transform(item)` for each item it receives.")
        if log.index("transform 1") > log.index("take 4"):
            raise Wrong(f"on the {backend} backend, every item was taken before the first was transformed: "
                        "run the producer and the consumer as two tasks connected by a memory object stream "
                        "with a small buffer (0 or 1), so that they take turns.")
    return "gives the transformed items in order, producer and consumer take turns, on asyncio and on Trio."


# -- clean up after a level-triggered cancellation -----------------------------------------------
class _Connection:
    """A fake connection whose ``work()`` waits on the checker and whose ``close()`` needs to await."""

    def __init__(self, finish_work: bool) -> None:
        self.log: list[str] = []
        self._finish_work = finish_work

    async def work(self) -> str:
        self.log.append("work")
        if self._finish_work:
            await trio.sleep(1)
            return "result"
        await trio.sleep_forever()
        return "unreachable"

    async def close(self) -> None:
        self.log.append("close started")
        await trio.sleep(0.5)  # say goodbye to the server: this needs an await
        self.log.append("closed")


@exercise("ch12-shielded-cleanup")
def check_shielded_cleanup(use: Callable[..., Any]) -> str:
    # Taught in chapter 12, "Edge-triggered and level-triggered cancellation": a cancelled scope
    # stays cancelled, and trio.CancelScope(shield=True) lets cleanup await; `finally` (chapter 4).
    _require_async_function(use, "use")

    def run(finish_work: bool) -> tuple[str, Any, bool, list[str]]:
        conn = _Connection(finish_work)

        async def scenario() -> tuple[str, Any, bool, list[str]]:
            outcome: tuple[str, Any] = ("cancelled", None)
            with trio.move_on_after(5) as scope:
                try:
                    outcome = ("returned", await use(conn))
                except Exception as error:  # noqa: BLE001 - the reader's error is the outcome
                    outcome = ("raised", error)
            return (*outcome, scope.cancelled_caught, conn.log)
        return _run_trio(scenario)

    kind, value, _, log = run(finish_work=True)
    if (kind, value) != ("returned", "result"):
        raise Wrong(f"when the work finishes, use(conn) {_describe(kind, value)}; expected 'result'.")
    if log != ["work", "close started", "closed"]:
        raise Wrong(f"when the work finishes, the connection must be closed too; what happened: {log}.")
    kind, value, caught, log = run(finish_work=False)
    if log == ["work"]:
        raise Wrong("when use(conn) is cancelled, it never closed the connection: close it in `finally`.")
    if log == ["work", "close started"]:
        raise Wrong("when use(conn) was cancelled, conn.close() started but was cancelled at its first await: "
                    "in Trio the scope stays cancelled. Shield the cleanup: "
                    "`with trio.CancelScope(shield=True): await conn.close()`.")
    if log != ["work", "close started", "closed"]:
        raise Wrong(f"when use(conn) was cancelled, the connection should be closed once; what happened: {log}.")
    if kind != "cancelled" or not caught:
        raise Wrong(f"after closing, the cancellation must go on, but use(conn) {_describe(kind, value)}. "
                    "Do not catch trio.Cancelled; `finally` lets it through.")
    return "closes the connection after normal work and, shielded, after a cancellation, which then goes on."
