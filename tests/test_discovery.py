"""Feed, sitemap, robots.txt and section-page discovery, including hostile XML."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from crawler.discovery import (
    MAX_XML_BYTES,
    DiscoveryError,
    Link,
    homepage_hints,
    parse_date,
    parse_feed,
    parse_sitemap,
    robots_sitemaps,
    section_links,
    within_lookback,
)

BASE = "https://news.example.com/feeds/world.xml"

RSS = b"""\xef\xbb\xbf
<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
 <channel>
  <title>World</title>
  <item>
   <title>Xi &amp; Putin&nbsp;talk &lt;b&gt;security&lt;/b&gt;</title>
   <link>/2022/06/15/xi-putin.html?utm_source=rss#top</link>
   <pubDate>Wed, 15 Jun 2022 10:00:00 +0300</pubDate>
  </item>
  <item>
   <title><![CDATA[Second <i>story</i>]]></title>
   <guid isPermaLink="true">https://news.example.com/b</guid>
   <dc:date>2022-06-15T10:00:00Z</dc:date>
  </item>
  <item><title>No date</title><link>https://news.example.com/c</link></item>
  <item><title>Script link</title><link>javascript:alert(1)</link></item>
  <item><title>Not a permalink</title><guid isPermaLink="false">tag:abc</guid></item>
 </channel>
</rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://atom.example.org/news/">
  <title>Atom</title>
  <entry>
    <title type="html">Lavrov &amp;amp; Wang Yi meet</title>
    <link rel="self" href="https://atom.example.org/api/1"/>
    <link rel="alternate" type="text/html" href="2022/lavrov-wang"/>
    <updated>2022-06-16T08:00:00+02:00</updated>
    <published>2022-06-15T08:00:00+02:00</published>
  </entry>
  <entry>
    <title>Updated only</title>
    <link href="https://atom.example.org/x"/>
    <updated>2022-06-14</updated>
  </entry>
</feed>"""

RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://rdf.example.net/"><title>RDF</title></channel>
  <item rdf:about="https://rdf.example.net/a">
    <title>RDF item</title><link>https://rdf.example.net/a</link>
    <dc:date>2022-06-15T12:00:00+00:00</dc:date>
  </item>
</rdf:RDF>"""

SITEMAP_INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://news.example.com/sitemap-2022-06.xml.gz</loc>
    <lastmod>2022-06-15T00:00:00Z</lastmod></sitemap>
  <sitemap><loc>/sitemap-news.xml</loc></sitemap>
</sitemapindex>"""

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url>
    <loc>https://news.example.com/2022/06/15/xi-putin-call</loc>
    <lastmod>2022-06-16</lastmod>
    <news:news>
      <news:publication><news:name>Example</news:name><news:language>en</news:language>
      </news:publication>
      <news:publication_date>2022-06-15T17:20:00+08:00</news:publication_date>
      <news:title>Xi tells Putin China will support Russia</news:title>
    </news:news>
    <image:image><image:loc>https://news.example.com/i.jpg</image:loc></image:image>
  </url>
  <url><loc>https://news.example.com/about</loc><lastmod>2021-01</lastmod></url>
  <url><loc>https://news.example.com/undated</loc></url>
</urlset>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<rss><channel><item><title>&lol3;</title><link>https://x.example/a</link></item></channel></rss>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://x.example/&xxe;</loc></url>
</urlset>"""


def test_rss() -> None:
    listing = parse_feed(RSS, BASE)
    links = listing.links
    assert [link.url for link in links] == [
        "https://news.example.com/2022/06/15/xi-putin.html?utm_source=rss",
        "https://news.example.com/b",
        "https://news.example.com/c",
    ]
    assert links[0].title == "Xi & Putin talk security"
    assert links[0].published == datetime(2022, 6, 15, 7, 0, tzinfo=UTC)
    assert links[1].title == "Second story"
    assert links[1].published == datetime(2022, 6, 15, 10, 0, tzinfo=UTC)
    assert links[2].published is None
    assert {link.source for link in links} == {"rss"}
    assert listing.dropped == {"not_http": 1, "no_link": 1}
    assert listing.found == 5


