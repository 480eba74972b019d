"""The chapter 5 checkers accept right answers and explain typical wrong ones."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from asyncbook.selfcheck import evaluate
from checking import failed_with


@pytest.fixture(autouse=True)
def no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")


# -- ch05-countdown-class ------------------------------------------------------------

class Countdown:
    def __init__(self, n):
        self.n = n

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.n <= 0:
            raise StopAsyncIteration
        self.n -= 1
        return self.n + 1


def test_countdown_class_right_answer_passes() -> None:
    assert evaluate("ch05-countdown-class", Countdown).passed


def test_countdown_subclassing_async_iterator_passes() -> None:
    class Inherited(AsyncIterator):  # __aiter__ comes from the ABC
        def __init__(self, n):
            self.n = n

        async def __anext__(self):
            if not self.n:
                raise StopAsyncIteration
            self.n -= 1
            return self.n + 1

    assert evaluate("ch05-countdown-class", Inherited).passed


def test_countdown_with_async_aiter_is_refused() -> None:
    class NotesStyle(Countdown):
        async def __aiter__(self):
            return self

    failed_with("ch05-countdown-class", NotesStyle, "__aiter__ is an `async def`", "def __aiter__(self): return self")


def test_countdown_starter_reports_the_async_aiter_first() -> None:
    # The chapter's starter has two bugs: async __aiter__ and StopIteration. The first
    # message is about __aiter__; once that is fixed, the second bug gets its own message.
    class Starter:
        def __init__(self, n):
            self.n = n

        async def __aiter__(self):
            return self

        async def __anext__(self):
            if self.n <= 0:
                raise StopIteration
            self.n -= 1
            return self.n + 1

    failed_with("ch05-countdown-class", Starter, "__aiter__ is an `async def`")

    class HalfFixed(Starter):
        def __aiter__(self):
            return self

    failed_with("ch05-countdown-class", HalfFixed, "coroutine raised StopIteration",
                "StopAsyncIteration, not StopIteration")


def test_countdown_instance_instead_of_class() -> None:
    failed_with("ch05-countdown-class", Countdown(3), "pass the class itself")


def test_countdown_without_anext() -> None:
    class Half:
        def __aiter__(self):
            return self

    failed_with("ch05-countdown-class", Half, "no __anext__")


def test_countdown_aiter_must_return_self() -> None:
    class Fresh(Countdown):
        def __aiter__(self):
            return Countdown(self.n)

    failed_with("ch05-countdown-class", Fresh, "return self")


def test_countdown_plain_anext_returning_a_value() -> None:
    class Plain(Countdown):
        def __anext__(self):
            self.n -= 1
            return self.n + 1

    failed_with("ch05-countdown-class", Plain, "returned a int", "async def __anext__")


def test_countdown_that_never_stops() -> None:
    class Endless(Countdown):
        async def __anext__(self):
            self.n -= 1
            return self.n + 1

    failed_with("ch05-countdown-class", Endless, "never stopped", "raise StopAsyncIteration")


def test_countdown_raising_stopiteration() -> None:
    class Sync(Countdown):
        async def __anext__(self):
            if self.n <= 0:
                raise StopIteration
            self.n -= 1
            return self.n + 1

    failed_with("ch05-countdown-class", Sync, "StopAsyncIteration, not StopIteration")


def test_countdown_off_by_one() -> None:
    class FromTwo(Countdown):
        async def __anext__(self):
            if self.n <= 1:
                raise StopAsyncIteration
            self.n -= 1
            return self.n

    failed_with("ch05-countdown-class", FromTwo, "expected [3, 2, 1]")


def test_countdown_that_restarts_after_finishing() -> None:
    class Restarts(Countdown):
        async def __anext__(self):
            if self.n <= 0:
                self.n = 3
                raise StopAsyncIteration
            self.n -= 1
            return self.n + 1

    failed_with("ch05-countdown-class", Restarts, "keep raising it")


# -- ch05-take -----------------------------------------------------------------------

async def take(aiterable, n):
    if n <= 0:
        return
    count = 0
    async for item in aiterable:
        yield item
        count += 1
        if count == n:
            return


def test_take_right_answer_passes() -> None:
    assert evaluate("ch05-take", take).passed


def test_take_with_anext_and_default_passes() -> None:
    async def take_anext(aiterable, n):
        it = aiter(aiterable)
        for _ in range(n):
            item = await anext(it, None)
            if item is None:
                return
            yield item

    assert evaluate("ch05-take", take_anext).passed


def test_take_pulling_one_too_many() -> None:
    async def greedy(aiterable, n):
        count = 0
        async for item in aiterable:
            if count == n:
                break
            yield item
            count += 1

    failed_with("ch05-take", greedy, "took 4 potatoes from the source to yield 3")


def test_take_that_ignores_n() -> None:
    async def all_of_it(aiterable, n):
        async for item in aiterable:
            yield item

    failed_with("ch05-take", all_of_it, "yielded [Potato(#1), Potato(#2), Potato(#3), Potato(#4), Potato(#5)]")


def test_take_letting_stopasynciteration_escape() -> None:
    async def unguarded(aiterable, n):
        it = aiter(aiterable)
        for _ in range(n):
            yield await anext(it)

    failed_with("ch05-take", unguarded, "RuntimeError", "anext(iterator, default)")


def test_take_only_for_async_iterators() -> None:
    async def iterator_only(aiterable, n):
        for _ in range(n):
            yield await aiterable.__anext__()

    failed_with("ch05-take", iterator_only, "AttributeError")


def test_take_must_be_an_async_generator() -> None:
    async def collects(aiterable, n):
        return [x async for x in aiterable][:n]

    failed_with("ch05-take", collects, "async generator function")


# -- ch05-batched --------------------------------------------------------------------

async def batched(aiterable, size):
    if size < 1:
        raise ValueError("size must be at least 1")
    batch = []
    async for item in aiterable:
        batch.append(item)
        if len(batch) == size:
            yield tuple(batch)
            batch = []
    if batch:
        yield tuple(batch)


def test_batched_right_answer_passes() -> None:
    assert evaluate("ch05-batched", batched).passed


def test_batched_yielding_lists() -> None:
    async def lists(aiterable, size):
        async for b in batched(aiterable, size):
            yield list(b)

    failed_with("ch05-batched", lists, "yield tuples")


def test_batched_dropping_the_last_short_batch() -> None:
    async def drops(aiterable, size):
        batch = []
        async for item in aiterable:
            batch.append(item)
            if len(batch) == size:
                yield tuple(batch)
                batch = []

    failed_with("ch05-batched", drops, "batched(<5 potatoes>, 2)", "shorter batch")


def test_batched_yielding_an_empty_last_batch() -> None:
    async def empty_tail(aiterable, size):
        batch = []
        async for item in aiterable:
            batch.append(item)
            if len(batch) == size:
                yield tuple(batch)
                batch = []
        yield tuple(batch)

    failed_with("ch05-batched", empty_tail, "never an empty one")


def test_batched_that_reads_everything_first() -> None:
    async def eager(aiterable, size):
        if size < 1:
            raise ValueError
        items = [x async for x in aiterable]
        for i in range(0, len(items), size):
            yield tuple(items[i:i + size])

    failed_with("ch05-batched", eager, "never yielded its first batch")


def test_batched_without_a_size_check() -> None:
    async def unchecked(aiterable, size):
        batch = []
        async for item in aiterable:
            batch.append(item)
            if len(batch) == size:
                yield tuple(batch)
                batch = []
        if batch:
            yield tuple(batch)

    failed_with("ch05-batched", unchecked, "should raise ValueError")


# -- ch05-buyer ----------------------------------------------------------------------

async def buy(potatoes, n):
    bought = []
    async with contextlib.aclosing(potatoes):
        while len(bought) < n:
            bought.append(await anext(potatoes))
    return bought


def test_buyer_right_answer_passes() -> None:
    assert evaluate("ch05-buyer", buy).passed


def test_buyer_taking_one_too_many() -> None:
    async def buy_aclose(potatoes, n):
        bought = []
        try:
            async for potato in potatoes:
                if len(bought) == n:
                    break
                bought.append(potato)
        finally:
            await potatoes.aclose()
        return bought

    # closes properly, but takes one potato too many before noticing it has enough
    failed_with("ch05-buyer", buy_aclose, "took 4 potatoes from the shop to keep 3")


def test_buyer_without_closing_is_refused() -> None:
    async def starter(potatoes, n):
        bought = []
        async for potato in potatoes:
            bought.append(potato)
            if len(bought) == n:
                break
        return bought

    failed_with("ch05-buyer", starter, "still open", "aclosing")


def test_buyer_closing_but_wrong_for_zero() -> None:
    async def closes(potatoes, n):
        bought = []
        async with contextlib.aclosing(potatoes):
            async for potato in potatoes:
                bought.append(potato)
                if len(bought) >= n:
                    break
        return bought

    failed_with("ch05-buyer", closes, "buy(shop, 0) returned [Potato(#1)]", "count before")


def test_buyer_that_never_stops_for_zero() -> None:
    async def closes(potatoes, n):
        bought = []
        async with contextlib.aclosing(potatoes):
            async for potato in potatoes:
                bought.append(potato)
                if len(bought) == n:  # never true for n == 0
                    break
        return bought

    failed_with("ch05-buyer", closes, "buy(shop, 0) never returned")


def test_buyer_must_be_async() -> None:
    failed_with("ch05-buyer", lambda potatoes, n: [], "coroutine function")
