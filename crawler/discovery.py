"""Feeds, sitemaps, robots.txt and section pages → dated links.

Discovery reads dates *before* anything is fetched, so that old archive
entries are skipped by the look-back window and the daily re-crawl can stop at
its watermark.  Scrapy's own sitemap parser drops the nested Google News
fields (``news:publication_date``, ``news:title``), which are the only dates
many news sitemaps carry, so sitemaps are parsed here.

Every body is untrusted.  XML is parsed by lxml with entity resolution, DTD
loading and network access off, and any document that declares entities is
refused outright: that is what both the "billion laughs" bomb and XXE need.
Gzip bodies are inflated incrementally against a size cap so a gzip bomb
costs at most the cap.  Real-world sloppiness that is harmless is tolerated:
a BOM or whitespace before the prolog, HTML entities such as ``&nbsp;`` and
namespace prefixes the feed forgot to declare.
"""

from __future__ import annotations

import html
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from html.entities import name2codepoint
from typing import Literal
from urllib.parse import urldefrag, urljoin, urlsplit

# lxml ships no type information; its elements are Any past this fence.
from lxml import etree  # type: ignore[import-untyped,unused-ignore]
from lxml import html as lxml_html  # type: ignore[import-untyped,unused-ignore]
from protego import Protego

__all__ = [
    "MAX_XML_BYTES",
    "DiscoveryError",
    "HomepageHints",
    "Link",
    "LinkSource",
    "Sitemap",
    "homepage_hints",
    "parse_date",
    "parse_feed",
    "parse_sitemap",
    "robots_sitemaps",
    "section_links",
    "within_lookback",
]

#: Largest feed or sitemap accepted after decompression.  The sitemap
#: protocol caps a file at 50 MB uncompressed; anything larger is hostile.
MAX_XML_BYTES = 50 * 1024 * 1024
_INFLATE_CHUNK = 1024 * 1024

LinkSource = Literal["rss", "atom", "sitemap", "news-sitemap", "section"]


class DiscoveryError(ValueError):
    """A feed or sitemap that cannot or must not be read; the message is one sentence."""


@dataclass(frozen=True, slots=True)
class Link:
    """A candidate article URL with what discovery knows before fetching it."""

    url: str
    title: str | None
    published: datetime | None
    source: LinkSource


@dataclass(frozen=True, slots=True)
class Sitemap:
    """A parsed sitemap: article links (urlset) and child sitemaps (sitemapindex)."""

    links: list[Link] = field(default_factory=list)
    children: list[Link] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class HomepageHints:
    """What a homepage says about its site, for drafting a registry entry."""

    title: str | None
    site_name: str | None
    language: str | None
    feeds: list[str]


# --------------------------------------------------------------------- dates

_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")


def parse_date(value: str | None) -> datetime | None:
    """Parse an RFC 822, ISO 8601 / W3C or date-only stamp into an aware UTC datetime.

    Feeds are sloppy about dates; an unreadable date is treated as unknown
    (None), never as an error, because the link itself is still good.
    Time-zone-less stamps are taken as UTC.
    """
    if not value:
        return None
    text = value.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        if match := _YEAR_MONTH.match(text):
            parsed = _safe_datetime(int(match.group(1)), int(match.group(2)))
        elif match := _YEAR.match(text):
            parsed = _safe_datetime(int(match.group(1)), 1)
        else:
            try:
                parsed = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        return None


def _safe_datetime(year: int, month: int) -> datetime | None:
    try:
        return datetime.combine(date(year, month, 1), time(), tzinfo=UTC)
    except ValueError:
        return None


def within_lookback(link: Link, now: datetime, days: int) -> bool:
    """True unless the link is dated before ``now - days``; undated links pass."""
    if link.published is None:
        return True
    return link.published >= now - timedelta(days=days)


# ----------------------------------------------------------------------- XML

_GZIP_MAGIC = b"\x1f\x8b"
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_XML_BUILTIN_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})
_NAMED_REF = re.compile(rb"&([A-Za-z][A-Za-z0-9]{1,31});")
_UNDECLARED_PREFIX = re.compile(r"Namespace prefix (\S+) (?:on|for) .* is not defined")
_HTML_ENTITY_BYTES = {
    name.encode(): f"&#{codepoint};".encode()
    for name, codepoint in name2codepoint.items()
    if name not in _XML_BUILTIN_ENTITIES
}


def _inflate(body: bytes, limit: int) -> bytes:
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = bytearray()
    data = body
    try:
        while True:
            chunk = decompressor.decompress(data, _INFLATE_CHUNK)
            out += chunk
            if len(out) > limit:
                raise DiscoveryError(
                    f"The gzip body inflates to more than {limit // (1024 * 1024)} MB "
                    "and was refused as a likely gzip bomb."
                )
            data = decompressor.unconsumed_tail
            if decompressor.eof or (not data and not chunk):
                break
    except zlib.error as exc:
        raise DiscoveryError(f"The gzip body is corrupt ({exc}).") from exc
    if not decompressor.eof:
        raise DiscoveryError("The gzip body is truncated.")
    return bytes(out)


