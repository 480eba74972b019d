"""Unit tests for asyncbook.scripts: run a program as a script, with stable output."""

from __future__ import annotations

import sys

import pytest

from asyncbook.scripts import ScriptResult, run_script


def test_runs_with_this_python_and_captures_output() -> None:
    result = run_script("import sys\nprint(sys.executable)\nprint('to stderr', file=sys.stderr)")
    assert result == ScriptResult(0, sys.executable + "\n", "to stderr\n")


def test_asyncio_run_works_in_a_script() -> None:
    source = "import asyncio\nasync def main():\n    return 42\nprint(asyncio.run(main()))\n"
    assert run_script(source).stdout == "42\n"


def test_paths_name_only_the_script() -> None:
    result = run_script("import warnings\nwarnings.warn('careful')\nraise ValueError('bad')\n")
    assert result.returncode == 1
    assert result.stderr.startswith("script.py:2: UserWarning: careful\n")
    assert 'File "script.py", line 3, in <module>' in result.stderr
    assert "asyncbook-" not in result.stderr


def test_python_args_come_before_the_script(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONWARNINGS", "ignore")  # must not leak into the script
    source = "import warnings\nwarnings.warn('old', DeprecationWarning, stacklevel=1)\nimport sys\nprint(sys.argv[1:])\n"
    quiet = run_script(source, "-W", "ignore")
    loud = run_script(source, "-W", "error")
    assert quiet == ScriptResult(0, "[]\n", "")
    assert loud.returncode == 1 and "DeprecationWarning: old" in loud.stderr


def test_show_prints_both_streams_and_the_status(capsys: pytest.CaptureFixture[str]) -> None:
    ScriptResult(2, "out\n", "err\n").show()
    assert capsys.readouterr().out == "out\n--- stderr ---\nerr\n--- exit status 2 ---\n"
    ScriptResult(0, "only out\n", "").show()
    assert capsys.readouterr().out == "only out\n"


@pytest.mark.parametrize("source, args, timeout, error", [
    (b"print(1)", (), 10, TypeError),
    ("print(1)", ("-W", 1), 10, TypeError),
    ("print(1)", (), 0, ValueError),
    ("print(1)", (), True, ValueError),
])
def test_rejects_bad_input(source: object, args: tuple, timeout: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        run_script(source, *args, timeout=timeout)  # type: ignore[arg-type]


def test_a_script_can_import_the_book_helpers() -> None:
    result = run_script("from asyncbook.potatoes import Potato\nprint(Potato.make(2))\n")
    assert (result.returncode, result.stdout, result.stderr) == (0, "[Potato(#1), Potato(#2)]\n", "")
