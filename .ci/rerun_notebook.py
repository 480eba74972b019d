"""Re-run chapter notebooks top to bottom in a fresh kernel and save them with their outputs.

usage: .venv/bin/python .ci/rerun_notebook.py book/03_event_loop.ipynb [more.ipynb ...]

This is how a chapter's committed outputs are made; nbval then checks them on every test run.
Beyond `jupyter nbconvert --execute --inplace` it:
- runs the kernel in book/ (where `asyncbook` is importable), as Jupyter and nbval do;
- lets only cells tagged `raises-exception` fail;
- joins consecutive pieces of one stream (the kernel may split a cell's stdout anywhere,
  depending on timing), so the page shows one box per stream, the same on every run;
- collapses the code cells of solutions (between `{solution-start}` and `{solution-end}`)
  in JupyterLab, as the web pages fold them;
- keeps the notebook's metadata version-neutral (no interpreter version recorded).
"""

from __future__ import annotations

import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient


def collapse_solutions(nb: nbformat.NotebookNode) -> None:
    inside = False
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "{solution-start}" in cell.source:
            inside = True
        elif cell.cell_type == "markdown" and "{solution-end}" in cell.source:
            inside = False
        elif inside and cell.cell_type == "code":
            cell.metadata.setdefault("jupyter", {})["source_hidden"] = True


def join_streams(nb: nbformat.NotebookNode) -> None:
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        joined: list = []
        for output in cell.outputs:
            previous = joined[-1] if joined else None
            if (output.output_type == "stream" and previous is not None
                    and previous.output_type == "stream" and previous.name == output.name):
                previous.text += output.text
            else:
                joined.append(output)
        cell.outputs = joined


def rerun(path: pathlib.Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    collapse_solutions(nb)
    start = time.perf_counter()
    NotebookClient(nb, timeout=120, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.perf_counter() - start
    join_streams(nb)
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    failed = sum(any(o.output_type == "error" for o in c.outputs) for c in code)
    print(f"{path}: {len(code)} code cells ({failed} failing on purpose) in {elapsed:.1f} s")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for name in sys.argv[1:]:
        rerun(pathlib.Path(name))
