"""Run a small pytest suite, written by a notebook cell, in a fresh interpreter, and show its report.

A chapter about testing should show real test runs, not describe them. :func:`run_pytest`
writes the files it is given (tests, a ``conftest.py``, the code under test) into a new
temporary directory, runs ``python -m pytest`` there with the kernel's interpreter, and
returns what pytest printed, as a :class:`asyncbook.scripts.ScriptResult`.

The report is made the same on every run and every machine, at the source:

- pytest runs with ``-v --no-header`` (one line per test, no platform or version header),
  ``-p no:cacheprovider`` (no ``.pytest_cache``) and ``-o console_output_style=classic``
  (no progress percentages), with 80 columns and no colour;
- plugins are not auto-loaded (``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``): only those you name with
  ``plugins=`` run, so what else happens to be installed changes nothing;
- the book's helper package is importable (``PYTHONPATH``), as in the notebooks;
- the one number pytest prints that changes from run to run, the duration at the end of the
  summary line ("in 0.12s"), is removed, and the temporary directory's path is removed from
  every line (tracebacks then name plain ``test_x.py``).
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping

from .scripts import ScriptResult

__all__ = ["run_pytest"]

_BOOK = pathlib.Path(__file__).resolve().parent.parent       # the folder that holds asyncbook/
_WIDTH = 80
# Variables that change what pytest prints. CI and BUILD_NUMBER among them: where either is set
# (a CI service), pytest stops shortening the short test summary's lines to the terminal width.
_UNSTABLE_ENV = ("PYTHONWARNINGS", "PYTHONDEVMODE", "PYTHONASYNCIODEBUG", "PYTHONTRACEMALLOC",
                 "FORCE_COLOR", "NO_COLOR", "PYTHON_COLORS", "PYTHONSTARTUP", "COLUMNS", "CI", "BUILD_NUMBER")
# "===== 3 passed, 1 failed in 0.12s =====", also "in 61.02s (0:01:01)"
_SUMMARY = re.compile(r"^=+ (?P<text>.*?) in \d+(?:\.\d+)?s(?: \(\d+:\d\d:\d\d\))? =+$", re.MULTILINE)


def _centre(text: str) -> str:
    """Centre *text* between '=' signs as pytest does in an 80-column terminal."""
    return f" {text} ".center(_WIDTH, "=")


def run_pytest(files: Mapping[str, str], *args: str, plugins: Iterable[str] = (),
               timeout: float = 60.0) -> ScriptResult:
    """Write *files* ({file name: text}) to a fresh temporary directory and run pytest there.

    :param args: more options for pytest, for example ``"-W", "error"``.
    :param plugins: pytest plugins to load, as for ``-p``: modules such as ``"anyio.pytest_plugin"``
        (a module path is the form every pytest version accepts).
    :param timeout: seconds after which pytest is killed (a safety net, not a test).
    """
    if not isinstance(files, Mapping) or not files:
        raise TypeError("files is a dict {file name: source text}, such as {'test_x.py': '...'}")
    for name, text in files.items():
        if not isinstance(name, str) or not isinstance(text, str):
            raise TypeError("files maps file names (str) to their text (str)")
        if pathlib.PurePath(name).is_absolute() or ".." in pathlib.PurePath(name).parts or not name:
            raise ValueError(f"file names are relative paths inside the temporary directory, got {name!r}")
    if isinstance(plugins, str):
        raise TypeError(f"plugins is a list of names, such as [{plugins!r}]")
    plugins = list(plugins)
    if not all(isinstance(arg, str) for arg in [*args, *plugins]):
        raise TypeError("pytest options and plugin names are strings, such as '-x' or 'anyio.pytest_plugin'")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")

    env = {key: value for key, value in os.environ.items()
           if key not in _UNSTABLE_ENV and not key.startswith("PYTEST_")}  # nothing of an outer pytest run
    env.update(PYTHON_COLORS="0", NO_COLOR="1", COLUMNS=str(_WIDTH), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
               PYTHONDONTWRITEBYTECODE="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(_BOOK), env.get("PYTHONPATH")])))
    command = [sys.executable, "-m", "pytest", "-v", "--no-header", "-p", "no:cacheprovider",
               "-o", "console_output_style=classic"]
    for plugin in plugins:
        command += ["-p", plugin]
    with tempfile.TemporaryDirectory(prefix="asyncbook-") as folder:
        for name, text in files.items():
            path = pathlib.Path(folder, name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        done = subprocess.run([*command, *args], cwd=folder, env=env, capture_output=True, text=True,
                              timeout=timeout)
        real = os.path.realpath(folder)
    prefixes = sorted({folder + os.sep, real + os.sep, folder, real}, key=len, reverse=True)

    def tidy(text: str) -> str:
        for prefix in prefixes:
            text = text.replace(prefix, "")
        return _SUMMARY.sub(lambda m: _centre(m["text"]), text)

    return ScriptResult(done.returncode, tidy(done.stdout), tidy(done.stderr))
