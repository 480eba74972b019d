"""Tabulate what :mod:`inspect` says about a few objects.

Chapter 1 asks the same five questions of many objects ("is it a generator
function?", "is it awaitable?", ...). A table answers them all at once and
makes the pattern visible: each kind of function says yes to exactly one
``is...function`` question, and only one kind of object is awaitable.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence

__all__ = ["predicate_table"]

_YES, _NO = "yes", "-"


def predicate_table(objects: Mapping[str, object], predicates: Sequence[str]) -> str:
    """Return a plain-text table: one row per object, one column per ``inspect`` predicate.

    *objects* maps a label (the row heading) to the object to test.
    *predicates* names functions of :mod:`inspect`, e.g. ``["isfunction", "isawaitable"]``.

    >>> print(predicate_table({"len": len}, ["isfunction", "isbuiltin"]))
    object  isfunction  isbuiltin
    len     -           yes
    """
    if not isinstance(objects, Mapping) or not objects:
        raise TypeError("objects must be a non-empty dict of label -> object, e.g. {'f': f}")
    if isinstance(predicates, str) or not isinstance(predicates, Sequence) or not predicates:
        raise TypeError("predicates must be a non-empty list of names, e.g. ['isfunction'], not a single str")
    tests = []
    for name in predicates:
        test = getattr(inspect, name, None)
        if not (isinstance(name, str) and name.startswith("is") and callable(test)):
            raise ValueError(f"{name!r} is not an inspect predicate; use names like 'isfunction' or 'isawaitable'")
        tests.append(test)
    header = ["object", *predicates]
    rows = [header]
    for label, obj in objects.items():
        if not isinstance(label, str):
            raise TypeError(f"row labels must be str, got {type(label).__name__}")
        rows.append([label, *(_YES if test(obj) else _NO for test in tests)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)
