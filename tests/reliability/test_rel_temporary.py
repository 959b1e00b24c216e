"""Issue 11: a server error, a rate limit or a timeout says nothing about the page.

A page lost to one is recorded as a temporary skip and fetched again by a later
run (bounded, backed off), never treated as known; a Retry-After is honoured by
delaying the request in Scrapy's scheduler and the host's downloader slot, not by
a sleep that holds a concurrency slot while other requests to the host go out.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import demoweb
from crawler.urls import canonicalize
from demoweb.hostile import OUTLET, build_flaky_web
from newsmon.demo import demo_outlets, write_outlets_file
from tests.conftest import crawl_args, run_cli

RETRY_TIMES = 2  # crawler.settings: three requests in one run before giving up


def _crawl(outlets_file: Path, db: Path, *settings: str) -> None:
    result = run_cli(
        *crawl_args(outlets_file, f"sqlite:///{db}"), *(a for s in settings for a in ("--set", s))
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def _query(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as con:
        return con.execute(sql).fetchall()


def test_a_page_lost_to_server_errors_is_fetched_again_by_the_next_run(tmp_path: Path) -> None:
    flaky = build_flaky_web(503, failures=1 + RETRY_TIMES)
    db = tmp_path / "flaky.db"
    with demoweb.serve(flaky.web) as web:
        outlets_file = write_outlets_file(demo_outlets(web), tmp_path / "outlets.toml")
        url = canonicalize(web.url(OUTLET, "/news/flaky"))
        _crawl(outlets_file, db)
        assert _query(db, "SELECT url, reason FROM skipped_pages") == [(url, "server_error")]
        ((status, stats),) = _query(db, "SELECT status, stats FROM crawl_runs")
        assert status == "partial"
        assert json.loads(str(stats))[OUTLET]["skipped/server_error"] == 1
        assert url not in {row[0] for row in _query(db, "SELECT url FROM articles")}
        first = web.request_log.count(path="/news/flaky")
        assert first == 1 + RETRY_TIMES

        _crawl(outlets_file, db)  # the server has recovered
        assert web.request_log.count(path="/news/flaky") == first + 1
    assert url in {row[0] for row in _query(db, "SELECT url FROM articles")}
    assert _query(db, "SELECT status FROM crawl_runs ORDER BY id") == [("partial",), ("succeeded",)]
    # Every other page was stored by the first run and is not fetched again.
    assert _query(db, "SELECT count(*) FROM articles") == [(len(flaky.cases),)]


def test_retry_after_pauses_the_host_instead_of_sleeping_in_a_slot(tmp_path: Path) -> None:
    """The 429 asks for 3 s: the retry comes no sooner, and meanwhile no other request goes
    to that host (the pages still queued wait with it), where a sleep in the middleware
    let every other request to the host through. A download delay, as every real crawl
    has (1 s by default), keeps pages queued for the host when the 429 comes back."""
    asked = 3.0
    flaky = build_flaky_web(429, failures=1, retry_after=str(int(asked)), others=12)
    db = tmp_path / "retry_after.db"
    with demoweb.serve(flaky.web) as web:
        outlets_file = write_outlets_file(demo_outlets(web), tmp_path / "outlets.toml")
        _crawl(outlets_file, db, "DOWNLOAD_DELAY=0.2")
        log = [r for r in web.request_log.records() if r.path.startswith("/news/")]
    (refused,) = [r for r in log if r.status == 429]
    (retried,) = [r for r in log if r.path == "/news/flaky" and r.status == 200]
    resumed = refused.at + asked - 0.1  # a second's granularity at most
    assert retried.at >= resumed
    # A request already on its way when the 429 came back may still be answered after it.
    assert [r.path for r in log if refused.at + 0.5 < r.at < resumed] == []
    waited = [r for r in log if r.at >= resumed and r is not retried]
    assert waited
    ((stats,),) = _query(db, "SELECT stats FROM crawl_runs")
    assert json.loads(str(stats))[OUTLET]["retry_after/waits"] == 1
    assert _query(db, "SELECT count(*) FROM articles") == [(len(flaky.cases),)]