def _prepare(body: bytes, limit: int) -> bytes:
    if body[:2] == _GZIP_MAGIC:
        body = _inflate(body, limit)
    elif len(body) > limit:
        raise DiscoveryError(f"The document is larger than {limit // (1024 * 1024)} MB.")
    body = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if _ENTITY_DECL.search(body):
        raise DiscoveryError(
            "The document declares XML entities, which newsmon refuses "
            "(entity-expansion and external-entity attacks)."
        )
    return _NAMED_REF.sub(lambda m: _HTML_ENTITY_BYTES.get(m.group(1), m.group(0)), body)


def _declare_prefixes(body: bytes, prefixes: set[str]) -> bytes:
    """Bind forgotten namespace prefixes on the root so a sloppy feed still parses."""
    match = re.search(rb"<(?![?!])[A-Za-z_][\w.:-]*", body)
    if match is None:
        return body
    decls = b"".join(f' xmlns:{p}="urn:newsmon:undeclared:{p}"'.encode() for p in sorted(prefixes))
    return body[: match.end()] + decls + body[match.end() :]


def _parse_xml(body: bytes, base_url: str, *, limit: int = MAX_XML_BYTES) -> etree._Element:
    prepared = data = _prepare(body, limit)
    if not data:
        raise DiscoveryError("The document is empty.")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    missing: set[str] = set()
    for _ in range(8):
        try:
            return etree.fromstring(data, parser, base_url=base_url)
        except etree.XMLSyntaxError as exc:
            found = _UNDECLARED_PREFIX.search(str(exc))
            if found is None or found.group(1) in missing:
                raise DiscoveryError(f"The document is not well-formed XML ({exc}).") from exc
            missing.add(found.group(1))
            data = _declare_prefixes(prepared, missing)
    raise DiscoveryError("The document uses too many undeclared namespace prefixes.")


