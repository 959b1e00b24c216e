"""A bad-input web: one outlet whose feeds, sitemaps and section page lead a crawler into every
kind of broken or hostile answer the open web can give, and a second outlet it must never reach.

Each case carries the outcome the crawler owes it (`Expect`), so the reliability tests read
their expectations from here instead of hard-coding them.  Article texts are the demo's own
on-topic articles, so a page that is served badly but decoded right must be stored, and the
text stored must equal what the same page served correctly extracts to (`Case.clean_html`).
"""

from __future__ import annotations

import enum
import json
import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from html import escape

from demoweb import feeds
from demoweb.content import ArticleSpec, load_articles
from demoweb.faults import ConnectionReset, EndlessChunked, Flaky, Huge, ShortBody, Stall
from demoweb.model import OutletSite, PageInfo, Resource, Role, Web, placeholder_origin

OUTLET = "hostile"
ELSEWHERE = "elsewhere"
HOSTILE_IP = "127.0.66.1"
ELSEWHERE_IP = "127.0.66.2"
#: What a hostile page may try to reach; none of it may ever be contacted or read.
FORBIDDEN_URLS = (
    "file:///etc/passwd",
    "http://10.0.0.1/admin",
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "http://2852039166/latest/meta-data/",  # 169.254.169.254 as one decimal number
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://localhost:22/",
)
SITEMAP_ENTRIES = 50_000
GZIP_BOMB_BYTES = 64 * 1024 * 1024  # past discovery's 50 MB cap
DISALLOWED_PATH = "/search/putin-xi-talks"
ARTICLE_PATTERN = r"^https?://[^/]+/(?:news|search)/"
_HTML = "text/html; charset=utf-8"
_OLD = datetime(2020, 3, 1, tzinfo=UTC)


class Expect(enum.StrEnum):
    STORED = "stored"  # stored; the text equals the extraction of `clean_html`
    STORED_OR_SKIPPED = "stored_or_skipped"  # a damaged page: either is a clear outcome
    SKIPPED = "skipped"  # a skipped_pages row with `reason`
    FAILED = "failed"  # counted in the run stats as failed/`reason` and logged with its URL
    NOT_FOLLOWED = "not_followed"  # never fetched at all (robots.txt, a redirect off the site)
    READ = "read"  # a discovery document that must be read once and not loop


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    expect: Expect
    reason: str = ""
    clean_html: bytes | None = None
    requests: int | None = None  # exact number of requests the server must see, if it matters


@dataclass(frozen=True)
class HostileWeb:
    web: Web
    cases: tuple[Case, ...]

    def case(self, name: str) -> Case:
        return next(case for case in self.cases if case.name == name)

    def select(self, *expects: Expect) -> list[Case]:
        return [case for case in self.cases if case.expect in expects]


def _resource(body: bytes, content_type: str, status: int = 200) -> Resource:
    return Resource(status, (("Content-Type", content_type),), body)


def article_html(
    spec: ArticleSpec, *, meta_charset: str | None = "utf-8", extra: tuple[str, ...] = ()
) -> str:
    """A plain, well-formed article page that declares itself a NewsArticle."""
    title = spec.text.title
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": title,
        "datePublished": spec.published.isoformat(),
        "inLanguage": spec.language,
    }
    meta = f'<meta charset="{meta_charset}">' if meta_charset else ""
    paragraphs = "".join(f"<p>{escape(p)}</p>\n" for p in (*spec.text.paragraphs, *extra))
    return (
        f'<!DOCTYPE html><html lang="{spec.language}"><head>{meta}<title>{escape(title)}</title>'
        f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>'
        f"</head><body><article><h1>{escape(title)}</h1>\n{paragraphs}</article></body></html>"
    )


def malformed_html(spec: ArticleSpec) -> str:
    """Tag soup: unclosed and misnested tags, stray closers, bare ampersands, junk brackets."""
    parts = [
        f"<html><head><title>{escape(spec.text.title)}</title><body><div class=main <article>",
        f"<h1>{escape(spec.text.title)}</h2>",
    ]
    for n, text in enumerate(spec.text.paragraphs):
        junk = ("</div></span>", "<b><i>", "</b></i>", "</td></tr>", "<br></br></br>", "<p <p")[
            n % 6
        ]
        parts.append(f"<p>{escape(text)} {junk}")
    return "\n".join(parts)


