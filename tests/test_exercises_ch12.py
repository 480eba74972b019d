"""The chapter 12 checkers accept right answers and explain typical wrong ones.

The Trio checks run on Trio's virtual clock and the AnyIO check looks only at the order of
events, so none of these tests depends on timing.
"""

from __future__ import annotations

import math

import anyio
import pytest
import trio

from asyncbook.selfcheck import evaluate
from checking import failed_with


@pytest.fixture(autouse=True)
def no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")


# -- ch12-fetch-all ---------------------------------------------------------------------------
async def fetch_all_nursery(fetch, names):
    results = [None] * len(names)

    async def one(i, name):
        results[i] = await fetch(name)

    async with trio.open_nursery() as nursery:
        for i, name in enumerate(names):
            nursery.start_soon(one, i, name)
    return results


def test_fetch_all_nursery_passes() -> None:
    result = evaluate("ch12-fetch-all", fetch_all_nursery)
    assert result.passed, result.message


def test_fetch_all_sequential_is_refused() -> None:
    async def fetch_all(fetch, names):
        return [await fetch(name) for name in names]

    failed_with("ch12-fetch-all", fetch_all, "only ['a'] had started", "start_soon")


def test_fetch_all_in_completion_order_is_refused() -> None:
    async def fetch_all(fetch, names):
        results = []

        async def one(name):
            results.append(await fetch(name))

        async with trio.open_nursery() as nursery:
            for name in names:
                nursery.start_soon(one, name)
        return results

    failed_with("ch12-fetch-all", fetch_all, "the order the fetches finished", "index")


def test_fetch_all_that_hides_the_failure_is_refused() -> None:
    async def fetch_all(fetch, names):
        try:
            return await fetch_all_nursery(fetch, names)
        except* ConnectionError:
            pass
        return []

    failed_with("ch12-fetch-all", fetch_all, "returned []", "ExceptionGroup come out")


def test_fetch_all_must_be_async() -> None:
    failed_with("ch12-fetch-all", lambda fetch, names: [], "`async def`")
    coro = fetch_all_nursery(None, [])
    failed_with("ch12-fetch-all", coro, "pass the function itself")


# -- ch12-with-default ------------------------------------------------------------------------
async def with_default_right(seconds, default, fn, *args):
    with trio.move_on_after(seconds) as scope:
        result = await fn(*args)
    if scope.cancelled_caught:
        return default
    return result


async def with_default_fail_after(seconds, default, fn, *args):
    try:
        with trio.fail_after(seconds):
            return await fn(*args)
    except trio.TooSlowError:
        return default


@pytest.mark.parametrize("answer", [with_default_right, with_default_fail_after])
def test_with_default_right_answers_pass(answer) -> None:
    result = evaluate("ch12-with-default", answer)
    assert result.passed, result.message


def test_with_default_that_tests_the_value() -> None:
    async def with_default(seconds, default, fn, *args):
        result = None
        with trio.move_on_after(seconds):
            result = await fn(*args)
        return default if result is None else result

    failed_with("ch12-with-default", with_default, "returned 'fallback'", "scope.cancelled_caught")


def test_with_default_without_a_limit() -> None:
    async def with_default(seconds, default, fn, *args):
        return await fn(*args)

    failed_with("ch12-with-default", with_default, "did not return", "move_on_after")


def test_with_default_that_swallows_outside_cancellation() -> None:
    async def with_default(seconds, default, fn, *args):
        try:
            with trio.fail_after(seconds):
                return await fn(*args)
        except (trio.TooSlowError, trio.Cancelled):
            return default

    failed_with("ch12-with-default", with_default, "must go on", "Never catch trio.Cancelled")


# -- ch12-pipeline ----------------------------------------------------------------------------
async def pipeline_right(items, transform):
    send, receive = anyio.create_memory_object_stream[int](0)
    results = []

    async def produce():
        async with send:
            for item in items:
                await send.send(item)

    async def consume():
        async with receive:
            async for item in receive:
                results.append(await transform(item))

    async with anyio.create_task_group() as tg:
        tg.start_soon(produce)
        tg.start_soon(consume)
    return results


