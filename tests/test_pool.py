"""Unit tests for asyncbook.pool: lending, waiting, the log, fetching rows and bad input."""

from __future__ import annotations

import asyncio

import pytest

from asyncbook.pool import Connection, Pool, PoolEvent

SCORES = [("ann", 3), ("bob", 5), ("cy", 2), ("di", 7), ("ed", 1)]


def lines(pool: Pool) -> list[str]:
    return [str(event) for event in pool.log]


def test_repr_is_deterministic() -> None:
    pool = Pool(3)
    assert repr(pool) == "Pool(size=3, in_use=0, max_in_use=0)"
    assert repr(Connection(pool, "conn-1")) == "Connection('conn-1', idle)"


def test_acquire_and_release_are_logged_in_order() -> None:
    pool = Pool(2)

    async def main() -> list[str]:
        conn = await pool.acquire("ann")
        assert repr(conn) == "Connection('conn-1', holder='ann')"
        assert repr(pool) == "Pool(size=2, in_use=1, max_in_use=1)"
        await pool.release(conn)
        return [repr(conn), repr(pool)]

    assert asyncio.run(main()) == ["Connection('conn-1', idle)", "Pool(size=2, in_use=0, max_in_use=1)"]
    assert lines(pool) == ["ann acquired conn-1 (1 of 2 in use)", "ann released conn-1 (0 of 2 in use)"]
    assert pool.log[0] == PoolEvent("ann", "acquired", "conn-1", 1, 2)


def test_semaphore_limits_concurrency_and_waiters_go_first_come_first_served() -> None:
    pool = Pool(2, tables={"scores": SCORES})
    holding: list[int] = []

    async def worker(name: str) -> None:
        async with pool.connection(name) as conn:
            holding.append(pool.in_use)
            async for _ in conn.fetch("scores", batch_size=2):
                holding.append(pool.in_use)

    async def main() -> None:
        async with asyncio.TaskGroup() as tg:
            for name in ("ann", "bob", "cy", "di"):
                tg.create_task(worker(name))

    asyncio.run(main())
    assert pool.max_in_use == 2 and max(holding) == 2 and pool.in_use == 0
    assert lines(pool) == [
        "ann acquired conn-1 (1 of 2 in use)",
        "bob acquired conn-2 (2 of 2 in use)",
        "cy waits (2 of 2 in use)",
        "di waits (2 of 2 in use)",
        "ann released conn-1 (1 of 2 in use)",
        "bob released conn-2 (0 of 2 in use)",  # both finished in the same loop step
        "cy acquired conn-1 (1 of 2 in use)",   # the waiters then run in arrival order
        "di acquired conn-2 (2 of 2 in use)",
        "cy released conn-1 (1 of 2 in use)",
        "di released conn-2 (0 of 2 in use)",
    ]


def test_same_program_gives_the_same_log_every_time() -> None:
    def run_once() -> list[str]:
        pool = Pool(2, tables={"scores": SCORES})

        async def worker(name: str, batch: int) -> None:
            async with pool.connection(name) as conn:
                async for _ in conn.fetch("scores", batch_size=batch):
                    pass

        async def main() -> None:
            async with asyncio.TaskGroup() as tg:
                for n, name in enumerate(("a", "b", "c", "d", "e"), start=1):
                    tg.create_task(worker(name, n))

        asyncio.run(main())
        return lines(pool)

    first = run_once()
    assert all(run_once() == first for _ in range(5))


def test_default_who_is_the_task_name() -> None:
    pool = Pool(1)

    async def borrow() -> None:
        async with pool.connection():
            pass

    async def main() -> None:
        await asyncio.create_task(borrow(), name="cleaner")

    asyncio.run(main())
    assert [e.who for e in pool.log] == ["cleaner", "cleaner"]


def test_default_who_outside_a_task_is_main() -> None:
    # Every coroutine that asyncio runs is inside some task, so ask the helper directly.
    assert Pool._default_who() == "main"


def test_connection_is_released_when_the_block_raises() -> None:
    pool = Pool(1)

    async def main() -> None:
        async with pool.connection("ann"):
            raise KeyError("boom")

    with pytest.raises(KeyError):
        asyncio.run(main())
    assert pool.in_use == 0 and pool.log[-1].action == "released"


def test_connection_is_released_when_the_task_is_cancelled() -> None:
    pool = Pool(1)
    inside = []

    async def holder() -> None:
        async with pool.connection("ann"):
            inside.append(True)
            await asyncio.Event().wait()  # forever, until cancelled

    async def main() -> bool:
        task = asyncio.create_task(holder())
        while not inside:
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return task.cancelled()

    assert asyncio.run(main()) is True
    assert pool.in_use == 0 and lines(pool)[-1] == "ann released conn-1 (0 of 1 in use)"


def test_a_waiter_that_is_cancelled_gives_up_and_leaves_the_pool_usable() -> None:
    pool = Pool(1)

    async def main() -> None:
        async with pool.connection("ann"):
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.01):
                    await pool.acquire("bob")
        async with pool.connection("cy"):
            pass

    asyncio.run(main())
    assert lines(pool) == [
        "ann acquired conn-1 (1 of 1 in use)",
        "bob waits (1 of 1 in use)",
        "bob gave up (1 of 1 in use)",
        "ann released conn-1 (0 of 1 in use)",
        "cy acquired conn-1 (1 of 1 in use)",
        "cy released conn-1 (0 of 1 in use)",
    ]


