"""Checkers for chapter 7, *async with*."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from ..pool import Pool
from ..selfcheck import Wrong, exercise, run_in_fresh_loop, run_in_virtual_loop


@exercise("ch07-announce")
def check_announce(announce_cls: Any) -> str:
    # Where the facts this exercise needs are taught (chapter 7 unless stated):
    # - `async with` calls `async def __aenter__` / `__aexit__`, not __enter__/__exit__:
    #   "A context manager that can wait", "Pitfalls" > "`with` instead of `async with`";
    # - what __aenter__ returns is what `as` binds (return self): "What `async with` does";
    # - __aexit__ gets three Nones on a normal exit, or the exception's type, value and
    #   traceback (exc_type.__name__ names it): "Exceptions inside the block" (`Talkative`);
    # - returning nothing (None) lets the exception propagate: "What `async with` does",
    #   "Exceptions inside the block".
    if not inspect.isclass(announce_cls):
        raise Wrong("pass the class itself: check('ch07-announce', Announce)")
    for name in ("__aenter__", "__aexit__"):
        method = getattr(announce_cls, name, None)
        if method is None:
            raise Wrong(f"Announce has no {name}: `async with` calls `async def __aenter__(self)` and "
                        "`async def __aexit__(self, exc_type, exc, tb)`, not __enter__/__exit__.")
        if not inspect.iscoroutinefunction(method):
            raise Wrong(f"{name} must be a coroutine function: write `async def {name}(...)`.")

    async def run(body_error: type[Exception] | None) -> tuple[list[str], object, object, BaseException | None]:
        log: list[str] = []
        manager = announce_cls("db", log)
        bound = raised = None
        try:
            async with manager as bound:
                log.append("body")
                if body_error is not None:
                    raise body_error("boom")
        except Exception as error:
            raised = error
        return log, manager, bound, raised

    log, manager, bound, raised = run_in_fresh_loop(lambda: run(None))
    if raised is not None:
        raise Wrong(f"a block that raises nothing ended with {type(raised).__name__}: {raised}")
    if bound is not manager:
        raise Wrong(f"`async with Announce(...) as a` bound {bound!r}: return self from __aenter__.")
    if log != ["open db", "body", "close db"]:
        raise Wrong(f"for a block that ends normally the log was {log}, expected ['open db', 'body', 'close db'].")
    for error_type in (ValueError, KeyError):
        log, _, _, raised = run_in_fresh_loop(lambda: run(error_type))
        if raised is None:
            raise Wrong(f"the block's {error_type.__name__} was suppressed: __aexit__ must not return a true "
                        "value (let it end without `return`).")
        expected = ["open db", "body", f"close db after {error_type.__name__}"]
        if log != expected:
            raise Wrong(f"when the block raised {error_type.__name__} the log was {log}, expected {expected} "
                        "(use exc_type.__name__ in __aexit__).")
    return "opens, closes, reports the exception's class and lets it propagate."


def _outcome(transaction: Callable[[list[str]], Any], body: str) -> tuple[list[str], str]:
    """Run a block inside transaction(log): body is 'ok', 'error' or 'cancel'. Return the log and what happened."""

    async def main() -> tuple[list[str], str]:
        log: list[str] = []
        entered = asyncio.Event()

        async def block() -> None:
            async with transaction(log):
                entered.set()
                if body == "error":
                    raise ValueError("bad query")
                if body == "cancel":
                    await asyncio.sleep(3600)

        task = asyncio.create_task(block())
        if body == "cancel":
            await entered.wait()
            task.cancel()
        try:
            await task
        except ValueError:
            return log, "raised"
        except asyncio.CancelledError:
            return log, "cancelled"
        return log, "finished"

    return run_in_fresh_loop(main)


@exercise("ch07-transaction")
def check_transaction(transaction: Any) -> str:
    # Where the facts this exercise needs are taught (chapter 7 unless stated):
    # - @asynccontextmanager: code before `yield` on entry, after it on exit; the block's
    #   exception, and a cancellation, are thrown in at the `yield`:
    #   "`contextlib.asynccontextmanager`";
    # - code after a bare `yield` is skipped when the block raises:
    #   "Pitfalls" > "Forgetting `try`/`finally` around `yield`";
    # - cancellation raises CancelledError at the await, and it is a BaseException, not an
    #   Exception: "Cancellation inside `async with`" (and chapter 4, "Cancellation");
    # - re-raising with a bare `raise`, and try/except/else: plain Python.
    if not callable(transaction):
        raise Wrong("pass the function itself: check('ch07-transaction', transaction)")
    manager = transaction([])
    if not isinstance(manager, AbstractAsyncContextManager):
        if inspect.iscoroutine(manager):
            manager.close()  # a plain `async def` without the decorator: tidy up, explain below
        raise Wrong("transaction(log) should give an async context manager: put @asynccontextmanager above "
                    "an `async def` with one `yield`.")
    log, how = _outcome(transaction, "ok")
    if log != ["begin", "commit"] or how != "finished":
        raise Wrong(f"for a block that ends normally the log was {log}, expected ['begin', 'commit'].")
    log, how = _outcome(transaction, "error")
    if log == ["begin"]:
        raise Wrong("when the block raised ValueError the log was ['begin']: the exception is raised at the "
                    "`yield`, so the code after it never ran. Put the yield in try/except and append "
                    "'rollback' in the except.")
    if how != "raised":
        raise Wrong(f"the block's ValueError did not propagate (log {log}): re-raise it with a bare `raise` "
                    "after appending 'rollback'.")
    if log != ["begin", "rollback"]:
        raise Wrong(f"when the block raised ValueError the log was {log}, expected ['begin', 'rollback'].")
    log, how = _outcome(transaction, "cancel")
    if log == ["begin"]:
        raise Wrong("when the task was cancelled the log was ['begin']: CancelledError is a BaseException, not "
                    "an Exception, so `except Exception` misses it. Catch BaseException (and re-raise).")
    if how != "cancelled":
        raise Wrong(f"the task was not cancelled (log {log}): your context manager swallowed CancelledError. "
                    "Re-raise it with a bare `raise`.")
    if log != ["begin", "rollback"]:
        raise Wrong(f"when the task was cancelled the log was {log}, expected ['begin', 'rollback'].")
    return "commit on success; rollback, then re-raise, on errors and on cancellation."


def _replica_opener(log: list[str], down: frozenset[str] = frozenset()) -> Callable[[str], Any]:
    """An ``open_replica`` that records every open, send and close in *log*."""

    class Replica:
        def __init__(self, name: str) -> None:
            self.name = name

        async def send(self, message: str) -> None:
            await asyncio.sleep(0)
            log.append(f"send {self.name}: {message}")

    @asynccontextmanager
    async def open_replica(name: str) -> AsyncIterator[Replica]:
        await asyncio.sleep(0)
        if name in down:
            log.append(f"{name} is down")
            raise ConnectionError(f"{name} is down")
        log.append(f"open {name}")
        try:
            yield Replica(name)
        finally:
            log.append(f"close {name}")

    return open_replica


@exercise("ch07-broadcast")
def check_broadcast(broadcast: Any) -> str:
    # Where the facts this exercise needs are taught (chapter 7):
    # - AsyncExitStack, `await stack.enter_async_context(manager)` returning what `as` would
    #   bind, exits in reverse order when the stack's block ends: "`AsyncExitStack`: a variable
    #   number of managers" (hold_all, and the callbacks cell for the order);
    # - if entering one fails, the ones already entered are exited and the error propagates:
    #   the same section, and "Pitfalls" > "Holding more than the pool has".
    if not inspect.iscoroutinefunction(broadcast):
        raise Wrong("broadcast should be a coroutine function: `async def broadcast(open_replica, names, message)`.")
    names = ["a", "b", "c"]
    log: list[str] = []
    run_in_fresh_loop(lambda: broadcast(_replica_opener(log), names, "hi"))
    opens, sends, closes = log[:3], log[3:6], log[6:]
    if log[:3] == ["open a", "send a: hi", "close a"]:
        raise Wrong(f"broadcast opened, used and closed one replica at a time (log: {log}). Open them all "
                    "first, entering each on one AsyncExitStack, then send.")
    if (opens != ["open a", "open b", "open c"] or sorted(sends) != [f"send {n}: hi" for n in names]
            or closes != ["close c", "close b", "close a"]):
        raise Wrong(f"the log was {log}; expected the three opens (a, b, c), then the three sends, then the "
                    "closes in reverse order (c, b, a).")
    log = []
    error: BaseException | None = None
    try:
        run_in_fresh_loop(lambda: broadcast(_replica_opener(log, frozenset({"c"})), names, "hi"))
    except ConnectionError as raised:
        error = raised
    if error is None:
        raise Wrong(f"when replica c could not be opened, broadcast did not raise (log: {log}): let the "
                    "ConnectionError propagate.")
    expected = ["open a", "open b", "c is down", "close b", "close a"]
    if log != expected:
        raise Wrong(f"when replica c could not be opened the log was {log}, expected {expected}: nothing is "
                    "sent, and the replicas already open are closed.")
    log = []
    run_in_fresh_loop(lambda: broadcast(_replica_opener(log), [], "hi"))
    if log:
        raise Wrong(f"with no replicas nothing should happen, but the log was {log}.")
    return "opens all replicas, sends to each, closes them in reverse order, and cleans up after a failure."


_TABLES = {
    "red": [("ann", 1), ("bob", 2), ("cy", 3)],
    "green": [("di", 4), ("ed", 5)],
    "blue": [("fay", 6)],
}


@exercise("ch07-total-points")
def check_total_points(total_points: Any) -> str:
    # Where the facts this exercise needs are taught (chapter 7 unless stated):
    # - `async with pool.connection() as conn` and `async for rows in conn.fetch(table)`, with
    #   `who` optional and two rows per batch by default: "Putting it together: tasks sharing a
    #   pool";
    # - one task per table with asyncio.TaskGroup (or gather), and task.result() after the
    #   block: chapter 4, "`asyncio.TaskGroup`: structured concurrency" and "Waiting for
    #   several: `asyncio.gather`";
    # - a pool of size n lends at most n connections, others wait their turn: "Putting it
    #   together" (the pool's log).
    if not inspect.iscoroutinefunction(total_points):
        raise Wrong("total_points should be a coroutine function: `async def total_points(pool, tables)`.")
    for size in (2, 1):
        pool = Pool(size, tables=_TABLES)

        async def scenario() -> tuple[bool, Any]:
            # On a virtual clock (the pool's fetches never sleep for real) the guard fires only
            # when every task is waiting: an answer stuck waiting for a connection is told apart
            # at once, and a right one is never cut short however slow the machine.
            reader = asyncio.ensure_future(total_points(pool, ["red", "green", "blue"]))
            done, _ = await asyncio.wait({reader}, timeout=60)
            if not done:
                reader.cancel()
                await asyncio.gather(reader, return_exceptions=True)
                return False, None
            return True, reader.result()

        finished, total = run_in_virtual_loop(scenario)
        if not finished:
            raise Wrong(f"with a pool of {size}, total_points(pool, ['red', 'green', 'blue']) never finished: every "
                        f"task was left waiting, with {pool.in_use} of {size} connection(s) lent out. Give each "
                        "connection back as soon as its table is read (`async with pool.connection()` does), and "
                        "never wait for a second connection while holding one.")
        if total != 21:
            raise Wrong(f"total_points(pool, ['red', 'green', 'blue']) gave {total!r}, expected 21.")
        if pool.in_use:
            raise Wrong(f"{pool.in_use} connection(s) were not given back: use `async with pool.connection()`.")
        acquired = sum(event.action == "acquired" for event in pool.log)
        if acquired != 3:
            raise Wrong(f"the pool lent {acquired} connection(s) for three tables; expected one per table.")
        if pool.max_in_use != size:
            raise Wrong(f"with a pool of {size}, at most {pool.max_in_use} connection was in use at a time: the "
                        "tables were read one after another. Start one task per table (asyncio.TaskGroup or "
                        "asyncio.gather), each with its own `async with pool.connection()`.")
    return "21 points; the tables were read concurrently, as many at once as the pool allows."
