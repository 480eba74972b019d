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
    """Return a plain-text table: one row per ``inspect`` predicate, one column per object.

    *objects* maps a label (the column heading) to the object to test.
    *predicates* names functions of :mod:`inspect`, e.g. ``["isfunction", "isawaitable"]``.
    Predicates are rows (not columns) because their names are long and there are few
    objects: the table stays narrow enough to read on a phone or a projector.

    >>> print(predicate_table({"len": len, "print": print}, ["isfunction", "isbuiltin"]))
                len  print
    isfunction  -    -
    isbuiltin   yes  yes
    """
    if not isinstance(objects, Mapping) or not objects:
        raise TypeError("objects must be a non-empty dict of label -> object, e.g. {'f': f}")
    if isinstance(predicates, str) or not isinstance(predicates, Sequence) or not predicates:
        raise TypeError("predicates must be a non-empty list of names, e.g. ['isfunction'], not a single str")
    for label in objects:
        if not isinstance(label, str):
            raise TypeError(f"column labels must be str, got {type(label).__name__}")
    rows = [["", *objects]]
    for name in predicates:
        test = getattr(inspect, name, None) if isinstance(name, str) else None
        if not (isinstance(name, str) and name.startswith("is") and callable(test)):
            raise ValueError(f"{name!r} is not an inspect predicate; use names like 'isfunction' or 'isawaitable'")
        rows.append([name, *(_YES if test(obj) else _NO for obj in objects.values())])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)
