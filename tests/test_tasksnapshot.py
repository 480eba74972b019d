"""task_snapshot: each task's state and chain of awaits, with nothing that changes between runs."""

from __future__ import annotations

import asyncio

import pytest

from asyncbook.tasksnapshot import print_snapshot, task_snapshot


async def _consumer(queue: asyncio.Queue[str]) -> str:
    item = await queue.get()
    return item


async def _waiter(task: asyncio.Task[str]) -> str:
    return await task


async def _sleeper() -> None:
    await asyncio.sleep(3600)


async def _grouped() -> None:
    async with asyncio.TaskGroup() as tg:
        tg.create_task(_sleeper(), name="child")


async def _fails() -> None:
    raise ValueError("boom")


def test_snapshot_of_waiting_tasks() -> None:
    async def main() -> str:
        queue: asyncio.Queue[str] = asyncio.Queue()
        consumer = asyncio.create_task(_consumer(queue), name="consumer")
        tasks = [consumer, asyncio.create_task(_waiter(consumer), name="waiter"),
                 asyncio.create_task(_grouped(), name="group")]
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        child = next(t for t in asyncio.all_tasks() if t.get_name() == "child")
        not_started = asyncio.create_task(_sleeper(), name="z-new")
        text = task_snapshot([*tasks, child, not_started])
        for task in asyncio.all_tasks() - {asyncio.current_task()}:
            task.cancel()
        await asyncio.gather(*tasks, not_started, return_exceptions=True)
        return text

    assert asyncio.run(main()) == "\n".join([
        "task 'child' (pending)",
        "    _sleeper: await asyncio.sleep(3600)",
        "    sleep (asyncio)",
        "    waits for a Future",
        "task 'consumer' (pending)",
        "    _consumer: item = await queue.get()",
        "    Queue.get (asyncio)",
        "    waits for a Future",
        "task 'group' (pending)",
        "    _grouped: async with asyncio.TaskGroup() as tg:",
        "    TaskGroup.__aexit__ (asyncio)",
        "    waits for a Future",
        "task 'waiter' (pending)",
        "    _waiter: return await task",
        "    waits for task 'consumer'",
        "task 'z-new' (pending)",
        "    _sleeper: not started yet",
    ])


def test_snapshot_of_finished_and_running_tasks() -> None:
    async def main() -> str:
        done = asyncio.create_task(asyncio.sleep(0), name="done")
        failed = asyncio.create_task(_fails(), name="failed")
        cancelled = asyncio.create_task(_sleeper(), name="cancelled")
        await asyncio.sleep(0)
        cancelled.cancel()
        await asyncio.gather(done, failed, cancelled, return_exceptions=True)
        me = asyncio.current_task()
        assert me is not None
        me.set_name("me")
        return task_snapshot([failed, cancelled, done, me])

    text = asyncio.run(main())
    assert text.splitlines() == [
        "task 'cancelled' (cancelled)",
        "task 'done' (done)",
        "task 'failed' (failed with ValueError)",
        "task 'me' (running)",
        '    test_snapshot_of_finished_and_running_tasks.<locals>.main: return task_snapshot([failed, cancelled, done, me])',
    ]


def test_snapshot_has_no_addresses_or_paths() -> None:
    async def main() -> str:
        task = asyncio.create_task(_sleeper(), name="s")
        await asyncio.sleep(0)
        text = task_snapshot([task])
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return text

    text = asyncio.run(main())
    assert "0x" not in text and ".py" not in text and "line" not in text


def test_empty_and_printed(capsys: pytest.CaptureFixture[str]) -> None:
    assert task_snapshot([]) == "(no tasks)"
    print_snapshot([])
    assert capsys.readouterr().out == "(no tasks)\n"


def test_bad_input() -> None:
    with pytest.raises(TypeError, match="iterable of tasks"):
        task_snapshot(42)  # type: ignore[arg-type]
    coro = _sleeper()
    try:
        with pytest.raises(TypeError, match="asyncio.create_task"):
            task_snapshot([coro])  # type: ignore[list-item]
    finally:
        coro.close()

    async def with_a_task() -> None:
        task = asyncio.create_task(asyncio.sleep(0))
        with pytest.raises(TypeError, match="iterable of tasks"):
            task_snapshot(task)  # type: ignore[arg-type]
        await task

    asyncio.run(with_a_task())
