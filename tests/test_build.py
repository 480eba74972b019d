"""The book builds from scratch with warnings as errors, and contains just the pages in _toc.yml.

This is the build readers get: `jupyter-book build . -W --keep-going --all` from the top level,
run once per session by the `build_log` fixture in conftest.py (test_links.py and
test_browser.py check the same build).
"""

from __future__ import annotations

import re

from conftest import HTML, ROOT, toc_files


def test_build_has_no_warnings(build_log: str) -> None:
    warnings = [line for line in build_log.splitlines() if re.search(r"\bWARNING\b", line)]
    assert warnings == []


def test_every_toc_page_is_built(build_log: str) -> None:
    for page in toc_files():
        assert (HTML / f"{page}.html").is_file(), f"{page} is in _toc.yml but was not built"


def test_only_toc_pages_are_built(build_log: str) -> None:
    built = {str(p.relative_to(HTML).with_suffix("")) for p in HTML.rglob("*.html") if p.parts[len(HTML.parts)] != "_static"}
    extra = built - set(toc_files()) - {"index", "genindex", "search"}
    assert extra == set(), f"pages not in _toc.yml were built: {sorted(extra)}"


def test_every_chapter_notebook_is_in_the_toc() -> None:
    notebooks = {str(p.relative_to(ROOT).with_suffix("")) for p in (ROOT / "book").glob("*.ipynb")}
    assert notebooks and notebooks <= set(toc_files())


def test_solutions_are_folded_in_the_html(build_log: str) -> None:
    page = (HTML / "book" / "01_four_kinds_of_function.html").read_text(encoding="utf-8")
    solutions = re.findall(r'<div class="[^"]*solution[^"]*"', page)
    assert solutions, "no solution admonitions in chapter 1"
    assert all("dropdown" in s for s in solutions), solutions


def test_colour_codes_are_rendered_not_printed(build_log: str) -> None:
    page = (HTML / "book" / "01_four_kinds_of_function.html").read_text(encoding="utf-8")
    assert "\x1b[" not in page and "[31m" not in page
    # myst-nb's myst-ansi lexer turns each escape code into a span with -Color classes.
    assert re.search(r'<span class="[^"]*-Color-[A-Za-z-]*Red">✘</span>', page), "no red ✘ in chapter 1"
    assert re.search(r'<span class="[^"]*-Color-[A-Za-z-]*Green">✔</span>', page), "no green ✔ in chapter 1"
