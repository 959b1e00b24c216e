"""How the outlet spider turns listed links into requests (no network).

An outlet lists one article in several places: a feed with its title, a sitemap
without one, a section page. What gets fetched must not depend on which of them
arrives first, or a crawl resumed after a crash stores a different set than a
clean one.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from itertools import permutations
from typing import Any

import pytest
import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler.discovery import Link, LinkSource
from crawler.outlets import Outlet
from crawler.spiders.outlet import OutletSpider

OUTLET = Outlet(
    name="example",
    title="Example News",
    homepage="https://news.example/",
    languages=("en",),
    allowed_domains=("news.example",),
    lookback_days=3650,
)
URL = "https://news.example/world/2022/06/15/trucks-crossed-the-bridge"
WHEN = datetime(2022, 6, 15, 9, tzinfo=UTC)
ON_TOPIC = "Xi and Putin talk by phone on Ukraine and trade"
OFF_TOPIC = "Trucks decorated with ribbons crossed the bridge"


def _spider(outlet: Outlet = OUTLET, **settings: object) -> OutletSpider:
    spider_class = OutletSpider.for_outlet(outlet)
    crawler = get_crawler(spider_class, {"NEWSMON_INCREMENTAL": False, **settings})
    crawler.spider = spider = spider_class.from_crawler(crawler)
    assert crawler.stats is not None
    crawler.stats.open_spider()
    return spider


def _listed(title: str | None, source: LinkSource) -> Link:
    return Link(url=URL, title=title, published=WHEN, source=source)


def _fetched(listings: tuple[Link, ...]) -> tuple[list[str], int]:
    """The URLs requested after the listings arrive in this order, and the title-skip count."""
    spider = _spider()
    requests = [r for link in listings for r in spider.follow([link])]
    assert all(isinstance(r, scrapy.Request) for r in requests)
    stats = spider.crawler.stats
    assert stats is not None
    return [r.url for r in requests], int(stats.get_value("newsmon/skipped/off_topic_title", 0))


@pytest.mark.parametrize(
    ("listings", "fetched"),
    [
        ((_listed(OFF_TOPIC, "rss"),), False),
        ((_listed(OFF_TOPIC, "rss"), _listed(OFF_TOPIC, "news-sitemap")), False),
        ((_listed(OFF_TOPIC, "rss"), _listed(None, "sitemap")), True),
        ((_listed(OFF_TOPIC, "rss"), _listed(ON_TOPIC, "news-sitemap")), True),
        ((_listed(ON_TOPIC, "rss"), _listed(None, "sitemap")), True),
    ],
)
def test_what_is_fetched_does_not_depend_on_the_order_of_listings(
    listings: tuple[Link, ...], fetched: bool
) -> None:
    for order in permutations(listings):
        urls, title_skips = _fetched(order)
        assert urls == ([URL] if fetched else []), order
        assert title_skips == (0 if fetched else 1), order


def _stats(spider: OutletSpider) -> dict[str, Any]:
    stats = spider.crawler.stats
    assert stats is not None
    return {k.removeprefix("newsmon/"): v for k, v in stats.get_stats().items()}


def _started(spider: OutletSpider) -> list[str]:
    async def collect() -> list[str]:
        return [request.url async for request in spider.start()]

    return asyncio.run(collect())


def _response(url: str, body: bytes, content_type: str = "text/html") -> Response:
    return Response(
        url, body=body, headers={"Content-Type": content_type}, request=scrapy.Request(url)
    )


def test_robots_txt_sitemaps_are_read_when_the_entry_names_none() -> None:
    spider = _spider()
    assert _started(spider) == ["https://news.example/robots.txt"]
    robots = _response(
        "https://news.example/robots.txt",
        b"User-agent: *\nSitemap: /sitemap-news.xml\nSitemap: https://elsewhere.example/s.xml\n"
        b"Sitemap: ftp://news.example/x.xml\n",
        "text/plain",
    )
    requests = list(spider.parse_robots(robots))
    assert [r.url for r in requests] == ["https://news.example/sitemap-news.xml"]
    assert all(
        isinstance(r, scrapy.Request) and r.callback == spider.parse_sitemap for r in requests
    )
    stats = _stats(spider)
    assert spider.listings["https://news.example/robots.txt"] == {
        "kind": "robots",
        "found": 3,
        "kept": 2,
        "dropped": {"not_http": 1},
    }
    assert stats["skipped/offsite"] == 1


def test_an_entry_that_names_sitemaps_keeps_to_them() -> None:
    sitemap = "https://news.example/sitemap-news.xml"
    assert _started(_spider(replace(OUTLET, sitemaps=(sitemap,)))) == [sitemap]


def test_a_feed_records_what_it_listed() -> None:
    spider = _spider()
    feed = (
        "<rss><channel><item><title>Путин и Си</title><link>/world/2022/06/15/a</link></item>"
        "<item><title>x</title><link>javascript:void(0)</link></item></channel></rss>"
    ).encode("koi8-r")
    response = _response("https://news.example/rss.xml", feed, "text/xml; charset=koi8-r")
    requests = [r for r in spider.parse_feed(response) if isinstance(r, scrapy.Request)]
    assert [r.url for r in requests] == ["https://news.example/world/2022/06/15/a"]
    assert requests[0].cb_kwargs["link"].title == "Путин и Си"
    stats = _stats(spider)
    assert spider.listings["https://news.example/rss.xml"] == {
        "kind": "feed",
        "found": 2,
        "kept": 1,
        "dropped": {"not_http": 1},
    }
    assert (stats["links/found"], stats["links/kept"], stats["links/dropped/not_http"]) == (2, 1, 1)


@pytest.mark.parametrize("body", [b"", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"])
def test_a_section_that_is_no_page_is_a_failed_listing(body: bytes) -> None:
    spider = _spider()
    url = "https://news.example/world/"
    assert list(spider.parse_section(_response(url, body))) == []
    stats = _stats(spider)
    assert stats["failed/discovery"] == 1
    assert spider.listings[url]["kind"] == "section"
    assert spider.listings[url]["error"]


def test_a_listing_that_answers_with_an_error_is_recorded_as_failed() -> None:
    spider = _spider()
    url = "https://news.example/rss.xml"
    request = spider._discovery_request(url, spider.parse_feed, "feed")
    failure = Failure(HttpError(Response(url, status=404, request=request), "Ignoring 404"))
    failure.request = request  # type: ignore[attr-defined]  # as Scrapy's errbacks get it
    spider.on_error(failure)
    stats = _stats(spider)
    assert stats["failed/discovery_http_404"] == 1
    assert spider.listings[url] == {"kind": "feed", "error": "Ignoring 404"}


def test_a_blocked_outlet_starts_nothing_unless_forced() -> None:
    """`scrapy crawl NAME` honours the registry's status as `newsmon crawl` does."""
    blocked = replace(OUTLET, feeds=("https://news.example/rss.xml",), status="blocked")
    spider = _spider(blocked)
    assert _started(spider) == []
    assert _stats(spider)["skipped/status_blocked"] == 1
    assert _started(_spider(blocked, NEWSMON_FORCE="1"))[0] == "https://news.example/rss.xml"


