"""Assignments graded with nbgrader (`.ci/make_assignments.py`), end to end, with fake students.

The fast checks below (always run) look at the teacher's notebooks the script makes from every
chapter. The end-to-end run needs nbgrader (requirements.txt) and runs real kernels for a class
of fake students, so it runs as its own step of `.ci/run`, not in the main test command:

    ASYNCBOOK_TEACHING=1 .venv/bin/python -m pytest -n 2 tests/test_student_edition.py tests/test_grading.py

It makes a course from chapter GRADED_CHAPTER in a temporary folder, runs
`nbgrader generate_assignment`, puts one submission per fake student in `submitted/`, runs
`nbgrader autograde` once for the whole class with a short cell timeout, reads the scores from
nbgrader's gradebook (SQLite), and runs `nbgrader generate_feedback`.
"""

from __future__ import annotations

import copy
import json
import os
import pathlib
import re
import subprocess
import sys
import time

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / ".ci"))
import make_assignments  # noqa: E402

FULL_CHECKS = os.environ.get("ASYNCBOOK_TEACHING") == "1"
GRADED_CHAPTER = "01"    # the chapter with the fewest waits: the run executes it once per student
CELL_TIMEOUT = 10        # seconds; the endless loop below costs this much, twice (answer and test cell)
CHAPTERS = sorted(p for p in (ROOT / "book").glob("[0-9][0-9]_*.ipynb"))


def solution_count(path: pathlib.Path) -> int:
    return "".join("".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
                   if c["cell_type"] == "markdown").count("{solution-start}")


# --- The teacher's notebooks (fast; always run) ----------------------------------------------

@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_each_exercise_becomes_an_answer_and_a_test_worth_points(chapter: pathlib.Path) -> None:
    nb = make_assignments.convert(json.loads(chapter.read_text(encoding="utf-8")), points=2)
    graded = [c for c in nb.cells if "nbgrader" in c.metadata]
    answers = [c for c in graded if c.metadata.nbgrader["solution"]]
    tests = [c for c in graded if c.metadata.nbgrader["grade"]]
    assert len(answers) == len(tests) == solution_count(chapter)
    for answer, test in zip(answers, tests):
        assert nb.cells.index(test) == nb.cells.index(answer) + 1, "a test cell must follow its answer"
        source = answer.source
        assert source.index("### BEGIN SOLUTION") < source.index("### END SOLUTION") < source.index("check(")
        assert test.metadata.nbgrader["locked"] and test.metadata.nbgrader["points"] == 2
        assert "evaluate(" in test.source and "assert result.passed" in test.source
    text = "\n".join(c.source for c in nb.cells)
    assert "{solution-start}" not in text and "{solution-end}" not in text and "{exercise}" not in text


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_no_solution_phrase_outside_the_solution_markers(chapter: pathlib.Path) -> None:
    """What generate_assignment removes holds every phrase only the book's solutions say."""
    from test_student_edition import normalise, solution_phrases

    nb = make_assignments.convert(json.loads(chapter.read_text(encoding="utf-8")), points=1)
    outside = normalise("\n".join(re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "", c.source, flags=re.S)
                                  for c in nb.cells))
    prefix = chapter.name[:2]
    phrases = [p for label, found in solution_phrases().items() if label.startswith(f"ch{prefix}-") for p in found]
    assert phrases
    assert not [p for p in phrases if p in outside]


def test_a_chapter_without_exercises_is_refused() -> None:
    nb = {"cells": [{"cell_type": "markdown", "source": "# Only text", "metadata": {}}], "metadata": {},
          "nbformat": 4, "nbformat_minor": 5}
    with pytest.raises(make_assignments.ChapterError, match="no {solution-start}"):
        make_assignments.convert(nb, points=1)


def test_an_unknown_chapter_is_refused(tmp_path: pathlib.Path, capsys) -> None:
    assert make_assignments.main(["99", "--course", str(tmp_path)]) == 2
    assert "names 0 notebooks" in capsys.readouterr().err


# --- End to end with nbgrader (ASYNCBOOK_TEACHING=1) -----------------------------------------

