"""HTML page → ``Extracted`` article (or ``Skipped`` with a reason); the one stage that knows
trafilatura.

trafilatura and htmldate are untyped, so every call into them (and every lxml element they
hand back) stays in this module; the rest of newsmon sees only the two frozen dataclasses.
Our own pass follows trafilatura: its text is continued into the article's other containers
and gap-filled (``Runs.first``), then paragraphs that are the text of furniture elements
(captions, ad slots, related links, share bars) or match the text rules of
``crawler.boilerplate`` are dropped (docs/extraction.md).  Metadata comes from the page's own
declarations first (JSON-LD, OpenGraph, ``<html lang>``, ``rel=canonical``) because they are
exact, and from trafilatura's heuristics only when a page declares nothing.
"""

from __future__ import annotations

import bisect
import codecs
import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from copy import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from difflib import SequenceMatcher
from email.utils import parsedate_to_datetime
from functools import cached_property
from typing import Any, cast
from urllib.parse import unquote_plus, urljoin, urlsplit

import charset_normalizer
import lxml.html
import trafilatura
from htmldate import find_date
from lxml import etree
from trafilatura.metadata import extract_title
from trafilatura.settings import Document
from trafilatura.utils import is_dubious_html, repair_faulty_html

from crawler import boilerplate
from dedup.language import detect_language, dominant_script

EXTRACTOR_VERSION = f"newsmon-extract/4 trafilatura/{trafilatura.__version__}"

#: Fewer words than this (CJK characters count as words) and a page is ``too_short``.
DEFAULT_MIN_WORDS = 50
#: ... unless the page declares itself a dated article: then from this many words. A wire
#: flash ("MOSCOW, June 15. /TASS/. Russian President Vladimir Putin and Chinese President Xi
#: Jinping have held phone talks, the Kremlin press service said.", 22 words) is often an
#: event's first report, and who published first is what a user follows; a page that only
#: says it is an article (WordPress says so of every page) is not enough.
FLASH_MIN_WORDS = 15
#: Pages larger than this are refused rather than parsed (a runaway or hostile response).
MAX_BYTES = 20_000_000
#: A paragraph at least this long (in words) is prose, not a teaser or a link label.
PROSE_WORDS = 25
#: When our cleaning drops more than this share of trafilatura's words, a rule misfired on a
#: page it was not written for, and trafilatura's text is kept instead (set on the dev pages).
MAX_CLEANING_LOSS = 0.3
#: A paragraph that is the whole text of one link of at least this many words is a headline
#: of another story (related, most read, next article), not prose of this one; a link that
#: spells out its address is a cited source and stays.
LINK_LINE_WORDS = 4
#: Links of at least LINK_LINE_WORDS words, counted by spaces in XPath so lxml builds no
#: object for the many short ones (menus, tags, "more").  Links within the page (``#part``:
#: a table of contents, a skip link) are left out: their texts are this article's own
#: section headings.
_LONG_LINKS = (
    "//a[not(starts-with(normalize-space(@href), '#'))]"
    "[string-length(normalize-space()) - "
    f"string-length(translate(normalize-space(), ' ', '')) >= {LINK_LINE_WORDS - 1}]"
)
_URL_TEXT = re.compile(r"(?:https?://|www\.)", re.IGNORECASE)
_WORDS = re.compile(r"\w+")
#: The same links inside a paragraph, where a hover card can hide a list of them.
_LONG_LINKS_IN_PARAGRAPHS = f"//p{_LONG_LINKS}"
#: An element inside a paragraph holding this many headline-long links, mostly link text, is
#: a list of other stories (a hover card: a person's name, then their latest headlines), not
#: part of the sentence around it; two titles run together in a sentence stay.
HEADLINE_LIST_LINKS = 3
#: When the page's ``<p>`` elements hold more than this many times the text (in characters)
#: of trafilatura's fast run, that run may have skipped part of the article, and trafilatura's
#: full run (the one plain ``trafilatura.extract`` does) is asked as well: the same two-to-one
#: rule by which trafilatura itself prefers its readability port's longer text.
GAP_RATIO = 2

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_BINARY_MAGIC: tuple[bytes, ...] = (
    b"%PDF",
    b"\x89PNG",
    b"GIF87a",
    b"GIF89a",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ",
    b"RIFF",
    b"OggS",
    b"ID3",
    b"fLaC",
    b"wOFF",
    b"wOF2",
    b"\x7fELF",
    b"\x00\x00\x01\x00",
    b"%!PS",
)
#: WHATWG maps these labels to supersets; decoding with the superset never loses a page.
_ENCODING_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "latin-1": "cp1252",
}
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
_LATIN1_WORD = re.compile(r"[A-Za-z\u00c0-\u00ff]+")
_CONTROL_CHARS = re.compile(r"[\x01-\x08\x0e-\x1f\x7f]")

_ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "reviewnewsarticle",
        "blogposting",
        "liveblogposting",
        "report",
        "scholarlyarticle",
        "socialmediaposting",
    }
)
_LISTING_TYPES = frozenset(
    {
        "collectionpage",
        "itemlist",
        "searchresultspage",
        "website",
        "profilepage",
    }
)
_LISTING_OG_TYPES = frozenset({"website", "profile"})
#: A byline longer than this is a sentence, not names.
_MAX_BYLINE = 120

_SCRIPT_OF_LANGUAGE = {
    "ar": "arabic",
    "fa": "arabic",
    "ur": "arabic",
    "ru": "cyrillic",
    "uk": "cyrillic",
    "bg": "cyrillic",
    "sr": "cyrillic",
    "be": "cyrillic",
    "kk": "cyrillic",
    "zh": "han",
    "ja": "han",
    "ko": "hangul",
}


