"""Feeds, sitemaps, robots.txt and section pages → dated links.

Discovery reads dates *before* anything is fetched, so that old archive
entries are skipped by the look-back window and the daily re-crawl can stop at
its watermark.  Scrapy's own sitemap parser drops the nested Google News
fields (``news:publication_date``, ``news:title``), which are the only dates
many news sitemaps carry, so sitemaps are parsed here.

Every body is untrusted, and the real web is sloppy, so discovery is as
tolerant as a feed reader and as strict as a firewall.  Bodies are decoded the
way feed readers decode them (BOM, valid UTF-8, HTTP charset, XML declaration,
detection),
then parsed by libxml2's recovering parser with entity resolution, DTD loading
and network access off: one bad byte, a bare ``&``, an undefined entity or a
download cut short costs the entries it touches, not the document.  Entities
are expanded here, once, and only plain internal ones; external, parameter
and nested entities (XXE, the "billion laughs" bomb) refuse the document.
Gzip bodies are inflated incrementally against a size cap so a gzip bomb
costs at most the cap.  Every listed URL goes through ``crawler.urls.listed_url``
and each one dropped is counted by reason in the `Listing`, so a crawl can
say what each feed, sitemap and section gave.
"""

from __future__ import annotations

import codecs
import html
import re
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from html.entities import name2codepoint
from typing import Literal
from urllib.parse import urlsplit

from chardetng_py import EncodingDetector

# lxml ships no type information; its elements are Any past this fence.
from lxml import etree  # type: ignore[import-untyped,unused-ignore]
from lxml import html as lxml_html  # type: ignore[import-untyped,unused-ignore]
from protego import Protego

from crawler.urls import listed_url

__all__ = [
    "MAX_XML_BYTES",
    "DiscoveryError",
    "HomepageHints",
    "Link",
    "LinkSource",
    "Listing",
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
class Listing:
    """What one feed, sitemap, robots.txt or section page listed.

    ``links`` are candidate articles, ``children`` sitemaps to fetch next (a
    sitemap index, robots.txt), ``dropped`` the listed URLs that were not
    usable, counted by reason (``crawler.urls.DropReason``, ``truncated``,
    ``no_link``, ``not_a_url``).
    """

    links: list[Link] = field(default_factory=list)
    children: list[Link] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)

    @property
    def found(self) -> int:
        """Every URL the listing wrote, kept or not."""
        return len(self.links) + len(self.children) + sum(self.dropped.values())


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
_XML_BUILTIN_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})
_HTML_ENTITIES = {
    name: f"&#{codepoint};"
    for name, codepoint in name2codepoint.items()
    if name not in _XML_BUILTIN_ENTITIES
}
#: Byte-order marks, longest first (UTF-32 LE starts with UTF-16 LE's mark).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_DECLARED_ENCODING = re.compile(
    rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']"""
)
_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE)
#: Labels whose WHATWG meaning is a superset of Python's codec of that name: what
#: browsers decode, and therefore what the outlet's own readers see.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "big5": "big5hkscs",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    # WHATWG names (what the detector answers) that Python spells otherwise.
    "windows-874": "cp874",
    "iso-8859-8-i": "iso8859-8",
    "x-mac-cyrillic": "mac-cyrillic",
}
#: A host's last label, the hint the detector weighs (a ``.ru`` feed is likelier Cyrillic).
_TLD = re.compile(r"^[a-z]{2,63}$")
_ENTITY_DECL = re.compile(r"<!ENTITY", re.IGNORECASE)
#: One general entity declared with an internal value: ``<!ENTITY name "value">``.
_INTERNAL_ENTITY = re.compile(
    r"""<!ENTITY\s+([A-Za-z_][\w.-]{0,63})\s+"""
    r"""(?:"((?:[^"&%<]|&\#[0-9]{1,8};|&\#x[0-9A-Fa-f]{1,8};){0,1000})["]"""
    r"""|'((?:[^'&%<]|&\#[0-9]{1,8};|&\#x[0-9A-Fa-f]{1,8};){0,1000})')\s*>"""
)
_NAMED_REF = re.compile(r"&([A-Za-z_][\w.-]{0,63});")
#: An ampersand that starts no reference at all: plain text the writer forgot to escape.
_BARE_AMPERSAND = re.compile(r"&(?!(?:#[0-9]{1,8}|#x[0-9A-Fa-f]{1,8}|[A-Za-z_][\w.-]{0,63});)")
#: CDATA sections (and one left open by a cut) hold literal text: no references inside.
_CDATA = re.compile(r"(<!\[CDATA\[.*?(?:\]\]>|\Z))", re.DOTALL)


