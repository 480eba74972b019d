"""A toy event loop: a ready queue, a heap of sleepers and ``send()``, nothing else.

A coroutine cannot run itself. It runs when someone calls ``coro.send(None)``, and at
each ``await`` that really has to wait it *yields* a request back to that someone and
freezes. Whoever calls ``send()`` decides who runs next and when a sleeper is woken:
that someone is the event loop. This module is the smallest loop that does the job:

- coroutines sleep with ``await toy_sleep(0.2)``, whose ``__await__`` yields the
  request ``("sleep", 0.2)``; the request travels up through every ``await`` to the
  loop's ``send()`` call, exactly as asyncio's futures travel up to asyncio's Task;
- the loop keeps the tasks that can run now in a FIFO queue (:class:`collections.deque`)
  and the sleepers in a heap (:mod:`heapq`) ordered by wake-up time, so the next
  sleeper to wake is always at the front;
- a coroutine can also wait for a :class:`ToyFuture`, a box for a result that someone
  else will set. Awaiting a pending one yields the future itself; the loop then *parks*
  the task (it is in neither collection) and adds a done callback to the future, the
  task's *wake-up*, which puts it back in the ready queue. asyncio's Task does the same
  with asyncio's futures;
- every step it runs is recorded in :attr:`ToyLoop.trace` (time, task, what it did).

By default the clock is *virtual*: when every task sleeps, the loop jumps its clock to
the next wake-up time instead of waiting. The schedule is the same as with a real clock,
but it takes no time and the trace is exactly reproducible; trio's ``MockClock`` (with
``autojump_threshold=0``) and the "fake time" loops of test suites work the same way.
``ToyLoop(clock="real")`` really waits, with :func:`time.sleep`, like a real loop.
"""

from __future__ import annotations

import heapq
import inspect
import itertools
import math
import time
from collections import deque
from collections.abc import Callable, Coroutine, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["toy_sleep", "ToySleep", "ToyFuture", "ToyTask", "Event", "ToyLoop"]


class ToySleep:
    """The awaitable :func:`toy_sleep` returns: awaiting it asks the toy loop for a nap."""

    def __init__(self, seconds: float) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise TypeError(f"toy_sleep() needs a number of seconds such as 0.1, got {type(seconds).__name__}")
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"toy_sleep() needs a finite number of seconds >= 0, got {seconds}")
        self.seconds = float(seconds)

    def __await__(self) -> Iterator[tuple[str, float]]:
        # The whole trick: this yield suspends every coroutine in the
        # await chain and hands the request to the loop, which resumes
        # us with send(None) when it is time.
        yield ("sleep", self.seconds)

    def __repr__(self) -> str:
        return f"toy_sleep({self.seconds:g})"


def _is_sleep_request(request: object) -> bool:
    """True for what ToySleep yields: ("sleep", seconds), with seconds a number >= 0."""
    return (isinstance(request, tuple) and len(request) == 2 and request[0] == "sleep"
            and isinstance(request[1], (int, float)) and not isinstance(request[1], bool) and request[1] >= 0)


def toy_sleep(seconds: float) -> ToySleep:
    """Return an awaitable that suspends the awaiting task for *seconds* on a :class:`ToyLoop`."""
    return ToySleep(seconds)


class ToyFuture:
    """A box for a result that is set later, once, by someone else; tasks can await it.

    The smallest version of :class:`asyncio.Future`, so that the toy loop shows how a
    task waits for *anything*, not only for time: ``await fut`` suspends the task until
    some other code calls ``fut.set_result(value)``, and then evaluates to *value*.
    """

    def __init__(self) -> None:
        self._done = False
        self._result: Any = None
        self._callbacks: list[Callable[[ToyFuture], None]] = []

    def done(self) -> bool:
        """True once :meth:`set_result` has been called."""
        return self._done

    def result(self) -> Any:
        """The result; asking before it is set is an error (like asyncio's futures)."""
        if not self._done:
            raise RuntimeError("the future has no result yet: await it, or wait until done() is true")
        return self._result

    def add_done_callback(self, fn: Callable[[ToyFuture], None]) -> None:
        """Call ``fn(future)`` when the result is set (at once, if it is set already)."""
        if not callable(fn):
            raise TypeError(f"add_done_callback() needs a function that takes the future, got {type(fn).__name__}")
        if self._done:
            fn(self)
        else:
            self._callbacks.append(fn)

    def set_result(self, value: Any) -> None:
        """Store *value* and call every done callback (once: a future takes one result)."""
        if self._done:
            raise RuntimeError("this future already has a result: a future takes one result")
        self._done, self._result = True, value
        callbacks, self._callbacks = self._callbacks, []
        for fn in callbacks:
            fn(self)

    def __await__(self) -> Generator[ToyFuture, None, Any]:
        if not self._done:
            yield self  # up the await chain to the loop, which parks the task
        return self._result  # resumed after set_result: the await evaluates to it

    def __repr__(self) -> str:
        return f"<ToyFuture result={self._result!r}>" if self._done else "<ToyFuture pending>"


