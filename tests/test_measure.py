"""asyncbook.measure: Usage reads both clocks around a block; measured() marks a number."""

from __future__ import annotations

import re

import pytest

from asyncbook import measure
from asyncbook.measure import Usage, measured


class FakeClocks:
    """perf_counter and process_time that advance only when told."""

    def __init__(self) -> None:
        self.wall = 100.0
        self.cpu = 7.0

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(measure.time, "perf_counter", lambda: self.wall)
        monkeypatch.setattr(measure.time, "process_time", lambda: self.cpu)


def test_usage_measures_wall_and_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    clocks = FakeClocks()
    clocks.install(monkeypatch)
    with Usage() as usage:
        clocks.wall += 0.5
        clocks.cpu += 0.9
    assert usage.wall == pytest.approx(0.5)
    assert usage.cpu == pytest.approx(0.9)
    assert usage.cores == pytest.approx(1.8)
    assert repr(usage) == "Usage(wall=0.500, cpu=0.900)"


def test_usage_before_the_block_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeClocks().install(monkeypatch)
    usage = Usage()
    assert usage.cores == 0.0
    with usage:
        pass  # no time passes on the fake clocks
    assert usage.cores == 0.0


def test_usage_measures_even_when_the_block_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    clocks = FakeClocks()
    clocks.install(monkeypatch)
    usage = Usage()
    with pytest.raises(KeyError):
        with usage:
            clocks.wall += 2.0
            raise KeyError("x")
    assert usage.wall == pytest.approx(2.0)


def test_measured_marks_the_text() -> None:
    assert measured("0.25 s") == "[measured: 0.25 s]"


def test_measured_matches_the_sanitize_rule() -> None:
    """tests/sanitize.cfg blanks out exactly what measured() prints."""
    import pathlib
    config = (pathlib.Path(__file__).parent / "sanitize.cfg").read_text(encoding="utf-8")
    section = config.split("[measured numbers]", 1)[1]
    pattern = re.search(r"^regex: (.*)$", section, re.M).group(1)
    text = f"before {measured('one 0.110 s, two 0.058 s, 1.9 cores busy')} after"
    assert re.sub(pattern, "[measured]", text) == "before [measured] after"


@pytest.mark.parametrize("bad", ["a]b", "two\nlines"])
def test_measured_refuses_text_that_would_break_the_marker(bad: str) -> None:
    with pytest.raises(ValueError, match="one line without"):
        measured(bad)


def test_measured_wants_text() -> None:
    with pytest.raises(TypeError, match="pass the text to mark"):
        measured(0.25)  # type: ignore[arg-type]
