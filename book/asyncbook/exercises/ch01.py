"""Checkers for chapter 1, *Four kinds of function*."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from ..selfcheck import Wrong, exercise, run_in_fresh_loop


def _plain(x):
    return x


def _gen(x):
    yield x


async def _coro(x):
    return x


async def _agen(x):
    yield x


class _Shop:
    def method(self):
        return 1

    async def async_method(self):
        return 1


@exercise("ch01-kind-of")
def check_kind_of(kind_of: Callable[[Any], str]) -> str:
    # Where the facts this exercise needs are taught (chapter 1 unless stated):
    # - the four kinds, and that `async def` and `yield` decide them: "The four kinds",
    #   "One `yield` anywhere decides the kind";
    # - inspect.isgeneratorfunction / iscoroutinefunction / isasyncgenfunction, and that
    #   inspect.isfunction says yes to all four: "Telling the kinds apart";
    # - the predicates accept bound methods (isfunction does not), a lambda is a plain
    #   function: "Telling the kinds apart" (the `Shop` table).
    if not callable(kind_of):
        raise Wrong("pass the function itself: check('ch01-kind-of', kind_of), without calling it")
    cases = {
        "a plain def": (_plain, "function"),
        "a def with yield": (_gen, "generator function"),
        "an async def": (_coro, "coroutine function"),
        "an async def with yield": (_agen, "async generator function"),
        "a lambda": (lambda: 1, "function"),
        "a method": (_Shop().method, "function"),
        "an async method": (_Shop().async_method, "coroutine function"),
    }
    for what, (func, expected) in cases.items():
        got = kind_of(func)
        if got != expected:
            raise Wrong(f"for {what} you returned {got!r}, expected {expected!r}. "
                        "Hint: test the more specific kinds first; inspect.isfunction is True for all four.")
    return f"all {len(cases)} cases right, methods included."


@exercise("ch01-awaitable")
def check_awaitable_predictions(predictions: dict[str, bool]) -> str:
    # Where the facts this exercise needs are taught (chapter 1):
    # - what each kind of call returns: "The four kinds" (table);
    # - a coroutine is awaitable, a generator, an async generator and a function are not;
    #   `anext(agen)` is: "Running the bodies", "Telling the kinds apart" (the isawaitable row,
    #   with the function `async_function` as its first column);
    # - asyncio.sleep is a coroutine function, so asyncio.sleep(0) is a coroutine:
    #   "`await` inside a coroutine".
    actual_makers: dict[str, Callable[[], object]] = {
        "function()": lambda: _plain(1),
        "generator()": lambda: _gen(1),
        "async_function": lambda: _coro,
        "async_function()": lambda: _coro(1),
        "async_generator()": lambda: _agen(1),
        "anext(async_generator())": lambda: anext(_agen(1)),
        "asyncio.sleep(0)": lambda: asyncio.sleep(0),
    }
    if not isinstance(predictions, dict) or set(predictions) != set(actual_makers):
        raise Wrong(f"answer with a dict whose keys are exactly {sorted(actual_makers)}")
    unanswered = [expr for expr, guess in predictions.items() if not isinstance(guess, bool)]
    if unanswered:
        raise Wrong(f"replace each None with True or False ({len(unanswered)} of {len(predictions)} left).")
    wrong = []
    for expr, make in actual_makers.items():
        obj = make()
        truth = inspect.isawaitable(obj)
        close = getattr(obj, "close", None)
        if close is not None:  # tidy up: a coroutine never awaited would warn
            close()
        if predictions[expr] is not truth:
            wrong.append(expr)
    if wrong:
        raise Wrong(f"{len(wrong)} of {len(predictions)} predictions are wrong: {', '.join(wrong)}. "
                    "Try inspect.isawaitable() on each (and close() what you create).")
    return f"all {len(predictions)} predictions right."


@exercise("ch01-basket-total")
def check_basket_total(basket_total: Callable[[list[str]], Any]) -> str:
    # Where the facts this exercise needs are taught (chapter 1):
    # - a call without `await` gives a coroutine, not its result, and `+` fails on it:
    #   "Pitfalls" > "Forgetting `await`";
    # - `await` inside `async def` gives the coroutine's return value, and binds tighter
    #   than `+`: "`await` inside a coroutine", "Forgetting `await`".
    if not inspect.iscoroutinefunction(basket_total):
        raise Wrong("basket_total must stay an `async def` function.")
    total = run_in_fresh_loop(lambda: basket_total(["apple", "pear", "apple"]))
    if not isinstance(total, int):
        raise Wrong(f"basket_total returned {total!r}, a {type(total).__name__}; expected a number. "
                    "Did you forget an `await`?")
    if total != 8:
        raise Wrong(f"basket_total(['apple', 'pear', 'apple']) returned {total}, expected 8.")
    return "basket_total(['apple', 'pear', 'apple']) == 8, and every coroutine was awaited."


@exercise("ch01-countdown")
def check_countdown(countdown: Callable[[int], Any]) -> str:
    # Where the facts this exercise needs are taught (chapter 1):
    # - `async def` with `yield` makes an async generator function: "The four kinds";
    # - a generator yields values one at a time from a loop: assumed (the book's readers
    #   know generators), and shown again in "Running the bodies".
    if not inspect.isasyncgenfunction(countdown):
        raise Wrong("countdown should be an async generator function: `async def` with `yield` in its body.")

    async def collect(n: int) -> list[Any]:
        return [value async for value in countdown(n)]

    for n, expected in ((3, [3, 2, 1]), (1, [1]), (0, [])):
        got = run_in_fresh_loop(lambda: collect(n))
        if got != expected:
            raise Wrong(f"countdown({n}) yielded {got}, expected {expected}.")
    return "countdown(3) yields 3, 2, 1 and countdown(0) yields nothing."
