"""Colour for terminal *and* notebook output, decided on purpose.

termcolor only colours when ``sys.stdout`` is a terminal. A Jupyter kernel's
stdout is not a terminal, yet Jupyter and the built book both render ANSI
colour codes, so the book would lose its colour by accident. This module
makes the choice explicit, in this order:

1. ``NO_COLOR`` set to anything non-empty: never colour (https://no-color.org).
2. ``FORCE_COLOR`` set to anything non-empty: always colour.
3. Running inside a Jupyter kernel: colour, because the front end renders it.
4. Otherwise: colour only if the stream is a terminal.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

import termcolor

__all__ = ["COLOURS", "colour_enabled", "paint", "Palette"]

#: The colour names :func:`paint` accepts (termcolor's names).
COLOURS: tuple[str, ...] = tuple(termcolor.COLORS)


def _in_jupyter_kernel() -> bool:
    """True when an IPython kernel (not a terminal IPython) runs this code."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and "ipykernel" in type(shell).__module__


def colour_enabled(stream: TextIO | None = None) -> bool:
    """Say whether text written to *stream* (default ``sys.stdout``) should be coloured.

    The rules, in order, are in this module's docstring. Environment variables
    are read on every call, so ``%env NO_COLOR=1`` in a notebook takes effect at once.
    """
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if _in_jupyter_kernel():
        return True
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def paint(text: str, colour: str, *, bold: bool = False) -> str:
    """Return *text* wrapped in ANSI codes for *colour*, or unchanged if colour is off.

    >>> import os; os.environ["NO_COLOR"] = "1"
    >>> paint("done", "green")
    'done'
    >>> del os.environ["NO_COLOR"]
    """
    if not isinstance(text, str):
        raise TypeError(f"paint() needs the text as a str, got {type(text).__name__}: use str(...) first")
    if not isinstance(colour, str):
        raise TypeError(f"paint() needs the colour as a str such as 'blue', got {type(colour).__name__}")
    if colour not in COLOURS:
        raise ValueError(f"unknown colour {colour!r}: choose one of {', '.join(COLOURS)}")
    if not colour_enabled():
        return text
    attrs = ["bold"] if bold else None
    return termcolor.colored(text, colour, attrs=attrs, force_color=True)


class Palette:
    """Give each name its own colour, in order of first appearance.

    A task log is easier to follow when ``worker-1`` is always blue and
    ``worker-2`` always magenta. Colours repeat after the palette runs out.
    """

    DEFAULT: tuple[str, ...] = ("blue", "magenta", "green", "yellow", "cyan", "red")

    def __init__(self, colours: tuple[str, ...] = DEFAULT) -> None:
        if not isinstance(colours, tuple) or not colours:
            raise ValueError("Palette needs a non-empty tuple of colour names, e.g. ('blue', 'green')")
        for colour in colours:
            if colour not in COLOURS:
                raise ValueError(f"unknown colour {colour!r}: choose from {', '.join(COLOURS)}")
        self._colours = colours
        self._assigned: dict[str, str] = {}

    def colour_of(self, name: str) -> str:
        """Return the colour for *name*, assigning the next free one on first sight."""
        if not isinstance(name, str):
            raise TypeError(f"names are str, got {type(name).__name__}")
        if name not in self._assigned:
            self._assigned[name] = self._colours[len(self._assigned) % len(self._colours)]
        return self._assigned[name]

    def paint(self, name: str, text: str | None = None) -> str:
        """Paint *text* (default: *name* itself) in *name*'s colour."""
        return paint(name if text is None else text, self.colour_of(name))
