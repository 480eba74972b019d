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
import shutil
import signal
import subprocess
import sys
import tempfile
import time
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


_BUILD_COMMAND = [str(pathlib.Path(sys.executable).with_name("jupyter-book")), "build", ".", "-W", "--keep-going", "--all"]
_BUILD_RESULT = "ASYNCBOOK_BUILD_RESULT"   # environment: where the early build writes [returncode, log]

# Runs the build and writes its exit status and output as JSON, all at once (a rename), so that
# a reader of the file sees either nothing or the whole result.
_BUILD_RUNNER = """
import json, os, subprocess, sys
result_path, command = sys.argv[1], sys.argv[2:]
os.nice(int(os.environ.get("ASYNCBOOK_NICENESS", "0")))
done = subprocess.run(command, capture_output=True, text=True, timeout=600)
with open(result_path + ".part", "w", encoding="utf-8") as out:
    json.dump([done.returncode, done.stdout + done.stderr], out)
os.replace(result_path + ".part", result_path)
"""
_early_build: dict = {}


def _selects_built_book(config: pytest.Config) -> bool:
    """Whether this run's arguments include the checks of the built book (all of tests/, say)."""
    if config.option.collectonly:
        return False
    wanted = [ROOT / name for name in BUILT_BOOK_FILES]
    for arg in config.args:
        path = pathlib.Path(config.invocation_params.dir, arg.split("::", 1)[0]).resolve()
        if any(path == file or path in file.parents for file in wanted):
            return True
    return False


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Start the book build at once, in the background, if this run checks the built book.

    The build is on the suite's longest path (build, then links, then browser, on one worker),
    and workers take seconds to start and collect: started here, by the process that starts
    them, it is done or nearly done when the first check needs it. The workers (started after
    this hook, so they inherit the environment variable) find its result in a file.
    """
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    if _NOTEBOOKS_DONE not in os.environ:
        os.environ[_NOTEBOOKS_DONE] = tempfile.mkdtemp(prefix="asyncbook-notebooks-")
        _early_build["marks"] = os.environ[_NOTEBOOKS_DONE]
    if _BUILD_RESULT in os.environ or not _selects_built_book(session.config):
        return
    folder = pathlib.Path(tempfile.mkdtemp(prefix="asyncbook-build-"))
    result = folder / "book-build.json"
    env = dict(os.environ, NO_COLOR="1", ASYNCBOOK_NICENESS=str(BACKGROUND_NICENESS))
    process = subprocess.Popen([sys.executable, "-c", _BUILD_RUNNER, str(result), *_BUILD_COMMAND],
                               cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                               start_new_session=True)   # its own process group: stopped as one
    _early_build.update(process=process, folder=folder)
    os.environ[_BUILD_RESULT] = str(result)


def _wait_for_early_build(result: pathlib.Path) -> tuple[int, str]:
    deadline = time.monotonic() + 660
    while not result.exists():
        if time.monotonic() > deadline:
            return 1, f"the book build did not finish within 11 minutes (no {result})"
        process = _early_build.get("process")
        if process is not None and process.poll() is not None and not result.exists():
            return 1, f"the book build stopped without a result (exit {process.returncode})"
        time.sleep(0.2)
    returncode, log = json.loads(result.read_text(encoding="utf-8"))
    return returncode, log


def _build() -> tuple[int, str]:
    env = dict(os.environ, NO_COLOR="1")
    result = subprocess.run(
        _BUILD_COMMAND, cwd=ROOT, capture_output=True, text=True, env=env, timeout=600,
        preexec_fn=lower_priority,   # background work: the notebooks' kernels come first
    )
    return result.returncode, result.stdout + result.stderr


@pytest.fixture(scope="session")
def build_log(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Build the book once for the whole run, as readers do; return the build's output.

    `--all` re-reads every page, because Sphinx repeats a page's warnings only when it re-reads it.
    Normally the build was started at the beginning of the run (pytest_sessionstart) and this
    waits for its result. Otherwise (a worker started by other means) the first worker to need
    the build makes it, under a lock, and the others read its result, so _build/ is written once.
    """
    if _BUILD_RESULT in os.environ:
        returncode, log = _wait_for_early_build(pathlib.Path(os.environ[_BUILD_RESULT]))
    elif not os.environ.get("PYTEST_XDIST_WORKER"):
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
# Units of work: every notebook is a unit of its own; the three files that check the built book
# (build, links, browser) form one unit, run in that order on one worker, since they share one
# build and one browser; every other test file is a unit. Two phases:
#
# 1. The notebooks, side by side on every worker, most intended waits first, and nothing else
#    (pytest_runtest_setup holds the other tests back until every notebook is done). They
#    mostly wait, so running them together costs little CPU; but a quantised timeline must not
#    read a step late (see asyncbook/timeline.py), and with the build, Chromium or the unit tests
#    beside them, this 2-core virtual machine delayed wake-ups by up to 0.47 s.
# 2. The built book and the unit tests, at a lower priority (`nice`, BACKGROUND_NICENESS).
#
# The book build is the exception that starts at once: pytest_sessionstart runs it in the
# background, at the lower priority (it disturbed no wake-up by more than 2 ms in a probe), so
# it is ready when phase 2 begins.
BUILT_BOOK_FILES = ("tests/test_build.py", "tests/test_links.py", "tests/test_browser.py")
BUILT_BOOK_UNIT = "built-book"
BACKGROUND_NICENESS = 10
NOTEBOOK_PHASE_LIMIT = 600   # seconds a worker waits for the other workers' notebooks, at most


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
    """Queue the notebooks first (longest first), then the built book, then the unit tests.

    Within a unit, tests keep their order. Every worker collects and sorts the same way, so
    xdist sees one order; under -n 0 the same order holds.
    """
    def rank(item: pytest.Item) -> tuple:
        unit = work_unit(item.nodeid)
        if unit.endswith(".ipynb"):
            return (0, 0, -_intended_waits(ROOT / unit), unit)
        if unit == BUILT_BOOK_UNIT:
            return (1, BUILT_BOOK_FILES.index(item.nodeid.split("::", 1)[0]), 0.0, "")
        return (2, 0, 0.0, unit)

    items.sort(key=rank)   # stable: the order inside each unit is the collection order


