"""An in-memory stockroom whose reads and writes *await*, like calls to a database.

Chapter 8 needs a race that async code really has: a check ("is there enough stock?") and an
act ("take it") with an ``await`` between them. With a plain ``dict`` there is no ``await`` to
race through, and with a real database the notebook would need a server. This class has the
shape of a database client and none of that:

- :meth:`Stockroom.count` and :meth:`Stockroom.remove` each suspend the caller for
  ``latency`` seconds (``0`` still suspends once, like any real round trip), so other tasks
  run between a read and a write;
- :meth:`Stockroom.remove` does not check the level, as an ``UPDATE`` without a constraint
  would not: an oversold item shows as a negative level instead of an error, which is what a
  race looks like in production;
- :attr:`Stockroom.calls` counts the round trips, so a check can tell whether a task went to
  the stockroom at all.

It is deterministic: with ``latency=0`` every call suspends for exactly one turn of the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

__all__ = ["Stockroom"]


def _check_item(item: object) -> str:
    if not isinstance(item, str) or not item:
        raise TypeError(f"an item is named by a non-empty str such as 'lamp', got {item!r}")
    return item


def _check_count(name: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


class Stockroom:
    """Stock levels of named items; every read and write is an awaited round trip.

    :param stock: the starting level of each item, such as ``{"lamp": 1}``.
    :param latency: seconds each round trip takes (``0``: one turn of the event loop).
    """

    def __init__(self, stock: Mapping[str, int], *, latency: float = 0.0) -> None:
        if not isinstance(stock, Mapping):
            raise TypeError(f"stock must be a mapping such as {{'lamp': 1}}, got {type(stock).__name__}")
        if isinstance(latency, bool) or not isinstance(latency, (int, float)):
            raise TypeError(f"latency must be a number of seconds, got {type(latency).__name__}")
        if not 0 <= latency <= 10:
            raise ValueError(f"latency must be between 0 and 10 seconds, got {latency}")
        self._stock = {_check_item(item): _check_count(f"stock[{item!r}]", level, minimum=0)
                       for item, level in stock.items()}
        self.latency = float(latency)
        self.calls = 0

    def _known(self, item: object) -> str:
        _check_item(item)
        if item not in self._stock:
            raise KeyError(f"no item {item!r} in this stockroom; it has {sorted(self._stock)}")
        return item  # type: ignore[return-value]

    async def _round_trip(self) -> None:
        self.calls += 1
        await asyncio.sleep(self.latency)

    async def count(self, item: str) -> int:
        """How many *item* are in stock, as read at the end of the round trip."""
        self._known(item)
        await self._round_trip()
        return self._stock[item]

    async def remove(self, item: str, n: int = 1) -> None:
        """Take *n* of *item* out of stock, without checking the level (that is the caller's job)."""
        self._known(item)
        _check_count("n", n, minimum=1)
        await self._round_trip()
        self._stock[item] -= n

    def level(self, item: str) -> int:
        """The level of *item* now, without a round trip: for printing, not for deciding."""
        return self._stock[self._known(item)]

    def __repr__(self) -> str:
        return f"Stockroom({self._stock!r})"
