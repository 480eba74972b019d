"""Checks on the committed notebooks themselves, complementing nbval's output comparison.

nbval proves each output is what the code prints now; these tests keep the
notebooks honest in ways nbval does not look at. Every rule here is explained in
README.md, "Contributing a chapter", and each failure message points there.

The chapter template (.ci/templates/chapter.ipynb, copied by .ci/new_chapter.py) must pass
the same shape checks as the chapters, as it stands.
"""

from __future__ import annotations

import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
TEMPLATE = ROOT / ".ci" / "templates" / "chapter.ipynb"
SEE_README = "see README.md, 'Contributing a chapter'"

#: The markdown texts every chapter contains, written exactly as here. README.md's
#: "Contributing a chapter" lists the same texts, in this order, after `<!-- required-parts -->`
#: (test_readme_lists_the_required_parts keeps the two in step).
REQUIRED_PARTS = (
    "What you will learn",
    "## Pitfalls",
    "## Exercises",
    "{exercise}",
    "{solution-start}",
    "{solution-end}",
    "## Summary",
)
#: What a placeholder of the templates is marked with; none may be left in a chapter.
PLACEHOLDER = "TEMPLATE:"


def code_cells(path: pathlib.Path) -> list[dict]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def markdown_text(path: pathlib.Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


# The chapters, and the template as it stands.
SHAPED = [*NOTEBOOKS, TEMPLATE]


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS


@pytest.mark.parametrize("path", SHAPED, ids=lambda p: p.name)
def test_executed_top_to_bottom(path: pathlib.Path) -> None:
    counts = [c["execution_count"] for c in code_cells(path)]
    assert counts == list(range(1, len(counts) + 1)), \
        f"{path.name}: re-run it top to bottom in a fresh kernel with .ci/rerun_notebook.py ({SEE_README})"


@pytest.mark.parametrize("path", SHAPED, ids=lambda p: p.name)
def test_no_skipped_cells(path: pathlib.Path) -> None:
    for cell in code_cells(path):
        tags = cell["metadata"].get("tags", [])
        assert "nbval-skip" not in tags and "skip-execution" not in tags, \
            f"{path.name}: every cell runs, none is skipped ({SEE_README}): {''.join(cell['source'])[:80]}"


@pytest.mark.parametrize("path", SHAPED, ids=lambda p: p.name)
def test_ignored_outputs_say_why(path: pathlib.Path) -> None:
    for cell in code_cells(path):
        if "nbval-ignore-output" in cell["metadata"].get("tags", []):
            assert "".join(cell["source"]).lstrip().startswith("#"), \
                f"{path.name}: a cell whose output nbval ignores must start with a comment saying why ({SEE_README})"


@pytest.mark.parametrize("path", SHAPED, ids=lambda p: p.name)
def test_errors_only_where_tagged(path: pathlib.Path) -> None:
    for cell in code_cells(path):
        failed = any(o["output_type"] == "error" for o in cell["outputs"])
        tagged = "raises-exception" in cell["metadata"].get("tags", [])
        assert failed == tagged, (f"{path.name}: error output and raises-exception tag disagree "
                                  f"({SEE_README}) in: {''.join(cell['source'])[:80]}")


@pytest.mark.parametrize("path", SHAPED, ids=lambda p: p.name)
def test_chapter_shape(path: pathlib.Path) -> None:
    if path.name == "index.ipynb":
        return
    text = markdown_text(path)
    for part in REQUIRED_PARTS:
        assert part in text, f"{path.name} lacks {part!r} in its markdown ({SEE_README})"
    assert text.count("{solution-start}") == text.count("{solution-end}"), \
        f"{path.name}: each {{solution-start}} needs its {{solution-end}} ({SEE_README})"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercise_names_follow_the_chapter(path: pathlib.Path) -> None:
    """Labels are chNN-ex-NAME, check ids chNN-NAME, and each exercise has its solution."""
    nn = path.name[:2]
    text = markdown_text(path)
    labels = re.findall(r"^:label:\s*(\S+)", text, re.MULTILINE)
    for label in labels:
        assert re.fullmatch(rf"ch{nn}-ex-[a-z0-9-]+", label), \
            f"{path.name}: exercise label {label!r} should be ch{nn}-ex-NAME ({SEE_README})"
    solved = re.findall(r"\{solution-start\}\s+(\S+)", text)
    assert solved == labels, f"{path.name}: each exercise, in order, needs {{solution-start}} LABEL ({SEE_README})"
    code = "\n".join("".join(c["source"]) for c in code_cells(path))
    for exercise_id in re.findall(r"""\bcheck\(\s*["']([^"']+)["']""", code):
        assert re.fullmatch(rf"ch{nn}-[a-z0-9-]+", exercise_id) and not exercise_id.startswith(f"ch{nn}-ex-"), \
            f"{path.name}: check id {exercise_id!r} should be ch{nn}-NAME, the label without -ex ({SEE_README})"


@pytest.mark.parametrize("path", SHAPED, ids=lambda p: p.name)
def test_intended_waits_are_declared(path: pathlib.Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    waits = nb["metadata"].get("asyncbook", {}).get("intended_wait_seconds")
    assert isinstance(waits, (int, float)) and not isinstance(waits, bool) and waits >= 0, \
        f"{path.name}: declare the seconds its cells wait in metadata asyncbook.intended_wait_seconds ({SEE_README})"


CHAPTER_FILES = [*NOTEBOOKS, *sorted((ROOT / "book" / "asyncbook" / "exercises").glob("ch*.py")),
                 *sorted((ROOT / "tests").glob("test_exercises_ch*.py"))]


@pytest.mark.parametrize("path", CHAPTER_FILES, ids=lambda p: p.name)
def test_no_template_placeholder_is_left(path: pathlib.Path) -> None:
    left = [line.strip()[:80] for line in path.read_text(encoding="utf-8").splitlines() if PLACEHOLDER in line]
    assert not left, f"{path.name}: replace the template's placeholders marked {PLACEHOLDER} ({SEE_README}): {left}"


def test_readme_lists_the_required_parts() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    marker = "<!-- required-parts -->"
    assert marker in readme, f"README.md must list the required parts after {marker}"
    listed = []
    for line in readme.split(marker, 1)[1].lstrip("\n").splitlines():
        if line.startswith("  "):  # an item's continuation line
            continue
        if not line.startswith("- "):
            break
        item = re.match(r"- `([^`]+)`", line)
        listed.append(item.group(1) if item else line)
    assert tuple(listed) == REQUIRED_PARTS, "README.md's list of required parts differs from REQUIRED_PARTS"


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    marker = "<!-- test-command -->"
    assert marker in readme, "README.md must mark its test command with <!-- test-command -->"
    command = readme.split(marker, 1)[1].split("```", 2)[1].strip().removeprefix("bash").strip()
    assert command in ci, f".ci/run does not run README's test command: {command}"
