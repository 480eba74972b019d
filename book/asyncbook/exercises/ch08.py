"""Checkers for chapter 8, *Coordinating tasks: locks, events, queues*.

Every scenario runs on a fresh loop with a virtual clock, in a worker thread
(``run_in_virtual_loop``). The fakes the reader's code talks to never sleep for real: each round
trip is ``asyncio.sleep(0)``, one turn of the loop, so the interleaving of tasks is the same on
every machine and a check takes milliseconds. An answer that hangs leaves every task waiting;
the clock then jumps to the checker's guard, which stops it at once and reports where its tasks
were stuck. The guard never fires while any task can still run, so a right answer is never cut
short, however slow the machine.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from ..selfcheck import Wrong, exercise, run_in_virtual_loop
from ..stockroom import Stockroom
from ..stuck import await_chain

_SETTLE_ROUNDS = 200  # loop turns that let every runnable task run as far as it can
# Virtual seconds: the clock reaches the guard only when every task is waiting, so only an answer
# that is stuck for good meets it, and that costs no real time.
_GUARD = 60.0


async def _settle() -> None:
    for _ in range(_SETTLE_ROUNDS):
        await asyncio.sleep(0)


def _require_coroutine_function(func: object, name: str) -> None:
    if not callable(func):
        raise Wrong(f"pass the function itself: check(..., {name}), without calling it")
    if not inspect.iscoroutinefunction(func):
        raise Wrong(f"{name} must be an `async def` function.")


def _others(before: set[asyncio.Task[Any]]) -> list[asyncio.Task[Any]]:
    """Unfinished tasks created since *before* was taken (the reader's), other than the current one.

    The tasks in *before* run the check itself, so they are left alone.
    """
    me = asyncio.current_task()
    return sorted((t for t in asyncio.all_tasks() if t is not me and t not in before and not t.done()),
                  key=lambda t: t.get_name())


def _where(task: asyncio.Task[Any]) -> str:
    """Where *task* waits, as asyncbook.stuck.describe_task says it, without the task's name.

    Unnamed tasks are called Task-<n> from a process-wide counter, which would make the
    feedback change from run to run; the checkers' own lock wrapper is left out too.
    """
    chain = [link for link in await_chain(task) if not link[0].startswith("_SlowLock")]
    library = [name for name, _, in_asyncio in chain if in_asyncio]
    head = f"waits in {library[-1]}" if library else "waits"
    return "\n".join([head, *(f"      {name}: {line}" for name, line, in_asyncio in chain if not in_asyncio)])


def _grouped(tasks: list[asyncio.Task[Any]]) -> list[str]:
    """One paragraph per distinct place where *tasks* wait, with how many wait there."""
    places: dict[str, int] = {}
    for task in tasks:
        place = _where(task)
        places[place] = places.get(place, 0) + 1
    return [f"  {count} task{'s' if count > 1 else ''} {place.replace('waits', 'wait', count > 1)}"
            for place, count in sorted(places.items())]


async def _stop(tasks: list[asyncio.Task[Any]]) -> None:
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks)


# -- ch08-sell: check-then-act under a lock ---------------------------------------------------------
# Where the needed facts are taught (chapter 8 unless said otherwise):
# - a check and an act with an `await` between them race: "Races without threads";
# - `async with lock:` around both: "The fix: asyncio.Lock";
# - Stockroom.count and Stockroom.remove: "Races without threads";
# - asyncio.gather runs coroutines concurrently: chapter 4.
@exercise("ch08-sell")
def check_sell(sell: Callable[..., Any]) -> str:
    _require_coroutine_function(sell, "sell")

    def run(stock: int, wants: list[int]) -> tuple[list[Any], int, bool]:
        async def scenario() -> tuple[list[Any], int, bool]:
            room = Stockroom({"lamp": stock})
            lock = asyncio.Lock()
            try:
                results = await asyncio.wait_for(
                    asyncio.gather(*(sell(room, lock, "lamp", n) for n in wants)), _GUARD)
            except TimeoutError:
                raise Wrong("the sales never finished: every task was left waiting, some of them for the lock. "
                            "Does every sale release it? `async with lock:` always does.") from None
            return list(results), room.level("lamp"), lock.locked()
        return run_in_virtual_loop(scenario)

    results, level, locked = run(3, [1, 1, 1, 1, 1])
    if level < 0:
        raise Wrong(f"5 buyers of 1 lamp each, 3 lamps in stock: the stock ended at {level}, oversold. "
                    "Each sale checked the stock, then awaited, and another sale ran in between. "
                    "Hold the lock (async with lock:) from the check to the act.")
    if results.count(True) != 3 or results.count(False) != 2 or level != 0:
        raise Wrong(f"5 buyers of 1 lamp each, 3 lamps in stock: sell returned {results}, stock left: {level}. "
                    "Expected three True, two False, and 0 left.")
    if locked:
        raise Wrong("the lock was still held after every sale had returned: release it (async with does).")
    results, level, _ = run(5, [2, 2, 2])
    if results.count(True) != 2 or level != 1:
        raise Wrong(f"3 buyers of 2 lamps each, 5 lamps in stock: sell returned {results}, stock left: {level}; "
                    "expected two True, one False, 1 left. Compare the stock with n, not with 1.")
    return "no sale is lost and nothing is oversold, however the sales interleave."


# -- ch08-throttle: at most `limit` fetches in flight ---------------------------------------------------
# Where the needed facts are taught (chapter 8 unless said otherwise):
# - asyncio.Semaphore and `async with sem:`: "Semaphore and BoundedSemaphore";
# - one semaphore shared by all the calls, gather starting them all: "Throttling: at most N in flight";
# - gather returns results in argument order: chapter 4.
class _Fetcher:
    """A fake fetch whose calls take different numbers of loop turns, so they finish out of order."""

    def __init__(self, turns: dict[str, int]) -> None:
        self.turns = turns
        self.in_flight = 0
        self.most = 0
        self.started: list[str] = []
        self.in_flight_at_start: dict[str, int] = {}

    async def fetch(self, url: str) -> str:
        self.started.append(url)
        self.in_flight_at_start[url] = self.in_flight
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            for _ in range(self.turns.get(url, 1)):
                await asyncio.sleep(0)
        finally:
            self.in_flight -= 1
        return f"page:{url}"


@exercise("ch08-throttle")
def check_throttle(fetch_limited: Callable[..., Any]) -> str:
    _require_coroutine_function(fetch_limited, "fetch_limited")
    urls = [f"u{i}" for i in range(1, 8)]
    # u2 finishes long before u1 and u3: a limit of 3 lets u4 start as soon as u2 is done.
    turns = {"u1": 30, "u2": 2, "u3": 40, "u4": 5, "u5": 3, "u6": 9, "u7": 4}

    async def scenario() -> tuple[Any, _Fetcher, list[str]]:
        before = asyncio.all_tasks()
        fetcher = _Fetcher(turns)
        try:
            result = await asyncio.wait_for(fetch_limited(fetcher.fetch, urls, 3), _GUARD)
        except TimeoutError:
            raise Wrong(f"fetch_limited never finished: with {len(fetcher.started)} of 7 fetches started, every task "
                        "was left waiting. Does every fetch give its place back (`async with sem:`)?") from None
        left = [t.get_name() for t in _others(before)]
        await _stop(_others(before))
        return result, fetcher, left

    result, fetcher, left = run_in_virtual_loop(scenario)
    if sorted(fetcher.started) != urls:
        raise Wrong(f"every url must be fetched exactly once; fetched: {sorted(fetcher.started)}.")
    if fetcher.most > 3:
        raise Wrong(f"fetch_limited(fetch, 7 urls, limit=3) had {fetcher.most} fetches in flight at once. "
                    "Share one asyncio.Semaphore(limit) between all fetches, and fetch inside `async with sem:`.")
    if fetcher.most < 3:
        raise Wrong(f"at most {fetcher.most} fetch(es) ran at once, but the limit is 3: start them all "
                    "as tasks (asyncio.gather) and let the semaphore hold back the extra ones.")
    if fetcher.in_flight_at_start["u4"] != 2:
        raise Wrong("u4 started only when all of u1-u3 had finished: fetching in batches of 3 waits for "
                    "the slowest of each batch. With a semaphore, u4 starts the moment u2 (the fastest) is done.")
    expected = [f"page:{u}" for u in urls]
    if result != expected:
        raise Wrong(f"fetch_limited returned {result!r}; expected the pages in the order of the urls: {expected!r}.")
    if left:
        raise Wrong(f"tasks were still running after fetch_limited returned: {left}.")
    return "all 7 pages, in order, never more than 3 in flight, and a new fetch starts as soon as one ends."


# -- ch08-workers: a queue, n workers, join, then stop them ------------------------------------------
# Where the needed facts are taught (chapter 8 unless said otherwise):
# - asyncio.Queue, put_nowait, get and several consumers: "Queues: handing work between tasks";
# - task_done() and join(): "Waiting until the work is done: task_done() and join()";
# - cancelling the workers after join() and awaiting them: "Stopping consumers" (and the packers
#   example); create_task, cancel() and awaiting cancelled tasks: chapter 4;
# - cancel() only requests, the task stops when it next runs, so only awaiting it shows that it
#   has stopped: chapter 4, "Cancelling a task" and "Waiting for the tasks you cancelled".
class _Handler:
    def __init__(self) -> None:
        self.handled: list[Any] = []
        self.by_task: dict[str, int] = {}
        self.busy = 0
        self.most = 0

    async def handle(self, job: Any) -> None:
        self.busy += 1
        self.most = max(self.most, self.busy)
        try:
            for _ in range(3):
                await asyncio.sleep(0)
            self.handled.append(job)
            task = asyncio.current_task()
            name = task.get_name() if task else "?"
            self.by_task[name] = self.by_task.get(name, 0) + 1
        finally:
            self.busy -= 1


@exercise("ch08-workers")
def check_workers(process: Callable[..., Any]) -> str:
    _require_coroutine_function(process, "process")
    jobs = [f"job-{i}" for i in range(1, 10)]

    async def scenario() -> tuple[str, _Handler, list[str], list[asyncio.Task[Any]]]:
        before = asyncio.all_tasks()
        handler = _Handler()
        # The reader's tasks still running the moment process() returns. Counted later, after
        # other tasks had a turn, a worker that was cancelled but never awaited would be gone by
        # then, and the answer that leaves it behind would pass.
        at_return: list[asyncio.Task[Any]] = []

        async def watched() -> None:
            try:
                await process(list(jobs), handler.handle, 3)
            finally:
                at_return.extend(_others(before))  # _others leaves out this task, the runner

        runner = asyncio.ensure_future(watched())
        done, _ = await asyncio.wait({runner}, timeout=_GUARD)
        if not done:
            report = _grouped([t for t in _others(before) if t is not runner])
            await _stop(_others(before))
            return "hung", handler, report, []
        runner.result()  # the reader's error, if any, is reported by the self-check
        await _settle()
        leftover = [t for t in _others(before) if t is not runner]
        left = _grouped(leftover)
        await _stop(leftover)
        return "returned", handler, left, at_return

    outcome, handler, tasks, at_return = run_in_virtual_loop(scenario)
    if outcome == "hung":
        raise Wrong(f"process(9 jobs, handle, 3) never returned: with {len(handler.handled)} jobs handled, every "
                    "task was left waiting. Does every worker call queue.task_done() after each job? "
                    "Stuck tasks:\n" + "\n".join(tasks))
    if sorted(handler.handled) != jobs:
        raise Wrong(f"every job must be handled exactly once; handled: {handler.handled}.")
    if handler.most != 3:
        raise Wrong(f"with 3 workers, {handler.most} job(s) were handled at once; expected 3: start 3 worker "
                    "tasks that each take jobs from the queue.")
    if tasks:
        raise Wrong("process returned, but tasks were left waiting:\n" + "\n".join(tasks)
                    + "\nAfter queue.join(), cancel the workers and await them.")
    if at_return:
        running = len(at_return)
        cancelled = sum(task.cancelling() > 0 for task in at_return)  # cancel() asked, not yet stopped
        tasks_were = f"{running} task{'s were' if running > 1 else ' was'} still running when process returned"
        if cancelled == running:
            raise Wrong(f"{tasks_were}: process had cancelled {'them' if running > 1 else 'it'}, but cancel() "
                        "only requests, and a cancelled task stops later, when it next runs: here, after process "
                        "had returned. After cancelling the workers, await them: "
                        "`await asyncio.gather(*tasks, return_exceptions=True)`, or start them in "
                        "`async with asyncio.TaskGroup() as tg:`, which waits for them.")
        raise Wrong(f"{tasks_were}{f' ({cancelled} of them cancelled but not yet stopped)' if cancelled else ''}; "
                    f"{'they' if running > 1 else 'it'} ended only afterwards. Await every task you start before returning: "
                    "`await asyncio.gather(*tasks, return_exceptions=True)`, or start them in "
                    "`async with asyncio.TaskGroup() as tg:`, which waits for them.")
    return "9 jobs handled once each, 3 at a time, and no worker left behind."


# -- ch08-transfer: two locks, always in the same order -----------------------------------------------
# Where the needed facts are taught (chapter 8 unless said otherwise):
# - asyncio.Lock and `async with lock:`: "The fix: asyncio.Lock";
# - two locks taken in opposite orders deadlock; one global order (sorted by name) avoids it:
#   "Deadlock" and "How to avoid deadlocks"; sorted() is plain Python.
class _SlowLock(asyncio.Lock):
    """An asyncio.Lock whose acquire() always suspends once first, like a lock on a server.

    With a plain Lock, `async with a: async with b:` takes two free locks without suspending,
    so an ordering bug might go unnoticed in the check; here it never does.
    """

    async def acquire(self) -> bool:
        await asyncio.sleep(0)
        return await super().acquire()


class _Bank:
    """Balances whose reads and writes await; a write checks that the account's lock is held."""

    def __init__(self, balances: dict[str, int]) -> None:
        self.balances = dict(balances)
        self.locks = {name: _SlowLock() for name in balances}
        self.unlocked_writes: list[str] = []

    async def balance(self, name: str) -> int:
        await asyncio.sleep(0)
        return self.balances[name]

    async def set_balance(self, name: str, value: int) -> None:
        if not self.locks[name].locked():
            self.unlocked_writes.append(name)
        await asyncio.sleep(0)
        self.balances[name] = value


@exercise("ch08-transfer")
def check_transfer(transfer: Callable[..., Any]) -> str:
    _require_coroutine_function(transfer, "transfer")
    moves = [("anna", "ben", 10), ("ben", "anna", 5), ("ben", "cleo", 20), ("cleo", "anna", 1), ("anna", "cleo", 2)]

    async def scenario() -> tuple[str, Any, list[str]]:
        before = asyncio.all_tasks()
        bank = _Bank({"anna": 100, "ben": 100, "cleo": 100})
        tasks = [asyncio.create_task(transfer(bank, bank.locks, src, dst, amount), name=f"{src}-to-{dst}")
                 for src, dst, amount in moves]
        await _settle()
        pending = [t for t in tasks if not t.done()]
        if pending and all(chain and chain[-1][0] == "Lock.acquire"
                           for chain in (await_chain(t) for t in pending)):
            report = [f"  {t.get_name()!r} {_where(t)}" for t in sorted(pending, key=lambda t: t.get_name())]
            await _stop(pending)
            return "deadlock", bank, report
        if pending:
            await asyncio.wait(pending, timeout=_GUARD)
        leftover = _others(before)
        left = _grouped(leftover)
        await _stop(leftover)
        if left:
            return "hung", bank, left
        for task in tasks:
            task.result()  # the reader's error, if any, is reported by the self-check
        return "done", bank, []

    outcome, bank, report = run_in_virtual_loop(scenario)
    if outcome == "deadlock":
        raise Wrong("deadlock: every transfer still running waits for a lock another one holds.\n"
                    + "\n".join(report) + "\nTake the two locks in one fixed order for every transfer, "
                    "for example sorted by account name.")
    if outcome == "hung":
        raise Wrong("some transfers never finished:\n" + "\n".join(report))
    if bank.unlocked_writes:
        raise Wrong(f"balances were written without holding their account's lock ({sorted(set(bank.unlocked_writes))}): "
                    "hold both locks while you read and write.")
    expected = {"anna": 100 - 10 + 5 + 1 - 2, "ben": 100 + 10 - 5 - 20, "cleo": 100 + 20 - 1 + 2}
    if bank.balances != expected:
        raise Wrong(f"after the transfers the balances are {bank.balances}, expected {expected}: "
                    "money was lost or created. Read and write both balances while holding both locks.")
    return "5 transfers in both directions at once: no deadlock and no money lost."