@dataclass(frozen=True)
class Extracted:
    """A cleaned article: ``text`` is the paragraphs joined by blank lines, without the title."""

    title: str
    text: str
    published: datetime | None
    authors: tuple[str, ...]
    language: str | None
    canonical_url: str | None
    description: str | None
    extractor_version: str = EXTRACTOR_VERSION

    @property
    def seed_text(self) -> str:
        return f"{self.title}\n\n{self.text}"


@dataclass(frozen=True)
class Skipped:
    """Why a page yielded no article; ``reason`` is a slug the crawl statistics count."""

    reason: str
    detail: str = ""


@dataclass
class _PageMeta:
    """What the page declares about itself, read before trafilatura touches the tree."""

    html_lang: str | None = None
    og: dict[str, str] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    canonical: str | None = None
    jsonld_types: set[str] = field(default_factory=set)
    article_ld: dict[str, Any] = field(default_factory=dict)

    @property
    def declares_article(self) -> bool:
        return bool(self.jsonld_types & _ARTICLE_TYPES) or self.og.get("og:type") == "article"

    @property
    def declares_title(self) -> bool:
        return bool(_ld_text(self.article_ld.get("headline")) or self.og.get("og:title"))

    @property
    def declares_author(self) -> bool:
        """A declared author that is not the publisher (``<meta name="author">`` often names
        the company: "Ediciones El País" on EL PAÍS)."""
        declared = self.meta.get("author", "")
        site = {self.og["og:site_name"].casefold()} if self.og.get("og:site_name") else set()
        return bool(self.article_ld.get("author") or (declared and not _publisher(declared, site)))

    @property
    def declares_date(self) -> bool:
        return _published(self, None) is not None

    @property
    def declares_dated_article(self) -> bool:
        return self.declares_article and self.declares_date

    @property
    def declares_listing(self) -> bool:
        return bool(self.jsonld_types & _LISTING_TYPES) or (
            self.og.get("og:type", "") in _LISTING_OG_TYPES
        )


# --- decoding -----------------------------------------------------------------------------


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().lower()).name
    except LookupError:
        return None
    return _ENCODING_SUPERSETS.get(name, name)


def _looks_misdecoded(text: str) -> bool:
    """Cyrillic or Chinese bytes read as a Latin code page come out as words made almost only
    of accented letters ("Ïðåçèäåíò"); real Latin-script words carry one accent at most.
    Word shapes, unlike letter ratios, are not diluted by the ASCII of the markup."""
    accented = [
        word
        for word in _LATIN1_WORD.findall(text)
        if len(word) >= 3 and any(ch >= "\u00c0" for ch in word)
    ]
    if len(accented) < 3:
        return False
    heavy = sum(1 for word in accented if sum(ch >= "\u00c0" for ch in word) >= 0.7 * len(word))
    return heavy * 2 > len(accented)


def decode_html(data: bytes, encoding: str | None = None) -> str | None:
    """Bytes → text, or None when the bytes are not text at all.

    Sparse NUL bytes are dropped.  Order: a BOM; strict UTF-8 (a legacy page is almost never
    valid UTF-8 by accident, so this also overrides a wrong legacy declaration); the HTTP
    ``encoding`` hint and ``<meta charset>`` if they decode cleanly and plausibly; then cp1252
    (Latin-1 pages mislabelled as UTF-8 are the commonest error) unless its output looks like
    mojibake; else statistical detection, which rescues cp1251 and GB18030 pages served under
    a wrong label.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    if data.startswith(_BINARY_MAGIC) or _binary_bytes(data):
        return None
    data = data.replace(b"\x00", b"")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    sniffed = _META_CHARSET.search(data[:4096])
    declared = (_codec(encoding), _codec(sniffed.group(1).decode("ascii")) if sniffed else None)
    for label in (*declared, "cp1252"):
        if label is None or label == "utf-8":
            continue
        try:
            text = data.decode(label)
        except (UnicodeDecodeError, LookupError):
            continue
        if label not in ("cp1252", "iso8859-15") or not _looks_misdecoded(text):
            return text
    best = charset_normalizer.from_bytes(data[:200_000]).best()
    detected = _codec(best.encoding) if best is not None else None
    return data.decode(detected or "cp1252", errors="replace")


def _html_parser() -> Any:
    """trafilatura's parser settings, with every element a plain ``HtmlElement``.

    lxml.html's own class lookup calls a Python method for every element lxml hands to Python
    (0.9 million calls on the 234 real dev pages, 4 % of the page stage), only to pick the
    form and input subclasses that neither trafilatura nor we use."""
    parser = lxml.html.HTMLParser(
        collect_ids=False,
        default_doctype=False,
        encoding="utf-8",
        remove_comments=True,
        remove_pis=True,
    )
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement,
            comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction,
            entity=lxml.html.HtmlEntity,
        )
    )
    return parser


_HTML_PARSER = _html_parser()


def parse_html(text: str) -> Any | None:
    """The page's tree as ``trafilatura.utils.load_html`` builds it from a decoded page (the
    same repairs, the bytes retry, the same rejection of a fragment), on ``_HTML_PARSER``."""
    beginning = text[:50].lower()
    text = repair_faulty_html(text, beginning)
    tree = None
    # ValueError: a str that declares its encoding, which lxml parses only as bytes.
    with suppress(ValueError, etree.LxmlError):
        tree = lxml.html.fromstring(text, parser=_HTML_PARSER)
    if tree is None or len(tree) < 1:
        try:
            tree = lxml.html.fromstring(text.encode("utf-8", "surrogatepass"), parser=_HTML_PARSER)
        except (ValueError, etree.LxmlError):
            return None
    if is_dubious_html(beginning) and len(tree) < 2:
        return None
    return tree


def _binary_bytes(data: bytes) -> bool:
    """NUL bytes are binary only in bulk: a real text page can carry a stray one (a CMS
    glitch), and one NUL must not throw the article away."""
    sample = data[:20_000]
    return sample.count(b"\x00") > len(sample) / 100


def _binary_text(text: str) -> bool:
    sample = text[:20_000]
    return bool(sample) and len(_CONTROL_CHARS.findall(sample)) > len(sample) / 100


# --- metadata -----------------------------------------------------------------------------


def _attr(element: Any, name: str) -> str:
    value = element.get(name)
    return value.strip() if isinstance(value, str) else ""


def _jsonld_objects(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        for item in value:
            yield from _jsonld_objects(item)
    elif isinstance(value, dict):
        yield value
        yield from _jsonld_objects(value.get("@graph"))


def _ld_types(obj: dict[str, Any]) -> set[str]:
    declared = obj.get("@type")
    names = declared if isinstance(declared, list) else [declared]
    return {name.lower() for name in names if isinstance(name, str)}


def _read_meta(tree: Any) -> _PageMeta:
    page = _PageMeta(html_lang=_attr(tree, "lang") or _attr(tree, "xml:lang") or None)
    for element in tree.iter("meta", "link", "script"):
        if element.tag == "meta":
            key = (
                _attr(element, "property") or _attr(element, "name") or _attr(element, "itemprop")
            ).lower()
            content = _attr(element, "content")
            if key and content:
                target = page.og if key.startswith("og:") else page.meta
                target.setdefault(key, content)
        elif element.tag == "link":
            if "canonical" in _attr(element, "rel").lower().split() and page.canonical is None:
                page.canonical = _attr(element, "href") or None
        elif _attr(element, "type").lower() == "application/ld+json":
            try:
                data = json.loads(element.text or "", strict=False)
            except ValueError:
                continue
            for obj in _jsonld_objects(data):
                types = _ld_types(obj)
                page.jsonld_types |= types
                if types & _ARTICLE_TYPES and not page.article_ld:
                    page.article_ld = obj
    for element in tree.iter("time"):
        if _attr(element, "itemprop") == "datePublished" and _attr(element, "datetime"):
            page.meta.setdefault("datepublished", _attr(element, "datetime"))
    return page


def _ld_text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return boilerplate.collapse_whitespace(value)
    if isinstance(value, dict):
        return _ld_text(value.get("name") or value.get("@value"))
    if isinstance(value, list) and value:
        return _ld_text(value[0])
    return None


def _ld_names(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names = [_ld_text(item) for item in items]
    return [name for name in names if name]


def _parse_datetime(value: str | None) -> datetime | None:
    """ISO 8601 (what JSON-LD and OpenGraph use) or RFC 2822 (some ``pubdate`` metas)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value.strip())
        except (TypeError, ValueError):
            return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _published(page: _PageMeta, fallback: str | None) -> datetime | None:
    candidates = (
        _ld_text(page.article_ld.get("datePublished")),
        page.meta.get("article:published_time"),
        page.meta.get("datepublished"),
        page.meta.get("pubdate"),
        page.meta.get("publishdate"),
        page.meta.get("date"),
        page.meta.get("dc.date"),
        page.meta.get("dc.date.issued"),
        page.meta.get("parsely-pub-date"),
        fallback,
    )
    for candidate in candidates:
        parsed = _parse_datetime(candidate)
        if parsed is not None:
            return parsed
    return None