def _local(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def _children(element: etree._Element, name: str) -> Iterator[etree._Element]:
    return (child for child in element if _local(child) == name)


def _child_text(element: etree._Element, *names: str) -> str | None:
    for name in names:
        for child in _children(element, name):
            text = "".join(child.itertext()).strip()
            if text:
                return text
    return None


_TAG = re.compile(r"</?[A-Za-z][^<>]{0,1000}>")
_SPACE = re.compile(r"\s+")


def _clean_title(raw: str | None) -> str | None:
    """Feed titles are often escaped HTML (Atom type="html", double-escaped RSS)."""
    if not raw:
        return None
    text = html.unescape(_TAG.sub(" ", html.unescape(raw)))
    text = _SPACE.sub(" ", text).strip()
    return text or None


def _absolute(base: str | None, href: str | None) -> str | None:
    if not href:
        return None
    try:
        url = urldefrag(urljoin(base or "", href.strip()))[0]
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


# --------------------------------------------------------------------- feeds


def _atom_href(entry: etree._Element) -> str | None:
    fallback: str | None = None
    for link in _children(entry, "link"):
        href: str | None = link.get("href")
        rel = (link.get("rel") or "alternate").lower()
        if href and rel == "alternate":
            return href
        if href and fallback is None and rel not in ("self", "edit", "enclosure", "replies"):
            fallback = href
    return fallback


def _rss_href(item: etree._Element) -> str | None:
    link = _child_text(item, "link")
    if link:
        return link
    for guid in _children(item, "guid"):
        if (guid.get("isPermaLink") or "true").lower() == "true" and guid.text:
            return str(guid.text)
    about: str | None = item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
    return about


def parse_feed(body: bytes, base_url: str) -> list[Link]:
    """Links of an RSS 2.0, RSS 1.0 (RDF) or Atom feed, in document order.

    Dates come from ``pubDate``/``dc:date`` (RSS) or ``published``/``updated``
    (Atom); publication wins over update because the look-back window is
    about when a story appeared.
    """
    root = _parse_xml(body, base_url)
    kind = _local(root)
    links: list[Link] = []
    if kind == "feed":
        for entry in root.iter():
            if _local(entry) != "entry":
                continue
            url = _absolute(entry.base or base_url, _atom_href(entry))
            if url:
                published = parse_date(_child_text(entry, "published", "issued", "created"))
                published = published or parse_date(_child_text(entry, "updated", "modified"))
                title = _clean_title(_child_text(entry, "title"))
                links.append(Link(url, title, published, "atom"))
        return links
    if kind not in ("rss", "rdf", "channel"):
        raise DiscoveryError(f"The document is a <{kind}> element, not an RSS or Atom feed.")
    for item in root.iter():
        if _local(item) != "item":
            continue
        url = _absolute(item.base or base_url, _rss_href(item))
        if url:
            published = parse_date(_child_text(item, "pubdate", "date", "published", "updated"))
            title = _clean_title(_child_text(item, "title"))
            links.append(Link(url, title, published, "rss"))
    return links


# ------------------------------------------------------------------ sitemaps


def parse_sitemap(body: bytes, base_url: str) -> Sitemap:
    """Parse a ``urlset`` or ``sitemapindex``, plain or gzipped.

    Google News entries (``news:news``) yield ``news-sitemap`` links dated by
    ``news:publication_date`` and titled by ``news:title``; other entries are
    dated by ``lastmod``.  A sitemap index yields children to fetch next.
    """
    root = _parse_xml(body, base_url)
    kind = _local(root)
    if kind == "sitemapindex":
        children = []
        for entry in _children(root, "sitemap"):
            url = _absolute(base_url, _child_text(entry, "loc"))
            if url:
                lastmod = parse_date(_child_text(entry, "lastmod"))
                children.append(Link(url, None, lastmod, "sitemap"))
        return Sitemap(children=children)
    if kind != "urlset":
        raise DiscoveryError(f"The document is a <{kind}> element, not a sitemap.")
    links = []
    for entry in _children(root, "url"):
        url = _absolute(base_url, _child_text(entry, "loc"))
        if not url:
            continue
        news = next(_children(entry, "news"), None)
        if news is not None:
            published = parse_date(_child_text(news, "publication_date"))
            published = published or parse_date(_child_text(entry, "lastmod"))
            title = _clean_title(_child_text(news, "title"))
            links.append(Link(url, title, published, "news-sitemap"))
        else:
            links.append(Link(url, None, parse_date(_child_text(entry, "lastmod")), "sitemap"))
    return Sitemap(links=links)


def robots_sitemaps(robots_txt: str, base_url: str) -> list[str]:
    """Absolute http(s) sitemap URLs announced by a robots.txt, de-duplicated."""
    urls: list[str] = []
    for raw in Protego.parse(robots_txt).sitemaps:
        url = _absolute(base_url, str(raw))
        if url and url not in urls:
            urls.append(url)
    return urls


# --------------------------------------------------------------------- HTML


def _html_root(body: bytes) -> etree._Element | None:
    if not body.strip():
        return None
    # Valid UTF-8 is almost surely UTF-8; otherwise let libxml2 sniff <meta charset>.
    try:
        body.decode("utf-8")
        encoding: str | None = "utf-8"
    except UnicodeDecodeError:
        encoding = None
    parser = lxml_html.HTMLParser(
        encoding=encoding, no_network=True, remove_comments=True, remove_pis=True
    )
    try:
        root: etree._Element | None = lxml_html.document_fromstring(body, parser=parser)
    except (etree.ParserError, ValueError):
        return None
    return root


def _document_base(root: etree._Element, base_url: str) -> str:
    for base in root.iter("base"):
        href = _absolute(base_url, base.get("href"))
        if href:
            return href
    return base_url


def section_links(html_body: bytes, base_url: str) -> list[str]:
    """Absolute http(s) links of a section page, without fragments, first occurrence first.

    The spider decides which of them are articles (the outlet's URL rules);
    this only turns the page into clean candidate URLs.
    """
    root = _html_root(html_body)
    if root is None:
        return []
    base = _document_base(root, base_url)
    urls: dict[str, None] = {}
    for anchor in root.iter("a", "area"):
        url = _absolute(base, anchor.get("href"))
        if url:
            urls.setdefault(url, None)
    return list(urls)


_FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml"})


def homepage_hints(html_body: bytes, base_url: str) -> HomepageHints:
    """Title, site name, language and advertised feeds of a homepage.

    Feeds are the ``<link rel="alternate" type="application/rss+xml">``
    (or Atom/RDF) declarations, which is how sites announce them to readers.
    """
    root = _html_root(html_body)
    if root is None:
        return HomepageHints(None, None, None, [])
    base = _document_base(root, base_url)
    feeds: list[str] = []
    site_name = None
    for element in root.iter("link", "meta"):
        if element.tag == "meta":
            key = (element.get("property") or element.get("name") or "").lower()
            if key in ("og:site_name", "application-name") and not site_name:
                site_name = _clean_title(element.get("content"))
            continue
        rels = (element.get("rel") or "").lower().split()
        kind = (element.get("type") or "").lower().split(";")[0].strip()
        url = _absolute(base, element.get("href"))
        if "alternate" in rels and kind in _FEED_TYPES and url and url not in feeds:
            feeds.append(url)
    title_element = next(root.iter("title"), None)
    title = _clean_title("".join(title_element.itertext())) if title_element is not None else None
    language = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang") or ""
    language = language.strip().lower().replace("_", "-").split("-")[0] or None
    return HomepageHints(title=title, site_name=site_name, language=language, feeds=feeds)
