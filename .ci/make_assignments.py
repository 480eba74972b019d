"""Turn chapters of the book into an nbgrader course: one assignment per chapter.

    python .ci/make_assignments.py 01 04 --course ~/course     # chapters by number (or file name)

Then, in the course folder, with nbgrader installed (requirements.txt):

    nbgrader generate_assignment ch04            # release/ch04: the students' notebook
    nbgrader autograde ch04                      # grades submitted/<student>/ch04/*.ipynb
    nbgrader generate_feedback ch04              # feedback/<student>/ch04/*.html

For chapter NN it writes `source/chNN/<notebook>.ipynb`, the teacher's version:

- the chapter as it is (text, examples, the exercises' wording), with each exercise turned into
  an *autograded answer* cell: the book's starting code, then the book's solution (its
  explanation as comments, then its code) between `### BEGIN SOLUTION` / `### END SOLUTION`,
  then the exercise's `check(...)` call, so the student still sees the self-check's feedback;
  `generate_assignment` replaces the solution with the stub set in nbgrader_config.py;
- after it, a read-only *autograder test* cell worth `--points` points that passes only when the
  self-check passes. `check()` only prints ✔ or ✘ (a self-check teaches, it never stops a
  notebook), so the test calls `asyncbook.selfcheck.evaluate`, the function `check` prints, and
  asserts that it passed.

It also copies the helper package into `source/chNN/asyncbook/`. nbgrader releases every
non-notebook file of the source folder with the notebook (the students need the package to run
the chapter and its self-checks), and when it autogrades it copies those files over the
student's copies again: a student who edits the checkers to pass cannot change their grade.

`nbgrader_config.py` is written once (an existing one is left alone): cell timeout, the
solution stub, and missing test cells put back before grading.
"""

from __future__ import annotations

import argparse
import ast
import json
import pathlib
import re
import shutil
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"

START = re.compile(r"```\{solution-start\}[ \t]*(\S+)[^\n]*\n(?::[^\n]*\n)*```[ \t]*\n?")
END = re.compile(r"```\{solution-end\}[^\n]*\n```[ \t]*\n?")
EXERCISE = re.compile(r"```\{exercise\}[^\n]*\n((?::[^\n]*\n)*)(.*?)\n```", re.S)

CODE_STUB = ("# YOUR CODE HERE: fix or replace the code above, then delete this line and the next.\n"
             "raise NotImplementedError()")

CONFIG = '''# nbgrader settings for this course (written by .ci/make_assignments.py).
c = get_config()  # noqa: F821 - nbgrader provides it

# A cell that runs longer than this (an endless loop) is interrupted and the grading goes on.
# The chapters' cells take well under a second; raise it on a very slow machine.
c.Execute.timeout = {timeout}
# What the students get instead of each solution: the book's starting code stays above it.
c.ClearSolutions.code_stub = {{"python": {stub!r}}}
# A student who deletes a test cell gets it back before grading (and loses nothing by it).
c.OverwriteCells.add_missing_cells = True
'''


class ChapterError(ValueError):
    """The chapter does not have the shape this script expects (see the README's chapter shape)."""


def find_chapter(name: str) -> pathlib.Path:
    candidates = sorted(BOOK.glob(f"{name}*.ipynb")) or sorted(BOOK.glob(f"{name.zfill(2)}_*.ipynb"))
    if len(candidates) != 1:
        raise ChapterError(f"{name!r} names {len(candidates)} notebooks in book/; give the chapter number, e.g. 04")
    return candidates[0]


def without_check_calls(code: str) -> tuple[str, list[str]]:
    """The code without its top-level `check(...)` statements, and those statements."""
    tree = ast.parse(code)
    lines = code.splitlines()
    calls, drop = [], set()
    for node in tree.body:
        if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name) and node.value.func.id == "check"):
            calls.append(ast.get_source_segment(code, node))
            drop.update(range(node.lineno - 1, node.end_lineno))
    kept = "\n".join(line for i, line in enumerate(lines) if i not in drop)
    return re.sub(r"\n{3,}", "\n\n", kept).strip(), calls


def markdown_text(text: str) -> str:
    """MyST exercise fences as plain Markdown (Jupyter does not render MyST directives)."""
    def exercise(match: re.Match) -> str:
        label = re.search(r":label:\s*(\S+)", match.group(1))
        title = f"### Exercise `{label.group(1)}`" if label else "### Exercise"
        return f"{title}\n\n{match.group(2).strip()}"
    return EXERCISE.sub(exercise, text).strip()


def segments(nb: dict) -> list[tuple[str, str, str | None]]:
    """The chapter as (kind, text, solution label or None) pieces; markdown split at the fences."""
    pieces: list[tuple[str, str, str | None]] = []
    label = None
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] != "markdown":
            pieces.append((cell["cell_type"], source, label))
            continue
        position = 0
        while True:
            fence = (END if label else START).search(source, position)
            pieces.append(("markdown", source[position:fence.start() if fence else len(source)], label))
            if not fence:
                break
            label = None if label else fence.group(1)
            position = fence.end()
    if label:
        raise ChapterError(f"{{solution-start}} {label} has no {{solution-end}}")
    return pieces


