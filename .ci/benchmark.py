"""Time the book's build, its test suite and each notebook; print the figures, assert nothing.

    .venv/bin/python .ci/benchmark.py            # everything (a few minutes)
    .venv/bin/python .ci/benchmark.py --no-suite # skip the full test suite (the slowest part)
    .venv/bin/python .ci/benchmark.py --notebooks-twice  # also: the suite with every notebook twice

Prints, on the machine it runs on:
- clean build: README's build command (`jupyter-book build . -W`) into an empty folder;
- no-op rebuild: the same command again, nothing changed;
- full test suite: README's test command (`.venv/bin/python -m pytest`), with its summary line;
- for each notebook of _toc.yml, in a fresh kernel: the kernel's start-up time, the time to run
  all its cells, the waits it intends (`metadata.asyncbook.intended_wait_seconds`: the sleeps
  that really elapse, concurrent ones counted once), their ratio, and the budget
  1.3 x waits + start-up + 1 s that start-up + run should stay within.
- with --notebooks-twice: the full test suite on a temporary copy of the repository in which
  every chapter notebook exists twice (book/NN_name.ipynb and book/again/NN_name.ipynb), to see
  whether the suite's schedule still fits its target when the book has twice the chapters.
The targets (suite <= 60 s, clean build <= 30 s, no-op rebuild <= 5 s, each notebook within its
budget) are printed beside the figures for comparison; nothing here fails because of them.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import platform
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = pathlib.Path(sys.executable).parent
TARGETS = {"suite": 60.0, "clean build": 30.0, "no-op rebuild": 5.0}


def toc_notebooks() -> list[pathlib.Path]:
    """The notebooks among the pages of _toc.yml, in order (read as the tests read it)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import page_source, toc_files  # one reader of _toc.yml for tests and benchmark

    sources = (page_source(page) for page in toc_files())
    return [path for path in sources if path.suffix == ".ipynb"]


def timed(command: list[str], cwd: pathlib.Path) -> tuple[float, subprocess.CompletedProcess]:
    # The environment is passed on unchanged: NO_COLOR, say, would change the notebooks' outputs.
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    return time.perf_counter() - start, result


def against(seconds: float, target: float) -> str:
    return f"target <= {target:.0f} s: {'met' if seconds <= target else 'NOT met'}"


def bench_build() -> None:
    with tempfile.TemporaryDirectory(prefix="asyncbook-bench-") as out:
        command = [str(BIN / "jupyter-book"), "build", ".", "-W", "--path-output", out]
        clean, result = timed(command, ROOT)
        if result.returncode != 0:
            print(f"clean build            FAILED (exit {result.returncode}):\n{(result.stdout + result.stderr)[-3000:]}")
            return
        print(f"clean build            {clean:7.1f} s   ({against(clean, TARGETS['clean build'])})")
        noop, result = timed(command, ROOT)
        status = "" if result.returncode == 0 else f"  FAILED (exit {result.returncode})"
        print(f"no-op rebuild          {noop:7.1f} s   ({against(noop, TARGETS['no-op rebuild'])}){status}")


def bench_suite(root: pathlib.Path = ROOT, label: str = "full test suite") -> None:
    seconds, result = timed([str(BIN / "python"), "-m", "pytest"], root)
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    summary = lines[-1].strip("= ") if lines else "(no output)"
    print(f"{label:22} {seconds:7.1f} s   ({against(seconds, TARGETS['suite'])}); pytest: {summary}")
    for line in lines:
        if line.startswith(("FAILED ", "ERROR ")):
            print(f"  {line}")


def bench_suite_with_notebooks_twice() -> None:
    """The suite on a copy of the repository (as git sees it) with a second copy of every notebook."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout.split("\0")
    with tempfile.TemporaryDirectory(prefix="asyncbook-twice-") as folder:
        copy = pathlib.Path(folder) / "book-copy"
        for name in filter(None, listed):
            source = ROOT / name
            if source.is_file():
                (copy / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, copy / name)
        (copy / ".venv").symlink_to(BIN.parent)
        # The second copies go to book/again/ (with the helper package linked in, since a kernel
        # runs in its notebook's folder): nbval collects them there, while the build and the
        # checks of the table of contents, which look at book/ itself, are left unchanged.
        notebooks = sorted((copy / "book").glob("[0-9]*.ipynb"))
        again = copy / "book" / "again"
        again.mkdir()
        (again / "asyncbook").symlink_to(copy / "book" / "asyncbook")
        for path in notebooks:
            shutil.copy2(path, again / path.name)
        print(f"  (a copy of the repository with {2 * len(notebooks)} chapter notebooks instead of {len(notebooks)})")
        bench_suite(copy, "suite, notebooks x 2")


def bench_notebook(path: pathlib.Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    waits = nb.metadata.get("asyncbook", {}).get("intended_wait_seconds")
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    with client.setup_kernel():
        ready = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        done = time.perf_counter()
    startup, run = ready - start, done - ready
    name = path.relative_to(ROOT).as_posix()
    if not isinstance(waits, (int, float)) or isinstance(waits, bool) or waits < 0:
        print(f"{name:44} start-up {startup:5.2f} s  run {run:6.2f} s  intended waits: ?")
        print(f"  WARNING: {name} declares no metadata.asyncbook.intended_wait_seconds (a number of seconds)")
        return
    ratio = f"{run / waits:5.2f} x" if waits > 0 else "    - "
    budget = 1.3 * waits + startup + 1.0
    verdict = "within" if startup + run <= budget else "OVER"
    print(f"{name:44} start-up {startup:5.2f} s  run {run:6.2f} s  intended waits {waits:5.2f} s"
          f"  run/waits {ratio}  start-up+run {startup + run:6.2f} s vs budget {budget:6.2f} s: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-suite", action="store_true", help="do not time the full test suite")
    parser.add_argument("--notebooks-twice", action="store_true",
                        help="also time the suite with every chapter notebook collected twice")
    args = parser.parse_args()
    print(f"== benchmark on {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}")
    print("== build (README's build command, into a temporary folder)")
    bench_build()
    print("== notebooks, each in a fresh kernel (budget: 1.3 x intended waits + kernel start-up + 1 s)")
    notebooks = toc_notebooks()
    if not notebooks:
        print("  WARNING: no notebooks in _toc.yml")
    for path in notebooks:
        bench_notebook(path)
    if not args.no_suite:
        print("== full test suite (README's test command; it builds the book into _build/ again)")
        bench_suite()
    if args.notebooks_twice:
        print("== full test suite with every notebook twice (a temporary copy of the repository)")
        bench_suite_with_notebooks_twice()


if __name__ == "__main__":
    main()
