"""Every internal link and #anchor in the built book resolves.

The test walks every HTML page of `_build/html` (the session's build) and follows each
href/src that stays inside the site: the file must exist, and a #fragment must name an
id (or <a name>) in the target page. External links (http, https, mailto, ...) are not
fetched, because no machine that runs this suite has general internet access; they are
listed at the end of the run instead, so a person can look at them.
"""

from __future__ import annotations

import collections
import pathlib
import posixpath
import re
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

from conftest import toc_files

# Attributes that point at another resource, and the tags that carry them.
LINK_ATTRS = {"href": {"a", "area", "link"}, "src": {"img", "script", "iframe", "source", "video", "audio", "embed", "track"}}
EXTERNAL_SCHEMES = {"http", "https", "ftp", "mailto", "tel"}
NOT_LINKS = {"data", "javascript", "blob", "about"}   # nothing to resolve
VENDORED = "_static"   # the themes' own files: checked when linked to, not walked


class Page(HTMLParser):
    """The ids a page defines and the links it makes (with line numbers)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if tag == "a" and attributes.get("name"):
            self.ids.add(attributes["name"])
        for attr, tags in LINK_ATTRS.items():
            if tag in tags and attributes.get(attr) is not None:
                self.links.append((self.getpos()[0], attributes[attr]))
        if tag in {"img", "source"} and attributes.get("srcset"):
            for candidate in attributes["srcset"].split(","):
                if candidate.strip():
                    self.links.append((self.getpos()[0], candidate.split()[0]))
        if tag == "meta" and (attributes.get("http-equiv") or "").lower() == "refresh":
            match = re.search(r"url=(.+)$", attributes.get("content") or "", flags=re.I)
            if match:
                self.links.append((self.getpos()[0], match.group(1).strip("'\" ")))


def parse(path: pathlib.Path, cache: dict[pathlib.Path, Page]) -> Page:
    if path not in cache:
        page = Page()
        page.feed(path.read_text(encoding="utf-8", errors="replace"))
        cache[path] = page
    return cache[path]


def check_site(html: pathlib.Path) -> tuple[list[str], dict[str, set[str]], int]:
    """(broken internal links, external URL -> pages linking to it, number of internal links checked)."""
    cache: dict[pathlib.Path, Page] = {}
    broken: list[str] = []
    external: dict[str, set[str]] = collections.defaultdict(set)
    checked = 0
    pages = sorted(p for p in html.rglob("*.html") if p.relative_to(html).parts[0] != VENDORED)
    for path in pages:
        name = path.relative_to(html).as_posix()
        for line, url in parse(path, cache).links:
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            if scheme in NOT_LINKS:
                continue
            if scheme in EXTERNAL_SCHEMES or url.startswith("//") or scheme:
                external[url].add(name)
                continue
            checked += 1
            where = f"{name}:{line}: {url!r}"
            if parts.path:
                target_name = posixpath.normpath(posixpath.join(posixpath.dirname(name), unquote(parts.path)))
                if target_name.startswith(".."):
                    broken.append(f"{where} points outside the site")
                    continue
                target = html / target_name
                if target.is_dir() or parts.path.endswith("/"):
                    target = target / "index.html"
                if not target.is_file():
                    broken.append(f"{where}: no such file {target.relative_to(html).as_posix()}")
                    continue
            else:
                target = path
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html" and fragment not in parse(target, cache).ids:
                broken.append(f"{where}: no id {fragment!r} in {target.relative_to(html).as_posix()}")
    return broken, external, checked


def test_every_internal_link_and_anchor_resolves(html_dir: pathlib.Path, note) -> None:
    broken, external, checked = check_site(html_dir)
    note("external links (listed, not fetched: no internet here)", [
        f"{url}  <- {', '.join(sorted(pages))}" for url, pages in sorted(external.items())
    ] or ["none"])
    assert checked > 0, "no internal links found: is _build/html empty?"
    for page in toc_files():
        assert (html_dir / f"{page}.html").is_file(), f"{page}.html was not built"
    assert broken == [], f"{len(broken)} broken internal link(s):\n" + "\n".join(broken[:50])