def _inflate(body: bytes, limit: int) -> bytes:
    """Gunzip against a size cap; a body cut short keeps what arrived (the parser recovers it)."""
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
    return bytes(out)


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    name = label.strip().lower()
    name = _SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _decode(body: bytes, content_type: str | None, limit: int, tld: str | None) -> str:
    """The document as text: gunzipped, then decoded the way feed readers decode.

    A byte-order mark settles it.  Otherwise valid UTF-8 is taken as UTF-8
    whatever the labels say (a legacy text is almost never valid UTF-8, while
    servers that call every file ISO-8859-1 are common), then the HTTP
    charset and the XML declaration are tried in that order, each only if it
    decodes the whole body strictly, so a mislabelled body still lands on its
    real encoding; then detection.  The detector is Firefox's (chardetng),
    built for what is hard here: a few dozen non-ASCII bytes of a headline in
    markup, told apart between Big5, GBK, EUC-JP, Shift-JIS, EUC-KR, KOI8,
    windows-125x and TIS-620, with the host's top-level domain as a hint.
    General-purpose detectors (charset-normalizer, chardet) need far more text
    and misread such short feeds.  A UTF-16 or UTF-32
    label without a byte-order mark is ignored: such a document needs one.
    Decoding here rather than in libxml2 is also what lets the entity checks
    below see every document, whatever its encoding.
    """
    if body[:2] == _GZIP_MAGIC:
        body = _inflate(body, limit)
    elif len(body) > limit:
        raise DiscoveryError(f"The document is larger than {limit // (1024 * 1024)} MB.")
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(codec, errors="replace")
    http = _CHARSET_PARAM.search(content_type or "")
    declared = _DECLARED_ENCODING.match(body)
    labels = (
        "utf-8",
        http.group(1) if http else None,
        declared.group(1).decode("ascii") if declared else None,
    )
    for codec in dict.fromkeys(filter(None, map(_codec, labels))):
        if codec.startswith(("utf-16", "utf-32")):
            continue
        try:
            return body.decode(codec)
        except UnicodeDecodeError:
            continue
    detector = EncodingDetector()
    detector.feed(body, last=True)
    hint = tld.encode("ascii") if tld and _TLD.match(tld) else None
    codec = _codec(detector.guess(tld=hint, allow_utf8=False)) or "cp1252"
    return body.decode(codec, errors="replace")


def _expand_entities(text: str, limit: int) -> str:
    """Replace entity references by text before libxml2 sees them; refuse what is dangerous.

    External entities (XXE), parameter entities, entities built from other
    entities (the "billion laughs" bomb) and values over 1,000 characters are
    refused.  A plain internal entity
    (``<!ENTITY site "Example News">``) is expanded here, once and against the
    size cap, so libxml2 never expands anything; HTML entities become
    character references; an undefined entity or a bare ``&`` is kept as
    literal text, which is what the writer meant.
    """
    declared: dict[str, str] = {}
    for match in _INTERNAL_ENTITY.finditer(text):
        declared.setdefault(match.group(1), match.group(2) or match.group(3) or "")
    if len(_ENTITY_DECL.findall(text)) != len(_INTERNAL_ENTITY.findall(text)):
        raise DiscoveryError(
            "The document declares external, parameter, nested or oversized XML entities, "
            "which newsmon refuses (external-entity and entity-expansion attacks)."
        )
    size = len(text)

    def replace(match: re.Match[str]) -> str:
        nonlocal size
        name = match.group(1)
        if name in _XML_BUILTIN_ENTITIES:
            return match.group(0)
        if name in declared:
            value = declared[name].replace("<", "&lt;").replace(">", "&gt;")
            size += len(value)
            if size > limit:
                raise DiscoveryError(
                    f"The document's entities expand past {limit // (1024 * 1024)} MB "
                    "and were refused as a likely entity-expansion attack."
                )
            return value
        return _HTML_ENTITIES.get(name, "&amp;" + name + ";")

    parts = _CDATA.split(text)
    for index in range(0, len(parts), 2):  # odd parts are the CDATA sections
        parts[index] = _NAMED_REF.sub(replace, _BARE_AMPERSAND.sub("&amp;", parts[index]))
    return "".join(parts)


