"""The one spider class that serves every declarative outlet.

An outlet's registry entry says where to discover articles (feeds, sitemaps,
section pages) and which URLs are articles; this spider turns that into
requests. Everything it decides is delegated to pure functions in
``crawler.discovery``, ``crawler.urls`` and ``crawler.topic``; an outlet that
needs more overrides one hook (``article_url`` or ``section_urls``) in a small
subclass named by the entry's ``spider`` field.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.discovery import (
    DiscoveryError,
    Link,
    parse_feed,
    parse_sitemap,
    section_links,
    within_lookback,
)
from crawler.outlets import Outlet
from crawler.pages import FetchedPage, cached_topic
from crawler.topic import Topic
from crawler.urls import amp_to_canonical, canonicalize, is_fetchable, same_site

STAT = "newsmon"


class OutletSpider(scrapy.Spider):
    """Crawl one outlet: discovery pages first, then the article pages they list."""

    outlet: ClassVar[Outlet]

    @classmethod
    def for_outlet(cls, outlet: Outlet) -> type[OutletSpider]:
        """A subclass bound to one registry entry, named after it (what `scrapy list` shows)."""
        class_name = "".join(part.title() for part in outlet.name.split("_")) + "Spider"
        return type(class_name, (cls,), {"name": outlet.name, "outlet": outlet})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed_domains = list(self.outlet.allowed_domains)
        self._now = datetime.now(UTC)
        self._judged: set[str] = set()

    # -- discovery ---------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.outlet.feeds:
            yield self._discovery_request(url, self.parse_feed)
        for url in self.outlet.sitemaps:
            yield self._discovery_request(url, self.parse_sitemap)
        for url in self.outlet.sections:
            yield self._discovery_request(url, self.parse_section)

    def _discovery_request(self, url: str, callback: Any) -> scrapy.Request:
        return scrapy.Request(
            url, callback=callback, errback=self.on_error, meta={"newsmon_kind": "discovery"}
        )

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        self._inc("discovery/feeds")
        try:
            links = parse_feed(response.body, response.url)
        except DiscoveryError as exc:
            self._fail("discovery", response.url, str(exc))
            return
        yield from self.follow(links)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        self._inc("discovery/sitemaps")
        try:
            sitemap = parse_sitemap(response.body, response.url)
        except DiscoveryError as exc:
            self._fail("discovery", response.url, str(exc))
            return
        for child in sitemap.children:
            if not within_lookback(child, self._now, self.outlet.lookback_days):
                self._inc("skipped/too_old")
                continue
            if self._may_fetch(child.url):
                yield self._discovery_request(child.url, self.parse_sitemap)
        yield from self.follow(sitemap.links)

    def parse_section(self, response: Response) -> Iterator[scrapy.Request]:
        self._inc("discovery/sections")
        links = [
            Link(url=url, title=None, published=None, source="section")
            for url in self.section_urls(response)
        ]
        yield from self.follow(links)

    def section_urls(self, response: Response) -> Iterable[str]:
        """Hook: the candidate article URLs on a section page."""
        return section_links(response.body, response.url)

    def follow(self, links: Iterable[Link]) -> Iterator[scrapy.Request]:
        """Turn discovered links into article requests, dropping what we can judge unread."""
        for link in links:
            # Feeds, sitemaps and sections list the same article many times; judge it once.
            canonical = canonicalize(amp_to_canonical(link.url) or link.url)
            if canonical in self._judged:
                continue
            self._judged.add(canonical)
            url = self.article_url(canonical)
            if url is None:
                continue
            if not within_lookback(link, self._now, self.outlet.lookback_days):
                self._inc("skipped/too_old")
                continue
            if link.title and not self.topic.title_may_be_relevant(link.title):
                self._inc("skipped/off_topic_title")
                continue
            yield scrapy.Request(
                url,
                callback=self.parse_article,
                errback=self.on_error,
                cb_kwargs={"link": link},
                meta={"newsmon_kind": "article"},
            )

    def article_url(self, url: str) -> str | None:
        """Hook: the URL to fetch for a discovered (canonical) link, or None if it is no article."""
        if not self._may_fetch(url):
            return None
        if not self.outlet.is_article_url(url):
            self._inc("skipped/not_article_url")
            return None
        return url

    def _may_fetch(self, url: str) -> bool:
        allow_private = self.settings.getbool("NEWSMON_ALLOW_PRIVATE")
        if not is_fetchable(url, allow_private=allow_private):
            self._inc("skipped/unsafe_url")
            return False
        if not same_site(url, self.outlet.allowed_domains):
            self._inc("skipped/offsite")
            return False
        return True

    @property
    def topic(self) -> Topic:
        return cached_topic(self.settings.get("NEWSMON_TOPIC", ""))

    # -- articles ----------------------------------------------------------

    def parse_article(self, response: Response, link: Link) -> Iterator[FetchedPage]:
        self._inc("pages_fetched")
        encoding = response.encoding if isinstance(response, TextResponse) else None
        yield FetchedPage(
            outlet=self.outlet.name,
            url=canonicalize(response.request.url if response.request else response.url),
            fetched_url=response.url,
            body=response.body,
            encoding=encoding,
            fetched_at=datetime.now(UTC),
            allowed_domains=self.outlet.allowed_domains,
            discovered_title=link.title,
            discovered_published=link.published,
        )

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        error = failure.value
        if isinstance(error, IgnoreRequest):
            # robots.txt or the fetch guard said no: a decision, not a failure.
            if "robots.txt" in failure.getErrorMessage():
                self._inc("skipped/robots_disallowed")
            return
        kind = request.meta.get("newsmon_kind", "fetch") if request is not None else "fetch"
        if isinstance(error, HttpError):
            response = error.response
            self._inc(f"http/{response.status}")
            kind = f"{kind}_http_{response.status}"
        self._fail(kind, url, failure.getErrorMessage())

    # -- bookkeeping -------------------------------------------------------

    def _inc(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"{STAT}/{key}")

    def _fail(self, kind: str, url: str, message: str) -> None:
        self._inc(f"failed/{kind}")
        self.logger.warning("%s failed for %s: %s", kind, url, message)