def test_fetch_yields_batches() -> None:
    pool = Pool(1, tables={"scores": SCORES, "empty": []})

    async def main() -> tuple[list, list]:
        async with pool.connection("ann") as conn:
            batches = [rows async for rows in conn.fetch("scores", batch_size=2)]
            nothing = [rows async for rows in conn.fetch("empty")]
        return batches, nothing

    batches, nothing = asyncio.run(main())
    assert batches == [[("ann", 3), ("bob", 5)], [("cy", 2), ("di", 7)], [("ed", 1)]]
    assert nothing == []


def test_fetch_lets_other_tasks_run_between_batches() -> None:
    pool = Pool(2, tables={"t": [(1,), (2,), (3,)]})
    order: list[str] = []

    async def reader(name: str) -> None:
        async with pool.connection(name) as conn:
            async for rows in conn.fetch("t", batch_size=1):
                order.append(f"{name}{rows[0][0]}")

    async def main() -> None:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(reader("a"))
            tg.create_task(reader("b"))

    asyncio.run(main())
    assert order == ["a1", "b1", "a2", "b2", "a3", "b3"]


def test_tables_are_copied() -> None:
    rows = [("ann", 3)]
    pool = Pool(1, tables={"scores": rows})
    rows.append(("bob", 5))
    assert pool.tables == {"scores": (("ann", 3),)}


def test_a_released_connection_refuses_to_fetch() -> None:
    pool = Pool(1, tables={"scores": SCORES})

    async def main() -> Connection:
        async with pool.connection("ann") as conn:
            pass
        return conn

    conn = asyncio.run(main())
    with pytest.raises(RuntimeError, match="conn-1 is back in the pool"):
        conn.fetch("scores")


def test_releasing_inside_the_loop_stops_the_fetch() -> None:
    pool = Pool(1, tables={"scores": SCORES})

    async def main() -> None:
        conn = await pool.acquire("ann")
        async for _ in conn.fetch("scores"):
            await pool.release(conn)

    with pytest.raises(RuntimeError, match="back in the pool"):
        asyncio.run(main())


@pytest.mark.parametrize("size, error, message", [
    (0, ValueError, "at least 1"),
    (-2, ValueError, "at least 1"),
    (1.5, TypeError, "must be an int"),
    ("2", TypeError, "must be an int"),
    (True, TypeError, "must be an int"),
])
def test_bad_size_is_rejected(size: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Pool(size)  # type: ignore[arg-type]


@pytest.mark.parametrize("latency, error", [(-0.1, ValueError), ("0.1", TypeError), (None, TypeError)])
def test_bad_latency_is_rejected(latency: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="latency"):
        Pool(1, latency=latency)  # type: ignore[arg-type]


@pytest.mark.parametrize("tables, message", [
    ([("ann", 3)], "dict of name"),
    ({1: []}, "names must be str"),
    ({"t": "rows"}, "list of rows"),
    ({"t": [["ann", 3]]}, "must be a tuple"),
])
def test_bad_tables_are_rejected(tables: object, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        Pool(1, tables=tables)  # type: ignore[arg-type]


@pytest.mark.parametrize("who, error", [(3, TypeError), ("", ValueError), ("  ", ValueError)])
def test_bad_names_are_rejected_at_the_call(who: object, error: type[Exception]) -> None:
    pool = Pool(1)
    with pytest.raises(error, match="who"):
        pool.connection(who)  # type: ignore[arg-type]
    with pytest.raises(error, match="who"):
        asyncio.run(pool.acquire(who))  # type: ignore[arg-type]
    assert pool.log == [] and pool.in_use == 0


@pytest.mark.parametrize("table, batch_size, error, message", [
    ("nope", 2, ValueError, "no table 'nope'; tables: scores"),
    (3, 2, TypeError, "table must be a str"),
    ("scores", 0, ValueError, "batch_size must be at least 1"),
    ("scores", 2.0, TypeError, "batch_size must be an int"),
])
def test_bad_fetch_arguments_are_rejected_at_the_call(table: object, batch_size: object,
                                                      error: type[Exception], message: str) -> None:
    pool = Pool(1, tables={"scores": SCORES})

    async def main() -> None:
        async with pool.connection("ann") as conn:
            conn.fetch(table, batch_size=batch_size)  # type: ignore[arg-type]

    with pytest.raises(error, match=message):
        asyncio.run(main())


def test_bad_release_is_rejected() -> None:
    pool, other = Pool(1), Pool(1)

    async def main() -> None:
        conn = await pool.acquire("ann")
        with pytest.raises(TypeError, match="takes a Connection"):
            await pool.release("conn-1")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="belongs to another pool"):
            await other.release(conn)
        await pool.release(conn)
        with pytest.raises(ValueError, match="released twice"):
            await pool.release(conn)

    asyncio.run(main())
    assert pool.in_use == 0 and other.log == []


def test_log_is_a_copy() -> None:
    pool = Pool(1)
    asyncio.run(pool.release(asyncio.run(pool.acquire("ann"))))
    pool.log.clear()
    assert len(pool.log) == 2
