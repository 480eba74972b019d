"""Run a small Python program as a *script*, from a notebook, and capture what it prints.

Some things only happen in a fresh interpreter: ``asyncio.run`` works in a script but
not in a notebook cell (the kernel's event loop is already running there), and
``asyncio.get_event_loop()`` warns (3.12, 3.13) only when no event loop is running or set
yet. To show them, a
chapter writes the program to ``script.py`` in a new temporary directory (never into
the book's folder), runs it with the same Python as the kernel (``sys.executable``),
and prints the real output.

The script can ``import asyncbook``, as the notebook can: the folder that holds the
package is put in front of ``PYTHONPATH``, so a script can use the book's helpers
(``asyncbook.potatoes``, ``asyncbook.timeline``...) without copying them.

Outputs are made reproducible: the temporary directory's path is replaced by nothing
(messages name plain ``script.py``), and environment variables that change warnings
or colours (``PYTHONWARNINGS``, ``PYTHONDEVMODE``, ``PYTHONASYNCIODEBUG``,
``FORCE_COLOR``...) are removed, so that only the arguments you pass decide.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tempfile
from dataclasses import dataclass

__all__ = ["ScriptResult", "run_script"]

# Variables that would make the child print differently from one machine to the next.
_UNSTABLE_ENV = ("PYTHONWARNINGS", "PYTHONDEVMODE", "PYTHONASYNCIODEBUG", "PYTHONTRACEMALLOC",
                 "FORCE_COLOR", "NO_COLOR", "PYTHON_COLORS", "PYTHONSTARTUP")


@dataclass(frozen=True)
class ScriptResult:
    """What a script did: its exit status and everything it printed."""

    returncode: int
    stdout: str
    stderr: str

    def show(self) -> None:
        """Print stdout, then stderr (if any) after a marker line, then a non-zero exit status."""
        print(self.stdout, end="")
        if self.stderr:
            print("--- stderr ---")
            print(self.stderr, end="")
        if self.returncode:
            print(f"--- exit status {self.returncode} ---")


def run_script(source: str, *python_args: str, timeout: float = 60.0) -> ScriptResult:
    """Save *source* as ``script.py`` in a fresh temporary directory and run it there.

    :param python_args: options for the interpreter, placed before the script's name,
        for example ``"-W", "default"`` to show every warning.
    :param timeout: seconds after which the script is killed (a safety net, not a test).
    """
    if not isinstance(source, str):
        raise TypeError(f"source is the program's text as a str, got {type(source).__name__}")
    if not all(isinstance(arg, str) for arg in python_args):
        raise TypeError("python_args are strings such as '-W', 'default'")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    env = {key: value for key, value in os.environ.items() if key not in _UNSTABLE_ENV}
    env["PYTHON_COLORS"] = "0"  # 3.13+ colours tracebacks when asked to; keep them plain
    book = str(pathlib.Path(__file__).resolve().parent.parent)  # the folder holding asyncbook/
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [book, env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory(prefix="asyncbook-") as folder:
        script = pathlib.Path(folder, "script.py")
        script.write_text(source, encoding="utf-8")
        done = subprocess.run([sys.executable, *python_args, script.name], cwd=folder, env=env,
                              capture_output=True, text=True, timeout=timeout)
        real = os.path.realpath(folder)
    prefixes = sorted({folder + os.sep, real + os.sep}, key=len, reverse=True)

    def tidy(text: str) -> str:
        for prefix in prefixes:
            text = text.replace(prefix, "")
        return text

    return ScriptResult(done.returncode, tidy(done.stdout), tidy(done.stderr))
