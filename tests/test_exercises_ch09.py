"""The chapter 9 checkers accept right answers and explain typical wrong ones.

They look at where the reader's code ran (thread, loop, context) and what it pickled, never at
how long it took.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import time

import pytest

from asyncbook.exercises import ch09
from asyncbook.selfcheck import evaluate
from asyncbook.workload import hash_file
from checking import failed_with


@pytest.fixture(autouse=True)
def no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")


# -- ch09-context ----------------------------------------------------------------------------------
async def run_with_context_right(executor, func, *args):
    ctx = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(executor, functools.partial(ctx.run, func, *args))


def test_context_right_answer_passes() -> None:
    result = evaluate("ch09-context", run_with_context_right)
    assert result.passed, result.message


def test_context_lost_by_run_in_executor() -> None:
    async def run_with_context(executor, func, *args):
        return await asyncio.get_running_loop().run_in_executor(executor, func, *args)

    failed_with("ch09-context", run_with_context, "'no request'", "copy_context()")


def test_context_to_thread_uses_the_wrong_pool() -> None:
    async def run_with_context(executor, func, *args):
        return await asyncio.to_thread(func, *args)

    failed_with("ch09-context", run_with_context, "not in the executor passed", "'asyncio'")


def test_context_blocking_the_loop() -> None:
    async def run_with_context(executor, func, *args):
        return func(*args)

    failed_with("ch09-context", run_with_context, "event loop's own thread")


def test_context_must_return_the_result() -> None:
    async def run_with_context(executor, func, *args):
        await asyncio.get_running_loop().run_in_executor(executor, func, *args)

    failed_with("ch09-context", run_with_context, "returned None")


def test_context_must_be_async() -> None:
    failed_with("ch09-context", lambda executor, func, *args: None, "`async def`")


# -- ch09-threadsafe -----------------------------------------------------------------------------
def test_threadsafe_right_answers_pass() -> None:
    def with_callback(loop, future, value):
        loop.call_soon_threadsafe(future.set_result, value)

    def with_coroutine(loop, future, value):
        async def set_it():
            future.set_result(value)
        asyncio.run_coroutine_threadsafe(set_it(), loop).result(5)

    for answer in (with_callback, with_coroutine):
        result = evaluate("ch09-threadsafe", answer)
        assert result.passed, result.message


def test_threadsafe_set_result_from_the_thread() -> None:
    def finish(loop, future, value):
        future.set_result(value)

    failed_with("ch09-threadsafe", finish, "set_result ran in the worker thread", "call_soon_threadsafe")


def test_threadsafe_call_soon_from_the_thread() -> None:
    def finish(loop, future, value):
        loop.call_soon(future.set_result, value)

    failed_with("ch09-threadsafe", finish, "raised RuntimeError", "Non-thread-safe operation")


def test_threadsafe_nothing_set() -> None:
    failed_with("ch09-threadsafe", lambda loop, future, value: None, "still not done")


def test_threadsafe_wrong_value() -> None:
    def finish(loop, future, value):
        loop.call_soon_threadsafe(future.set_result, str(value))

    failed_with("ch09-threadsafe", finish, "'42', expected 42")


def test_threadsafe_must_be_plain() -> None:
    async def finish(loop, future, value):
        future.set_result(value)

    failed_with("ch09-threadsafe", finish, "plain `def`")


# -- ch09-sync-call --------------------------------------------------------------------------------
def call_sync_right(loop, coro, timeout):
    future = asyncio.run_coroutine_threadsafe(coro, loop)
    try:
        return future.result(timeout)
    except TimeoutError:
        future.cancel()
        raise


def test_sync_call_right_answer_passes() -> None:
    result = evaluate("ch09-sync-call", call_sync_right)
    assert result.passed, result.message


def test_sync_call_with_the_time_limit_on_the_loop_passes() -> None:
    """The limit may be put on the loop's side instead: wait_for cancels the coroutine itself."""
    def with_wait_for(loop, coro, timeout):
        return asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, timeout), loop).result()

    async def limited(coro, timeout):
        async with asyncio.timeout(timeout):
            return await coro

    def with_timeout(loop, coro, timeout):
        return asyncio.run_coroutine_threadsafe(limited(coro, timeout), loop).result()

    for call_sync in (with_wait_for, with_timeout):
        result = evaluate("ch09-sync-call", call_sync)
        assert result.passed, result.message


def test_sync_call_on_a_new_loop() -> None:
    failed_with("ch09-sync-call", lambda loop, coro, timeout: asyncio.run(coro), "another event loop",
                "run_coroutine_threadsafe")


