"""Checkers for chapter 9, *Threads and processes*.

Where the chapter teaches what each exercise needs:

- ch09-context: `loop.run_in_executor(executor, func, *args)` runs in the executor you pass, and
  takes no keyword arguments, so calls are packed with `functools.partial` (section "to_thread
  and run_in_executor"); `to_thread` copies the caller's context and runs `func` through
  `ctx.run` (its source, printed in the same section), `run_in_executor` does not (section
  "Context variables cross into threads, or not").
- ch09-threadsafe: only `loop.call_soon_threadsafe` (or `asyncio.run_coroutine_threadsafe`) may
  be used on a loop, its futures included, from another thread; `call_soon` from another thread
  neither is safe nor wakes the loop, and debug mode makes it raise (sections "Calling into the
  loop from another thread", "Why not loop.call_soon from another thread?", and the pitfall
  "Non-thread-safe calls from another thread").
- ch09-sync-call: `asyncio.run_coroutine_threadsafe(coro, loop)` returns a
  `concurrent.futures.Future`; `future.result(timeout)` returns the result, raises the
  exception or raises `TimeoutError`, and `future.cancel()` cancels the task on the loop
  (sections "Calling into the loop from another thread" and "A loop in a background thread",
  whose `BackgroundLoop.run` source is printed). Chapter 3 teaches that `asyncio.run` starts a
  new loop.
- ch09-picklable: a process pool pickles the function by reference; a lambda or a function
  defined inside another cannot be pickled, and a function from a notebook cell cannot be found
  by a `spawn` child, while a module's function can (sections "What crosses to a process:
  pickles" and "Start methods"); `functools.partial` carries keyword arguments, and
  `run_in_executor` submits at once, so building the list first runs the calls side by side
  (section "to_thread and run_in_executor"; the finale's `hash_in` does it).

No verdict depends on how fast the machine is. Where the reader's code might wait forever, the
check looks for the state that proves it (a thread waiting in ``future.result()`` with no time
limit; an event loop idle with nothing left to hand to the pool) and, failing that, a generous
real-time limit ends it; the feedback says what was still waiting.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import pickle
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

from ..background import BackgroundLoop
from ..selfcheck import Wrong, exercise, run_in_fresh_loop, run_in_watched_loop
from ..workload import hash_file, make_files

_request = contextvars.ContextVar("request", default="no request")

# Real seconds a check waits for a call of the reader's that shows no sign of being stuck, on
# top of any time limit the call was given. Right answers take milliseconds (or the 0.1 s limit
# they are given); only a wrong answer whose way of hanging the check cannot see waits this long.
_GUARD = 10.0


def _require_coroutine_function(func: object, name: str) -> None:
    if not callable(func):
        raise Wrong(f"pass the function itself: check(..., {name}), without calling it")
    if not inspect.iscoroutinefunction(func):
        raise Wrong(f"{name} must be an `async def` function.")


def _require_plain_function(func: object, name: str) -> None:
    if not callable(func):
        raise Wrong(f"pass the function itself: check(..., {name}), without calling it")
    if inspect.iscoroutinefunction(func):
        raise Wrong(f"{name} is called from a plain thread, where nothing would run a coroutine: "
                    "make it a plain `def` function.")


# -- run in a given executor, with the caller's context -----------------------------------------
@exercise("ch09-context")
def check_context(run_with_context: Callable[..., Any]) -> str:
    _require_coroutine_function(run_with_context, "run_with_context")

    def lookup(prefix: str) -> tuple[str, str]:
        return prefix + _request.get(), threading.current_thread().name

    async def scenario() -> tuple[Any, str]:
        _request.set("req-42")
        with concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="checker-pool") as pool:
            result = await run_with_context(pool, lookup, "seen: ")
        return result, threading.current_thread().name

    result, loop_thread = run_in_fresh_loop(scenario)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise Wrong(f"run_with_context(pool, lookup, 'seen: ') returned {result!r}: return what "
                    "func(*args) returns.")
    seen, thread = result
    if thread == loop_thread:
        raise Wrong("func ran in the event loop's own thread, blocking the loop: run it in the executor.")
    if not thread.startswith("checker-pool"):
        raise Wrong(f"func ran in a thread called {thread.split('_')[0]!r}, not in the executor passed to "
                    "run_with_context: loop.run_in_executor(executor, ...) uses the one you give it "
                    "(asyncio.to_thread always uses the loop's default pool).")
    if seen != "seen: req-42":
        raise Wrong(f"func read the context variable as {seen.removeprefix('seen: ')!r}, not 'req-42': "
                    "run_in_executor does not copy the caller's context. Copy it with "
                    "contextvars.copy_context() and run func through ctx.run, as to_thread does.")
    return "func ran in the given pool, with the caller's context variables."


# -- finish a future from another thread ----------------------------------------------------------
class _WatchedFuture(asyncio.Future):
    """A future that notes which thread sets its result."""

    setter: str | None = None

    def set_result(self, result: Any) -> None:
        self.setter = threading.current_thread().name
        super().set_result(result)


@exercise("ch09-threadsafe")
def check_threadsafe(finish: Callable[..., Any]) -> str:
    _require_plain_function(finish, "finish")

    async def scenario() -> tuple[str, Any, str | None, str, str | None]:
        loop = asyncio.get_running_loop()
        # Debug mode makes the loop's non-thread-safe methods (call_soon, ...) raise when called
        # from another thread; slow callbacks are not what this check is about, so never log them.
        loop.set_debug(True)
        loop.slow_callback_duration = 60.0
        future = _WatchedFuture()
        errors: list[str] = []

        def worker(loop: asyncio.AbstractEventLoop) -> None:
            try:
                finish(loop, future, 42)
            except Exception as error:  # reported as feedback
                errors.append(f"{type(error).__name__}: {error}")

        # to_thread returns once the worker is done; its own wake-up comes after anything the
        # worker queued with call_soon_threadsafe, so no waiting on a clock is needed.
        await asyncio.to_thread(worker, loop)
        for _ in range(5):
            await asyncio.sleep(0)
        state = "done" if future.done() else "pending"
        value = future.result() if future.done() and not future.cancelled() else None
        return state, value, future.setter, threading.current_thread().name, errors[0] if errors else None

    state, value, setter, loop_thread, error = run_in_fresh_loop(scenario)
    if setter is not None and setter != loop_thread:
        raise Wrong("future.set_result ran in the worker thread. Futures are not thread-safe, and the loop "
                    "is not told to wake up: ask the loop to call it for you with "
                    "loop.call_soon_threadsafe(future.set_result, value).")
    if error is not None:
        raise Wrong(f"finish(loop, future, 42) raised {error} in the worker thread. From another thread, "
                    "only loop.call_soon_threadsafe (or asyncio.run_coroutine_threadsafe) may be used.")
    if state != "done":
        raise Wrong("after finish(loop, future, 42) the future was still not done when the loop looked: "
                    "set its result through the loop, with loop.call_soon_threadsafe.")
    if value != 42:
        raise Wrong(f"the future's result is {value!r}, expected 42.")
    return "the result was set in the loop's thread, and the waiting task woke up at once."


# -- a synchronous call into a loop running in another thread -------------------------------------
@exercise("ch09-sync-call")
def check_sync_call(call_sync: Callable[..., Any]) -> str:
    _require_plain_function(call_sync, "call_sync")
    with BackgroundLoop() as bg:
        events: list[str] = []

        async def where() -> str:
            await asyncio.sleep(0)
            return "the given loop" if asyncio.get_running_loop() is bg.loop else "another loop"

        async def fails() -> None:
            await asyncio.sleep(0)
            raise ValueError("bad input")

        async def forever() -> None:
            events.append("started")
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                events.append("cancelled")
                raise

        def attempt(coro: Any, timeout: float, *, never_ends: bool = False) -> tuple[str, Any]:
            """Call call_sync(bg.loop, coro, timeout) in a thread of its own: "returned", "raised" or "hung"."""
            outcome: dict[str, Any] = {}

            def call() -> None:
                try:
                    outcome["returned"] = call_sync(bg.loop, coro, timeout)
                except BaseException as error:  # reported as feedback, never left to crash the thread
                    outcome["raised"] = error

            caller = threading.Thread(target=call, name="checker-caller", daemon=True)
            caller.start()
            deadline = time.monotonic() + timeout + _GUARD
            while caller.is_alive():
                # A thread waiting with no time limit for a coroutine that never ends, on a loop
                # that has no timer that could end it (asyncio.wait_for or asyncio.timeout on the
                # loop's side would have one: that is a right answer too), is stuck for good: no
                # need to wait out the guard. (When the check ends, the background loop cancels
                # the coroutine, and the thread's wait ends with CancelledError.)
                stuck = (never_ends and events == ["started"] and _waits_without_limit(caller)
                         and bg.is_asleep())
                if stuck or time.monotonic() > deadline:
                    return "hung", None
                caller.join(0.01)  # only how soon a hang is noticed depends on this, never a verdict
            kind = "returned" if "returned" in outcome else "raised"
            return kind, outcome.get(kind)

        kind, value = attempt(where(), 10.0)
        if kind != "returned":
            raise Wrong(f"call_sync(loop, coro, 10.0) on a coroutine that returns at once {kind} "
                        f"{value!r}; expected its return value.")
        if value != "the given loop":
            raise Wrong("the coroutine ran on another event loop (asyncio.run makes a new one), not on the "
                        "loop passed to call_sync: use asyncio.run_coroutine_threadsafe(coro, loop).")
        kind, value = attempt(fails(), 10.0)
        if not (kind == "raised" and isinstance(value, ValueError)):
            raise Wrong(f"when the coroutine raises ValueError, call_sync should raise it too; it {kind} {value!r}.")
        kind, value = attempt(forever(), 0.1, never_ends=True)
        if kind == "hung":
            raise Wrong("call_sync(loop, never_ending(), 0.1) had not returned long after 0.1 s: pass the time "
                        "limit to future.result(timeout).")
        if not (kind == "raised" and isinstance(value, TimeoutError)):
            raise Wrong(f"on a coroutine that never ends, call_sync with timeout 0.1 should raise TimeoutError; "
                        f"it {kind} {value!r}.")

        async def settle() -> None:
            for _ in range(20):
                await asyncio.sleep(0)

        bg.run(settle(), timeout=_GUARD)
        if events != ["started", "cancelled"]:
            raise Wrong("call_sync raised TimeoutError, but the coroutine was still running on the loop: "
                        "cancel it with future.cancel() before raising.")
    return "runs the coroutine on the given loop, passes on its result and errors, and cancels it on timeout."


def _waits_without_limit(thread: threading.Thread) -> bool:
    """True if *thread* is waiting in ``concurrent.futures.Future.result()`` with no time limit."""
    frame = sys._current_frames().get(thread.ident)  # type: ignore[arg-type]
    while frame is not None:
        if frame.f_code is concurrent.futures.Future.result.__code__ and frame.f_locals.get("timeout") is None:
            return True
        frame = frame.f_back
    return False


# -- hash files in a process pool ---------------------------------------------------------------------
class _ProcessLikePool(concurrent.futures.Executor):
    """Runs calls in threads, but first pickles them and refuses what a spawn child could not find.

    A real process pool would need a second or so of start-up in a self-check; this one checks
    the same rules (a picklable function, defined in a module) and notes when calls arrive: the
    first call waits until all are in, or until no other can come (see :meth:`_stuck`).
    """

    def __init__(self, expected: int, asleep: threading.Event) -> None:
        self._threads = concurrent.futures.ThreadPoolExecutor(4, thread_name_prefix="checker-process")
        self._expected = expected
        self._asleep = asleep  # set by the event loop while it is idle (run_in_watched_loop)
        self._loop: asyncio.AbstractEventLoop | None = None
        self.submitted = 0
        self.outstanding = 0  # calls handed to the threads and not yet counted back, in the loop's thread
        self.all_in = threading.Event()
        self.submitted_at_first_start: int | None = None
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        with self._lock:
            self.submitted += 1
            if self.submitted >= self._expected:
                self.all_in.set()
        if self._loop is None:
            try:
                self._loop = asyncio.get_running_loop()  # run_in_executor submits from the loop's thread
            except RuntimeError:
                pass
        name = getattr(fn, "__name__", type(fn).__name__)
        what = ("a lambda" if name == "<lambda>" else
                f"{name}, a function defined inside another," if "<locals>" in getattr(fn, "__qualname__", "")
                else name)
        try:
            loaded = pickle.loads(pickle.dumps((fn, args, kwargs)))
        except Exception:
            return self._failed(f"cannot pickle {what}: a process pool sends a function by its module "
                                "and name, and a lambda or a function defined inside another has no name "
                                "the child could import.")
        target = getattr(fn, "func", fn)  # look inside functools.partial
        if getattr(target, "__module__", None) == "__main__":
            return self._failed(f"{getattr(target, '__name__', name)} is defined in the notebook (module "
                                "__main__): a spawn or forkserver child cannot find it. Use a function "
                                "from a module, such as hash_file.")
        self.outstanding += 1
        return self._threads.submit(self._run, *loaded)

    def _stuck(self) -> bool:
        """No other call can come: the loop is idle, and the only call handed out is the one waiting.

        The count is read on both sides of the flag: if the loop woke up and counted a finished call
        in between, the reads differ and nothing is concluded.
        """
        before = self.outstanding
        return self._asleep.is_set() and before == self.outstanding == 1

    def _counted_back(self) -> None:
        self.outstanding -= 1

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            with self._lock:
                if self.submitted_at_first_start is None:
                    self.submitted_at_first_start = -1  # claimed: this call is the first
                    first = True
                else:
                    first = False
            if first:
                # Wait for the other calls to arrive, as a busy worker would; give up only when none
                # can come (or, if the check cannot see the loop, after a generous real-time limit).
                deadline = time.monotonic() + _GUARD
                while not self.all_in.wait(0.01) and not self._stuck() and time.monotonic() < deadline:
                    pass
                self.submitted_at_first_start = self.submitted
            return fn(*args, **kwargs)
        finally:
            if self._loop is not None:
                try:
                    self._loop.call_soon_threadsafe(self._counted_back)
                except RuntimeError:  # the loop has closed: nobody is counting any more
                    pass

    @staticmethod
    def _failed(message: str) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        future.set_exception(pickle.PicklingError(message))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._threads.shutdown(wait, cancel_futures=cancel_futures)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@exercise("ch09-picklable")
def check_picklable(hash_all: Callable[..., Any]) -> str:
    _require_coroutine_function(hash_all, "hash_all")
    with tempfile.TemporaryDirectory() as folder:
        paths = make_files(folder, 3, 1000)
        expected = dict(hash_file(path, "blake2b") for path in paths)
        asleep = threading.Event()
        pool = _ProcessLikePool(len(paths), asleep)
        try:
            try:
                result = run_in_watched_loop(lambda: hash_all(pool, paths, "blake2b"), asleep, timeout=3 * _GUARD)
            except pickle.PicklingError as error:
                raise Wrong(str(error)) from None
        finally:
            pool.shutdown()
    if pool.submitted_at_first_start is not None and pool.submitted_at_first_start < len(paths):
        raise Wrong("the first file was hashed before the others had been handed to the pool: the pool "
                    "ran one call at a time. Call run_in_executor for every path first, then gather.")
    if result != expected:
        raise Wrong(f"hash_all(pool, paths, 'blake2b') returned {_short(result)}; expected a dict of file name -> digest, "
                    f"such as dict(await asyncio.gather(...)) of hash_file's (name, digest) pairs, "
                    "hashed with the algorithm you were given.")
    return "every call could be sent to a child process, all were submitted at once, and the digests are right."
