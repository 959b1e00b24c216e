"""Scrapy item pipelines: thin adapters around ``crawler.pages`` and ``storage``.

Extraction and lineage verdicts are CPU-bound and Scrapy runs in one process,
so both go to one process pool shared by every spider of the crawl; the
reactor keeps downloading while the workers work. StorePipeline writes in the
crawl process, one short transaction per page, so a crash loses at most the
page in flight.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro

from crawler.database import engine_for, sessions_for
from crawler.incremental import ListingValidators
from crawler.linking import Linker, LinkJob, judge
from crawler.pages import FetchedPage, PageSkip, build_record
from crawler.workers import WorkerPool
from dedup.verdict import Verdict
from storage.db import StorageError, storage_errors
from storage.queries import ensure_outlet, record_skip, store_article
from storage.records import ArticleRecord
from storage.recrawl import TEMPORARY_SKIPS, recheck_article, save_validator

logger = logging.getLogger(__name__)

# One candidate index per store per crawl process, shared by its spiders.
_linkers: dict[str, Linker] = {}


# Per store, set when the last article prepared for linking is recorded; the next waits on it.
_last_prepared: dict[str, asyncio.Event] = {}


def _stats(crawler: Crawler) -> StatsCollector:
    assert crawler.stats is not None
    return crawler.stats


class ProcessPagePipeline:
    """FetchedPage → ArticleRecord or PageSkip, in worker processes when configured."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.workers = crawler.settings.getint("NEWSMON_EXTRACT_WORKERS")
        self.topic_path = crawler.settings.get("NEWSMON_TOPIC", "")
        self.sign = crawler.settings.getbool("NEWSMON_LINK", True)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self) -> None:
        if self.workers > 0:
            WorkerPool.acquire()

    def close_spider(self) -> None:
        if self.workers > 0:
            WorkerPool.release()

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, FetchedPage):
            return item
        try:
            if self.workers <= 0:
                return build_record(item, self.topic_path, self.sign)
            return await WorkerPool.run(
                self.workers, build_record, item, self.topic_path, self.sign
            )
        except BrokenProcessPool:
            # A worker died (out of memory on a hostile page, a native crash):
            # lose this page, not the crawl.
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
        self.retry_later = False  # a page was lost to a temporary failure
        self.db_key = crawler.settings.get("NEWSMON_DB_URL", "")
        self.workers = crawler.settings.getint("NEWSMON_EXTRACT_WORKERS")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def spider_closed(self, reason: str) -> None:
        """Keep feed and sitemap validators only after a complete crawl.

        Saved earlier, a crawl killed half-way would leave validators for
        listings whose articles it never fetched; the next run would get 304
        for them and never see those articles. The same holds for a crawl that
        lost pages to temporary failures: the next run must list them again.
        """
        if (
            reason != "finished"
            or not self.validators
            or self.broken is not None
            or self.retry_later
        ):
            return
        try:
            with storage_errors(self.engine), self.sessions.begin() as session:
                for v in self.validators:
                    save_validator(session, v.url, v.etag, v.last_modified)
        except StorageError as error:
            logger.info("feed validators not kept: %s", error)

    def close_spider(self) -> None:
        if self.workers > 0 and self.linking:
            WorkerPool.release()

    def open_spider(self) -> None:
        if self.workers > 0 and self.linking:
            WorkerPool.acquire()  # verdicts run in the pool too; keep it until linking is done
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

    async def process_item(self, item: Any) -> Any:
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
            signature = item.signature if isinstance(item, ArticleRecord) else None
            await self._link(stored, run_id, signature)
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
                self.retry_later |= item.reason in TEMPORARY_SKIPS
                return f"skipped/{item.reason}", None
            elif isinstance(item, ArticleRecord) and item.recheck_of is not None:
                recheck = recheck_article(session, replace(item, run_id=run_id))
                return f"recheck/{recheck.status}", None
            elif isinstance(item, ArticleRecord):
                outcome = store_article(session, replace(item, run_id=run_id))
                stored = outcome.article_id if outcome.status == "stored" else None
                return outcome.status, stored
        return None, None

    async def _link(self, article_id: int, run_id: int | None, signature: bytes | None) -> None:
        """Find the new article's copies, spins, translations and same-story reports.

        Its own transactions, after the article is committed: a failure here
        loses a relation (`newsmon relink` recomputes them), never the article.
        The verdicts run in the worker pool, several articles at once, while the
        crawl goes on; the results are recorded in the order the articles were
        prepared (see `Linker`).
        """
        stats = _stats(self.crawler)
        recorded = asyncio.Event()
        previous = _last_prepared.get(self.db_key)
        _last_prepared[self.db_key] = recorded
        try:
            # No await between reading the candidates and indexing the article:
            # the event loop runs one prepare at a time.
            with storage_errors(self.engine), self.sessions.begin() as session:
                linker = _linkers.get(self.db_key)
                if linker is None:
                    linker = _linkers[self.db_key] = Linker.from_store(session)
                job = linker.prepare(session, article_id, signature)
            verdicts = await self._judge(job)
            if previous is not None:
                await previous.wait()
            with storage_errors(self.engine), self.sessions.begin() as session:
                for found in linker.record(session, job, verdicts, run_id):
                    stats.inc_value(f"newsmon/related/{found.relation}")
        except StorageError as error:
            self._refuse(error)
        except Exception:
            logger.exception("linking article %d failed", article_id)
            stats.inc_value("newsmon/failed/linking")
        finally:
            recorded.set()

    async def _judge(self, job: LinkJob) -> list[tuple[int, Verdict]]:
        if self.workers > 0 and job.candidates:
            try:
                return await WorkerPool.run(self.workers, judge, job.article, job.candidates)
            except BrokenProcessPool:
                logger.warning(
                    "a worker died while judging article %d; judging here", job.article.id
                )
        return judge(job.article, job.candidates)
