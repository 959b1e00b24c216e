"""Downloader middlewares: where the crawler may go, and how long it waits when asked.

Every request passes here, including redirects and robots.txt fetches, so a
hostile page or redirect cannot point newsmon at file://, the user's network
or a cloud metadata endpoint. Loopback is allowed only when the offline demo
or the tests say so with NEWSMON_ALLOW_PRIVATE.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Self

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings

from crawler.urls import is_fetchable
from storage import counters


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
            self.crawler.stats.inc_value(counters.stat(counters.UNSAFE_URL))
            raise IgnoreRequest(f"refused to fetch {request.url}: not a public http(s) address")


def retry_after_seconds(value: str | None, now: datetime, cap: float) -> float:
    """Seconds a server asked us to wait (delta-seconds or an HTTP date), capped; 0 if none."""
    if not value:
        return 0.0
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return 0.0
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    return max(0.0, min(seconds, cap))


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's retries, but a 429 or 503 with Retry-After waits as long as asked (capped).

    An outlet that says "come back in 30 s" and is hit again at once stays
    blocked; waiting is both polite and what gets the page.
    """

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.cap = settings.getfloat("NEWSMON_RETRY_AFTER_MAX", 60.0)

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request) and response.status in (429, 503):
            header = response.headers.get("Retry-After")
            delay = retry_after_seconds(
                header.decode("latin-1") if header else None, datetime.now(UTC), self.cap
            )
            if delay > 0:
                if self.crawler.stats is not None:
                    self.crawler.stats.inc_value("newsmon/retry_after/waits")
                await asyncio.sleep(delay)
        return result
