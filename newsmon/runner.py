"""Run one crawl of some outlets in this process and record it as a crawl run.

The CLI and the demo call this; the scheduler runs it in a child process
(`python -m newsmon crawl ...`) because Twisted's reactor cannot be restarted
within one process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings
from scrapy.utils.reactor import is_reactor_installed
from sqlalchemy.orm import Session

from crawler.context import SETTING, CrawlContext
from crawler.extensions import run_outcome
from crawler.linking import link_unlinked
from crawler.outlets import Outlet
from crawler.settling import settle
from crawler.spiderloader import spider_class
from scheduler.lock import LockBusy, outlet_locks
from storage.db import StorageError
from storage.lineage import run_articles
from storage.queries import finish_run, get_run, running_runs, start_run
from storage.records import RunStatus, RunTrigger


@dataclass(frozen=True)
class CrawlOptions:
    db_url: str | None = None
    outlet_files: Sequence[Path] = ()
    builtin_outlets: bool = True
    # Loopback hosts and no politeness delays: only for the offline demo web and tests.
    local_web: bool = False
    trigger: RunTrigger = "manual"
    extract_workers: int | None = None
    log_level: str = "WARNING"
    extra_settings: dict[str, Any] = field(default_factory=dict)


def crawl_settings(options: CrawlOptions, run_id: int) -> Settings:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    overrides: dict[str, Any] = {
        "NEWSMON_DB_URL": options.db_url or "",
        "NEWSMON_OUTLETS": [str(p) for p in options.outlet_files],
        "NEWSMON_BUILTIN_OUTLETS": options.builtin_outlets,
        "NEWSMON_RUN_ID": run_id,
        "NEWSMON_RUN_TRIGGER": options.trigger,
        "LOG_LEVEL": options.log_level,
    }
    if options.extract_workers is not None:
        overrides["NEWSMON_EXTRACT_WORKERS"] = options.extract_workers
    if options.local_web:
        overrides.update(
            NEWSMON_ALLOW_PRIVATE=True,
            DOWNLOAD_DELAY=0,
            AUTOTHROTTLE_ENABLED=False,
            CONCURRENT_REQUESTS_PER_DOMAIN=8,
            DOWNLOAD_TIMEOUT=15,
            NEWSMON_RETRY_BACKOFF_HOURS=0,
        )
    overrides.update(options.extra_settings)
    settings.setdict(overrides, priority="cmdline")
    return settings


CrawlerHook = Callable[[Crawler, Outlet], None]


class Interrupted(BaseException):
    """The crawl was stopped by SIGINT or SIGTERM; raised once the run is recorded as such.

    A BaseException like KeyboardInterrupt: nothing on the way up may swallow it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """The shell's convention: 128 + the signal (130 for Ctrl-C, 143 for SIGTERM)."""
        return 128 + self.signum


