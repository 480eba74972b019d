"""Record when each task runs and waits, then show it as a coloured log, a table and a chart.

Concurrency is hard to see in printed lines alone. A :class:`Timeline` is handed to the
tasks of an example; they report what they do through it (``await tl.sleep("a", 0.2)``,
``tl.block("b", 0.2)``, ``tl.say("c", "done")``) and afterwards ``tl.show()`` prints the
spans and draws one row per task.

Why the clock is *quantised*: the book's outputs are verified by re-running the
notebooks, so printed times must not change between runs. Measured times jitter by
milliseconds and, on a busy machine, arrive late (an event loop never wakes a sleeper
early). So every timestamp is snapped to a grid of ``resolution`` seconds (0.1 s by
default), with the snapping point shifted so that anything up to 75 % of a step late
still lands on the intended tick: 0.2049 and 0.27 both read 0.2, while 0.175 reads 0.2
too (a quarter step early is tolerated). Each late reading also moves the clock's zero
by its lateness, so that small delays do not pile up over a long demo. Waits in the book
are multiples of the resolution, so the printed schedule is the intended one whenever the
machine keeps up.

A wait or block whose length is known (:meth:`Timeline.sleep`, :meth:`Timeline.block`)
ends on its *intended* tick, its start plus its length, when it lasted that long give or
take the same tolerance, and the clock is re-anchored on that tick. This matters on a busy
machine: a log line that runs 70 ms late moves the zero, and without this a timer that then
fires on time (asyncio's timers do not move) would read a tick early.
"""

from __future__ import annotations

import asyncio
import io
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from .colour import Palette

__all__ = ["Span", "Timeline"]

State = Literal["run", "wait"]


@dataclass(frozen=True)
class Span:
    """One stretch of time in which *task* was running (blocking the loop) or waiting."""

    task: str
    state: State
    start: float
    end: float

    @property
    def duration(self) -> float:
        return round(self.end - self.start, 6)


