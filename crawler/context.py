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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings
from sqlalchemy.orm import Session, sessionmaker

from crawler.linking import Linker
from crawler.pages import WARM_LANGUAGES
from crawler.workers import WorkerPool
from storage.db import StorageError, make_engine, session_factory, storage_errors, upgrade

SETTING = "NEWSMON_CONTEXT"
# What the pool runs: the page stage and the verdicts (pure stages, no Scrapy, no database);
# `crawler.warmup` loads the tables of the crawl's languages before the workers fork.
WORKER_MODULES = ("crawler.pages", "dedup.judging", "crawler.warmup")


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
        self.link = link
        self.run_id = run_id
        self.refused: StorageError | None = None
        self.linker: Linker | None = None
        # The store's id of each outlet the crawl registered (`StorePipeline.open_spider`).
        self.outlet_ids: dict[str, int] = {}
        # Articles a copy published earlier re-dated: their pairs are judged again once
        # every verdict in flight is recorded (`crawler.linking.rejudge`, by the runner).
        self.redated: set[int] = set()
        # Set when the article prepared last has its verdicts recorded; the next waits on it.
        self._last_recorded: asyncio.Event | None = None

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

    def next_turn(self) -> tuple[asyncio.Event | None, asyncio.Event]:
        """The event of the article prepared before (wait for it before recording) and this
        article's own (set once recorded): verdicts are recorded in the order prepared."""
        previous, self._last_recorded = self._last_recorded, asyncio.Event()
        return previous, self._last_recorded

    def linker_for(self, session: Session) -> Linker:
        """The crawl's candidate index: built from the store the first time, then brought
        up to date with what concurrent crawls of other outlets linked meanwhile."""
        if self.linker is None:
            self.linker = Linker.from_store(session)
        else:
            self.linker.refresh(session)
        return self.linker

    def close(self) -> None:
        """Stop the workers and let go of the store's connections (every way out)."""
        if self.pool is not None:
            self.pool.close()
        self.engine.dispose()


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
