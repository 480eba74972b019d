"""Measure wall time and CPU time together, and mark measured numbers in printed output.

How many cores did some work use? CPU time (``time.process_time()``, all the threads of this
process) divided by wall time (``time.perf_counter()``) says: about 1.0 means one core was busy
the whole time, about 2.0 means two. On a shared, loaded machine the ratio can only go *down*
(other programs take turns on the cores), so "at most about one core" is a claim a loaded
machine cannot break, while "two cores" is one it can.

Times themselves change from run to run. A notebook that must show one wraps it in
:func:`measured`, ``[measured: ...]``, a format the book's tests recognise and blank out before
comparing outputs; the text beside such a cell says the numbers are from the author's run.
"""

from __future__ import annotations

import time
from types import TracebackType

__all__ = ["Usage", "measured"]


class Usage:
    """``with Usage() as u: ...`` then ``u.wall``, ``u.cpu`` (seconds) and ``u.cores`` (cpu / wall).

    CPU time is the whole process's: every thread of it, not its child processes.
    """

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0
        self._started: tuple[float, float] | None = None

    def __enter__(self) -> Usage:
        self._started = (time.perf_counter(), time.process_time())
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._started is None:  # pragma: no cover - only reachable by calling __exit__ by hand
            raise RuntimeError("use Usage in a with statement")
        wall0, cpu0 = self._started
        self.wall = time.perf_counter() - wall0
        self.cpu = time.process_time() - cpu0

    @property
    def cores(self) -> float:
        """CPU time / wall time: how many cores were busy, on average (0.0 before the block ends)."""
        return self.cpu / self.wall if self.wall > 0 else 0.0

    def __repr__(self) -> str:
        return f"Usage(wall={self.wall:.3f}, cpu={self.cpu:.3f})"


def measured(text: str) -> str:
    """Return ``[measured: text]``: a number that differs on every run, clearly marked as such."""
    if not isinstance(text, str):
        raise TypeError(f"pass the text to mark, e.g. measured(f'{{seconds:.2f}} s'), not a {type(text).__name__}")
    if "]" in text or "\n" in text:
        raise ValueError("the measured text must be one line without ']', so the marker ends where it should")
    return f"[measured: {text}]"
