"""Feeds, sitemaps and robots.txt in the dialects real outlets serve.

Built with ElementTree so every document is well-formed; the dialects differ on purpose (RSS 2.0
with dc:creator, Atom, sitemaps with and without lastmod, Google News sitemaps, sitemap indexes)
because discovery must read dates from each of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from xml.etree import ElementTree as ET

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "dc": "http://purl.org/dc/elements/1.1/",
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
    "image": "http://www.google.com/schemas/sitemap-image/1.1",
}
for _prefix, _uri in NS.items():
    ET.register_namespace("" if _prefix == "sm" else _prefix, _uri)


def _q(prefix: str, tag: str) -> str:
    return f"{{{NS[prefix]}}}{tag}"


@dataclass(frozen=True)
class Entry:
    """One discoverable URL with the metadata feeds and sitemaps carry about it."""

    url: str
    title: str
    published: datetime | None
    language: str
    summary: str = ""
    author: str = ""
    modified: datetime | None = None  # a later edit at the same URL

    @property
    def updated(self) -> datetime | None:
        return self.modified or self.published


def _serialise(root: ET.Element) -> bytes:
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def rss(*, title: str, link: str, self_url: str, language: str, entries: Sequence[Entry]) -> bytes:
    root = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(root, "channel")
    ET.SubElement(channel, "title").text = title
    ET.SubElement(channel, "link").text = link
    ET.SubElement(channel, "description").text = f"{title}: latest stories"
    ET.SubElement(channel, "language").text = language
    ET.SubElement(
        channel,
        _q("atom", "link"),
        {"href": self_url, "rel": "self", "type": "application/rss+xml"},
    )
    dated = [e.published for e in entries if e.published]
    if dated:
        ET.SubElement(channel, "lastBuildDate").text = format_datetime(max(dated))
    ET.SubElement(channel, "ttl").text = "15"
    for entry in entries:
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = entry.title
        ET.SubElement(item, "link").text = entry.url
        ET.SubElement(item, "guid", {"isPermaLink": "true"}).text = entry.url
        if entry.published:
            ET.SubElement(item, "pubDate").text = format_datetime(entry.published)
        if entry.author:
            ET.SubElement(item, _q("dc", "creator")).text = entry.author
        ET.SubElement(item, "description").text = entry.summary
    return _serialise(root)


def atom(*, title: str, link: str, self_url: str, entries: Sequence[Entry]) -> bytes:
    root = ET.Element(_q("atom", "feed"))
    ET.SubElement(root, _q("atom", "title")).text = title
    ET.SubElement(root, _q("atom", "id")).text = self_url
    ET.SubElement(root, _q("atom", "link"), {"href": link, "rel": "alternate"})
    ET.SubElement(root, _q("atom", "link"), {"href": self_url, "rel": "self"})
    dated = [e.updated for e in entries if e.updated]
    if dated:
        ET.SubElement(root, _q("atom", "updated")).text = max(dated).isoformat()
    for entry in entries:
        node = ET.SubElement(root, _q("atom", "entry"))
        ET.SubElement(node, _q("atom", "title")).text = entry.title
        ET.SubElement(node, _q("atom", "id")).text = entry.url
        ET.SubElement(node, _q("atom", "link"), {"href": entry.url, "rel": "alternate"})
        if entry.published:
            updated = entry.modified or entry.published
            ET.SubElement(node, _q("atom", "published")).text = entry.published.isoformat()
            ET.SubElement(node, _q("atom", "updated")).text = updated.isoformat()
        if entry.author:
            author = ET.SubElement(node, _q("atom", "author"))
            ET.SubElement(author, _q("atom", "name")).text = entry.author
        ET.SubElement(node, _q("atom", "summary")).text = entry.summary
    return _serialise(root)


def urlset(entries: Sequence[Entry], *, kind: str, publication: str = "") -> bytes:
    """kind: `lastmod` (dates in <lastmod>), `news` (Google News entries), `plain` (no dates)."""
    root = ET.Element(_q("sm", "urlset"))
    for entry in entries:
        node = ET.SubElement(root, _q("sm", "url"))
        ET.SubElement(node, _q("sm", "loc")).text = entry.url
        if kind == "lastmod" and entry.updated:
            ET.SubElement(node, _q("sm", "lastmod")).text = entry.updated.isoformat()
        elif kind == "news":
            news = ET.SubElement(node, _q("news", "news"))
            pub = ET.SubElement(news, _q("news", "publication"))
            ET.SubElement(pub, _q("news", "name")).text = publication
            ET.SubElement(pub, _q("news", "language")).text = entry.language
            if entry.published:
                stamp = entry.published.isoformat()
                ET.SubElement(news, _q("news", "publication_date")).text = stamp
            ET.SubElement(news, _q("news", "title")).text = entry.title
        elif kind != "plain" and kind != "lastmod":
            raise ValueError(f"Unknown sitemap kind {kind!r}; use lastmod, news or plain.")
    return _serialise(root)


def sitemap_index(children: Sequence[tuple[str, datetime | None]]) -> bytes:
    root = ET.Element(_q("sm", "sitemapindex"))
    for url, modified in children:
        node = ET.SubElement(root, _q("sm", "sitemap"))
        ET.SubElement(node, _q("sm", "loc")).text = url
        if modified:
            ET.SubElement(node, _q("sm", "lastmod")).text = modified.isoformat()
    return _serialise(root)


def robots(sitemap_urls: Sequence[str], disallow: Sequence[str]) -> bytes:
    """A robots.txt that lets crawlers in but fences off search and print pages and shuts one
    named crawler out entirely, so a crawler's robots handling has something to obey."""
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in disallow), ""]
    lines += ["User-agent: GPTBot", "Disallow: /", ""]
    lines += [f"Sitemap: {url}" for url in sitemap_urls]
    return ("\n".join(lines) + "\n").encode()
