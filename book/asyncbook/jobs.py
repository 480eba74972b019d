"""Simulated jobs for the chapters on tasks: each one waits, then succeeds or fails, and says so.

Real work (downloads, queries) depends on the network and never takes the same time twice,
so the book's examples use jobs that only *wait*, for a number of seconds you choose,
and report every step on a :class:`~asyncbook.timeline.Timeline`. The timeline then shows
exactly when each job started, waited, finished, failed or was cancelled.

A job re-raises :class:`asyncio.CancelledError` after logging it: that is what a
well-behaved coroutine does, and the chapters show what goes wrong when one does not.
"""

from __future__ import annotations

import asyncio

from .timeline import Timeline

__all__ = ["JobFailed", "job"]


class JobFailed(Exception):
    """Raised by a job asked to fail. The message is the job's name, so an error report says which one."""


async def job(tl: Timeline, name: str, seconds: float, *,
              fail: bool = False) -> str:
    """Wait *seconds*, then return "<name> ok" (or raise JobFailed).

    Every step is logged on *tl*: start, then done, failed or cancelled.
    The wait is recorded on *tl* as a wait of task *name*.
    """
    _check_arguments(tl, name, seconds)
    tl.say(name, "start")
    try:
        await tl.sleep(name, seconds)
    except asyncio.CancelledError:
        tl.say(name, "cancelled")
        raise  # let the cancellation go on: never swallow it
    if fail:
        tl.say(name, "failed")
        raise JobFailed(name)
    tl.say(name, "done")
    return f"{name} ok"


def _check_arguments(tl: object, name: object, seconds: object) -> None:
    """Refuse bad arguments before anything is logged.

    As with any ``async def``, this runs when the coroutine first runs, not when
    ``job(...)`` is called: the error comes out of the ``await`` or the task.
    """
    if not isinstance(tl, Timeline):
        raise TypeError(f"job() needs a Timeline as first argument (tl = Timeline()), got {type(tl).__name__}")
    if not isinstance(name, str) or not name:
        raise TypeError(f"a job is named by a non-empty str such as 'fetch-a', got {name!r}")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        raise ValueError(f"seconds must be a number >= 0 such as 0.2, got {seconds!r}")
