"""Unit tests for asyncbook.colour: when colour is on, and what paint() emits."""

from __future__ import annotations

import io

import pytest

from asyncbook import colour
from asyncbook.colour import Palette, colour_enabled, paint


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR", "ANSI_COLORS_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(colour, "_in_jupyter_kernel", lambda: False)


def test_plain_stream_gets_no_colour() -> None:
    assert colour_enabled(io.StringIO()) is False


def test_terminal_gets_colour() -> None:
    assert colour_enabled(FakeTerminal()) is True


def test_no_color_wins_over_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setattr(colour, "_in_jupyter_kernel", lambda: True)
    assert colour_enabled(FakeTerminal()) is False
    assert paint("x", "red") == "x"


def test_empty_no_color_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "")
    assert colour_enabled(FakeTerminal()) is True


def test_force_color_colours_a_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert colour_enabled(io.StringIO()) is True


def test_jupyter_kernel_gets_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(colour, "_in_jupyter_kernel", lambda: True)
    assert colour_enabled(io.StringIO()) is True
    assert paint("done", "green") == "\x1b[32mdone\x1b[0m"


def test_outside_ipython_is_not_a_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # use the real detector
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert colour._in_jupyter_kernel() is False


def test_paint_bold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert paint("ok", "red", bold=True) == "\x1b[1m\x1b[31mok\x1b[0m"


def test_paint_without_colour_returns_text_unchanged() -> None:
    assert paint("plain", "blue") == "plain"


@pytest.mark.parametrize("text, colour_name, error", [
    (3, "red", TypeError),
    ("x", None, TypeError),
    ("x", "purple", ValueError),
])
def test_paint_rejects_bad_input(text: object, colour_name: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="str|colour"):
        paint(text, colour_name)  # type: ignore[arg-type]


def test_palette_assigns_colours_in_order_of_first_sight() -> None:
    palette = Palette(("blue", "green"))
    assert [palette.colour_of(n) for n in ("a", "b", "a", "c")] == ["blue", "green", "blue", "blue"]


def test_palette_paints_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    palette = Palette(("magenta",))
    assert palette.paint("w1") == "\x1b[35mw1\x1b[0m"
    assert palette.paint("w1", "hello") == "\x1b[35mhello\x1b[0m"


@pytest.mark.parametrize("colours", [(), ["blue"], ("blue", "mauve")])
def test_palette_rejects_bad_colours(colours: object) -> None:
    with pytest.raises(ValueError, match="colour"):
        Palette(colours)  # type: ignore[arg-type]


def test_palette_rejects_non_str_name() -> None:
    with pytest.raises(TypeError, match="str"):
        Palette().colour_of(1)  # type: ignore[arg-type]
