"""An in-memory connection pool: ``async with pool.connection() as conn`` without a database.

Chapter 7 needs something worth managing with ``async with``: a resource that is
scarce, must be given back, and whose use involves waiting. A database
connection pool is the classic case, but a real database would make the
notebooks slow, flaky and dependent on a server. This pool has the same shape
and none of that:

- at most ``size`` connections are lent out at once, enforced by an
  :class:`asyncio.Semaphore`; a task that asks for one more *waits* (it does not
  fail), exactly like the pools of real database drivers;
- every wait, acquire and release is recorded in :attr:`Pool.log`, in order, so a
  notebook can print *who held which connection when* without printing times
  (which would change from run to run);
- a connection reads rows from in-memory tables in batches
  (:meth:`Connection.fetch` is an async iterator), pausing ``latency`` seconds
  per batch as if waiting for the network.

It is deterministic: connections are handed out first-in first-out, and the
semaphore lets waiters in the order they arrived, so the same program always
produces the same log.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = ["Pool", "Connection", "PoolEvent"]

Action = Literal["waits", "acquired", "gave up", "released"]


@dataclass(frozen=True)
class PoolEvent:
    """One line of a pool's log: *who* did *action* (with *connection*), leaving *in_use* lent out."""

    who: str
    action: Action
    connection: str | None
    in_use: int
    size: int

    def __str__(self) -> str:
        what = f"{self.action} {self.connection}" if self.connection else self.action
        return f"{self.who} {what} ({self.in_use} of {self.size} in use)"


def _check_name(who: object) -> None:
    if not isinstance(who, str):
        raise TypeError(f"who must be a str naming the borrower, such as 'ann', got {type(who).__name__}")
    if not who.strip():
        raise ValueError("who must be a non-empty name, such as 'ann'")


def _check_positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")


class Connection:
    """A pretend database connection, lent out by a :class:`Pool`.

    Only a pool creates connections. A connection knows who holds it, and refuses
    to work once it is back in the pool: code that keeps using a connection after
    releasing it is a real bug (another task may be using it by then), and the
    error points it out instead of letting it pass silently.
    """

    def __init__(self, pool: Pool, name: str) -> None:
        self._pool = pool
        self.name = name
        self.holder: str | None = None

    def __repr__(self) -> str:
        state = f"holder={self.holder!r}" if self.holder is not None else "idle"
        return f"Connection({self.name!r}, {state})"

    def fetch(self, table: str, *, batch_size: int = 2) -> AsyncIterator[list[tuple]]:
        """Return an async iterator over the rows of *table*, ``batch_size`` rows at a time.

        Use it with ``async for rows in conn.fetch("scores"):``. Each batch first
        waits the pool's ``latency``, like a round trip to a server; meanwhile other
        tasks run. This is a plain method returning an async generator (rather than
        an ``async def`` with ``yield``) so that a wrong table name or batch size is
        reported here, at the call, not later at the first ``async for`` step.
        """
        if not isinstance(table, str):
            raise TypeError(f"table must be a str such as 'scores', got {type(table).__name__}")
        if table not in self._pool.tables:
            known = ", ".join(sorted(self._pool.tables)) or "none"
            raise ValueError(f"no table {table!r}; tables: {known}")
        _check_positive_int("batch_size", batch_size)
        self._check_held()
        return self._batches(self._pool.tables[table], batch_size)

    async def _batches(self, rows: tuple[tuple, ...], batch_size: int) -> AsyncIterator[list[tuple]]:
        for start in range(0, len(rows), batch_size):
            await asyncio.sleep(self._pool.latency)
            self._check_held()  # released while iterating? stop with a clear error
            yield list(rows[start:start + batch_size])

    def _check_held(self) -> None:
        if self.holder is None:
            raise RuntimeError(f"{self.name} is back in the pool: use a connection only inside "
                               "`async with pool.connection() as conn:`")


