"""Run the test command many times in a row and count, per test, how often it failed.

    .venv/bin/python .ci/repeat.py 10                          # README's test command, 10 times
    .venv/bin/python .ci/repeat.py 30 --busy-runs 10           # a core kept busy during runs 1-10
    .venv/bin/python .ci/repeat.py 20 -- tests/test_browser.py # one test file (any pytest arguments)

A test that fails one run in five passes most single runs: only repetition finds it. This runs
`.venv/bin/python -m pytest [arguments]` (the interpreter running this script) N times, one after
another, prints one line per run as it ends, and then every test that failed, errored or was
skipped in any run, with how many runs it did so in. The exit status is 0 only if every run
passed.

`--busy-runs K` keeps one core busy with a spinning process during the first K runs: a
contributor's laptop, or a CI machine, is rarely idle, and timing bugs show up under load.
Each run's JUnit XML report (pytest's `--junitxml`) is what the counts are read from; the
reports are kept in a temporary folder that is removed at the end.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import multiprocessing
import pathlib
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator

ROOT = pathlib.Path(__file__).resolve().parent.parent


def spin() -> None:
    """Keep one core busy until terminated."""
    while True:
        pass


@contextlib.contextmanager
def busy_core(on: bool) -> Iterator[None]:
    """A process spinning on one core for the duration of the block (if *on*)."""
    if not on:
        yield
        return
    spinner = multiprocessing.get_context("spawn").Process(target=spin, daemon=True)
    spinner.start()
    try:
        yield
    finally:
        spinner.terminate()
        spinner.join()


def outcomes(report: pathlib.Path) -> tuple[dict[str, str], dict[str, int]]:
    """Per test id, 'failed' / 'error' / 'skipped' for each test that did not pass; and counts."""
    bad: dict[str, str] = {}
    counts = collections.Counter()
    if not report.is_file():
        return {"(no report: pytest did not finish)": "error"}, counts
    for case in ET.parse(report).getroot().iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        for kind, label in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
            if case.find(kind) is not None:
                bad[name] = label
                counts[label] += 1
                break
        else:
            counts["passed"] += 1
    return bad, counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     usage="%(prog)s N [--busy-runs K] [-- pytest arguments]")
    parser.add_argument("runs", type=int, help="how many runs, one after another")
    parser.add_argument("--busy-runs", type=int, default=0, metavar="K",
                        help="keep one core busy during the first K runs")
    argv = sys.argv[1:]
    pytest_args = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    if args.runs < 1:
        parser.error(f"N must be at least 1, got {args.runs}")
    if not 0 <= args.busy_runs <= args.runs:
        parser.error(f"--busy-runs must be between 0 and N ({args.runs}), got {args.busy_runs}")

    command = [sys.executable, "-m", "pytest", *pytest_args]
    print(f"== {args.runs} runs of: {' '.join(command[2:])} (in {ROOT})"
          + (f"; one core kept busy during runs 1-{args.busy_runs}" if args.busy_runs else ""), flush=True)
    failures: collections.Counter[str] = collections.Counter()
    kinds: dict[str, set[str]] = collections.defaultdict(set)
    failed_runs = 0
    durations: list[float] = []
    with tempfile.TemporaryDirectory(prefix="asyncbook-repeat-") as folder:
        for run in range(1, args.runs + 1):
            report = pathlib.Path(folder) / f"run-{run}.xml"
            busy = run <= args.busy_runs
            with busy_core(busy):
                start = time.perf_counter()
                result = subprocess.run([*command, f"--junitxml={report}"], cwd=ROOT,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                seconds = time.perf_counter() - start
            durations.append(seconds)
            bad, counts = outcomes(report)
            for name, kind in bad.items():
                failures[name] += 1
                kinds[name].add(kind)
            ok = result.returncode == 0 and not bad
            failed_runs += not ok
            tally = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
            print(f"run {run:3}/{args.runs}: {'passed' if ok else 'FAILED'} in {seconds:5.1f} s"
                  f" ({tally or 'nothing ran'}; exit {result.returncode}){'  [core busy]' if busy else ''}",
                  flush=True)
            if not ok:
                tail = [line for line in result.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
                for line in (tail or result.stdout.splitlines()[-5:])[:10]:
                    print(f"    {line}")
    print(f"== {args.runs - failed_runs} of {args.runs} runs passed; {failed_runs} failed."
          f" Time per run: min {min(durations):.1f} s, max {max(durations):.1f} s.")
    if failures:
        print("== tests that did not pass, with the number of runs in which they did not:")
        for name, count in failures.most_common():
            print(f"{count:5} x  {name}  ({', '.join(sorted(kinds[name]))})")
    return 1 if failed_runs else 0


if __name__ == "__main__":
    sys.exit(main())
