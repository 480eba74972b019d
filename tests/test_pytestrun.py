"""run_pytest: a real pytest run in a temporary directory, with a report that is the same every time."""

from __future__ import annotations

import pytest

from asyncbook.pytestrun import run_pytest

SUITE = {
    "test_demo.py": (
        "import asyncio\n"
        "import pytest\n"
        "import asyncbook.virtualtime  # importable: run_pytest sets PYTHONPATH\n"
        "\n"
        "@pytest.fixture\n"
        "def anyio_backend():\n"
        "    return 'asyncio'\n"
        "\n"
        "@pytest.mark.anyio\n"
        "async def test_async():\n"
        "    await asyncio.sleep(0)\n"
        "\n"
        "def test_fails():\n"
        "    assert 1 == 2\n"
    ),
}


def test_report_is_deterministic_and_shows_each_test() -> None:
    first = run_pytest(SUITE, "--tb=line", plugins=["anyio.pytest_plugin"])
    second = run_pytest(SUITE, "--tb=line", plugins=["anyio.pytest_plugin"])
    assert first == second
    assert first.returncode == 1
    lines = first.stdout.splitlines()
    assert "test_demo.py::test_async PASSED" in lines
    assert "test_demo.py::test_fails FAILED" in lines
    assert lines[-1] == " 1 failed, 1 passed ".center(80, "=")
    assert "asyncbook-" not in first.stdout and "%]" not in first.stdout and "platform" not in first.stdout


def test_plugins_are_not_autoloaded() -> None:
    # Without AnyIO's plugin, no plugin runs the async test: pytest (>= 8.4) fails it.
    result = run_pytest(SUITE, "--tb=no", "-rN")
    assert "test_demo.py::test_async FAILED" in result.stdout.splitlines()


def test_bad_input() -> None:
    with pytest.raises(TypeError, match="dict"):
        run_pytest("test_x.py")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="dict"):
        run_pytest({})
    with pytest.raises(ValueError, match="relative"):
        run_pytest({"../escape.py": ""})
    with pytest.raises(ValueError, match="relative"):
        run_pytest({"/tmp/abs.py": ""})
    with pytest.raises(TypeError, match="list of names"):
        run_pytest(SUITE, plugins="anyio")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="strings"):
        run_pytest(SUITE, 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout"):
        run_pytest(SUITE, timeout=0)