class Pool:
    """Lend out at most *size* connections at a time; borrowers beyond that wait their turn.

    :param size: how many connections exist; the most that can be in use at once.
    :param tables: the pretend database, table name -> rows (each row a tuple).
    :param latency: seconds each :meth:`Connection.fetch` batch waits, like a network
        round trip. ``0`` still lets other tasks run between batches.

    Use one pool inside one event loop (one ``asyncio.run``, or one notebook kernel):
    like every asyncio primitive, its semaphore belongs to the loop that first waits on it.

    >>> pool = Pool(2, tables={"scores": [("ann", 3)]})
    >>> pool
    Pool(size=2, in_use=0, max_in_use=0)
    """

    def __init__(self, size: int = 2, *, tables: Mapping[str, Sequence[tuple]] | None = None,
                 latency: float = 0.0) -> None:
        _check_positive_int("size", size)
        if isinstance(latency, bool) or not isinstance(latency, (int, float)):
            raise TypeError(f"latency must be a number of seconds such as 0.1, got {type(latency).__name__}")
        if latency < 0:
            raise ValueError(f"latency must be 0 or more seconds, got {latency}")
        self.size = size
        self.latency = float(latency)
        self.tables: dict[str, tuple[tuple, ...]] = self._copy_tables({} if tables is None else tables)
        self._semaphore = asyncio.Semaphore(size)
        self._idle: deque[Connection] = deque(Connection(self, f"conn-{n}") for n in range(1, size + 1))
        self._log: list[PoolEvent] = []
        self._max_in_use = 0

    @staticmethod
    def _copy_tables(tables: object) -> dict[str, tuple[tuple, ...]]:
        """Copy the tables so later changes to the caller's lists cannot alter the 'database'."""
        if not isinstance(tables, Mapping):
            raise TypeError(f"tables must be a dict of name -> list of rows, got {type(tables).__name__}")
        copied = {}
        for name, rows in tables.items():
            if not isinstance(name, str):
                raise TypeError(f"table names must be str, got {type(name).__name__} {name!r}")
            if isinstance(rows, (str, bytes)) or not isinstance(rows, Sequence):
                raise TypeError(f"table {name!r} must be a list of rows (tuples), got {type(rows).__name__}")
            if not all(isinstance(row, tuple) for row in rows):
                raise TypeError(f"each row of table {name!r} must be a tuple, such as ('ann', 3)")
            copied[name] = tuple(rows)
        return copied

    def __repr__(self) -> str:
        return f"Pool(size={self.size}, in_use={self.in_use}, max_in_use={self.max_in_use})"

    @property
    def in_use(self) -> int:
        """How many connections are lent out right now."""
        return self.size - len(self._idle)

    @property
    def max_in_use(self) -> int:
        """The most connections that were ever lent out at the same time (never above ``size``)."""
        return self._max_in_use

    @property
    def log(self) -> list[PoolEvent]:
        """The events so far, oldest first (a copy: the pool's own record cannot be edited)."""
        return list(self._log)

    def _record(self, who: str, action: Action, connection: Connection | None = None) -> None:
        name = None if connection is None else connection.name
        self._log.append(PoolEvent(who, action, name, self.in_use, self.size))

    @staticmethod
    def _default_who() -> str:
        try:
            task = asyncio.current_task()
        except RuntimeError:  # no event loop running at all
            task = None
        return task.get_name() if task is not None else "main"

    async def acquire(self, who: str | None = None) -> Connection:
        """Wait for a free connection and lend it to *who*; give it back with :meth:`release`.

        *who* names the borrower in the log; by default the current task's name.
        (Unnamed tasks are called ``Task-<number>`` with a number that changes from
        run to run: name your tasks, or pass *who*, for a repeatable log.)

        Prefer ``async with pool.connection()``, which cannot forget to release.
        """
        who = self._default_who() if who is None else who
        _check_name(who)
        if self._semaphore.locked():
            self._record(who, "waits")
        try:
            await self._semaphore.acquire()
        except asyncio.CancelledError:
            self._record(who, "gave up")
            raise
        connection = self._idle.popleft()
        connection.holder = who
        self._max_in_use = max(self._max_in_use, self.in_use)
        self._record(who, "acquired", connection)
        return connection

    async def release(self, connection: Connection) -> None:
        """Give *connection* back, so the next waiting borrower (if any) can have it.

        It is ``async`` because with a real database giving a connection back may
        talk to the server (to roll back an unfinished transaction, say). Here it
        never suspends, so it completes even in a ``finally`` of a task that is
        being cancelled.
        """
        if not isinstance(connection, Connection):
            raise TypeError(f"release() takes a Connection from acquire(), got {type(connection).__name__}")
        if connection._pool is not self:
            raise ValueError(f"{connection.name} belongs to another pool: release it to the pool it came from")
        if connection.holder is None:
            raise ValueError(f"{connection.name} is not in use: was it released twice?")
        who, connection.holder = connection.holder, None
        self._idle.append(connection)
        self._record(who, "released", connection)
        self._semaphore.release()

    def connection(self, who: str | None = None) -> contextlib.AbstractAsyncContextManager[Connection]:
        """``async with pool.connection("ann") as conn:`` borrows a connection for the block.

        The connection goes back to the pool when the block ends, however it ends:
        normally, by an exception, or because the task was cancelled.
        *who* is checked now, at the call, so a bad name fails where it is written.
        """
        if who is not None:
            _check_name(who)
        return self._lease(who)

    @contextlib.asynccontextmanager
    async def _lease(self, who: str | None) -> AsyncIterator[Connection]:
        connection = await self.acquire(who)
        try:
            yield connection
        finally:
            await self.release(connection)
