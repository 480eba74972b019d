"""Checks on the committed notebooks themselves, complementing nbval's output comparison.

nbval proves each output is what the code prints now; these tests keep the
notebooks honest in ways nbval does not look at.
"""

from __future__ import annotations

import json
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))


def code_cells(path: pathlib.Path) -> list[dict]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_executed_top_to_bottom(path: pathlib.Path) -> None:
    counts = [c["execution_count"] for c in code_cells(path)]
    assert counts == list(range(1, len(counts) + 1)), "re-run the notebook top to bottom in a fresh kernel"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_skipped_cells(path: pathlib.Path) -> None:
    for cell in code_cells(path):
        tags = cell["metadata"].get("tags", [])
        assert "nbval-skip" not in tags and "skip-execution" not in tags, cell["source"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_ignored_outputs_say_why(path: pathlib.Path) -> None:
    for cell in code_cells(path):
        if "nbval-ignore-output" in cell["metadata"].get("tags", []):
            assert "".join(cell["source"]).lstrip().startswith("#"), \
                "a cell whose output nbval ignores must start with a comment saying why"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_errors_only_where_tagged(path: pathlib.Path) -> None:
    for cell in code_cells(path):
        failed = any(o["output_type"] == "error" for o in cell["outputs"])
        tagged = "raises-exception" in cell["metadata"].get("tags", [])
        assert failed == tagged, f"error output and raises-exception tag disagree in: {''.join(cell['source'])[:80]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_shape(path: pathlib.Path) -> None:
    if path.name == "index.ipynb":
        return
    nb = json.loads(path.read_text(encoding="utf-8"))
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    for part in ("What you will learn", "## Pitfalls", "## Exercises", "{solution-start}", "## Summary"):
        assert part in text, f"{path.name} lacks {part!r}"
    assert text.count("{solution-start}") == text.count("{solution-end}")


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    marker = "<!-- test-command -->"
    assert marker in readme, "README.md must mark its test command with <!-- test-command -->"
    command = readme.split(marker, 1)[1].split("```", 2)[1].strip().removeprefix("bash").strip()
    assert command in ci, f".ci/run does not run README's test command: {command}"
