"""The one spider class that serves every declarative outlet.

An outlet's registry entry says where to discover articles (feeds, sitemaps,
section pages) and which URLs are articles; this spider turns that into
requests. Everything it decides is delegated to pure functions in
``crawler.discovery``, ``crawler.urls`` and ``crawler.topic``; an outlet that
needs more overrides one hook (``article_url`` or ``section_listing``) in a small
subclass named by the entry's ``spider`` field.

What each listing gave is kept in the run's stats: ``links/found``,
``links/kept`` and ``links/dropped/REASON`` in total, and per listing URL
under ``listings`` (kind, found, kept, dropped by reason, or the error).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, Self
from urllib.parse import urljoin

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import defer
from twisted.internet.error import TCPTimedOutError
from twisted.internet.error import TimeoutError as ConnectTimeout
from twisted.python.failure import Failure

from crawler.context import CrawlContext
from crawler.discovery import (
    DiscoveryError,
    Link,
    Listing,
    parse_feed,
    parse_sitemap,
    robots_sitemaps,
    section_links,
    within_lookback,
)
from crawler.incremental import (
    CrawlState,
    ListingValidators,
    child_sitemap_due,
    conditional_headers,
    decide,
    load_state,
)
from crawler.outlets import Outlet
from crawler.pages import FetchedPage, PageSkip, cached_topic
from crawler.topic import Topic
from crawler.urls import amp_to_canonical, canonicalize, is_fetchable, same_site
from storage import counters

# HTTP answers that are temporary whatever the page (every 5xx is too), by skip reason.
_temporary_http = {408: "timeout", 429: "rate_limited"}
_TIMEOUTS = (TimeoutError, defer.TimeoutError, ConnectTimeout, TCPTimedOutError)


def _content_type(response: Response) -> str | None:
    """The Content-Type header, whose charset discovery weighs against the document's own."""
    content_type = response.headers.get("Content-Type")
    return content_type.decode("latin-1") if content_type else None


def _origin(request: scrapy.Request) -> str:
    """The URL the spider asked for, before any redirect (what the user recognises)."""
    redirects = request.meta.get("redirect_urls") or []
    return f"{redirects[0]} (redirected to {request.url})" if redirects else request.url


# What a discovery callback yields: requests, and validators to keep for the next run.
Discovered = scrapy.Request | ListingValidators
ListingKind = Literal["feed", "sitemap", "section", "robots"]


