"""Find the tasks that are stuck, and say where each one waits, in words that do not change.

A deadlocked program does nothing: no error, no output. The way to see it is a time limit
that, when it fires, lists the tasks still waiting and *where* in their code they wait.
Python gives you the pieces (``asyncio.all_tasks()``, a task's coroutine, the coroutine's
``cr_await`` chain down to what it awaits), but the usual printout, ``task.print_stack()``,
has two problems for a book whose outputs are re-checked on every run:

- it names files by absolute path and line number, which change with the machine, the
  Python version and every edit of the notebook;
- it shows only the task's outermost coroutine (``task.get_stack()`` stops there), not the
  coroutine it awaits, nor the one that one awaits.

So this module walks the ``cr_await`` chain itself and prints, for each coroutine of *your*
code, its function name and the text of the line where it waits; then the one function of
asyncio it waits in (``Lock.acquire``, ``Queue.get``, ...), by name only, since asyncio's own
line texts differ from one Python version to the next. Python 3.14 adds
``asyncio.print_call_graph()`` and ``python -m asyncio pstree PID`` for the same purpose.
"""

from __future__ import annotations

import asyncio
import inspect
import linecache
import pathlib
from collections.abc import Iterable
from types import FrameType
from typing import Any

__all__ = ["await_chain", "describe_task", "report_stuck"]

_ASYNCIO_DIR = pathlib.Path(asyncio.__file__).resolve().parent


def _frame_of(awaitable: Any) -> FrameType | None:
    """The frame of a coroutine or generator; None for anything else (a Future's iterator, say)."""
    for attribute in ("cr_frame", "gi_frame"):
        frame = getattr(awaitable, attribute, None)
        if frame is not None:
            return frame
    return None


def _awaited_by(awaitable: Any) -> Any:
    """What a suspended coroutine (or generator) is awaiting now, or None."""
    for attribute in ("cr_await", "gi_yieldfrom"):
        inner = getattr(awaitable, attribute, None)
        if inner is not None:
            return inner
    return None


def _not_started(awaitable: Any) -> bool:
    if inspect.iscoroutine(awaitable):
        return inspect.getcoroutinestate(awaitable) == inspect.CORO_CREATED
    if inspect.isgenerator(awaitable):
        return inspect.getgeneratorstate(awaitable) == inspect.GEN_CREATED
    return False


def _in_asyncio(frame: FrameType) -> bool:
    try:
        return pathlib.Path(frame.f_code.co_filename).resolve().is_relative_to(_ASYNCIO_DIR)
    except (OSError, ValueError):  # a cell's pseudo file name, say
        return False


def await_chain(task: asyncio.Task[Any]) -> list[tuple[str, str, bool]]:
    """The coroutines *task* is suspended in, outermost first: ``(qualified name, line text, in asyncio)``.

    The line text is the stripped source line where the coroutine waits ('' if unknown).
    A task that is done, or has not started yet, has an empty chain.
    """
    if not isinstance(task, asyncio.Task):
        raise TypeError(f"pass an asyncio.Task (such as one from asyncio.all_tasks()), got {type(task).__name__}")
    chain: list[tuple[str, str, bool]] = []
    if task.done():
        return chain
    awaitable: Any = task.get_coro()
    seen: set[int] = set()
    while awaitable is not None and id(awaitable) not in seen:
        seen.add(id(awaitable))
        frame = _frame_of(awaitable)
        if frame is None or _not_started(awaitable):  # a Future, or a coroutine that has not started
            break
        line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
        chain.append((frame.f_code.co_qualname, line, _in_asyncio(frame)))
        awaitable = _awaited_by(awaitable)
    return chain


def describe_task(task: asyncio.Task[Any]) -> str:
    """Say where *task* waits: a line per coroutine of your code, then asyncio's function.

    For example::

        'alice' waits in Lock.acquire
            transfer: async with second:
    """
    chain = await_chain(task)
    if task.done():
        return f"{task.get_name()!r} is done"
    if not chain:
        return f"{task.get_name()!r} has not started"
    ours = [(name, line) for name, line, in_asyncio in chain if not in_asyncio]
    library = [name for name, _, in_asyncio in chain if in_asyncio]
    head = f"{task.get_name()!r} waits in {library[-1]}" if library else f"{task.get_name()!r} waits"
    return "\n".join([head, *(f"    {name}: {line}" for name, line in ours)])


async def report_stuck(tasks: Iterable[asyncio.Task[Any]], timeout: float) -> list[str]:
    """Wait up to *timeout* seconds for *tasks*; print where each unfinished one waits, then cancel it.

    Returns the names of the stuck tasks, sorted (empty if all finished in time). The stuck
    tasks are cancelled and awaited before returning, so nothing is left running.
    """
    tasks = list(tasks)
    if not tasks or not all(isinstance(t, asyncio.Task) for t in tasks):
        raise TypeError("pass a non-empty list of asyncio.Task objects (from asyncio.create_task)")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    stuck = sorted(pending, key=lambda t: t.get_name())
    if stuck:
        print(f"after {timeout} s, {len(stuck)} task(s) still waiting:")
        for task in stuck:
            print(describe_task(task))
        for task in stuck:
            task.cancel()
        await asyncio.wait(stuck)
    return [t.get_name() for t in stuck]