def _strip_site_name(title: str, site_names: set[str]) -> str:
    """Drop a " | CNN"-style suffix naming the site, which og:title and <title> often carry."""
    for separator in (" | ", " - ", " — ", " – ", " :: "):
        head, sep, tail = title.rpartition(separator)
        if sep and head and tail.strip().casefold() in site_names:
            return head.strip()
    return title


def _title(page: _PageMeta, fallback: str | None, hostname: str) -> str:
    site_names = {name.casefold() for name in (page.og.get("og:site_name"), hostname) if name}
    for candidate in (_ld_text(page.article_ld.get("headline")), page.og.get("og:title"), fallback):
        if candidate:
            return _strip_site_name(boilerplate.collapse_whitespace(candidate), site_names)
    return ""


def _publisher(name: str, site_names: set[str]) -> bool:
    """Whether a ``<meta name="author">`` names the site's company ("Ediciones El País" on
    EL PAÍS) rather than a person; a byline such as "Global Times Staff Reporters" is the
    page's own credit and stays."""
    folded = name.casefold()
    return any(re.search(rf"(?<!\w){re.escape(site)}(?!\w)", folded) for site in site_names)


def _authors(page: _PageMeta, fallback: str | None, site_names: set[str]) -> tuple[str, ...]:
    names = _ld_names(page.article_ld.get("author"))
    if not names:
        declared = page.meta.get("author") or page.meta.get("article:author") or ""
        if declared and not declared.startswith("http") and not _publisher(declared, site_names):
            names = [declared]
    if not names and fallback:
        names = fallback.split(";")
    cleaned: list[str] = []
    for name in names:
        name = re.sub(r"^(?:by|di|от|par|von|por)\s+", "", name.strip(), flags=re.IGNORECASE)
        if name and name.casefold() not in site_names and name not in cleaned:
            cleaned.append(name)
    return tuple(cleaned)


def _absolute(href: str | None, base: str | None) -> str | None:
    if not href:
        return None
    absolute = urljoin(base, href) if base else href
    parts = urlsplit(absolute)
    return absolute if parts.scheme in ("http", "https") and parts.netloc else None


def _language_code(value: str | None) -> str | None:
    if not value:
        return None
    code = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    return code if re.fullmatch(r"[a-z]{2}", code) else None


def guess_language(text: str) -> str | None:
    """ISO 639-1 guess from the script, then (for Latin script) from frequent short words."""
    language = detect_language(text)
    return None if language == "und" else language


def _language(page: _PageMeta, text: str) -> str | None:
    """The declared language, unless the text is plainly in another script (a template's
    ``lang="en"`` on an Arabic page); then the script-based guess."""
    declared = (
        _language_code(_ld_text(page.article_ld.get("inLanguage")))
        or _language_code(page.html_lang)
        or _language_code(page.og.get("og:locale"))
    )
    script = dominant_script(text)
    if declared is not None:
        expected = _SCRIPT_OF_LANGUAGE.get(declared, "latin")
        if script is None or expected == script or {expected, script} == {"han", "kana"}:
            return declared
    return guess_language(text)


