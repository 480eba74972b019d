"""Say what every task is doing right now: where each one is suspended, and what it waits for.

A hung async program shows nothing: no traceback, no CPU use, just silence. The question
is "which task waits for what, at which line?". ``Task.get_stack()`` answers only part of
it: for a suspended task it returns the frame of the task's *outermost* coroutine, the
line that awaits the next coroutine, not the line deep down where the wait really is.
The rest of the chain is in the coroutines themselves: each suspended coroutine's
``cr_await`` is the object it awaits, another coroutine (with its own frame and
``cr_await``), a generator-based awaitable, or finally the Future that is not done yet.
:func:`task_snapshot` follows that chain for each task.

Python 3.14 adds the same walk to asyncio itself (``asyncio.format_call_graph``) and
``python -m asyncio ps PID`` / ``pstree PID`` to look into another process. This helper
works on 3.11 to 3.13 too, and prints only what stays the same from run to run: task names,
function names and the text of the suspended line of your code. It prints no addresses and
no file paths or line numbers (they change whenever the code above them changes), and shows
asyncio's own frames by name only (their source differs between Python versions).
"""

from __future__ import annotations

import asyncio
import inspect
import linecache
from collections.abc import Iterable
from types import FrameType
from typing import Any

__all__ = ["task_snapshot", "print_snapshot"]

_MAX_DEPTH = 50  # a chain of awaits longer than this is cut (it would be a bug of its own)


def _state(task: asyncio.Task[Any]) -> str:
    if not task.done():
        return "running" if task is _current_task() else "pending"
    if task.cancelled():
        return "cancelled"
    error = task.exception()
    return "done" if error is None else f"failed with {type(error).__name__}"


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running loop in this thread
        return None


def _frame_line(frame: FrameType) -> str:
    """'function: line text' for your code, 'Class.method (asyncio)' for asyncio's own."""
    name = frame.f_code.co_qualname
    module = str(frame.f_globals.get("__name__", ""))
    if module == "asyncio" or module.startswith("asyncio."):
        return f"{name} (asyncio)"
    text = linecache.getline(frame.f_code.co_filename, frame.f_lineno, frame.f_globals).strip()
    return f"{name}: {text}" if text else name


def _awaited(obj: Any) -> tuple[FrameType | None, Any]:
    """The frame of an awaitable in the chain and the next object it awaits."""
    for frame_attr, next_attr in (("cr_frame", "cr_await"), ("gi_frame", "gi_yieldfrom"),
                                  ("ag_frame", "ag_await")):
        if hasattr(obj, frame_attr):
            return getattr(obj, frame_attr), getattr(obj, next_attr)
    return None, None


def _describe_wait(task: asyncio.Task[Any]) -> str | None:
    # The chain of awaits ends in an iterator over the Future, which does not say which Future
    # it is; the task knows. `_fut_waiter` is private, but present (in the C and the Python
    # implementation of Task) on every version this book supports, and only read here.
    future = getattr(task, "_fut_waiter", None)
    if future is None:
        return None
    if isinstance(future, asyncio.Task):
        return f"task {future.get_name()!r}"
    return "a Future"


def _task_lines(task: asyncio.Task[Any]) -> list[str]:
    state = _state(task)
    lines = [f"task {task.get_name()!r} ({state})"]
    if task.done():
        return lines
    obj: Any = task.get_coro()
    if inspect.iscoroutine(obj) and inspect.getcoroutinestate(obj) == inspect.CORO_CREATED:
        lines.append(f"    {obj.cr_code.co_qualname}: not started yet")
        return lines
    for _ in range(_MAX_DEPTH):
        frame, next_obj = _awaited(obj)
        if frame is None:
            if type(obj).__name__ == "async_generator_asend":
                lines.append("    (inside an async generator)")
            break
        lines.append(f"    {_frame_line(frame)}")
        if next_obj is None:
            break
        obj = next_obj
    waiting_for = _describe_wait(task)
    if waiting_for is not None:
        lines.append(f"    waits for {waiting_for}")
    return lines


def task_snapshot(tasks: Iterable[asyncio.Task[Any]]) -> str:
    """Describe each task, sorted by name: its state, and for an unfinished one, each function in
    its chain of awaits (outermost first) with the line where it is suspended, then what the
    innermost one waits for.

    Pass the tasks to describe, for example ``asyncio.all_tasks()`` in a script. (In a notebook,
    the kernel runs tasks of its own: pass only yours.)
    """
    if isinstance(tasks, asyncio.Future) or not isinstance(tasks, Iterable):
        raise TypeError("task_snapshot() needs an iterable of tasks, such as asyncio.all_tasks() or [task]; "
                        f"got {type(tasks).__name__}")
    tasks = list(tasks)
    for task in tasks:
        if not isinstance(task, asyncio.Task):
            raise TypeError(f"task_snapshot() describes asyncio.Task objects, got a {type(task).__name__}: "
                            "wrap a coroutine in a task with asyncio.create_task() first")
    blocks = ["\n".join(_task_lines(task)) for task in sorted(tasks, key=lambda t: t.get_name())]
    return "\n".join(blocks) if blocks else "(no tasks)"


def print_snapshot(tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Print :func:`task_snapshot` of *tasks*."""
    print(task_snapshot(tasks))
