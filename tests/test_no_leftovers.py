"""Chapters that start servers and child processes must stop them all before they end.

nbval proves each output; it cannot see a server still listening or a child still running
after the last cell, because neither prints anything. So each notebook of NOTEBOOKS runs here
once more, top to bottom, in a fresh kernel; the kernel process's open sockets and child
processes are listed (from /proc, by asyncbook.leftovers) before the first cell and after the
last, and anything new is a failure, named in the message (for example
"socket TCP 127.0.0.1:40123 LISTEN", or "child process 4321: python3 (state S)").

The last test shows that this check can fail: a two-cell notebook that leaves a server
listening and a child running is caught.
"""

from __future__ import annotations

import pathlib
import time

import nbformat
import pytest
from nbclient import NotebookClient

from asyncbook.leftovers import leftovers, snapshot

ROOT = pathlib.Path(__file__).resolve().parent.parent

#: Notebooks that open sockets or start child processes (add later chapters that do).
NOTEBOOKS = [
    "book/10_streams_and_subprocesses.ipynb",
    "book/11_debugging_and_testing.ipynb",
]

SETTLE_SECONDS = 2.0  # closing is asynchronous: give what was closed this long to disappear


def leftovers_after_running(nb: nbformat.NotebookNode, folder: pathlib.Path) -> list[str]:
    """Run every cell of *nb* in a fresh kernel (in *folder*); return what the kernel still holds.

    Cells tagged raises-exception may fail (nbclient lets them); any other error fails the run.
    """
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}})
    with client.setup_kernel():
        pid = client.km.provisioner.pid
        before = snapshot(pid)
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        deadline = time.monotonic() + SETTLE_SECONDS
        while (found := leftovers(before, snapshot(pid))) and time.monotonic() < deadline:
            time.sleep(0.05)
    return found


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_leaves_nothing_open(name: str) -> None:
    path = ROOT / name
    found = leftovers_after_running(nbformat.read(path, as_version=4), path.parent)
    assert found == [], f"{name} ends with these still open (stop them in the notebook):\n" + "\n".join(found)


def test_a_notebook_that_leaves_a_server_and_a_child_is_caught() -> None:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(
            "import asyncio, sys\n"
            "async def handler(reader, writer):\n"
            "    writer.close()\n"
            "server = await asyncio.start_server(handler, '127.0.0.1', 0)"),
        nbformat.v4.new_code_cell(
            "proc = await asyncio.create_subprocess_exec(sys.executable, '-c', 'import time; time.sleep(30)')"),
    ])
    found = leftovers_after_running(nb, ROOT / "book")
    assert [line for line in found if line.startswith("socket TCP 127.0.0.1:") and line.endswith(" LISTEN")], found
    assert [line for line in found if line.startswith("child process ")], found
