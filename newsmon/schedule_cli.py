"""`newsmon schedule ...`: manage and run the persistent crawl schedule."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import inspect

from crawler.outlets import load_registry, registry_paths_from_env
from newsmon.common import DbOption, UserError, console, store
from newsmon.render import Col, fit_table, summary_counts
from scheduler.jobs import RUN_ENDED, crawl_job
from scheduler.service import (
    JOB_TABLE,
    ScheduledCrawl,
    add_crawl,
    build_scheduler,
    describe,
    job_id_for,
    make_trigger,
    serve_forever,
)
from storage.db import make_engine, storage_errors
from storage.queries import get_run

schedule_app = typer.Typer(help="Schedule daily (or any) re-crawls; jobs persist in the store.")


class RunLog(logging.Handler):
    """The scheduler's log on the console, one timestamped line per event (never wrapped,
    so it greps); the end of a crawl run comes with its status and figures, from the store."""

    def __init__(self, db: str | None) -> None:
        super().__init__(logging.INFO)
        self.db = db

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = record.getMessage()
            run_id = getattr(record, RUN_ENDED, None)
            if run_id is not None:
                line = self._run_line(int(run_id))
            console.print(
                f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC  {line}", markup=False, soft_wrap=True
            )
            console.file.flush()
        except Exception:  # a log line must never stop the service
            self.handleError(record)

    def _run_line(self, run_id: int) -> str:
        with store(self.db) as session:
            run = get_run(session, run_id)
        if run is None:
            return f"crawl run {run_id} ended; it is not in the store"
        totals = dict.fromkeys(("fetched", "stored", "failed"), 0)
        for stats in (run.stats or {}).values():
            counts = summary_counts(stats)
            for key in totals:
                totals[key] += counts[key]
        figures = ", ".join(f"{value} {key}" for key, value in totals.items())
        took = (run.finished_at - run.started_at) if run.finished_at else None
        reason = f" ({run.error})" if run.error else ""
        duration = f" in {_duration(took.total_seconds())}" if took else ""
        return (
            f"crawl run {run_id} {run.status}{reason}{duration}: {len(run.outlets)} outlet(s), "
            f"{figures}; `newsmon report {run_id}` shows what is new"
        )


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


@schedule_app.command("start")
def start(db: DbOption = None) -> None:
    """Run the scheduler in the foreground (for systemd or a container); stops on SIGTERM/SIGINT.

    With no scheduled crawl at all, it adds the default one (every outlet daily at
    06:00 UTC) and says so. Each crawl run's start and end is printed with its figures.
    """
    handler = RunLog(db)
    for name in ("scheduler.service", "scheduler.jobs"):
        log = logging.getLogger(name)
        log.addHandler(handler)
        log.setLevel(logging.INFO)

    def ready() -> None:
        console.print("newsmon scheduler running; SIGTERM or Ctrl-C stops it cleanly.")
        for job in describe_jobs(db):
            console.print(f"  {job}", markup=False, soft_wrap=True)
        console.file.flush()

    serve_forever(db, ready)
    console.print("Scheduler stopped.")


def describe_jobs(db: str | None) -> list[str]:
    """One line per scheduled crawl, for the service's start-up message."""
    return [
        f"{job.id}: {', '.join(job.outlets) or 'every outlet'}, {job.trigger}, next run "
        + (f"{job.next_run:%Y-%m-%d %H:%M} UTC" if job.next_run else "paused")
        for job in _jobs(db)
    ]


def _jobs(db: str | None) -> list[ScheduledCrawl]:
    """The scheduled crawls; a store that never had any is only read (it may be read-only)."""
    engine = make_engine(db)
    try:
        with storage_errors(engine):
            if not inspect(engine).has_table(JOB_TABLE):
                return []
            scheduler = build_scheduler(db)
            scheduler.start(paused=True)
            try:
                return describe(scheduler)
            finally:
                scheduler.shutdown(wait=False)
    finally:
        engine.dispose()


