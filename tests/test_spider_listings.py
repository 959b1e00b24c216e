"""How the outlet spider turns listed links into requests (no network).

An outlet lists one article in several places: a feed with its title, a sitemap
without one, a section page. What gets fetched must not depend on which of them
arrives first, or a crawl resumed after a crash stores a different set than a
clean one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import permutations

import pytest
import scrapy
from scrapy.utils.test import get_crawler

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


def _spider() -> OutletSpider:
    spider_class = OutletSpider.for_outlet(OUTLET)
    crawler = get_crawler(spider_class)
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
