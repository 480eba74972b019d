"""The chapter 1 checkers accept right answers and explain wrong ones."""

from __future__ import annotations

import asyncio
import inspect

from asyncbook.selfcheck import evaluate


def right_kind_of(func):
    if inspect.isgeneratorfunction(func):
        return "generator function"
    if inspect.iscoroutinefunction(func):
        return "coroutine function"
    if inspect.isasyncgenfunction(func):
        return "async generator function"
    return "function"


def test_kind_of_right_answer_passes() -> None:
    assert evaluate("ch01-kind-of", right_kind_of).passed


def test_kind_of_using_isfunction_first_fails_with_hint() -> None:
    def naive(func):
        return "function" if inspect.isfunction(func) else right_kind_of(func)

    result = evaluate("ch01-kind-of", naive)
    assert not result.passed and "inspect.isfunction is True for all four" in result.message


def test_kind_of_called_instead_of_passed() -> None:
    result = evaluate("ch01-kind-of", "function")
    assert not result.passed and "pass the function itself" in result.message


TRUTH = {
    "function()": False,
    "generator()": False,
    "async_function": False,
    "async_function()": True,
    "asyncio.sleep(0)": True,
    "async_generator()": False,
    "anext(async_generator())": True,
}


def test_awaitable_predictions_right() -> None:
    assert evaluate("ch01-awaitable", dict(TRUTH)).passed


def test_awaitable_predictions_unanswered_reveal_nothing() -> None:
    result = evaluate("ch01-awaitable", dict.fromkeys(TRUTH))
    assert not result.passed and "7 of 7 left" in result.message


def test_awaitable_predictions_name_the_wrong_ones() -> None:
    guess = dict(TRUTH, **{"async_generator()": True})
    result = evaluate("ch01-awaitable", guess)
    assert not result.passed and "1 of 7" in result.message and "async_generator()" in result.message


def test_awaitable_predictions_need_all_keys() -> None:
    assert not evaluate("ch01-awaitable", {"function()": False}).passed


async def fetch_price(item):
    await asyncio.sleep(0)
    return {"apple": 3, "pear": 2}[item]


def test_basket_total_fixed_passes() -> None:
    async def basket_total(items):
        return sum([await fetch_price(i) for i in items])

    assert evaluate("ch01-basket-total", basket_total).passed


def test_basket_total_missing_await_fails_and_reports_the_warning() -> None:
    async def basket_total(items):
        total = 0
        for item in items:
            total += fetch_price(item)
        return total

    result = evaluate("ch01-basket-total", basket_total)
    assert not result.passed
    assert "TypeError" in result.message and "'fetch_price' was never awaited" in result.message


def test_basket_total_must_stay_async() -> None:
    assert not evaluate("ch01-basket-total", lambda items: 8).passed


def test_basket_total_wrong_sum() -> None:
    async def basket_total(items):
        return 7

    result = evaluate("ch01-basket-total", basket_total)
    assert not result.passed and "expected 8" in result.message


def test_countdown_right() -> None:
    async def countdown(n):
        while n:
            yield n
            n -= 1

    assert evaluate("ch01-countdown", countdown).passed


def test_countdown_off_by_one() -> None:
    async def countdown(n):
        for i in range(n, -1, -1):
            yield i

    result = evaluate("ch01-countdown", countdown)
    assert not result.passed and "expected [3, 2, 1]" in result.message


def test_countdown_sync_generator_is_refused() -> None:
    def countdown(n):
        yield from range(n, 0, -1)

    result = evaluate("ch01-countdown", countdown)
    assert not result.passed and "async generator function" in result.message