@schedule_app.command("add")
def add(
    outlet: Annotated[
        list[str] | None, typer.Option("--outlet", "-o", help="Outlet (repeatable; default all).")
    ] = None,
    cron: Annotated[
        str | None, typer.Option(help='Crontab expression in UTC, e.g. "0 6 * * *".')
    ] = None,
    every: Annotated[str | None, typer.Option(help="Interval: 30m, 6h, 1d.")] = None,
    outlets_file: Annotated[
        list[Path] | None, typer.Option("--outlets", help="Extra outlet files.")
    ] = None,
    no_builtin: Annotated[bool, typer.Option("--no-builtin", hidden=True)] = False,
    allow_private: Annotated[bool, typer.Option("--allow-private", hidden=True)] = False,
    db: DbOption = None,
) -> None:
    """Add (or replace) a scheduled crawl."""
    trigger = make_trigger(cron, every)
    files = [*(outlets_file or []), *registry_paths_from_env()]
    _refuse_unknown(outlet or [], load_registry(files, builtin=not no_builtin))
    scheduler = build_scheduler(db)
    scheduler.start(paused=True)
    try:
        job_id = add_crawl(
            scheduler,
            trigger,
            job_id=job_id_for(outlet or [], cron, every),
            db_url=db,
            outlets=outlet or [],
            outlet_files=[str(p.resolve()) for p in outlets_file or []],
            builtin=not no_builtin,
            allow_private=allow_private,
        )
    finally:
        scheduler.shutdown(wait=False)
    console.print(f"Scheduled {job_id}.")


@schedule_app.command("list")
def list_jobs(db: DbOption = None) -> None:
    """List scheduled crawls with their next run times."""
    jobs = _jobs(db)
    if not jobs:
        console.print(
            "No scheduled crawl. `newsmon schedule add` adds one; `newsmon schedule start` "
            "adds the default (every outlet daily at 06:00 UTC) when there is none."
        )
        return
    columns = [
        Col("id"),
        Col("outlets", flex=True, min_width=10, max_lines=3),
        Col("trigger"),
        Col("next run (UTC)"),
    ]
    rows = [
        [
            job.id,
            ", ".join(job.outlets) or "all",
            job.trigger,
            f"{job.next_run:%Y-%m-%d %H:%M}" if job.next_run else "paused",
        ]
        for job in jobs
    ]
    console.print(fit_table(columns, rows, console.width, title="Scheduled crawls"))


@schedule_app.command("remove")
def remove(job_id: str, db: DbOption = None) -> None:
    """Remove a scheduled crawl by id."""
    scheduler = build_scheduler(db)
    scheduler.start(paused=True)
    try:
        if scheduler.get_job(job_id) is None:
            raise typer.BadParameter(
                f"No scheduled crawl {job_id!r}; `newsmon schedule list` shows the ids."
            )
        scheduler.remove_job(job_id)
    finally:
        scheduler.shutdown(wait=False)
    console.print(f"Removed {job_id}.")


@schedule_app.command("run-now")
def run_now(
    outlet: Annotated[
        list[str] | None, typer.Option("--outlet", "-o", help="Outlet (repeatable; default all).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Run a scheduled-style crawl immediately, in a child process, and wait for it.

    Exits non-zero when the run failed or was interrupted, so a cron line or a
    deployment check can tell.
    """
    _refuse_unknown(outlet or [], load_registry(registry_paths_from_env()))
    run_id = crawl_job(db_url=db, outlets=outlet or [])
    with store(db) as session:
        run = get_run(session, run_id)
    assert run is not None
    reason = f" ({run.error})" if run.error else ""
    console.print(f"Crawl run {run_id}: {run.status}{reason}; `newsmon runs` shows its figures.")
    if run.status in ("failed", "interrupted"):
        raise typer.Exit(1)


def _refuse_unknown(names: list[str], known: Mapping[str, object]) -> None:
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UserError(
            f"Unknown outlet(s) {', '.join(unknown)}; `newsmon outlets` lists the names "
            "(--outlets FILE adds yours)."
        )
