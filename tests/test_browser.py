"""The built book, as a reader's browser shows it.

Headless Chromium (Debian's `chromium` package, /usr/bin/chromium) is driven with Playwright
for Python; Playwright never downloads a browser of its own here (`playwright install` is not
run anywhere). The session's build, `_build/html`, is served over 127.0.0.1 by a server this
module starts and stops. One browser, launched once, loads every page of _toc.yml once, in two
tabs that each start in a fresh browser context (a first-time reader: empty storage) and then
go from page to page, and keeps what it saw for the tests below, which then only assert. Each
page must:

- load with no JavaScript console error, no uncaught exception, no failed request or HTTP
  error, and no request to anywhere but the local server (the book makes no external requests);
- show coloured task logs in colour: every span the ANSI lexer gives a foreground colour has
  a computed colour different from its output block's text colour, and a page whose notebook
  prints colour codes has such spans; no raw escape codes in the text (visible or folded);
- hide each exercise solution until its toggle is clicked, and show it after;
- load every image, each with alt text.

The search page must find TaskGroup and link to the chapter that teaches it, and a screenshot
of the top of one chapter page (three screens) is saved under _build/screenshots/ on every
run, for a person to look at.
"""

from __future__ import annotations

import asyncio
import functools
import http.server
import os
import pathlib
import re
import shlex
import stat
import tempfile
import threading
from dataclasses import dataclass, field

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from conftest import BACKGROUND_NICENESS, ROOT, source_facts, toc_files

