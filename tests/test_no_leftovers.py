"""Chapters that start servers and child processes must stop them all before they end.

A server still listening or a child still running after the last cell prints nothing, so
nbval's output check alone cannot see it. Each notebook of NOTEBOOKS therefore checks itself:
its first code cell takes a snapshot of what the kernel holds (asyncbook.leftovers), and its
last cell prints what the kernel holds beyond that once closing has settled, or the line
NOTHING_LEFT. That output is committed, so every nbval run of the notebook (in the suite and
on every Python of the matrix) fails if a server, socket or child process is left behind;
the check costs no second run of the notebook.

The tests here make sure each notebook keeps those two cells, and show that the same last
cell does report a notebook that leaves a server listening and a child running.
"""

from __future__ import annotations

import json
import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parent.parent

#: Notebooks that open sockets or start child processes (add later chapters that do).
NOTEBOOKS = [
    "book/10_streams_and_subprocesses.ipynb",
    "book/11_debugging_and_testing.ipynb",
]

NOTHING_LEFT = "nothing left open: no socket, no child process"
FIRST_CELL = "at_start = snapshot(os.getpid())"
LAST_CELL = f'print(await left_open(at_start) or "{NOTHING_LEFT}")'


def code_cells(path: pathlib.Path) -> list[dict]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [cell for cell in nb["cells"] if cell["cell_type"] == "code"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_checks_that_it_left_nothing_open(name: str) -> None:
    cells = code_cells(ROOT / name)
    first, last = "".join(cells[0]["source"]), "".join(cells[-1]["source"])
    assert FIRST_CELL in first, f"{name}: the first code cell must take the snapshot: {FIRST_CELL}"
    assert last.strip() == LAST_CELL, f"{name}: the last code cell must be: {LAST_CELL}"
    printed = "".join("".join(out.get("text", "")) for out in cells[-1]["outputs"])
    assert printed == NOTHING_LEFT + "\n", f"{name} ends with these still open (stop them in the notebook):\n{printed}"


def test_the_last_cell_reports_a_server_and_a_child_left_running() -> None:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(
            "import asyncio, os, sys\n"
            "from asyncbook.leftovers import left_open, snapshot\n"
            f"{FIRST_CELL}"),
        nbformat.v4.new_code_cell(
            "async def handler(reader, writer):\n"
            "    writer.close()\n"
            "server = await asyncio.start_server(handler, '127.0.0.1', 0)\n"
            "proc = await asyncio.create_subprocess_exec(sys.executable, '-c', 'import time; time.sleep(30)')"),
        nbformat.v4.new_code_cell(LAST_CELL.replace("await left_open(at_start)", "await left_open(at_start, settle=0.2)")),
        nbformat.v4.new_code_cell("proc.kill(); await proc.wait(); server.close(); await server.wait_closed()"),
    ])
    client = NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "book")}})
    client.execute()
    printed = "".join(out.get("text", "") for out in nb.cells[2].outputs)
    lines = [line for line in printed.strip("[]\n").split(", ")]
    assert any(line.startswith("'socket TCP 127.0.0.1:") and line.endswith(" LISTEN'") for line in lines), printed
    assert any(line.startswith("'child process ") for line in lines), printed
    assert NOTHING_LEFT not in printed
