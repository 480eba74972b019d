"""Suite-wide rules and the shared book build.

A skipped or xfailed test is a failure here. The book promises that every check
runs. A test that silently skips (a missing tool, a wrong path) would turn the
suite green without checking anything, so any skip or xfail turns the whole run
red and is listed at the end.

The book is built once per run (the `build_log` fixture), into `_build/html`, exactly
as readers build it; test_build.py, test_links.py and test_browser.py all check that
one build, on the one xdist worker that runs them (see the scheduling notes below). Tests that take a
`toc_page` argument run once for each page of _toc.yml, in table-of-contents order.
"""

from __future__ import annotations

import fcntl
import json
import os
import pathlib
import re
import subprocess
import sys
from dataclasses import dataclass

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"

# Notes the tests leave for the end of the run (external links listed but not fetched, where
# the screenshot is), gathered from the test reports by heading.
_NOTE = "asyncbook-note"
_NOTES: dict[str, list[str]] = {}


def toc_files() -> list[str]:
    """The pages of _toc.yml (root, chapters, sections), in order, as paths without suffix."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key in ("root", "file"):
                if isinstance(node.get(key), str):
                    pages.append(re.sub(r"\.(md|ipynb)$", "", node[key]))
            for value in node.values():
                if isinstance(value, (list, dict)):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return pages


def page_source(page: str) -> pathlib.Path:
    """The source file of a _toc.yml page: its notebook or markdown file."""
    for suffix in (".ipynb", ".md"):
        path = ROOT / f"{page}{suffix}"
        if path.is_file():
            return path
    raise FileNotFoundError(f"{page} is in _toc.yml but neither {page}.ipynb nor {page}.md exists")


# A colour escape code as the notebooks print it: ESC [ ... 3x or 9x ... m (foreground colours).
_COLOUR_CODE = re.compile(r"\x1b\[(?:\d+;)*(?:3[0-7]|9[0-7])(?:;\d+)*m")


@dataclass(frozen=True)
class SourceFacts:
    """What the source of a page promises its HTML will show."""

    coloured_output: bool   # some output prints colour escape codes
    solutions: int          # number of {solution-start} (or {solution}) blocks
    images: int             # image outputs and markdown images


def source_facts(page: str) -> SourceFacts:
    path = page_source(page)
    if path.suffix == ".md":
        text = path.read_text(encoding="utf-8")
        images = len(re.findall(r"!\[[^\]]*\]\(|```\{(?:image|figure)\}", text))
        return SourceFacts(False, len(re.findall(r"\{solution(?:-start)?\}", text)), images)
    nb = json.loads(path.read_text(encoding="utf-8"))
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    coloured = False
    images = len(re.findall(r"!\[[^\]]*\]\(|```\{(?:image|figure)\}", markdown))
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            text = "".join(output.get("text", "")) + "".join(output.get("data", {}).get("text/plain", ""))
            coloured = coloured or bool(_COLOUR_CODE.search(text))
            images += any(kind.startswith("image/") for kind in output.get("data", {}))
    return SourceFacts(coloured, len(re.findall(r"\{solution(?:-start)?\}", markdown)), images)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "toc_page" in metafunc.fixturenames:
        metafunc.parametrize("toc_page", toc_files())


@pytest.fixture(scope="session")
def root() -> pathlib.Path:
    """The repository's top-level folder."""
    return ROOT


def _build() -> tuple[int, str]:
    jupyter_book = pathlib.Path(sys.executable).with_name("jupyter-book")
    env = dict(os.environ, NO_COLOR="1")
    result = subprocess.run(
        [str(jupyter_book), "build", ".", "-W", "--keep-going", "--all"],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=600,
        preexec_fn=lower_priority,   # background work: the notebooks' kernels come first
    )
    return result.returncode, result.stdout + result.stderr


