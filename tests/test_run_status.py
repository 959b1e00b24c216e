"""A run's status tells the truth (issue 11): succeeded, partial, failed or interrupted,
with the reason stored, shown by `runs` and `report`, and in the exit status."""

from __future__ import annotations

import os
import socket
import sqlite3
from pathlib import Path

import pytest

from crawler.extensions import run_outcome
from crawler.outlets import Outlet, append_outlet
from scheduler.lock import outlet_locks
from storage.db import make_engine, session_factory, upgrade
from storage.queries import start_run
from tests.conftest import CrawledStore, crawl_args, run_cli

FINE = {"discovery/feeds": 1, "pages_fetched": 4, "stored": 3, "finish_reason": "finished"}


def test_a_run_without_failures_succeeded() -> None:
    assert run_outcome({"a": FINE, "b": FINE}, ["a", "b"]) == ("succeeded", None)


def test_a_run_with_some_failures_is_partial_and_says_which() -> None:
    broken = {**FINE, "failed/article_http_500": 2, "failed/discovery": 1}
    status, reason = run_outcome({"a": FINE, "b": broken}, ["a", "b"])
    assert status == "partial"
    assert reason is not None
    assert "3 listing(s) or page(s) failed" in reason
    assert "article_http_500 x2" in reason


def test_an_outlet_that_did_not_finish_makes_the_run_partial() -> None:
    status, reason = run_outcome({"a": FINE}, ["a", "b"])
    assert status == "partial"
    assert reason is not None
    assert "b (never started)" in reason


def test_a_run_that_could_fetch_nothing_failed() -> None:
    refused = {"failed/discovery_refused": 3, "finish_reason": "finished"}
    unreadable = {"discovery/feeds": 1, "failed/discovery": 1, "finish_reason": "finished"}
    status, reason = run_outcome({"a": refused, "b": unreadable}, ["a", "b"])
    assert status == "failed"
    assert reason is not None
    assert reason.startswith("nothing could be fetched")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_crawl_where_every_request_is_refused_fails_and_says_why(tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{_closed_port()}"
    outlets_file = tmp_path / "outlets.toml"
    append_outlet(
        outlets_file,
        Outlet(
            name="refusing",
            title="Refusing",
            homepage=f"{base}/",
            languages=("en",),
            feeds=(f"{base}/feed.xml",),
            sitemaps=(f"{base}/sitemap.xml",),
        ),
    )
    db = f"sqlite:///{tmp_path / 'newsmon.db'}"
    result = run_cli(*crawl_args(outlets_file, db), "--set", "RETRY_TIMES=0")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "failed (nothing could be fetched" in result.stdout
    with sqlite3.connect(tmp_path / "newsmon.db") as con:
        ((status, error),) = con.execute("SELECT status, error FROM crawl_runs").fetchall()
    assert status == "failed"
    assert "nothing could be fetched" in error
    runs = run_cli("runs", "--db", db)
    assert "nothing could be fetched" in runs.stdout
    report = run_cli("report", "--db", db)
    assert "failed: nothing could be fetched" in report.stdout


def test_a_bad_topic_file_is_one_sentence_before_anything_is_fetched(
    crawled: CrawledStore, tmp_path: Path
) -> None:
    topic = tmp_path / "topic.toml"
    topic.write_text("this is [not toml\n", encoding="utf-8")
    db = tmp_path / "newsmon.db"
    env = {**os.environ, "NEWSMON_TOPIC": str(topic)}
    result = run_cli(*crawl_args(crawled.outlets_file, f"sqlite:///{db}"), env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(topic) in lines[0]
    assert "not valid TOML" in lines[0]
    assert not db.exists() or sqlite3.connect(db).execute(
        "SELECT count(*) FROM crawl_runs"
    ).fetchone() == (0,)


def test_a_bad_outlets_file_is_one_sentence(tmp_path: Path) -> None:
    outlets_file = tmp_path / "outlets.toml"
    outlets_file.write_text('[outlets.x]\nhomepage = "not a url"\n', encoding="utf-8")
    result = run_cli(*crawl_args(outlets_file, f"sqlite:///{tmp_path / 'n.db'}"))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error:"), result.stderr


@pytest.mark.parametrize("command", [["crawl"], ["schedule", "run-now"]])
def test_an_unknown_outlet_is_one_sentence_and_exit_2(tmp_path: Path, command: list[str]) -> None:
    db = f"sqlite:///{tmp_path / 'newsmon.db'}"
    result = run_cli(*command, "--outlet", "nosuch", "--db", db)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "Unknown outlet(s) nosuch" in result.stderr
    assert "finished" not in result.stdout


def test_db_check_finds_a_run_left_running_by_a_dead_process_and_repair_closes_it(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'newsmon.db'}"
    engine = make_engine(db)
    upgrade(engine)
    with session_factory(engine).begin() as session:
        run_id = start_run(session, ["trendwire"], "manual")  # and then the process died
    engine.dispose()
    check = run_cli("db", "check", "--db", db)
    assert check.returncode == 1
    assert f"run {run_id} is still `running`" in check.stderr
    repair = run_cli("db", "check", "--repair", "--db", db)
    assert repair.returncode == 0, repair.stdout + repair.stderr
    assert "1 run(s) closed as failed" in repair.stdout
    with sqlite3.connect(tmp_path / "newsmon.db") as con:
        assert con.execute("SELECT status FROM crawl_runs").fetchall() == [("failed",)]


def test_a_run_whose_outlets_are_being_crawled_is_not_reported(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'newsmon.db'}"
    engine = make_engine(db)
    upgrade(engine)
    with session_factory(engine).begin() as session:
        start_run(session, ["trendwire"], "manual")
    engine.dispose()
    with outlet_locks(db, ["trendwire"]):  # as the crawling process holds them
        check = run_cli("db", "check", "--db", db)
    assert check.returncode == 0, check.stdout + check.stderr
