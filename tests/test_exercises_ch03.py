"""The chapter 3 checkers accept right answers and explain wrong ones."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time

import pytest

from asyncbook.exercises import ch03
from asyncbook.selfcheck import evaluate

RIGHT_ORDER = ["soup", "salad", "tea", "salad", "soup", "tea", "salad", "soup"]


# -- ch03-trace-order ------------------------------------------------------------------
def test_kitchen_trace_is_what_the_notebook_promises() -> None:
    assert ch03.kitchen_trace() == RIGHT_ORDER


def test_trace_order_right() -> None:
    assert evaluate("ch03-trace-order", list(RIGHT_ORDER)).passed


def test_trace_order_spawn_order_for_ties_fails_at_the_first_tie() -> None:
    guess = ["soup", "salad", "tea", "salad", "soup", "soup", "salad", "tea"]
    result = evaluate("ch03-trace-order", guess)
    assert not result.passed
    assert "steps 1 to 5 are right; step 6 is 'tea', not 'soup'" in result.message
    assert "fell asleep first" in result.message


def test_trace_order_too_short() -> None:
    result = evaluate("ch03-trace-order", ["soup", "salad", "tea"])
    assert not result.passed and "8 steps" in result.message and "has 3" in result.message


def test_trace_order_unknown_name_and_wrong_type() -> None:
    result = evaluate("ch03-trace-order", ["soup", "coffee"])
    assert not result.passed and "no task called 'coffee'" in result.message
    result = evaluate("ch03-trace-order", "soup salad tea")
    assert not result.passed and "list of task names" in result.message


# -- ch03-race -------------------------------------------------------------------------
async def right_race(entries, pause_between_timers=0.0):
    loop = asyncio.get_running_loop()
    fut = loop.create_future()

    def settle(value):
        if not fut.done():
            fut.set_result(value)

    for delay, value in entries:
        loop.call_later(delay, settle, value)
        time.sleep(pause_between_timers)  # a loaded machine may pause here
    return await fut


async def unguarded_race(entries):
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    for delay, value in entries:
        loop.call_later(delay, fut.set_result, value)
    return await fut


async def last_value_race(entries):
    await asyncio.sleep(max(d for d, _ in entries))
    return entries[-1][1]


def test_race_right_answer_passes() -> None:
    result = evaluate("ch03-race", right_race)
    assert result.passed, result.message


def test_race_right_answer_passes_however_long_the_machine_pauses_between_timers() -> None:
    """A loaded machine may pause between two call_later calls; the verdict must not change."""
    async def paused_race(entries):
        # 0.03 s is longer than the gap between two delays: on a real clock, 'slow' would win
        return await right_race(entries, pause_between_timers=0.03)

    result = evaluate("ch03-race", paused_race)
    assert result.passed, result.message


def test_race_without_done_guard_is_caught_by_the_late_callback() -> None:
    result = evaluate("ch03-race", unguarded_race)
    assert not result.passed
    assert "InvalidStateError" in result.message and "not fut.done()" in result.message


def test_race_wrong_value() -> None:
    result = evaluate("ch03-race", last_value_race)
    assert not result.passed and "expected 'fast'" in result.message


async def at_once_race(entries):
    return min(entries)[1]


async def longest_wait_race(entries):
    await asyncio.sleep(max(d for d, _ in entries))
    return min(entries)[1]


async def wait_first_completed_race(entries):
    tasks = [asyncio.create_task(asyncio.sleep(delay, result=value)) for delay, value in entries]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return done.pop().result()


async def cancelling_handles_race(entries):
    loop = asyncio.get_running_loop()
    fut = loop.create_future()

    def settle(value):
        if not fut.done():
            fut.set_result(value)

    handles = [loop.call_later(delay, settle, value) for delay, value in entries]
    try:
        return await fut
    finally:
        for handle in handles:
            handle.cancel()


@pytest.mark.parametrize("answer", [wait_first_completed_race, cancelling_handles_race])
def test_race_other_right_answers_pass(answer) -> None:
    result = evaluate("ch03-race", answer)
    assert result.passed, result.message


def test_race_returning_at_once_is_refused() -> None:
    result = evaluate("ch03-race", at_once_race)
    assert not result.passed
    assert "returned the right value, but at once, before any delay was over" in result.message
    assert "wait for the timers" in result.message


def test_race_waiting_for_the_longest_delay_is_refused() -> None:
    result = evaluate("ch03-race", longest_wait_race)
    assert not result.passed
    assert "only after the longest delay (0.03 s)" in result.message
    assert "return as soon as the first is over, after 0.01 s" in result.message


def test_race_waiting_for_a_middle_delay_is_refused() -> None:
    async def middle_race(entries):
        await asyncio.sleep(0.02)
        return min(entries)[1]

    result = evaluate("ch03-race", middle_race)
    assert not result.passed
    assert "after 0.02 s, not as soon as the shortest delay (0.01 s) was over" in result.message


def test_race_must_be_async() -> None:
    result = evaluate("ch03-race", lambda entries: "fast")
    assert not result.passed and "async def" in result.message


def test_race_not_answered() -> None:
    async def race(entries):
        raise NotImplementedError

    assert "not answered yet" in evaluate("ch03-race", race).message


# -- ch03-to-thread --------------------------------------------------------------------
async def right_fetch_all(fetch, names):
    return await asyncio.gather(*(asyncio.to_thread(fetch, name) for name in names))


async def blocking_fetch_all(fetch, names):
    return [fetch(name) for name in names]


async def one_by_one_fetch_all(fetch, names):
    return [await asyncio.to_thread(fetch, name) for name in names]


async def reversed_fetch_all(fetch, names):
    results = await asyncio.gather(*(asyncio.to_thread(fetch, name) for name in names))
    return results[::-1]


def test_to_thread_right_answer_passes() -> None:
    result = evaluate("ch03-to-thread", right_fetch_all)
    assert result.passed, result.message


def test_to_thread_right_answer_that_waits_on_a_timer_first_passes() -> None:
    """While a timer is pending the loop is not idle: the first call waits for the others."""
    async def after_a_pause(fetch, names):
        async def one(name):
            await asyncio.sleep(0.05 * names.index(name))
            return await asyncio.to_thread(fetch, name)

        return await asyncio.gather(*(one(name) for name in names))

    result = evaluate("ch03-to-thread", after_a_pause)
    assert result.passed, result.message


def test_to_thread_right_answer_with_its_own_executor_passes() -> None:
    async def own_pool(fetch, names):
        loop = asyncio.get_running_loop()
        with concurrent.futures.ThreadPoolExecutor(len(names)) as pool:
            return await asyncio.gather(*(loop.run_in_executor(pool, fetch, name) for name in names))

    result = evaluate("ch03-to-thread", own_pool)
    assert result.passed, result.message


def test_to_thread_one_after_another_in_its_own_executor_meets_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one case the idle loop cannot settle: calls in an executor the checker does not see."""
    monkeypatch.setattr(ch03, "OVERLAP_TIMEOUT", 0.2)

    async def own_pool_one_by_one(fetch, names):
        loop = asyncio.get_running_loop()
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return [await loop.run_in_executor(pool, fetch, name) for name in names]

    result = evaluate("ch03-to-thread", own_pool_one_by_one)
    assert not result.passed and "one after another" in result.message


