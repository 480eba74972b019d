"""Unit tests for asyncbook.toyloop: scheduling order, return values, clocks, bad input."""

from __future__ import annotations

import asyncio
import inspect

import pytest

from asyncbook.toyloop import Event, ToyFuture, ToyLoop, ToySleep, toy_sleep


async def worker(name: str, *naps: float) -> str:
    for seconds in naps:
        await toy_sleep(seconds)
    return f"{name} done"


def steps(loop: ToyLoop) -> list[tuple[float, str, str]]:
    return [(e.time, e.task, e.what) for e in loop.trace]


def test_toy_sleep_yields_a_request_to_whoever_drives_it() -> None:
    awaiting = toy_sleep(0.25).__await__()
    assert awaiting.send(None) == ("sleep", 0.25)
    with pytest.raises(StopIteration):
        awaiting.send(None)
    assert repr(toy_sleep(0.25)) == "toy_sleep(0.25)"


def test_tasks_interleave_by_wake_up_time_and_return_values() -> None:
    loop = ToyLoop()
    loop.spawn(worker("a", 0.3), "a")
    loop.spawn(worker("b", 0.1, 0.3), "b")
    loop.spawn(worker("c", 0.2), "c")
    assert loop.run() == {"a": "a done", "b": "b done", "c": "c done"}
    assert steps(loop) == [
        (0.0, "a", "sleep 0.3 s"), (0.0, "b", "sleep 0.1 s"), (0.0, "c", "sleep 0.2 s"),
        (0.1, "b", "sleep 0.3 s"),
        (0.2, "c", "return 'c done'"),
        (0.3, "a", "return 'a done'"),
        (0.4, "b", "return 'b done'"),
    ]
    assert loop.trace[3] == Event(0.1, "b", "sleep 0.3 s", until=0.4)
    assert loop.time() == 0.4


def test_simultaneous_wake_ups_go_in_the_order_the_tasks_fell_asleep() -> None:
    loop = ToyLoop()
    loop.spawn(worker("soup", 0.2, 0.1), "soup")    # asleep at 0.2 for 0.3
    loop.spawn(worker("salad", 0.1, 0.2), "salad")  # asleep at 0.1 for 0.3
    loop.spawn(worker("tea", 0.3), "tea")           # asleep at 0.0 for 0.3
    loop.run()
    assert [e.task for e in loop.trace] == ["soup", "salad", "tea", "salad", "soup", "tea", "salad", "soup"]
    # 0.1 + 0.2 and 0.2 + 0.1 are not exactly 0.3 in floating point; the virtual clock rounds.
    assert [e.until for e in loop.trace if e.until is not None][-2:] == [0.3, 0.3]


def test_tasks_ready_at_the_same_time_run_in_spawn_order() -> None:
    loop = ToyLoop()
    for name in ["x", "y", "z"]:
        loop.spawn(worker(name, 0, 0), name)
    loop.run()
    assert [e.task for e in loop.trace] == ["x", "y", "z"] * 3


def test_default_names_and_results_of_tasks() -> None:
    loop = ToyLoop()
    first = loop.spawn(worker("p"))
    second = loop.spawn(worker("q", 0.1))
    assert (first.name, second.name) == ("task-1", "task-2")
    assert not first.done
    assert loop.run() == {"task-1": "p done", "task-2": "q done"}
    assert first.done and first.result == "p done"


def test_nested_awaits_pass_the_request_up_to_the_loop() -> None:
    async def inner() -> int:
        await toy_sleep(0.2)
        return 2

    async def outer() -> int:
        return await inner() + 1

    loop = ToyLoop()
    loop.spawn(outer(), "outer")
    assert loop.run() == {"outer": 3}
    assert steps(loop) == [(0.0, "outer", "sleep 0.2 s"), (0.2, "outer", "return 3")]


def test_virtual_clock_takes_no_real_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("asyncbook.toyloop.time.sleep", lambda s: pytest.fail("the virtual clock must not sleep"))
    loop = ToyLoop()
    loop.spawn(worker("a", 100), "a")
    loop.run()
    assert loop.time() == 100


