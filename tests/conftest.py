"""Suite-wide rules: a skipped or xfailed test is a failure here.

The book promises that every check runs. A test that silently skips (a missing
tool, a wrong path) would turn the suite green without checking anything, so
any skip or xfail turns the whole run red and is listed at the end.
"""

from __future__ import annotations

import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def root() -> pathlib.Path:
    """The repository's top-level folder."""
    return ROOT


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