def test_atom_prefers_published_and_honours_xml_base() -> None:
    first, second = parse_feed(ATOM, "https://atom.example.org/feed").links
    assert first == Link(
        "https://atom.example.org/news/2022/lavrov-wang",
        "Lavrov & Wang Yi meet",
        datetime(2022, 6, 15, 6, 0, tzinfo=UTC),
        "atom",
    )
    assert second.url == "https://atom.example.org/x"
    assert second.published == datetime(2022, 6, 14, tzinfo=UTC)


def test_rdf() -> None:
    (link,) = parse_feed(RDF, "https://rdf.example.net/rss").links
    assert link.url == "https://rdf.example.net/a"
    assert link.published == datetime(2022, 6, 15, 12, tzinfo=UTC)


def test_feedburner_origlink_names_the_article() -> None:
    body = b"""<rss xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel><item>
      <link>https://feeds.example.net/~r/news/~3/abc/</link>
      <feedburner:origLink>https://news.example.com/2022/06/15/a</feedburner:origLink>
    </item></channel></rss>"""
    (link,) = parse_feed(body, BASE).links
    assert link.url == "https://news.example.com/2022/06/15/a"


def test_undeclared_namespace_prefix_is_tolerated() -> None:
    body = (
        b"<rss><channel><item><link>https://x.example/a</link>"
        b"<dc:date>2022-06-15</dc:date><media:thumbnail url='x'/></item></channel></rss>"
    )
    (link,) = parse_feed(body, "https://x.example/").links
    assert link.published == datetime(2022, 6, 15, tzinfo=UTC)


def test_feed_parser_rejects_a_sitemap() -> None:
    with pytest.raises(DiscoveryError, match="not an RSS or Atom feed"):
        parse_feed(NEWS_SITEMAP, BASE)


def test_sitemap_index() -> None:
    sitemap = parse_sitemap(SITEMAP_INDEX, "https://news.example.com/sitemap.xml")
    assert sitemap.links == []
    assert [child.url for child in sitemap.children] == [
        "https://news.example.com/sitemap-2022-06.xml.gz",
        "https://news.example.com/sitemap-news.xml",
    ]
    assert sitemap.children[0].published == datetime(2022, 6, 15, tzinfo=UTC)


def test_news_sitemap_reads_nested_news_fields() -> None:
    sitemap = parse_sitemap(NEWS_SITEMAP, "https://news.example.com/sitemap-news.xml")
    news, about, undated = sitemap.links
    assert news.source == "news-sitemap"
    assert news.title == "Xi tells Putin China will support Russia"
    assert news.published == datetime(2022, 6, 15, 9, 20, tzinfo=UTC)
    jan = datetime(2021, 1, 1, tzinfo=UTC)
    assert about == Link("https://news.example.com/about", None, jan, "sitemap")
    assert undated.published is None
    assert sitemap.children == []


def test_gzipped_sitemap() -> None:
    sitemap = parse_sitemap(gzip.compress(NEWS_SITEMAP), "https://news.example.com/s.xml.gz")
    assert len(sitemap.links) == 3


def test_a_sitemap_cut_short_keeps_the_entries_it_closed() -> None:
    cut = NEWS_SITEMAP.index(b"undated") + 3  # inside the last <loc>
    for body in (NEWS_SITEMAP[:cut], gzip.compress(NEWS_SITEMAP)[:-20]):
        sitemap = parse_sitemap(body, "https://news.example.com/s.xml")
        assert [link.url for link in sitemap.links] == [
            "https://news.example.com/2022/06/15/xi-putin-call",
            "https://news.example.com/about",
        ]
        assert sitemap.dropped == {"truncated": 1}


def test_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * (MAX_XML_BYTES + 1024) + b"</urlset>")
    assert len(bomb) < 100_000
    with pytest.raises(DiscoveryError, match="gzip bomb"):
        parse_sitemap(bomb, "https://x.example/s.xml.gz")


@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE])
def test_entity_declarations_are_refused(body: bytes) -> None:
    with pytest.raises(DiscoveryError, match="nested or oversized XML entities") as info:
        parse_feed(body, BASE) if b"rss" in body else parse_sitemap(body, BASE)
    assert "root:" not in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"<html><body>not xml",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
        b"Not Found",
        b"\x1f\x8b\x08\x00garbage",
    ],
)
def test_invalid_xml_raises_one_sentence(body: bytes) -> None:
    with pytest.raises(DiscoveryError) as info:
        parse_sitemap(body, BASE)
    assert str(info.value).endswith(".")