@pytest.fixture(scope="session")
def build_log(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Build the book once for the whole run, as readers do; return the build's output.

    `--all` re-reads every page, because Sphinx repeats a page's warnings only when it re-reads it.
    The suite runs on several xdist workers (pyproject.toml); the first one to need the build makes
    it, under a lock, and the other reads its result, so _build/ is written once and by one.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        returncode, log = _build()
    else:
        shared = tmp_path_factory.getbasetemp().parent   # the same folder for every worker of this run
        with open(shared / "book-build.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            done = shared / "book-build.json"
            if done.exists():
                returncode, log = json.loads(done.read_text(encoding="utf-8"))
            else:
                returncode, log = _build()
                done.write_text(json.dumps([returncode, log]), encoding="utf-8")
    assert returncode == 0, f"the book build failed:\n{log[-6000:]}"
    return log


@pytest.fixture(scope="session")
def html_dir(build_log: str) -> pathlib.Path:
    """The built site, `_build/html`, once the session's build has succeeded."""
    return HTML


@pytest.fixture()
def note(request: pytest.FixtureRequest):
    """note(heading, lines): lines to print at the end of the run, under heading (not assertions).

    They travel with the test's report, so they reach the end of the run from an xdist worker too.
    """
    def add(heading: str, lines: list[str]) -> None:
        request.node.user_properties.append((_NOTE, (heading, list(lines))))

    return add


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for name, value in report.user_properties:
        if name == _NOTE:
            heading, lines = value
            _NOTES[heading] = lines


# How the suite spreads over its xdist workers (pyproject.toml sets -n and --dist loadfile).
#
# Units of work: the three files that check the built book (build, links, browser) form one
# unit, run in that order on one worker, since they share one build and one browser; every
# notebook is a unit of its own; every other test file is a unit. A worker asks for its next
# unit when it is nearly done with the last one, so the units are queued longest first: the
# built book, then the notebooks (most intended waits first), then the unit tests. Notebooks
# mostly wait (their sleeps are the lesson), so several run side by side at little CPU cost.
#
# What must not happen is a notebook's quantised timeline reading a step late because the CPU
# was busy elsewhere (see asyncbook/timeline.py). Everything else therefore runs at a lower
# priority (`nice`, BACKGROUND_NICENESS): the book build and Chromium, which keep a core busy,
# and the unit tests (see pytest_runtest_setup). When a notebook's task wakes up, the kernel
# scheduler gives it a core first.
BUILT_BOOK_FILES = ("tests/test_build.py", "tests/test_links.py", "tests/test_browser.py")
BUILT_BOOK_UNIT = "built-book"
BACKGROUND_NICENESS = 10


def lower_priority() -> None:
    """Give the calling process less CPU than the notebooks' kernels (for subprocess preexec_fn)."""
    os.nice(BACKGROUND_NICENESS)


def work_unit(nodeid: str) -> str:
    """The unit of work a test belongs to: the built-book unit, or its file."""
    path = nodeid.split("::", 1)[0]
    return BUILT_BOOK_UNIT if path in BUILT_BOOK_FILES else path


def _intended_waits(path: pathlib.Path) -> float:
    try:
        waits = json.loads(path.read_text(encoding="utf-8"))["metadata"]["asyncbook"]["intended_wait_seconds"]
        return float(waits)
    except (OSError, ValueError, KeyError, TypeError):
        return 0.0


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Queue the units longest first (see above); within a unit, tests keep their order.

    Every worker collects and sorts the same way, so xdist sees one order. Under -n 0 the same
    order holds: the built book first, then the notebooks, then the unit tests.
    """
    def rank(item: pytest.Item) -> tuple:
        unit = work_unit(item.nodeid)
        if unit == BUILT_BOOK_UNIT:
            return (0, BUILT_BOOK_FILES.index(item.nodeid.split("::", 1)[0]), 0.0, "")
        if unit.endswith(".ipynb"):
            return (1, 0, -_intended_waits(ROOT / unit), unit)
        return (2, 0, 0.0, unit)

    items.sort(key=rank)   # stable: the order inside each unit is the collection order


_lowered = False


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A worker that reaches the unit tests lowers its own priority for the rest of the run.

    Units are queued notebooks before unit tests, so by the time any worker takes a unit-test
    file, every notebook has been handed out: the priority of a process that will still run a
    notebook is never lowered. (The built-book worker is not lowered as a whole: its tests start
    the build and Chromium at a lower priority, and it may take a notebook next.)
    """
    global _lowered
    unit = work_unit(item.nodeid)
    if not _lowered and unit != BUILT_BOOK_UNIT and not unit.endswith(".ipynb"):
        lower_priority()
        _lowered = True


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """With `--dist loadfile` (pyproject.toml), hand out the work units above in the order above."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    config.option.loadscopereorder = False   # keep our order, not "most tests first"

    class BookScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return BookScheduling(config, log)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    for heading, lines in _NOTES.items():
        terminalreporter.section(heading, sep="-")
        for line in lines:
            terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    not_run = reporter.stats.get("skipped", []) + reporter.stats.get("xfailed", [])
    if not_run and session.exitstatus == 0:
        reporter.write_line(f"FAILED: {len(not_run)} test(s) skipped or xfailed; every check must run.", red=True)
        for report in not_run:
            reporter.write_line(f"  not run: {report.nodeid}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
