"""Unit tests for asyncbook.timeline: quantised clock, spans, log, table, chart, bad input."""

from __future__ import annotations

import asyncio

import pytest

from asyncbook.timeline import Span, Timeline


class FakeClock:
    """A clock the test moves by hand, so no test depends on real timing."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(autouse=True)
def no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.mark.parametrize("elapsed, shown", [
    (0.0, 0.0), (0.004, 0.0), (0.2, 0.2), (0.2049, 0.2), (0.27, 0.2), (0.176, 0.2), (0.174, 0.1), (0.276, 0.3),
])
def test_clock_snaps_late_times_to_the_intended_tick(clock: FakeClock, elapsed: float, shown: float) -> None:
    tl = Timeline(clock=clock)
    clock.t += elapsed
    assert tl.now() == shown


def test_other_resolutions(clock: FakeClock) -> None:
    tl = Timeline(clock=clock, resolution=0.05)
    clock.t += 0.26
    assert tl.now() == 0.25


def test_spans_record_waits_and_runs(clock: FakeClock) -> None:
    tl = Timeline(clock=clock)
    with tl.waiting("a"):
        clock.t += 0.2
    with tl.running("b"):
        clock.t += 0.1
    assert tl.spans == [Span("a", "wait", 0.0, 0.2), Span("b", "run", 0.2, 0.3)]
    assert tl.tasks == ["a", "b"]
    assert tl.total() == 0.3


def test_span_is_recorded_even_if_the_body_raises(clock: FakeClock) -> None:
    tl = Timeline(clock=clock)
    with pytest.raises(asyncio.CancelledError):
        with tl.waiting("a"):
            clock.t += 0.1
            raise asyncio.CancelledError
    assert tl.spans == [Span("a", "wait", 0.0, 0.1)]


def test_say_prints_stamped_lines(clock: FakeClock, capsys: pytest.CaptureFixture[str]) -> None:
    tl = Timeline(clock=clock)
    clock.t += 0.3
    tl.say("worker", "done")
    assert capsys.readouterr().out == "  0.3s  worker    done\n"
    assert tl.lines == ["  0.3s  worker    done"]


def test_say_can_be_silent(clock: FakeClock, capsys: pytest.CaptureFixture[str]) -> None:
    tl = Timeline(clock=clock, echo=False)
    tl.say("w", "hi")
    assert capsys.readouterr().out == "" and len(tl.lines) == 1


def test_say_colours_each_task(clock: FakeClock, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    tl = Timeline(clock=clock)
    tl.say("a", "x")
    tl.say("b", "y")
    out = capsys.readouterr().out
    assert "\x1b[34ma       \x1b[0m" in out and "\x1b[35mb       \x1b[0m" in out


def test_table(clock: FakeClock) -> None:
    tl = Timeline(clock=clock)
    with tl.waiting("fetch"):
        clock.t += 0.2
    assert tl.table().splitlines() == [
        "task   state   from     to",
        "fetch  wait     0.0    0.2",
        "finished at 0.2 s",
    ]
    assert Timeline(clock=clock).table() == "(nothing recorded)"


def test_sleep_and_block_really_wait() -> None:
    async def main() -> Timeline:
        tl = Timeline(resolution=0.1)
        await asyncio.gather(tl.sleep("a", 0.2), tl.sleep("b", 0.2))
        tl.block("c", 0.1)
        return tl

    tl = asyncio.run(main())
    assert [(s.task, s.state) for s in tl.spans] == [("a", "wait"), ("b", "wait"), ("c", "run")]
    # a and b waited side by side: b began before a's wait was over (a stall of the machine
    # shorter than the wait itself cannot change that); c could only start after both.
    a, b, c = tl.spans
    assert a.start == 0.0 and b.start < a.end
    assert a.duration >= 0.2 and b.duration >= 0.2 and c.duration >= 0.1
    assert c.start >= max(a.end, b.end)


def test_figure_has_one_row_per_task(clock: FakeClock) -> None:
    tl = Timeline(clock=clock)
    with tl.waiting("a"):
        clock.t += 0.2
    with tl.running("b"):
        clock.t += 0.1
    fig = tl.figure("demo", until=1.0)
    ax = fig.axes[0]
    assert [label.get_text() for label in ax.get_yticklabels()] == ["a", "b"]
    assert ax.get_xlim()[1] >= 1.0
    assert ax.get_title() == "demo"
    assert tl.png().startswith(b"\x89PNG")


def test_show_prints_the_table(clock: FakeClock, capsys: pytest.CaptureFixture[str]) -> None:
    tl = Timeline(clock=clock)
    with tl.waiting("a"):
        clock.t += 0.1
    tl.show()
    assert capsys.readouterr().out == tl.table() + "\n"


@pytest.mark.parametrize("resolution", [0, -0.1, 11, True, "0.1"])
def test_rejects_bad_resolution(resolution: object) -> None:
    with pytest.raises(ValueError, match="resolution"):
        Timeline(resolution=resolution)  # type: ignore[arg-type]


def test_rejects_non_callable_clock() -> None:
    with pytest.raises(TypeError, match="clock"):
        Timeline(clock=1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("task", ["", None, 3])
def test_rejects_bad_task_names(clock: FakeClock, task: object) -> None:
    tl = Timeline(clock=clock)
    with pytest.raises(TypeError, match="non-empty str"):
        tl.say(task, "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="non-empty str"):
        with tl.waiting(task):  # type: ignore[arg-type]
            pass


def test_rejects_bad_message(clock: FakeClock) -> None:
    with pytest.raises(TypeError, match="message"):
        Timeline(clock=clock).say("a", 3)  # type: ignore[arg-type]


@pytest.mark.parametrize("seconds, error", [(-1, ValueError), ("1", TypeError), (True, TypeError)])
def test_rejects_bad_seconds(clock: FakeClock, seconds: object, error: type[Exception]) -> None:
    tl = Timeline(clock=clock)
    with pytest.raises(error, match="seconds"):
        tl.block("a", seconds)  # type: ignore[arg-type]
    with pytest.raises(error, match="seconds"):
        asyncio.run(tl.sleep("a", seconds))  # type: ignore[arg-type]


@pytest.mark.parametrize("title, until, error", [(1, None, TypeError), ("", 0, ValueError), ("", "1", ValueError)])
def test_figure_rejects_bad_arguments(clock: FakeClock, title: object, until: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        Timeline(clock=clock).figure(title, until)  # type: ignore[arg-type]


def test_tasks_keep_the_order_they_started_in(clock: FakeClock) -> None:
    tl = Timeline(clock=clock)
    first = tl.waiting("first")
    second = tl.waiting("second")
    first.__enter__()
    second.__enter__()
    clock.t += 0.1
    second.__exit__(None, None, None)  # "second" finishes first...
    clock.t += 0.1
    first.__exit__(None, None, None)
    assert tl.tasks == ["first", "second"]  # ...but is listed in starting order
    assert [s.task for s in tl.spans] == ["first", "second"]


def test_lateness_does_not_add_up(clock: FakeClock) -> None:
    tl = Timeline(clock=clock)
    readings = []
    for _ in range(6):
        clock.t += 0.2 + 0.05  # every wake-up is 50 ms late
        readings.append(tl.now())
    assert readings == [0.2, 0.4, 0.6, 0.8, 1.0, 1.2]


def test_concurrent_readings_after_a_late_one_stay_on_the_tick(clock: FakeClock) -> None:
    tl = Timeline(clock=clock)
    clock.t += 0.23  # the first of two tasks that both slept 0.2 wakes 30 ms late...
    first = tl.now()
    clock.t += 0.001  # ...and the second right after it
    assert (first, tl.now()) == (0.2, 0.2)


def _hand_driven_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make Timeline.sleep's asyncio.sleep a bare yield, so a test can step it with send()."""
    import types

    @types.coroutine
    def one_yield(seconds: float):  # type: ignore[no-untyped-def]
        yield

    monkeypatch.setattr(asyncio, "sleep", one_yield)