# --- furniture ------------------------------------------------------------------------------

#: Furniture tags and every class/id value: reading attribute strings and creating an element
#: only for the few that name furniture spares lxml an object per classed element.
_FURNITURE_CANDIDATES = "|".join(
    ["//@class", "//@id", *(f"//{tag}" for tag in sorted(boilerplate.FURNITURE_TAGS))]
)


#: Blocks inside a furniture element whose own text trafilatura may emit as one line.
_FURNITURE_BLOCKS = frozenset(
    {"p", "li", "h2", "h3", "h4", "a", "span", "div", "figcaption", "dd", "td"}
)


def _spellings(element: Any) -> set[str]:
    """The element's text as trafilatura may write it: its pieces spaced (a list of links
    read as one line) and run together (``Titan. (<a>NASA/JPL</a>)``, inline markup inside
    a caption); empty texts left out."""
    pieces = list(element.itertext())
    spaced = boilerplate.collapse_whitespace(" ".join(pieces))
    if not spaced or len(pieces) == 1:
        return {spaced} if spaced else set()
    return {spaced, boilerplate.collapse_whitespace("".join(pieces))}


def _shares_own_text(link: Any) -> bool:
    """Whether the link's address carries the link's own words: a "click to tweet" quote
    (``<a href="https://twitter.com/intent/tweet?text=Every+online+business…">Every online
    business…</a>``) links to a share form filled with a sentence of this article, so its text
    is the article's, not another story's headline.  A piece of the link's text counts when
    its first LINK_LINE_WORDS words stand in a row in the decoded query (a share form may cut
    a long quote short)."""
    href = _attr(link, "href")
    if "?" not in href:  # most links carry no query: no parse for them
        return False
    try:
        query = urlsplit(href).query
    except ValueError:  # a malformed address ("http://[x") carries nothing
        return False
    if not query:
        return False
    carried = f" {' '.join(_WORDS.findall(unquote_plus(query).casefold()))} "
    for piece in link.itertext():
        words = _WORDS.findall(piece.casefold())
        if len(words) >= LINK_LINE_WORDS and f" {' '.join(words[:LINK_LINE_WORDS])} " in carried:
            return True
    return False


@dataclass(frozen=True)
class Furniture:
    """The texts of the page's furniture elements (captions, share bars, related links, ...)
    and of the blocks inside them, each with the rule that named the element.

    trafilatura sees the whole page; afterwards an extracted paragraph is dropped when it *is*
    one of these texts.  Judging paragraphs after the fact, rather than pruning the tree
    before, means a furniture class on the article's own wrapper costs at most the paragraphs
    the loss guard then restores, never the page; and exact matching means an article's lede
    quoted inside a related-story teaser stays in the article.
    """

    texts: dict[str, str]

    @classmethod
    def of(cls, tree: Any) -> Furniture:
        texts: dict[str, str] = {}
        covered: set[Any] = set()  # elements inside furniture already read
        for found in tree.xpath(_FURNITURE_CANDIDATES):
            if isinstance(found, str):  # a class or id value: lxml's string knows its element
                names = str(found)  # a plain copy: the cache must not keep the tree alive
                if not boilerplate.names_furniture(names):
                    continue
                element = cast(Any, found).getparent()
            else:
                element, names = found, ""
            if element in covered:
                continue
            rule = boilerplate.furniture_rule(str(element.tag).lower(), names)
            if rule is None:
                continue
            for block in element.iter():
                covered.add(block)
                if block is element or block.tag in _FURNITURE_BLOCKS:
                    for text in _spellings(block):
                        texts.setdefault(text, rule)
        for link in tree.xpath(_LONG_LINKS):
            if _shares_own_text(link):
                continue
            for text in _spellings(link):
                if not _URL_TEXT.match(text):
                    texts.setdefault(text, "link:whole_line")
        return cls(texts)

    def rule(self, line: str) -> str | None:
        """The rule of the furniture element whose text (or a block's in it) is ``line``;
        never for a prose paragraph, which a widget quoting the article (a share box with
        the lede, a linked paragraph) may repeat but no furniture is made of."""
        rule = self.texts.get(line)
        if rule is None or boilerplate.word_count(line) >= PROSE_WORDS:
            return None
        return rule


def _not_article(page: _PageMeta, paragraphs: list[str]) -> str | None:
    """Why a page is an index/listing page, or None for an article.

    A page that declares itself an article is trusted.  Otherwise it is a listing when it says
    so (og:type website, a CollectionPage) *and* its main text holds fewer than three long
    paragraphs: an index page's main text is headlines and short teasers, while an article on
    a site that calls every page a ``website`` still reads as prose.

    How many linked headings a page carries does not tell: on real articles they are a
    sidebar's linked section names ("Recent posts", "Stocks": a CNBC blog post with three
    paragraphs and six teasers) or a stream of related headlines under a one-paragraph story
    (Yahoo), so counting either kind skipped an article of the dev pages.
    """
    if not page.declares_listing or page.declares_article:
        return None
    prose = sum(boilerplate.word_count(p) >= PROSE_WORDS for p in paragraphs)
    if prose >= 3:
        return None
    return f"declared as a listing page with {prose} prose paragraphs"


# --- the stage ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Heuristics:
    """Guesses for what the page itself does not declare."""

    title: str | None = None
    date: str | None = None
    author: str | None = None


def _heuristic_metadata(tree: Any, page: _PageMeta) -> _Heuristics:
    """trafilatura's title and htmldate's fast date search, each only when the page declares
    none, and a byline read for an undeclared author.  trafilatura's full metadata pass costs
    half as much again as the main-text extraction, mostly in its author search."""
    title = None if page.declares_title else extract_title(tree)
    date = (
        None if page.declares_date else find_date(tree, extensive_search=False, original_date=True)
    )
    author = None if page.declares_author else _byline(tree)
    return _Heuristics(title, date, author)


