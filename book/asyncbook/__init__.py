"""Helpers shared by the chapters of *Async Python from the Ground Up*.

Each module has one job, so a chapter imports only what it teaches with:

- :mod:`asyncbook.colour`: decide whether to colour output, and paint text (termcolor).
- :mod:`asyncbook.introspect`: tabulate what ``inspect`` says about objects (chapter 1).
- :mod:`asyncbook.selfcheck`: run the exercises' self-checks; checkers live in
  :mod:`asyncbook.exercises`, one module per chapter.
- :mod:`asyncbook.stepper`: drive a coroutine by hand and record each step (chapter 2).
- :mod:`asyncbook.toyloop`: a toy event loop with a virtual clock (chapter 3).
- :mod:`asyncbook.scripts`: run a small program as a real script and capture its output.
- :mod:`asyncbook.loopthread`: run code in a worker thread that may start its own loop.
- :mod:`asyncbook.timeline`: record when tasks run and wait; log, table and chart.
- :mod:`asyncbook.jobs`: simulated jobs that wait, succeed or fail (chapter 4).
- :mod:`asyncbook.errors`: print exceptions and exception groups without frame lines.
- :mod:`asyncbook.potatoes`: the potato shop of chapter 5.
- :mod:`asyncbook.pool`: an in-memory connection pool for ``async with`` (chapter 7).
- :mod:`asyncbook.stockroom`: an in-memory stockroom whose reads and writes await (chapter 8).
- :mod:`asyncbook.stuck`: say where stuck tasks wait, for finding deadlocks (chapter 8).
- :mod:`asyncbook.backends`: run one async function on asyncio or Trio through AnyIO (chapter 12).
- :mod:`asyncbook.tasksnapshot`: where every task is suspended, and what it waits for (chapter 11).
- :mod:`asyncbook.virtualtime`: an asyncio loop on a virtual clock, for tests that sleep (chapter 11).
- :mod:`asyncbook.pytestrun`: run a small pytest suite and show its report (chapter 11).
- :mod:`asyncbook.leftovers`: list the sockets and child processes a process holds, so the
  tests can prove a chapter stopped every server and child it started (chapter 10).
- :mod:`asyncbook.workload`: work for thread and process pools, and files to hash (chapter 9).
- :mod:`asyncbook.measure`: wall time and CPU time of a block; marking measured numbers (chapter 9).
- :mod:`asyncbook.background`: an event loop in a background thread for sync code (chapter 9).

The notebooks import this package from their own folder (``book/``); the
tests import it through ``pythonpath = ["book"]`` in ``pyproject.toml``.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
