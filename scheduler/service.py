"""The APScheduler service: persistent crawl schedules in the store's own database.

Jobs live in APScheduler's SQLAlchemy job store, in the same database as the
articles, so a schedule survives restarts and moves with the store. Every job
coalesces missed runs into one, tolerates an hour of lateness and never runs
twice at once; the per-outlet file locks in ``scheduler.lock`` also keep it
from overlapping a manual `newsmon crawl`.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from scheduler.jobs import crawl_job, stop_children
from storage.db import make_engine, upgrade

logger = logging.getLogger(__name__)

JOB_TABLE = "apscheduler_jobs"
DEFAULT_JOB_ID = "daily-all-outlets"
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}
_EVERY = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class ScheduleError(ValueError):
    """A schedule the user asked for cannot be made; the message says how to write it."""


@dataclass(frozen=True)
class ScheduledCrawl:
    id: str
    outlets: tuple[str, ...]
    trigger: str
    next_run: datetime | None


def build_scheduler(db_url: str | None) -> BackgroundScheduler:
    engine = make_engine(db_url)
    upgrade(engine)
    store = SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE)
    return BackgroundScheduler(
        jobstores={"default": store}, job_defaults=JOB_DEFAULTS, timezone="UTC"
    )


def parse_every(every: str) -> timedelta:
    match = _EVERY.match(every)
    if not match or int(match.group(1)) == 0:
        raise ScheduleError(f"--every {every!r} is not an interval; write it like 30m, 6h or 1d.")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def make_trigger(cron: str | None, every: str | None) -> CronTrigger | IntervalTrigger:
    if (cron is None) == (every is None):
        raise ScheduleError('Give exactly one of --cron "0 6 * * *" or --every 6h.')
    if cron is not None:
        try:
            return CronTrigger.from_crontab(cron, timezone="UTC")
        except ValueError as exc:
            raise ScheduleError(
                f'--cron {cron!r} is not a crontab expression ({exc}); write it like "0 6 * * *".'
            ) from exc
    assert every is not None
    return IntervalTrigger(seconds=int(parse_every(every).total_seconds()), timezone="UTC")


def job_id_for(outlets: Sequence[str], cron: str | None, every: str | None) -> str:
    """A readable id from what the user typed: `crawl-tass-every-6h`, `crawl-all-0-6-x-x-x`."""
    when = f"every-{every.strip()}" if every else (cron or "").replace("*", "x")
    slug = re.sub(r"[^0-9a-z]+", "-", when.lower()).strip("-")
    return f"crawl-{'-'.join(sorted(outlets)) or 'all'}-{slug}"


def add_crawl(
    scheduler: BaseScheduler,
    trigger: CronTrigger | IntervalTrigger,
    *,
    job_id: str,
    db_url: str | None,
    outlets: Sequence[str] = (),
    outlet_files: Sequence[str] = (),
    builtin: bool = True,
    allow_private: bool = False,
) -> str:
    scheduler.add_job(
        crawl_job,
        trigger,
        id=job_id,
        name=", ".join(outlets) or "all outlets",
        replace_existing=True,
        kwargs={
            "db_url": db_url,
            "outlets": list(outlets),
            "outlet_files": list(outlet_files),
            "builtin": builtin,
            "allow_private": allow_private,
        },
    )
    return job_id


def ensure_default(scheduler: BaseScheduler, db_url: str | None) -> bool:
    """With no schedule at all, every outlet is re-crawled once a day at 06:00 UTC.

    Only the service adds it (`newsmon schedule start`), and says so; listing the
    schedule never changes it. Returns whether the default was added.
    """
    if scheduler.get_jobs():
        return False
    add_crawl(
        scheduler,
        CronTrigger(hour=6, minute=0, timezone="UTC"),
        db_url=db_url,
        job_id=DEFAULT_JOB_ID,
    )
    logger.info(
        "no scheduled crawl: added %s (every outlet at 06:00 UTC); "
        "`newsmon schedule remove %s` removes it",
        DEFAULT_JOB_ID,
        DEFAULT_JOB_ID,
    )
    return True


def describe(scheduler: BaseScheduler) -> list[ScheduledCrawl]:
    return [
        ScheduledCrawl(
            job.id,
            tuple(job.kwargs.get("outlets", ())),
            trigger_text(job.trigger),
            getattr(job, "next_run_time", None),
        )
        for job in scheduler.get_jobs()
    ]


def trigger_text(trigger: object) -> str:
    """A trigger as its user wrote it: `cron 0 6 * * *`, `every 6h`, `every 1d 12h`."""
    if isinstance(trigger, CronTrigger):
        fields = {field.name: str(field) for field in trigger.fields}
        crontab = ("minute", "hour", "day", "month", "day_of_week")
        return "cron " + " ".join(fields[name] for name in crontab)
    if isinstance(trigger, IntervalTrigger):
        seconds = int(trigger.interval.total_seconds())
        parts = []
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
            if seconds >= size:
                parts.append(f"{seconds // size}{unit}")
                seconds %= size
        return "every " + " ".join(parts)
    return str(trigger)


def serve_forever(db_url: str | None, ready: Callable[[], None] | None = None) -> None:
    """Run the scheduler in the foreground until SIGTERM or SIGINT.

    On a signal the crawl in progress is asked to stop (Scrapy closes its
    spiders and the run is recorded as interrupted), then the scheduler shuts
    down; nothing is left half-written.
    """
    scheduler = build_scheduler(db_url)
    stopping = threading.Event()

    def stop(signum: int, _frame: FrameType | None) -> None:
        logger.info("received %s: stopping", signal.Signals(signum).name)
        stopping.set()
        stop_children()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler.start(paused=True)
    try:
        ensure_default(scheduler, db_url)
        scheduler.resume()
        if ready is not None:
            ready()
        stopping.wait()
    finally:
        scheduler.shutdown(wait=True)
