"""Scrapy item pipelines: thin adapters around ``crawler.pages`` and ``storage``.

Extraction and lineage verdicts are CPU-bound and Scrapy runs in one process,
so both go to one process pool shared by every spider of the crawl; the
reactor keeps downloading while the workers work. StorePipeline writes in the
crawl process, one short transaction per page, which also records the verdicts
of earlier articles that came back meanwhile: a crash loses at most the page in
flight, and the linking of articles whose verdicts were not recorded yet (they
are stored unsigned, and the next run links them).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from crawler.context import CrawlContext, Turn
from crawler.incremental import ListingValidators
from crawler.linking import LinkJob, TextReader, in_order, judge_job, texts_for
from crawler.pages import FetchedPage, PageSkip, build_record
from crawler.workers import WorkerPool
from dedup.judging import Judgement, KeptKeys, judge_known, share_of
from storage import counters
from storage.db import StorageError
from storage.queries import ensure_outlet, record_skip, store_article
from storage.records import ArticleRecord, ArticleRef
from storage.recrawl import TEMPORARY_SKIPS, date_listed_pages, recheck_article, save_validator

logger = logging.getLogger(__name__)


def _stats(crawler: Crawler) -> StatsCollector:
    assert crawler.stats is not None
    return crawler.stats


class ProcessPagePipeline:
    """FetchedPage → ArticleRecord or PageSkip, in the crawl's worker pool when it has one."""

    def __init__(self, crawler: Crawler, context: CrawlContext) -> None:
        self.crawler = crawler
        self.context = context
        self.topic_path = crawler.settings.get("NEWSMON_TOPIC", "")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, CrawlContext.of(crawler))

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, FetchedPage):
            return item
        pool, sign = self.context.pool, self.context.link
        try:
            if pool is None:
                return build_record(item, self.topic_path, sign)
            return await pool.run(build_record, item, self.topic_path, sign)
        except BrokenProcessPool:
            # A worker died (out of memory on a hostile page, a native crash):
            # lose this page, not the crawl.
            return self._failed(item, "worker_crashed")
        except Exception:
            logger.exception("extraction failed for %s", item.url)
            return self._failed(item, "extraction_error")

    def _failed(self, page: FetchedPage, reason: str) -> PageSkip:
        _stats(self.crawler).inc_value(counters.stat(counters.FAILED + reason))
        return PageSkip(page.outlet, page.url, reason, recheck_of=page.recheck_of)