@dataclass(frozen=True)
class Event:
    """One step in a toy loop's trace: at *time*, *task* ran and then did *what*.

    For a sleep, *until* is the wake-up time the loop filed the task under.
    """

    time: float
    task: str
    what: str
    until: float | None = None


@dataclass(eq=False)
class ToyTask:
    """A coroutine the loop drives, with its name and, once finished, its return value."""

    name: str
    coro: Coroutine[Any, Any, Any] = field(repr=False)
    done: bool = False
    result: Any = None


class ToyLoop:
    """Run coroutines that ``await toy_sleep(...)``, interleaving them on one thread.

    :param clock: ``"virtual"`` (default) jumps to the next wake-up time instead of
        waiting; ``"real"`` waits with :func:`time.sleep`.
    """

    def __init__(self, *, clock: Literal["virtual", "real"] = "virtual") -> None:
        if clock not in ("virtual", "real"):
            raise ValueError(f"clock must be 'virtual' or 'real', got {clock!r}")
        self.clock = clock
        self.trace: list[Event] = []
        self._tasks: list[ToyTask] = []
        self._ready: deque[ToyTask] = deque()                 # can run now, first come first served
        self._sleeping: list[tuple[float, int, ToyTask]] = []  # heap of (wake-up time, ticket, task)
        self._tickets = itertools.count()  # equal wake-up times: whoever fell asleep first wakes first
        self._virtual_now = 0.0
        self._real_start = time.monotonic()

    def time(self) -> float:
        """Seconds on this loop's clock (virtual, or real seconds since the loop was made)."""
        if self.clock == "virtual":
            return self._virtual_now
        return time.monotonic() - self._real_start

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str | None = None) -> ToyTask:
        """Schedule the coroutine *coro* to start as soon as the loop runs; return its task."""
        if inspect.iscoroutinefunction(coro):
            raise TypeError(f"spawn() needs a coroutine, got the coroutine function {coro.__name__}: "
                            f"call it, as in spawn({coro.__name__}(...))")
        if not inspect.iscoroutine(coro):
            raise TypeError(f"spawn() needs a coroutine, the object an async def function returns; "
                            f"got {type(coro).__name__}")
        if inspect.getcoroutinestate(coro) != inspect.CORO_CREATED:
            raise ValueError("spawn() needs a fresh coroutine, and this one has already run: "
                             "call the async def function again for a new one")
        name = f"task-{len(self._tasks) + 1}" if name is None else name
        if not isinstance(name, str) or not name:
            coro.close()
            raise TypeError(f"a task's name is a non-empty str, got {name!r}")
        if any(task.name == name for task in self._tasks):
            coro.close()
            raise ValueError(f"there is already a task called {name!r}: give each task its own name")
        task = ToyTask(name, coro)
        self._tasks.append(task)
        self._ready.append(task)
        return task

    def run(self) -> dict[str, Any]:
        """Run until every task has returned; return {name: value}.

        An exception escaping a task stops the loop and propagates
        (asyncio would keep it in the task); the rest are closed.
        """
        try:
            while self._ready or self._sleeping:
                now = self.time()
                if not self._ready:  # all asleep: wait for the first
                    now = self._wait_until(self._sleeping[0][0])
                while self._sleeping and self._sleeping[0][0] <= now:
                    _, _, task = heapq.heappop(self._sleeping)
                    self._ready.append(task)
                for _ in range(len(self._ready)):  # one step each
                    self._step(self._ready.popleft())
            stuck = [task.name for task in self._tasks if not task.done]
            if stuck:  # parked on futures that nobody is left to complete
                raise RuntimeError(f"nothing is left to run, yet these tasks wait for a future that "
                                   f"nobody will complete: {', '.join(stuck)}. Set its result from "
                                   f"another task")
        finally:  # after an error, close the rest: none runs half-way
            for task in self._tasks:
                if not task.done:
                    task.coro.close()
            self._ready.clear()
            self._sleeping.clear()
        return {task.name: task.result for task in self._tasks}

    def _wait_until(self, when: float) -> float:
        """Let the clock reach *when* and return the time, at least *when*."""
        if self.clock == "virtual":
            self._virtual_now = max(self._virtual_now, when)   # jump: no time passes
        elif (delay := when - self.time()) > 0:
            time.sleep(delay)
        return max(self.time(), when)  # never below *when*, whatever rounding does

    def _step(self, task: ToyTask, error: BaseException | None = None) -> None:
        """Resume *task* until it yields a request or finishes (or throw *error* into it)."""
        try:
            request = task.coro.send(None) if error is None else task.coro.throw(error)
        except StopIteration as stop:  # the coroutine returned
            task.done, task.result = True, stop.value
            self._record(task, f"return {stop.value!r}")
            return
        except BaseException as exc:
            task.done = True
            self._record(task, f"raise {type(exc).__name__}")
            raise
        if _is_sleep_request(request):  # ("sleep", seconds): file it in the heap
            self._sleep(task, request[1])
        elif isinstance(request, ToyFuture):  # a pending future: park until it is done
            self._park(task, request)
        else:
            self._step(task, self._bad_request(task, request))

    def _sleep(self, task: ToyTask, seconds: float) -> None:
        wake_at = self.time() + seconds
        if self.clock == "virtual":  # 0.1 + 0.2 must wake together with 0.3
            wake_at = round(wake_at, 9)
        heapq.heappush(self._sleeping, (wake_at, next(self._tickets), task))
        self._record(task, f"sleep {seconds:g} s", until=wake_at)

    def _park(self, task: ToyTask, future: ToyFuture) -> None:
        def wake_up(done_future: ToyFuture) -> None:
            self._ready.append(task)  # runs again on the loop's next round

        future.add_done_callback(wake_up)  # the task is now in neither collection
        self._record(task, "wait for a future")

    @staticmethod
    def _bad_request(task: ToyTask, request: object) -> TypeError:
        # Not ours: the error is thrown in at the await that yielded it, so the traceback
        # points at the reader's line (asyncio's Task does the same: "Task got bad yield").
        plain = request is None or isinstance(request, (tuple, str, int, float))
        described = repr(request) if plain else f"a {type(request).__name__} object"
        return TypeError(
            f"task {task.name!r} yielded {described} to the toy loop, which only understands the "
            f"requests toy_sleep() makes and ToyFutures. asyncio's awaitables (asyncio.sleep, futures, "
            f"tasks) need asyncio's event loop: inside ToyLoop use `await toy_sleep(...)`.")

    def _record(self, task: ToyTask, what: str, until: float | None = None) -> None:
        self.trace.append(Event(round(self.time(), 6), task.name, what, until))

    def format_trace(self, resolution: float = 0.1) -> str:
        """The trace as a table. Times are snapped to *resolution* like asyncbook.timeline's:
        a real clock runs a little late, and up to 75 % of a step late still reads on time."""
        if isinstance(resolution, bool) or not isinstance(resolution, (int, float)) or not 0 < resolution <= 10:
            raise ValueError(f"resolution must be a number of seconds in (0, 10], such as 0.1; got {resolution!r}")
        decimals = max(0, -math.floor(math.log10(resolution) + 1e-9))

        def snap(seconds: float) -> str:
            return f"{math.floor(seconds / resolution + 0.25) * resolution:.{decimals}f}"

        width = max([4, *(len(event.task) for event in self.trace)])
        rows = [f"{'time':>5}  {'task'.ljust(width)}  what it did when it ran"]
        for event in self.trace:
            until = "" if event.until is None else f" (until {snap(event.until)})"
            rows.append(f"{snap(event.time):>5}  {event.task.ljust(width)}  {event.what}{until}")
        return "\n".join(rows)
