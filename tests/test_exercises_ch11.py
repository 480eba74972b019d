"""The chapter 11 checkers accept right answers and explain typical wrong ones.

The checkers run the answers on scenarios they control (events they set, a virtual clock), so none
of these tests depends on timing.
"""

from __future__ import annotations

import asyncio

import pytest

from asyncbook.exercises.ch11 import request_id
from asyncbook.selfcheck import evaluate
from checking import failed_with


@pytest.fixture(autouse=True)
def no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")


# -- ch11-report-failures ------------------------------------------------------------------------
def watch_right(task, failures):
    def on_done(task):
        if not task.cancelled() and task.exception() is not None:
            failures.append((task.get_name(), task.exception()))

    task.add_done_callback(on_done)


def test_report_failures_right_answer_passes() -> None:
    result = evaluate("ch11-report-failures", watch_right)
    assert result.passed, result.message


def test_report_failures_crashing_on_cancelled_tasks() -> None:
    def watch(task, failures):
        def on_done(task):
            if task.exception() is not None:
                failures.append((task.get_name(), task.exception()))

        task.add_done_callback(on_done)

    failed_with("ch11-report-failures", watch, "an exception in a callback (CancelledError)", "task.cancelled() first")


def test_report_failures_that_never_looks_at_the_exception() -> None:
    def watch(task, failures):
        def on_done(task):
            if not task.cancelled() and task.get_name() == "bad":
                failures.append((task.get_name(), None))

        task.add_done_callback(on_done)

    failed_with("ch11-report-failures", watch, "Task exception was never retrieved (ValueError)", "task.exception()")


def test_report_failures_that_reports_everything() -> None:
    def watch(task, failures):
        task.add_done_callback(lambda t: failures.append(
            (t.get_name(), None if t.cancelled() else t.exception())))

    failed_with("ch11-report-failures", watch, "expected exactly one tuple")


def test_report_failures_with_a_wrong_tuple() -> None:
    def watch(task, failures):
        def on_done(task):
            if not task.cancelled() and task.exception() is not None:
                failures.append((task, str(task.exception())))

        task.add_done_callback(on_done)

    failed_with("ch11-report-failures", watch, "use task.get_name() and task.exception()")


def test_report_failures_must_be_plain_def() -> None:
    async def watch(task, failures):
        pass

    failed_with("ch11-report-failures", watch, "plain `def`")
    failed_with("ch11-report-failures", "watch", "pass the function itself")


# -- ch11-request-id ----------------------------------------------------------------------------------
async def handle_all_right(requests, handle):
    async def with_id(rid):
        request_id.set(rid)
        await handle()

    async with asyncio.TaskGroup() as tg:
        for rid in requests:
            tg.create_task(with_id(rid))


def test_request_id_right_answer_passes() -> None:
    result = evaluate("ch11-request-id", handle_all_right)
    assert result.passed, result.message


def test_request_id_set_once_in_the_caller() -> None:
    async def handle_all(requests, handle):
        for rid in requests:
            request_id.set(rid)
        await asyncio.gather(*(handle() for _ in requests))

    failed_with("ch11-request-id", handle_all, "['r3', 'r3', 'r3']", "set it in each task")


def test_request_id_set_in_the_caller_before_each_task() -> None:
    async def handle_all(requests, handle):
        async with asyncio.TaskGroup() as tg:
            for rid in requests:
                request_id.set(rid)
                tg.create_task(handle())

    failed_with("ch11-request-id", handle_all, "caller's request_id was 'r3'")


def test_request_id_one_after_another() -> None:
    async def handle_all(requests, handle):
        for rid in requests:
            token = request_id.set(rid)
            await handle()
            request_id.reset(token)

    failed_with("ch11-request-id", handle_all, "one after another")


def test_request_id_must_be_async() -> None:
    failed_with("ch11-request-id", lambda requests, handle: None, "`async def`")


# -- ch11-test-retry ------------------------------------------------------------------------------------
async def retry_test_right(retry):
    class Flaky:
        def __init__(self, failures):
            self.failures, self.calls = failures, 0

        async def __call__(self):
            self.calls += 1
            if self.calls <= self.failures:
                raise ConnectionError("down")
            return "ok"

    loop = asyncio.get_running_loop()
    start = loop.time()
    assert await retry(Flaky(2), attempts=3, delay=1.0) == "ok"
    assert loop.time() - start == 3.0
    always = Flaky(10)
    with pytest.raises(ConnectionError):
        await retry(always, attempts=3, delay=1.0)
    assert always.calls == 3