CHROMIUM = pathlib.Path(os.environ.get("ASYNCBOOK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",                   # CI runs as root, in containers
    "--disable-gpu",
    "--disable-dev-shm-usage",        # containers have a small /dev/shm
    "--no-first-run",
    # Chromium's own background traffic (updates, sync, safe browsing) is not the book's:
    # off, so that every request the test sees comes from the page.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    # One renderer process per fresh context (the default) means a new process, and fresh memory,
    # for every page. On the 2-core virtual machines this runs on, that churn stalled unrelated
    # processes: a probe sleeping 0.1 s in a loop woke up to 0.23 s late while this test ran,
    # enough to push a notebook's timeline a step (conftest.py). Two renderers, reused (one per
    # page loaded at a time, PARALLEL_PAGES), brought the probe's worst case to 0.04 s and made
    # this test faster. (So does navigating in one tab rather than opening one per page: see
    # look_at_the_book.)
    "--renderer-process-limit=2",
    # Belt and braces: no host name resolves but the local server, even on a machine with
    # internet, so a page that reaches out fails here as it would for an offline reader.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
SCREENSHOT_DIR = ROOT / "_build" / "screenshots"

# Chapter 4 (book/04_tasks) teaches TaskGroup: the search for it must lead there.
TASKGROUP_PAGE = "book/04_tasks"

# A colour escape code left as text: the ESC character itself, or its visible remains such as
# "[31m" / "[1;32m" / "[0m" (but not a repr that spells the escape out, like '\x1b[0m').
RAW_ESCAPE = re.compile(r"\x1b|(?<!\\x1b)(?<!\\033)(?<!\\u001b)(?<!\\e)\[(?:\d{1,3};)*\d{1,3}m")

# Facts gathered in the page once it has loaded. A span of the ANSI lexer carries classes like
# "-Color -Color-Bold -Color-Bold-Red"; it has a foreground colour when its longest class names
# a colour that is not a background ("BG...") or a style (Bold, Faint).
PAGE_FACTS_JS = """() => {
  const article = document.querySelector('article') || document.querySelector('main') || document.body;
  const coloured = [];
  for (const span of article.querySelectorAll('span[class*="-Color"]')) {
    const longest = [...span.classList].filter(c => c.startsWith('-Color')).sort((a, b) => b.length - a.length)[0] || '';
    const parts = longest.split('-').slice(2);
    if (!parts.some(p => p && !p.startsWith('BG') && p !== 'Bold' && p !== 'Faint')) continue;
    const block = span.closest('pre') || span.parentElement;
    coloured.push({cls: longest, text: span.textContent.slice(0, 30),
                   colour: getComputedStyle(span).color, base: getComputedStyle(block).color});
  }
  const images = [...document.querySelectorAll('img')].map(img => ({
    src: img.getAttribute('src'), alt: (img.getAttribute('alt') || '').trim(),
    loaded: img.complete && img.naturalWidth > 0, inArticle: article.contains(img)}));
  return {coloured, images, visibleText: document.body.innerText, articleText: article.textContent,
          solutions: document.querySelectorAll('.solution').length};
}"""


PARALLEL_PAGES = 2   # tabs loading pages at once (one per core: rendering keeps a core busy)


# Bounds on waiting, not timing checks: on a loaded machine a page can take many seconds, and only
# a page that never gets there fails (a broken page fails at once, by its console error or request).
PAGE_TIMEOUT_MS = 60_000   # any one Playwright action or wait
SETTLE_TIMEOUT = 30.0      # seconds a page may keep requests in flight before that is a failure


@dataclass
class Visit:
    """What one page load showed."""

    path: str
    in_flight: set = field(default_factory=set, repr=False)  # requests sent, not yet finished or failed
    problems: list[str] = field(default_factory=list)      # console errors, failed requests
    outside: list[str] = field(default_factory=list)       # requests not to the local server
    facts: dict = field(default_factory=dict, repr=False)
    solutions: list[str] = field(default_factory=list)     # what went wrong with solution toggles
    text_after_unfolding: str = field(default="", repr=False)
    error: str = ""                                        # the visit itself failed (a timeout, ...)


@dataclass
class Search:
    """What the search for TaskGroup showed."""

    visit: Visit
    result_pages: list[str] = field(default_factory=list)  # result links, as pages without .html
    opened: str = ""                                       # URL reached by clicking the chapter's result
    opened_mentions_taskgroup: bool = False


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site(html_dir: pathlib.Path):
    """The built book served on 127.0.0.1 (a free port), for the duration of this module."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(html_dir)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@dataclass
class Tab:
    """A browser tab and the visit its events are recorded in (switched at each navigation)."""

    page: Page
    visit: Visit


async def open_tab(browser: Browser, site: str, visit: Visit) -> Tab:
    """A tab in a fresh context (empty storage: a first-time reader) that records what goes wrong."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    tab = Tab(await context.new_page(), visit)

    def on_console(message) -> None:
        if message.type == "error":
            tab.visit.problems.append(f"console error: {message.text} ({message.location.get('url', '')})")

    def on_request(request) -> None:
        tab.visit.in_flight.add(request)
        if not request.url.startswith(site) and not request.url.startswith("data:"):
            tab.visit.outside.append(request.url)

    def on_failed(request) -> None:
        tab.visit.in_flight.discard(request)
        tab.visit.problems.append(f"request failed: {request.url} ({request.failure})")

    def on_response(response) -> None:
        if response.status >= 400:
            tab.visit.problems.append(f"HTTP {response.status}: {response.url}")

    tab.page.on("console", on_console)
    tab.page.on("pageerror", lambda error: tab.visit.problems.append(f"uncaught exception: {error}"))
    tab.page.on("request", on_request)
    tab.page.on("requestfailed", on_failed)
    tab.page.on("requestfinished", lambda request: tab.visit.in_flight.discard(request))
    tab.page.on("response", on_response)
    return tab


async def open_page(browser: Browser, site: str, visit: Visit) -> Page:
    """A page in a fresh context that records what goes wrong in *visit* (see open_tab)."""
    return (await open_tab(browser, site, visit)).page


async def settle(visit: Visit) -> None:
    """Wait until no request of the page is in flight (nor starts within a short pause).

    Leaving a page, or closing its context, cancels the requests it still has in flight, and
    Chromium reports each as failed (net::ERR_ABORTED): a failure the test itself would cause.
    The search page, for one, fetches every result's page for its summary after it shows the
    results, and the browser asks for the favicon once a page has loaded. So the test lets the
    page finish first, and every failure it records is then the page's own: a 404, a refused
    connection, a request leaving 127.0.0.1. A request still in flight after SETTLE_TIMEOUT
    seconds is itself a problem of the page.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_TIMEOUT
    quiet_checks = 0
    while quiet_checks < 2:   # empty twice, 0.1 s apart: a request a timer was about to send is seen
        await asyncio.sleep(0.1)
        quiet_checks = quiet_checks + 1 if not visit.in_flight else 0
        if loop.time() > deadline:
            visit.problems.extend(f"request still in flight after {SETTLE_TIMEOUT:.0f} s: {request.url}"
                                  for request in visit.in_flight)
            return


async def check_solutions(page: Page, visit: Visit) -> None:
    """Each solution: folded (content hidden) at first, shown once its toggle is clicked."""
    solutions = page.locator(".solution")
    for i in range(await solutions.count()):
        solution = solutions.nth(i)
        name = await solution.get_attribute("id") or f"solution {i + 1}"
        content = solution.locator(":scope > :not(.admonition-title)")
        if await content.count() == 0:
            visit.solutions.append(f"{name}: has no content")
            continue
        if any([await content.nth(j).is_visible() for j in range(await content.count())]):
            visit.solutions.append(f"{name}: visible before its toggle was clicked")
            continue
        toggle = solution.locator(":scope > .admonition-title button.toggle-button")
        if await toggle.count() != 1:
            visit.solutions.append(f"{name}: no toggle button in its title")
            continue
        await toggle.click()
        try:
            await expect(content.first).to_be_visible(timeout=PAGE_TIMEOUT_MS)
        except AssertionError:
            visit.solutions.append(f"{name}: still hidden after its toggle was clicked")


async def visit_page(tab: Tab, site: str, page_name: str, screenshot: pathlib.Path | None) -> Visit:
    """Load *page_name* in *tab* and record what it showed; the tab stays open for the next page.

    The previous page of the tab has settled (no request in flight), so leaving it cancels
    nothing, and every event from here on belongs to this visit.
    """
    visit = Visit(f"{page_name}.html")
    tab.visit = visit
    try:
        # "load": the page and everything it links (scripts, styles, images, fonts) have arrived.
        # The book's scripts fetch nothing later; a late error would still be caught below,
        # while the page settles.
        await tab.page.goto(site + visit.path, wait_until="load")
        visit.facts = await tab.page.evaluate(PAGE_FACTS_JS)
        if screenshot is not None:
            # The top of the page, three screens high: a whole chapter (tens of thousands of
            # pixels) took seconds to capture, and a person looking at the theme needs less.
            await tab.page.screenshot(path=str(screenshot), full_page=True,
                                      clip={"x": 0, "y": 0, "width": 1280, "height": 2700})
        await check_solutions(tab.page, visit)
        visit.text_after_unfolding = await tab.page.evaluate("() => document.body.innerText")
        await settle(visit)
    except Exception as error:  # reported by every test of the page, not lost in a traceback
        visit.error = f"{type(error).__name__}: {error}"
    return visit


async def search_taskgroup(browser: Browser, site: str) -> Search:
    search = Search(Visit("search.html?q=TaskGroup"))
    page = await open_page(browser, site, search.visit)
    try:
        await page.goto(site + search.visit.path, wait_until="load")
        await page.wait_for_function(
            "() => (document.querySelector('#search-results') || {}).textContent?.includes('Search finished')")
        results = page.locator("#search-results ul.search li > a")
        hrefs = [await results.nth(i).get_attribute("href") or "" for i in range(await results.count())]
        search.result_pages = [re.sub(r"\.html([?#].*)?$", "", href) for href in hrefs]
        await settle(search.visit)   # the results' summaries are still being fetched: let them arrive
        if TASKGROUP_PAGE in search.result_pages:
            await results.nth(search.result_pages.index(TASKGROUP_PAGE)).click()
            await page.wait_for_url(re.compile(re.escape(f"/{TASKGROUP_PAGE}.html")))
            await settle(search.visit)
            search.opened = page.url
            search.opened_mentions_taskgroup = "TaskGroup" in await page.locator("article").inner_text()
    except Exception as error:
        search.visit.error = f"{type(error).__name__}: {error}"
    finally:
        await page.context.close()
    return search


def background_chromium(folder: pathlib.Path) -> pathlib.Path:
    """A launcher that starts CHROMIUM at a lower priority (conftest.py's BACKGROUND_NICENESS).

    Rendering keeps a core busy, and the notebooks' kernels, which may run beside this test,
    must get the CPU first when they wake up (see conftest.py). Chromium sets its threads'
    priorities itself (most to nice 0, some to -8), which undoes `nice` when it may: as root,
    which CI is, it holds CAP_SYS_NICE. A probe that sleeps 0.1 s in a loop then woke up to
    0.65 s late while this test ran, and the notebooks' timelines read steps late. So, as
    root, the launcher also takes that capability away (util-linux's setpriv) before starting
    the browser; without root, Chromium could not raise its priority anyway. Playwright starts
    the browser through this script; `exec` keeps the process (and Playwright's pipes) the same.
    """
    launcher = folder / "chromium-background"
    browser = shlex.quote(str(CHROMIUM))
    launcher.write_text(
        "#!/bin/sh\n"
        f"if [ \"$(id -u)\" = 0 ] && command -v setpriv >/dev/null 2>&1; then\n"
        f"    exec nice -n {BACKGROUND_NICENESS} setpriv --bounding-set -sys_nice --inh-caps -sys_nice -- {browser} \"$@\"\n"
        "fi\n"
        f"exec nice -n {BACKGROUND_NICENESS} {browser} \"$@\"\n")
    launcher.chmod(launcher.stat().st_mode | stat.S_IXUSR)
    return launcher


async def look_at_the_book(site: str, pages: list[str], screenshot_of: str) -> tuple[dict[str, Visit], Search]:
    """Visit every page and search, in one headless Debian Chromium.

    PARALLEL_PAGES tabs take the pages in turn; each tab starts in a fresh context (a
    first-time reader: empty storage and cache), then goes from page to page as a reader
    clicking through the book does. Opening a new tab for every page instead took 2.5 times as
    long here (21 s against 8.5 s for the page loads alone): each new tab needs fresh memory,
    and on the virtual machines this runs on, memory not touched for a while is slow to touch.
    """
    async with async_playwright() as playwright:
        with tempfile.TemporaryDirectory(prefix="asyncbook-chromium-") as folder:
            launcher = background_chromium(pathlib.Path(folder))
            browser = await playwright.chromium.launch(executable_path=str(launcher), args=CHROMIUM_ARGS, headless=True)
        try:
            waiting = iter(pages)   # shared by the tabs: each takes the next page when it is free
            visits: dict[str, Visit] = {}

            async def one_tab() -> None:
                tab: Tab | None = None
                for page_name in waiting:
                    if tab is None:
                        tab = await open_tab(browser, site, Visit(f"{page_name}.html"))
                    shot = screenshot_path(page_name) if page_name == screenshot_of else None
                    visits[page_name] = await visit_page(tab, site, page_name, shot)
                if tab is not None:
                    await tab.page.context.close()

            *_, search = await asyncio.gather(*(one_tab() for _ in range(PARALLEL_PAGES)),
                                              search_taskgroup(browser, site))
        finally:
            await browser.close()
    return {name: visits[name] for name in pages}, search


def first_chapter() -> str:
    pages = toc_files()
    return pages[1] if len(pages) > 1 else pages[0]


def screenshot_path(page_name: str) -> pathlib.Path:
    return SCREENSHOT_DIR / f"{pathlib.PurePosixPath(page_name).name}.png"


@pytest.fixture(scope="module")
def book_in_browser(site: str) -> tuple[dict[str, Visit], Search]:
    """Everything the browser showed, gathered once for all the tests below."""
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; bash .ci/run does it)")
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOT_DIR.glob("*.png"):   # the screenshot must be this run's
        old.unlink()
    return asyncio.run(look_at_the_book(site, toc_files(), first_chapter()))


@pytest.fixture()
def visit(toc_page: str, book_in_browser) -> Visit:
    visit = book_in_browser[0][toc_page]
    assert not visit.error, f"loading {visit.path} failed: {visit.error}"
    return visit


def test_page_loads_cleanly(visit: Visit) -> None:
    assert visit.problems == [], "\n".join(visit.problems)
    assert visit.outside == [], "the page makes requests outside the book:\n" + "\n".join(visit.outside)


def test_coloured_logs_are_in_colour(toc_page: str, visit: Visit) -> None:
    coloured = visit.facts["coloured"]
    if source_facts(toc_page).coloured_output:
        assert coloured, "the notebook prints colour codes but the page shows no coloured text"
    uncoloured = [span for span in coloured if span["colour"] == span["base"]]
    assert uncoloured == [], f"coloured spans shown in the plain text colour: {uncoloured[:5]}"


def test_no_raw_escape_codes_in_the_text(visit: Visit) -> None:
    for label, text in (("visible text", visit.facts["visibleText"]),
                        ("text with solutions unfolded", visit.text_after_unfolding),
                        ("article text, folded parts included", visit.facts["articleText"])):
        raw = [text[max(0, m.start() - 30):m.end() + 10] for m in RAW_ESCAPE.finditer(text)]
        assert raw == [], f"raw escape codes in the {label}: {raw[:5]}"


def test_solutions_are_hidden_until_their_toggle_is_clicked(toc_page: str, visit: Visit) -> None:
    expected = source_facts(toc_page).solutions
    assert visit.facts["solutions"] == expected, f"the notebook has {expected} solution(s), the page shows {visit.facts['solutions']}"
    assert visit.solutions == [], "\n".join(visit.solutions)


def test_images_load_and_have_alt_text(toc_page: str, visit: Visit) -> None:
    images = visit.facts["images"]
    expected = source_facts(toc_page).images
    in_article = [img for img in images if img["inArticle"]]
    assert len(in_article) >= expected, f"the source has {expected} image(s), the page shows {len(in_article)}"
    assert [img["src"] for img in images if not img["loaded"]] == [], "images that did not load"
    # Without alt text in the cell's metadata (mystnb.image.alt), Sphinx writes the file's path as
    # the alt: that is no description, so it counts as missing.
    no_alt = [img["src"] for img in images
              if not img["alt"] or img["alt"] == img["src"] or re.search(r"\.(png|jpe?g|gif|svg|webp)$", img["alt"], re.I)]
    assert no_alt == [], "images without alt text (give the cell mystnb: image: alt: ...)"


def test_search_finds_taskgroup_and_links_to_its_chapter(book_in_browser) -> None:
    assert TASKGROUP_PAGE in toc_files(), f"{TASKGROUP_PAGE}, the chapter that teaches TaskGroup, is not in _toc.yml yet"
    search = book_in_browser[1]
    assert not search.visit.error, f"the search page failed: {search.visit.error}"
    assert search.result_pages, "the search for TaskGroup found no page"
    assert TASKGROUP_PAGE in search.result_pages, f"the search for TaskGroup does not list {TASKGROUP_PAGE}.html: {search.result_pages}"
    assert search.opened.endswith(f"/{TASKGROUP_PAGE}.html"), f"clicking the result opened {search.opened!r}"
    assert search.opened_mentions_taskgroup, "the result's page does not mention TaskGroup"
    assert search.visit.problems == [] and search.visit.outside == [], "\n".join(search.visit.problems + search.visit.outside)


def test_a_chapter_screenshot_is_saved(book_in_browser, note) -> None:
    chapter = first_chapter()
    shot = screenshot_path(chapter)
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"no screenshot at {shot}"
    note("screenshot", [f"{chapter} as headless Chromium shows it: {shot.relative_to(ROOT)}"])