# Both select elements through their attribute nodes (``//@class[...]/..``): the same
# elements, in document order, as ``//*[contains(@class, ...)]``, which tests every element of
# the page; this tests only the attributes there are, in 60 % of the time.
_AUTHOR_LINKS = "//@rel[. = 'author']/.. | //@itemprop[. = 'author']/.."
_BYLINE = (
    "//@class[contains(., 'byline') or contains(., 'author-name') or "
    "contains(., 'author__name')]/.."
)


def _byline(tree: Any) -> str | None:
    """The names the page marks as its authors (``rel="author"``, ``itemprop="author"``:
    every one, as a story often has two), else the first byline's text; ``;`` between names,
    each short enough to be one."""
    names: list[str] = []
    for element in tree.xpath(_AUTHOR_LINKS):
        text = boilerplate.collapse_whitespace(" ".join(element.itertext()))
        if text and len(text) <= _MAX_BYLINE and text not in names:
            names.append(text)
    if names:
        return ";".join(names)
    for element in tree.xpath(_BYLINE):
        text = boilerplate.collapse_whitespace(" ".join(element.itertext()))
        if text and len(text) <= _MAX_BYLINE:
            return text
    return None


def main_text(tree: Any, url: str | None, *, fast: bool = True, recall: bool = False) -> list[str]:
    """trafilatura's main text as paragraphs.

    ``fast`` skips trafilatura's comparison of its result with its readability port and
    jusText: on the real dev pages that costs a third of the time and changes the text of
    two pages in a hundred — one where the fast run finds almost nothing (``_body`` then
    asks again without ``fast``), one where the comparison adds a comment thread.
    """
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=False,
        include_comments=False,
        include_images=False,
        favor_recall=recall,
        fast=fast,
    )
    return (document.text or "").splitlines() if isinstance(document, Document) else []


def _baseline_text(tree: Any) -> list[str]:
    """trafilatura's last resort: the page's ``<p>``-like text, or its whole body text."""
    return str(trafilatura.baseline(copy(tree))[1]).splitlines()


def clean_body(raw: list[str], title: str, furniture: Furniture) -> boilerplate.Cleaned:
    """Our cleaning of trafilatura's paragraphs, unless it would lose a large share of them.

    Over ``MAX_CLEANING_LOSS`` of the words gone means a rule misfired on a page it was not
    written for (a furniture class on the article wrapper, a caption pattern matching prose);
    then only a repeated headline and a leading dateline are dropped.
    """
    cleaned = boilerplate.clean_paragraphs(raw, title, furniture.rule)
    if cleaned.words >= (1 - MAX_CLEANING_LOSS) * boilerplate.word_count(" ".join(raw)):
        return cleaned
    return boilerplate.clean_paragraphs(raw, title, line_rules=False)


def fill_gaps(precise: list[str], fuller: list[str]) -> list[str]:
    """The precise run's paragraphs, plus those the fuller run finds *between* paragraphs the
    two share.

    Inside the stretch both runs call the article, a paragraph only the fuller run has is
    the article's own (one after an embedded photo or video, in a container the precise run
    left out); before the first shared paragraph and after the last, its extras are the
    video widgets, teasers and comment threads that readability-style extractors take in.
    When the runs share less than half of the precise run's words they disagree about where
    the article is, and the fuller run, plain trafilatura's own choice, is taken whole.
    """
    ours = [line for line in map(boilerplate.collapse_whitespace, precise) if line]
    theirs = [line for line in map(boilerplate.collapse_whitespace, fuller) if line]
    matcher = SequenceMatcher(None, ours, theirs, autojunk=False)
    blocks = [block for block in matcher.get_matching_blocks() if block.size]
    shared = sum(boilerplate.word_count(" ".join(ours[b.a : b.a + b.size])) for b in blocks)
    if not blocks or 2 * shared < boilerplate.word_count(" ".join(ours)):
        return theirs
    first, last = blocks[0].b, blocks[-1].b + blocks[-1].size
    merged: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        merged.extend(ours[i1:i2])
        if tag in ("insert", "replace") and first <= j1 and j2 <= last:
            merged.extend(theirs[j1:j2])
    return merged


def _linked_chars(element: Any) -> int:
    """Characters of the element's text that are inside its links (or itself, a link)."""
    return sum(len("".join(a.itertext())) for a in element.iter("a"))


def _mostly_links(element: Any, text: str) -> bool:
    """Whether the element's links hold most of ``text``, its text."""
    return 2 * _linked_chars(element) > len(text)


#: Elements whose content is not text a reader sees (code, an iframe's fallback markup, form
#: controls), as an XPath test of ``self``.
_UNSEEN_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "button",
    "select",
    "textarea",
)
_UNSEEN = " or ".join(f"self::{tag}" for tag in _UNSEEN_TAGS)


