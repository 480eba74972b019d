"""Checkers for chapter 5, *Async iteration*.

The checkers feed the reader's code from sources that *count* what is taken from
them, so they can check more than the values: that a ``take`` does not pull one item
too many, that ``batched`` hands out each batch as soon as it is full, and that a
buyer closes the shop's generator before it returns.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

from ..potatoes import Potato
from ..selfcheck import Wrong, exercise, run_in_fresh_loop


class _Stock(AsyncIterator):
    """The async iterator behind :class:`_Shelf`: hands out numbered potatoes and counts them."""

    def __init__(self, shelf: _Shelf) -> None:
        self._shelf = shelf

    async def __anext__(self) -> Potato:
        shelf = self._shelf
        if shelf.size is not None and shelf.pulled >= shelf.size:
            raise StopAsyncIteration
        await asyncio.sleep(0)  # a real step: give the loop a turn
        shelf.pulled += 1
        return Potato(shelf.pulled)


class _Shelf:
    """An async *iterable* (not an iterator) of *size* potatoes, or endless if size is None.

    It is deliberately not an async generator, so an answer that only works for
    generators (calling ``.asend`` or ``.__anext__`` on the argument) is caught.
    """

    def __init__(self, size: int | None) -> None:
        self.size = size
        self.pulled = 0

    def __aiter__(self) -> _Stock:
        return _Stock(self)


# An answer that would take from an endless source forever is stopped after this many items
# (each takes a turn of the loop, so this costs milliseconds, on any machine).
_TOO_MANY = 1000
# Real seconds after which a check gives up on an answer that neither finishes nor takes
# items (it waits for something that never comes). Right answers take milliseconds.
_GUARD = 10.0


def _explain_runtime_error(error: RuntimeError) -> None:
    """Turn the RuntimeErrors that replace Stop(Async)Iteration into advice."""
    text = str(error)
    if "StopAsyncIteration" in text:
        raise Wrong(f"your code raised RuntimeError: {text}. A StopAsyncIteration that escapes an async "
                    "generator is turned into this error: loop with `async for`, or use "
                    "`anext(iterator, default)` and stop when you get the default.") from None
    if "StopIteration" in text:
        raise Wrong(f"your code raised RuntimeError: {text}. An async iterator ends by raising "
                    "StopAsyncIteration, not StopIteration.") from None
    raise error


def _collect(make: Callable[[], Any], limit: int) -> Callable[[], Any]:
    """A coroutine factory that collects at most *limit* items from ``make()`` with ``async for``."""

    async def collect() -> tuple[list[Any], bool]:
        items: list[Any] = []
        async for item in make():
            items.append(item)
            if len(items) > limit:
                return items, False  # it did not stop
        return items, True

    return collect


# -- ch05-countdown-class ---------------------------------------------------------
# Facts this exercise needs, and where the book teaches them (chapter 5):
# - `__aiter__` is a plain `def` that returns the iterator; `__anext__` returns an awaitable
#   (an `async def` does): "From `for` to `async for`" (the table, `AsyncWrapper`), and
#   Pitfalls > "`async def __aiter__`";
# - the end is `StopAsyncIteration`, not `StopIteration` (which becomes a `RuntimeError` in
#   a coroutine): "From `for` to `async for`" (the table, and the paragraph after the third
#   step by hand);
# - a used-up iterator stays used up: "`AsyncIterable` and `AsyncIterator`" (the `Sack`).
@exercise("ch05-countdown-class")
def check_countdown_class(countdown: Any) -> str:
    if not inspect.isclass(countdown):
        raise Wrong("pass the class itself: check('ch05-countdown-class', Countdown), without calling it.")
    for name in ("__aiter__", "__anext__"):
        if not callable(getattr(countdown, name, None)):
            raise Wrong(f"Countdown has no {name} method: an async iterator needs both __aiter__ and __anext__.")
    if inspect.iscoroutinefunction(countdown.__aiter__):
        raise Wrong("__aiter__ is an `async def`, so calling it returns a coroutine, not an iterator, and "
                    "`async for` raises TypeError. Make it a plain method: `def __aiter__(self): return self`.")
    it = countdown(2)
    if it.__aiter__() is not it:
        raise Wrong("Countdown(2).__aiter__() should return the iterator itself: `return self`.")

    async def protocol() -> tuple[list[Any], str | None]:
        it = countdown(3)
        values: list[Any] = []
        for _ in range(10):
            try:
                step = it.__anext__()
            except StopAsyncIteration:
                return values, "__anext__ raised StopAsyncIteration itself instead of returning an awaitable"
            if not inspect.isawaitable(step):
                return values, f"__anext__ returned a {type(step).__name__}, which cannot be awaited"
            try:
                values.append(await step)
            except StopAsyncIteration:
                break
        else:
            return values, "never stopped"
        try:
            await it.__anext__()
        except StopAsyncIteration:
            return values, None
        return values, "gave another value after it had finished"

    try:
        values, problem = run_in_fresh_loop(protocol)
    except RuntimeError as error:
        _explain_runtime_error(error)
        raise
    if problem == "never stopped":
        raise Wrong(f"Countdown(3) never stopped (first values: {values[:5]}). When the count reaches 0, "
                    "`raise StopAsyncIteration`.")
    if problem is not None and problem.startswith("__anext__"):
        raise Wrong(f"{problem}. Write it as `async def __anext__(self)`: async for awaits what it returns.")
    if values != [3, 2, 1]:
        raise Wrong(f"Countdown(3) gave {values}, expected [3, 2, 1].")
    if problem is not None:
        raise Wrong(f"Countdown(3) {problem}: once it has raised StopAsyncIteration it should keep raising it.")
    for n, expected in ((1, [1]), (0, [])):
        got, stopped = run_in_fresh_loop(_collect(lambda: countdown(n), 5))
        if not stopped or got != expected:
            raise Wrong(f"`async for` over Countdown({n}) gave {got}{'' if stopped else '...'}, expected {expected}.")
    return "plain __aiter__ returning self, awaitable __anext__, 3, 2, 1, then StopAsyncIteration."


# -- ch05-take --------------------------------------------------------------------
# Facts this exercise needs, and where the book teaches them (chapter 5):
# - an async generator is an `async def` with `yield`; a bare `return` ends it: "Async
#   generators";
# - `async for` asks the source for the next item (awaits `__anext__`) at the top of every
#   round, so a check after asking has already taken one item more: "From `for` to
#   `async for`" (the `while True` expansion of `async for`);
# - `n = 0` means asking for nothing: plain Python.
@exercise("ch05-take")
def check_take(take: Any) -> str:
    if not inspect.isasyncgenfunction(take):
        raise Wrong("take should be an async generator function: `async def` with `yield` in its body.")
    cases = ((5, 3), (2, 5), (5, 0), (None, 4))
    for size, n in cases:
        shelf = _Shelf(size)
        what = f"take(<{'endless' if size is None else size} potatoes>, {n})"
        try:
            got, stopped = run_in_fresh_loop(_collect(lambda: take(shelf, n), n + 5))
        except RuntimeError as error:
            _explain_runtime_error(error)
            raise
        expected = Potato.make(min(n, size if size is not None else n))
        if not stopped:
            raise Wrong(f"{what} did not stop after {n} items: yield at most n items.")
        if got != expected:
            raise Wrong(f"{what} yielded {got}, expected {expected}.")
        if shelf.pulled > len(expected):
            raise Wrong(f"{what} took {shelf.pulled} potatoes from the source to yield {len(expected)}: "
                        "stop right after yielding the n-th item, before asking the source for another "
                        "(and take nothing at all when n is 0).")
    return "take yields the first n items, stops early for short sources and pulls nothing extra."


# -- ch05-batched -----------------------------------------------------------------
# Facts this exercise needs, and where the book teaches them (chapter 5):
# - async generators and `async for` over any async iterable: "Async generators";
# - calling an async generator function runs none of its body, so an error it raises comes at
#   the first step: "Async comprehensions" (the round-bracket form: "making an async generator
#   runs none of its code");
# - tuples, `len`, `ValueError`, what is left after a loop: plain Python.
@exercise("ch05-batched")
def check_batched(batched: Any) -> str:
    if not inspect.isasyncgenfunction(batched):
        raise Wrong("batched should be an async generator function: `async def` with `yield` in its body.")
    p = Potato.make(5)
    cases = ((5, 2, [tuple(p[0:2]), tuple(p[2:4]), (p[4],)]),
             (4, 2, [tuple(p[0:2]), tuple(p[2:4])]),
             (3, 1, [(p[0],), (p[1],), (p[2],)]),
             (3, 5, [tuple(p[0:3])]),
             (0, 3, []))
    for size, batch, expected in cases:
        what = f"batched(<{size} potatoes>, {batch})"
        try:
            got, stopped = run_in_fresh_loop(_collect(lambda: batched(_Shelf(size), batch), 10))
        except RuntimeError as error:
            _explain_runtime_error(error)
            raise
        if got and all(isinstance(b, list) for b in got) and [tuple(b) for b in got] == expected:
            raise Wrong(f"{what} yielded lists; yield tuples, as itertools.batched does: tuple(batch).")
        if not stopped or got != expected:
            raise Wrong(f"{what} yielded {got}{'' if stopped else '...'}, expected {expected}. "
                        "A last, shorter batch is yielded too, but never an empty one.")

    endless = _Shelf(None)

    async def first_batch() -> tuple[bool, Any]:
        # An answer that collects the whole source first keeps taking potatoes and never yields:
        # it is told apart by how many it took, not by how long it took.
        gen = batched(endless, 2)
        step = asyncio.ensure_future(anext(gen))
        while not step.done() and endless.pulled <= _TOO_MANY:
            await asyncio.sleep(0)
        if not step.done():
            step.cancel()
            await asyncio.gather(step, return_exceptions=True)
            await gen.aclose()
            return False, None
        await gen.aclose()
        return True, step.result()

    yielded, first = run_in_fresh_loop(first_batch, timeout=_GUARD)
    if not yielded:
        raise Wrong(f"batched(<endless potatoes>, 2) never yielded its first batch (it had taken {endless.pulled} "
                    "potatoes): yield each batch as soon as it is full, do not collect the whole source first.")
    if first != tuple(p[0:2]) or endless.pulled != 2:
        raise Wrong(f"the first batch of an endless source was {first!r} after taking {endless.pulled} items; "
                    f"expected {tuple(p[0:2])} after taking 2.")

    async def bad_size() -> str:
        gen = batched(_Shelf(3), 0)
        try:
            await anext(gen, None)
        except ValueError:
            return "ValueError"
        finally:
            await gen.aclose()
        return "no error"

    if run_in_fresh_loop(bad_size) != "ValueError":
        raise Wrong("batched(<3 potatoes>, 0) should raise ValueError (a batch needs at least 1 item), "
                    "instead of looping forever or yielding empty batches.")
    return "full batches as tuples, a shorter last one, each as soon as it is full, and size < 1 refused."


# -- ch05-buyer -------------------------------------------------------------------
# Facts this exercise needs, and where the book teaches them (chapter 5):
# - leaving an `async for` early leaves the generator open; `await gen.aclose()` or
#   `async with contextlib.aclosing(gen):` runs its `finally` now: "Cleaning up: leaving an
#   async generator early";
# - `await anext(it)` takes exactly one item: "`aiter()` and `anext()`";
# - checking the count before taking (so `n = 0` takes nothing): "From `for` to `async for`"
#   (the expansion: the item is taken before the body runs).

class _ShopDoor:
    """An endless shop that counts the potatoes it sold."""

    def __init__(self) -> None:
        self.sold = 0

    async def potatoes(self) -> Any:
        while True:
            await asyncio.sleep(0)
            self.sold += 1
            yield Potato(self.sold)


@exercise("ch05-buyer")
def check_buyer(buy: Any) -> str:
    if not inspect.iscoroutinefunction(buy):
        raise Wrong("buy should be a coroutine function: `async def buy(potatoes, n)` that returns a list.")
    for n in (3, 1, 0):
        door = _ShopDoor()
        shop = door.potatoes()  # held here, so only buy() can close it before the check below

        async def scenario() -> tuple[bool, Any, bool]:
            # An answer that does not stop keeps buying: it is told apart by how many potatoes
            # it took, not by how long it took.
            buying = asyncio.ensure_future(buy(shop, n))
            while not buying.done() and door.sold <= n + _TOO_MANY:
                await asyncio.sleep(0)
            if not buying.done():
                buying.cancel()
                await asyncio.gather(buying, return_exceptions=True)
                return False, None, False
            # Closed (or finished) when buy() returned? A generator that was closed has no
            # frame any more; this also covers n == 0, where it may never have started.
            return True, buying.result(), shop.ag_frame is None

        returned, bought, closed = run_in_fresh_loop(scenario, timeout=_GUARD)
        if not returned:
            raise Wrong(f"buy(shop, {n}) never returned (it had taken {door.sold} potatoes): the shop never runs "
                        "out, so stop after n potatoes.")
        expected = Potato.make(n)
        if bought != expected:
            hint = " Check the count before taking a potato." if n == 0 else ""
            raise Wrong(f"buy(shop, {n}) returned {bought!r}, expected {expected!r}.{hint}")
        if door.sold > n:
            raise Wrong(f"buy(shop, {n}) took {door.sold} potatoes from the shop to keep {n}: stop before taking another.")
        if not closed:
            raise Wrong(f"buy(shop, {n}) returned the right potatoes, but the shop's generator was still open: its "
                        "`finally` had not run. Close it before returning: `async with contextlib.aclosing(potatoes):` "
                        "around the loop, or `await potatoes.aclose()`.")
    return "buy takes exactly n potatoes and closes the shop's generator before it returns."