def _articles(language: str) -> Iterator[ArticleSpec]:
    return iter(a for a in load_articles() if a.language == language and a.role == Role.ARTICLE)


def _first_of_their_kind(language: str, *, skip: int) -> Iterator[ArticleSpec]:
    """Articles past the first `skip` whose text no earlier one had (wire copies repeat texts,
    and an exact duplicate is collapsed rather than stored under its own URL)."""
    seen: set[str] = set()
    for n, spec in enumerate(_articles(language)):
        if n >= skip and spec.text.title not in seen:
            yield spec
        seen.add(spec.text.title)


MIXED_PARAGRAPH = (
    "Reactions quoted in three scripts: «Россия и Китай — стратегические партнёры», "
    "“中俄关系处于历史最高水平”, and «روسيا والصين شريكان» — all from the same briefing."
)


def _stored_cases() -> Iterator[tuple[Case, Resource]]:
    ru, zh, it, en = (_articles(lang) for lang in ("ru", "zh", "it", "en"))
    for name, spec, codec, content_type, meta in (
        ("cp1251_served_as_utf8", next(ru), "cp1251", _HTML, "utf-8"),
        ("cp1251_without_charset", next(ru), "cp1251", "text/html", None),
        ("gb18030_without_charset", next(zh), "gb18030", "text/html", None),
        ("gb18030_served_as_utf8", next(zh), "gb18030", _HTML, "utf-8"),
        ("latin1_served_as_utf8", next(it), "latin-1", _HTML, "utf-8"),
    ):
        clean = article_html(spec).encode()
        body = article_html(spec, meta_charset=meta).encode(codec)
        yield (
            Case(name, f"/news/{name}", Expect.STORED, clean_html=clean),
            _resource(body, content_type),
        )
    mixed = article_html(next(en), extra=(MIXED_PARAGRAPH,)).encode()
    yield (
        Case("mixed_scripts", "/news/mixed_scripts", Expect.STORED, clean_html=mixed),
        _resource(mixed, _HTML),
    )
    soup = next(en)
    yield (
        Case(
            "malformed_html",
            "/news/malformed_html",
            Expect.STORED,
            clean_html=article_html(soup).encode(),
        ),
        _resource(malformed_html(soup).encode(), _HTML),
    )
    whole = article_html(next(en)).encode()
    yield (
        Case("truncated_html", "/news/truncated_html", Expect.STORED_OR_SKIPPED),
        _resource(whole[: len(whole) * 3 // 5], _HTML),
    )
    for name, status, headers in (
        ("flaky_500", 500, ()),
        ("flaky_503", 503, (("Retry-After", "0"),)),
        ("flaky_429", 429, (("Retry-After", "1"),)),
    ):
        clean = article_html(next(en)).encode()
        fault = Flaky(status=status, fault_headers=headers, then=_resource(clean, _HTML))
        yield Case(name, f"/news/{name}", Expect.STORED, clean_html=clean, requests=2), fault


def _failing_cases() -> Iterator[tuple[Case, Resource]]:
    rng = random.Random(6)
    png = b"\x89PNG\r\n\x1a\n" + rng.randbytes(20_000)
    yield (
        Case("no_text", "/news/no_text", Expect.SKIPPED, "empty"),
        _resource(
            b"<!DOCTYPE html><html><head><title></title></head><body><div></div></body></html>",
            _HTML,
        ),
    )
    yield (
        Case("binary_as_html", "/news/binary_as_html", Expect.SKIPPED, "binary"),
        _resource(png, _HTML),
    )
    yield (
        Case("random_bytes", "/news/random_bytes", Expect.SKIPPED),
        _resource(rng.randbytes(50_000), _HTML),
    )
    retried = 3  # RETRY_TIMES = 2 in crawler.settings: one request and two retries
    for name, status, headers, tries in (
        ("http_404", 404, (), 1),
        ("http_410", 410, (), 1),
        ("http_429_forever", 429, (("Retry-After", "3600"),), retried),
        ("http_503_forever", 503, (("Retry-After", "0"),), retried),
    ):
        fault = Flaky(status=status, fault_headers=headers, failures=10**9)
        yield (
            Case(name, f"/news/{name}", Expect.FAILED, f"article_http_{status}", requests=tries),
            fault,
        )
    # Twisted also retries a reset request on its own, so the request count is not fixed.
    yield (
        Case("connection_reset", "/news/connection_reset", Expect.FAILED, "article"),
        (ConnectionReset()),
    )
    yield (
        Case("short_body", "/news/short_body", Expect.FAILED, "article"),
        ShortBody(body=b"<html><body><p>Putin and Xi spoke on the phone" + b" again" * 100),
    )
    yield Case("huge_50mb", "/news/huge_50mb", Expect.FAILED, "article"), Huge()
    yield (
        Case("endless_chunked", "/news/endless_chunked", Expect.FAILED, "article"),
        (EndlessChunked()),
    )
    bomb = b"<html><body>" + b"<p>Putin Xi</p>" * (50 * 1024 * 1024 // 15) + b"</body></html>"
    yield (
        Case("gzip_bomb_page", "/news/gzip_bomb_page", Expect.FAILED, "article"),
        _resource(bomb, _HTML),
    )
    yield (
        Case("redirect_loop", "/news/redirect_loop", Expect.FAILED, "article", requests=1),
        _redirect("/news/redirect_loop_b"),
    )
    yield (
        Case("redirect_loop_b", "/news/redirect_loop_b", Expect.READ, requests=1),
        _redirect("/news/redirect_loop"),
    )
    yield (
        Case("redirect_offsite", "/news/redirect_offsite", Expect.FAILED, "article"),
        _redirect(placeholder_origin(ELSEWHERE) + "/news/landing"),
    )
    for name, target in (
        ("redirect_metadata", FORBIDDEN_URLS[2]),
        ("redirect_private", FORBIDDEN_URLS[1]),
        ("redirect_file", FORBIDDEN_URLS[0]),
    ):
        yield Case(name, f"/news/{name}", Expect.FAILED, "article", requests=1), _redirect(target)
    yield (
        Case("robots_disallowed", DISALLOWED_PATH, Expect.NOT_FOLLOWED, requests=0),
        _resource(b"<html><body>search results</body></html>", _HTML),
    )


def build_timeout_web(stall_seconds: float = 20.0) -> HostileWeb:
    """An outlet with one page whose server never answers and one good page.  Kept apart from
    `build_hostile_web` because only a short DOWNLOAD_TIMEOUT keeps a crawl of it quick."""
    good = article_html(next(_articles("en"))).encode()
    return _one_fault_web(
        (Case("stall", "/news/stall", Expect.FAILED, "article"), Stall(seconds=stall_seconds)),
        (
            Case("after_stall", "/news/after_stall", Expect.STORED, clean_html=good),
            _resource(good, _HTML),
        ),
    )


def build_flaky_web(
    status: int, failures: int, retry_after: str | None = None, others: int = 4
) -> HostileWeb:
    """An outlet whose page `/news/flaky` answers `status` (with `Retry-After` when given)
    `failures` times before it serves its article, and `others` good pages: what a crawl
    must ride out (Retry-After) or come back for (more failures than its retries)."""
    fresh = _first_of_their_kind("en", skip=0)
    flaky = article_html(next(fresh)).encode()
    headers = (("Retry-After", retry_after),) if retry_after is not None else ()
    recovers = Flaky(
        status=status, failures=failures, fault_headers=headers, then=_resource(flaky, _HTML)
    )
    cases: list[tuple[Case, Resource]] = []
    for n in range(others):
        good = article_html(next(fresh)).encode()
        cases.append(
            (
                Case(f"good_{n}", f"/news/good_{n}", Expect.STORED, clean_html=good),
                _resource(good, _HTML),
            )
        )
    # Listed between the good pages: whatever order a crawler takes the listing in, some
    # of them are still to be fetched when the flaky page fails.
    middle = (Case("flaky", "/news/flaky", Expect.STORED, "article", clean_html=flaky), recovers)
    cases.insert(len(cases) // 2, middle)
    return _one_fault_web(*cases)


def _one_fault_web(*cases: tuple[Case, Resource]) -> HostileWeb:
    """The hostile outlet with just these pages, listed in one feed."""
    origin = placeholder_origin(OUTLET)
    entries = [
        feeds.Entry(
            origin + case.path, "Putin and Xi talks", datetime(2022, 6, 15, tzinfo=UTC), "en"
        )
        for case, _ in cases
    ]
    rss = feeds.rss(
        title="Misbehaving",
        link=origin + "/",
        self_url=origin + "/rss/main.xml",
        language="en",
        entries=entries,
    )
    resources = {case.path: res for case, res in cases}
    resources["/rss/main.xml"] = _resource(rss, "application/xml")
    site = _outlet(OUTLET, HOSTILE_IP, resources, feeds_=("/rss/main.xml",))
    return HostileWeb(Web(day=1, outlets=(site,), pages=()), tuple(case for case, _ in cases))


def _outlet(
    name: str,
    ip: str,
    resources: dict[str, Resource],
    *,
    feeds_: tuple[str, ...] = (),
    sitemaps: tuple[str, ...] = (),
    sections: tuple[str, ...] = (),
) -> OutletSite:
    return OutletSite(
        name=name,
        title=name.title(),
        ip=ip,
        languages=("en", "ru", "zh", "it"),
        feeds=feeds_,
        sitemaps=sitemaps,
        sections=sections,
        article_patterns=(ARTICLE_PATTERN,),
        exclude_patterns=(),
        resources=resources,
    )


def _redirect(location: str) -> Resource:
    return Resource(302, (("Location", location), ("Content-Type", _HTML)), b"")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title>
<link>ORIGIN/news/laughs</link></item></channel></rss>"""

XXE_FEED = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>Leak</title><item><title>Putin and Xi &xxe;</title>
<link>ORIGIN/news/xxe?leak=&xxe;</link><description>&xxe;</description></item></channel></rss>"""

XXE_SITEMAP = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>ORIGIN/news/&xxe;</loc></url>
</urlset>"""


@cache
def _gzip_bomb(size: int) -> bytes:
    """A gzip member that inflates to `size` bytes of a sitemap's opening and then blanks."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = [
        packer.compress(
            b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        )
    ]
    block = b" " * (1024 * 1024)
    out += [packer.compress(block) for _ in range(size // len(block))]
    out.append(packer.flush())
    return b"".join(out)


def _discovery(origin: str, listed: list[tuple[Case, str]]) -> Iterator[tuple[Case, Resource]]:
    xml = "application/xml"
    entries = [
        feeds.Entry(origin + case.path, title, datetime(2022, 6, 15, tzinfo=UTC), "en")
        for case, title in listed
    ]
    rss = feeds.rss(
        title="Hostile",
        link=origin + "/",
        self_url=origin + "/rss/main.xml",
        language="en",
        entries=entries,
    )
    yield Case("feed_main", "/rss/main.xml", Expect.READ, requests=1), _resource(rss, xml)
    here = origin.encode()
    # Broken halfway: the entries before the break are still listed.
    broken = rss[: len(rss) // 2] + b"<item><<</channel>"
    yield (
        Case("feed_invalid_xml", "/rss/invalid.xml", Expect.READ, requests=1),
        _resource(broken, xml),
    )
    for name, path, body in (
        ("feed_billion_laughs", "/rss/laughs.xml", BILLION_LAUGHS.replace(b"ORIGIN", here)),
        ("feed_xxe", "/rss/xxe.xml", XXE_FEED.replace(b"ORIGIN", here)),
        ("sitemap_xxe", "/sitemap-xxe.xml", XXE_SITEMAP.replace(b"ORIGIN", here)),
        ("sitemap_not_xml", "/sitemap-html.xml", b"<html><body>Not found</body></html>"),
    ):
        yield Case(name, path, Expect.FAILED, "discovery", requests=1), _resource(body, xml)
    yield (
        Case("sitemap_gzip_bomb", "/sitemap.xml.gz", Expect.FAILED, "discovery", requests=1),
        (_resource(_gzip_bomb(GZIP_BOMB_BYTES), "application/x-gzip")),
    )
    index = feeds.sitemap_index(
        [(origin + "/sitemap-self.xml", None), (origin + "/sitemap-loop.xml", None)]
    )
    loop = feeds.sitemap_index([(origin + "/sitemap-self.xml", None)])
    yield (
        Case("sitemap_self_index", "/sitemap-self.xml", Expect.READ, requests=1),
        (_resource(index, xml)),
    )
    yield (
        Case("sitemap_loop_index", "/sitemap-loop.xml", Expect.READ, requests=1),
        (_resource(loop, xml)),
    )
    big = feeds.urlset(
        [
            feeds.Entry(f"{origin}/news/archive/{n:05d}", "", _OLD, "en")
            for n in range(SITEMAP_ENTRIES)
        ],
        kind="lastmod",
    )
    yield Case("sitemap_50k", "/sitemap-50k.xml", Expect.READ, requests=1), (_resource(big, xml))


#: Sections that answer with no page at all: each is a failed listing, never "0 links".
BROKEN_SECTIONS = ("/world/png", "/world/empty")


def _recoverable(origin: str) -> Iterator[tuple[Case, Resource]]:
    """Listings that are broken but readable, each the only way to an article of its own.

    A legacy-encoded feed declared only in HTTP, a windows-1252 feed, a feed with a bare
    ``&``, an undefined and a harmless internal entity and a corrupted link, a sitemap cut
    off mid-download, a text sitemap, and a sitemap of relative, wrapped and bad ``<loc>``s.
    The entry cut off mid-URL must never be fetched as the fragment that arrived.
    """
    fresh = _first_of_their_kind("en", skip=6)  # `_stored_cases` serves the first six
    for name in (
        "from_big5_feed",
        "from_sloppy_feed",
        "from_cut_urlset",
        "from_text_list",
        "from_relative_loc",
        "from_wrapped_loc",
    ):
        page = article_html(next(fresh)).encode()
        yield (
            Case(name, f"/news/{name}", Expect.STORED, clean_html=page),
            _resource(page, _HTML),
        )
    url = origin + "/news/"
    item = "<item><title>{}</title><link>{}</link></item>"
    big5 = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>\u4e2d\u6587</title>'
        + item.format("Putin and Xi talks: \u4e2d\u4fc4\u6703\u8ac7", url + "from_big5_feed")
        + "</channel></rss>"
    ).encode("big5")
    cp1252 = (
        '<rss version="2.0"><channel><title>Caf\u00e9 \u00abnews\u00bb</title>'
        + item.format("Putin and Xi talks \u2014 r\u00e9sum\u00e9", url + "mixed_scripts")
        + "</channel></rss>"
    ).encode("cp1252")
    sloppy = (
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY desk "Hostile desk">]>'
        '<rss version="2.0"><channel><title>&desk; & friends &bogus;</title>'
        + item.format("Putin & Xi talks &bogus; &desk;", url + "from_sloppy_feed")
        + item.format("Corrupted", "http://[::1/broken")
        + "</channel></rss>"
    ).encode()
    loc = "<url><loc>{}</loc></url>"
    cut = (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + loc.format(url + "from_cut_urlset")
        + loc.format(url + "from_cut_off_story")[: -len("_off_story</loc></url>")]
    ).encode()
    text = f"{url}from_text_list\n\n# not a URL\n".encode()
    locs = (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + loc.format("/news/from_relative_loc")
        + loc.format(f"\n   {url}from_\n      wrapped_loc\n  ")
        + loc.format("ftp://example.org/news/x")
        + "</urlset>"
    ).encode()
    xml = "application/xml"
    for name, path, body, content_type in (
        ("feed_big5_http_charset", "/rss/big5.xml", big5, "text/xml; charset=big5"),
        ("feed_windows_1252", "/rss/cp1252.xml", cp1252, "text/xml; charset=windows-1252"),
        ("feed_sloppy", "/rss/sloppy.xml", sloppy, xml),
        ("sitemap_truncated", "/sitemap-cut.xml", cut, xml),
        ("sitemap_text", "/sitemap.txt", text, "text/plain"),
        ("sitemap_sloppy_locs", "/sitemap-locs.xml", locs, xml),
    ):
        yield Case(name, path, Expect.READ, requests=1), _resource(body, content_type)
    yield (
        Case("cut_off_entry", "/news/from_cut", Expect.NOT_FOLLOWED, requests=0),
        _resource(b"<html><body>never</body></html>", _HTML),
    )
    png = b"\x89PNG\r\n\x1a\n" + random.Random(12).randbytes(2_000)
    for name, path, body in zip(
        ("section_png", "section_empty"), BROKEN_SECTIONS, (png, b""), strict=True
    ):
        yield Case(name, path, Expect.FAILED, "discovery", requests=1), _resource(body, _HTML)


def _section(origin: str, cases: list[Case]) -> bytes:
    links = [origin + case.path for case in cases]
    links += [*FORBIDDEN_URLS, placeholder_origin(ELSEWHERE) + "/news/landing"]
    items = "".join(
        f'<li><a href="{escape(url)}">Putin and Xi: {n}</a></li>' for n, url in enumerate(links)
    )
    return (
        f"<!DOCTYPE html><html lang=en><head><title>World</title></head><body><ul>{items}</ul>"
        '<iframe src="file:///etc/passwd"></iframe></body></html>'
    ).encode()


def build_hostile_web() -> HostileWeb:
    """The bad-input web: the hostile outlet and the `elsewhere` outlet it tries to send us to."""
    origin = placeholder_origin(OUTLET)
    pairs = [*_stored_cases(), *_failing_cases()]
    titles = [
        (case, f"Putin and Xi talks: {case.name.replace('_', ' ')}")
        for case, _ in pairs
        if case.path.startswith(("/news/", "/search/")) and case.name != "redirect_loop_b"
    ]
    pairs += [*_discovery(origin, titles), *_recoverable(origin)]
    resources = {case.path: res for case, res in pairs}
    section_cases = [case for case, _ in titles]
    resources["/world/"] = _resource(_section(origin, section_cases), _HTML)
    sitemaps = tuple(case.path for case, _ in pairs if "sitemap" in case.name)
    robots = feeds.robots([origin + path for path in sitemaps], ("/search",))
    resources["/robots.txt"] = _resource(robots, "text/plain")
    feeds_ = tuple(case.path for case, _ in pairs if case.name.startswith("feed_"))
    hostile = _outlet(
        OUTLET,
        HOSTILE_IP,
        resources,
        feeds_=feeds_,
        sitemaps=sitemaps,
        sections=("/world/", *BROKEN_SECTIONS),
    )
    landing = article_html(next(_articles("en"))).encode()
    elsewhere = _outlet(ELSEWHERE, ELSEWHERE_IP, {"/news/landing": _resource(landing, _HTML)})
    pages = tuple(
        PageInfo(
            OUTLET,
            case.path,
            Role.ARTICLE if case.expect == Expect.STORED else Role.NON_ARTICLE,
            "en",
            case.name,
            None,
        )
        for case, _ in pairs
    )
    web = Web(day=1, outlets=(hostile, elsewhere), pages=pages)
    return HostileWeb(web, tuple(case for case, _ in pairs))


__all__ = [
    "BROKEN_SECTIONS",
    "ELSEWHERE",
    "FORBIDDEN_URLS",
    "OUTLET",
    "Case",
    "Expect",
    "HostileWeb",
    "article_html",
    "build_hostile_web",
    "build_timeout_web",
]