@dataclass(frozen=True)
class PageParagraph:
    """One paragraph of the page: its text (scripts left out) and the container it sits in,
    known by tag and class, or by identity when it has no class (a bare ``<div>`` names
    nothing). Most are ``<p>`` elements (``element``); a *loose* one is prose written
    straight into a container that holds ``<p>`` elements (``element`` is the container)."""

    text: str
    container: object
    element: Any

    @property
    def loose(self) -> bool:
        """Whether this is loose text rather than a ``<p>`` (no ``<p>`` holds another)."""
        return bool(self.element.tag != "p")

    @property
    def mostly_link(self) -> bool:
        """Whether links hold most of the text: a "read also" line or a list of headlines,
        which trafilatura leaves out on purpose (its link-density test), not prose. A loose
        run mostly of links is never made (`_loose_run`)."""
        return not self.loose and _mostly_links(self.element, self.text)

    @property
    def article(self) -> object:
        """The ``<article>`` element around the paragraph, if any (looked up only for the
        few paragraphs that need it)."""
        if self.element.tag == "article":  # a loose paragraph's container
            return self.element
        return next(self.element.iterancestors("article"), None)

    @classmethod
    def all_of(cls, tree: Any) -> list[PageParagraph]:
        """The page's ``<p>`` paragraphs, each without the text of elements a reader never
        sees as text and trafilatura deletes with their content (``_UNSEEN``)."""
        found = []
        hiding = set(tree.xpath(f"//p[.//*[{_UNSEEN}]]"))
        for element in tree.iter("p"):
            parent = element.getparent()
            if parent is None:
                continue
            if element in hiding:
                text = boilerplate.collapse_whitespace(
                    "".join(element.xpath(f".//text()[not(ancestor::*[{_UNSEEN}])]"))
                )
            else:
                text = boilerplate.collapse_whitespace("".join(element.itertext()))
            if text:
                found.append(cls(text, _container_key(parent), element))
        return found

    @classmethod
    def loose_in(cls, containers: Iterable[Any]) -> list[tuple[Any, PageParagraph]]:
        """The loose paragraphs of these containers, each with the element it follows (its
        container, for one that opens it): the prose-long runs of text written straight
        into a container of ``<p>`` elements. An HTML parser closes a ``<p>`` at the first
        block element inside it, so a lead written as ``<p><div>related stories</div>SAN
        FRANCISCO (AP) — ...</p>`` ends up as the box's tail, outside any paragraph, and
        trafilatura leaves it out with the box."""
        found = []
        for container in containers:
            if container.tag in _UNSEEN_TAGS:
                continue
            for text in container.xpath("text()[normalize-space()]"):
                run = _loose_run(text)
                if run is not None:
                    owner = text.getparent()
                    found.append((owner, cls(run, _container_key(container), container)))
        return found


def _container_key(element: Any) -> object:
    """How paragraphs name their container: tag and class, or the element itself."""
    names = _attr(element, "class")
    return (element.tag, names) if names else element


#: Elements that continue a line of text rather than start a block of their own.
_INLINE_TAGS = frozenset(
    {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "font", "i", "kbd"}
    | {"mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var"}
)


def _loose_run(text: Any) -> str | None:
    """The prose-long run of inline content a container's text node opens (its own text, or
    the tail of a child), or None: a text node that follows an inline element continues a
    run rather than opening one, a run ends at the next block element (or ``<br>``), and a
    run whose links hold most of its text is a line of headlines, not prose."""
    owner = text.getparent()
    if text.is_tail:
        if owner.tag in _INLINE_TAGS:
            return None
        following = owner.itersiblings()
    else:
        following = iter(owner)
    pieces = [str(text)]
    linked = 0
    for sibling in following:
        if sibling.tag not in _INLINE_TAGS:
            break
        pieces.extend(sibling.itertext())
        pieces.append(sibling.tail or "")
        linked += _linked_chars(sibling)
    run = boilerplate.collapse_whitespace("".join(pieces))
    if boilerplate.word_count(run) < PROSE_WORDS or 2 * linked > len(run):
        return None
    return run


#: How far above the first extracted paragraph a standfirst may sit: beside the paragraph,
#: its container, or the container's container (`_standfirst`).
_STANDFIRST_LEVELS = 3
_NOT_WORD = re.compile(r"\W+")
#: Characters compared from each end of a paragraph to tell whether trafilatura's text
#: already holds it.  trafilatura splits at ``<br>`` and spaces inline elements its own way,
#: so spaces are left out; it also decodes entities and drops soft hyphens, so a paragraph not
#: found so is looked for again by its letters and digits alone.
_MATCH_CHARS = 50


def _no_spaces(text: str) -> str:
    return "".join(text.split())


def _letters(text: str) -> str:
    return _NOT_WORD.sub("", text).casefold()


class _Finder:
    """Which of trafilatura's lines holds a page paragraph, by a key of both texts."""

    def __init__(self, lines: list[str], key: Callable[[str], str]) -> None:
        keys = [key(line) for line in lines]
        self.key = key
        self.starts = [0]
        for part in keys:
            self.starts.append(self.starts[-1] + len(part))
        self.joined = "".join(keys)

    def line_of(self, text: str) -> int | None:
        """The line holding the paragraph's start (or else its end), if any."""
        span = 3 * _MATCH_CHARS  # enough text for _MATCH_CHARS kept characters
        head = self.key(text[:span])[:_MATCH_CHARS]
        if not head:
            return None
        at = self.joined.find(head)
        if at < 0:
            at = self.joined.find(self.key(text[-span:])[-_MATCH_CHARS:])
        return bisect.bisect_right(self.starts, at) - 1 if at >= 0 else None


