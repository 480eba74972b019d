"""An event loop running in a background thread, for synchronous code to submit coroutines to.

A synchronous program (a script without ``asyncio.run``, a web framework's worker, a test)
sometimes needs to call an async library. Starting ``asyncio.run`` for every call is slow and
throws away connections the library keeps on its loop. The pattern behind many libraries' sync
wrappers is instead: one loop runs for the program's lifetime in a thread of its own, and the
synchronous code hands it coroutines with :func:`asyncio.run_coroutine_threadsafe`, getting back
a :class:`concurrent.futures.Future` it can wait on.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import selectors
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, TypeVar

__all__ = ["BackgroundLoop", "sleep_aware_loop"]

_T = TypeVar("_T")


class _SleepAwareSelector(selectors.DefaultSelector):  # type: ignore[misc, valid-type]
    """The loop's selector, noting when the loop goes to sleep with nothing at all to do.

    The loop calls ``select(None)`` only when it has no ready callbacks and no timers: it will
    sleep until a file descriptor (its self-pipe, say) wakes it. Anything added to its queue
    without waking it from then on waits.
    """

    def __init__(self, asleep: threading.Event) -> None:
        super().__init__()
        self._asleep = asleep

    def select(self, timeout: float | None = None):  # type: ignore[no-untyped-def]
        if timeout is None:
            self._asleep.set()
        try:
            return super().select(timeout)
        finally:
            self._asleep.clear()


def sleep_aware_loop(asleep: threading.Event) -> asyncio.SelectorEventLoop:
    """A new event loop that sets *asleep* while it sleeps with nothing to do (no callback, no timer).

    Code in other threads reads the event to know that the loop can only be woken from outside:
    nothing it has scheduled will run before then. (BackgroundLoop, and the self-checks that must
    tell a stuck answer from a slow one, use it.)
    """
    if not isinstance(asleep, threading.Event):
        raise TypeError(f"asleep must be a threading.Event for the loop to set, got {type(asleep).__name__}")
    return asyncio.SelectorEventLoop(_SleepAwareSelector(asleep))


class BackgroundLoop:
    """``with BackgroundLoop() as bg:`` runs a new event loop in a daemon thread until the block ends.

    ``bg.submit(coro)`` schedules *coro* on that loop from any other thread and returns a
    :class:`concurrent.futures.Future`; ``bg.run(coro, timeout)`` waits for its result.
    Leaving the block cancels what is still running, stops the loop, joins the thread and
    closes the loop. *debug* turns on asyncio's debug mode for the loop, which among other
    things makes non-thread-safe calls from other threads raise :class:`RuntimeError` (its
    warnings about slow callbacks are turned off: they depend on how busy the machine is).
    """

    def __init__(self, *, debug: bool = False) -> None:
        self._asleep = threading.Event()
        self.loop = sleep_aware_loop(self._asleep)
        self.loop.set_debug(bool(debug))
        # Debug mode also logs every callback slower than 0.1 s; on a loaded machine that is any
        # callback, so the book turns that part off: the thread checks are what it shows.
        self.loop.slow_callback_duration = 60.0
        self._thread = threading.Thread(target=self._serve, name="background-loop", daemon=True)
        self._started = threading.Event()
        self._closed = False

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._started.set)  # set once the loop is really running
        self.loop.run_forever()

    def __enter__(self) -> BackgroundLoop:
        self._thread.start()
        self._started.wait()
        return self

    def wait_until_asleep(self, timeout: float = 5.0) -> None:
        """Block until the loop has nothing to do and sleeps, waiting for a wake-up.

        For showing what a wake-up does: a callback queued with ``loop.call_soon`` from another
        thread after this returns is certain to wait, however busy the machine is.
        """
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        if not self._asleep.wait(timeout):
            raise TimeoutError(f"the background loop was still busy after {timeout} s")

    def is_asleep(self) -> bool:
        """True while the loop sleeps with nothing at all to do: no ready callback, no timer.

        Only another thread (or I/O) can wake it then; nothing scheduled on the loop itself will.
        """
        return self._asleep.is_set()

    def submit(self, coro: Coroutine[Any, Any, _T]) -> concurrent.futures.Future[_T]:
        """Run *coro* on the background loop; return a thread-safe future of its result."""
        if not asyncio.iscoroutine(coro):
            raise TypeError(f"submit a coroutine, e.g. bg.submit(fetch(1)), not {type(coro).__name__}")
        if self._closed or not self._thread.is_alive():
            coro.close()
            raise RuntimeError("the background loop is not running: use submit inside `with BackgroundLoop() as bg:`")
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, _T], timeout: float | None = 5.0) -> _T:
        """Submit *coro* and wait for its result; after *timeout* seconds cancel it and raise TimeoutError."""
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
            raise ValueError(f"timeout must be a positive number of seconds or None, got {timeout!r}")
        future = self.submit(coro)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()  # cancels the task on the loop, too
            raise

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._closed = True

        async def shut_down() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.loop.shutdown_default_executor()

        asyncio.run_coroutine_threadsafe(shut_down(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("running" if self._thread.is_alive() else "not started")
        return f"<BackgroundLoop {state}>"
