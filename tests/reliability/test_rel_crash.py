"""Issue 6, crashes and concurrent writers (slow tier: `python -m pytest -m slow`).

Kill tests: the real CLI crawls the generated bulk site and is SIGKILLed (with its extraction
workers: the whole process group) at seeded random moments spread over a crawl's length, so the
kills land while pages are fetched, extracted and written.  After every kill the store must pass
the integrity check, keep every article committed before the kill and hold none twice; a final
uninterrupted run must leave exactly what one clean crawl stores.

Concurrency: two crawls of different outlets write one SQLite file while `newsmon articles`
reads it in a loop; nobody may see "database is locked".
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import demoweb
from newsmon.demo import demo_outlets, write_outlets_file
from storage.db import make_engine, session_factory
from storage.queries import check_integrity
from tests.conftest import crawl_args
from tests.reliability.conftest import run_newsmon

# A kill point is two crawls of the bulk site; generous on a loaded 2-core machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

BULK_ARTICLES = 60
KILL_POINTS = 20
SEED = 20220615


@dataclass(frozen=True)
class BulkSite:
    web: demoweb.RunningWeb
    outlets_file: Path
    outlet: str
    reference: frozenset[str]  # URLs one clean crawl stores
    first_write: float  # seconds from start to the first stored article in that clean crawl
    seconds: float  # seconds the whole clean crawl took


def _crawl_command(site: BulkSite | tuple[Path, str], db: Path) -> list[str]:
    outlets_file, outlet = (site.outlets_file, site.outlet) if isinstance(site, BulkSite) else site
    return [sys.executable, "-m", "newsmon", *crawl_args(outlets_file, f"sqlite:///{db}", outlet)]


def _urls(db: Path) -> list[str]:
    if not db.exists():
        return []
    with sqlite3.connect(db) as con:
        return [str(row[0]) for row in con.execute("SELECT url FROM articles")]


def _duplicates(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as con:
        return con.execute(
            "SELECT 'url', url FROM articles GROUP BY url HAVING count(*) > 1 UNION ALL "
            "SELECT 'key', content_key FROM articles GROUP BY content_key HAVING count(*) > 1"
        ).fetchall()


def _integrity_problems(db: Path) -> list[str]:
    engine = make_engine(f"sqlite:///{db}")
    try:
        with session_factory(engine)() as session:
            problems: list[str] = check_integrity(session)
    finally:
        engine.dispose()
    return problems


@pytest.fixture(scope="module")
def bulk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BulkSite]:
    folder = tmp_path_factory.mktemp("bulk")
    with demoweb.serve(demoweb.build_bulk_site(BULK_ARTICLES, seed=6)) as web:
        outlets = demo_outlets(web)
        outlets_file = write_outlets_file(outlets, folder / "bulk.toml")
        db = folder / "reference.db"
        log = folder / "reference.log"
        started = time.monotonic()
        with log.open("w") as sink:
            child = subprocess.Popen(
                _crawl_command((outlets_file, outlets[0].name), db), stdout=sink, stderr=sink
            )
        first_write = None
        while child.poll() is None:
            if first_write is None and _count_quietly(db):
                first_write = time.monotonic() - started
            time.sleep(0.1)
        seconds = time.monotonic() - started
        assert child.returncode == 0, log.read_text()
        reference = frozenset(_urls(db))
        assert len(reference) >= BULK_ARTICLES // 2  # generated near-copies collapse
        yield BulkSite(
            web, outlets_file, outlets[0].name, reference, first_write or seconds / 2, seconds
        )


def _count_quietly(db: Path) -> int:
    """Articles stored so far, or 0 while the store is still being created."""
    try:
        return len(_urls(db))
    except sqlite3.Error:
        return 0


def _killed_run(site: BulkSite, db: Path, delay: float) -> None:
    child = subprocess.Popen(
        _crawl_command(site, db),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        child.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()


#: Figures for docs/reliability.md, printed with -s: (kill point, delay s, stored at the kill).
KILL_LOG: list[tuple[int, float, int]] = []


@pytest.mark.parametrize("point", range(KILL_POINTS))
def test_a_crawl_killed_at_a_random_point_loses_nothing_and_resumes(
    bulk: BulkSite, tmp_path: Path, point: int
) -> None:
    """Each kill point gets a fresh store, so every kill lands in a crawl with work to do."""
    rng = random.Random(SEED + point)
    db = tmp_path / "killed.db"
    delay = bulk.first_write + rng.uniform(0.02, 0.9) * (bulk.seconds - bulk.first_write)
    _killed_run(bulk, db, delay=delay)
    committed = set(_urls(db))
    KILL_LOG.append((point, round(delay, 1), len(committed)))
    assert _duplicates(db) == []
    if db.exists():
        assert _integrity_problems(db) == []
    final = run_newsmon(*_crawl_command(bulk, db)[3:], timeout=900)
    assert final.returncode == 0, final.stderr
    assert "succeeded" in final.stdout
    assert committed <= set(_urls(db)), "articles committed before the kill vanished"
    assert frozenset(_urls(db)) == bulk.reference, "the second run did not finish the work"
    assert _duplicates(db) == []
    check = run_newsmon("db", "check", "--db", f"sqlite:///{db}")
    assert check.returncode == 0, check.stdout + check.stderr


def test_most_kills_landed_while_articles_were_being_written(bulk: BulkSite) -> None:
    print("kill points (point, delay s, stored at kill):", KILL_LOG)
    mid_crawl = [k for k in KILL_LOG if 0 < k[2] < len(bulk.reference)]
    assert len(KILL_LOG) == KILL_POINTS
    assert len(mid_crawl) >= KILL_POINTS // 4, KILL_LOG


def test_two_crawls_and_a_reader_share_one_store(
    demo_web: demoweb.RunningWeb, tmp_path: Path
) -> None:
    outlets = demo_outlets(demo_web)
    outlets_file = write_outlets_file(outlets, tmp_path / "outlets.toml")
    db = tmp_path / "shared.db"
    first = run_newsmon("db", "check", "--db", f"sqlite:///{db}")  # creates the schema
    assert first.returncode == 0, first.stderr
    crawls = [
        subprocess.Popen(
            _crawl_command((outlets_file, outlet.name), db),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for outlet in outlets[:2]
    ]
    reads = []
    while any(crawl.poll() is None for crawl in crawls):
        reads.append(run_newsmon("articles", "--db", f"sqlite:///{db}", "--limit", "5"))
    outputs = [crawl.communicate() for crawl in crawls]
    for crawl, (out, err) in zip(crawls, outputs, strict=True):
        assert crawl.returncode == 0, err
        assert "locked" not in out + err
        assert "succeeded" in out
    assert reads, "the reader never ran while the crawls wrote"
    for read in reads:
        assert read.returncode == 0, read.stderr
        assert "locked" not in read.stdout + read.stderr
    with sqlite3.connect(db) as con:
        per_outlet = dict(
            con.execute(
                "SELECT o.name, count(*) FROM articles a JOIN outlets o ON o.id = a.outlet_id "
                "GROUP BY o.name"
            ).fetchall()
        )
    assert all(per_outlet.get(outlet.name, 0) > 0 for outlet in outlets[:2]), per_outlet
    assert _integrity_problems(db) == []
    assert _duplicates(db) == []
