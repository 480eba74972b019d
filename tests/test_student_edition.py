"""The student edition of the site (`.ci/student_edition.py`): the book without its solutions.

What a solution says is taken from the notebooks themselves: everything between a
`{solution-start}` fence and its `{solution-end}` (the explanation, the code cells and their
outputs), cut into phrases that appear nowhere else in the book. The built student edition must
contain none of them, in its pages or its search index, and a search in headless Chromium for a
word only a solution uses must find nothing; the exercises and their self-check cells must still
be there, and every page must carry the student-edition banner.

Building the student edition costs a full Sphinx build (about as long as the readers' build), so
the checks of the built site run as their own step of `.ci/run`, not in the main test command:

    ASYNCBOOK_TEACHING=1 .venv/bin/python -m pytest -n 2 tests/test_student_edition.py tests/test_grading.py

Without ASYNCBOOK_TEACHING=1 only the checks of the phrase extraction run (fast, no build); the
others are not defined at all (rather than skipped: a skip fails the suite, see conftest.py).
"""

from __future__ import annotations

import asyncio
import functools
import html.parser
import http.server
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field

import pytest

from conftest import ROOT, lower_priority, page_source, toc_files

STUDENT_HTML = ROOT / "_build" / "student" / "html"
FULL_CHECKS = os.environ.get("ASYNCBOOK_TEACHING") == "1"

sys.path.insert(0, str(ROOT / ".ci"))
import student_edition  # noqa: E402 - the build script, for its banner text and output folder

_FENCE_START = re.compile(r"```\{solution-start\}[^\n]*\n(?::[^\n]*\n)*```[ \t]*\n?")
_FENCE_END = re.compile(r"```\{solution-end\}[^\n]*\n```")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Markdown markup and what Sphinx rewrites (quotes become curly, -- a dash, ... an ellipsis):
# a phrase of prose is a run of text between them, so it reads the same in the built page.
_MARKUP = re.compile(r"[`*\[\](){}<>|\\\"']|--|\.\.\.|^#+ |\n\s*[-:] ", re.M)
_WORD = re.compile(r"\w+")


def normalise(text: str) -> str:
    return " ".join(text.split())


@dataclass
class Book:
    """The book's text split into what its solutions say and everything else."""

    solutions: dict[str, list[str]] = field(default_factory=dict)  # label -> raw pieces of the solution
    rest: list[str] = field(default_factory=list)                  # every other piece of text
    starters: dict[str, str] = field(default_factory=dict)         # label -> its cells' code (before the solution)


def cell_outputs(cell: dict) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append("".join(output.get("text", "")))
        parts.append("".join(output.get("data", {}).get("text/plain", "")))
    return _ANSI.sub("", "\n".join(parts))


@functools.cache
def stem(word: str) -> str:
    """The word as Sphinx's English search index stores it."""
    from sphinx.search.en import SearchEnglish

    return SearchEnglish({}).stem(word)


@functools.cache
def read_book() -> Book:
    book = Book()
    for page in toc_files():
        path = page_source(page)
        if path.suffix == ".md":
            book.rest.append(path.read_text(encoding="utf-8"))
            continue
        label = None           # inside a solution: its exercise's label
        last_exercise = None   # the label of the last {exercise} seen, for its starter cell
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "code":
                target = book.solutions[label] if label else book.rest
                target.extend([source, cell_outputs(cell)])
                if not label and last_exercise:   # the exercise's own cells, before its solution
                    book.starters[last_exercise] = (book.starters.get(last_exercise, "") + "\n" + source).strip()
                continue
            # A markdown cell: alternate between solution and rest at each fence.
            position = 0
            while position <= len(source):
                fence = (_FENCE_END if label else _FENCE_START).search(source, position)
                piece = source[position:fence.start() if fence else len(source)]
                (book.solutions[label] if label else book.rest).append(piece)
                if not label:
                    found = re.findall(r":label: (\S+)", piece)
                    last_exercise = found[-1] if found else last_exercise
                if not fence:
                    break
                if label:
                    label = None
                    last_exercise = None
                else:
                    label = fence.group(0).split("}", 1)[1].split()[0]
                    book.solutions.setdefault(label, [])
                position = fence.end()
    return book