_NOTEBOOKS_DONE = "ASYNCBOOK_NOTEBOOKS_DONE"   # environment: the folder of "this notebook is done" marks
_worker: dict = {"unit": None, "waited": False, "lowered": False}


class NotebookPhase:
    """The hooks of the notebook phase, as a plugin: a conftest's item hooks reach only the tests
    in its own folder (tests/), and these must see the notebooks' cells (book/) too."""

    @staticmethod
    def pytest_runtest_setup(item: pytest.Item) -> None:
        _enter_unit(item)

    @staticmethod
    def pytest_runtest_call(item: pytest.Item) -> None:
        _kernel_started()

    @staticmethod
    def pytest_runtest_teardown(item: pytest.Item) -> None:
        _kernel_started()   # also when the kernel failed to start (no call then)


def _starting_a_kernel() -> None:
    """Take the run's kernel-start lock: one notebook kernel starts at a time, across workers.

    jupyter_client gives a new kernel five free TCP ports by asking the system for them and
    releasing them; the kernel binds them a moment later. Kernels started at the same instant
    by several workers can be handed the same port, and one dies ("Kernel died before replying
    to kernel_info"; seen once, on a heavily loaded machine). Starting them one after another
    (the lock is held from the notebook's first setup until its first cell runs, about 0.7 s)
    closes that window.
    """
    folder = os.environ.get(_NOTEBOOKS_DONE)
    if folder and "lock" not in _worker:
        lock = open(pathlib.Path(folder).with_name(pathlib.Path(folder).name + ".kernel-start.lock"), "w")
        fcntl.flock(lock, fcntl.LOCK_EX)
        _worker["lock"] = lock


def _kernel_started() -> None:
    lock = _worker.pop("lock", None)
    if lock is not None:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("asyncbook-notebook-phase"):
        config.pluginmanager.register(NotebookPhase(), "asyncbook-notebook-phase")


def _mark_notebook_done(unit: str | None) -> None:
    folder = os.environ.get(_NOTEBOOKS_DONE)
    if folder and unit and unit.endswith(".ipynb"):
        (pathlib.Path(folder) / unit.replace("/", "__")).touch()


def _wait_for_every_notebook(session: pytest.Session) -> None:
    """Return once every notebook of this run has finished, on whichever worker it ran."""
    folder = os.environ.get(_NOTEBOOKS_DONE)
    if not folder:
        return
    expected = {unit.replace("/", "__") for unit in map(work_unit, (i.nodeid for i in session.items))
                if unit.endswith(".ipynb")}
    deadline = time.monotonic() + NOTEBOOK_PHASE_LIMIT
    while not expected <= {path.name for path in pathlib.Path(folder).iterdir()}:
        if time.monotonic() > deadline:
            return   # a worker died mid-notebook: its failure is reported; carry on
        time.sleep(0.1)


def _enter_unit(item: pytest.Item) -> None:
    """Before a worker's first test that is not a notebook cell: wait until every notebook is done.

    The notebooks run first, side by side, and alone. Each of them mostly waits, but with the
    book build, Chromium or the unit tests beside them (process starts, page renders, pools),
    this 2-core virtual machine let a process that slept 0.1 s wake up as much as 0.47 s late,
    and quantised timelines read steps late; the notebooks alone: 0.011 s at worst. So a worker
    that is done with notebooks waits here until the others are too (each worker marks a
    notebook done when it moves on from it, or ends). After that it lowers its own priority for
    the rest of the run (nothing timing-sensitive is left).
    """
    unit = work_unit(item.nodeid)
    if unit != _worker["unit"]:
        _mark_notebook_done(_worker["unit"])
        _worker["unit"] = unit
        if unit.endswith(".ipynb"):
            _starting_a_kernel()
    if unit.endswith(".ipynb"):
        return
    if not _worker["waited"]:
        _worker["waited"] = True
        _wait_for_every_notebook(item.session)
    if not _worker["lowered"]:
        _worker["lowered"] = True
        lower_priority()


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
    _mark_notebook_done(_worker["unit"])   # a worker's last unit
    if "marks" in _early_build:
        marks = _early_build.pop("marks")
        shutil.rmtree(marks, ignore_errors=True)
        pathlib.Path(marks + ".kernel-start.lock").unlink(missing_ok=True)
        os.environ.pop(_NOTEBOOKS_DONE, None)
    process = _early_build.get("process")
    if process is not None:   # the early build, if the run ended before it did (or to reap it)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)   # the runner and the build it started
        process.wait()
        shutil.rmtree(_early_build["folder"], ignore_errors=True)
        os.environ.pop(_BUILD_RESULT, None)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    not_run = reporter.stats.get("skipped", []) + reporter.stats.get("xfailed", [])
    if not_run and session.exitstatus == 0:
        reporter.write_line(f"FAILED: {len(not_run)} test(s) skipped or xfailed; every check must run.", red=True)
        for report in not_run:
            reporter.write_line(f"  not run: {report.nodeid}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
