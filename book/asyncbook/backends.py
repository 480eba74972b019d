"""Run one async function on a chosen async library, asyncio or Trio, through AnyIO, from anywhere.

Why: chapter 12 shows that a program written against AnyIO runs unchanged on asyncio and on
Trio, by starting it with ``anyio.run(main, backend="asyncio")`` and ``backend="trio"``. In a
notebook cell that is not possible directly: the cell runs inside the kernel's asyncio loop,
where ``anyio.run`` refuses to start, whichever the backend ("Already running asyncio in this
thread": AnyIO asks sniffio which library is running before it starts one). A worker thread has no event loop, so :func:`run_on` calls
``anyio.run`` there (through :func:`asyncbook.loopthread.run_in_worker`), as a script would,
and hands back the result or the exception. The same function runs the chapter's self-checks
on both backends.

:func:`current_library` names the library that is driving the calling code, so an example can
*show* which backend it ran on instead of claiming it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
import sniffio

from .loopthread import run_in_worker

__all__ = ["BACKENDS", "current_library", "run_on"]

#: The backends AnyIO can run on, in the order the book shows them.
BACKENDS = ("asyncio", "trio")

_T = TypeVar("_T")


def current_library() -> str:
    """Return ``"asyncio"`` or ``"trio"``: the async library running the caller.

    It asks :mod:`sniffio`, which both libraries (and AnyIO) keep informed. Outside any async
    library it raises :class:`RuntimeError` with a hint, rather than sniffio's own error.
    """
    try:
        return sniffio.current_async_library()
    except sniffio.AsyncLibraryNotFoundError:
        raise RuntimeError("no async library is running here: call current_library() from inside "
                           "async code that asyncio, Trio or AnyIO runs") from None


def run_on(backend: str, async_fn: Callable[..., Awaitable[_T]], *args: Any, timeout: float = 5.0) -> _T:
    """Run ``await async_fn(*args)`` with ``anyio.run`` on *backend*, in a worker thread; return its result.

    *backend* is ``"asyncio"`` or ``"trio"``. Pass the async function and its arguments
    separately, as ``anyio.run`` and ``trio.run`` want (they call the function themselves, so
    each run gets a fresh coroutine). After *timeout* seconds the call is cancelled inside the
    loop (``anyio.fail_after``) and :class:`TimeoutError` is raised; an exception raised by
    *async_fn* is re-raised here.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}; got {backend!r}")
    if inspect.iscoroutine(async_fn):
        async_fn.close()  # never awaited: close it, so Python does not warn about it later
        raise TypeError("pass the async function itself and its arguments separately, "
                        "e.g. run_on('trio', main, 3), not a coroutine such as main(3)")
    if not callable(async_fn):
        raise TypeError(f"pass an async function, got {type(async_fn).__name__}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds; got {timeout!r}")

    async def main() -> _T:
        with anyio.fail_after(timeout):
            return await async_fn(*args)

    # fail_after ends the run inside the loop, so the thread is waited for as long as it takes.
    return run_in_worker(functools.partial(anyio.run, main, backend=backend), timeout=None)
