"""Scrapy extension that records each crawl in the store's crawl_runs table.

The run row is what `newsmon runs` and the daily report read: per-outlet
counters (the crawler's ``newsmon/*`` stats), the finish reason and errors.
The CLI and the scheduler open the run and pass NEWSMON_RUN_ID; a bare
`scrapy crawl NAME` gets a run of its own here.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from crawler.context import CrawlContext
from storage import counters
from storage.db import StorageError
from storage.queries import add_run_stats, finish_run, start_run
from storage.records import RunStatus, as_trigger
from storage.recrawl import update_health

logger = logging.getLogger(__name__)


def outlet_stats(stats: dict[str, Any]) -> dict[str, Any]:
    """The newsmon counters of one spider, plus the HTTP figures the summary shows."""
    prefix = counters.PREFIX
    picked = {k[len(prefix) :]: v for k, v in stats.items() if k.startswith(prefix)}
    for key in (
        "downloader/request_count",
        "downloader/response_bytes",
        "finish_reason",
        "log_count/ERROR",
        "retry/max_reached",
    ):
        if key in stats:
            picked[key] = stats[key]
    return picked


class CrawlRunRecorder:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.owns_run = False  # a bare `scrapy crawl` opens and closes a run of its own

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        context = CrawlContext.of(self.crawler)
        if context.run_id is None:
            self.owns_run = True
            with context.transaction() as session:
                context.run_id = start_run(
                    session,
                    [spider.name],
                    as_trigger(self.crawler.settings.get("NEWSMON_RUN_TRIGGER", "")),
                )

    def spider_closed(self, spider: Spider, reason: str) -> None:
        assert self.crawler.stats is not None
        stats = outlet_stats(self.crawler.stats.get_stats())
        stats["finish_reason"] = reason
        listings = getattr(spider, "listings", None)
        if listings:
            stats["listings"] = listings
        context = CrawlContext.of(self.crawler)
        run_id = context.run_id
        assert run_id is not None
        try:
            with context.transaction() as session:
                add_run_stats(session, run_id, spider.name, stats)
                update_health(session, spider.name, stats, getattr(spider, "newest_listed", None))
                if self.owns_run:
                    status, why = (
                        run_outcome({spider.name: stats}, [spider.name])
                        if reason == "finished"
                        else ("interrupted", f"stopped: {reason}")
                    )
                    finish_run(session, run_id, status, error=why)
        except StorageError as error:
            # The crawl's figures are lost with the store, not the command: it reports this.
            logger.info("run %s: figures of %s not recorded: %s", run_id, spider.name, error)


def run_outcome(
    per_outlet: Mapping[str, Mapping[str, Any]], outlets: Sequence[str]
) -> tuple[RunStatus, str | None]:
    """The status of a run that was not interrupted, and why when it is not `succeeded`.

    `failed` when nothing at all could be fetched, `partial` when some listings or
    pages failed or an outlet's spider did not finish, `succeeded` otherwise.
    """
    failures: Counter[str] = Counter()
    read = 0
    unfinished = []
    for name in outlets:
        stats = per_outlet.get(name, {})
        if stats.get("finish_reason") != "finished":
            unfinished.append(f"{name} ({stats.get('finish_reason', 'never started')})")
        read += counters.count(stats, *counters.READ) - counters.count(stats, counters.UNREADABLE)
        failed = counters.FAILED
        failures.update(
            {k[len(failed) :]: int(v) for k, v in stats.items() if k.startswith(failed) and v}
        )
    if not failures and not unfinished:
        return "succeeded", None
    parts = []
    if failures:
        shown = ", ".join(f"{kind} x{n}" for kind, n in failures.most_common(4))
        more = "" if len(failures) <= 4 else ", ..."
        parts.append(f"{failures.total()} listing(s) or page(s) failed ({shown}{more})")
    if unfinished:
        parts.append(f"did not finish: {', '.join(unfinished)}")
    if read <= 0:
        return "failed", "nothing could be fetched: " + "; ".join(parts)
    return "partial", "; ".join(parts)
