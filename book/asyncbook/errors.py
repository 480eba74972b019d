"""Print an exception, exception groups included, the way Python does but without the frame lines.

Why: a notebook cell that ends with an uncaught ``ExceptionGroup`` (what a failing
``asyncio.TaskGroup`` raises) does not get IPython's usual traceback. IPython hands exception
groups to Python's own formatter, which prints them to stderr with the absolute paths and line
numbers of asyncio's source files. Those change from machine to machine and from one Python
version to the next, so the book could not verify such output. The *shape* of the report, the
tree of sub-exceptions with their types and messages, is what a reader needs, and it does not
change: this module prints exactly that part of Python's report.
"""

from __future__ import annotations

import traceback

__all__ = ["format_exception_tree", "print_exception_tree"]


def _drop_frames(te: traceback.TracebackException, seen: set[int]) -> None:
    """Empty the stack of *te* and of every exception it links to (cause, context, group members)."""
    if id(te) in seen:
        return
    seen.add(id(te))
    te.stack = traceback.StackSummary()
    for linked in (te.__cause__, te.__context__, *(getattr(te, "exceptions", None) or ())):
        if linked is not None:
            _drop_frames(linked, seen)


def format_exception_tree(exc: BaseException) -> str:
    """Return what Python prints for an uncaught *exc*, minus the ``File ..., line ...`` lines.

    Chained exceptions (``raise ... from ...``, errors during handling) and the members of
    exception groups are kept, in Python's own layout. *exc* itself is not modified.

    >>> print(format_exception_tree(ValueError("bad")), end="")
    ValueError: bad
    """
    if not isinstance(exc, BaseException):
        raise TypeError(f"pass an exception object (e.g. the `err` of `except Exception as err`), "
                        f"got {type(exc).__name__}")
    te = traceback.TracebackException.from_exception(exc)
    _drop_frames(te, set())
    return "".join(te.format())


def print_exception_tree(exc: BaseException) -> None:
    """Print :func:`format_exception_tree` of *exc* (to stdout, so it shows up with the cell's output)."""
    print(format_exception_tree(exc), end="")