def continue_article(extracted: list[str], paragraphs: list[PageParagraph]) -> list[str]:
    """trafilatura's paragraphs plus the page's other paragraphs in the article's own
    containers, each where it stands.

    News sites split an article's body into several containers of the same kind around ads
    and embeds, and trafilatura keeps the first; inside a container it drops paragraphs it
    judges link-heavy (a linked sentence, a quoted tweet).  The article's containers are
    those of the extracted prose paragraphs (``PROSE_WORDS`` and more).  Their other
    paragraphs are added: every one between the first and last extracted paragraph; before
    and after, only prose (there, short lines are bylines, copyright lines and prompts) and
    only inside the same ``<article>`` element (a site that loads the next story below
    gives it its own).  The cleaning then judges them like any other paragraph.
    """
    if not extracted or not paragraphs:
        return extracted
    plain = _Finder(extracted, _no_spaces)
    lines = [plain.line_of(p.text) for p in paragraphs]
    containers: set[object] = set()
    articles: set[object] = set()
    for p, line in zip(paragraphs, lines, strict=True):
        # one prose paragraph names its container (and its <article>: a second <article>
        # sharing the container's class gets no prose added before or after the stretch)
        known = p.container in containers
        if line is not None and not known and boilerplate.word_count(p.text) >= PROSE_WORDS:
            containers.add(p.container)
            articles.add(p.article)
    chosen = _with_loose(
        [(p, line) for p, line in zip(paragraphs, lines, strict=True) if p.container in containers],
        plain,
    )
    if any(line is None for _, line in chosen):  # the few candidates, by letters alone
        loose = _Finder(extracted, _letters)
        chosen = [(p, loose.line_of(p.text) if line is None else line) for p, line in chosen]
    placed = [index for index, (_, line) in enumerate(chosen) if line is not None]
    if not placed:
        return extracted
    added: dict[int, list[str]] = {}
    after = -1  # the extracted line an added paragraph follows
    for index, (paragraph, line) in enumerate(chosen):
        if line is not None:
            after = max(after, line)
        elif (
            placed[0] < index < placed[-1]
            or (
                paragraph.article in articles
                and boilerplate.word_count(paragraph.text) >= PROSE_WORDS
            )
        ) and not paragraph.mostly_link:
            added.setdefault(after, []).append(paragraph.text)
    if not added:
        return extracted
    merged = list(added.get(-1, ()))
    for position, text in enumerate(extracted):
        merged.append(text)
        merged.extend(added.get(position, ()))
    return merged


def _with_loose(
    chosen: list[tuple[PageParagraph, int | None]], plain: _Finder
) -> list[tuple[PageParagraph, int | None]]:
    """``chosen`` with the loose paragraphs of its paragraphs' parents (`PageParagraph.
    loose_in`), in reading order, each with trafilatura's line that holds it, if any."""
    parents = dict.fromkeys(p.element.getparent() for p, _ in chosen)
    loose = PageParagraph.loose_in(parents)
    if not loose:
        return chosen
    # Rare (a few pages in a hundred): only then is the page's order worked out. A loose
    # paragraph follows the last element inside the one it follows (its container's start).
    order = {e: i for i, e in enumerate(chosen[0][0].element.getroottree().iter())}
    placed = [(float(order[p.element]), p, line) for p, line in chosen]
    for owner, paragraph in loose:
        opens = owner is paragraph.element
        last = order[owner] if opens else max(map(order.__getitem__, owner.iter()))
        placed.append((last + 0.5, paragraph, plain.line_of(paragraph.text)))
    return [(p, line) for _, p, line in sorted(placed, key=lambda item: item[0])]


class Runs:
    """trafilatura's runs over one page, each done at most once, in the order ``_body``
    tries them: ``first`` (the fast run, continued and gap-filled), ``full``, ``recall``,
    ``baseline``."""

    def __init__(self, tree: Any, url: str | None) -> None:
        self.tree, self.url = tree, url
        self._full: list[str] | None = None

    @cached_property
    def paragraphs(self) -> list[PageParagraph]:
        """The page's ``<p>`` elements (`PageParagraph.all_of`), read once."""
        return PageParagraph.all_of(self.tree)

    def first(self) -> list[str]:
        """The fast run, continued into the article's other containers; when the page's
        paragraphs still hold more than ``GAP_RATIO`` times its text, with the gaps filled
        from the full run."""
        paragraphs = self.paragraphs
        found = continue_article(main_text(self.tree, self.url), paragraphs)
        size = sum(map(len, found))
        if size and sum(len(p.text) for p in paragraphs) > GAP_RATIO * size:
            return fill_gaps(found, self.full())
        return found

    def full(self) -> list[str]:
        if self._full is None:
            self._full = main_text(self.tree, self.url, fast=False)
        return self._full

    def recall(self) -> list[str]:
        return main_text(self.tree, self.url, fast=False, recall=True)

    def baseline(self) -> list[str]:
        return _baseline_text(self.tree)


def _body(
    runs: Runs, title: str, furniture: Furniture, min_words: int, least: int
) -> boilerplate.Cleaned:
    """The cleaned main text: the first run (trafilatura's fast run, continued into the
    article's other containers and gap-filled), then trafilatura's full run (with its second
    extractors, a readability port and jusText), then its recall mode, then its baseline,
    stopping at the first that yields ``min_words``; a real article is never dropped as too
    short while one of them finds its text. When none does, the text is the first that
    yields ``least`` words (a wire flash: the later runs add only the page's headline and
    furniture to it), else the longest."""
    tried: list[boilerplate.Cleaned] = []
    for attempt in (runs.first, runs.full, runs.recall, runs.baseline):
        cleaned = clean_body(attempt(), title, furniture)
        if cleaned.words >= min_words:
            return cleaned
        tried.append(cleaned)
    return next((c for c in tried if c.words >= least), max(tried, key=lambda c: c.words))


def _descriptions(page: _PageMeta) -> list[str]:
    """The summaries the page declares (JSON-LD, Open Graph, ``<meta name="description">``),
    whitespace collapsed, first declared first, each once."""
    declared = (
        _ld_text(page.article_ld.get("description")),
        page.og.get("og:description"),
        page.meta.get("description"),
    )
    return list(dict.fromkeys(boilerplate.collapse_whitespace(d) for d in declared if d))