def test_to_thread_calling_fetch_directly_blocks_the_loop() -> None:
    result = evaluate("ch03-to-thread", blocking_fetch_all)
    assert not result.passed and "event loop's own thread" in result.message and "to_thread" in result.message


def test_to_thread_one_after_another_does_not_overlap() -> None:
    result = evaluate("ch03-to-thread", one_by_one_fetch_all)
    assert not result.passed and "one after another" in result.message and "gather" in result.message


def test_to_thread_results_in_the_wrong_order() -> None:
    result = evaluate("ch03-to-thread", reversed_fetch_all)
    assert not result.passed and "in the names' order" in result.message


def test_to_thread_must_be_async() -> None:
    result = evaluate("ch03-to-thread", lambda fetch, names: [fetch(n) for n in names])
    assert not result.passed and "async def" in result.message


def test_to_thread_wrong_number_of_calls() -> None:
    async def skips_one(fetch, names):
        return await asyncio.gather(*(asyncio.to_thread(fetch, name) for name in names[:2]))

    result = evaluate("ch03-to-thread", skips_one)
    assert not result.passed
    # Two calls cannot open a three-party barrier: they wait alone, and the count is reported.
    assert "called 2 times for 3 names" in result.message


def test_to_thread_with_threads_a_real_blocking_call_is_fine() -> None:
    """The notebook's slow_fetch (time.sleep) works with the right answer."""
    def slow_fetch(name: str) -> str:
        time.sleep(0.01)
        return name.upper()

    assert asyncio.run(right_fetch_all(slow_fetch, ["ada", "bob"])) == ["ADA", "BOB"]
