""".ci/new_chapter.py makes, from .ci/templates/, a chapter that passes the suite as it stands.

The main test copies the repository to a temporary folder, adds a scratch chapter 99 there and
runs pytest on it in a subprocess: the notebook checks, nbval strict on the new notebook and the
tests of its checker. Everything passes except the check that no TEMPLATE: placeholder is left,
which must fail for the three new files (that is what tells a contributor what to replace).
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("new_chapter", ROOT / ".ci" / "new_chapter.py")
new_chapter = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(new_chapter)

COPIED = ("book", "tests", ".ci", "_config.yml", "_toc.yml", "pyproject.toml", "README.md")


def copy_repository(target: pathlib.Path) -> pathlib.Path:
    skip = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "_build")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=skip)
        else:
            shutil.copy2(source, target / name)
    return target


def toc_chapters(root: pathlib.Path) -> list[str]:
    """The numbered chapters of _toc.yml (book/NN_name), in order; pages such as the teacher's
    guide, which are not numbered chapters, are left out."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files = [chapter["file"] for part in toc["parts"] for chapter in part["chapters"]]
    return [name for name in files if re.fullmatch(r"book/\d\d_\w+", name)]


def test_a_new_chapter_passes_the_notebook_checks_and_nbval(tmp_path: pathlib.Path) -> None:
    repo = copy_repository(tmp_path / "repo")
    before = toc_chapters(repo)
    files = new_chapter.create(repo, 99, "scratch_topic", "Scratch topic")
    assert toc_chapters(repo) == [*before, "book/99_scratch_topic"]
    assert files["notebook"].read_text(encoding="utf-8").count("# Scratch topic") == 1

    report = tmp_path / "report.xml"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYTEST_") and k not in ("ASYNCBOOK_BUILD_RESULT", "ASYNCBOOK_NOTEBOOKS_DONE")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "0", "-p", "no:cacheprovider", f"--junitxml={report}",
         "book/99_scratch_topic.ipynb", "tests/test_notebooks.py", "tests/test_exercises_ch99.py"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=300,
    )
    outcomes: dict[str, str] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        kind = next((child.tag for child in case if child.tag in ("failure", "error", "skipped")), "passed")
        outcomes[f"{case.get('classname')}::{case.get('name')}"] = kind
    failed = sorted(name for name, kind in outcomes.items() if kind != "passed")
    placeholder_checks = [f"tests.test_notebooks::test_no_template_placeholder_is_left[{name}]"
                          for name in ("99_scratch_topic.ipynb", "ch99.py", "test_exercises_ch99.py")]
    assert failed == sorted(placeholder_checks), result.stdout[-4000:]
    nbval_cells = [name for name in outcomes if name.startswith("book.99_scratch_topic")]
    assert len(nbval_cells) == 5, outcomes
    assert outcomes["tests.test_notebooks::test_chapter_shape[99_scratch_topic.ipynb]"] == "passed"
    assert sum(name.startswith("tests.test_exercises_ch99") for name in outcomes) >= 5
    assert "lacks" not in result.stdout and "TEMPLATE:" in result.stdout


@pytest.fixture()
def small_repo(tmp_path: pathlib.Path) -> pathlib.Path:
    """The files new_chapter.py looks at: chapter file names, _toc.yml, the checkers' and tests' folders."""
    (tmp_path / "book" / "asyncbook" / "exercises").mkdir(parents=True)
    (tmp_path / "tests").mkdir()
    for notebook in (ROOT / "book").glob("*.ipynb"):
        shutil.copy2(notebook, tmp_path / "book" / notebook.name)
    shutil.copy2(ROOT / "_toc.yml", tmp_path / "_toc.yml")
    return tmp_path


def next_number() -> int:
    """The number after the highest chapter's: free, and placed at the end of _toc.yml."""
    return max(int(p.name[:2]) for p in (ROOT / "book").glob("[0-9][0-9]_*.ipynb")) + 1


