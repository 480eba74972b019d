"""Checkers for chapter NN, *Chapter title*.

TEMPLATE: say in a sentence or two how these checkers test the reader's code (which scenario
they run it against), then delete this line. Keep one checker per exercise, each registered
with @exercise("chNN-name") under the id that the notebook's check("chNN-name", answer) uses.
"""

# Where each fact these exercises need is taught (an exercise needs nothing that only its
# solution shows):
# - chNN-example: asyncio.gather runs coroutines concurrently and returns their results in
#   the order of its arguments: this chapter, "Two waits at once" (and chapter 4).
#   TEMPLATE: one line like this per exercise.

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from ..selfcheck import Wrong, exercise, run_in_fresh_loop

_SETTLE_ROUNDS = 20  # loop iterations that let every runnable task run as far as it can


# TEMPLATE: replace this example checker with yours. A checker receives the reader's answer
# and either returns a short success message (shown after ✔) or raises Wrong with what is
# wrong and what to do (shown after ✘). It runs the reader's code against a scenario and
# looks at what happened; it never compares source text. Real waits inside a checker count
# towards the notebook's running time: prefer events and asyncio.sleep(0), as here.
@exercise("chNN-example")
def check_example(run_both: Callable[..., Any]) -> str:
    if not callable(run_both):
        raise Wrong("pass the function itself: check(\"chNN-example\", run_both), without calling it.")
    if not inspect.iscoroutinefunction(run_both):
        raise Wrong("run_both must be an `async def` function.")

    async def scenario() -> tuple[list[str], Any]:
        started: list[str] = []
        release = asyncio.Event()

        async def job(name: str) -> str:
            started.append(name)
            await release.wait()  # finishes only when the checker says so
            return name.upper()

        task = asyncio.ensure_future(run_both(job("a"), job("b")))
        for _ in range(_SETTLE_ROUNDS):
            await asyncio.sleep(0)
        started_at_once = sorted(started)
        release.set()
        return started_at_once, await task

    # A notebook cell already runs in an event loop: run_in_fresh_loop runs the scenario on
    # a new loop in a worker thread (and cancels it after 5 s, should the answer hang).
    started, result = run_in_fresh_loop(scenario)
    if started != ["a", "b"]:
        raise Wrong(f"only {started} had started while the first job was waiting: run_both awaits one "
                    "before starting the other. Pass both to asyncio.gather and await that.")
    if result != ["A", "B"]:
        raise Wrong(f"run_both returned {result!r}, expected ['A', 'B']: both results, as a list, in the "
                    "order of the arguments.")
    return "both jobs start at once, and the results come back in order."
