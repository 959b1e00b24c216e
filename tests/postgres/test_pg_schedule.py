"""APScheduler's SQLAlchemy job store inside the PostgreSQL store, through the real CLI.

The job store creates its own table (outside Alembic) and pickles jobs into a
bytea column; next run times must come back as aware UTC datetimes.  (A job
firing a real crawl into PostgreSQL is in test_pg_crawl.)
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text

from scheduler.service import JOB_TABLE, add_crawl, build_scheduler, make_trigger
from tests.conftest import run_cli

pytestmark = pytest.mark.postgres


def _job_ids(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(
                connection.execute(text(f"SELECT id FROM {JOB_TABLE} ORDER BY id")).scalars()
            )
    finally:
        engine.dispose()


def test_schedule_add_list_and_remove(pg_url: str) -> None:
    added = run_cli("schedule", "add", "--outlet", "tass", "--every", "6h", "--db", pg_url)
    assert added.returncode == 0, added.stdout + added.stderr
    assert "crawl-tass-every-6h" in added.stdout

    listed = run_cli("schedule", "list", "--db", pg_url)
    assert listed.returncode == 0, listed.stderr
    assert "crawl-tass-every-6h" in listed.stdout
    assert "every 6h" in listed.stdout

    assert _job_ids(pg_url) == ["crawl-tass-every-6h"]

    removed = run_cli("schedule", "remove", "crawl-tass-every-6h", "--db", pg_url)
    assert removed.returncode == 0, removed.stderr
    assert _job_ids(pg_url) == []


def test_jobs_survive_a_restart_with_aware_next_run_times(pg_url: str) -> None:
    first = build_scheduler(pg_url)
    first.start(paused=True)
    try:
        add_crawl(
            first,
            make_trigger("0 6 * * *", None),
            db_url=pg_url,
            outlets=["xinhua_en"],
            job_id="xinhua-daily",
        )
    finally:
        first.shutdown(wait=False)
    second = build_scheduler(pg_url)
    second.start(paused=True)
    try:
        job = second.get_job("xinhua-daily")
        assert job is not None
        assert job.kwargs["outlets"] == ["xinhua_en"]
        assert job.kwargs["db_url"] == pg_url
        assert job.next_run_time is not None
        assert job.next_run_time.utcoffset() is not None
        assert job.next_run_time.astimezone(UTC).hour == 6
        assert job.next_run_time > datetime.now(UTC)
        second.remove_job("xinhua-daily")
    finally:
        second.shutdown(wait=False)