class StopOnSignal:
    """SIGINT and SIGTERM stop the crawl the way Scrapy's own handlers do, but remembered.

    The first signal stops every crawler gracefully (no new requests; the items in
    flight are stored and linked, the worker pool finishes its tasks); a second one
    stops the reactor at once and leaves unfinished linking to the next run. Outside
    the reactor a signal unwinds the command as `Interrupted`.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.signum: int | None = None
        self.process: CrawlerProcess | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopOnSignal:
        for signum in self.SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        first = self.signum is None
        if first:
            self.signum = signum
        if self.process is None:
            raise Interrupted(signum)
        if not is_reactor_installed():
            # The crawlers are being set up and Scrapy installs its reactor on the first
            # one: importing the reactor here would install Twisted's default instead
            # (and fail that crawl). `_crawl` sees the signal and does not start.
            return
        from twisted.internet import reactor

        reactor.callFromThread(self.process.stop if first else _stop_reactor)


def _stop_reactor() -> None:
    from twisted.internet import reactor

    with contextlib.suppress(RuntimeError):  # already stopping
        reactor.stop()  # type: ignore[misc]  # the module is typed as its interface class


def run_crawl(
    outlets: Sequence[Outlet],
    options: CrawlOptions,
    on_crawler: CrawlerHook | None = None,
    run_id: int | None = None,
) -> int:
    """Crawl the outlets to completion; returns the crawl-run id.

    ``on_crawler`` lets a caller (the progress display) connect to each
    crawler's signals before it starts. ``run_id`` continues a run row that
    the caller (the scheduler) opened; otherwise a new one is opened here.
    Raises LockBusy, after closing the run as skipped, when another process
    is crawling one of the outlets, and Interrupted, after recording the run
    as interrupted, on SIGINT or SIGTERM. Articles an earlier run of these
    outlets stored but did not link are linked first.
    """
    context = CrawlContext.from_settings(crawl_settings(options, 0))
    if run_id is None:
        with context.transaction() as session:
            run_id = start_run(session, [o.name for o in outlets], options.trigger)
    context.run_id = run_id
    settings = crawl_settings(options, run_id)
    settings.set(SETTING, context, priority="cmdline")
    status: RunStatus = "failed"
    reason: str | None = None
    stop = StopOnSignal()
    try:
        with stop, outlet_locks(options.db_url, [o.name for o in outlets]):
            with context.transaction() as session:
                _close_abandoned_runs(session, run_id, [o.name for o in outlets])
            left: list[int] = []
            if context.link:
                with context.transaction() as session:
                    left = link_unlinked(session, [o.name for o in outlets], run_id)
            _crawl(outlets, settings, on_crawler, stop)
            if context.link and context.refused is None:
                # Interrupted runs too: what they stored and linked is settled as well.
                with context.transaction() as session:
                    ids = [*left, *run_articles(session, run_id)]
                    settle(session, context.linker_for(session), ids, context.redated, run_id)
        if context.refused is not None:
            # A crawl stopped because the store refused writes ends with that sentence.
            raise context.refused
        if stop.signum is not None:
            raise Interrupted(stop.signum)
        with context.transaction() as session:
            run = get_run(session, run_id)
            status, reason = run_outcome(
                run.stats if run is not None else {}, [o.name for o in outlets]
            )
    except LockBusy as exc:
        status, reason = "skipped", str(exc)
        raise
    except Interrupted as exc:
        status, reason = "interrupted", str(exc)
        raise
    except KeyboardInterrupt:
        status, reason = "interrupted", "interrupted by SIGINT"
        raise
    except StorageError as exc:
        reason = str(exc)
        raise
    except BaseException as exc:
        reason = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        if context.pool is not None:
            context.pool.close()
        try:
            with context.transaction() as session:
                finish_run(session, run_id, status, error=reason)
        finally:
            context.close()
    return run_id


# Why a run left `running` by a dead process is recorded as failed (here and `db check --repair`).
ABANDONED_RUN = "its crawl process died before recording the end"


def _close_abandoned_runs(session: Session, run_id: int, outlets: Sequence[str]) -> None:
    """Runs of these outlets still `running` were left by a process that died: we hold
    their outlets' locks, so nobody else is crawling them. Recorded as failed."""
    for run in running_runs(session):
        if run.id != run_id and set(run.outlets) <= set(outlets):
            finish_run(session, run.id, "failed", error=ABANDONED_RUN)


def _without_traceback(record: logging.LogRecord) -> bool:
    """Scrapy's robots.txt middleware logs an unreachable site with the whole traceback;
    the message already says what happened (the retry middleware says it again)."""
    record.exc_info = None
    record.exc_text = None
    return True


def _crawl(
    outlets: Sequence[Outlet],
    settings: Settings,
    on_crawler: CrawlerHook | None,
    stop: StopOnSignal,
) -> None:
    process = CrawlerProcess(settings)
    logging.getLogger("scrapy.downloadermiddlewares.robotstxt").addFilter(_without_traceback)
    # From here a signal stops the crawlers: setting them up imports the components (seconds),
    # and an exception raised inside Scrapy's set-up would only be logged.
    stop.process = process
    try:
        for outlet in outlets:
            crawler = process.create_crawler(spider_class(outlet))
            if on_crawler is not None:
                on_crawler(crawler, outlet)
            process.crawl(crawler)
        if stop.signum is None:
            process.start(install_signal_handlers=False)  # StopOnSignal handles them
    finally:
        stop.process = None