@functools.cache
def solution_phrases() -> dict[str, list[str]]:
    """Each solution's phrases (prose runs of 4+ words, code and output lines) found nowhere else."""
    book = read_book()
    rest = normalise("\n".join(book.rest))
    phrases: dict[str, list[str]] = {}
    for label, pieces in book.solutions.items():
        found: list[str] = []
        for piece in pieces:
            candidates = [normalise(run) for run in _MARKUP.split(piece) if len(run.split()) >= 4]
            candidates += [normalise(line) for line in piece.splitlines() if len(line.strip()) >= 12]
            found += [c for c in candidates if c and c not in rest and c not in found]
        phrases[label] = found
    return phrases


@functools.cache
def solution_only_words() -> set[str]:
    """Words (as Sphinx's search splits them) that only solutions use."""
    book = read_book()
    rest = {stem(w.lower()) for w in _WORD.findall("\n".join(book.rest))}
    words = {w.lower() for pieces in book.solutions.values() for w in _WORD.findall("\n".join(pieces))}
    return {w for w in words if stem(w) not in rest and len(w) >= 3 and not w[0].isdigit()}


# --- The phrase extraction (fast; always run) ------------------------------------------------

def test_every_solution_gives_prose_and_code_phrases() -> None:
    """Each solution yields phrases of its explanation and of its code, so a leak is noticed."""
    book = read_book()
    assert len(book.solutions) >= 20, f"only {len(book.solutions)} solutions found: is the fence pattern stale?"
    for label, phrases in solution_phrases().items():
        prose = [p for p in phrases if not re.search(r"[=():]", p)]
        code = [p for p in phrases if re.search(r"[=():]", p)]
        assert prose and code, f"{label}: no phrase found only in its {'explanation' if not prose else 'code'}"


def test_every_exercise_has_a_starter_cell_calling_check() -> None:
    starters = read_book().starters
    assert set(starters) >= set(solution_phrases()), "an exercise without a starter cell"
    for label, source in starters.items():
        assert "check(" in source, f"{label}: no cell of the exercise calls check(...)"


def test_some_words_are_used_only_by_solutions() -> None:
    assert len(solution_only_words()) >= 10, sorted(solution_only_words())


# --- The built student edition (ASYNCBOOK_TEACHING=1) ----------------------------------------

