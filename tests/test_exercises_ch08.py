"""The chapter 8 checkers accept right answers and explain typical wrong ones.

The fakes take one loop turn per call (asyncio.sleep(0)), so none of these tests depends on
timing; only the answers that hang wait, for the checkers' one-second guard.
"""

from __future__ import annotations

import asyncio

import pytest

from asyncbook.selfcheck import evaluate
from checking import failed_with


@pytest.fixture(autouse=True)
def no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")


# -- ch08-sell ------------------------------------------------------------------------------------
async def sell_locked(room, lock, item, n):
    async with lock:
        if await room.count(item) >= n:
            await room.remove(item, n)
            return True
    return False


def test_sell_with_lock_passes() -> None:
    result = evaluate("ch08-sell", sell_locked)
    assert result.passed, result.message


def test_sell_without_lock_oversells() -> None:
    async def sell(room, lock, item, n):
        if await room.count(item) >= n:
            await room.remove(item, n)
            return True
        return False

    failed_with("ch08-sell", sell, "oversold", "async with lock:")


def test_sell_locking_only_the_act_still_oversells() -> None:
    async def sell(room, lock, item, n):
        if await room.count(item) >= n:
            async with lock:
                await room.remove(item, n)
            return True
        return False

    failed_with("ch08-sell", sell, "oversold")


def test_sell_that_compares_with_one() -> None:
    async def sell(room, lock, item, n):
        async with lock:
            if await room.count(item) >= 1:
                await room.remove(item, n)
                return True
        return False

    failed_with("ch08-sell", sell, "3 buyers of 2 lamps")


def test_sell_that_never_releases() -> None:
    async def sell(room, lock, item, n):
        await lock.acquire()
        if await room.count(item) >= n:
            await room.remove(item, n)
            return True
        return False

    # The second sale waits for ever for the lock: the guard stops it.
    failed_with("ch08-sell", sell, "never finished", "Does every sale release it?")


def test_sell_must_be_async() -> None:
    failed_with("ch08-sell", lambda room, lock, item, n: True, "`async def`")


# -- ch08-throttle ------------------------------------------------------------------------------------
async def fetch_limited_semaphore(fetch, urls, limit):
    sem = asyncio.Semaphore(limit)

    async def one(url):
        async with sem:
            return await fetch(url)

    return await asyncio.gather(*(one(url) for url in urls))


async def fetch_limited_workers(fetch, urls, limit):
    results = [None] * len(urls)
    queue = asyncio.Queue()
    for pair in enumerate(urls):
        queue.put_nowait(pair)

    async def worker():
        while not queue.empty():
            i, url = queue.get_nowait()
            results[i] = await fetch(url)

    async with asyncio.TaskGroup() as tg:
        for _ in range(limit):
            tg.create_task(worker())
    return results


@pytest.mark.parametrize("answer", [fetch_limited_semaphore, fetch_limited_workers])
def test_throttle_right_answers_pass(answer) -> None:
    result = evaluate("ch08-throttle", answer)
    assert result.passed, result.message


def test_throttle_unlimited_gather() -> None:
    async def fetch_limited(fetch, urls, limit):
        return await asyncio.gather(*(fetch(url) for url in urls))

    failed_with("ch08-throttle", fetch_limited, "7 fetches in flight", "Share one asyncio.Semaphore")


def test_throttle_semaphore_per_call_does_not_limit() -> None:
    async def fetch_limited(fetch, urls, limit):
        async def one(url):
            async with asyncio.Semaphore(limit):
                return await fetch(url)

        return await asyncio.gather(*(one(url) for url in urls))

    failed_with("ch08-throttle", fetch_limited, "7 fetches in flight")


def test_throttle_sequential() -> None:
    async def fetch_limited(fetch, urls, limit):
        return [await fetch(url) for url in urls]

    failed_with("ch08-throttle", fetch_limited, "at most 1 fetch(es) ran at once")


def test_throttle_batches() -> None:
    async def fetch_limited(fetch, urls, limit):
        results = []
        for i in range(0, len(urls), limit):
            results += await asyncio.gather(*(fetch(url) for url in urls[i:i + limit]))
        return results

    failed_with("ch08-throttle", fetch_limited, "batches of 3")


def test_throttle_that_never_gives_places_back() -> None:
    async def fetch_limited(fetch, urls, limit):
        sem = asyncio.Semaphore(limit)

        async def one(url):
            await sem.acquire()
            return await fetch(url)

        return await asyncio.gather(*(one(url) for url in urls))

    failed_with("ch08-throttle", fetch_limited, "never finished", "with 3 of 7 fetches started")


def test_throttle_results_in_completion_order() -> None:
    async def fetch_limited(fetch, urls, limit):
        sem = asyncio.Semaphore(limit)
        results = []

        async def one(url):
            async with sem:
                results.append(await fetch(url))

        await asyncio.gather(*(one(url) for url in urls))
        return results

    failed_with("ch08-throttle", fetch_limited, "in the order of the urls")