def cell(kind: str, source: str, nbgrader: dict | None = None) -> dict:
    import nbformat

    new = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
    if nbgrader is not None:
        new.metadata["nbgrader"] = {"schema_version": 3, "task": False, **nbgrader}
    return new


def grade_cells(label: str, starter: str, explanation: str, solution: str, points: int) -> list[dict]:
    starter_code, checks = without_check_calls(starter)
    solution_code, _ = without_check_calls(solution)
    if len(checks) != 1:
        raise ChapterError(f"{label}: the exercise's starting cell must call check(...) once, found {len(checks)}")
    call = ast.parse(checks[0]).body[0].value
    exercise_id, answer = ast.literal_eval(call.args[0]), ast.get_source_segment(checks[0], call.args[1])
    comments = "\n".join(f"# {line}".rstrip() for line in explanation.strip().splitlines())
    parts = [starter_code, "### BEGIN SOLUTION", comments, solution_code, "### END SOLUTION", "", checks[0]]
    body = "\n".join(part for i, part in enumerate(parts) if part or i == 5)   # a blank line before check
    test = (f"# Autograder test ({points} point{'s' if points != 1 else ''}): passes when the self-check passes.\n"
            "from asyncbook.selfcheck import evaluate\n\n"
            f"result = evaluate({exercise_id!r}, {answer})\n"
            "print(result)\n"
            "assert result.passed, 'the self-check did not pass: read its message above'")
    return [
        cell("code", body, {"grade": False, "solution": True, "locked": False, "grade_id": f"{label}-answer"}),
        cell("code", test, {"grade": True, "solution": False, "locked": True, "grade_id": f"{label}-test",
                            "points": points}),
    ]


def convert(nb: dict, points: int) -> dict:
    """The teacher's version of a chapter notebook (see the module docstring)."""
    import nbformat

    out = nbformat.v4.new_notebook(metadata={k: v for k, v in nb["metadata"].items() if k != "asyncbook"})
    pending: list[dict] = []          # code cells of the current exercise, not yet written
    solution: dict[str, list[str]] = {"markdown": [], "code": []}
    label = None
    exercises = 0
    for kind, text, in_solution in segments(nb) + [("markdown", "", None)]:
        if in_solution:
            label = in_solution
            solution[kind if kind == "code" else "markdown"].append(text)
            continue
        if label:   # the solution just ended: write the exercise's graded pair
            starters = [c for c in pending if "check(" in c["source"]]
            if not starters:
                raise ChapterError(f"{label}: no cell of the exercise calls check(...)")
            out.cells += [c for c in pending if c is not starters[-1]]
            out.cells += grade_cells(label, starters[-1]["source"], "\n\n".join(solution["markdown"]),
                                     "\n\n".join(solution["code"]), points)
            pending, solution, label = [], {"markdown": [], "code": []}, None
            exercises += 1
        if kind == "markdown":
            if markdown_text(text):
                out.cells += pending
                pending = []
                out.cells.append(cell("markdown", markdown_text(text)))
        elif kind == "code":
            pending.append(cell("code", text))
        else:   # a raw cell, kept as it is
            out.cells.append(nbformat.v4.new_raw_cell(text))
    out.cells += pending
    if exercises == 0:
        raise ChapterError("the chapter has no {solution-start} ... {solution-end} exercise")
    nbformat.validate(out)
    return out


def make_assignment(chapter: pathlib.Path, course: pathlib.Path, points: int) -> pathlib.Path:
    import nbformat

    number = chapter.name.split("_", 1)[0]
    folder = course / "source" / f"ch{number}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    notebook = convert(json.loads(chapter.read_text(encoding="utf-8")), points)
    target = folder / chapter.name
    nbformat.write(nbformat.from_dict(notebook), target)
    shutil.copytree(BOOK / "asyncbook", folder / "asyncbook", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("chapters", nargs="+", help="chapter numbers (04) or notebook names (04_tasks)")
    parser.add_argument("--course", type=pathlib.Path, required=True, help="the nbgrader course folder (made if missing)")
    parser.add_argument("--points", type=int, default=1, help="points per exercise (default 1)")
    parser.add_argument("--timeout", type=int, default=30,
                        help="seconds a cell may run when autograding, written to a new nbgrader_config.py (default 30)")
    args = parser.parse_args(argv)
    if args.points < 1:
        parser.error("--points must be 1 or more")
    if args.timeout < 1:
        parser.error("--timeout must be 1 or more")
    course = args.course.resolve()
    course.mkdir(parents=True, exist_ok=True)
    try:
        chapters = [find_chapter(name) for name in args.chapters]
        for chapter in chapters:
            target = make_assignment(chapter, course, args.points)
            print(f"{target.relative_to(course)}: assignment {target.parent.name}")
    except ChapterError as error:
        print(f"make_assignments: {error}", file=sys.stderr)
        return 2
    config = course / "nbgrader_config.py"
    if not config.exists():
        config.write_text(CONFIG.format(timeout=args.timeout, stub=CODE_STUB), encoding="utf-8")
        print(f"{config.name}: written (cell timeout {args.timeout} s)")
    else:
        print(f"{config.name}: kept as it is")
    return 0


if __name__ == "__main__":
    sys.exit(main())