class FakeMonotonic:
    """Stands in for time.monotonic and time.sleep: sleeping moves it, nothing else does."""

    def __init__(self) -> None:
        self.now = 50.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_real_clock_really_sleeps_until_the_next_wake_up(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeMonotonic()
    monkeypatch.setattr("asyncbook.toyloop.time.monotonic", fake.monotonic)
    monkeypatch.setattr("asyncbook.toyloop.time.sleep", fake.sleep)
    loop = ToyLoop(clock="real")
    loop.spawn(worker("a", 0.3), "a")
    loop.spawn(worker("b", 0.1), "b")
    assert loop.run() == {"a": "a done", "b": "b done"}
    assert fake.slept == [0.1, 0.2]
    assert [e.task for e in loop.trace] == ["a", "b", "b", "a"]


def test_real_clock_end_to_end() -> None:
    loop = ToyLoop(clock="real")
    loop.spawn(worker("a", 0.02), "a")
    loop.spawn(worker("b", 0.01), "b")
    assert loop.run() == {"a": "a done", "b": "b done"}
    assert [e.task for e in loop.trace] == ["a", "b", "b", "a"]
    assert loop.time() >= 0.02  # a loop never wakes a sleeper early


def test_format_trace_snaps_late_real_times() -> None:
    loop = ToyLoop()
    loop.trace[:] = [Event(0.0001, "a", "sleep 0.2 s", until=0.2001), Event(0.27, "a", "return 1")]
    assert loop.format_trace().splitlines() == [
        " time  task  what it did when it ran",
        "  0.0  a     sleep 0.2 s (until 0.2)",
        "  0.2  a     return 1",
    ]
    with pytest.raises(ValueError, match="resolution"):
        loop.format_trace(0)


def test_an_exception_in_a_task_stops_the_loop_and_closes_the_others() -> None:
    async def broken() -> None:
        await toy_sleep(0.1)
        raise ZeroDivisionError("boom")

    loop = ToyLoop()
    never_started = worker("late", 0.5)
    loop.spawn(broken(), "broken")
    loop.spawn(worker("slow", 0.5), "slow")
    loop.spawn(never_started, "late")
    with pytest.raises(ZeroDivisionError, match="boom"):
        loop.run()
    assert steps(loop)[-1] == (0.1, "broken", "raise ZeroDivisionError")
    assert inspect.getcoroutinestate(never_started) == inspect.CORO_CLOSED


def test_awaiting_something_else_is_a_clear_type_error_at_the_await() -> None:
    class Weird:
        def __await__(self):
            yield "give me a break"

    async def confused() -> None:
        await Weird()

    loop = ToyLoop()
    loop.spawn(confused(), "confused")
    with pytest.raises(TypeError, match=r"task 'confused' yielded 'give me a break' to the toy loop") as info:
        loop.run()
    # The error was thrown into the coroutine: its traceback reaches the reader's await.
    assert any(frame.name == "confused" for frame in info.traceback)


def test_awaiting_asyncio_sleep_inside_the_toy_loop_fails_clearly() -> None:
    async def uses_asyncio() -> None:
        await asyncio.sleep(0.1)

    # With an asyncio loop running in the thread (as in a notebook cell), asyncio.sleep
    # yields a Future, which the toy loop rejects with its own message.
    async def from_inside_asyncio() -> None:
        loop = ToyLoop()
        loop.spawn(uses_asyncio(), "a")
        loop.run()

    with pytest.raises(TypeError, match=r"yielded a Future object to the toy loop.*await toy_sleep"):
        asyncio.run(from_inside_asyncio())

    # With no asyncio loop at all (a plain script), asyncio.sleep fails before yielding.
    loop = ToyLoop()
    loop.spawn(uses_asyncio(), "a")
    with pytest.raises(RuntimeError, match="no running event loop"):
        loop.run()


def test_a_bare_yield_is_rejected_too() -> None:
    async def yields_to_asyncio() -> None:
        await asyncio.sleep(0)  # asyncio's "let others run": a bare yield of None

    loop = ToyLoop()
    loop.spawn(yields_to_asyncio(), "a")
    with pytest.raises(TypeError, match="yielded None"):
        loop.run()


def test_a_task_may_catch_the_error_and_carry_on() -> None:
    async def careful() -> str:
        try:
            await asyncio.sleep(0)
        except TypeError:
            await toy_sleep(0.1)
            return "recovered"
        return "not reached"

    loop = ToyLoop()
    loop.spawn(careful(), "careful")
    assert loop.run() == {"careful": "recovered"}


def test_spawn_rejects_a_coroutine_function() -> None:
    with pytest.raises(TypeError, match=r"coroutine function worker: call it, as in spawn\(worker\(...\)\)"):
        ToyLoop().spawn(worker)  # type: ignore[arg-type]


@pytest.mark.parametrize("thing", [42, None, (x for x in [])])
def test_spawn_rejects_what_is_not_a_coroutine(thing: object) -> None:
    with pytest.raises(TypeError, match="spawn\\(\\) needs a coroutine"):
        ToyLoop().spawn(thing)  # type: ignore[arg-type]


def test_spawn_rejects_a_used_coroutine() -> None:
    coro = worker("a")
    with pytest.raises(StopIteration):
        coro.send(None)
    with pytest.raises(ValueError, match="fresh coroutine"):
        ToyLoop().spawn(coro)


def test_spawn_rejects_bad_and_duplicate_names_and_closes_the_coroutine() -> None:
    loop = ToyLoop()
    loop.spawn(worker("a"), "a")
    duplicate = worker("a")
    with pytest.raises(ValueError, match="already a task called 'a'"):
        loop.spawn(duplicate, "a")
    assert inspect.getcoroutinestate(duplicate) == inspect.CORO_CLOSED
    with pytest.raises(TypeError, match="non-empty str"):
        loop.spawn(worker("b"), "")
    assert loop.run() == {"a": "a done"}


@pytest.mark.parametrize("seconds, error", [
    ("0.1", TypeError), (True, TypeError), (None, TypeError),
    (-0.1, ValueError), (float("inf"), ValueError), (float("nan"), ValueError),
])
def test_toy_sleep_rejects_bad_seconds(seconds: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="toy_sleep"):
        toy_sleep(seconds)  # type: ignore[arg-type]


def test_toy_sleep_returns_a_toysleep() -> None:
    assert isinstance(toy_sleep(1), ToySleep) and toy_sleep(1).seconds == 1.0


def test_rejects_an_unknown_clock() -> None:
    with pytest.raises(ValueError, match="'virtual' or 'real'"):
        ToyLoop(clock="fast")  # type: ignore[arg-type]


def test_a_task_waits_on_a_toy_future_until_another_task_sets_it() -> None:
    order = ToyFuture()

    async def waiter() -> str:
        dish = await order
        return f"served {dish}"

    async def cook() -> None:
        await toy_sleep(0.2)
        order.set_result("soup")

    loop = ToyLoop()
    loop.spawn(waiter(), "waiter")
    loop.spawn(cook(), "cook")
    assert loop.run() == {"waiter": "served soup", "cook": None}
    assert steps(loop) == [(0.0, "waiter", "wait for a future"), (0.0, "cook", "sleep 0.2 s"),
                           (0.2, "cook", "return None"), (0.2, "waiter", "return 'served soup'")]


def test_awaiting_a_done_toy_future_does_not_suspend() -> None:
    fut = ToyFuture()
    fut.set_result(7)
    awaiting = fut.__await__()
    with pytest.raises(StopIteration) as stop:
        awaiting.send(None)
    assert stop.value.value == 7
    assert repr(fut) == "<ToyFuture result=7>"


def test_toy_future_callbacks_result_and_one_result_only() -> None:
    fut = ToyFuture()
    assert repr(fut) == "<ToyFuture pending>" and not fut.done()
    with pytest.raises(RuntimeError, match="no result yet"):
        fut.result()
    seen: list[object] = []
    fut.add_done_callback(lambda f: seen.append(("first", f.result())))
    fut.set_result("x")
    fut.add_done_callback(lambda f: seen.append(("late", f.result())))  # called at once
    assert seen == [("first", "x"), ("late", "x")]
    with pytest.raises(RuntimeError, match="one result"):
        fut.set_result("y")
    with pytest.raises(TypeError, match="needs a function"):
        fut.add_done_callback("not a function")  # type: ignore[arg-type]


def test_a_task_waiting_on_a_future_nobody_sets_is_reported() -> None:
    never = ToyFuture()

    async def waiter() -> None:
        await never

    loop = ToyLoop()
    loop.spawn(waiter(), "waiter")
    with pytest.raises(RuntimeError, match="nobody will complete: waiter"):
        loop.run()
