"""The offline demo web: structure, content counts and HTTP behaviour over real loopback sockets."""

from __future__ import annotations

import gzip
import http.client
import json
import re
from collections.abc import Iterator
from datetime import date
from email.utils import parsedate_to_datetime
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import pytest

from crawler.topic import load_topic
from demoweb import (
    SEED_PAGES,
    Edit,
    OutletSite,
    PageInfo,
    Relation,
    Role,
    RunningWeb,
    Web,
    build_bulk_site,
    build_web,
    expected_seed,
    lookback_days,
    serve,
)
from demoweb.bulk import topic_words
from demoweb.content import apply_edit, load_articles

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"
OUTLET_FIELDS = {
    "name", "title", "homepage", "languages", "feeds", "sitemaps", "sections",
    "allowed_domains", "article_patterns", "exclude_patterns", "lookback_days", "spider", "robots",
}  # fmt: skip


@pytest.fixture(scope="module")
def web() -> Web:
    return build_web()


@pytest.fixture(scope="module")
def running(web: Web) -> Iterator[RunningWeb]:
    with serve(web) as live:
        yield live


def get(
    url: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def discovered(running: RunningWeb, entry: dict[str, object]) -> set[str]:
    """URLs an outlet's feeds, sitemaps (following indexes) and section pages point to."""
    urls: set[str] = set()
    queue = list(entry["feeds"]) + list(entry["sitemaps"])  # type: ignore[call-overload]
    while queue:
        status, _, body = get(queue.pop())
        assert status == 200
        root = ET.fromstring(body)
        urls |= {e.text or "" for e in root.iter("link") if e.text}
        urls |= {e.get("href", "") for e in root.iter(f"{ATOM}link") if e.get("rel") == "alternate"}
        urls |= {e.text or "" for e in root.iter(f"{SM}loc") if root.tag == f"{SM}urlset"}
        queue += [e.text or "" for e in root.iter(f"{SM}loc") if root.tag == f"{SM}sitemapindex"]
    patterns = [re.compile(p) for p in entry["article_patterns"]]  # type: ignore[attr-defined]
    for section in entry["sections"]:  # type: ignore[attr-defined]
        parser = _Links()
        parser.feed(get(section)[2].decode())
        urls |= {h for h in parser.hrefs if any(p.search(h) for p in patterns)}
    return {u for u in urls if u.startswith(str(entry["homepage"]).rstrip("/"))}


def test_content_counts(web: Web) -> None:
    articles = [p for p in web.pages if p.role in (Role.ARTICLE, Role.OFF_TOPIC, Role.ARCHIVE)]
    assert len(web.outlets) >= 6
    assert len({p.language for p in articles}) >= 5
    assert len(articles) >= 60
    assert len(web.select(role=Role.OFF_TOPIC)) >= 8
    assert {p.kind for p in web.select(role=Role.NON_ARTICLE)} >= {"video", "live", "about", "tag"}
    groups: dict[str, set[str]] = {}
    for page in articles:
        if page.syndication:
            groups.setdefault(page.syndication, set()).add(page.outlet)
    assert groups
    assert all(len(outlets) >= 2 for outlets in groups.values())


def test_syndicated_copies_share_text_but_not_markup(web: Web) -> None:
    copies = [p for p in web.pages if p.syndication == "gws-kremlin-energy"]
    bodies = [web.outlet(p.outlet).resources[p.path].body.decode() for p in copies]
    paragraph = "taking into account the situation in the global economy"
    assert all(paragraph in body for body in bodies)
    assert len({len(body) for body in bodies}) == len(bodies)


def test_archive_entries_predate_the_window(web: Web) -> None:
    archive = web.select(role=Role.ARCHIVE)
    assert archive
    assert all(p.published and p.published.year == 2020 for p in archive)
    assert all(p.published and p.published.year == 2022 for p in web.select(role=Role.ARTICLE))
    assert lookback_days() > 365


@pytest.mark.parametrize("stem", sorted(SEED_PAGES))
def test_seed_pages_hold_the_seed_body_and_move_noise_out_of_paragraphs(
    web: Web, stem: str
) -> None:
    outlet, path = SEED_PAGES[stem]
    html = web.outlet(outlet).resources[path].body.decode()
    expected = expected_seed(stem)
    found = [" ".join(unescape(p).split()) for p in re.findall(r"<(?:p|h2)>(.*?)</", html)]
    for line in expected.paragraphs:
        assert " ".join(line.split()) in found
    for noise in expected.noise:
        assert all(noise not in p for p in found)
    seed_lines = {line.strip() for line in expected.seed_text.splitlines()}
    assert expected.title in seed_lines or stem.startswith("001")


def test_seed_noise_is_listed(web: Web) -> None:
    noise = expected_seed("003_2abfe4b4ac9f9450").noise
    assert "اضافة اعلان" in noise
    assert "Read more Region and World" in noise
    assert not any("اضافة اعلان" in p for p in expected_seed("003_2abfe4b4ac9f9450").paragraphs)


def test_outlet_entries_have_the_outlet_fields(running: RunningWeb) -> None:
    entries = running.outlet_entries()
    assert all(set(e) == OUTLET_FIELDS for e in entries)
    ips = [e["allowed_domains"][0] for e in entries]
    assert len(set(ips)) == len(ips)
    for entry in entries:
        assert urlsplit(entry["homepage"]).hostname == entry["allowed_domains"][0]


def test_every_outlet_answers_on_its_own_address(running: RunningWeb) -> None:
    for site in running.web.outlets:
        status, _, body = get(running.url(site.name, "/"))
        assert status == 200
        assert site.title.encode() in body
        assert running.base_url(site.name).startswith(f"http://{site.ip}:")


def test_robots_feeds_and_sitemaps_parse(running: RunningWeb) -> None:
    for entry in running.outlet_entries():
        status, _, robots = get(str(entry["homepage"]) + "robots.txt")
        assert status == 200
        assert b"Disallow: /search" in robots
        listed = [
            line.split(": ", 1)[1]
            for line in robots.decode().splitlines()
            if line.startswith("Sitemap:")
        ]
        assert listed == entry["sitemaps"]
        for url in [*entry["feeds"], *entry["sitemaps"]]:
            ET.fromstring(get(url)[2])


def test_news_sitemap_carries_publication_dates(running: RunningWeb) -> None:
    url = running.outlet_entries()[1]["sitemaps"][0]
    root = ET.fromstring(get(url)[2])
    dates = [e.text for e in root.iter(f"{NEWS}publication_date")]
    assert dates
    assert all(d and d.startswith("2022-") for d in dates)
    assert all(e.text for e in root.iter(f"{NEWS}title"))


def test_every_discovered_article_is_served(running: RunningWeb, web: Web) -> None:
    expected = {
        running.url(p.outlet, p.path)
        for p in web.pages
        if p.role in (Role.ARTICLE, Role.OFF_TOPIC, Role.ARCHIVE)
    }
    found: set[str] = set()
    for entry in running.outlet_entries():
        for url in discovered(running, entry):
            status, _, _ = get(url)
            assert status == 200, url
            found.add(url.split("?", 1)[0])
    assert expected <= found


def test_pages_link_to_the_live_origin(running: RunningWeb) -> None:
    outlet, path = SEED_PAGES["002_1bc9dff7b3048941"]
    _, _, body = get(running.url(outlet, path))
    canonical = re.search(rb'<link rel="canonical" href="([^"]+)"', body)
    assert canonical
    assert canonical.group(1).decode() == running.url(outlet, path)
    assert b".invalid" not in body


def test_amp_page_points_back_to_the_article(running: RunningWeb, web: Web) -> None:
    amp = web.select(role=Role.AMP)[0]
    _, _, body = get(running.url(amp.outlet, amp.path))
    assert (
        f'rel="canonical" href="{running.url(amp.outlet, amp.canonical_path or "")}"'.encode()
        in body
    )


def test_conditional_requests_get_304(running: RunningWeb) -> None:
    feed = running.outlet_entries()[0]["feeds"][0]
    status, headers, _ = get(feed)
    assert status == 200
    assert get(feed, {"If-None-Match": headers["ETag"]})[0] == 304
    assert get(feed, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    assert get(feed, {"If-None-Match": '"stale"'})[0] == 200
    assert get(feed, {"If-Modified-Since": "Sat, 01 Jan 2022 00:00:00 GMT"})[0] == 200


def test_head_gzip_and_404(running: RunningWeb) -> None:
    home = running.url("meridian_news", "/")
    status, headers, body = get(home, method="HEAD")
    assert status == 200
    assert body == b""
    assert int(headers["Content-Length"]) > 0
    status, headers, body = get(home, {"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip"
    assert b"Meridian News Network" in gzip.decompress(body)
    assert get(running.url("meridian_news", "/no/such/page"))[0] == 404


def test_request_log_counts_requests(running: RunningWeb) -> None:
    ip = running.ip("vestnik")
    before = running.request_log.count(host=ip, path="/robots.txt")
    get(running.url("vestnik", "/robots.txt"))
    get(running.url("vestnik", "/robots.txt?x=1"))
    assert running.request_log.count(host=ip, path="/robots.txt") == before + 2
    assert running.request_log.count(host=ip, status=200) >= 2


def test_replace_swaps_content_in_place(web: Web) -> None:
    with serve(web) as live:
        url = live.url("trendwire", "/")
        first = get(url)[2]
        live.replace(build_web(1))
        assert get(url)[2] == first
        with pytest.raises(ValueError):
            live.replace(build_bulk_site(3))


def test_article_pages_carry_metadata(web: Web) -> None:
    page = web.select(outlet="vestnik", role=Role.ARTICLE)[0]
    html = web.outlet("vestnik").resources[page.path].body.decode()
    assert '<html lang="ru"' in html
    ld = json.loads(re.findall(r'<script type="application/ld\+json">(.*?)</script>', html)[0])
    assert ld["@type"] == "NewsArticle"
    assert ld["inLanguage"] == "ru"
    assert ld["headline"] == page.title
    assert ld["datePublished"].startswith("2022-")
    assert '<meta property="og:title"' in html


def test_bulk_site_structure() -> None:
    web = build_bulk_site(120, seed=7, sitemap_chunk=50)
    site = web.outlets[0]
    assert len(web.pages) == 120
    index = ET.fromstring(site.resources["/sitemap_index.xml"].body)
    children = [e.text or "" for e in index.iter(f"{SM}loc")]
    assert len(children) == 3
    listed = []
    for child in children:
        body = site.resources[urlsplit(child).path].body
        listed += [e.text for e in ET.fromstring(body).iter(f"{SM}loc")]
    assert len(listed) == 120 == len(set(listed))
    sizes = [len(site.resources[p.path].body) for p in web.pages[:5]]
    assert all(150_000 <= size <= 300_000 for size in sizes)
    texts = {site.resources[p.path].body for p in web.pages[:5]}
    assert len(texts) == 5
    assert build_bulk_site(120, seed=7).pages == build_bulk_site(120, seed=7).pages


def test_a_bulk_site_of_many_events_tells_each_in_its_own_words() -> None:
    """Articles of one event share their long words; two events share only the topic's words
    and short ones, and every page stays on-topic."""
    web = build_bulk_site(40, seed=2, events=20)
    topic = load_topic()

    def long_words(i: int) -> set[str]:
        page = web.pages[i]
        body = web.outlet(page.outlet).resources[page.path].body.decode()
        text = " ".join(re.findall(r"<p>(.*?)</p>", body))
        assert topic.is_relevant(topic.score(text)), page.path
        return set(re.findall(r"\b[a-z]{5,}\b", text)) - topic_words()

    same, other = long_words(0) & long_words(20), long_words(0) & long_words(1)
    assert len(same) > 5 * max(1, len(other))  # what two events share: topic words


def test_bulk_site_serves_lazily_generated_pages() -> None:
    web = build_bulk_site(20, seed=1)
    with serve(web) as live:
        page = web.pages[-1]
        status, _, body = get(live.url(page.outlet, page.path))
        assert status == 200
        assert b"NewsArticle" in body


# ---------------------------------------------------------------------------- day two (issue 5)

ARTICLE_ROLES = (Role.ARTICLE, Role.OFF_TOPIC, Role.ARCHIVE)


@pytest.fixture(scope="module")
def web2() -> Web:
    return build_web(2)


def _key(page: PageInfo) -> tuple[str, str]:
    return page.outlet, page.path


def _body(web: Web, page: PageInfo) -> bytes:
    return web.outlet(page.outlet).resources[page.path].body


def _body_paragraphs(html: bytes) -> list[str]:
    """The article text paragraphs, without the page furniture around them."""
    body = html.decode().split('itemprop="articleBody">', 1)[1].split("\n  </div>", 1)[0]
    return [unescape(p) for p in re.findall(r"<p>(.*?)</p>", body)]


def _discovery(site: OutletSite) -> dict[str, bytes]:
    """Feeds, sitemaps (children included) and robots.txt."""
    return {
        path: res.body
        for path, res in site.resources.items()
        if "xml" in res.content_type or path == "/robots.txt"
    }


def test_day_one_has_no_later_content(web: Web) -> None:
    assert (web.removed, web.edits, web.changes.edited, web.changes.removed) == ((), (), (), ())
    assert all(p.day == 1 and p.derived_from is None and p.modified is None for p in web.pages)


def test_day_two_differs_from_day_one_exactly_by_the_listed_changes(web: Web, web2: Web) -> None:
    changes = web2.changes
    before, after = {_key(p) for p in web.pages}, {_key(p) for p in web2.pages}
    new, removed = {_key(p) for p in changes.new}, {_key(p) for p in changes.removed}
    assert removed <= before
    assert not new & before
    assert after == (before - removed) | new
    edited = {(e.outlet, e.path) for e in changes.edits}
    edited |= {(outlet, "/amp" + path) for outlet, path in edited} & after  # AMP renditions
    assert {_key(p) for p in changes.edited} == edited
    for page in web.pages:
        if page.role in ARTICLE_ROLES and _key(page) in after:
            changed = _body_paragraphs(_body(web, page)) != _body_paragraphs(_body(web2, page))
            assert changed == (_key(page) in edited), page.path
    unchanged = set(web.outlet_names()) - changes.outlets
    assert unchanged
    for name in unchanged:
        assert dict(web.outlet(name).resources) == dict(web2.outlet(name).resources), name


def test_day_two_brings_new_rewrites_translations_and_stories(web: Web, web2: Web) -> None:
    new = [p for p in web2.changes.new if p.role in ARTICLE_ROLES]
    assert all(
        p.published and p.published.date() in (date(2022, 6, 16), date(2022, 6, 17)) for p in new
    )
    assert len({p.outlet for p in new}) >= 3
    assert len({p.language for p in new}) >= 3
    assert [p.role for p in new].count(Role.OFF_TOPIC) == 1
    assert any(p.role == Role.ARTICLE and p.derived_from is None for p in new)
    derived = {p.relation: p for p in new if p.derived_from}
    assert set(derived) == set(Relation)
    for page in derived.values():
        assert page.derived_from is not None
        source = web2.page(*page.derived_from)
        assert source.outlet != page.outlet
        assert source.published
        assert page.published
        assert source.published < page.published
    rewrite, translation = derived[Relation.REWRITE], derived[Relation.TRANSLATION]
    assert rewrite.derived_from
    assert translation.derived_from
    spun_from, translated_from = (
        web.page(*rewrite.derived_from),
        web.page(*translation.derived_from),
    )
    assert rewrite.language == spun_from.language
    assert translation.language != translated_from.language
    spun, original = _body_paragraphs(_body(web2, rewrite)), _body_paragraphs(_body(web, spun_from))
    assert len(spun) < len(original)  # a paragraph dropped
    assert not set(spun) >= set(original)
    quotes = re.compile(r'"([^"]{20,})"')
    assert set(quotes.findall(" ".join(spun))) & set(quotes.findall(" ".join(original)))


def test_edited_article_keeps_its_url_with_a_new_version(web: Web, web2: Web) -> None:
    (edit,) = web2.changes.edits
    page = web2.page(edit.outlet, edit.path)
    assert page.edited_on == 2
    assert page.modified == edit.modified
    assert web.page(edit.outlet, edit.path).modified is None
    before, after = _body(web, page).decode(), _body(web2, page).decode()
    for old, new in edit.corrected:
        assert old in before
        assert new not in before
        assert new in after
        assert old not in after
    assert edit.added
    assert all(p not in before and p in _body_paragraphs(after.encode()) for p in edit.added)
    ld = json.loads(re.findall(r'<script type="application/ld\+json">(.*?)</script>', after)[0])
    assert ld["dateModified"] == edit.modified.isoformat() != ld["datePublished"]
    old_res = web.outlet(edit.outlet).resources[edit.path]
    new_res = web2.outlet(edit.outlet).resources[edit.path]
    assert old_res.last_modified
    assert new_res.last_modified
    assert new_res.last_modified > old_res.last_modified
    sitemap = web2.outlet(edit.outlet).resources[web2.outlet(edit.outlet).sitemaps[0]].body
    lastmod = {
        (node.findtext(f"{SM}loc") or "").endswith(edit.path): node.findtext(f"{SM}lastmod")
        for node in ET.fromstring(sitemap).iter(f"{SM}url")
    }
    assert lastmod[True] == edit.modified.isoformat()


def test_removed_article_is_gone_from_the_site_and_its_discovery(web: Web, web2: Web) -> None:
    removed = [p for p in web2.changes.removed if p.role == Role.ARTICLE]
    assert removed
    for page in removed:
        assert page.removed_on == 2
        assert web.outlet(page.outlet).resources[page.path].status == 200
        assert web2.outlet(page.outlet).resources[page.path].status == 410
        before = b"".join(_discovery(web.outlet(page.outlet)).values())
        after = b"".join(_discovery(web2.outlet(page.outlet)).values())
        assert page.path.encode() in before
        assert page.path.encode() not in after
    for page in web2.changes.removed:  # tag and author pages the removal emptied
        assert web2.outlet(page.outlet).resources[page.path].status in (404, 410)


def test_feeds_change_only_where_the_outlet_changed(web: Web, web2: Web) -> None:
    changes = web2.changes
    for site, later in zip(web.outlets, web2.outlets, strict=True):
        docs, docs2 = _discovery(site), _discovery(later)
        if site.name not in changes.outlets:
            assert docs == docs2, site.name
            continue
        assert any(docs[path] != docs2.get(path) for path in docs), site.name
        fresh = [p for p in changes.new if p.outlet == site.name and p.role in ARTICLE_ROLES]
        for page in fresh:
            url = (later.origin + page.path).encode()
            assert all(url in docs2[feed] for feed in later.feeds)
            assert any(url in body for path, body in docs2.items() if "sitemap" in path)
    sino = [p for p in changes.new if p.outlet == "sino_herald" and p.role == Role.ARTICLE]
    feed = ET.fromstring(web2.outlet("sino_herald").resources["/rss/world_rss.xml"].body)
    assert (feed.findtext("channel/item/link") or "").endswith(sino[0].path)  # new on top


def test_a_bad_edit_fails_loudly() -> None:
    article = load_articles()[0]
    edit = Edit(article.outlet, article.path, 2, article.published, (), (("no such words", "x"),))
    with pytest.raises(ValueError, match="exactly once"):
        apply_edit(article, edit)


def _validator(headers: dict[str, str]) -> dict[str, str]:
    return {"If-None-Match": headers["ETag"], "If-Modified-Since": headers["Last-Modified"]}


def test_served_day_two_answers_conditional_requests(web: Web, web2: Web) -> None:
    changes = web2.changes
    unchanged = sorted(set(web.outlet_names()) - changes.outlets)
    edited = next(p for p in changes.edited if p.role == Role.ARTICLE)
    removed = next(p for p in changes.removed if p.role == Role.ARTICLE)
    with serve(web) as live:
        docs = [
            live.url(name, path)
            for name in unchanged
            for path in (*web.outlet(name).feeds, *web.outlet(name).sitemaps)
        ]
        seen = {url: get(url)[1] for url in docs}
        changed_feed = live.url("sino_herald", web.outlet("sino_herald").feeds[0])
        feed_headers = get(changed_feed)[1]
        _, edited_headers, edited_body = get(live.url(edited.outlet, edited.path))
        live.replace(web2)
        for url, headers in seen.items():
            assert get(url, {"If-None-Match": headers["ETag"]})[0] == 304, url
            assert get(url, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304, url
        assert get(changed_feed, _validator(feed_headers))[0] == 200
        status, headers, body = get(
            live.url(edited.outlet, edited.path), _validator(edited_headers)
        )
        assert status == 200
        assert body != edited_body
        assert parsedate_to_datetime(headers["Last-Modified"]) > parsedate_to_datetime(
            edited_headers["Last-Modified"]
        )
        assert get(live.url(removed.outlet, removed.path))[0] == 410


def test_rebuilt_bulk_site_answers_a_second_crawl_with_304() -> None:
    """The re-crawl benchmark serves an unchanged site twice: its validators must be stable."""
    first = build_bulk_site(30, seed=3, sitemap_chunk=10)
    site = first.outlets[0]
    with serve(first) as live:
        paths = [*site.feeds, *site.sitemaps, "/sitemaps/articles-1.xml", first.pages[5].path]
        seen = {path: get(live.url(site.name, path))[1] for path in paths}
        live.replace(build_bulk_site(30, seed=3, sitemap_chunk=10))
        for path, headers in seen.items():
            assert get(live.url(site.name, path), {"If-None-Match": headers["ETag"]})[0] == 304
            assert (
                get(live.url(site.name, path), {"If-Modified-Since": headers["Last-Modified"]})[0]
                == 304
            )