class OutletSpider(scrapy.Spider):
    """Crawl one outlet: discovery pages first, then the article pages they list."""

    outlet: ClassVar[Outlet]

    @classmethod
    def for_outlet(cls, outlet: Outlet) -> type[OutletSpider]:
        """A subclass bound to one registry entry, named after it (what `scrapy list` shows)."""
        class_name = "".join(part.title() for part in outlet.name.split("_")) + "Spider"
        return type(class_name, (cls,), {"name": outlet.name, "outlet": outlet})

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """The outlet's own politeness, at spider priority: over the project's defaults,
        under what the user sets for one crawl (``--set``, a local test web)."""
        super().update_settings(settings)
        if cls.outlet.crawl_delay is not None:
            # AutoThrottle never goes below DOWNLOAD_DELAY, so this is a floor it keeps.
            settings.set("DOWNLOAD_DELAY", cls.outlet.crawl_delay, priority="spider")
        if cls.outlet.concurrency is not None:
            settings.set(
                "CONCURRENT_REQUESTS_PER_DOMAIN", cls.outlet.concurrency, priority="spider"
            )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed_domains = list(self.outlet.allowed_domains)
        self._now = datetime.now(UTC)
        self._judged: set[str] = set()
        self._undated_known: set[str] = set()
        self._title_rejected: set[str] = set()
        # The latest date any listing of this run gave each article URL, and the article
        # pages parsed before a listing dated them (`late_listing_dates`).
        self._listed_dates: dict[str, datetime] = {}
        self._parsed_undated: set[str] = set()
        # The newest date any feed or sitemap gave: the next run's watermark, in the
        # outlet's own clock rather than ours.
        self.newest_listed: datetime | None = None
        # What each listing gave, by URL: the run recorder keeps it with the run's counters.
        self.listings: dict[str, dict[str, Any]] = {}
        # Some listed page waits for a retry a later run makes (see `decide`).
        self.retries_pending = False
        self.state = CrawlState()
        # Listings read (or unchanged) and listings robots.txt kept us from: a crawl
        # that read none because robots.txt forbade them all got nothing, by decision
        # of the outlet, and must not pass for a quiet success.
        self._listings_read = 0
        self._listings_disallowed = 0

    # -- discovery ---------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        refusal = self.outlet.crawl_refusal()
        if refusal is not None and not self.settings.getbool("NEWSMON_FORCE"):
            # `newsmon crawl` filters these out first; this covers `scrapy crawl NAME`.
            self._inc(counters.SKIPPED + f"status_{self.outlet.status}")
            self.logger.warning("%s", refusal.replace("--force", "-s NEWSMON_FORCE=1"))
            return
        listings = [*self.outlet.feeds, *self.outlet.sitemaps]
        # The worker pool loads these languages' word lists before its workers fork (a
        # spider run without a crawl context, as in a unit test, has no pool to tell).
        with contextlib.suppress(NotConfigured):
            CrawlContext.of(self.crawler).expect_languages(self.outlet.languages)
        incremental = self.settings.getbool("NEWSMON_INCREMENTAL", True)
        readers = CrawlContext.of(self.crawler).readers() if incremental else None
        self.state = load_state(self.settings, readers, self.outlet.name, listings)
        for url in self.outlet.feeds:
            yield self._discovery_request(url, self.parse_feed, "feed")
        for url in self.outlet.sitemaps:
            yield self._discovery_request(url, self.parse_sitemap, "sitemap")
        for url in self.outlet.sections:
            yield self._discovery_request(url, self.parse_section, "section")
        if not self.outlet.sitemaps:
            # An entry that names sitemaps has chosen them (robots.txt often announces
            # whole-archive indexes); one that names none lets robots.txt speak.
            robots = urljoin(self.outlet.homepage, "/robots.txt")
            if self._may_fetch(robots):
                yield scrapy.Request(
                    robots,
                    callback=self.parse_robots,
                    errback=self.on_robots_error,
                    meta={"newsmon_kind": "discovery"},
                )

    def _discovery_request(self, url: str, callback: Any, listing: ListingKind) -> scrapy.Request:
        # Feeds and sitemaps are asked conditionally; a 304 means nothing new is listed.
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.on_error,
            headers=conditional_headers(self.state, url),
            meta={
                "newsmon_kind": "discovery",
                "newsmon_listing": listing,
                "handle_httpstatus_list": [304],
            },
        )

    def _listing_unchanged(self, response: Response) -> bool:
        if response.status == 304:
            self._inc(counters.NOT_MODIFIED)
            self._listings_read += 1
            return True
        return False

    def _validators(self, response: Response) -> Iterator[ListingValidators]:
        etag = response.headers.get("ETag")
        modified = response.headers.get("Last-Modified")
        if etag or modified:
            yield ListingValidators(
                response.url,
                etag.decode("latin-1") if etag else None,
                modified.decode("latin-1") if modified else None,
            )

    def parse_feed(self, response: Response) -> Iterator[Discovered]:
        if self._listing_unchanged(response):
            return
        self._inc(counters.FEEDS)
        listing = self._read(
            "feed",
            response,
            lambda: parse_feed(response.body, response.url, _content_type(response)),
        )
        if listing is None:
            return
        yield from self.follow(listing.links)
        yield from self._validators(response)

    def parse_sitemap(self, response: Response) -> Iterator[Discovered]:
        if self._listing_unchanged(response):
            return
        self._inc(counters.SITEMAPS)
        sitemap = self._read(
            "sitemap",
            response,
            lambda: parse_sitemap(response.body, response.url, _content_type(response)),
        )
        if sitemap is None:
            return
        yield from self._child_sitemaps(sitemap.children)
        yield from self.follow(sitemap.links)
        yield from self._validators(response)

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        listing = self._read(
            "robots", response, lambda: robots_sitemaps(response.body, response.url)
        )
        if listing is not None:
            yield from self._child_sitemaps(listing.children)

    def on_robots_error(self, failure: Failure) -> None:
        """A robots.txt that cannot be read announces no sitemaps; that is not a failure."""
        self._inc(counters.ROBOTS_UNAVAILABLE)
        self.logger.info("robots.txt not read: %s", failure.getErrorMessage())

    def _child_sitemaps(self, children: Iterable[Link]) -> Iterator[scrapy.Request]:
        for child in children:
            if not within_lookback(child, self._now, self.outlet.lookback_days):
                self._inc(counters.SKIPPED + "too_old")
            elif not child_sitemap_due(self.state, child):
                self._inc(counters.SKIPPED + "sitemap_unchanged")
            elif self._may_fetch(child.url):
                yield self._discovery_request(child.url, self.parse_sitemap, "sitemap")

    def parse_section(self, response: Response) -> Iterator[scrapy.Request]:
        self._inc(counters.SECTIONS)
        listing = self._read("section", response, lambda: self.section_listing(response))
        if listing is not None:
            yield from self.follow(listing.links)

    def section_listing(self, response: Response) -> Listing:
        """Hook: the candidate article links on a section page (raises `DiscoveryError`)."""
        return section_links(response.body, response.url)

    def _read(
        self, kind: ListingKind, response: Response, parse: Callable[[], Listing]
    ) -> Listing | None:
        """Parse one listing and record what it gave, or count it failed and say why."""
        try:
            listing = parse()
        except DiscoveryError as exc:
            self._fail("discovery", response.url, str(exc))
            self._note_listing(response.url, {"kind": kind, "error": str(exc)})
            return None
        kept = len(listing.links) + len(listing.children)
        if kind != "robots":  # robots.txt only points at listings; it lists no article
            self._listings_read += 1
        self._inc(counters.LINKS_FOUND, listing.found)
        self._inc(counters.LINKS_KEPT, kept)
        for reason, count in listing.dropped.items():
            self._inc(counters.LINKS_DROPPED + reason, count)
        self._note_listing(
            response.url,
            {"kind": kind, "found": listing.found, "kept": kept, "dropped": listing.dropped},
        )
        return listing

    def _note_listing(self, url: str, figures: dict[str, Any]) -> None:
        self.listings[url] = figures

    def follow(self, links: Iterable[Link]) -> Iterator[scrapy.Request]:
        """Turn discovered links into article requests, dropping what we can judge unread."""
        for link in links:
            url = canonicalize(amp_to_canonical(link.url) or link.url)
            if link.published is not None:
                self._note_date(url, link.published)
            if self._first_look(url, link):
                outcome = self._article_request(url, link)
                if outcome is not None:
                    yield outcome

    def _note_date(self, url: str, published: datetime) -> None:
        """Keep the latest date this run's listings gave an article URL: what the store keeps
        as the page's listing date (`decide` compares the next run's with it), whichever
        listing answered first, a section page without dates or a sitemap with them."""
        known = self._listed_dates.get(url)
        if known is None or published > known:
            self._listed_dates[url] = published

    @property
    def late_listing_dates(self) -> dict[str, datetime]:
        """Dates listings gave article pages only after the pages were parsed (a section
        page answered before the sitemap, and the article before the sitemap too): the store
        gives them to the pages it kept undated when the crawl ends (`StorePipeline`)."""
        return {
            url: self._listed_dates[url]
            for url in self._parsed_undated
            if url in self._listed_dates
        }

    def _first_look(self, url: str, link: Link) -> bool:
        """Feeds, sitemaps and sections list one article many times: judge it once.

        The exception is a known article first seen undated (on a section page):
        a dated listing may show the outlet changed it since.
        """
        if url not in self._judged:
            self._judged.add(url)
            return True
        if link.published is not None and url in self._undated_known:
            self._undated_known.discard(url)
            return True
        # Rejected by one listing's title; another listing may have no title or a better one.
        return url in self._title_rejected and not self._title_rejects(link)

    def _article_request(self, url: str, link: Link) -> scrapy.Request | None:
        if self.article_url(url) is None:
            return None
        if not within_lookback(link, self._now, self.outlet.lookback_days):
            self._inc(counters.SKIPPED + "too_old")
            return None
        if link.published is not None and (
            self.newest_listed is None or link.published > self.newest_listed
        ):
            self.newest_listed = link.published
        decision = decide(self.state, url, link, self._now)
        if decision == "retry_later":
            # Lost to a temporary failure lately: fetched by a later run, so this one must
            # not keep the listings' validators (a 304 next time would hide the page).
            self.retries_pending = True
            self._inc(counters.SKIPPED + decision)
            return None
        if decision in ("known", "before_watermark"):
            if decision == "known" and link.published is None:
                self._undated_known.add(url)
            self._inc(counters.SKIPPED + decision)
            return None
        if self._title_rejects(link):
            # Not recorded in the store: the verdict is only as good as the listings
            # seen, and the next run judges the title again without a fetch.
            if url not in self._title_rejected:
                self._title_rejected.add(url)
                self._inc(counters.OFF_TOPIC_TITLE)
            return None
        if url in self._title_rejected:
            # Fetch after all whatever any listing leaves open, so the outcome
            # does not depend on which of an outlet's listings arrives first.
            self._title_rejected.discard(url)
            self._inc(counters.OFF_TOPIC_TITLE, -1)
        recheck_of = self.state.known[url].article_id if decision == "recheck" else None
        if recheck_of is not None:
            self._inc("rechecks")
        return scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.on_error,
            cb_kwargs={"link": link, "recheck_of": recheck_of},
            meta={"newsmon_kind": "article", "newsmon_recheck_of": recheck_of},
        )

    def _title_rejects(self, link: Link) -> bool:
        """A listed title that rules the page out: only titles, never their absence."""
        return bool(link.title) and not self.topic.title_may_be_relevant(link.title or "")

    def article_url(self, url: str) -> str | None:
        """Hook: the URL to fetch for a discovered (canonical) link, or None if it is no article."""
        if not self._may_fetch(url):
            return None
        if not self.outlet.is_article_url(url):
            self._inc(counters.SKIPPED + "not_article_url")
            return None
        return url

    def _refusal(self, url: str) -> str | None:
        """Why this outlet's crawl may not fetch a URL ("unsafe_url", "offsite"), or None."""
        if not is_fetchable(url, allow_private=self.settings.getbool("NEWSMON_ALLOW_PRIVATE")):
            return "unsafe_url"
        if not same_site(url, self.outlet.allowed_domains):
            return "offsite"
        return None

    def _may_fetch(self, url: str) -> bool:
        refusal = self._refusal(url)
        if refusal is not None:
            self._inc(counters.SKIPPED + refusal)
        return refusal is None

    @property
    def topic(self) -> Topic:
        return cached_topic(self.settings.get("NEWSMON_TOPIC", ""))

    # -- articles ----------------------------------------------------------

    def parse_article(
        self, response: Response, link: Link, recheck_of: int | None = None
    ) -> Iterator[FetchedPage]:
        self._inc(counters.PAGES_FETCHED)
        encoding = response.encoding if isinstance(response, TextResponse) else None
        url = canonicalize(response.request.url if response.request else response.url)
        listed = self._listed_dates.get(url)  # `follow` noted the date of every link
        if listed is None:
            self._parsed_undated.add(url)
        yield FetchedPage(
            outlet=self.outlet.name,
            url=url,
            fetched_url=response.url,
            body=response.body,
            encoding=encoding,
            fetched_at=datetime.now(UTC),
            allowed_domains=self.outlet.allowed_domains,
            discovered_title=link.title,
            discovered_published=link.published,
            listed_modified=listed,
            recheck_of=recheck_of,
        )

    def on_error(self, failure: Failure) -> PageSkip | None:
        """Count and log every request that ended without a response to parse.

        An article lost to a failure that says nothing about the page (a server error,
        a rate limit outlasting the retries, a timeout, a failed connection) is handed
        to the store as a temporary skip: later runs fetch it again (bounded, backed off).
        """
        request = getattr(failure, "request", None)
        url = _origin(request) if request is not None else "?"
        kind = request.meta.get("newsmon_kind", "fetch") if request is not None else "fetch"
        error = failure.value
        message = failure.getErrorMessage()
        if request is not None and "newsmon_listing" in request.meta:
            self._note_listing(
                request.url, {"kind": request.meta["newsmon_listing"], "error": message}
            )
        temporary: str | None = None
        if isinstance(error, HttpError):  # an IgnoreRequest too, so it goes first
            status = error.response.status
            if (
                request is not None
                and request.meta.get("newsmon_recheck_of")
                and status
                in (
                    404,
                    410,
                )
            ):
                self._inc(counters.REMOVED)  # a stored article the outlet took down
                self.logger.info("%s is gone (HTTP %d); the stored copy is kept", url, status)
                return None
            self._inc(f"{counters.HTTP}{status}")
            self._fail(f"{kind}_http_{status}", url, message)
            temporary = _temporary_http.get(status, "server_error" if status >= 500 else None)
        elif isinstance(error, IgnoreRequest) and "robots.txt" in message:
            self._inc(counters.SKIPPED + "robots_disallowed")  # a decision, not a failure
            if request is not None and "newsmon_listing" in request.meta:
                self._listings_disallowed += 1
        elif isinstance(error, IgnoreRequest):
            # The fetch guard, an offsite redirect, too many redirects, a size limit.
            self._fail(f"{kind}_refused", url, message)
        else:
            self._fail(kind, url, message)
            temporary = "timeout" if isinstance(error, _TIMEOUTS) else "unreachable"
        if temporary is None or kind != "article" or request is None:
            return None
        listed = (request.meta.get("redirect_urls") or [request.url])[0]
        recheck_of = request.meta.get("newsmon_recheck_of")
        return PageSkip(self.outlet.name, listed, temporary, message, recheck_of)

    def on_scheduled(self, request: scrapy.Request) -> None:
        """A redirect to another host or a forbidden address is refused by Scrapy's
        offsite filter as it is scheduled, silently; count and log it here."""
        kind = request.meta.get("newsmon_kind")
        if not kind or not request.meta.get("redirect_urls"):
            return
        if self._refusal(request.url) is not None:
            self._fail(f"{kind}_redirect_refused", _origin(request), "redirect off the outlet")

    def on_dropped(self, request: scrapy.Request) -> None:
        """A redirect back to a URL already requested (a loop) is dropped by the
        duplicate filter with no errback; other drops are plain duplicates."""
        kind = request.meta.get("newsmon_kind")
        if kind and request.url in (request.meta.get("redirect_urls") or ()):
            self._fail(f"{kind}_redirect_loop", _origin(request), "redirect loop")

    def closed(self, reason: str) -> None:
        """A finished crawl whose every listing robots.txt disallowed read nothing: a failure.

        Runs before the run recorder reads the stats (the spider's handler is
        connected first), so the run is `failed`, not `succeeded`.
        """
        if reason == "finished" and self._listings_disallowed and not self._listings_read:
            self._inc(counters.FAILED + "discovery_disallowed", self._listings_disallowed)
            self.logger.warning(
                "robots.txt of %s disallows all %d listing(s) of the outlet; nothing was read",
                self.outlet.name,
                self._listings_disallowed,
            )

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_dropped, signal=signals.request_dropped)
        crawler.signals.connect(spider.on_scheduled, signal=signals.request_scheduled)
        return spider

    # -- bookkeeping -------------------------------------------------------

    def _inc(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(counters.stat(key), count)

    def _fail(self, kind: str, url: str, message: str) -> None:
        self._inc(counters.FAILED + kind)
        self.logger.warning("%s failed for %s: %s", kind, url, message)
