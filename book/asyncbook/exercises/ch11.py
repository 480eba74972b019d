"""Checkers for chapter 11, *Debugging and testing async code*.

Every check runs the reader's code against a scenario and looks at what happened: what the loop
reported, which values each task saw, which broken versions a test caught, which tasks were left.
None depends on how fast the machine is: the only waits are on a virtual clock
(:class:`asyncbook.virtualtime.VirtualTimeLoop`) or on events the checker sets itself.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from ..loopthread import run_in_worker
from ..selfcheck import Wrong, exercise, run_in_fresh_loop, run_in_virtual_loop
from ..virtualtime import run_virtual

__all__ = ["request_id"]

#: The context variable of exercise ch11-request-id (the reader imports it from here).
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def _require_function(func: object, name: str, *, is_async: bool) -> None:
    if not callable(func):
        raise Wrong(f"pass the function itself: check(..., {name}), without calling it")
    if is_async and not inspect.iscoroutinefunction(func):
        raise Wrong(f"{name} must be an `async def` function.")
    if not is_async and inspect.iscoroutinefunction(func):
        raise Wrong(f"{name} must be a plain `def` function: it is called, not awaited.")


# -- a done callback that reports failures -----------------------------------------------------------
# Needs: add_done_callback, task.cancelled()/exception()/get_name() (chapter 4, "Creating a task"
# and "Keep a reference to every task"); that exception() raises on a cancelled task, that calling it
# marks the error as retrieved, and the loop's exception handler (chapter 11, "Errors that go missing").
@exercise("ch11-report-failures")
def check_report_failures(watch: Callable[..., Any]) -> str:
    _require_function(watch, "watch", is_async=False)

    async def scenario() -> tuple[list[Any], list[str], ValueError]:
        reports: list[str] = []
        loop = asyncio.get_running_loop()

        def note(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            message = str(context.get("message", ""))
            if message.startswith("Exception in callback"):  # the rest names files and lines
                message = "an exception in a callback"
            error = context.get("exception")
            reports.append(message if error is None else f"{message} ({type(error).__name__})")

        loop.set_exception_handler(note)
        failures: list[Any] = []
        error = ValueError("bad address")
        gate = asyncio.Event()

        async def ok() -> str:
            await gate.wait()
            return "sent"

        async def bad() -> None:
            await gate.wait()
            raise error

        tasks = [asyncio.create_task(ok(), name="ok"), asyncio.create_task(bad(), name="bad"),
                 asyncio.create_task(gate.wait(), name="stopped")]
        for task in tasks:
            result = watch(task, failures)
            if inspect.isawaitable(result):
                if inspect.iscoroutine(result):
                    result.close()
                raise Wrong("watch must be a plain `def` function that adds a callback, not a coroutine.")
        await asyncio.sleep(0)
        tasks[2].cancel()
        gate.set()
        await asyncio.wait(tasks)
        for _ in range(3):  # done callbacks run in the loop's next turns
            await asyncio.sleep(0)
        del tasks, task
        gc.collect()  # a task whose error was never looked at is reported now
        await asyncio.sleep(0)
        return failures, reports, error

    failures, reports, error = run_in_fresh_loop(scenario)
    callback_errors = [r for r in reports if r.startswith("an exception in a callback")]
    if callback_errors:
        raise Wrong(f"the loop reported: {callback_errors[0]}. On a cancelled task, task.exception() raises "
                    "CancelledError instead of returning it: test task.cancelled() first.")
    if reports:
        raise Wrong(f"the loop reported: {reports[0]}. Call task.exception() in the callback: it gives you "
                    "the error and marks it as retrieved.")
    if not isinstance(failures, list) or len(failures) != 1 or not isinstance(failures[0], tuple):
        raise Wrong(f"after a task that returned, one that failed and one that was cancelled, failures is "
                    f"{failures!r}; expected exactly one tuple, ('bad', the ValueError).")
    if failures[0][0] != "bad" or failures[0][1] is not error:
        raise Wrong(f"failures holds {failures[0]!r}; expected ('bad', the ValueError the task raised): "
                    "use task.get_name() and task.exception().")
    return "reports the failed task with its exception, ignores the others, and the loop has nothing to add."


# -- a request id per task, with contextvars --------------------------------------------------------
# Needs: contextvars.ContextVar, set/get, and that each task runs in a copy of its creator's context
# (chapter 11, "Context variables"); TaskGroup or gather to run handlers concurrently (chapter 4).
@exercise("ch11-request-id")
def check_request_id(handle_all: Callable[..., Any]) -> str:
    _require_function(handle_all, "handle_all", is_async=True)
    ids = ["r1", "r2", "r3"]

    async def scenario() -> tuple[list[tuple[str, str, str]], str, list[str]]:
        request_id.set("caller")
        seen: list[tuple[str, str, str]] = []   # (id at start, id after an await, name of the task)
        order: list[str] = []
        all_started = asyncio.Event()

        async def handle() -> None:
            first = request_id.get()
            order.append("start")
            if order.count("start") == len(ids):
                all_started.set()
            try:
                # Every handler must be running at the same time. On the virtual clock this limit
                # fires only when every task is waiting, so handlers run one after another (each
                # waiting for the others, which never come) are told apart at once, and handlers
                # run together are never cut short, however slow the machine.
                async with asyncio.timeout(60):
                    await all_started.wait()
            except TimeoutError:
                pass
            task = asyncio.current_task()
            seen.append((first, request_id.get(), "" if task is None else task.get_name()))
            order.append("end")

        await handle_all(list(ids), handle)
        return seen, request_id.get(), order

    seen, caller_after, order = run_in_virtual_loop(scenario)
    if len(seen) != len(ids):
        raise Wrong(f"handle_all(['r1', 'r2', 'r3'], handle) ran handle() {len(seen)} time(s); expected once per request.")
    if order[:len(ids)] != ["start"] * len(ids):
        raise Wrong("the handlers ran one after another: start them all at once (a TaskGroup, or gather).")
    firsts = sorted(first for first, _, _ in seen)
    if firsts != ids:
        raise Wrong(f"the handlers saw the ids {firsts}; expected each its own: {ids}. A task sees the value of "
                    "the context variable when it was created, so set it in each task (or just before creating it).")
    if any(first != after for first, after, _ in seen):
        raise Wrong("a handler's request id changed while it was waiting: set it in the handler's own task.")
    if caller_after != "caller":
        raise Wrong(f"after handle_all returned, the caller's request_id was {caller_after!r} instead of its own "
                    "value ('caller'): set the variable inside each task, not in the caller.")
    return "three handlers at once, each with its own request id, and the caller's value untouched."


# -- write a test that catches broken versions of retry ------------------------------------------------
# Needs: retry from the test suite of chapter 11 ("A small test suite"), loop.time() on a virtual
# clock ("Tests that sleep without waiting"), counting calls with a fake (the Flaky helper there).
async def _retry_right(operation, *, attempts=3, delay=1.0):
    for attempt in range(attempts):
        try:
            return await operation()
        except ConnectionError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(delay * 2 ** attempt)


async def _retry_no_wait(operation, *, attempts=3, delay=1.0):
    for attempt in range(attempts):
        try:
            return await operation()
        except ConnectionError:
            if attempt == attempts - 1:
                raise


async def _retry_no_doubling(operation, *, attempts=3, delay=1.0):
    for attempt in range(attempts):
        try:
            return await operation()
        except ConnectionError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(delay)


async def _retry_once_too_often(operation, *, attempts=3, delay=1.0):
    for attempt in range(attempts + 1):
        try:
            return await operation()
        except ConnectionError:
            if attempt == attempts:
                raise
            await asyncio.sleep(delay * 2 ** attempt)


async def _retry_swallows(operation, *, attempts=3, delay=1.0):
    for attempt in range(attempts):
        try:
            return await operation()
        except ConnectionError:
            if attempt == attempts - 1:
                return None
            await asyncio.sleep(delay * 2 ** attempt)


_BROKEN = {
    "one that does not wait between tries": _retry_no_wait,
    "one that waits `delay` every time instead of doubling it": _retry_no_doubling,
    "one that tries once more than `attempts`": _retry_once_too_often,
    "one that returns None instead of raising the last error": _retry_swallows,
}


def _run_reader_test(test: Callable[..., Awaitable[Any]], retry: Callable[..., Any]) -> BaseException | None:
    """Run test(retry) on a virtual clock; return what it raised, or None if it passed."""
    async def main() -> None:
        async with asyncio.timeout(3600):   # virtual seconds: ends a test that would wait forever
            await test(retry)

    try:
        run_in_worker(run_virtual, main(), timeout=10.0)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # any failure fails a test (pytest.fail's is a BaseException)
        return error
    return None


@exercise("ch11-test-retry")
def check_test_retry(test_retry: Callable[..., Any]) -> str:
    _require_function(test_retry, "test_retry", is_async=True)
    error = _run_reader_test(test_retry, _retry_right)
    if error is not None:
        raise Wrong(f"your test fails on a correct retry: it raised {type(error).__name__}: {error}. "
                    "A test must pass when the code is right.")
    survivors = [name for name, broken in _BROKEN.items() if _run_reader_test(test_retry, broken) is None]
    if survivors:
        raise Wrong("your test passes on a correct retry, but also on these broken ones: "
                    + "; ".join(survivors) + ". Check the time retry waited (loop.time() on the virtual "
                    "clock), count the calls, and check that the last error comes out.")
    return "passes on the correct retry and catches all four broken versions."


# -- fail when a coroutine leaves tasks running -----------------------------------------------------------
# Needs: asyncio.all_tasks(), cancel() and awaiting cancelled tasks (chapter 4, "Names, the current
# task and all tasks", cancellation); comparing all_tasks() before and after (chapter 11, no_tasks_left).
@exercise("ch11-no-tasks-left")
def check_no_tasks_left(run_checked: Callable[..., Any]) -> str:
    _require_function(run_checked, "run_checked", is_async=True)

    async def clean() -> tuple[str, Any]:
        async def work() -> int:
            helper = asyncio.create_task(asyncio.sleep(0), name="helper")
            await helper
            return 42

        try:
            return "returned", await run_checked(work())
        except BaseException as error:
            return "raised", error

    kind, value = run_in_fresh_loop(clean)
    if (kind, value) != ("returned", 42):
        shown = f"raised {type(value).__name__}: {value}" if kind == "raised" else f"returned {value!r}"
        raise Wrong(f"for a coroutine that returns 42 and leaves nothing running, run_checked {shown}; "
                    "expected 42.")

    async def leaky() -> tuple[str, Any, list[str], list[str]]:
        cleaned: list[str] = []

        async def sleeper(name: str) -> None:
            try:
                await asyncio.sleep(3600)
            finally:
                await asyncio.sleep(0)     # cleanup that needs the loop
                cleaned.append(name)

        async def work() -> str:
            for name in ("b", "a"):
                asyncio.create_task(sleeper(name), name=name)
            await asyncio.sleep(0)
            return "done"

        before = asyncio.all_tasks()
        try:
            kind, value = "returned", await run_checked(work())
        except BaseException as error:
            kind, value = "raised", error
        cleaned_at_return = sorted(cleaned)
        left = asyncio.all_tasks() - before
        running = sorted(t.get_name() for t in left if not t.done() and not t.cancelling())
        for task in left:
            task.cancel()
        await asyncio.gather(*left, return_exceptions=True)
        return kind, value, cleaned_at_return, running

    kind, value, cleaned, running = run_in_fresh_loop(leaky)
    if kind == "returned":
        raise Wrong(f"the coroutine left tasks 'a' and 'b' running, and run_checked returned {value!r}: "
                    "compare asyncio.all_tasks() before and after, and raise AssertionError.")
    if not isinstance(value, AssertionError):
        raise Wrong(f"run_checked raised {type(value).__name__}: {value}; expected an AssertionError.")
    if "['a', 'b']" not in str(value):
        raise Wrong(f"the AssertionError says {str(value)!r}; it should name the tasks, sorted: ['a', 'b'].")
    if running:
        raise Wrong(f"when the AssertionError came out, {running} were still running, not even cancelled: "
                    "cancel the tasks left.")
    if cleaned != ["a", "b"]:
        raise Wrong("the tasks were cancelled but had not finished their cleanup when the AssertionError came out: "
                    "await them after cancelling (asyncio.gather(*left, return_exceptions=True)).")
    return "returns the result when nothing is left, and cancels, awaits and names the tasks left behind."