def test_sync_call_that_leaves_the_task_running() -> None:
    def call_sync(loop, coro, timeout):
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)

    failed_with("ch09-sync-call", call_sync, "still running on the loop", "future.cancel()")


def test_sync_call_that_swallows_errors() -> None:
    def call_sync(loop, coro, timeout):
        try:
            return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)
        except ValueError:
            return None

    failed_with("ch09-sync-call", call_sync, "should raise it too", "returned None")


def test_sync_call_without_a_time_limit() -> None:
    def call_sync(loop, coro, timeout):
        return asyncio.run_coroutine_threadsafe(coro, loop).result()

    failed_with("ch09-sync-call", call_sync, "had not returned long after 0.1 s", "future.result(timeout)")


def test_sync_call_hanging_another_way_meets_the_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    """A hang the checker cannot see in the thread's stack ends at the real-time guard."""
    monkeypatch.setattr(ch09, "_GUARD", 0.2)

    def call_sync(loop, coro, timeout):
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        while not future.done():  # polls forever: no time limit
            time.sleep(0.01)
        return future.result()

    failed_with("ch09-sync-call", call_sync, "had not returned long after 0.1 s")


# -- ch09-picklable ----------------------------------------------------------------------------------
async def hash_all_right(executor, paths, algorithm):
    loop = asyncio.get_running_loop()
    jobs = [loop.run_in_executor(executor, functools.partial(hash_file, p, algorithm=algorithm)) for p in paths]
    return dict(await asyncio.gather(*jobs))


def test_picklable_right_answer_passes() -> None:
    result = evaluate("ch09-picklable", hash_all_right)
    assert result.passed, result.message


def test_picklable_submitting_from_tasks_after_a_pause_passes() -> None:
    """The first call waits for the others while the loop still has something to do (a timer here)."""
    async def hash_all(executor, paths, algorithm):
        loop = asyncio.get_running_loop()

        async def one(i, path):
            await asyncio.sleep(0.02 * i)
            return await loop.run_in_executor(executor, functools.partial(hash_file, path, algorithm=algorithm))

        return dict(await asyncio.gather(*(one(i, p) for i, p in enumerate(paths))))

    result = evaluate("ch09-picklable", hash_all)
    assert result.passed, result.message


def test_picklable_lambda() -> None:
    async def hash_all(executor, paths, algorithm):
        loop = asyncio.get_running_loop()
        jobs = [loop.run_in_executor(executor, lambda: hash_file(p, algorithm=algorithm)) for p in paths]
        return dict(await asyncio.gather(*jobs))

    failed_with("ch09-picklable", hash_all, "cannot pickle a lambda")


def test_picklable_local_function() -> None:
    async def hash_all(executor, paths, algorithm):
        def one(path):
            return hash_file(path, algorithm)
        loop = asyncio.get_running_loop()
        return dict(await asyncio.gather(*(loop.run_in_executor(executor, one, p) for p in paths)))

    failed_with("ch09-picklable", hash_all, "cannot pickle one, a function defined inside another")


def _in_main(path, algorithm):
    return hash_file(path, algorithm)


def test_picklable_function_from_main(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_in_main, "__module__", "__main__")
    import __main__
    monkeypatch.setattr(__main__, "_in_main", _in_main, raising=False)

    async def hash_all(executor, paths, algorithm):
        loop = asyncio.get_running_loop()
        return dict(await asyncio.gather(*(loop.run_in_executor(executor, _in_main, p, algorithm) for p in paths)))

    failed_with("ch09-picklable", hash_all, "_in_main is defined in the notebook", "spawn or forkserver")


def test_picklable_one_at_a_time() -> None:
    async def hash_all(executor, paths, algorithm):
        loop = asyncio.get_running_loop()
        return dict([await loop.run_in_executor(executor, functools.partial(hash_file, p, algorithm=algorithm))
                     for p in paths])

    failed_with("ch09-picklable", hash_all, "before the others had been handed to the pool")


def test_picklable_wrong_algorithm() -> None:
    async def hash_all(executor, paths, algorithm):
        loop = asyncio.get_running_loop()
        return dict(await asyncio.gather(*(loop.run_in_executor(executor, hash_file, p) for p in paths)))

    failed_with("ch09-picklable", hash_all, "hashed with the algorithm you were given")


def test_picklable_must_be_async() -> None:
    failed_with("ch09-picklable", lambda executor, paths, algorithm: {}, "`async def`")
