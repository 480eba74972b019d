"""Start a new chapter from the templates in .ci/templates/.

usage: .venv/bin/python .ci/new_chapter.py NUMBER SLUG "Title" [--new-part "Caption"]
  e.g. .venv/bin/python .ci/new_chapter.py 13 my_topic "My topic"

It creates, with NUMBER written as two digits (13) and SLUG as given (my_topic):
- book/13_my_topic.ipynb            the chapter: every required part, with placeholders;
- book/asyncbook/exercises/ch13.py  its checker module, with one example checker;
- tests/test_exercises_ch13.py      the checker's tests;
and adds `book/13_my_topic` to _toc.yml, after the highest-numbered chapter below 13 (in that
chapter's part), or, with --new-part, in a new numbered part at the end of the book.

The new chapter passes the whole suite as it is (its outputs were made by the template's code),
except the check that no `TEMPLATE:` placeholder is left: replace each one, then re-run the
chapter (README.md, "Contributing a chapter", says how).

It refuses, and changes nothing, when the number is not 1-99, the slug is not lower-case
words joined by `_`, or the chapter's number or one of its files already exists.

Maintainers: after editing .ci/templates/chapter.ipynb, remake its outputs with
  .venv/bin/python .ci/new_chapter.py --refresh-template
(it runs the template as chapter 99 in a scratch copy of book/, then writes it back).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import pathlib
import re
import shutil
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
TEMPLATES = pathlib.Path(__file__).resolve().parent / "templates"
TOKEN = "chNN"                  # written as ch13 in the new chapter
TITLE = "Chapter title"         # replaced by the chapter's title
NUMBER_WORDS = "chapter NN"     # in the checker and test modules' docstrings
SLUG = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


class Refused(Exception):
    """The command cannot do what was asked; the message says what to do instead."""


def chapter_files(root: pathlib.Path, number: int, slug: str) -> dict[str, pathlib.Path]:
    nn = f"{number:02d}"
    return {
        "notebook": root / "book" / f"{nn}_{slug}.ipynb",
        "checker": root / "book" / "asyncbook" / "exercises" / f"ch{nn}.py",
        "tests": root / "tests" / f"test_exercises_ch{nn}.py",
    }


def substitute(text: str, number: int, title: str) -> str:
    nn = f"{number:02d}"
    return text.replace(TOKEN, f"ch{nn}").replace(TITLE, title).replace(NUMBER_WORDS, f"chapter {number}")


def _substitute_json(value: object, number: int, title: str) -> object:
    if isinstance(value, str):
        return substitute(value, number, title)
    if isinstance(value, list):
        return [_substitute_json(v, number, title) for v in value]
    if isinstance(value, dict):
        return {k: _substitute_json(v, number, title) for k, v in value.items()}
    return value


def render_notebook(number: int, title: str) -> str:
    nb = json.loads((TEMPLATES / "chapter.ipynb").read_text(encoding="utf-8"))
    nb["cells"] = _substitute_json(nb["cells"], number, title)
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def toc_chapters(toc_text: str) -> list[tuple[int, str]]:
    """(number, line) of each `- file: book/NN_...` line of _toc.yml, in order."""
    found = []
    for line in toc_text.splitlines():
        match = re.match(r"\s*- file: book/(\d\d)_\w+\s*$", line)
        if match:
            found.append((int(match.group(1)), line))
    return found


def add_to_toc(toc_text: str, number: int, slug: str, new_part: str | None) -> str:
    entry = f"book/{number:02d}_{slug}"
    chapters = toc_chapters(toc_text)
    if new_part is not None:
        if chapters and number < max(n for n, _ in chapters):
            raise Refused(f"--new-part adds a part at the end of the book, but chapter {number} would come before "
                          f"chapter {max(n for n, _ in chapters)}: pick a higher number or leave out --new-part.")
        text = toc_text.rstrip("\n") + "\n"
        return text + f"  - caption: {new_part}\n    numbered: true\n    chapters:\n      - file: {entry}\n"
    lines = toc_text.splitlines(keepends=True)
    below = [line for n, line in chapters if n < number]
    if below:
        anchor = lines.index(next(l for l in lines if l.rstrip("\n") == below[-1])) + 1
        indent = re.match(r"\s*", below[-1]).group(0)
    elif chapters:
        anchor = lines.index(next(l for l in lines if l.rstrip("\n") == chapters[0][1]))
        indent = re.match(r"\s*", chapters[0][1]).group(0)
    else:
        raise Refused("_toc.yml lists no chapter `- file: book/NN_name` to put the new one next to: "
                      "use --new-part \"Caption\".")
    lines.insert(anchor, f"{indent}- file: {entry}\n")
    return "".join(lines)


def create(root: pathlib.Path, number: int, slug: str, title: str, new_part: str | None = None) -> dict[str, pathlib.Path]:
    """Create the chapter's three files and its _toc.yml entry; return the files' paths."""
    if not 1 <= number <= 99:
        raise Refused(f"the chapter number must be 1 to 99 (it is written as two digits), got {number}.")
    if not SLUG.match(slug) or len(slug) > 40:
        raise Refused(f"the slug {slug!r} must be lower-case words joined by underscores, at most 40 characters, "
                      "e.g. my_topic (it becomes the file name book/NN_my_topic.ipynb).")
    if not title.strip() or any(ch in title for ch in '\n\r\\"') or title != title.strip():
        raise Refused(f"the title {title!r} must be one line of text without quotes or backslashes, e.g. \"My topic\".")
    if new_part is not None and (not new_part.strip() or re.search(r"[\n:#'\"]", new_part)):
        raise Refused(f"the part caption {new_part!r} must be one line without : # or quotes.")
    nn = f"{number:02d}"
    taken = sorted((root / "book").glob(f"{nn}_*.ipynb"))
    files = chapter_files(root, number, slug)
    existing = [p for p in (*taken, *files.values()) if p.exists()]
    if existing:
        used = {int(p.name[:2]) for p in (root / "book").glob("[0-9][0-9]_*.ipynb")}
        free = max(used, default=0) + 1
        raise Refused(f"chapter {nn} already exists ({', '.join(str(p.relative_to(root)) for p in dict.fromkeys(existing))}): "
                      f"pick another number (the next free one is {free}), or edit the existing chapter.")
    toc_path = root / "_toc.yml"
    toc = add_to_toc(toc_path.read_text(encoding="utf-8"), number, slug, new_part)
    files["notebook"].write_text(render_notebook(number, title), encoding="utf-8")
    for key, template in (("checker", "chNN.py"), ("tests", "test_exercises_chNN.py")):
        text = (TEMPLATES / template).read_text(encoding="utf-8")
        files[key].write_text(substitute(text, number, title), encoding="utf-8")
    toc_path.write_text(toc, encoding="utf-8")
    return files


def next_steps(root: pathlib.Path, number: int, files: dict[str, pathlib.Path]) -> str:
    rel = {k: str(p.relative_to(root)) for k, p in files.items()}
    lines = ["Created:", *(f"  {p}" for p in rel.values()), f"  and its entry in _toc.yml ({rel['notebook'][:-6]})", ""]
    for neighbour in sorted((root / "book").glob("[0-9][0-9]_*.ipynb")):
        if neighbour == files["notebook"]:
            continue
        text = neighbour.read_text(encoding="utf-8")
        if int(neighbour.name[:2]) < number and re.search(r"last chapter|closes the book", text, re.IGNORECASE):
            lines.append(f"Chapter {neighbour.name[:2]} ({neighbour.relative_to(root)}) says it is the last chapter: "
                         "update its text.")
    numbers = [n for n, _ in toc_chapters((root / "_toc.yml").read_text(encoding="utf-8"))]
    if number in numbers and numbers.index(number) + 1 != number:
        lines.append(f"Note: the book numbers chapters by their place in _toc.yml, so the pages will call this one "
                     f"chapter {numbers.index(number) + 1} (Exercise {numbers.index(number) + 1}.1, ...), while its "
                     f"files and check ids say {number:02d}: right only once the chapters before it exist.")
    lines += [
        "Next (README.md, \"Contributing a chapter\"):",
        "  1. replace every TEMPLATE: placeholder in the three files, in JupyterLab for the notebook;",
        f"  2. .venv/bin/python .ci/rerun_notebook.py {rel['notebook']}",
        f"  3. .venv/bin/python -m pytest -n 0 {rel['notebook']} tests/test_notebooks.py {rel['tests']}",
        "  4. .venv/bin/jupyter-book build . -W --keep-going   and read _build/html/"
        f"{rel['notebook'][:-6]}.html",
    ]
    return "\n".join(lines)


def refresh_template() -> None:
    """Re-run the template notebook as chapter 99 in a scratch copy of book/, and save its outputs."""
    spec = importlib.util.spec_from_file_location("rerun_notebook", ROOT / ".ci" / "rerun_notebook.py")
    rerun_notebook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rerun_notebook)
    with tempfile.TemporaryDirectory() as scratch:
        book = pathlib.Path(scratch) / "book"
        shutil.copytree(ROOT / "book" / "asyncbook", book / "asyncbook",
                        ignore=shutil.ignore_patterns("__pycache__"))
        for child in (book / "asyncbook" / "exercises").glob("ch99.py"):
            child.unlink()
        checker = substitute((TEMPLATES / "chNN.py").read_text(encoding="utf-8"), 99, TITLE)
        (book / "asyncbook" / "exercises" / "ch99.py").write_text(checker, encoding="utf-8")
        notebook = book / "99_template.ipynb"
        notebook.write_text(render_notebook(99, TITLE), encoding="utf-8")
        rerun_notebook.rerun(notebook)
        nb = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        for key in ("source", "outputs"):
            if key in cell:
                cell[key] = json.loads(json.dumps(cell[key], ensure_ascii=False).replace("ch99", TOKEN))
    (TEMPLATES / "chapter.ipynb").write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{TEMPLATES / 'chapter.ipynb'}: outputs remade")


def main(argv: list[str] | None = None, root: pathlib.Path = ROOT) -> int:
    parser = argparse.ArgumentParser(prog=".ci/new_chapter.py", description=__doc__.split("\n\n")[0],
                                     epilog='e.g. .venv/bin/python .ci/new_chapter.py 13 my_topic "My topic"')
    parser.add_argument("number", nargs="?", help="chapter number, 1-99 (written as two digits)")
    parser.add_argument("slug", nargs="?", help="file-name words joined by _, e.g. my_topic")
    parser.add_argument("title", nargs="?", help='the chapter\'s title, e.g. "My topic"')
    parser.add_argument("--new-part", metavar="CAPTION", help="put the chapter in a new part at the end of _toc.yml")
    parser.add_argument("--refresh-template", action="store_true", help="remake the template notebook's outputs")
    args = parser.parse_args(argv)
    if args.refresh_template:
        refresh_template()
        return 0
    if args.title is None:
        parser.error('give NUMBER SLUG "Title", e.g. 13 my_topic "My topic"')
    try:
        if not re.fullmatch(r"\d{1,2}", args.number):
            raise Refused(f"the chapter number must be a whole number from 1 to 99, got {args.number!r}.")
        number = int(args.number)
        files = create(root, number, args.slug, args.title, args.new_part)
    except Refused as refused:
        print(f"new_chapter: refused, nothing changed: {refused}", file=sys.stderr)
        return 2
    print(next_steps(root, number, files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
