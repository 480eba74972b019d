"""Unit tests for asyncbook.stuck: where stuck tasks wait, in words that do not change."""

from __future__ import annotations

import asyncio

import pytest

from asyncbook.stuck import await_chain, describe_task, report_stuck


async def transfer(first: asyncio.Lock, second: asyncio.Lock) -> None:
    async with first:
        await asyncio.sleep(0)
        async with second:
            await asyncio.sleep(0)


async def consume(queue: asyncio.Queue) -> None:
    while (item := await queue.get()) is not None:
        pass


async def outer(queue: asyncio.Queue) -> None:
    await consume(queue)


def test_a_lock_deadlock_is_reported_and_cancelled(capsys: pytest.CaptureFixture[str]) -> None:
    async def main() -> tuple[list[str], list[bool]]:
        a, b = asyncio.Lock(), asyncio.Lock()
        tasks = [asyncio.create_task(transfer(a, b), name="a-to-b"),
                 asyncio.create_task(transfer(b, a), name="b-to-a")]
        stuck = await report_stuck(tasks, timeout=0.05)
        return stuck, [t.cancelled() for t in tasks]

    stuck, cancelled = asyncio.run(main())
    assert stuck == ["a-to-b", "b-to-a"]
    assert cancelled == [True, True]
    assert capsys.readouterr().out == (
        "after 0.05 s, 2 task(s) still waiting:\n"
        "'a-to-b' waits in Lock.acquire\n"
        "    transfer: async with second:\n"
        "'b-to-a' waits in Lock.acquire\n"
        "    transfer: async with second:\n")


def test_the_chain_follows_nested_coroutines() -> None:
    async def main() -> tuple[list[tuple[str, str, bool]], str]:
        queue: asyncio.Queue = asyncio.Queue()
        task = asyncio.create_task(outer(queue), name="reader")
        await asyncio.sleep(0)
        result = await_chain(task), describe_task(task)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return result

    chain, text = asyncio.run(main())
    assert [(name, line) for name, line, in_asyncio in chain if not in_asyncio] == [
        ("outer", "await consume(queue)"),
        ("consume", "while (item := await queue.get()) is not None:")]
    assert chain[-1][0] == "Queue.get" and chain[-1][2]
    assert text == ("'reader' waits in Queue.get\n"
                    "    outer: await consume(queue)\n"
                    "    consume: while (item := await queue.get()) is not None:")


def test_finished_and_unstarted_tasks() -> None:
    async def main() -> list[str]:
        done = asyncio.create_task(asyncio.sleep(0), name="quick")
        await done
        fresh = asyncio.create_task(asyncio.sleep(0), name="fresh")
        texts = [describe_task(done), describe_task(fresh)]
        await fresh
        return texts

    assert asyncio.run(main()) == ["'quick' is done", "'fresh' has not started"]


def test_nothing_is_reported_when_all_finish(capsys: pytest.CaptureFixture[str]) -> None:
    async def main() -> list[str]:
        return await report_stuck([asyncio.create_task(asyncio.sleep(0))], timeout=1.0)

    assert asyncio.run(main()) == []
    assert capsys.readouterr().out == ""


def test_bad_input_is_refused() -> None:
    with pytest.raises(TypeError, match="asyncio.Task"):
        await_chain("not a task")  # type: ignore[arg-type]

    async def main() -> None:
        task = asyncio.create_task(asyncio.sleep(0))
        with pytest.raises(ValueError, match="positive number"):
            await report_stuck([task], timeout=0)
        with pytest.raises(ValueError, match="positive number"):
            await report_stuck([task], timeout=True)
        with pytest.raises(TypeError, match="non-empty list"):
            await report_stuck([], timeout=1)
        coro = asyncio.sleep(0)
        with pytest.raises(TypeError, match="non-empty list"):
            await report_stuck([coro], timeout=1)  # type: ignore[list-item]
        coro.close()
        await task

    asyncio.run(main())
