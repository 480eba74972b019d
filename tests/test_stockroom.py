"""Unit tests for asyncbook.stockroom: round trips suspend, remove does not check, bad input."""

from __future__ import annotations

import asyncio

import pytest

from asyncbook.stockroom import Stockroom


def test_repr_and_level_are_deterministic() -> None:
    room = Stockroom({"lamp": 2, "desk": 0})
    assert repr(room) == "Stockroom({'lamp': 2, 'desk': 0})"
    assert room.level("lamp") == 2
    assert room.calls == 0


def test_count_and_remove_are_round_trips() -> None:
    room = Stockroom({"lamp": 2})

    async def main() -> list[int]:
        before = await room.count("lamp")
        await room.remove("lamp", 2)
        return [before, await room.count("lamp")]

    assert asyncio.run(main()) == [2, 0]
    assert room.calls == 3


def test_each_call_suspends_so_a_check_then_act_races() -> None:
    """The race the chapter shows: two sales both see 1 lamp; without a lock, stock goes to -1."""
    room = Stockroom({"lamp": 1})

    async def sell() -> bool:
        if await room.count("lamp") >= 1:
            await room.remove("lamp")
            return True
        return False

    async def main() -> list[bool]:
        return list(await asyncio.gather(sell(), sell()))

    assert asyncio.run(main()) == [True, True]
    assert room.level("lamp") == -1


def test_a_lock_around_check_and_act_prevents_the_race() -> None:
    room = Stockroom({"lamp": 1})

    async def main() -> list[bool]:
        lock = asyncio.Lock()

        async def sell() -> bool:
            async with lock:
                if await room.count("lamp") >= 1:
                    await room.remove("lamp")
                    return True
            return False

        return list(await asyncio.gather(sell(), sell()))

    assert asyncio.run(main()) == [True, False]
    assert room.level("lamp") == 0


def test_other_tasks_run_during_a_round_trip() -> None:
    room = Stockroom({"lamp": 1})
    order: list[str] = []

    async def reader() -> None:
        order.append("count starts")
        await room.count("lamp")
        order.append("count ends")

    async def other() -> None:
        order.append("other runs")

    async def main() -> None:
        await asyncio.gather(reader(), other())

    asyncio.run(main())
    assert order == ["count starts", "other runs", "count ends"]


@pytest.mark.parametrize("stock, error, fragment", [
    ([("lamp", 1)], TypeError, "mapping"),
    ({"": 1}, TypeError, "non-empty str"),
    ({3: 1}, TypeError, "non-empty str"),
    ({"lamp": -1}, ValueError, "at least 0"),
    ({"lamp": 1.5}, TypeError, "must be an int"),
    ({"lamp": True}, TypeError, "must be an int"),
])
def test_bad_stock_is_refused(stock, error, fragment) -> None:
    with pytest.raises(error, match=fragment):
        Stockroom(stock)


@pytest.mark.parametrize("latency, error", [("0.1", TypeError), (True, TypeError), (-0.1, ValueError), (11, ValueError)])
def test_bad_latency_is_refused(latency, error) -> None:
    with pytest.raises(error, match="latency"):
        Stockroom({"lamp": 1}, latency=latency)


def test_unknown_items_and_bad_counts_are_refused() -> None:
    room = Stockroom({"lamp": 1})
    with pytest.raises(KeyError, match="no item 'desk'"):
        room.level("desk")
    with pytest.raises(KeyError, match="no item 'desk'"):
        asyncio.run(room.count("desk"))
    with pytest.raises(ValueError, match="n must be at least 1"):
        asyncio.run(room.remove("lamp", 0))
    with pytest.raises(TypeError, match="n must be an int"):
        asyncio.run(room.remove("lamp", 1.0))
    assert room.calls == 0  # refused before any round trip