class _Text(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(path: pathlib.Path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return normalise("".join(parser.parts))


def search_terms(site: pathlib.Path) -> set[str]:
    text = (site / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(text[text.index("(") + 1:text.rindex(")")])
    # A term maps to a page number or a list of them; an empty list finds nothing.
    return {term for kind in ("terms", "titleterms") for term, pages in index[kind].items() if pages != []}


if FULL_CHECKS:

    @pytest.fixture(scope="module")
    def student_site() -> pathlib.Path:
        """The student edition, built once for this module at a lower priority (as the main build)."""
        result = subprocess.run([sys.executable, str(ROOT / ".ci" / "student_edition.py")], cwd=ROOT,
                                capture_output=True, text=True, timeout=600, preexec_fn=lower_priority,
                                env=dict(os.environ, NO_COLOR="1"))
        log = result.stdout + result.stderr
        assert result.returncode == 0 and "WARNING" not in log, f"the student edition failed to build:\n{log[-6000:]}"
        return STUDENT_HTML

    def test_no_solution_text_in_any_file(student_site: pathlib.Path) -> None:
        texts = {path: html_text(path) for path in student_site.rglob("*.html")}
        raw = {path: path.read_text(encoding="utf-8", errors="replace") for path in student_site.rglob("*")
               if path.is_file() and path.suffix in {".js", ".txt", ".ipynb", ".md", ".json"}}
        leaks = [f"{label}: {phrase!r} in {path.relative_to(student_site)}"
                 for label, phrases in solution_phrases().items() for phrase in phrases
                 for path, text in [*texts.items(), *((p, normalise(t)) for p, t in raw.items())]
                 if phrase in text]
        assert not leaks, "solution text in the student edition:\n" + "\n".join(leaks[:30])
        assert not list(student_site.rglob("*.ipynb")), "the notebooks (with solutions) are in the site"

    def test_no_solution_word_in_the_search_index(student_site: pathlib.Path) -> None:
        terms = search_terms(student_site)
        found = sorted(w for w in solution_only_words() if stem(w) in terms)
        assert not found, f"words only solutions use are in searchindex.js: {found}"

    def test_exercises_and_self_checks_are_still_there(student_site: pathlib.Path) -> None:
        pages = {page: (student_site / f"{page}.html").read_text(encoding="utf-8") for page in toc_files()}
        problems = []
        for label, starter in read_book().starters.items():
            where = [page for page, raw in pages.items() if f'id="{label}"' in raw]
            if len(where) != 1:
                problems.append(f"{label}: the exercise is on {len(where)} pages")
                continue
            text = html_text(student_site / f"{where[0]}.html")
            problems += [f"{label}: starter line {line!r} missing" for line in
                         (normalise(line) for line in starter.splitlines() if line.strip()) if line not in text]
        assert not problems, "\n".join(problems)

    def test_banner_on_every_page(student_site: pathlib.Path) -> None:
        # Every page a student reads: the book's pages, the search page and the index (not the
        # theme's template fragments in _static/, nor index.html, a redirect to book/index.html).
        pages = [student_site / f"{page}.html" for page in toc_files()] + [student_site / "search.html",
                                                                          student_site / "genindex.html"]
        without = [str(p.relative_to(student_site)) for p in pages
                   if 'class="bd-header-announcement' not in (raw := p.read_text(encoding="utf-8"))
                   or student_edition.BANNER not in raw]
        assert not without, f"pages without the student-edition banner: {without}"

    # The search in a browser: what a student typing a solution's word into the search box sees.

    @pytest.fixture(scope="module")
    def searches(student_site: pathlib.Path) -> dict[str, list[str]]:
        from playwright.async_api import async_playwright
        from test_browser import CHROMIUM_ARGS, QuietHandler, Visit, background_chromium, open_page, settle

        secret = sorted(solution_only_words(), key=lambda w: (-len(w), w))[0]
        queries = {"TaskGroup": "TaskGroup", "secret": secret}
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(student_site)))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        site = f"http://127.0.0.1:{server.server_address[1]}/"

        async def run() -> dict[str, list[str]]:
            found: dict[str, list[str]] = {}
            async with async_playwright() as playwright:
                with tempfile.TemporaryDirectory() as folder:
                    browser = await playwright.chromium.launch(executable_path=str(background_chromium(pathlib.Path(folder))),
                                                               args=CHROMIUM_ARGS, headless=True)
                    for key, query in queries.items():
                        visit = Visit(f"search.html?q={query}")
                        page = await open_page(browser, site, visit)
                        await page.goto(site + visit.path, wait_until="load")
                        # Sphinx's search says "Search finished, found N page(s)" or, for none,
                        # "Your search did not match any documents".
                        await page.wait_for_function(
                            "() => /Search finished|did not match any/.test("
                            "(document.querySelector('#search-results .search-summary') || {}).textContent || '')",
                            timeout=60_000)
                        links = page.locator("#search-results ul.search li > a")
                        found[key] = [await links.nth(i).get_attribute("href") for i in range(await links.count())]
                        found[key + " text"] = [await page.locator("#search-results").inner_text()]
                        await settle(visit)
                        found[key + " problems"] = visit.problems + visit.outside
                        await page.context.close()
                    await browser.close()
            found["secret word"] = [secret]
            return found

        try:
            return asyncio.run(run())
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)

    def test_search_finds_chapter_words(searches: dict[str, list[str]]) -> None:
        """The search works (so that finding nothing below means something)."""
        assert any("04_tasks" in href for href in searches["TaskGroup"]), searches["TaskGroup text"]
        assert not searches["TaskGroup problems"]

    def test_search_finds_nothing_for_a_word_only_a_solution_uses(searches: dict[str, list[str]]) -> None:
        assert searches["secret"] == [], (f"searching for {searches['secret word'][0]!r} found "
                                          f"{searches['secret']}: {searches['secret text']}")
        assert not searches["secret problems"]