def test_a_timer_on_time_after_a_late_log_line_reads_its_own_tick(clock: FakeClock,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Two tasks sleep 0.2 and 0.1 side by side. The short one's log line runs 70 ms late
    # (a busy machine), which moves the clock's zero; the long one's timer still fires on
    # time at 0.2. It must read 0.2, not 0.1.
    _hand_driven_sleep(monkeypatch)
    tl = Timeline(clock=clock, echo=False)
    slow, fast = tl.sleep("slow", 0.2), tl.sleep("fast", 0.1)
    slow.send(None)
    fast.send(None)
    clock.t += 0.17
    with pytest.raises(StopIteration):
        fast.send(None)
    tl.say("fast", "done")
    clock.t += 0.031  # real time 0.201: the slow timer, on time
    with pytest.raises(StopIteration):
        slow.send(None)
    tl.say("slow", "done")
    assert [line.split("s ")[0].strip() for line in tl.lines] == ["0.1", "0.2"]
    assert [(s.task, s.start, s.end) for s in tl.spans] == [("slow", 0.0, 0.2), ("fast", 0.0, 0.1)]


def test_blocks_in_a_row_end_on_their_intended_ticks(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncbook.timeline as timeline

    monkeypatch.setattr(timeline.time, "sleep", lambda seconds: setattr(clock, "t", clock.t + seconds + 0.06))
    tl = Timeline(clock=clock)
    for _ in range(4):
        tl.block("b", 0.1)  # each overshoots by 60 ms
    assert [(s.start, s.end) for s in tl.spans] == [(0.0, 0.1), (0.1, 0.2), (0.2, 0.3), (0.3, 0.4)]


def test_a_sleep_cut_short_ends_when_it_really_ended(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    _hand_driven_sleep(monkeypatch)
    tl = Timeline(clock=clock)
    nap = tl.sleep("nap", 0.3)
    nap.send(None)
    clock.t += 0.1  # cancelled after 0.1 s, say
    with pytest.raises(ValueError):
        nap.throw(ValueError("cut short"))
    assert [(s.start, s.end) for s in tl.spans] == [(0.0, 0.1)]
    assert tl.now() == 0.1
