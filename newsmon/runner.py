"""Run one crawl of some outlets in this process and record it as a crawl run.

The CLI and the demo call this; the scheduler runs it in a child process
(`python -m newsmon crawl ...`) because Twisted's reactor cannot be restarted
within one process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings
from sqlalchemy.orm import Session, sessionmaker

from crawler.outlets import Outlet
from crawler.spiderloader import spider_class
from scheduler.lock import LockBusy, outlet_locks
from storage.db import StorageError, make_engine, session_factory, storage_errors, upgrade
from storage.queries import finish_run, get_run, start_run
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
        )
    overrides.update(options.extra_settings)
    settings.setdict(overrides, priority="cmdline")
    return settings


CrawlerHook = Callable[[Crawler, Outlet], None]


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
    is crawling one of the outlets.
    """
    engine = make_engine(options.db_url)
    sessions = session_factory(engine)
    with storage_errors(engine):
        upgrade(engine)
        if run_id is None:
            with sessions.begin() as session:
                run_id = start_run(session, [o.name for o in outlets], options.trigger)
    status: RunStatus = "failed"
    error: str | None = None
    try:
        with outlet_locks(options.db_url, [o.name for o in outlets]):
            crawlers = _crawl(outlets, options, run_id, on_crawler)
        _raise_storage_error(crawlers)
        with storage_errors(engine):
            status = _status_from_stats(sessions, run_id, len(outlets))
    except LockBusy as exc:
        status, error = "skipped", str(exc)
        raise
    except BaseException as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        try:
            with storage_errors(engine), sessions.begin() as session:
                finish_run(session, run_id, status, error=error)
        finally:
            engine.dispose()
    return run_id


def _raise_storage_error(crawlers: list[Crawler]) -> None:
    """A crawl stopped because the store refused writes ends the command with that sentence."""
    for crawler in crawlers:
        assert crawler.stats is not None
        message = crawler.stats.get_value("newsmon/storage_error")
        if message:
            reason = crawler.stats.get_value("newsmon/storage_error_reason", "unreachable")
            raise StorageError(str(message), reason)


def _crawl(
    outlets: Sequence[Outlet], options: CrawlOptions, run_id: int, on_crawler: CrawlerHook | None
) -> list[Crawler]:
    process = CrawlerProcess(crawl_settings(options, run_id))
    crawlers = []
    for outlet in outlets:
        crawler = process.create_crawler(spider_class(outlet))
        if on_crawler is not None:
            on_crawler(crawler, outlet)
        process.crawl(crawler)
        crawlers.append(crawler)
    process.start()
    return crawlers


def _status_from_stats(sessions: sessionmaker[Session], run_id: int, expected: int) -> RunStatus:
    """A run succeeded when every outlet's spider finished normally."""
    with sessions() as session:
        run = get_run(session, run_id)
        stats = run.stats or {} if run is not None else {}
    finished = [s for s in stats.values() if s.get("finish_reason") == "finished"]
    if len(finished) == expected:
        return "succeeded"
    return "interrupted" if stats else "failed"
