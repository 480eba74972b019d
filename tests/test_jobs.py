"""Unit tests for asyncbook.jobs: what a job logs, returns and raises, and its bad-input errors."""

from __future__ import annotations

import asyncio

import pytest

from asyncbook.jobs import JobFailed, job
from asyncbook.timeline import Timeline


@pytest.fixture(autouse=True)
def no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")


def messages(tl: Timeline) -> list[str]:
    """The logged lines without their time stamps (the timing is not what these tests check)."""
    return [" ".join(line.split()[1:]) for line in tl.lines]


def test_a_job_returns_its_result_and_logs_start_and_done() -> None:
    tl = Timeline(echo=False)
    assert asyncio.run(job(tl, "fetch-a", 0)) == "fetch-a ok"
    assert messages(tl) == ["fetch-a start", "fetch-a done"]
    assert [(s.task, s.state) for s in tl.spans] == [("fetch-a", "wait")]


def test_a_failing_job_raises_job_failed_named_after_it() -> None:
    tl = Timeline(echo=False)
    with pytest.raises(JobFailed, match="^bad$"):
        asyncio.run(job(tl, "bad", 0, fail=True))
    assert messages(tl) == ["bad start", "bad failed"]


def test_a_cancelled_job_logs_it_and_stays_cancelled() -> None:
    async def main() -> asyncio.Task[str]:
        tl = Timeline(echo=False)
        task = asyncio.create_task(job(tl, "slow", 30))
        await asyncio.sleep(0)  # let the job start and begin its wait
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert messages(tl) == ["slow start", "slow cancelled"]
        assert [(s.task, s.state) for s in tl.spans] == [("slow", "wait")]
        return task

    assert asyncio.run(main()).cancelled()


def test_jobs_run_concurrently_as_tasks() -> None:
    async def main() -> list[str]:
        tl = Timeline(echo=False)
        results = await asyncio.gather(job(tl, "a", 0), job(tl, "b", 0))
        # both started before either finished: they were interleaved on the loop
        assert messages(tl)[:2] == ["a start", "b start"]
        return results

    assert asyncio.run(main()) == ["a ok", "b ok"]


@pytest.mark.parametrize("args, error, fragment", [
    ((None, "a", 0.1), TypeError, "needs a Timeline"),
    (("tl", "", 0.1), TypeError, "non-empty str"),
    (("tl", 3, 0.1), TypeError, "non-empty str"),
    (("tl", "a", -1), ValueError, "seconds must be a number >= 0"),
    (("tl", "a", "0.1"), ValueError, "seconds must be a number >= 0"),
    (("tl", "a", True), ValueError, "seconds must be a number >= 0"),
])
def test_bad_input_is_refused_before_anything_is_logged(args: tuple, error: type[Exception], fragment: str) -> None:
    tl = Timeline(echo=False)
    args = tuple(tl if a == "tl" else a for a in args)
    with pytest.raises(error, match=fragment):
        asyncio.run(job(*args))
    assert tl.lines == [] and tl.spans == []
