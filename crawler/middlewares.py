"""Downloader middlewares: where the crawler may go, and how long it waits when asked.

Every request passes here, including redirects and robots.txt fetches, so a
hostile page or redirect cannot point newsmon at file://, the user's network
or a cloud metadata endpoint. Loopback is allowed only when the offline demo
or the tests say so with NEWSMON_ALLOW_PRIVATE.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from time import monotonic
from typing import Self

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import call_later

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
    """Scrapy's retries, but a 429 or 503 with Retry-After pauses the host (capped).

    An outlet that says "come back in 30 s" and is hit again at once stays
    blocked; waiting is both polite and what gets the page. The wait is the
    downloader's own: the host's slot is paused the way a download delay pauses
    it, so no request to that host goes out meanwhile (the retry included, queued
    in the slot), while other hosts and the rest of the crawl go on. Nothing here
    sleeps or holds a concurrency slot.
    """

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.cap = settings.getfloat("NEWSMON_RETRY_AFTER_MAX", 60.0)
        self._held_until: dict[str, float] = {}  # by downloader slot key: monotonic time

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request) and response.status in (429, 503):
            header = response.headers.get("Retry-After")
            delay = retry_after_seconds(
                header.decode("latin-1") if header else None, datetime.now(UTC), self.cap
            )
            if delay > 0 and self._pause_host(request, delay):
                assert self.crawler.stats is not None
                self.crawler.stats.inc_value(counters.stat(counters.RETRY_AFTER))
        return result

    def _pause_host(self, request: Request, seconds: float) -> bool:
        """Hold the request's downloader slot for ``seconds``; whether it could be held.

        A slot's queue is processed by a later call while its download delay runs
        (``Slot.latercall``); this sets one for the Retry-After, unless the slot is
        already held at least as long.
        """
        engine = self.crawler.engine
        if engine is None:
            return False
        downloader = engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is None:
            return False
        until = monotonic() + seconds
        if slot.latercall is not None and self._held_until.get(key, 0.0) >= until:
            return True
        if slot.latercall is not None:
            slot.latercall.cancel()
        self._held_until[key] = until
        slot.latercall = call_later(seconds, downloader._latercall, slot)
        return True