class Timeline:
    """A recorder of task activity on a quantised clock that starts at 0 when created.

    :param resolution: the clock's step in seconds; printed times are multiples of it.
    :param clock: where time comes from (seconds as a float); tests pass a fake one.
    :param echo: print each :meth:`say` line as it happens (turn off to only collect).
    """

    def __init__(self, *, resolution: float = 0.1, clock: Callable[[], float] = time.perf_counter,
                 echo: bool = True) -> None:
        if isinstance(resolution, bool) or not isinstance(resolution, (int, float)) or not 0 < resolution <= 10:
            raise ValueError(f"resolution must be a number of seconds in (0, 10], such as 0.1; got {resolution!r}")
        if not callable(clock):
            raise TypeError("clock must be a function returning seconds, such as time.perf_counter")
        self.resolution = float(resolution)
        self._clock = clock
        self._echo = bool(echo)
        self._start = clock()
        self._latest = 0.0  # the latest tick given out: readings never go back
        self._spans: list[Span] = []
        self._lines: list[str] = []
        self._first_seen: dict[str, None] = {}  # task names in order of first appearance
        self._palette = Palette()
        self._decimals = max(0, -math.floor(math.log10(self.resolution) + 1e-9))

    # -- the clock ---------------------------------------------------------------
    def now(self) -> float:
        """Seconds since the timeline was created, snapped to the grid (see module docstring).

        A reading that arrives late re-anchors the clock by its lateness, so lateness
        does not add up: six sleeps of 0.2 s that each wake 30 ms late read 0.2, 0.4, ...,
        1.2, not 1.2 + 0.18. (If the loop is late, it is late for every task alike.)
        """
        elapsed = self._clock() - self._start
        steps = max(math.floor(elapsed / self.resolution + 0.25), 0)
        tick = steps * self.resolution
        if elapsed > tick:
            self._start += elapsed - tick
        self._latest = max(self._latest, round(tick, 6))
        return self._latest

    def _settle(self, start: float, began: float, intended: float) -> float:
        """The end tick of a span of known length *intended* that began at tick *start*.

        If the span lasted *intended* seconds within the clock's tolerance (a quarter step
        early to three quarters late), it ends on ``start + intended`` and the clock is
        re-anchored so that this moment reads that tick; otherwise (a cancelled sleep, say)
        the end is an ordinary reading of :meth:`now`. Never reads earlier than a tick
        already given out.
        """
        steps = round(intended / self.resolution)
        lasted = self._clock() - began
        late = (lasted - intended) / self.resolution
        end = round(start + steps * self.resolution, 6)
        if abs(steps * self.resolution - intended) > 1e-9 or not -0.25 <= late < 0.75 or end < self._latest:
            return self.now()
        self._start = self._clock() - end
        self._latest = end
        return end

    def _fmt(self, seconds: float) -> str:
        return f"{seconds:.{self._decimals}f}"

    # -- recording -----------------------------------------------------------------
    @staticmethod
    def _check_task(task: object) -> str:
        if not isinstance(task, str) or not task:
            raise TypeError(f"a task is named by a non-empty str such as 'download-1', got {task!r}")
        return task

    def say(self, task: str, message: str) -> None:
        """Log *message* for *task*, stamped with the current time, in the task's colour."""
        self._check_task(task)
        if not isinstance(message, str):
            raise TypeError(f"the message must be a str, got {type(message).__name__}")
        self._first_seen.setdefault(task, None)
        line = f"{self._fmt(self.now()):>5}s  {self._palette.paint(task, task.ljust(8))}  {message}"
        self._lines.append(line)
        if self._echo:
            print(line)

    @contextmanager
    def waiting(self, task: str) -> Iterator[None]:
        """Record the body of the ``with`` block as a *wait* of *task* (wrap an ``await`` in it)."""
        with self._span(task, "wait"):
            yield

    @contextmanager
    def running(self, task: str) -> Iterator[None]:
        """Record the body of the ``with`` block as *task* running, holding the event loop."""
        with self._span(task, "run"):
            yield

    @contextmanager
    def _span(self, task: str, state: State, intended: float | None = None) -> Iterator[None]:
        self._check_task(task)
        self._first_seen.setdefault(task, None)
        start = self.now()
        began = self._clock()
        try:
            yield
        finally:
            end = self.now() if intended is None else self._settle(start, began, intended)
            self._spans.append(Span(task, state, start, end))

    async def sleep(self, task: str, seconds: float) -> None:
        """``await asyncio.sleep(seconds)``, recorded as a wait of *task*."""
        self._check_seconds(seconds)
        with self._span(task, "wait", intended=seconds):
            await asyncio.sleep(seconds)

    def block(self, task: str, seconds: float) -> None:
        """``time.sleep(seconds)``: *task* holds the event loop, and nothing else can run."""
        self._check_seconds(seconds)
        with self._span(task, "run", intended=seconds):
            time.sleep(seconds)

    @staticmethod
    def _check_seconds(seconds: object) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise TypeError(f"seconds must be a number, got {type(seconds).__name__}")
        if seconds < 0:
            raise ValueError(f"seconds must be >= 0, got {seconds}")

    # -- reading -------------------------------------------------------------------
    @property
    def spans(self) -> list[Span]:
        """The recorded spans, ordered by start time, then by task's first appearance."""
        order = {task: i for i, task in enumerate(self.tasks)}
        return sorted(self._spans, key=lambda s: (s.start, order[s.task]))

    @property
    def tasks(self) -> list[str]:
        """Names of the tasks that have spans, in the order they first appeared.

        "Appeared" means their first :meth:`say` or the *start* of their first span, so
        tasks that start together keep the order in which they started, whichever
        finishes first.
        """
        with_spans = {s.task for s in self._spans}
        return [task for task in self._first_seen if task in with_spans]

    @property
    def lines(self) -> list[str]:
        """The lines :meth:`say` produced, in order."""
        return list(self._lines)

    def total(self) -> float:
        """When the last recorded span ended (0.0 if nothing was recorded)."""
        return max((s.end for s in self._spans), default=0.0)

    def table(self) -> str:
        """A plain-text table of the spans: task, what it did, from, to (seconds)."""
        if not self._spans:
            return "(nothing recorded)"
        width = max(len("task"), *(len(t) for t in self.tasks))
        rows = [f"{'task'.ljust(width)}  state  {'from':>5}  {'to':>5}"]
        for s in self.spans:
            rows.append(f"{s.task.ljust(width)}  {s.state:<5}  {self._fmt(s.start):>5}  {self._fmt(s.end):>5}")
        rows.append(f"finished at {self._fmt(self.total())} s")
        return "\n".join(rows)

    def figure(self, title: str = "", until: float | None = None):  # -> matplotlib Figure (imported lazily)
        """Draw the spans, one row per task: solid bars run (hold the loop), hatched bars wait.

        *until* widens the time axis to at least that many seconds, so that two charts
        drawn with the same *until* can be compared by eye.
        """
        if not isinstance(title, str):
            raise TypeError("title must be a str")
        if until is not None and (isinstance(until, bool) or not isinstance(until, (int, float)) or until <= 0):
            raise ValueError(f"until must be a positive number of seconds or None, got {until!r}")
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch
        from matplotlib.ticker import MultipleLocator

        tasks = self.tasks
        fig = Figure(figsize=(7, 0.55 * max(len(tasks), 1) + 1.5), dpi=100)
        ax = fig.add_subplot()
        colours = {"run": "#d62728", "wait": "#9ecae1"}
        for row, task in enumerate(tasks):
            for s in (s for s in self._spans if s.task == task):
                ax.broken_barh([(s.start, max(s.duration, self.resolution / 20))], (row - 0.35, 0.7),
                               facecolors=colours[s.state], edgecolor="black", linewidth=0.6,
                               hatch="//" if s.state == "wait" else None)
        ax.set_yticks(range(len(tasks)), tasks)
        ax.set_ylim(len(tasks) - 0.5, -0.5)
        ax.set_xlim(0, max(until or 0, self.total(), self.resolution) * 1.02)
        ax.xaxis.set_major_locator(MultipleLocator(self.resolution * max(1, round(ax.get_xlim()[1] / self.resolution / 12))))
        ax.set_xlabel("seconds since start")
        ax.grid(axis="x", linestyle=":", linewidth=0.6)
        if title:
            ax.set_title(title, fontsize="medium")
        fig.legend(handles=[Patch(facecolor=colours["run"], edgecolor="black", label="running (holds the loop)"),
                            Patch(facecolor=colours["wait"], edgecolor="black", hatch="//", label="waiting")],
                   loc="lower center", ncol=2, frameon=False, fontsize="small")
        fig.tight_layout(rect=(0, 0.09, 1, 1))  # leave the bottom strip to the legend
        return fig

    def png(self, title: str = "", until: float | None = None) -> bytes:
        """The chart as PNG bytes (what :meth:`show` displays)."""
        buffer = io.BytesIO()
        self.figure(title, until).savefig(buffer, format="png")
        return buffer.getvalue()

    def show(self, title: str = "", until: float | None = None) -> None:
        """Print the table, then display the chart (in Jupyter) so both tell the same story."""
        print(self.table())
        try:
            from IPython import get_ipython
            from IPython.display import Image, display
        except ImportError:  # plain Python: the table is all we can show
            return
        if get_ipython() is not None:
            display(Image(data=self.png(title, until), format="png"))