# -- ch08-workers -------------------------------------------------------------------------------------
async def process_right(jobs, handle, workers):
    queue = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)

    async def worker():
        while True:
            job = await queue.get()
            try:
                await handle(job)
            finally:
                queue.task_done()

    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    await queue.join()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def process_sentinels(jobs, handle, workers):
    queue = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    for _ in range(workers):
        queue.put_nowait(None)

    async def worker():
        while (job := await queue.get()) is not None:
            await handle(job)

    async with asyncio.TaskGroup() as tg:
        for _ in range(workers):
            tg.create_task(worker())


@pytest.mark.parametrize("answer", [process_right, process_sentinels])
def test_workers_right_answers_pass(answer) -> None:
    result = evaluate("ch08-workers", answer)
    assert result.passed, result.message


def test_workers_left_behind() -> None:
    async def process(jobs, handle, workers):
        queue = asyncio.Queue()
        for job in jobs:
            queue.put_nowait(job)

        async def worker():
            while True:
                job = await queue.get()
                await handle(job)
                queue.task_done()

        tasks = [asyncio.create_task(worker()) for _ in range(workers)]
        await queue.join()

    message = failed_with("ch08-workers", process, "3 tasks wait in Queue.get",
                          "worker: job = await queue.get()", "cancel the workers")
    assert "Task-" not in message  # task numbers change from run to run


def test_workers_cancelled_but_not_awaited() -> None:
    """Cancelled workers stop a moment after process returns: counted later, they would be gone."""
    async def process(jobs, handle, workers):
        queue = asyncio.Queue()
        for job in jobs:
            queue.put_nowait(job)

        async def worker():
            while True:
                job = await queue.get()
                try:
                    await handle(job)
                finally:
                    queue.task_done()

        tasks = [asyncio.create_task(worker()) for _ in range(workers)]
        await queue.join()
        for task in tasks:
            task.cancel()

    failed_with("ch08-workers", process, "3 tasks were still running when process returned",
                "process had cancelled them", "await asyncio.gather(*tasks, return_exceptions=True)",
                "TaskGroup")


def test_workers_that_end_only_after_process_returned() -> None:
    async def process(jobs, handle, workers):
        queue = asyncio.Queue()
        for job in jobs:
            queue.put_nowait(job)
        for _ in range(workers):
            queue.put_nowait(None)

        async def worker():
            while (job := await queue.get()) is not None:
                await handle(job)
                queue.task_done()
            queue.task_done()
            await asyncio.sleep(0)  # a last step, after join() has let process go on

        tasks = [asyncio.create_task(worker()) for _ in range(workers)]
        await queue.join()

    failed_with("ch08-workers", process, "still running when process returned", "ended only afterwards",
                "Await every task you start")


def test_workers_forgetting_task_done_hangs() -> None:
    async def process(jobs, handle, workers):
        queue = asyncio.Queue()
        for job in jobs:
            queue.put_nowait(job)

        async def worker():
            while True:
                await handle(await queue.get())

        tasks = [asyncio.create_task(worker()) for _ in range(workers)]
        await queue.join()

    failed_with("ch08-workers", process, "never returned", "9 jobs handled", "task_done()")


def test_workers_one_at_a_time() -> None:
    async def process(jobs, handle, workers):
        for job in jobs:
            await handle(job)

    failed_with("ch08-workers", process, "1 job(s) were handled at once")


# -- ch08-transfer ------------------------------------------------------------------------------------
async def transfer_sorted(bank, locks, src, dst, amount):
    first, second = sorted([src, dst])
    async with locks[first]:
        async with locks[second]:
            await bank.set_balance(src, await bank.balance(src) - amount)
            await bank.set_balance(dst, await bank.balance(dst) + amount)


def test_transfer_in_sorted_order_passes() -> None:
    result = evaluate("ch08-transfer", transfer_sorted)
    assert result.passed, result.message


def test_transfer_in_argument_order_deadlocks() -> None:
    async def transfer(bank, locks, src, dst, amount):
        async with locks[src]:
            async with locks[dst]:
                await bank.set_balance(src, await bank.balance(src) - amount)
                await bank.set_balance(dst, await bank.balance(dst) + amount)

    failed_with("ch08-transfer", transfer, "deadlock", "'anna-to-ben' waits in Lock.acquire",
                "transfer: async with locks[dst]:", "one fixed order")


def test_transfer_without_locks() -> None:
    async def transfer(bank, locks, src, dst, amount):
        await bank.set_balance(src, await bank.balance(src) - amount)
        await bank.set_balance(dst, await bank.balance(dst) + amount)

    failed_with("ch08-transfer", transfer, "without holding their account's lock")


def test_transfer_that_reads_before_locking_loses_money() -> None:
    async def transfer(bank, locks, src, dst, amount):
        from_balance = await bank.balance(src)
        to_balance = await bank.balance(dst)
        first, second = sorted([src, dst])
        async with locks[first], locks[second]:
            await bank.set_balance(src, from_balance - amount)
            await bank.set_balance(dst, to_balance + amount)

    failed_with("ch08-transfer", transfer, "money was lost or created")