def test_test_retry_right_answer_passes() -> None:
    result = evaluate("ch11-test-retry", retry_test_right)
    assert result.passed, result.message


def test_test_retry_that_checks_nothing() -> None:
    async def test(retry):
        async def works():
            return "ok"

        assert await retry(works) == "ok"

    message = failed_with("ch11-test-retry", test, "also on these broken ones", "does not wait",
                          "instead of doubling", "once more", "returns None")
    assert message.count("one that") == 4


def test_test_retry_that_checks_time_but_not_calls() -> None:
    async def test(retry):
        state = {"calls": 0}

        async def twice_down():
            state["calls"] += 1
            if state["calls"] <= 2:
                raise ConnectionError
            return "ok"

        loop = asyncio.get_running_loop()
        start = loop.time()
        assert await retry(twice_down, attempts=3, delay=1.0) == "ok"
        assert loop.time() - start == 3.0

    message = failed_with("ch11-test-retry", test, "once more than `attempts`", "returns None instead")
    assert "does not wait" not in message and "doubling" not in message


def test_test_retry_that_fails_on_the_right_retry() -> None:
    async def test(retry):
        async def works():
            return "ok"

        assert await retry(works) == "wrong"

    failed_with("ch11-test-retry", test, "fails on a correct retry", "AssertionError")


def test_test_retry_that_hangs_is_ended() -> None:
    async def test(retry):
        await asyncio.Event().wait()

    failed_with("ch11-test-retry", test, "fails on a correct retry", "TimeoutError")


def test_test_retry_must_be_async() -> None:
    failed_with("ch11-test-retry", lambda retry: None, "`async def`")


# -- ch11-no-tasks-left ------------------------------------------------------------------------------------
async def run_checked_right(coro):
    before = asyncio.all_tasks()
    result = await coro
    left = asyncio.all_tasks() - before
    if left:
        for task in left:
            task.cancel()
        await asyncio.gather(*left, return_exceptions=True)
        raise AssertionError(f"left running: {sorted(t.get_name() for t in left)}")
    return result


def test_no_tasks_left_right_answer_passes() -> None:
    result = evaluate("ch11-no-tasks-left", run_checked_right)
    assert result.passed, result.message


def test_no_tasks_left_that_notices_nothing() -> None:
    async def run_checked(coro):
        return await coro

    failed_with("ch11-no-tasks-left", run_checked, "run_checked returned 'done'", "raise AssertionError")


def test_no_tasks_left_without_cancelling() -> None:
    async def run_checked(coro):
        before = asyncio.all_tasks()
        result = await coro
        left = asyncio.all_tasks() - before
        if left:
            raise AssertionError(f"left running: {sorted(t.get_name() for t in left)}")
        return result

    failed_with("ch11-no-tasks-left", run_checked, "were still running", "cancel the tasks left")


def test_no_tasks_left_cancelling_without_waiting() -> None:
    async def run_checked(coro):
        before = asyncio.all_tasks()
        result = await coro
        left = asyncio.all_tasks() - before
        if left:
            for task in left:
                task.cancel()
            raise AssertionError(f"left running: {sorted(t.get_name() for t in left)}")
        return result

    failed_with("ch11-no-tasks-left", run_checked, "had not finished their cleanup", "await them")


def test_no_tasks_left_unsorted_names() -> None:
    async def run_checked(coro):
        before = asyncio.all_tasks()
        result = await coro
        left = asyncio.all_tasks() - before
        if left:
            for task in left:
                task.cancel()
            await asyncio.gather(*left, return_exceptions=True)
            raise AssertionError("tasks were left")
        return result

    failed_with("ch11-no-tasks-left", run_checked, "should name the tasks, sorted")


def test_no_tasks_left_that_always_raises() -> None:
    async def run_checked(coro):
        await coro
        raise AssertionError("left running: ['a', 'b']")

    failed_with("ch11-no-tasks-left", run_checked, "leaves nothing running", "expected 42")


def test_no_tasks_left_wrong_error_type() -> None:
    async def run_checked(coro):
        before = asyncio.all_tasks()
        result = await coro
        left = asyncio.all_tasks() - before
        if left:
            for task in left:
                task.cancel()
            await asyncio.gather(*left, return_exceptions=True)
            raise RuntimeError(f"left running: {sorted(t.get_name() for t in left)}")
        return result

    failed_with("ch11-no-tasks-left", run_checked, "raised RuntimeError", "expected an AssertionError")