def test_pipeline_right_answer_passes() -> None:
    result = evaluate("ch12-pipeline", pipeline_right)
    assert result.passed, result.message


def test_pipeline_sequential_is_refused() -> None:
    async def pipeline(items, transform):
        return [await transform(item) for item in list(items)]

    failed_with("ch12-pipeline", pipeline, "every item was taken before the first was transformed")


def test_pipeline_with_an_unbounded_buffer_is_refused() -> None:
    async def pipeline(items, transform):
        send, receive = anyio.create_memory_object_stream[int](math.inf)
        results = []
        async with anyio.create_task_group() as tg:
            async def produce():
                async with send:
                    for item in items:
                        send.send_nowait(item)

            async def consume():
                async for item in receive:
                    results.append(await transform(item))

            tg.start_soon(produce)
            tg.start_soon(consume)
        return results

    failed_with("ch12-pipeline", pipeline, "taken before the first was transformed")


def test_pipeline_that_never_closes_the_stream_is_refused() -> None:
    async def pipeline(items, transform):
        send, receive = anyio.create_memory_object_stream[int](0)
        results = []

        async def produce():
            for item in items:
                await send.send(item)

        async def consume():
            async for item in receive:
                results.append(await transform(item))

        async with anyio.create_task_group() as tg:
            tg.start_soon(produce)
            tg.start_soon(consume)
        return results

    failed_with("ch12-pipeline", pipeline, "never finished", "async with send:")


def test_pipeline_with_trio_only_code_fails_on_asyncio() -> None:
    async def pipeline(items, transform):
        send, receive = trio.open_memory_channel(0)
        results = []

        async def produce():
            async with send:
                for item in items:
                    await send.send(item)

        async def consume():
            async for item in receive:
                results.append(await transform(item))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(produce)
            nursery.start_soon(consume)
        return results

    failed_with("ch12-pipeline", pipeline, "on the asyncio backend", "Use only AnyIO's API")


# -- ch12-shielded-cleanup --------------------------------------------------------------------
async def use_shielded(conn):
    try:
        return await conn.work()
    finally:
        with trio.CancelScope(shield=True):
            await conn.close()


def test_shielded_cleanup_passes() -> None:
    result = evaluate("ch12-shielded-cleanup", use_shielded)
    assert result.passed, result.message


def test_unshielded_cleanup_is_cut_short() -> None:
    async def use(conn):
        try:
            return await conn.work()
        finally:
            await conn.close()

    failed_with("ch12-shielded-cleanup", use, "started but was cancelled", "shield=True")


def test_no_cleanup_on_cancellation() -> None:
    async def use(conn):
        result = await conn.work()
        await conn.close()
        return result

    failed_with("ch12-shielded-cleanup", use, "never closed the connection", "finally")


def test_cleanup_that_swallows_the_cancellation() -> None:
    async def use(conn):
        try:
            return await conn.work()
        except trio.Cancelled:
            with trio.CancelScope(shield=True):
                await conn.close()
            return None
        finally:
            pass

    # Closes only on cancellation, so the normal path fails first; then check the cancelled path.
    failed_with("ch12-shielded-cleanup", use, "must be closed too")

    async def use2(conn):
        try:
            result = await conn.work()
        except trio.Cancelled:
            with trio.CancelScope(shield=True):
                await conn.close()
            return None
        with trio.CancelScope(shield=True):
            await conn.close()
        return result

    failed_with("ch12-shielded-cleanup", use2, "the cancellation must go on", "returned None")


def test_fetch_all_written_for_asyncio_is_explained() -> None:
    import asyncio

    async def fetch_all(fetch, names):
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(fetch(name)) for name in names]
        return [task.result() for task in tasks]

    failed_with("ch12-fetch-all", fetch_all, "before starting any fetch", "trio.open_nursery()")
