"""`newsmon schedule ...`: manage and run the persistent crawl schedule."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from crawler.outlets import load_registry, registry_paths_from_env
from newsmon.common import DbOption, UserError, console, store
from scheduler.jobs import crawl_job
from scheduler.service import (
    add_crawl,
    build_scheduler,
    describe,
    ensure_default,
    job_id_for,
    make_trigger,
    serve_forever,
)
from storage.queries import get_run

schedule_app = typer.Typer(help="Schedule daily (or any) re-crawls; jobs persist in the store.")


@schedule_app.command("start")
def start(db: DbOption = None) -> None:
    """Run the scheduler in the foreground (for systemd or a container); stops on SIGTERM/SIGINT."""

    def ready() -> None:
        console.print("newsmon scheduler running; SIGTERM or Ctrl-C stops it cleanly.")
        console.file.flush()

    serve_forever(db, ready)
    console.print("Scheduler stopped.")


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
    """List scheduled crawls with their next run times (the daily default if none was added)."""
    scheduler = build_scheduler(db)
    scheduler.start(paused=True)
    try:
        ensure_default(scheduler, db)
        jobs = describe(scheduler)
    finally:
        scheduler.shutdown(wait=False)
    table = Table(title="Scheduled crawls")
    for column in ("id", "outlets", "trigger", "next run (UTC)"):
        table.add_column(column, overflow="fold")
    for job in jobs:
        table.add_row(
            job.id,
            ", ".join(job.outlets) or "all",
            job.trigger,
            job.next_run.isoformat(timespec="minutes") if job.next_run else "paused",
        )
    console.print(table)


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
    known = load_registry(registry_paths_from_env())
    unknown = [name for name in outlet or [] if name not in known]
    if unknown:
        raise UserError(
            f"Unknown outlet(s) {', '.join(unknown)}; `newsmon outlets` lists the names."
        )
    run_id = crawl_job(db_url=db, outlets=outlet or [])
    with store(db) as session:
        run = get_run(session, run_id)
    assert run is not None
    reason = f" ({run.error})" if run.error else ""
    console.print(f"Crawl run {run_id}: {run.status}{reason}; `newsmon runs` shows its figures.")
    if run.status in ("failed", "interrupted"):
        raise typer.Exit(1)