def test_a_feed_in_a_sitemap_s_place_is_read_as_one() -> None:
    assert parse_sitemap(RSS, BASE) == parse_feed(RSS, BASE)
    assert len(parse_sitemap(gzip.compress(ATOM), BASE).links) == 2


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Wed, 15 Jun 2022 10:00:00 GMT", datetime(2022, 6, 15, 10, tzinfo=UTC)),
        ("Wed, 15 Jun 2022 10:00:00 -0500", datetime(2022, 6, 15, 15, tzinfo=UTC)),
        ("2022-06-15T10:00:00.000+0000", datetime(2022, 6, 15, 10, tzinfo=UTC)),
        ("2022-06-15T10:00+01:00", datetime(2022, 6, 15, 9, tzinfo=UTC)),
        ("2022-06-15 10:00:00", datetime(2022, 6, 15, 10, tzinfo=UTC)),
        ("2022-06-15", datetime(2022, 6, 15, tzinfo=UTC)),
        ("2022-06", datetime(2022, 6, 1, tzinfo=UTC)),
        ("2022", datetime(2022, 1, 1, tzinfo=UTC)),
        ("yesterday", None),
        ("2022-13-45", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(value: str | None, expected: datetime | None) -> None:
    assert parse_date(value) == expected


def test_within_lookback() -> None:
    now = datetime(2022, 6, 20, tzinfo=UTC)
    old = Link("https://x.example/a", None, datetime(2022, 6, 1, tzinfo=UTC), "rss")
    fresh = Link("https://x.example/b", None, datetime(2022, 6, 18, tzinfo=UTC), "rss")
    undated = Link("https://x.example/c", None, None, "sitemap")
    assert not within_lookback(old, now, 7)
    assert within_lookback(fresh, now, 7)
    assert within_lookback(undated, now, 7)


def test_robots_sitemaps() -> None:
    robots = (
        b"User-agent: *\nDisallow: /search\n"
        b"Sitemap: /sitemap.xml\nsitemap: https://news.example.com/news.xml\n"
        b"Sitemap: https://news.example.com/news.xml\nSitemap: file:///etc/passwd\n"
        b"Sitemap: https://news.example.com/\xe9t\xff.xml\n"
    )
    listing = robots_sitemaps(robots, "https://news.example.com/robots.txt")
    assert [child.url for child in listing.children] == [
        "https://news.example.com/sitemap.xml",
        "https://news.example.com/news.xml",
        "https://news.example.com/%E9t%FF.xml",
    ]
    assert listing.links == []
    assert listing.dropped == {"not_http": 1}
    bom = robots_sitemaps(b"\xef\xbb\xbfSitemap: /news.xml\n", "https://news.example.com/")
    assert [child.url for child in bom.children] == ["https://news.example.com/news.xml"]


def test_section_links() -> None:
    page = b"""<html><head><base href="https://news.example.com/world/"></head><body>
      <a href="china/xi.html#comments">Xi</a><a href="china/xi.html">Xi again</a>
      <a href="/russia/putin.html">Putin</a><a href="//other.example.org/z">other</a>
      <a href="mailto:desk@example.com">mail</a><a href="javascript:void(0)">js</a><a>none</a>
    </body></html>"""
    listing = section_links(page, "https://news.example.com/")
    assert [link.url for link in listing.links] == [
        "https://news.example.com/world/china/xi.html",
        "https://news.example.com/russia/putin.html",
        "https://other.example.org/z",
    ]
    assert listing.dropped == {"not_http": 2, "empty": 1}


def test_a_utf16_section_page_is_no_binary() -> None:
    page = "\ufeff<html><body><a href='/world/a'>Путин</a></body></html>".encode("utf-16")
    (link,) = section_links(page, "https://x.example/").links
    assert link.url == "https://x.example/world/a"


def test_a_page_without_links_is_an_empty_listing() -> None:
    assert section_links(b"<<<>>>", "https://x.example/").links == []


@pytest.mark.parametrize("page", [b"", b"  \n", b"\x00\x01\x02", b"\x89PNG\r\n\x1a\n\x00\x00"])
def test_an_empty_or_binary_section_page_is_an_error(page: bytes) -> None:
    with pytest.raises(DiscoveryError, match=r"empty|binary"):
        section_links(page, "https://x.example/")


def test_homepage_hints() -> None:
    page = b"""<html lang="fr-FR"><head><title>Le Journal - Actualit\xc3\xa9s</title>
      <meta charset="utf-8"><meta property="og:site_name" content="Le Journal">
      <link rel="alternate" type="application/rss+xml" href="/rss/une.xml">
      <link rel="alternate" type="application/atom+xml" href="https://feeds.journal.fr/atom">
      <link rel="alternate" hreflang="en" href="/en/">
    </head><body></body></html>"""
    hints = homepage_hints(page, "https://www.journal.fr/")
    assert hints.site_name == "Le Journal"
    assert hints.title == "Le Journal - Actualités"
    assert hints.language == "fr"
    assert hints.feeds == ["https://www.journal.fr/rss/une.xml", "https://feeds.journal.fr/atom"]


# ------------------------------------------------------- tolerance, safely

#: One short headline per legacy encoding the real web still serves feeds in.
LEGACY = {
    "big5": "中俄元首會談",
    "euc-jp": "日露首脳会談のニュース",
    "euc-kr": "한러 정상회담 소식",
    "gb2312": "中俄元首会谈",
    "koi8-r": "Путин и Си Цзиньпин провели переговоры",
    "shift_jis": "日露首脳会談のニュース",
    "tis-620": "ข่าวการประชุมสุดยอด",
    "windows-1255": "פוטין ושי נפגשו",
    "windows-1252": "Café, naïve résumé — «Xi»",
}


def _feed(title: str, *, declare: str | None = None) -> str:
    prolog = f'<?xml version="1.0" encoding="{declare}"?>' if declare else ""
    return (
        f"{prolog}<rss version='2.0'><channel><item><title>{title}</title>"
        "<link>https://x.example/a</link></item></channel></rss>"
    )


@pytest.mark.parametrize("encoding", sorted(LEGACY))
@pytest.mark.parametrize("declared_by", ["xml", "http", "nothing"])
def test_legacy_encodings_are_decoded(encoding: str, declared_by: str) -> None:
    """Declared or not: a one-headline feed has a few dozen non-ASCII bytes to go on."""
    title = LEGACY[encoding]
    if declared_by == "xml":
        body, content_type = _feed(title, declare=encoding).encode(encoding), None
    elif declared_by == "http":
        body, content_type = _feed(title).encode(encoding), f"text/xml; charset={encoding}"
    else:
        body, content_type = _feed(title).encode(encoding), "text/xml"
    (link,) = parse_feed(body, "https://x.example/", content_type).links
    assert link.title == title


def test_a_wrong_http_charset_loses_to_what_decodes() -> None:
    body = _feed(LEGACY["koi8-r"], declare="koi8-r").encode("koi8-r")
    (link,) = parse_feed(body, "https://x.example/", "text/xml; charset=utf-8").links
    assert link.title == LEGACY["koi8-r"]


@pytest.mark.parametrize(
    ("declare", "content_type"),
    [(None, "text/xml; charset=iso-8859-1"), ("utf-16", None), ("windows-1251", "text/xml")],
)
def test_valid_utf8_is_utf8_whatever_the_labels_say(
    declare: str | None, content_type: str | None
) -> None:
    body = _feed("Café — Путин", declare=declare).encode("utf-8")
    (link,) = parse_feed(body, "https://x.example/", content_type).links
    assert link.title == "Café — Путин"


@pytest.mark.parametrize("encoding", ["cp1251", "koi8-r", "cp866", "iso-8859-5"])
def test_an_undeclared_cyrillic_sitemap_is_detected(encoding: str) -> None:
    """The four Cyrillic encodings share letters at different bytes; the text tells them apart."""
    title = "Президенты России и Китая обсудили торговлю"
    body = (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url>'
        "<loc>https://x.example/a</loc><news:news><news:title>"
        f"{title}</news:title></news:news></url></urlset>"
    ).encode(encoding)
    (link,) = parse_sitemap(body, "https://x.example/").links
    assert link.title == title


def test_byte_order_marks_win() -> None:
    body = "\ufeff" + _feed("Путин и Си")
    for encoding in ("utf-16", "utf-32", "utf-8"):
        data = body.encode(encoding) if encoding != "utf-8" else body.encode("utf-8-sig")
        (link,) = parse_feed(data, "https://x.example/", "text/xml; charset=latin-1").links
        assert link.title == "Путин и Си"


def test_sloppy_markup_costs_only_what_it_touches() -> None:
    body = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY desk "World desk &#8212; Asia">]>
