"""An anonymous visitor's crawl of the public site, and the private values it must never meet.

``crawl()`` walks same-site ``<a href>`` links breadth first with the Django test client (no
JavaScript, no forms), following redirects as links, so pages added later are covered as soon as
something links to them. ``private_values()`` reads, before the crawl, every value the public must
never see; the test then looks for each of them in every page the crawl fetched.
"""

from __future__ import annotations

import html
import re
import traceback
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

# Never fetched: assets, admin, and the POST-only language switch. Signing in and up is public
# and stays in (a 5xx there matters too).
SKIPPED_PREFIXES = (
    "/static/",
    "/media/",
    "/admin/",
    "/django-admin/",
    "/i18n/",
    "/stripe/",
)
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/rss", "image/svg")
# A listing with filters and pages could fill the whole budget with one path: a few variants of
# the same path (different query strings) are enough to show that its rendering works.
MAX_VARIANTS_PER_PATH = 6


@dataclass
class Fetched:
    url: str
    status: int
    content_type: str = ""
    text: str = ""
    location: str = ""
    error: str = ""
    found_on: str = ""


@dataclass
class CrawlResult:
    pages: dict[str, Fetched] = field(default_factory=dict)
    skipped_over_cap: int = 0

    def with_status(self, predicate) -> list[Fetched]:
        return [page for page in self.pages.values() if predicate(page.status)]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        href = attributes.get("href")
        if not href:
            return
        if tag == "a" or (tag == "link" and attributes.get("rel") in ("alternate", "next", "prev")):
            self.hrefs.append(href)


def _local(url: str, base: str) -> str | None:
    """``url`` as a same-site path with its query, or None when it is elsewhere or not a page."""
    url = urldefrag(urljoin(base, url.strip()))[0]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "") or parts.netloc not in ("", "testserver"):
        return None
    path = parts.path or "/"
    if path.startswith(SKIPPED_PREFIXES):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def links_in(text: str, base: str) -> list[str]:
    parser = _Links()
    parser.feed(text)
    found = [_local(href, base) for href in parser.hrefs]
    if "<urlset" in text:  # sitemap.xml: every live Wagtail page in every language
        found += [_local(loc, base) for loc in re.findall(r"<loc>([^<]+)</loc>", text)]
    return [url for url in found if url]


def crawl(client, starts: list[str], *, cap: int = 600) -> CrawlResult:
    result = CrawlResult()
    queue: deque[tuple[str, str]] = deque((url, "(start)") for url in starts)
    queued = set(starts)
    variants: Counter[str] = Counter()
    while queue:
        url, found_on = queue.popleft()
        if len(result.pages) >= cap:
            result.skipped_over_cap = len(queue) + 1
            break
        fetched = _fetch(client, url, found_on)
        result.pages[url] = fetched
        targets = [fetched.location] if fetched.location else []
        if fetched.text and fetched.content_type.startswith(("text/html", "application/xml")):
            targets += links_in(fetched.text, url)
        for target in targets:
            target = _local(target, url) if target else None
            if not target or target in queued:
                continue
            path = urlsplit(target).path
            if "?" in target and variants[path] >= MAX_VARIANTS_PER_PATH:
                continue
            variants[path] += 1
            queued.add(target)
            queue.append((target, url))
    return result


def _fetch(client, url: str, found_on: str) -> Fetched:
    try:
        response = client.get(url)
    except Exception:  # noqa: BLE001 - the crawl reports every failing page, not just the first
        return Fetched(url, 500, error=traceback.format_exc(limit=-6), found_on=found_on)
    content_type = response.get("Content-Type", "")
    text = ""
    if content_type.startswith(TEXT_TYPES):
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode(response.charset or "utf-8", errors="replace")
    return Fetched(
        url,
        response.status_code,
        content_type=content_type,
        text=text,
        location=response.get("Location", "") if 300 <= response.status_code < 400 else "",
        found_on=found_on,
    )


def leaks(
    result: CrawlResult, private: dict[str, set[str]], *, whole: tuple[str, ...] = ()
) -> list[str]:
    """One line per (page, kind of value, value) found: the value raw or HTML-escaped.

    Kinds in ``whole`` (titles) count only as a whole text, not inside a longer one: a private
    "社区垃圾分类积分兑换" is not leaked by a public "桃花桥社区垃圾分类积分兑换".
    """
    needles = []
    for kind, values in private.items():
        for value in values:
            forms = {value, html.escape(value), html.escape(value, quote=False)}
            whole_only = None
            if kind in whole:
                alternatives = "|".join(re.escape(form) for form in sorted(forms))
                whole_only = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
            needles.append((kind, value, forms, whole_only))
    found = []
    for page in result.pages.values():
        text = page.text + page.location
        if not text:
            continue
        # Search results wrap the words found in <mark>: look at the text without tags too.
        text += "\n" + re.sub(r"<[^>]+>", "", text)
        for kind, value, forms, whole_only in needles:
            # The plain substring test is fast; the regex only runs on a hit.
            if any(form in text for form in forms) and (
                whole_only is None or whole_only.search(text)
            ):
                found.append(f"{page.url}: {kind} {value!r}")
    return found
