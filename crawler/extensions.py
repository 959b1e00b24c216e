"""Scrapy extension that records each crawl in the store's crawl_runs table.

The run row is what `newsmon runs` and the daily report read: per-outlet
counters (the crawler's ``newsmon/*`` stats), the finish reason and errors.
The CLI and the scheduler open the run and pass NEWSMON_RUN_ID; a bare
`scrapy crawl NAME` gets a run of its own here.
"""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from crawler.database import engine_for, sessions_for
from storage.db import StorageError, storage_errors
from storage.queries import add_run_stats, finish_run, start_run
from storage.records import as_trigger
from storage.recrawl import update_health

PREFIX = "newsmon/"
logger = logging.getLogger(__name__)


def outlet_stats(stats: dict[str, Any]) -> dict[str, Any]:
    """The newsmon counters of one spider, plus the HTTP figures the summary shows."""
    picked = {
        k[len(PREFIX) :]: v
        for k, v in stats.items()
        if k.startswith(PREFIX) and k != "newsmon/run_id"
    }
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
        self.engine = engine_for(crawler.settings)
        self.sessions = sessions_for(crawler.settings)
        self.run_id = crawler.settings.getint("NEWSMON_RUN_ID")
        self.owns_run = self.run_id == 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        if self.owns_run:
            with self.sessions.begin() as session:
                self.run_id = start_run(
                    session,
                    [spider.name],
                    as_trigger(self.crawler.settings.get("NEWSMON_RUN_TRIGGER", "")),
                )
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("newsmon/run_id", self.run_id)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        assert self.crawler.stats is not None
        stats = outlet_stats(self.crawler.stats.get_stats())
        stats["finish_reason"] = reason
        try:
            with storage_errors(self.engine), self.sessions.begin() as session:
                add_run_stats(session, self.run_id, spider.name, stats)
                update_health(session, spider.name, stats, getattr(spider, "newest_listed", None))
                if self.owns_run:
                    finish_run(
                        session, self.run_id, "succeeded" if reason == "finished" else "interrupted"
                    )
        except StorageError as error:
            # The crawl's figures are lost with the store, not the command: it reports this.
            logger.info("run %s: figures of %s not recorded: %s", self.run_id, spider.name, error)