def nbgrader(course: pathlib.Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run an nbgrader command in *course*, with this venv's bin first on PATH.

    nbgrader runs the `alembic` command (its database migrations) by name, from PATH.
    """
    bin_dir = pathlib.Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return subprocess.run([str(bin_dir / "nbgrader"), *args], cwd=course, capture_output=True, text=True,
                          timeout=timeout, env=env)


def answer_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution")]


def solved(source: str | list[str]) -> str:
    """The teacher's answer cell as a student who got it right would hand it in (no markers)."""
    return "".join(source).replace("### BEGIN SOLUTION\n", "").replace("### END SOLUTION\n", "")


if FULL_CHECKS:

    @pytest.fixture(scope="module")
    def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
        from nbgrader.api import Gradebook

        course = tmp_path_factory.mktemp("course")
        timings: dict[str, float] = {}
        assert make_assignments.main([GRADED_CHAPTER, "--course", str(course), "--timeout", str(CELL_TIMEOUT)]) == 0
        assignment = f"ch{GRADED_CHAPTER}"
        started = time.monotonic()
        result = nbgrader(course, "generate_assignment", assignment, "--force")
        timings["generate_assignment"] = time.monotonic() - started
        assert result.returncode == 0, result.stderr[-3000:]

        (released,) = (course / "release" / assignment).glob("*.ipynb")
        (source,) = (course / "source" / assignment).glob("*.ipynb")
        student_nb = json.loads(released.read_text(encoding="utf-8"))
        teacher_answers = [solved(c["source"]) for c in answer_cells(json.loads(source.read_text(encoding="utf-8")))]

        def with_answers(answers: dict[int, str]) -> dict:
            nb = copy.deepcopy(student_nb)
            for i, cell in enumerate(answer_cells(nb)):
                if i in answers:
                    cell["source"] = answers[i]
            return nb

        everything = dict(enumerate(teacher_answers))
        deleted = with_answers({0: teacher_answers[0]})
        test_id = answer_cells(deleted)[0]["metadata"]["nbgrader"]["grade_id"].replace("-answer", "-test")
        deleted["cells"] = [c for c in deleted["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") != test_id]
        raising = copy.deepcopy(student_nb)
        for cell in raising["cells"]:
            if cell["cell_type"] == "code":
                cell["source"] = "raise RuntimeError('this submission raises in every cell')"
        submissions = {
            "unchanged": student_nb,
            "all-right": with_answers(everything),
            "first-right": with_answers({0: teacher_answers[0]}),
            # An endless loop in the first answer; the second answer is right and must still count.
            "loops-forever": with_answers({0: "while True:\n    pass", 1: teacher_answers[1]}),
            "raises-everywhere": raising,
            "deleted-a-test": deleted,   # first answer right, its test cell deleted
            "not-json": "{ this is not a notebook",
        }
        for student, nb in submissions.items():
            folder = course / "submitted" / student / assignment
            folder.mkdir(parents=True)
            text = nb if isinstance(nb, str) else json.dumps(nb, indent=1)
            (folder / released.name).write_text(text, encoding="utf-8")

        started = time.monotonic()
        autograde = nbgrader(course, "autograde", assignment, "--force", timeout=900)
        timings["autograde (whole class)"] = time.monotonic() - started
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            scores, max_score = {}, gb.find_assignment(assignment).max_score
            for student in submissions:
                try:
                    scores[student] = gb.find_submission(assignment, student).score
                except Exception:   # nbgrader.api.MissingEntry: never graded
                    scores[student] = None
        started = time.monotonic()
        feedback = nbgrader(course, "generate_feedback", assignment, "--force")
        timings["generate_feedback"] = time.monotonic() - started
        return {"course": course, "assignment": assignment, "notebook": released.name, "scores": scores,
                "max": max_score, "autograde": autograde, "feedback": feedback, "timings": timings,
                "points": [c["metadata"]["nbgrader"].get("points") for c in student_nb["cells"]
                           if c["metadata"].get("nbgrader", {}).get("grade")]}

    def test_the_student_notebook_has_no_solutions(graded: dict) -> None:
        released = (graded["course"] / "release" / graded["assignment"] / graded["notebook"]).read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in released and "raise NotImplementedError()" in released
        assert (graded["course"] / "release" / graded["assignment"] / "asyncbook" / "selfcheck.py").is_file()

    def test_scores(graded: dict, note) -> None:
        scores, points = graded["scores"], graded["points"]
        note("grading with nbgrader", [f"{student}: {score} / {graded['max']}" for student, score in scores.items()]
             + [f"{step}: {seconds:.1f} s" for step, seconds in graded["timings"].items()])
        assert graded["max"] == sum(points) and len(points) >= 2
        assert scores["unchanged"] == 0
        assert scores["all-right"] == graded["max"]
        assert scores["first-right"] == points[0]
        assert scores["loops-forever"] == points[1], "the answer after the endless loop must still count"
        assert scores["raises-everywhere"] == 0
        assert scores["deleted-a-test"] == points[0], "the deleted test cell is put back and run"

    def test_bad_submissions_are_reported_clearly(graded: dict) -> None:
        """The run ends (no hang), says which submission it could not read and why, and fails."""
        log = graded["autograde"].stdout + graded["autograde"].stderr
        assert graded["autograde"].returncode != 0, "a submission that cannot be read must fail the run"
        assert "There was an error processing assignment 'ch01' for student 'not-json'" in log, log[-3000:]
        assert "NotJSONError: Notebook does not appear to be JSON" in log, log[-3000:]
        # nbgrader records the submission before it reads it: it stays in the gradebook at 0.
        assert graded["scores"]["not-json"] == 0
        assert not (graded["course"] / "autograded" / "not-json").joinpath(graded["assignment"]).exists()
        failed = re.findall(r"error processing assignment '\w+' for student '([\w-]+)'", log)
        assert failed == ["not-json"], f"only the unreadable submission may fail: {failed}"

    def test_the_endless_loop_was_interrupted(graded: dict) -> None:
        nb = json.loads((graded["course"] / "autograded" / "loops-forever" / graded["assignment"]
                         / graded["notebook"]).read_text(encoding="utf-8"))
        errors = [o.get("ename") for c in answer_cells(nb) for o in c.get("outputs", []) if o["output_type"] == "error"]
        assert errors and errors[0] in ("KeyboardInterrupt", "CellTimeoutError"), errors

    def test_feedback_pages_show_the_score(graded: dict) -> None:
        for student, score in graded["scores"].items():
            page = graded["course"] / "feedback" / student / graded["assignment"] / graded["notebook"].replace(".ipynb", ".html")
            if student == "not-json":   # never autograded, so no feedback
                assert not page.exists()
                continue
            assert page.is_file(), f"no feedback page for {student}"
            text = page.read_text(encoding="utf-8")
            assert re.search(rf"Score:\s*{score:g}(\.0)?\s*/\s*{graded['max']:g}(\.0)?", text), f"{student}: score not shown"

    def test_a_deleted_test_cell_is_put_back_and_said_so(graded: dict) -> None:
        page = (graded["course"] / "feedback" / "deleted-a-test" / graded["assignment"]
                / graded["notebook"].replace(".ipynb", ".html"))
        assert "was missing from the submission. It was added back by nbgrader." in page.read_text(encoding="utf-8")