<rss version="2.0"><channel><title>News & views</title>
 <item><title>Xi & Putin &bogus; (&desk;)</title><link>https://x.example/a?id=1&page=2</link></item>
 <item><title>CDATA keeps &amp;</title><link><![CDATA[https://x.example/b?x=1&y=2]]></link></item>
 <item><title>Broken link</title><link>http://[::1/oops</link></item>
 <item><title>Stray < bracket</title><link>https://x.example/c</link></item>
</channel></rss>"""
    listing = parse_feed(body, "https://x.example/")
    assert [(link.url, link.title) for link in listing.links] == [
        ("https://x.example/a?id=1&page=2", "Xi & Putin &bogus; (World desk — Asia)"),
        ("https://x.example/b?x=1&y=2", "CDATA keeps &"),
        ("https://x.example/c", "Stray bracket"),
    ]
    assert listing.dropped == {"malformed": 1}


@pytest.mark.parametrize(
    "declaration",
    [
        b'<!ENTITY big "' + b"x" * 1001 + b'">',
        b'<!ENTITY xxe SYSTEM "file:///etc/passwd">',
        b'<!ENTITY xxe PUBLIC "-//x//EN" "http://127.0.0.1:9/x.dtd">',
        b'<!ENTITY % pe SYSTEM "http://127.0.0.1:9/x.dtd"> %pe;',
        b'<!ENTITY a "x"><!ENTITY b "&a;&a;&a;">',
    ],
)
def test_external_parameter_and_nested_entities_are_refused(declaration: bytes) -> None:
    body = b"<!DOCTYPE rss [" + declaration + b"]><rss><channel><item><link>https://x.example/a"
    with pytest.raises(DiscoveryError, match="nested or oversized XML entities"):
        parse_feed(body + b"</link></item></channel></rss>", BASE)


def test_an_entity_declaration_cannot_hide_in_another_encoding() -> None:
    body = ("\ufeff" + XXE.decode()).encode("utf-16")
    with pytest.raises(DiscoveryError, match="nested or oversized XML entities"):
        parse_sitemap(body, BASE)


def test_internal_entities_cannot_expand_past_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("crawler.discovery.MAX_XML_BYTES", 10_000)
    body = (
        '<!DOCTYPE urlset [<!ENTITY big "'
        + "x" * 1000
        + '">]><urlset>'
        + "<url><loc>https://x.example/&big;</loc></url>" * 20
        + "</urlset>"
    )
    with pytest.raises(DiscoveryError, match="entity-expansion"):
        parse_sitemap(body.encode(), BASE)


def test_text_sitemap() -> None:
    body = b"https://x.example/a\r\n\r\n  https://x.example/b  \nnot a url\nftp://x.example/c\n"
    listing = parse_sitemap(body, "https://x.example/sitemap.txt")
    assert [link.url for link in listing.links] == ["https://x.example/a", "https://x.example/b"]
    assert listing.dropped == {"not_a_url": 2}


def test_a_robots_txt_in_a_sitemap_s_place_gives_its_sitemaps() -> None:
    robots = b"User-agent: *\nDisallow: /search\nSitemap: /news.xml\n"
    listing = parse_sitemap(robots, "https://x.example/robots.txt")
    assert [child.url for child in listing.children] == ["https://x.example/news.xml"]
    assert listing.links == []


def test_sitemap_locs_are_resolved_and_cleaned() -> None:
    body = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>/2022/06/15/relative</loc></url>
  <url><loc>
      https://news.example.com/2022/06/15/a-very-long-
      wrapped-address
  </loc></url>
  <url><loc>javascript:alert(1)</loc></url>
  <url><loc>   </loc></url>
  <url><lastmod>2022-06-15</lastmod></url>
</urlset>"""
    listing = parse_sitemap(body, "https://news.example.com/sitemaps/news.xml")
    assert [link.url for link in listing.links] == [
        "https://news.example.com/2022/06/15/relative",
        "https://news.example.com/2022/06/15/a-very-long-wrapped-address",
    ]
    assert listing.dropped == {"not_http": 1, "empty": 2}
    assert listing.found == 5
