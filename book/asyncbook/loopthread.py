"""Run a function in a worker thread, so it can start (and close) an event loop of its own.

A notebook cell runs inside the kernel's event loop. There, ``asyncio.run`` and
``asyncio.Runner.run`` refuse to start ("cannot be called from a running event
loop"), and the kernel's loop never shuts down, so what a script's loop does when
it closes (such as finishing abandoned async generators) cannot happen there. A
worker thread has no event loop, so code in it can create one, run it, and *close*
it, exactly as a script's ``asyncio.run`` would. Chapters use this to show what
happens when a loop starts and shuts down, with the same result on every run.

This is the one place in the book that runs code in such a thread:
:func:`asyncbook.selfcheck.run_in_fresh_loop`, which runs a reader's coroutine for
a self-check, is ``run_in_worker(asyncio.run, ...)``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["WorkerTimeout", "run_in_worker"]

_T = TypeVar("_T")


class WorkerTimeout(TimeoutError):
    """run_in_worker's own time limit ran out (the function may still be running in its thread).

    A subclass, so that a caller can tell it from a TimeoutError raised by the function itself.
    """


def run_in_worker(function: Callable[..., _T], *args: Any, timeout: float | None = 10.0) -> _T:
    """Call ``function(*args)`` in a new thread, wait for it, and return its result.

    An exception raised by *function* is re-raised here. If it has not finished
    after *timeout* seconds, :class:`TimeoutError` is raised; the thread is a
    daemon thread, so a hung function cannot keep the interpreter from exiting.
    ``timeout=None`` waits as long as it takes: use it when *function* enforces a
    time limit of its own (as ``asyncio.wait_for`` inside the new loop does).
    """
    if not callable(function):
        raise TypeError("pass the function itself and its arguments separately, "
                        f"e.g. run_in_worker(main, 3), not its result ({type(function).__name__})")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or timeout <= 0):
        raise ValueError(f"timeout must be a positive number of seconds, or None to wait as long as it "
                         f"takes; got {timeout!r}")
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = function(*args)
        except BaseException as error:  # re-raised in the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=target, name="asyncbook-worker", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise WorkerTimeout(f"{getattr(function, '__name__', 'the function')} was still running after {timeout} s")
    if "error" in outcome:
        error = outcome.pop("error")
        raise error
    return outcome["result"]