class StorePipeline:
    """Stores article records and skip reasons; counts outcomes in the crawl stats."""

    def __init__(self, crawler: Crawler, context: CrawlContext) -> None:
        self.crawler = crawler
        self.context = context
        self.validators: list[ListingValidators] = []  # saved when the crawl completes
        self.retry_later = False  # a page was lost to a temporary failure
        self.closing = False  # this spider is closing because the store refused a write

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        pipeline = cls(crawler, CrawlContext.of(crawler))
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def spider_closed(self, reason: str) -> None:
        """Date the pages stored undated that a later listing dated, and keep feed and
        sitemap validators, but only after a complete crawl.

        Saved earlier, a crawl killed half-way would leave validators for
        listings whose articles it never fetched; the next run would get 304
        for them and never see those articles. The same holds for a crawl that
        lost pages to temporary failures: the next run must list them again.
        """
        self._date_late_listed()
        if (
            reason != "finished"
            or not self.validators
            or self.context.refused is not None
            or self.retry_later
            or getattr(self.crawler.spider, "retries_pending", False)
        ):
            return
        try:
            with self.context.transaction() as session:
                for v in self.validators:
                    save_validator(session, v.url, v.etag, v.last_modified)
        except StorageError as error:
            logger.info("feed validators not kept: %s", error)

    def _date_late_listed(self) -> None:
        """`storage.recrawl.date_listed_pages` for the dates the spider learnt after it
        parsed their pages (`OutletSpider.late_listing_dates`): every item is stored by now."""
        dates = getattr(self.crawler.spider, "late_listing_dates", None)
        if not dates or self.context.refused is not None:
            return
        try:
            with self.context.transaction() as session:
                date_listed_pages(session, dates)
        except StorageError as error:
            logger.info("listing dates learnt late not kept: %s", error)

    def open_spider(self) -> None:
        spider = self.crawler.spider
        outlet = getattr(spider, "outlet", None)
        if outlet is None:
            return
        try:
            with self.context.transaction() as session:
                outlet_id = ensure_outlet(
                    session, outlet.name, outlet.title, outlet.homepage, list(outlet.languages)
                )
        except StorageError as error:
            self._refuse(error)
        else:
            self.context.outlet_ids[outlet.name] = outlet_id

    async def process_item(self, item: Any) -> Any:
        if self.context.refused is not None:
            self._refuse(self.context.refused)
            raise DropItem(f"not stored: {self.context.refused}", log_level="DEBUG")
        job: LinkJob | None = None
        try:
            # Also records the verdicts of earlier articles that are ready (`writing`).
            with self.context.writing() as session:
                counter, stored = self._write(session, item)
                if stored is not None and self.context.link:
                    signature = item.signature if isinstance(item, ArticleRecord) else None
                    job = self._prepare(session, stored, signature)
        except StorageError as error:
            self._refuse(error)
            raise DropItem(f"not stored: {error}", log_level="DEBUG") from None
        if counter:  # counted once the transaction has committed
            _stats(self.crawler).inc_value(counters.stat(counter))
        if job is not None:
            # Its turn is taken once the article is committed (else the turns after it
            # would wait for verdicts that never come), with no await since `prepare`:
            # the turns are taken in the order the articles were prepared.
            await self._link(job, self.context.take_turn())
        return item

    def _refuse(self, error: StorageError) -> None:
        """The store cannot take writes (read-only, disk full): stop the crawl rather
        than fetch pages that cannot be kept, and leave the runner the one sentence.

        Every spider of the crawl stops, whichever of them met the refusal first."""
        self.context.refuse(error)
        if self.closing:
            return
        self.closing = True
        _stats(self.crawler).inc_value(counters.stat(counters.FAILED_STORAGE))
        # Debug only: the command ends with this sentence, once, as its error.
        logger.debug("%s", error)
        assert self.crawler.engine is not None
        # Scheduled, not awaited: closing waits for the items in flight, this one included.
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="storage_error"))

    def _write(self, session: Session, item: Any) -> tuple[str | None, int | None]:
        """One short transaction per item; returns the counter to bump and a new article id."""
        run_id = self.context.run_id
        if isinstance(item, ListingValidators):
            self.validators.append(item)
        elif isinstance(item, PageSkip) and item.recheck_of is not None:
            # A stored article that now extracts badly stays as it was.
            return f"{counters.RECHECK}{counters.SKIPPED}{item.reason}", None
        elif isinstance(item, PageSkip):
            record_skip(session, item.outlet, item.url, item.reason, run_id)
            self.retry_later |= item.reason in TEMPORARY_SKIPS
            return counters.SKIPPED + item.reason, None
        elif isinstance(item, ArticleRecord) and item.recheck_of is not None:
            recheck = recheck_article(session, replace(item, run_id=run_id))
            return counters.RECHECK + recheck.status, None
        elif isinstance(item, ArticleRecord):
            outlet_id = self.context.outlet_ids.get(item.outlet)
            outcome = store_article(session, replace(item, run_id=run_id), outlet_id)
            if outcome.redated:
                self.context.redated.add(outcome.article_id)
            stored = outcome.article_id if outcome.status == counters.STORED else None
            return outcome.status, stored
        return None, None

    def _prepare(
        self, session: Session, article_id: int, signature: bytes | None
    ) -> LinkJob | None:
        """Read the new article's candidates and index it, in the transaction that stores it.

        No await between reading the candidates and indexing the article: the event loop
        runs one prepare at a time. A failure here loses the article's linking, never the
        article: it is committed unsigned, and the next run of its outlet (or `newsmon db
        check --repair`) links it.
        """
        try:
            return self.context.linker_for(session).prepare(session, article_id, signature)
        except (DBAPIError, sqlite3.Error):
            raise  # the store's own failure: the transaction goes, the crawl stops on it
        except Exception:
            self._link_failed(article_id)
            return None

    async def _link(self, job: LinkJob, turn: Turn) -> None:
        """Find the new article's copies, spins, translations and same-story reports.

        After the article is committed: a failure here loses a relation (`newsmon
        relink` recomputes them), never the article. The verdicts run in the worker
        pool, several articles at once, while the crawl goes on; they are recorded in
        the order the articles were prepared (see `Linker`), in the crawl's next write
        transaction (`CrawlContext.writing`), and this returns once they are committed.
        """
        verdicts: list[tuple[int, Judgement]] | None = None
        try:
            verdicts = await self._judge(job)
        except Exception:
            self._link_failed(job.article.id)
        finally:
            # Always, even when cancelled: the turns after this one wait for it.
            self.context.turn_ready(turn, job if verdicts is not None else None, verdicts or [])
        if verdicts is None:
            return
        try:
            found = await turn.done
        except StorageError as error:
            self._refuse(error)
        except Exception:
            self._link_failed(job.article.id)
        else:
            stats = _stats(self.crawler)
            for relation in found:
                stats.inc_value(counters.stat(counters.RELATED + relation.relation))

    def _link_failed(self, article_id: int) -> None:
        logger.exception("linking article %d failed", article_id)
        _stats(self.crawler).inc_value(counters.stat(counters.FAILED_LINKING))

    async def _judge(self, job: LinkJob) -> list[tuple[int, Judgement]]:
        pool = self.context.pool
        if pool is not None and job.candidates:
            try:
                held = self.context.worker_documents
                return await judge_in_pool(pool, job, self._texts, held)
            except BrokenProcessPool:
                logger.warning(
                    "a worker died while judging article %d; judging here", job.article.id
                )
        return judge_job(job, self._texts)

    def _texts(self, refs: Sequence[ArticleRef]) -> Mapping[int, str]:
        """The texts of candidates a worker has not parsed, read apart from the crawl's
        write transactions (their articles are committed)."""
        with self.context.readers()() as session:
            return texts_for(session, refs)


