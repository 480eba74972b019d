"""Unit tests for asyncbook.potatoes: numbered potatoes with a stable repr, made properly."""

from __future__ import annotations

import dataclasses

import pytest

from asyncbook.potatoes import Potato


def test_repr_is_deterministic_and_has_no_address() -> None:
    assert repr(Potato(3)) == "Potato(#3)"
    assert str(Potato(3)) == "Potato(#3)"
    assert "0x" not in repr(Potato(12))


def test_potatoes_with_the_same_number_are_equal() -> None:
    assert Potato(2) == Potato(2)
    assert Potato(2) != Potato(3)
    assert len({Potato(1), Potato(1), Potato(2)}) == 2


def test_potatoes_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Potato(1).number = 2  # type: ignore[misc]


def test_make_numbers_from_one() -> None:
    assert Potato.make(3) == [Potato(1), Potato(2), Potato(3)]
    assert Potato.make(0) == []


def test_make_continues_a_numbering() -> None:
    assert repr(Potato.make(2, first=4)) == "[Potato(#4), Potato(#5)]"


def test_make_runs_init_unlike_the_notes() -> None:
    # The notes used cls.__new__(cls): an object that skipped __init__ has no number.
    half_made = Potato.__new__(Potato)
    with pytest.raises(AttributeError, match="number"):
        repr(half_made)
    assert all(isinstance(p.number, int) for p in Potato.make(2))


def test_make_builds_the_subclass_it_is_called_on() -> None:
    class NewPotato(Potato):
        pass

    assert all(type(p) is NewPotato for p in NewPotato.make(2))


def test_painted_is_blue_when_colour_is_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert Potato(1).painted() == "\x1b[34mPotato(#1)\x1b[0m"


def test_painted_is_plain_when_colour_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert Potato(1).painted() == "Potato(#1)"


@pytest.mark.parametrize("number, error", [(0, ValueError), (-2, ValueError), ("3", TypeError),
                                           (2.0, TypeError), (True, TypeError)])
def test_rejects_bad_numbers(number: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="number"):
        Potato(number)  # type: ignore[arg-type]


@pytest.mark.parametrize("num, first, error, words", [
    (-1, 1, ValueError, "0 or more"),
    (2.5, 1, TypeError, "how many"),
    (True, 1, TypeError, "how many"),
    (2, 0, ValueError, "first must be >= 1"),
    (2, "1", TypeError, "first"),
])
def test_make_rejects_bad_input(num: object, first: object, error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        Potato.make(num, first=first)  # type: ignore[arg-type]
