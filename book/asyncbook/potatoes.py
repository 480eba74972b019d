"""The Potato shop: the example domain of chapter 5, *Async iteration*.

The source notes sell potatoes from a basket: a buyer iterates over the potatoes it
wants while someone restocks the basket. Two details of the notes' ``Potato`` are
fixed here, because a chapter's outputs must be the same on every run:

- The notes print ``str(potato)``, which shows a memory address
  (``<__main__.Potato object at 0x7f...>``) that changes every run. A potato here
  has a number and prints as ``Potato(#3)``.
- The notes' ``Potato.make`` builds potatoes with ``cls.__new__(cls)``, which skips
  ``__init__``: the objects exist but were never set up. :meth:`Potato.make` calls
  the class normally, so every potato is initialised and checked.
"""

from __future__ import annotations

from dataclasses import dataclass

from .colour import paint

__all__ = ["Potato"]


@dataclass(frozen=True, repr=False)
class Potato:
    """One potato, identified by its *number* (1, 2, 3, ...).

    Frozen, so a potato cannot be renumbered after it was handed out; two potatoes
    with the same number compare equal, which lets tests compare what a buyer got.
    """

    number: int

    def __post_init__(self) -> None:
        if isinstance(self.number, bool) or not isinstance(self.number, int):
            raise TypeError(f"a potato's number is an int such as 3, got {type(self.number).__name__}")
        if self.number < 1:
            raise ValueError(f"potatoes are numbered from 1, got {self.number}")

    def __repr__(self) -> str:
        # Deterministic, unlike object.__repr__ with its memory address.
        return f"Potato(#{self.number})"

    def painted(self) -> str:
        """The potato's repr in blue, as the notes print potatoes (plain if colour is off)."""
        return paint(repr(self), "blue")

    @classmethod
    def make(cls, num: int, *, first: int = 1) -> list[Potato]:
        """Return *num* new potatoes numbered ``first, first + 1, ...``.

        Pass *first* to continue a numbering: after ``Potato.make(2)`` (#1, #2) a
        restock of three is ``Potato.make(3, first=3)`` (#3, #4, #5).
        """
        if isinstance(num, bool) or not isinstance(num, int):
            raise TypeError(f"num is how many potatoes to make, an int; got {type(num).__name__}")
        if num < 0:
            raise ValueError(f"cannot make {num} potatoes: num must be 0 or more")
        if isinstance(first, bool) or not isinstance(first, int):
            raise TypeError(f"first is the number of the first potato, an int; got {type(first).__name__}")
        if first < 1:
            raise ValueError(f"potatoes are numbered from 1, so first must be >= 1, got {first}")
        return [cls(number) for number in range(first, first + num)]