def snapshot(root: pathlib.Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("argv, says", [
    (["4", "more_tasks", "More tasks"], "chapter 04 already exists (book/04_tasks.ipynb)"),
    (["04", "tasks", "Tasks"], "chapter 04 already exists"),
    (["0", "zero", "Zero"], "must be 1 to 99"),
    (["100", "big", "Big"], "whole number from 1 to 99"),
    (["1x", "odd", "Odd"], "whole number from 1 to 99"),
    (["98", "My-Topic", "My topic"], "lower-case words joined by underscores"),
    (["98", "my topic", "My topic"], "lower-case words joined by underscores"),
    (["98", "_hidden", "Hidden"], "lower-case words joined by underscores"),
    (["98", "my_topic", ""], "must be one line of text"),
    (["98", "my_topic", "Two\nlines"], "must be one line of text"),
])
def test_refuses_clearly_and_changes_nothing(small_repo: pathlib.Path, argv: list[str], says: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(small_repo)
    assert new_chapter.main(argv, root=small_repo) == 2
    err = capsys.readouterr().err
    assert err.startswith("new_chapter: refused, nothing changed: ") and says in err, err
    assert snapshot(small_repo) == before


def test_refuses_when_one_of_the_files_exists(small_repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    nn = next_number()
    (small_repo / "tests" / f"test_exercises_ch{nn:02d}.py").write_text("", encoding="utf-8")
    assert new_chapter.main([str(nn), "my_topic", "My topic"], root=small_repo) == 2
    err = capsys.readouterr().err
    assert f"chapter {nn:02d} already exists (tests/test_exercises_ch{nn:02d}.py)" in err, err
    assert f"the next free one is {nn}" in err, err


def test_new_chapter_goes_after_the_one_before_it(small_repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    nn = f"{next_number():02d}"
    before = toc_chapters(small_repo)
    assert new_chapter.main([nn, "my_topic", "My topic"], root=small_repo) == 0
    assert toc_chapters(small_repo) == [*before, f"book/{nn}_my_topic"]
    # the part layout and the comments of _toc.yml are kept: one line added
    old = (ROOT / "_toc.yml").read_text(encoding="utf-8").splitlines()
    new = (small_repo / "_toc.yml").read_text(encoding="utf-8").splitlines()
    assert [line for line in new if line not in old] == [f"      - file: book/{nn}_my_topic"]
    out = capsys.readouterr().out
    assert f"book/{nn}_my_topic.ipynb" in out and f"book/asyncbook/exercises/ch{nn}.py" in out
    assert f"tests/test_exercises_ch{nn}.py" in out
    checker = (small_repo / "book" / "asyncbook" / "exercises" / f"ch{nn}.py").read_text(encoding="utf-8")
    assert f'@exercise("ch{nn}-example")' in checker and "chNN" not in checker and "*My topic*" in checker


def test_names_a_chapter_that_says_it_is_the_last(small_repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    last = sorted((small_repo / "book").glob("[0-9][0-9]_*.ipynb"))[-1]
    last.write_text(json.dumps({"cells": [{"source": ["This is the last chapter."]}]}), encoding="utf-8")
    assert new_chapter.main([str(next_number()), "my_topic", "My topic"], root=small_repo) == 0
    assert f"Chapter {last.name[:2]} ({last.relative_to(small_repo)}) says it is the last chapter" in capsys.readouterr().out


def test_new_part_is_added_at_the_end(small_repo: pathlib.Path) -> None:
    assert new_chapter.main(["90", "extras", "Extras", "--new-part", "Beyond asyncio"], root=small_repo) == 0
    toc = yaml.safe_load((small_repo / "_toc.yml").read_text(encoding="utf-8"))
    assert toc["parts"][-1] == {"caption": "Beyond asyncio", "numbered": True, "chapters": [{"file": "book/90_extras"}]}


def test_new_part_comes_after_every_chapter(small_repo: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert new_chapter.main(["90", "extras", "Extras"], root=small_repo) == 0
    before = snapshot(small_repo)
    assert new_chapter.main(["89", "early", "Early", "--new-part", "Later"], root=small_repo) == 2
    assert "pick a higher number or leave out --new-part" in capsys.readouterr().err
    assert snapshot(small_repo) == before


def test_templates_are_neither_built_nor_collected() -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert ".ci" in config["sphinx"]["config"]["exclude_patterns"]
    pytest_options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert ".*" in pytest_options["norecursedirs"] and ".ci" not in pytest_options["testpaths"]