async def judge_in_pool(
    pool: WorkerPool,
    job: LinkJob,
    read_texts: TextReader,
    held: Sequence[KeptKeys] | None = None,
) -> list[tuple[int, Judgement]]:
    """`crawler.linking.judge_job` in the pool: the same relations, in the candidates' order.

    Each candidate is judged by the worker that keeps its parsed document
    (`share_of`): a worker then holds the documents of its share of the store, not
    of all of it, in the same memory. The candidates go without their texts, except
    those the worker does not hold by ``held`` (what each worker keeps, as far as this
    process knows: the store's older articles); a worker that lacks others anyway (it
    was started afresh) says which, and gets their texts in a second call.
    BrokenProcessPool when a worker died.
    """
    shares: dict[int, list[ArticleRef]] = {}
    for candidate in job.candidates:
        shares.setdefault(share_of(candidate.id, pool.workers), []).append(candidate)
    home = share_of(job.article.id, pool.workers)
    own = {job.article.id: job.text}
    # Told now, in the order the calls are handed to the workers, which run them in turn.
    lacking = {
        worker: held[worker].judging(job.article, share, worker == home) if held else []
        for worker, share in shares.items()
    }
    unread = [ref for refs in lacking.values() for ref in refs]
    texts = {**own, **read_texts(unread)} if unread else own

    async def judged_by(worker: int, share: list[ArticleRef]) -> list[tuple[int, Judgement]]:
        keep = worker == home
        sent = {**own, **{ref.id: texts[ref.id] for ref in lacking[worker]}}
        judged = await pool.run_on(worker, judge_known, job.article, share, sent, keep)
        if not judged.missing:
            return judged.found
        missing = set(judged.missing)
        unheld = [c for c in share if c.id in missing]
        more_texts = {**own, **read_texts(unheld)}
        more = await pool.run_on(worker, judge_known, job.article, unheld, more_texts, keep)
        return [*judged.found, *more.found]

    parts = await asyncio.gather(*(judged_by(w, share) for w, share in shares.items()))
    return in_order(job.candidates, (verdict for part in parts for verdict in part))
