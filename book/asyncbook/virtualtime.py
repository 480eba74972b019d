"""An asyncio event loop whose clock jumps ahead instead of waiting: tests that sleep take no time.

Code under test often waits: a retry backs off for a second, a cache entry expires after a
minute, a time limit fires after thirty seconds. A test that really waits is slow, and a test
that waits *less* than the code expects is flaky. Chapter 3's toy loop shows the cure with a
virtual clock: when every task is asleep, jump the clock to the next wake-up time.

:class:`VirtualTimeLoop` does the same for real asyncio code. It is an ordinary
:class:`asyncio.SelectorEventLoop` with two changes:

- ``loop.time()`` reads a virtual clock that starts at 0.0 and moves only when the loop
  would otherwise wait for a timer;
- when asyncio asks the selector to wait *timeout* seconds for I/O, the selector looks for
  I/O that is ready now, and if there is none it advances the virtual clock by *timeout*
  and returns at once. asyncio then finds the timer due, exactly as if the time had passed.

Everything that asyncio times with ``loop.time()`` follows the virtual clock: ``asyncio.sleep``,
``asyncio.timeout``, ``asyncio.wait_for``, ``loop.call_later``. Real I/O (sockets, pipes) is still
polled, but without waiting for it while a timer is pending: a time limit around a real socket
read fires as soon as nothing is ready, so fake the I/O in tests that run on this loop. When
no timer is pending at all, the loop waits for I/O in real time like any loop (a thread calling
``loop.call_soon_threadsafe`` wakes it). While a thread of the loop's executor is at work
(``loop.run_in_executor``, ``asyncio.to_thread``, and the executor's shutdown when the loop ends),
the loop waits in real time too, so that no timer can fire before the thread had a chance to
finish. Blocking calls such as :func:`time.sleep` are not virtual: they block, as always.

Use it with ``asyncio.Runner(loop_factory=VirtualTimeLoop)``, with AnyIO's pytest plugin
(``anyio_backend`` returning ``("asyncio", {"loop_factory": VirtualTimeLoop})``), or with
:func:`run_virtual`.
"""

from __future__ import annotations

import asyncio
import inspect
import selectors
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["VirtualTimeLoop", "run_virtual"]

_T = TypeVar("_T")


class _JumpingSelector(selectors.BaseSelector):
    """A selector that never waits for a timer: it moves the loop's virtual clock instead."""

    def __init__(self, loop: VirtualTimeLoop) -> None:
        self._loop = loop
        self._real = selectors.DefaultSelector()

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = self._real.select(0)           # I/O that is ready now, without waiting
        if ready or timeout == 0:
            return ready
        if timeout is None:                    # no timer pending: only I/O can wake us, wait for it
            return self._real.select(None)
        if self._loop._threads_at_work:        # a thread may still answer: wait as a real loop would
            start = time.monotonic()
            ready = self._real.select(timeout)
            self._loop._advance(timeout if not ready else min(timeout, time.monotonic() - start))
            return ready
        self._loop._advance(timeout)           # a timer is pending: jump to it
        return []

    def close(self) -> None:
        self._real.close()

    def get_key(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.get_key(fileobj)

    def get_map(self) -> Any:
        return self._real.get_map()


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector event loop on a virtual clock that starts at 0.0 and jumps to the next timer.

    ``asyncio.sleep(3600)`` on this loop returns at once, with ``loop.time()`` one hour later.
    """

    def __init__(self) -> None:
        self._virtual_now = 0.0
        self._threads_at_work = 0
        super().__init__(_JumpingSelector(self))

    def time(self) -> float:
        """The virtual clock, in seconds since the loop was made (no real time is measured)."""
        return self._virtual_now

    def run_in_executor(self, executor: Any, func: Callable[..., _T], *args: Any) -> asyncio.Future[_T]:
        future = super().run_in_executor(executor, func, *args)
        self._threads_at_work += 1
        future.add_done_callback(self._thread_done)
        return future

    def _thread_done(self, _future: asyncio.Future[Any]) -> None:
        self._threads_at_work -= 1

    async def shutdown_default_executor(self, *args: Any, **kwargs: Any) -> None:
        # asyncio.run ends by joining the executor's threads under a time limit (3.12+):
        # that limit must be real, or it would expire at once and warn.
        self._threads_at_work += 1
        try:
            await super().shutdown_default_executor(*args, **kwargs)
        finally:
            self._threads_at_work -= 1

    def _advance(self, seconds: float) -> None:
        self._virtual_now += seconds


def run_virtual(main: Coroutine[Any, Any, _T], *, debug: bool | None = None) -> _T:
    """Like :func:`asyncio.run`, but on a new :class:`VirtualTimeLoop`.

    Like ``asyncio.run`` it cannot be called where an event loop is already running (a notebook
    cell): there, call it in a worker thread (``asyncbook.loopthread.run_in_worker``).
    """
    if not asyncio.iscoroutine(main):
        kind = "coroutine function" if inspect.iscoroutinefunction(main) else type(main).__name__
        raise TypeError(f"run_virtual() needs a coroutine, such as run_virtual(main()); got a {kind}")
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # no loop running in this thread: good
        pass
    else:
        raise RuntimeError("run_virtual() cannot be called where an event loop is already running (a notebook "
                           "cell, a coroutine): call it in a worker thread, as run_in_worker(run_virtual, main())")
    with asyncio.Runner(debug=debug, loop_factory=VirtualTimeLoop) as runner:
        return runner.run(main)
