"""Queries behind incremental daily re-crawls: what is known, what changed, how outlets fare.

A daily run must fetch only what is new or due for a re-check, so the spider
starts from what the store knows about an outlet's URLs; a re-checked
article whose text changed keeps its earlier text as a version with a diff.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from storage import counters as names
from storage.models import (
    ARTICLES,
    URLS,
    Article,
    ArticleUrlRow,
    ArticleVersion,
    HttpValidator,
    Outlet,
    OutletHealth,
    SkippedPageRow,
    utcnow,
)
from storage.records import ArticleRecord


@dataclass(frozen=True)
class KnownPage:
    """What the store knows of a URL; ``article_id`` is None for a page skipped before,
    ``retry`` is set when that skip was a temporary failure worth another attempt, to be
    made no earlier than ``retry_at`` (the back-off)."""

    article_id: int | None
    published: datetime | None
    listed_modified: datetime | None
    retry: bool = False
    retry_at: datetime | None = None


@dataclass(frozen=True)
class RecheckOutcome:
    status: Literal["updated", "unchanged", "duplicate_text"]
    article_id: int
    version: int


@dataclass(frozen=True)
class HealthReport:
    outlet: str
    consecutive_failures: int
    runs_without_new: int
    last_success_at: datetime | None
    last_new_article_at: datetime | None
    backoff_until: datetime | None
    flags: tuple[str, ...]


# Skip reasons that say nothing about the page itself: a bot challenge instead of the
# page, a worker that died on it, an extraction that raised, a server error (5xx), a
# rate limit outlasting the retries, a timeout, a connection that failed. The page is
# fetched again by later runs, each attempt a `skipped_pages` row, until
# MAX_PAGE_ATTEMPTS of them, each attempt waiting twice as long as the one before.
TEMPORARY_SKIPS = frozenset(
    {
        "challenge",
        "worker_crashed",
        "extraction_error",
        "server_error",
        "rate_limited",
        "timeout",
        "unreachable",
    }
)
MAX_PAGE_ATTEMPTS = 3


def known_pages(
    session: Session, outlet: str, backoff: timedelta = timedelta(0)
) -> dict[str, KnownPage]:
    """Every URL of this outlet the store has seen, stored or skipped.

    Off-topic, non-article and duplicate pages are known for good; a page lost to a
    temporary failure (`TEMPORARY_SKIPS`) is marked for a retry until it has failed
    MAX_PAGE_ATTEMPTS times, the n-th retry due ``backoff`` × 2^(n-1) after the last
    attempt (a server that is down now is likely down an hour from now too).
    """
    known: dict[str, KnownPage] = {}
    rows = session.execute(
        select(
            ArticleUrlRow.url,
            ArticleUrlRow.kind,
            Article.id,
            Article.published,
            Article.listed_modified,
        )
        .join(Article, Article.id == ArticleUrlRow.article_id)
        .join(Outlet, Outlet.id == ArticleUrlRow.outlet_id)
        .where(Outlet.name == outlet)
    )
    for url, kind, article_id, published, listed in rows:
        # A syndicated copy's changes are not the original's: known, never re-checked.
        own = kind != "syndicated"
        known[url] = KnownPage(article_id if own else None, published, listed)
    skipped = session.execute(
        select(
            SkippedPageRow.url,
            SkippedPageRow.reason,
            func.count(),
            func.max(SkippedPageRow.seen_at),
        )
        .join(Outlet)
        .where(Outlet.name == outlet)
        .group_by(SkippedPageRow.url, SkippedPageRow.reason)
    )
    attempts: Counter[str] = Counter()
    last: dict[str, datetime] = {}
    for url, reason, count, seen in skipped:
        if reason in TEMPORARY_SKIPS:
            attempts[url] += count
            last[url] = max(seen, last.get(url, seen))
        else:
            known.setdefault(url, KnownPage(None, None, None))
    for url, tried in attempts.items():
        # Given up on after MAX_PAGE_ATTEMPTS: known, as if skipped for good.
        retry_at = last[url] + backoff * 2 ** (tried - 1)
        known.setdefault(
            url, KnownPage(None, None, None, retry=tried < MAX_PAGE_ATTEMPTS, retry_at=retry_at)
        )
    return known


def load_validators(
    session: Session, urls: Iterable[str]
) -> dict[str, tuple[str | None, str | None]]:
    rows = session.scalars(select(HttpValidator).where(HttpValidator.url.in_(list(urls))))
    return {row.url: (row.etag, row.last_modified) for row in rows}


def save_validator(session: Session, url: str, etag: str | None, last_modified: str | None) -> None:
    row = session.scalar(select(HttpValidator).where(HttpValidator.url == url))
    if row is None:
        session.add(HttpValidator(url=url, etag=etag, last_modified=last_modified))
    else:
        row.etag, row.last_modified, row.checked_at = etag, last_modified, utcnow()
    session.flush()


def date_listed_pages(session: Session, dates: Mapping[str, datetime]) -> None:
    """Give the articles stored without a listing date (`Article.listed_modified`) the date
    a listing of the same crawl gave their URL after their pages were parsed: a section
    page without dates answered before the sitemap. Otherwise what the store keeps would
    depend on which listing answered first, and an article stored undated would never be
    re-checked when its outlet re-dates it (`crawler.incremental.decide`)."""
    if not dates:
        return
    of_url = select(URLS.c.article_id).where(URLS.c.url == bindparam("page_url"))
    session.execute(
        update(ARTICLES)
        .where(ARTICLES.c.id == of_url.scalar_subquery(), ARTICLES.c.listed_modified.is_(None))
        .values(listed_modified=bindparam("listed")),
        [{"page_url": url, "listed": listed} for url, listed in dates.items()],
    )


def text_diff(old_title: str, old_text: str, new_title: str, new_text: str) -> str:
    """A unified diff by paragraph, which is how editors change articles."""
    old = [old_title, *old_text.split("\n\n")]
    new = [new_title, *new_text.split("\n\n")]
    return "\n".join(difflib.unified_diff(old, new, "before", "after", lineterm="", n=1))


def recheck_article(session: Session, record: ArticleRecord) -> RecheckOutcome:
    """Compare a re-fetched article with the stored one; keep a version when its text changed.

    An update is not a rewrite: it stays the same article, so no relation is made.
    """
    assert record.recheck_of is not None
    article = session.get(Article, record.recheck_of)
    if article is None:
        raise LookupError(f"No article with id {record.recheck_of}.")
    article.last_checked_at = record.fetched_at
    if record.listed_modified is not None:
        article.listed_modified = record.listed_modified
    if record.content_key == article.content_key:
        session.flush()
        return RecheckOutcome("unchanged", article.id, article.version)
    clash = session.scalar(
        select(Article.id).where(
            Article.content_key == record.content_key, Article.id != article.id
        )
    )
    if clash is not None:
        session.flush()
        return RecheckOutcome("duplicate_text", clash, article.version)
    session.add(
        ArticleVersion(
            article_id=article.id,
            version=article.version,
            title=article.title,
            text=article.text,
            content_key=article.content_key,
            diff=text_diff(article.title, article.text, record.title, record.text),
            replaced_at=record.fetched_at,
            run_id=record.run_id,
        )
    )
    article.title, article.text, article.content_key = record.title, record.text, record.content_key
    article.raw_html = record.raw_html
    article.published = article.published or record.published
    article.fetched_at = article.updated_at = record.fetched_at
    article.version += 1
    session.flush()
    return RecheckOutcome("updated", article.id, article.version)


def outlet_watermark(session: Session, outlet: str) -> datetime | None:
    return session.scalar(select(OutletHealth.watermark).join(Outlet).where(Outlet.name == outlet))


# Health rules, in the spirit of Media Cloud's feed health: how many quiet runs
# make an outlet "stale", and how long a failing outlet rests before a retry.
STALE_AFTER_RUNS = 3
BACKOFF_BASE_HOURS = 6
BACKOFF_MAX_HOURS = 7 * 24
BLOCKED_STATUSES = (names.HTTP + "403", names.HTTP + "429", names.CHALLENGE)


def update_health(
    session: Session, outlet: str, counters: Mapping[str, Any], newest_listed: datetime | None
) -> HealthReport:
    """Fold one run's counters into the outlet's health record and flags.

    ``newest_listed`` is the newest date the outlet's feeds and sitemaps gave in
    this run; after a successful run it becomes the watermark below which the
    next run does not look at unknown entries.
    """
    outlet_id = session.scalar(select(Outlet.id).where(Outlet.name == outlet))
    if outlet_id is None:
        raise LookupError(f"No outlet named {outlet!r}.")
    health = session.get(OutletHealth, outlet_id) or OutletHealth(
        outlet_id=outlet_id, consecutive_failures=0, runs_without_new=0, flags=[]
    )
    session.add(health)
    now = utcnow()
    fetched = names.count(
        counters, names.PAGES_FETCHED, names.FEEDS, names.SITEMAPS, names.NOT_MODIFIED
    )
    failures = names.total(counters, names.FAILED)
    new = names.count(counters, names.STORED)
    failed_run = counters.get("finish_reason") not in (None, "finished") or (
        failures > 0 and fetched == 0
    )
    flags: list[str] = []
    if failed_run:
        health.consecutive_failures += 1
        hours = min(BACKOFF_BASE_HOURS * 2 ** (health.consecutive_failures - 1), BACKOFF_MAX_HOURS)
        health.backoff_until = now + timedelta(hours=hours)
        flags.append(f"failing: {health.consecutive_failures} run(s) in a row")
    else:
        health.consecutive_failures = 0
        health.backoff_until = None
        health.last_success_at = now
        if newest_listed is not None and (
            health.watermark is None or newest_listed > health.watermark
        ):
            health.watermark = newest_listed
    if new:
        health.runs_without_new = 0
        health.last_new_article_at = now
    else:
        health.runs_without_new += 1
        if health.runs_without_new >= STALE_AFTER_RUNS:
            flags.append(f"stale: no new articles in {health.runs_without_new} runs")
    blocked = {k: int(counters.get(k, 0)) for k in BLOCKED_STATUSES if counters.get(k)}
    if blocked:
        flags.append(
            "blocked: " + ", ".join(f"{k.split('/')[-1]} x{v}" for k, v in blocked.items())
        )
    health.flags = flags
    health.updated_at = now
    session.flush()
    return _health_report(outlet, health)


def outlets_in_backoff(session: Session, now: datetime) -> dict[str, datetime]:
    """Outlets resting after repeated failures, with the time they may be tried again."""
    rows = session.execute(
        select(Outlet.name, OutletHealth.backoff_until)
        .join(OutletHealth)
        .where(OutletHealth.backoff_until > now)
    )
    return {name: until for name, until in rows if until is not None}


def outlet_health(session: Session) -> list[HealthReport]:
    rows = session.execute(select(Outlet.name, OutletHealth).join(OutletHealth))
    # Sorted here: a server's collation may order "a_b" after "ab"; SQLite never does.
    return [_health_report(name, health) for name, health in sorted(rows, key=lambda row: row[0])]


def _health_report(outlet: str, health: OutletHealth) -> HealthReport:
    return HealthReport(
        outlet=outlet,
        consecutive_failures=health.consecutive_failures,
        runs_without_new=health.runs_without_new,
        last_success_at=health.last_success_at,
        last_new_article_at=health.last_new_article_at,
        backoff_until=health.backoff_until,
        flags=tuple(health.flags),
    )
