"""What a daily re-crawl fetches: new pages, and known ones only when they are due.

A monitor re-crawls the same outlets every day, so the cost of a run must
follow what changed, not the size of the archive. The decisions are pure
functions of what the store knows (``KnownPage``) and what the feed or
sitemap says now; ``load_state`` reads the store once when a spider opens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from scrapy.settings import BaseSettings
from sqlalchemy.orm import Session, sessionmaker

from crawler.discovery import Link
from storage.recrawl import KnownPage, known_pages, load_validators, outlet_watermark

Decision = Literal["new", "recheck", "known", "before_watermark", "retry_later"]

# Feeds and sitemaps are re-dated by some CMSs a little after publication;
# a day of slack keeps the watermark from cutting genuinely new pages.
WATERMARK_SLACK = timedelta(days=1)


@dataclass(frozen=True)
class ListingValidators:
    """A feed or sitemap's ETag and Last-Modified, for the store to keep for next time."""

    url: str
    etag: str | None
    last_modified: str | None


@dataclass
class CrawlState:
    """What the store knew about one outlet when its spider opened."""

    known: dict[str, KnownPage] = field(default_factory=dict)
    validators: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    watermark: datetime | None = None
    recheck_days: float = 3.0


def decide(state: CrawlState, url: str, link: Link, now: datetime) -> Decision:
    """Whether to fetch a discovered article URL, and why."""
    page = state.known.get(url)
    if page is None:
        if (
            state.watermark is not None
            and link.published is not None
            and link.published < state.watermark - WATERMARK_SLACK
        ):
            return "before_watermark"
        return "new"
    if page.retry:
        # Lost to a temporary failure last time: fetched again whatever the watermark
        # says, once its back-off has passed.
        return "new" if page.retry_at is None or now >= page.retry_at else "retry_later"
    if page.article_id is None:
        return "known"  # skipped before (off-topic, not an article): not worth a refetch
    if (
        link.published is not None
        and page.listed_modified is not None
        and link.published > page.listed_modified
    ):
        return "recheck"  # the outlet re-dated it: it says the page changed
    if page.published is not None and now - page.published < timedelta(days=state.recheck_days):
        return "recheck"  # young articles get corrected and updated; look again
    return "known"


def child_sitemap_due(state: CrawlState, child: Link) -> bool:
    """A child sitemap last modified before the watermark lists nothing new."""
    return (
        state.watermark is None
        or child.published is None
        or child.published >= state.watermark - WATERMARK_SLACK
    )


def conditional_headers(state: CrawlState, url: str) -> dict[str, str]:
    etag, last_modified = state.validators.get(url, (None, None))
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def load_state(
    settings: BaseSettings,
    readers: sessionmaker[Session] | None,
    outlet: str,
    discovery_urls: list[str],
) -> CrawlState:
    if readers is None:  # not incremental: every listed page is fetched
        return CrawlState(recheck_days=settings.getfloat("NEWSMON_RECHECK_DAYS", 3.0))
    with readers() as session:
        return CrawlState(
            known=known_pages(
                session, outlet, timedelta(hours=settings.getfloat("NEWSMON_RETRY_BACKOFF_HOURS"))
            ),
            validators=load_validators(session, discovery_urls),
            watermark=outlet_watermark(session, outlet),
            recheck_days=settings.getfloat("NEWSMON_RECHECK_DAYS", 3.0),
        )