def _parse_xml(text: str, base_url: str, limit: int) -> etree._Element:
    """Parse decoded XML with libxml2's recovering parser, locked down.

    Recovery keeps everything before a broken spot: a download cut short, a
    stray ``<``, an undeclared namespace prefix.  Entity resolution, DTD
    loading and network access stay off; entities were dealt with already.
    """
    data = _expand_entities(text, limit).encode("utf-8")
    parser = etree.XMLParser(
        encoding="utf-8",
        recover=True,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root: etree._Element | None = etree.fromstring(data, parser, base_url=base_url)
    except etree.XMLSyntaxError as exc:
        raise DiscoveryError(f"The document is not XML ({exc}).") from exc
    if root is None:
        raise DiscoveryError("The document is not XML.")
    return root


def _document(body: bytes, content_type: str | None, base_url: str) -> str:
    host = urlsplit(base_url).hostname or ""
    text = _decode(body, content_type, MAX_XML_BYTES, host.rpartition(".")[2]).lstrip(
        "\ufeff \t\r\n"
    )
    if not text:
        raise DiscoveryError("The document is empty.")
    return text


def _complete_entries(entries: list[etree._Element], text: str, name: str) -> int:
    """How many of the entries the document closes: the rest were cut off mid-download.

    A recovering parser closes every open element at the end of the data, so
    an entry interrupted by the cut looks complete but carries a truncated
    URL; counting the end tags in the text tells them apart.
    """
    closed = len(re.findall(rf"</(?:[\w.-]+:)?{name}\s*>", text, re.IGNORECASE))
    return min(len(entries), closed)


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


class _Collector:
    """Builds a `Listing`, counting every listed URL that hygiene drops, by reason."""

    def __init__(self) -> None:
        self.links: list[Link] = []
        self.children: list[Link] = []
        self.dropped: Counter[str] = Counter()

    def url(self, raw: str | None, base: str) -> str | None:
        url, reason = listed_url(raw, base)
        if reason is not None:
            self.dropped[reason] += 1
        return url

    def drop(self, reason: str, count: int = 1) -> None:
        if count > 0:
            self.dropped[reason] += count

    def listing(self) -> Listing:
        return Listing(self.links, self.children, dict(self.dropped))


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


_FEED_ROOTS = frozenset({"feed", "rss", "rdf", "channel"})


def parse_feed(body: bytes, base_url: str, content_type: str | None = None) -> Listing:
    """Links of an RSS 2.0, RSS 1.0 (RDF) or Atom feed, in document order.

    ``content_type`` is the HTTP header, for its charset.  Dates come from
    ``pubDate``/``dc:date`` (RSS) or ``published``/``updated`` (Atom);
    publication wins over update because the look-back window is about when a
    story appeared.  A feed cut short keeps the entries it closed.
    """
    text = _document(body, content_type, base_url)
    root = _parse_xml(text, base_url, MAX_XML_BYTES)
    kind = _local(root)
    if kind not in _FEED_ROOTS:
        raise DiscoveryError(f"The document is a <{kind}> element, not an RSS or Atom feed.")
    return _feed_entries(root, text, base_url)


def _feed_entries(root: etree._Element, text: str, base_url: str) -> Listing:
    atom = _local(root) == "feed"
    name = "entry" if atom else "item"
    entries = [element for element in root.iter() if _local(element) == name]
    complete = _complete_entries(entries, text, name)
    found = _Collector()
    found.drop("truncated", len(entries) - complete)
    for entry in entries[:complete]:
        # FeedBurner's origLink is the article itself; the item's link is its redirector.
        href = _child_text(entry, "origlink") or (_atom_href(entry) if atom else _rss_href(entry))
        if href is None:
            found.drop("no_link")
            continue
        url = found.url(href, entry.base or base_url)
        if url is None:
            continue
        title = _clean_title(_child_text(entry, "title"))
        if atom:
            published = parse_date(_child_text(entry, "published", "issued", "created"))
            published = published or parse_date(_child_text(entry, "updated", "modified"))
            found.links.append(Link(url, title, published, "atom"))
        else:
            published = parse_date(_child_text(entry, "pubdate", "date", "published", "updated"))
            found.links.append(Link(url, title, published, "rss"))
    return found.listing()


# ------------------------------------------------------------------ sitemaps


_TEXT_URL = re.compile(r"^\s*https?://", re.IGNORECASE)
#: A robots.txt given where a sitemap was expected: its Sitemap lines are what was meant.
_ROBOTS_LINE = re.compile(r"^[ \t]*(?:user-agent|sitemap)[ \t]*:", re.IGNORECASE | re.MULTILINE)


def _text_sitemap(text: str, base_url: str) -> Listing:
    """A sitemap in the protocol's text format: one absolute URL per line."""
    found = _Collector()
    for line in text.splitlines():
        if not line.strip():
            continue
        if not _TEXT_URL.match(line):
            found.drop("not_a_url")
            continue
        url = found.url(line, base_url)
        if url:
            found.links.append(Link(url, None, None, "sitemap"))
    if not found.links:
        raise DiscoveryError("The document is neither XML nor a text sitemap of URLs.")
    return found.listing()


def parse_sitemap(body: bytes, base_url: str, content_type: str | None = None) -> Listing:
    """Parse a ``urlset``, a ``sitemapindex``, a text sitemap or a feed, plain or gzipped.

    The sitemap protocol allows an RSS or Atom feed in a sitemap's place, and
    robots.txt files announce feeds as sitemaps, so a feed is read as one; a
    robots.txt given as a sitemap yields its ``Sitemap:`` lines as children.

    Google News entries (``news:news``) yield ``news-sitemap`` links dated by
    ``news:publication_date`` and titled by ``news:title``; other entries are
    dated by ``lastmod``.  A sitemap index yields children to fetch next.  A
    sitemap cut short keeps the entries it closed.
    """
    text = _document(body, content_type, base_url)
    if not text.startswith("<"):
        if _ROBOTS_LINE.search(text):
            return robots_sitemaps(text.encode("utf-8"), base_url)
        return _text_sitemap(text, base_url)
    root = _parse_xml(text, base_url, MAX_XML_BYTES)
    kind = _local(root)
    if kind in _FEED_ROOTS:
        return _feed_entries(root, text, base_url)
    if kind not in ("sitemapindex", "urlset"):
        raise DiscoveryError(f"The document is a <{kind}> element, not a sitemap or feed.")
    name = "sitemap" if kind == "sitemapindex" else "url"
    entries = list(_children(root, name))
    complete = _complete_entries(entries, text, name)
    found = _Collector()
    found.drop("truncated", len(entries) - complete)
    for entry in entries[:complete]:
        url = found.url(_child_text(entry, "loc"), base_url)
        if not url:
            continue
        lastmod = parse_date(_child_text(entry, "lastmod"))
        news = next(_children(entry, "news"), None)
        if kind == "sitemapindex":
            found.children.append(Link(url, None, lastmod, "sitemap"))
        elif news is not None:
            published = parse_date(_child_text(news, "publication_date")) or lastmod
            title = _clean_title(_child_text(news, "title"))
            found.links.append(Link(url, title, published, "news-sitemap"))
        else:
            found.links.append(Link(url, None, lastmod, "sitemap"))
    return found.listing()


def _escape_undecodable(url: str) -> str:
    """Percent-encode the bytes that UTF-8 could not decode (kept as surrogates)."""
    return "".join(f"%{ord(ch) - 0xDC00:02X}" if "\udc80" <= ch <= "\udcff" else ch for ch in url)


def robots_sitemaps(robots_txt: bytes, base_url: str) -> Listing:
    """The sitemaps a robots.txt announces, as children to fetch, de-duplicated.

    A byte that is not UTF-8 is kept as its ``%XX`` escape (what the server
    has on disk), never replaced by U+FFFD.
    """
    text = robots_txt.decode("utf-8", errors="surrogateescape").lstrip("\ufeff")
    found = _Collector()
    seen: set[str] = set()
    for raw in Protego.parse(text).sitemaps:
        url = found.url(_escape_undecodable(str(raw)), base_url)
        if url and url not in seen:
            seen.add(url)
            found.children.append(Link(url, None, None, "sitemap"))
    return found.listing()


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
        href = listed_url(base.get("href"), base_url).url
        if href:
            return href
    return base_url


#: Bytes no HTML page has in its first kilobyte, but images, archives and executables do.
_BINARY = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


def section_links(html_body: bytes, base_url: str) -> Listing:
    """Absolute http(s) links of a section page, without fragments, first occurrence first.

    The spider decides which of them are articles (the outlet's URL rules);
    this only turns the page into clean candidate URLs.  An empty or binary
    body (an image where the section used to be) is an error rather than a
    page with no links, so a broken section shows up as a failed listing.
    """
    utf16 = html_body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if not utf16 and _BINARY.search(html_body[:1024]):
        raise DiscoveryError("The section page is binary data, not HTML.")
    root = _html_root(html_body)
    if root is None:
        raise DiscoveryError("The section page is empty.")
    base = _document_base(root, base_url)
    found = _Collector()
    seen: set[str] = set()
    for anchor in root.iter("a", "area"):
        url = found.url(anchor.get("href"), base)
        if url and url not in seen:
            seen.add(url)
            found.links.append(Link(url, None, None, "section"))
    return found.listing()


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
        url = listed_url(element.get("href"), base).url
        if "alternate" in rels and kind in _FEED_TYPES and url and url not in feeds:
            feeds.append(url)
    title_element = next(root.iter("title"), None)
    title = _clean_title("".join(title_element.itertext())) if title_element is not None else None
    language = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang") or ""
    language = language.strip().lower().replace("_", "-").split("-")[0] or None
    return HomepageHints(title=title, site_name=site_name, language=language, feeds=feeds)