def _page(spider: OutletSpider, link: Link) -> Any:
    (page,) = spider.parse_article(_response(URL, b"<html><p>The story.</p></html>"), link)
    return page


@pytest.mark.parametrize(
    ("listed", "late"),
    [
        # A section page (no date) answers first, the sitemap before the article page.
        (["section", "sitemap", "parsed"], False),
        # The sitemap answers after the article page was parsed: the store dates it later.
        (["section", "parsed", "sitemap"], True),
        (["sitemap", "section", "parsed"], False),
    ],
)
def test_a_page_keeps_the_latest_listing_date_whichever_listing_answered_first(
    listed: list[str], late: bool
) -> None:
    spider = _spider()
    undated = Link(url=URL, title=None, published=None, source="section")
    dated = Link(url=URL, title=None, published=WHEN, source="sitemap")
    older = Link(url=URL, title=None, published=datetime(2022, 6, 14, tzinfo=UTC), source="rss")
    requested: list[Link] = []
    page = None
    for step in listed:
        if step == "parsed":
            page = _page(spider, requested[0])
        else:
            links = [undated] if step == "section" else [older, dated]
            for link in links:
                if list(spider.follow([link])):
                    requested.append(link)
    assert page is not None
    assert page.discovered_published == requested[0].published
    assert page.listed_modified == (None if late else WHEN)
    assert spider.late_listing_dates == ({URL: WHEN} if late else {})
