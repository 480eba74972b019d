"""The chapter 4 checkers accept right answers and explain typical wrong ones.

The checkers decide when each fake fetch finishes, so none of these tests depends on timing.
"""

from __future__ import annotations

import asyncio

import pytest

from asyncbook.selfcheck import evaluate
from checking import failed_with


@pytest.fixture(autouse=True)
def no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")


# -- ch04-fetch-all ---------------------------------------------------------------------------
async def fetch_all_taskgroup(fetch, names):
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(fetch(name)) for name in names]
    return [t.result() for t in tasks]


def test_fetch_all_taskgroup_passes() -> None:
    result = evaluate("ch04-fetch-all", fetch_all_taskgroup)
    assert result.passed, result.message


def test_fetch_all_sequential_is_refused() -> None:
    async def fetch_all(fetch, names):
        return [await fetch(name) for name in names]

    failed_with("ch04-fetch-all", fetch_all, "only ['a'] had started", "tg.create_task")


def test_fetch_all_gather_leaves_siblings_running() -> None:
    async def fetch_all(fetch, names):
        return await asyncio.gather(*(fetch(name) for name in names))

    failed_with("ch04-fetch-all", fetch_all, "must be cancelled", "raised ConnectionError(b)",
                "2 of them were still running", "asyncio.gather leaves them running")


def test_fetch_all_in_completion_order_is_refused() -> None:
    async def fetch_all(fetch, names):
        return [await f for f in asyncio.as_completed([fetch(name) for name in names])]

    failed_with("ch04-fetch-all", fetch_all, "the order the fetches finished in", "['data:a', 'data:b', 'data:c']")


def test_fetch_all_that_hides_the_failure_is_refused() -> None:
    async def fetch_all(fetch, names):
        try:
            return await fetch_all_taskgroup(fetch, names)
        except* ConnectionError:
            pass
        return []

    failed_with("ch04-fetch-all", fetch_all, "should let the TaskGroup's ExceptionGroup out", "returned []")


def test_fetch_all_must_be_async() -> None:
    failed_with("ch04-fetch-all", lambda fetch, names: [], "`async def`")
    failed_with("ch04-fetch-all", "fetch_all", "pass the function itself")


# -- ch04-first-completed -----------------------------------------------------------------------
async def first_completed_as_completed(aws):
    tasks = [asyncio.create_task(aw) for aw in aws]
    try:
        for earliest in asyncio.as_completed(tasks):
            return await earliest
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def first_completed_wait(aws):
    tasks = [asyncio.create_task(aw) for aw in aws]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.wait(pending)
    return done.pop().result()


@pytest.mark.parametrize("answer", [first_completed_as_completed, first_completed_wait])
def test_first_completed_right_answers_pass(answer) -> None:
    result = evaluate("ch04-first-completed", answer)
    assert result.passed, result.message


def test_first_completed_must_wait_for_the_cancelled() -> None:
    async def first_completed(aws):
        tasks = [asyncio.create_task(aw) for aw in aws]
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        return done.pop().result()

    failed_with("ch04-first-completed", first_completed, "still running", "await the tasks")


def test_first_completed_that_waits_for_all_is_refused() -> None:
    async def first_completed(aws):
        results = await asyncio.gather(*aws)
        return results[0]

    failed_with("ch04-first-completed", first_completed, "should return 'data:b'", "returned 'data:a'",
                "wait for all of them")


def test_first_completed_sequential_is_refused() -> None:
    async def first_completed(aws):
        return await aws[0]

    failed_with("ch04-first-completed", first_completed, "only ['a'] had started", "asyncio.create_task")


# -- ch04-with-default ------------------------------------------------------------------------------
async def with_default_timeout(aw, seconds, default):
    try:
        async with asyncio.timeout(seconds):
            return await aw
    except TimeoutError:
        return default


async def with_default_wait_for(aw, seconds, default):
    try:
        return await asyncio.wait_for(aw, seconds)
    except TimeoutError:
        return default


@pytest.mark.parametrize("answer", [with_default_timeout, with_default_wait_for])
def test_with_default_right_answers_pass(answer) -> None:
    result = evaluate("ch04-with-default", answer)
    assert result.passed, result.message


def test_with_default_catching_cancelled_error_outside_the_timeout() -> None:
    async def with_default(aw, seconds, default):
        try:
            async with asyncio.timeout(seconds):
                return await aw
        except asyncio.CancelledError:
            return default

    failed_with("ch04-with-default", with_default, "raised TimeoutError", "Catch the TimeoutError")


def test_with_default_that_swallows_outside_cancellation() -> None:
    async def with_default(aw, seconds, default):
        try:
            async with asyncio.timeout(seconds):
                return await aw
        except (TimeoutError, asyncio.CancelledError):
            return default

    failed_with("ch04-with-default", with_default, "cancelled from outside", "returned 'fallback'",
                "never CancelledError")


def test_with_default_that_leaves_the_slow_call_running() -> None:
    async def with_default(aw, seconds, default):
        task = asyncio.ensure_future(aw)
        done, _ = await asyncio.wait({task}, timeout=seconds)
        return task.result() if done else default

    failed_with("ch04-with-default", with_default, "left the slow fetch running")


def test_with_default_that_ignores_its_seconds_argument() -> None:
    """On the virtual clock a limit of its own, however long, costs no time: it is told apart by the clock."""
    async def with_default(aw, seconds, default):
        try:
            async with asyncio.timeout(30):
                return await aw
        except TimeoutError:
            return default

    failed_with("ch04-with-default", with_default, "only after 30 s", "`seconds` argument")


def test_with_default_without_a_time_limit() -> None:
    async def with_default(aw, seconds, default):
        return await aw

    failed_with("ch04-with-default", with_default, "put a time limit")


# -- ch04-except-star ----------------------------------------------------------------------------------
async def fetch_report_right(fetch, names):
    unknown = []
    try:
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(fetch(name)) for name in names]
    except* KeyError as group:
        unknown = sorted(err.args[0] for err in group.exceptions)
    if unknown:
        return "unknown: " + ", ".join(unknown)
    return [t.result() for t in tasks]


def test_except_star_right_answer_passes() -> None:
    result = evaluate("ch04-except-star", fetch_report_right)
    assert result.passed, result.message


def test_except_star_plain_except_never_matches() -> None:
    async def fetch_report(fetch, names):
        try:
            async with asyncio.TaskGroup() as tg:
                tasks = [tg.create_task(fetch(name)) for name in names]
        except KeyError as err:
            return f"unknown: {err.args[0]}"
        return [t.result() for t in tasks]

    failed_with("ch04-except-star", fetch_report, "raised ExceptionGroup [KeyError('x'), KeyError('z')]",
                "use `except* KeyError`")


def test_except_star_that_swallows_everything() -> None:
    async def fetch_report(fetch, names):
        unknown = []
        try:
            async with asyncio.TaskGroup() as tg:
                tasks = [tg.create_task(fetch(name)) for name in names]
        except* Exception as group:
            unknown = sorted(str(err.args[0]) for err in group.exceptions)
        if unknown:
            return "unknown: " + ", ".join(unknown)
        return [t.result() for t in tasks]

    failed_with("ch04-except-star", fetch_report, "the ConnectionError must propagate", "returned 'unknown: down, x'")


def test_except_star_with_gather() -> None:
    async def fetch_report(fetch, names):
        try:
            return await asyncio.gather(*(fetch(name) for name in names))
        except KeyError as err:
            return f"unknown: {err.args[0]}"

    failed_with("ch04-except-star", fetch_report, "should return 'unknown: x, z'", "returned 'unknown: x'")
