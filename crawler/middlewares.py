"""Downloader middleware that keeps the crawler where it may go.

Every request passes here, including redirects and robots.txt fetches, so a
hostile page or redirect cannot point newsmon at file://, the user's network
or a cloud metadata endpoint. Loopback is allowed only when the offline demo
or the tests say so with NEWSMON_ALLOW_PRIVATE.
"""

from __future__ import annotations

from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from crawler.urls import is_fetchable


class FetchGuardMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.allow_private = crawler.settings.getbool("NEWSMON_ALLOW_PRIVATE")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if not is_fetchable(request.url, allow_private=self.allow_private):
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("newsmon/skipped/unsafe_url")
            raise IgnoreRequest(f"refused to fetch {request.url}: not a public http(s) address")
