"""Scrapy item pipelines: thin adapters around ``crawler.pages`` and ``storage``.

Extraction is CPU-bound and Scrapy runs in one process, so ProcessPagePipeline
hands each page to a process pool shared by every spider of the crawl; the
reactor keeps downloading while the workers extract. StorePipeline writes in
the crawl process, one short transaction per page, so a crash loses at most
the page in flight.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from typing import Any, ClassVar, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro

from crawler.database import engine_for, sessions_for
from crawler.incremental import ListingValidators
from crawler.linking import Linker
from crawler.pages import FetchedPage, PageSkip, build_record
from storage.db import StorageError, storage_errors
from storage.queries import ensure_outlet, record_skip, store_article
from storage.records import ArticleRecord
from storage.recrawl import recheck_article, save_validator

logger = logging.getLogger(__name__)

# One candidate index per store per crawl process, shared by its spiders.
_linkers: dict[str, Linker] = {}


def _stats(crawler: Crawler) -> StatsCollector:
    assert crawler.stats is not None
    return crawler.stats


class ProcessPagePipeline:
    """FetchedPage → ArticleRecord or PageSkip, in worker processes when configured."""

    _pool: ClassVar[ProcessPoolExecutor | None] = None
    _users: ClassVar[int] = 0

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.workers = crawler.settings.getint("NEWSMON_EXTRACT_WORKERS")
        self.topic_path = crawler.settings.get("NEWSMON_TOPIC", "")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self) -> None:
        if self.workers > 0:
            ProcessPagePipeline._users += 1

    def close_spider(self) -> None:
        if self.workers > 0:
            ProcessPagePipeline._users -= 1
            if ProcessPagePipeline._users == 0 and ProcessPagePipeline._pool is not None:
                ProcessPagePipeline._pool.shutdown(wait=True)
                ProcessPagePipeline._pool = None

    def _executor(self) -> Executor:
        if ProcessPagePipeline._pool is None:
            # forkserver: never fork the reactor's threads into a worker.
            context = multiprocessing.get_context("forkserver")
            ProcessPagePipeline._pool = ProcessPoolExecutor(self.workers, mp_context=context)
        return ProcessPagePipeline._pool

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, FetchedPage):
            return item
        try:
            if self.workers <= 0:
                return build_record(item, self.topic_path)
            future = self._executor().submit(build_record, item, self.topic_path)
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            # A worker died (out of memory on a hostile page, a native crash):
            # lose this page, not the crawl.
            ProcessPagePipeline._pool = None
            return self._failed(item, "worker_crashed")
        except Exception:
            logger.exception("extraction failed for %s", item.url)
            return self._failed(item, "extraction_error")

    def _failed(self, page: FetchedPage, reason: str) -> PageSkip:
        _stats(self.crawler).inc_value(f"newsmon/failed/{reason}")
        return PageSkip(page.outlet, page.url, reason, recheck_of=page.recheck_of)


class StorePipeline:
    """Stores article records and skip reasons; counts outcomes in the crawl stats."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.engine = engine_for(crawler.settings)
        self.sessions = sessions_for(crawler.settings)
        self.linking = crawler.settings.getbool("NEWSMON_LINK", True)
        self.broken: str | None = None  # why the store refused a write, once it has
        self.validators: list[ListingValidators] = []  # saved when the crawl completes
        self.db_key = crawler.settings.get("NEWSMON_DB_URL", "")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def spider_closed(self, reason: str) -> None:
        """Keep feed and sitemap validators only after a complete crawl.

        Saved earlier, a crawl killed half-way would leave validators for
        listings whose articles it never fetched; the next run would get 304
        for them and never see those articles.
        """
        if reason != "finished" or not self.validators or self.broken is not None:
            return
        try:
            with storage_errors(self.engine), self.sessions.begin() as session:
                for v in self.validators:
                    save_validator(session, v.url, v.etag, v.last_modified)
        except StorageError as error:
            logger.info("feed validators not kept: %s", error)

    def open_spider(self) -> None:
        spider = self.crawler.spider
        outlet = getattr(spider, "outlet", None)
        if outlet is None:
            return
        try:
            with storage_errors(self.engine), self.sessions.begin() as session:
                ensure_outlet(
                    session, outlet.name, outlet.title, outlet.homepage, list(outlet.languages)
                )
        except StorageError as error:
            self._refuse(error)

    def process_item(self, item: Any) -> Any:
        if self.broken is not None:
            raise DropItem(f"not stored: {self.broken}", log_level="DEBUG")
        stats = _stats(self.crawler)
        run_id = stats.get_value("newsmon/run_id")
        try:
            with storage_errors(self.engine):
                counter, stored = self._write(item, run_id)
        except StorageError as error:
            self._refuse(error)
            raise DropItem(f"not stored: {error}", log_level="DEBUG") from None
        if counter:  # counted once the transaction has committed
            stats.inc_value(f"newsmon/{counter}")
        if stored is not None and self.linking:
            self._link(stored, run_id)
        return item

    def _refuse(self, error: StorageError) -> None:
        """The store cannot take writes (read-only, disk full): stop the crawl rather
        than fetch pages that cannot be kept, and leave the runner the one sentence."""
        if self.broken is not None:
            return
        self.broken = str(error)
        # Debug only: the command ends with this sentence, once, as its error.
        logger.debug("%s", error)
        stats = _stats(self.crawler)
        stats.inc_value("newsmon/failed/storage")
        stats.set_value("newsmon/storage_error", str(error))
        stats.set_value("newsmon/storage_error_reason", error.reason)
        assert self.crawler.engine is not None
        # Scheduled, not awaited: closing waits for the items in flight, this one included.
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="storage_error"))

    def _write(self, item: Any, run_id: int | None) -> tuple[str | None, int | None]:
        """One short transaction per item; returns the counter to bump and a new article id."""
        with self.sessions.begin() as session:
            if isinstance(item, ListingValidators):
                self.validators.append(item)
            elif isinstance(item, PageSkip) and item.recheck_of is not None:
                # A stored article that now extracts badly stays as it was.
                return f"recheck/skipped/{item.reason}", None
            elif isinstance(item, PageSkip):
                record_skip(session, item.outlet, item.url, item.reason, run_id)
                return f"skipped/{item.reason}", None
            elif isinstance(item, ArticleRecord) and item.recheck_of is not None:
                recheck = recheck_article(session, replace(item, run_id=run_id))
                return f"recheck/{recheck.status}", None
            elif isinstance(item, ArticleRecord):
                outcome = store_article(session, replace(item, run_id=run_id))
                stored = outcome.article_id if outcome.status == "stored" else None
                return outcome.status, stored
        return None, None

    def _link(self, article_id: int, run_id: int | None) -> None:
        """Find the new article's copies, spins, translations and same-story reports.

        Its own transaction, after the article is committed: a failure here
        loses a relation (`newsmon relink` recomputes them), never the article.
        """
        stats = _stats(self.crawler)
        try:
            with storage_errors(self.engine), self.sessions.begin() as session:
                linker = _linkers.get(self.db_key)
                if linker is None:
                    linker = _linkers[self.db_key] = Linker.from_store(session)
                for found in linker.link(session, article_id, run_id):
                    stats.inc_value(f"newsmon/related/{found.relation}")
        except StorageError as error:
            self._refuse(error)
        except Exception:
            logger.exception("linking article %d failed", article_id)
            stats.inc_value("newsmon/failed/linking")
