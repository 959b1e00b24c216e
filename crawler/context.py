"""The one owner of a crawl process's state, handed to the Scrapy components.

A crawl process runs several spiders (one per outlet) that share one store, one
worker pool, one candidate index and one run. The runner creates a
`CrawlContext` per crawl and passes it in the NEWSMON_CONTEXT setting; every
component finds it with `CrawlContext.of(crawler)`, and the runner closes it on
every way out of the crawl, so nothing lives on in module globals. A bare
`scrapy crawl NAME` gets a context of its own from the `OwnContext` extension.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sqlite3
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from crawler.linking import Found, Linker, LinkJob
from crawler.pages import WARM_LANGUAGES
from crawler.workers import WorkerPool
from dedup.judging import Judgement, KeptKeys
from storage.db import StorageError, make_engine, session_factory, storage_errors, upgrade

logger = logging.getLogger(__name__)

SETTING = "NEWSMON_CONTEXT"
YOUNG_COLLECTION_EVERY = 10_000
"""Allocations between two young-generation collections while a crawl links (Python's
default is 700): `CrawlContext._spare_the_collector`."""
# What the pool runs: the page stage and the verdicts (pure stages, no Scrapy, no database);
# `crawler.warmup` loads the tables of the crawl's languages before the workers fork.
WORKER_MODULES = ("crawler.pages", "crawler.extract", "dedup.judging", "wordfreq", "crawler.warmup")
RECORD_DELAY = 0.05
"""Seconds verdicts ready to be recorded wait for the crawl's next write transaction (the
next page stored) before they get one of their own: a transaction per page instead of one
per page and one per linked article."""
RECORDS_PER_TRANSACTION = 64
"""At most this many articles' verdicts recorded in one transaction (it holds the store's
write lock)."""


@dataclass(eq=False)
class Turn:
    """A linked article's place in the order verdicts are recorded in (the order the
    articles were prepared, see `Linker`); ``done`` is resolved once its verdicts are
    committed, with the relations found."""

    done: asyncio.Future[list[Found]]
    job: LinkJob | None = None  # None: nothing to record (its verdicts failed)
    verdicts: Sequence[tuple[int, Judgement]] = ()
    ready: bool = False


class CrawlContext:
    """The store, the worker pool, the candidate index and the run of one crawl process.

    Also what the components tell each other: the run id (from the runner or the
    run recorder) and the first write the store refused (the crawl stops on it and
    the command ends with its sentence).
    """

    def __init__(
        self, db_url: str | None, *, workers: int = 0, link: bool = True, run_id: int | None = None
    ) -> None:
        self.engine = make_engine(db_url or None)
        with storage_errors(self.engine):
            upgrade(self.engine)
        self.sessions = session_factory(self.engine)
        self.pool = WorkerPool(workers, WORKER_MODULES) if workers > 0 else None
        # The articles each worker keeps parsed, as far as this process knows (the texts
        # it must send with a verdict call: `crawler.pipelines.judge_in_pool`).
        self.worker_documents = [KeptKeys() for _ in range(workers)]
        self.link = link
        self.run_id = run_id
        self.refused: StorageError | None = None
        self.linker: Linker | None = None
        # The store's id of each outlet the crawl registered (`StorePipeline.open_spider`).
        self.outlet_ids: dict[str, int] = {}
        # Articles a copy published earlier re-dated: their pairs are judged again once
        # every verdict in flight is recorded (`crawler.linking.rejudge`, by the runner).
        self.redated: set[int] = set()
        # Articles prepared and not yet recorded, in the order prepared.
        self._turns: deque[Turn] = deque()
        self._drain: asyncio.TimerHandle | None = None
        # The collector's thresholds before the crawl changed them (`_spare_the_collector`).
        self._thresholds: tuple[int, int, int] | None = None

    @classmethod
    def from_settings(cls, settings: BaseSettings, run_id: int | None = None) -> Self:
        return cls(
            settings.get("NEWSMON_DB_URL", ""),
            workers=settings.getint("NEWSMON_EXTRACT_WORKERS"),
            link=settings.getbool("NEWSMON_LINK", True),
            run_id=run_id or settings.getint("NEWSMON_RUN_ID") or None,
        )

    @staticmethod
    def of(crawler: Crawler) -> CrawlContext:
        """The context of the crawl this crawler belongs to (after its extensions are built)."""
        context = crawler.settings.get(SETTING)
        if isinstance(context, CrawlContext):
            return context
        own = crawler.get_extension(OwnContext)
        if own is None:
            raise NotConfigured(f"no {SETTING} and no crawler.context.OwnContext extension")
        return own.context

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        """Scrapy deep-copies the settings for every crawler: they all share this one."""
        return self

    def expect_languages(self, languages: Iterable[str]) -> None:
        """Languages the crawl's pages will be in (each spider names its outlet's as it
        starts, before any page is fetched): the worker pool's fork server loads their
        word lists once, before it forks the workers, and they share them. A process has
        one fork server, so a later crawl in the same process keeps the first one's; a
        worker still loads any other language's list on its first page in it."""
        if self.pool is None:
            return
        known = self.pool.environ.get(WARM_LANGUAGES, "").split(",")
        self.pool.environ[WARM_LANGUAGES] = ",".join(sorted({*known, *languages} - {""}))

    def readers(self) -> sessionmaker[Session]:
        return session_factory(self.engine, write=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction, committed on leaving; store failures raise StorageError."""
        with storage_errors(self.engine), self.sessions.begin() as session:
            yield session

    def refuse(self, error: StorageError) -> bool:
        """Remember the first write the store refused; whether this was the first."""
        if self.refused is not None:
            return False
        self.refused = error
        return True

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A write transaction that first records the verdicts ready to be recorded.

        Their articles' turns are resolved once it commits, or fail with its error: an
        article is committed before it is linked, and its verdicts either with the
        transaction or not at all (the article then stays unsigned, and the next run or
        `newsmon db check --repair` links it), so an interrupted crawl loses nothing.
        """
        taken: dict[Turn, list[Found] | Exception] = {}
        try:
            with self.transaction() as session:
                self._record_ready(session, taken)
                yield session
        except BaseException as error:
            for turn in taken:
                _resolve(turn, error if isinstance(error, Exception) else None)
            raise
        finally:
            self._schedule_drain()
        for turn, outcome in taken.items():
            _resolve(turn, outcome)

    def take_turn(self) -> Turn:
        """The turn of the article prepared last (take it once the article is committed,
        with no await since `Linker.prepare`)."""
        turn = Turn(asyncio.get_running_loop().create_future())
        self._turns.append(turn)
        return turn

    def turn_ready(
        self, turn: Turn, job: LinkJob | None, verdicts: Sequence[tuple[int, Judgement]]
    ) -> None:
        """The article's verdicts are in (``job`` None: nothing to record); they are
        recorded in the next write transaction, in their turn."""
        turn.job, turn.verdicts, turn.ready = job, verdicts, True
        self._schedule_drain()

    def _record_ready(self, session: Session, taken: dict[Turn, list[Found] | Exception]) -> None:
        """Record the ready turns at the head of the queue into ``taken``, each in a
        savepoint: a verdict that cannot be recorded loses its own relations, not the
        others'. A turn is in ``taken`` from the moment it leaves the queue, so whatever
        happens to the transaction, it is resolved."""
        while self._turns and self._turns[0].ready and len(taken) < RECORDS_PER_TRANSACTION:
            turn = self._turns.popleft()
            taken[turn] = []
            if turn.job is None or self.linker is None:
                continue
            try:
                with session.begin_nested():
                    taken[turn] = self.linker.record(session, turn.job, turn.verdicts, self.run_id)
            except (DBAPIError, sqlite3.Error):
                raise  # the store's own failure: the whole transaction goes
            except Exception as error:
                taken[turn] = error

    def _schedule_drain(self) -> None:
        """Give ready turns a transaction of their own if no page is stored meanwhile."""
        if self._drain is not None or not (self._turns and self._turns[0].ready):
            return
        self._drain = asyncio.get_running_loop().call_later(RECORD_DELAY, self._drain_now)

    def _drain_now(self) -> None:
        self._drain = None
        if not (self._turns and self._turns[0].ready):
            return
        try:
            with self.writing():
                pass
        except Exception as error:  # the turns have it: their articles' linking says so
            logger.debug("recording verdicts failed: %s", error)

    def linker_for(self, session: Session) -> Linker:
        """The crawl's candidate index: built from the store the first time, then brought
        up to date with what concurrent crawls of other outlets linked meanwhile."""
        if self.linker is None:
            self.linker = Linker.from_store(session)
            self._spare_the_collector()
        else:
            self.linker.refresh(session)
        return self.linker

    def _spare_the_collector(self) -> None:
        """Keep Python's cyclic collector from walking the same objects over and over.

        The index read from the store and everything the crawl's start-up made (modules,
        components, settings) live as long as the crawl: they are frozen out of the
        collector until `close`. A linked article then allocates tens of thousands of
        objects that die within the article; collecting the young generation every
        `YOUNG_COLLECTION_EVERY` allocations instead of Python's 700 lets most of them go
        uncollected, freed by their reference counts alone. On the bulk benchmark this
        takes the crawl process's collections from 1.5 to 0.43 ms an article
        (`benchmarks/README.md`, thirteenth pass). Called once, when the index is built."""
        gc.freeze()
        self._thresholds = gc.get_threshold()
        gc.set_threshold(YOUNG_COLLECTION_EVERY, *self._thresholds[1:])

    def close(self) -> None:
        """Stop the workers and let go of the store's connections (every way out).

        Verdicts still waiting for their turn are dropped: their articles are stored
        unsigned, and the next run of their outlets links them."""
        if self._drain is not None:
            self._drain.cancel()
            self._drain = None
        if self.pool is not None:
            self.pool.close()
        self.engine.dispose()
        if self._thresholds is not None:  # this context spared the collector
            gc.unfreeze()
            gc.set_threshold(*self._thresholds)
            self._thresholds = None


def _resolve(turn: Turn, outcome: list[Found] | Exception | None) -> None:
    """Resolve a turn with the relations found or an error (None: cancel it), unless the
    article's linking stopped waiting for it (its crawl is being torn down)."""
    if turn.done.done():
        return
    if outcome is None:
        turn.done.cancel()
    elif isinstance(outcome, Exception):
        turn.done.set_exception(outcome)
    else:
        turn.done.set_result(outcome)


class OwnContext:
    """Extension: a context for a crawl that was given none (a bare `scrapy crawl NAME`).

    Made when a component first asks for it, so a crawler that never touches the
    store opens none."""

    def __init__(self, settings: BaseSettings) -> None:
        self.settings = settings
        self._context: CrawlContext | None = None

    @property
    def context(self) -> CrawlContext:
        if self._context is None:
            self._context = CrawlContext.from_settings(self.settings)
        return self._context

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if crawler.settings.get(SETTING) is not None:
            raise NotConfigured  # the runner gave the crawl its context (no message: no warning)
        extension = cls(crawler.settings)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_stopped(self) -> None:
        if self._context is not None:
            self._context.close()