def _standfirst(
    paragraphs: list[PageParagraph], descriptions: list[str], kept: list[str]
) -> str | None:
    """The page's declared summary when the page prints it, as an element of its own, right
    before the container that opens with the extracted text, and the text lacks it: a
    standfirst (``<div class="article__lead">`` above ``<div class="article__body">``), the
    article's own lead, which trafilatura's precise run leaves out with its container.

    Only a prose-long summary counts, and only as the whole text of the element just before
    the first extracted paragraph or one of its ``_STANDFIRST_LEVELS`` nearest containers: a
    teaser elsewhere on the page (a share box, a card), or one worded otherwise than the
    declared summary, is left alone. Looked up from the first paragraph upwards, a few
    elements, not over the page's text.
    """
    summaries = {s for s in descriptions if boilerplate.word_count(s) >= PROSE_WORDS}
    if not kept or not summaries:
        return None
    opening = boilerplate.collapse_whitespace(kept[0])[:_MATCH_CHARS]
    first = next((p for p in paragraphs if p.text.startswith(opening)), None)
    if first is None:
        return None
    element = first.element
    for _ in range(_STANDFIRST_LEVELS):
        before = element.getprevious()
        while before is not None and not isinstance(before.tag, str):  # comments
            before = before.getprevious()
        if before is not None:
            text = boilerplate.collapse_whitespace("".join(before.itertext()))
            if text in summaries:
                return None if text in boilerplate.collapse_whitespace(" ".join(kept)) else text
        element = element.getparent()
        if element is None:
            break
    return None


def _space_glued_citations(tree: Any) -> None:
    """Give a ``<cite>`` glued to the word after it a space.

    News sites set datelines in a ``<cite>`` (``<cite>Hong Kong (CNN Business)</cite>A
    muddled view``) and space them with a style sheet, so a reader sees two words where the
    markup has one; a title of a work run into a letter is never prose either.
    """
    for cite in tree.iter("cite"):
        tail = cite.tail
        if tail and tail[0].isalnum() and "".join(cite.itertext())[-1:].strip():
            cite.tail = " " + tail


def _drop_headline_lists(tree: Any) -> None:
    """Remove the lists of headline links nested inside sentences, keeping the sentence.

    Some sites put a hover card inside the paragraph (``<span class="rollover-people">`` on
    The Hill: the person's full name, three of their latest headlines and "MORE") that a
    style sheet hides until the name is hovered; in the page's text it splits the sentence
    ("Gov. Kristi NoemKristi Lynn NoemSouth Dakota governor doubles down ... MORE (R) is
    defending").  The innermost element below the ``<p>`` that holds ``HEADLINE_LIST_LINKS``
    such links and is mostly link text is the list; the link in the sentence stays.
    """
    links = tree.xpath(_LONG_LINKS_IN_PARAGRAPHS)
    if len(links) < HEADLINE_LIST_LINKS:
        return
    headline_links = set(links)
    lists: list[Any] = []
    for link in links:
        for ancestor in link.iterancestors():
            if ancestor.tag == "p":
                break
            if sum(a in headline_links for a in ancestor.iter("a")) >= HEADLINE_LIST_LINKS:
                text = "".join(ancestor.itertext())
                if ancestor not in lists and _mostly_links(ancestor, text):
                    lists.append(ancestor)
                break
    for element in lists:
        element.drop_tree()


def _extract(
    html: bytes | str, url: str | None, encoding: str | None, min_words: int
) -> Extracted | Skipped:
    if isinstance(html, bytes):
        if len(html) > MAX_BYTES:
            return Skipped("too_large", f"{len(html)} bytes exceeds {MAX_BYTES}")
        text = decode_html(html, encoding)
        if text is None:
            return Skipped("binary", "a binary file signature or mostly control bytes")
    else:
        text = html
    if _binary_text(text):
        return Skipped("binary", "control characters in the decoded text")
    text = text.replace("\x00", "")
    if not text.strip():
        return Skipped("empty", "no content")
    if "<" not in text:
        return Skipped("not_html", "no markup in the document")
    tree = parse_html(text)
    if tree is None:
        return Skipped("empty", "no parsable HTML tree")
    _space_glued_citations(tree)
    _drop_headline_lists(tree)
    page = _read_meta(tree)
    furniture = Furniture.of(tree)
    hostname = urlsplit(url or page.og.get("og:url") or "").hostname or ""
    fallback = _heuristic_metadata(tree, page)
    title = _title(page, fallback.title, hostname)
    runs = Runs(tree, url)
    least = min(min_words, FLASH_MIN_WORDS) if page.declares_dated_article else min_words
    cleaned = _body(runs, title, furniture, min_words, least)
    lead = _standfirst(runs.paragraphs, _descriptions(page), cleaned.kept)
    if lead is not None:
        cleaned = boilerplate.Cleaned(
            [lead, *cleaned.kept], cleaned.removed, cleaned.words + boilerplate.word_count(lead)
        )
    if not cleaned.kept:
        return Skipped("empty", "no main text found")
    reason = _not_article(page, cleaned.kept)
    if reason is not None:
        return Skipped("not_article", reason)
    if cleaned.words < least:
        return Skipped("too_short", f"{cleaned.words} words, fewer than {least}")
    body = "\n\n".join(cleaned.kept)

    site_names = {name.casefold() for name in (page.og.get("og:site_name"), hostname) if name}
    base = url or page.og.get("og:url")
    description = (
        _ld_text(page.article_ld.get("description"))
        or page.og.get("og:description")
        or page.meta.get("description")
        or None
    )
    return Extracted(
        title=title,
        text=body,
        published=_published(page, fallback.date),
        authors=_authors(page, fallback.author, site_names),
        language=_language(page, body),
        canonical_url=_absolute(page.canonical, base) or _absolute(page.og.get("og:url"), base),
        description=boilerplate.collapse_whitespace(description) if description else None,
    )


def extract(
    html: bytes | str,
    url: str | None = None,
    *,
    encoding: str | None = None,
    min_words: int = DEFAULT_MIN_WORDS,
) -> Extracted | Skipped:
    """Extract the article of one page; never raises on bad input.

    ``encoding`` is the charset from the HTTP ``Content-Type`` header, if any.  Whatever goes
    wrong inside the parsers becomes ``Skipped("unparsable", ...)`` so one hostile page cannot
    stop a crawl.
    """
    try:
        return _extract(html, url, encoding, min_words)
    except Exception as error:  # trafilatura/lxml failures on hostile markup are data, not bugs
        return Skipped("unparsable", f"{type(error).__name__}: {error}")
