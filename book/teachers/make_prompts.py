"""Fill the "predict the output" blocks of the teacher's guide from the committed notebooks.

Why a script: the answers must be the notebooks' real outputs, copied, never retyped. Each guide
page has a block between `<!-- prompts:start -->` and `<!-- prompts:end -->`; PROMPTS names each
prompt's cell by a piece of its source, so the block survives cells being added or moved.
Run from the repository root after a chapter changes: `python book/teachers/make_prompts.py`.
"""

from __future__ import annotations

import json
import pathlib
import re

BOOK = pathlib.Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# chapter -> (notebook, [(a piece of the cell's source, which match if several: 0 = first)])
PROMPTS = {
    1: ("01_four_kinds_of_function.ipynb", [("gen = generator()\ncoro = async_function()", 0), ("def never_yields():", 0),
                                             ("await coro", 1), ("sleeper = asyncio.sleep(0.01)", 0), ('total = await price_of("apple") + 1', 0)]),
    2: ("02_coroutines_by_hand.ipynb", [("import asyncio", 0), ("two awaits, one send", 0), ('coro = two_steps()\nprint("run() returned', 0),
                                        ("acc = running_total()\nacc.send(5)", 0), ("await 3", 0)]),
    3: ("03_event_loop.ipynb", [("async def worker(name, *naps):", 0), ("fut.set_result(\"ready\")", 0),
                                ("tl.block(", 0), ("coro = main()", 0)]),
    4: ("04_tasks.ipynb", [("background = set()", 0), ("results = await asyncio.gather(", 0),
                           ("tl = Timeline()\ntry:\n    async with asyncio.timeout(", 0),
                           ("async def stubborn(", 0)]),
    5: ("05_async_iteration.ipynb", [('it = AsyncWrapper("hi").__aiter__()', 0), ("class Suspending(AsyncWrapper):", 0),
                                     ("squares = (i * i async for i in numbers(3))", 0), ("async for potato in Potato.make(2):", 0)]),
    6: ("06_async_classes.ipynb", [("class Player:", 0), ("await countdown", 0), ("class Profile:", 0),
                                   ("from collections.abc import Awaitable", 0)]),
    7: ("07_async_with.ipynb", [("await game()", 0), ("async def first_even_by_hand_wrong", 0), ("class Table:", 0),
                                ("async def opened(", 0), ("with GameContext() as ctx:", 0)]),
    # Chapters 8-12: prompts in the order of the chapter's sections.
    8: ("08_coordination.ipynb", [("async def sell_locked(", 0), ("async def settle():", 0), ("sem = asyncio.BoundedSemaphore(2)", 0),
                                  ("tickets = asyncio.PriorityQueue()", 0), ("DONE = None", 0)]),
    9: ("09_threads_and_processes.ipynb", [("finished = threading.Event()", 0), ("import re", 0), ("BackgroundLoop", 0)]),
    10: ("10_streams_and_subprocesses.ipynb", [("readexactly", 0), ("async def naive(reader, writer):", 0), ("PIPE = asyncio.subprocess.PIPE", 0)]),
    11: ("11_debugging_and_testing.ipynb", [("import gc", 0), ("async def child():", 0), ("from asyncbook.virtualtime import run_virtual", 0)]),
    12: ("12_trio_and_anyio.ipynb", [("drive():", 0), ("async def job(tl, name, seconds, fail=False):", 0), ("async def greet(name):", 0)]),
}


def output_text(cell: dict) -> str:
    """What the reader sees below the cell: streams, values, and an error's last line."""
    parts = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            parts.append("".join(out["text"]))
        elif out["output_type"] in ("execute_result", "display_data"):
            parts.append("".join(out["data"].get("text/plain", "")) + "\n")
        elif out["output_type"] == "error":
            parts.append(f"{out['ename']}: {out['evalue']}\n")
    return ANSI.sub("", "".join(parts)).rstrip("\n") or "(no output)"


def find_cell(cells: list[dict], piece: str, which: int) -> tuple[str, dict]:
    """The matching code cell and the heading of the section it is in."""
    heading, hits = "", []
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            heads = [line.lstrip("#").strip() for line in source.splitlines() if line.startswith("#")]
            heading = heads[-1] if heads else heading
        elif piece in source:
            hits.append((heading, cell))
    if not hits:
        raise ValueError(f"no code cell contains {piece!r}: update PROMPTS in {__file__}")
    return hits[which]


def block(chapter: int, notebook: pathlib.Path, specs: list[tuple[str, int]]) -> str:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    lines = []
    for number, (piece, which) in enumerate(specs, 1):
        heading, cell = find_cell(cells, piece, which)
        text = output_text(cell)
        if "/tmp/" in text or "0x" in text:
            raise ValueError(f"machine-dependent output in prompt {piece!r}: pick another cell")
        heading = heading.replace("`", "")
        lines += [f"**Prompt {chapter}.{number}** (section *{heading}*). What does this cell print?", "",
                  "```python", "".join(cell["source"]).rstrip(), "```", "",
                  "````{dropdown} Answer", "```text", text, "```", "````", ""]
    return "\n".join(lines)


def main(chapters: dict = PROMPTS, notebook_dir: pathlib.Path = BOOK) -> None:
    for chapter, (name, specs) in chapters.items():
        if not (notebook_dir / name).exists():
            print(f"skipped chapter {chapter}: {notebook_dir / name} not found")
            continue
        page = BOOK / "teachers" / f"ch{chapter:02d}.md"
        text = page.read_text(encoding="utf-8")
        start, end = "<!-- prompts:start -->\n", "<!-- prompts:end -->"
        head, rest = text.split(start, 1)
        tail = rest.split(end, 1)[1]
        page.write_text(head + start + block(chapter, notebook_dir / name, specs) + end + tail, encoding="utf-8")


if __name__ == "__main__":
    main()
