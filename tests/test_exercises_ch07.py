"""The chapter 7 checkers accept right answers and explain wrong ones."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager

from asyncbook.selfcheck import evaluate

# -- ch07-announce -------------------------------------------------------------------


class RightAnnounce:
    def __init__(self, name, log):
        self.name = name
        self.log = log

    async def __aenter__(self):
        self.log.append(f"open {self.name}")
        return self

    async def __aexit__(self, exc_type, exc, tb):
        suffix = "" if exc_type is None else f" after {exc_type.__name__}"
        self.log.append(f"close {self.name}{suffix}")


def test_announce_right_answer_passes() -> None:
    result = evaluate("ch07-announce", RightAnnounce)
    assert result.passed, result.message


def test_announce_sync_version_is_refused() -> None:
    class Announce:
        def __init__(self, name, log):
            self.name, self.log = name, log

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            pass

    result = evaluate("ch07-announce", Announce)
    assert not result.passed and "has no __aenter__" in result.message


def test_announce_plain_def_methods_are_refused() -> None:
    class Announce(RightAnnounce):
        def __aexit__(self, exc_type, exc, tb):
            return None

    result = evaluate("ch07-announce", Announce)
    assert not result.passed and "async def __aexit__" in result.message


def test_announce_must_bind_itself() -> None:
    class Announce(RightAnnounce):
        async def __aenter__(self):
            await super().__aenter__()

    result = evaluate("ch07-announce", Announce)
    assert not result.passed and "return self from __aenter__" in result.message


def test_announce_suppressing_is_refused() -> None:
    class Announce(RightAnnounce):
        async def __aexit__(self, exc_type, exc, tb):
            await super().__aexit__(exc_type, exc, tb)
            return True

    result = evaluate("ch07-announce", Announce)
    assert not result.passed and "ValueError was suppressed" in result.message


def test_announce_hard_coded_exception_name_is_caught() -> None:
    class Announce(RightAnnounce):
        async def __aexit__(self, exc_type, exc, tb):
            self.log.append(f"close {self.name}" + ("" if exc_type is None else " after ValueError"))

    result = evaluate("ch07-announce", Announce)
    assert not result.passed and "raised KeyError" in result.message


# -- ch07-transaction ----------------------------------------------------------------


@asynccontextmanager
async def right_transaction(log):
    log.append("begin")
    try:
        yield
    except BaseException:
        log.append("rollback")
        raise
    else:
        log.append("commit")


def test_transaction_right_answer_passes() -> None:
    result = evaluate("ch07-transaction", right_transaction)
    assert result.passed, result.message


def test_transaction_without_try_is_refused() -> None:
    @asynccontextmanager
    async def transaction(log):
        log.append("begin")
        yield
        log.append("commit")

    result = evaluate("ch07-transaction", transaction)
    assert not result.passed and "the code after it never ran" in result.message


def test_transaction_catching_only_exception_misses_cancellation() -> None:
    @asynccontextmanager
    async def transaction(log):
        log.append("begin")
        try:
            yield
        except Exception:
            log.append("rollback")
            raise
        log.append("commit")

    result = evaluate("ch07-transaction", transaction)
    assert not result.passed and "CancelledError is a BaseException" in result.message


def test_transaction_swallowing_errors_is_refused() -> None:
    @asynccontextmanager
    async def transaction(log):
        log.append("begin")
        try:
            yield
        except ValueError:
            log.append("rollback")
        else:
            log.append("commit")

    result = evaluate("ch07-transaction", transaction)
    assert not result.passed and "did not propagate" in result.message


def test_transaction_swallowing_cancellation_is_refused() -> None:
    @asynccontextmanager
    async def transaction(log):
        log.append("begin")
        try:
            yield
        except ValueError:
            log.append("rollback")
            raise
        except asyncio.CancelledError:
            log.append("rollback")  # and no raise
        else:
            log.append("commit")

    result = evaluate("ch07-transaction", transaction)
    assert not result.passed and "swallowed CancelledError" in result.message


def test_transaction_commit_in_finally_is_refused() -> None:
    @asynccontextmanager
    async def transaction(log):
        log.append("begin")
        try:
            yield
        finally:
            log.append("commit")

    result = evaluate("ch07-transaction", transaction)
    assert not result.passed and "expected ['begin', 'rollback']" in result.message


def test_transaction_sync_context_manager_is_refused() -> None:
    @contextmanager
    def transaction(log):
        yield

    result = evaluate("ch07-transaction", transaction)
    assert not result.passed and "@asynccontextmanager" in result.message


def test_transaction_undecorated_async_def_is_refused_without_a_warning() -> None:
    async def transaction(log):
        log.append("begin")

    result = evaluate("ch07-transaction", transaction)
    assert not result.passed and "@asynccontextmanager" in result.message
    assert "never awaited" not in result.message


# -- ch07-broadcast ------------------------------------------------------------------


async def right_broadcast(open_replica, names, message):
    async with AsyncExitStack() as stack:
        replicas = [await stack.enter_async_context(open_replica(name)) for name in names]
        for replica in replicas:
            await replica.send(message)


def test_broadcast_right_answer_passes() -> None:
    result = evaluate("ch07-broadcast", right_broadcast)
    assert result.passed, result.message


def test_broadcast_with_gathered_sends_passes() -> None:
    async def broadcast(open_replica, names, message):
        async with AsyncExitStack() as stack:
            replicas = [await stack.enter_async_context(open_replica(name)) for name in names]
            await asyncio.gather(*(replica.send(message) for replica in reversed(replicas)))

    result = evaluate("ch07-broadcast", broadcast)
    assert result.passed, result.message


def test_broadcast_one_at_a_time_is_refused() -> None:
    async def broadcast(open_replica, names, message):
        for name in names:
            async with open_replica(name) as replica:
                await replica.send(message)

    result = evaluate("ch07-broadcast", broadcast)
    assert not result.passed and "one replica at a time" in result.message


def test_broadcast_that_never_closes_is_refused() -> None:
    async def broadcast(open_replica, names, message):
        replicas = [await open_replica(name).__aenter__() for name in names]
        for replica in replicas:
            await replica.send(message)

    result = evaluate("ch07-broadcast", broadcast)
    assert not result.passed and "closes in reverse order" in result.message


def test_broadcast_swallowing_the_failure_is_refused() -> None:
    async def broadcast(open_replica, names, message):
        try:
            await right_broadcast(open_replica, names, message)
        except ConnectionError:
            pass

    result = evaluate("ch07-broadcast", broadcast)
    assert not result.passed and "did not raise" in result.message


def test_broadcast_must_be_async() -> None:
    result = evaluate("ch07-broadcast", lambda open_replica, names, message: None)
    assert not result.passed and "coroutine function" in result.message


# -- ch07-total-points ---------------------------------------------------------------


async def right_total_points(pool, tables):
    async def points_in(table):
        async with pool.connection() as conn:
            return sum([row[1] async for rows in conn.fetch(table) for row in rows])

    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(points_in(table)) for table in tables]
    return sum(task.result() for task in tasks)


def test_total_points_right_answer_passes() -> None:
    result = evaluate("ch07-total-points", right_total_points)
    assert result.passed, result.message


def test_total_points_with_gather_passes() -> None:
    async def total_points(pool, tables):
        async def points_in(table):
            total = 0
            async with pool.connection() as conn:
                async for rows in conn.fetch(table):
                    total += sum(points for _, points in rows)
            return total

        return sum(await asyncio.gather(*(points_in(t) for t in tables)))

    assert evaluate("ch07-total-points", total_points).passed


def test_total_points_sequential_is_refused() -> None:
    async def total_points(pool, tables):
        total = 0
        for table in tables:
            async with pool.connection() as conn:
                async for rows in conn.fetch(table):
                    total += sum(row[1] for row in rows)
        return total

    result = evaluate("ch07-total-points", total_points)
    assert not result.passed and "read one after another" in result.message


def test_total_points_one_shared_connection_is_refused() -> None:
    async def total_points(pool, tables):
        async with pool.connection() as conn:
            return sum([row[1] for t in tables async for rows in conn.fetch(t) for row in rows])

    result = evaluate("ch07-total-points", total_points)
    assert not result.passed and "expected one per table" in result.message


def test_total_points_leaking_connections_is_refused() -> None:
    async def total_points(pool, tables):
        async def points_in(table):
            conn = await pool.acquire()
            total = sum([row[1] async for rows in conn.fetch(table) for row in rows])
            if table != tables[-1]:  # forgets to give the last one back
                await pool.release(conn)
            return total

        return sum(await asyncio.gather(*(points_in(t) for t in tables)))

    result = evaluate("ch07-total-points", total_points)
    assert not result.passed and "not given back" in result.message


def test_total_points_stuck_waiting_for_a_connection_is_refused() -> None:
    async def total_points(pool, tables):
        async def points_in(table):
            conn = await pool.acquire()  # never given back: with a pool of 1 the others wait forever
            return sum([row[1] async for rows in conn.fetch(table) for row in rows])

        return sum(await asyncio.gather(*(points_in(t) for t in tables)))

    result = evaluate("ch07-total-points", total_points)
    assert not result.passed and "with a pool of 2" in result.message and "never finished" in result.message


def test_total_points_wrong_sum() -> None:
    async def total_points(pool, tables):
        return 20

    result = evaluate("ch07-total-points", total_points)
    assert not result.passed and "expected 21" in result.message
