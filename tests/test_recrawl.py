"""Daily re-crawls end to end: day one, the web changes, the scheduler fires, day two.

A real APScheduler with its SQLAlchemy job store in the test's SQLite file
fires the job; the job runs a real child-process crawl over loopback; the
test web counts every request, so "not fetched again" is measured, not assumed.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import demoweb
from crawler.urls import canonicalize
from demoweb import Role, Web
from demoweb.faults import Late
from newsmon.demo import demo_outlets, write_outlets_file
from scheduler import jobs
from scheduler.lock import outlet_locks
from scheduler.service import add_crawl, build_scheduler, make_trigger
from tests.conftest import crawl_args, descendants, run_cli, wait_for_no_descendants


class Recrawl:
    def __init__(self, web: demoweb.RunningWeb, folder: Path) -> None:
        self.web = web
        self.db_path = folder / "newsmon.db"
        self.db_url = f"sqlite:///{self.db_path}"
        self.outlets_file = write_outlets_file(demo_outlets(web), folder / "outlets.toml")

    def url(self, outlet: str, path: str) -> str:
        return canonicalize(self.web.url(outlet, path))

    def query(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.db_path) as con:
            return con.execute(sql, params).fetchall()

    def crawl(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return run_cli(
            *crawl_args(self.outlets_file, self.db_url),
            *extra,
        )

    def job_kwargs(self) -> dict[str, object]:
        return {
            "db_url": self.db_url,
            "outlet_files": [str(self.outlets_file)],
            "builtin": False,
            "allow_private": True,
        }


@pytest.fixture(scope="module")
def two_days(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recrawl]:
    """Day one crawled by hand; day two crawled by the scheduler firing a job."""
    with demoweb.serve(demoweb.build_web(1)) as web:
        recrawl = Recrawl(web, tmp_path_factory.mktemp("recrawl"))
        first = recrawl.crawl()
        assert first.returncode == 0, first.stdout + first.stderr
        web.replace(demoweb.build_web(2))
        web.request_log.clear()
        scheduler = build_scheduler(recrawl.db_url)
        scheduler.start()
        add_crawl(scheduler, make_trigger(None, "1s"), job_id="test-daily", **recrawl.job_kwargs())  # type: ignore[arg-type]
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            done = recrawl.query(
                "SELECT id FROM crawl_runs WHERE trigger = 'scheduled' AND status != 'running'"
            )
            if done:
                break
            time.sleep(0.5)
        scheduler.remove_job("test-daily")
        scheduler.shutdown(wait=True)
        yield recrawl


def _run2(recrawl: Recrawl) -> int:
    rows = recrawl.query("SELECT id, status FROM crawl_runs WHERE trigger = 'scheduled'")
    assert rows, "the scheduler never ran the job"
    run_id, status = rows[0]
    assert status == "succeeded"
    return int(str(run_id))


def test_the_scheduled_run_stores_exactly_the_new_articles(two_days: Recrawl) -> None:
    run_id = _run2(two_days)
    changes = two_days.web.web.changes
    expected = {two_days.url(p.outlet, p.path) for p in changes.new if p.role == Role.ARTICLE}
    stored = {
        str(u) for (u,) in two_days.query("SELECT url FROM articles WHERE run_id = ?", run_id)
    }
    assert stored == expected


def test_an_edited_article_gets_a_new_version_with_a_diff(two_days: Recrawl) -> None:
    run_id = _run2(two_days)
    versions = two_days.query(
        "SELECT a.url, v.version, v.diff, a.version, a.text FROM article_versions v "
        "JOIN articles a ON a.id = v.article_id WHERE v.run_id = ?",
        run_id,
    )
    edits = two_days.web.web.changes.edits
    assert {str(v[0]) for v in versions} == {two_days.url(e.outlet, e.path) for e in edits}
    for _, old_version, diff, new_version, text in versions:
        assert new_version == int(str(old_version)) + 1
        for edit in edits:
            for added in edit.added:
                assert added[:40] in str(diff)
                assert added[:40] in str(text)


def test_unchanged_article_pages_are_not_fetched_again(two_days: Recrawl) -> None:
    web = two_days.web
    edited = {(e.outlet, e.path) for e in web.web.changes.edits}
    new = {(p.outlet, p.path) for p in web.web.changes.new}
    for page in web.web.select(role=Role.ARTICLE):
        if (page.outlet, page.path) in edited | new:
            continue
        assert web.request_log.count(host=web.ip(page.outlet), path=page.path) == 0, page.path


def test_unchanged_feeds_and_sitemaps_answer_304(two_days: Recrawl) -> None:
    by_status = two_days.web.request_log.by_status()
    assert by_status.get(304, 0) > 0
    unchanged = set(two_days.web.web.outlet_names()) - set(two_days.web.web.changes.outlets)
    assert unchanged, "the day-2 web should leave some outlets untouched"
    for outlet in unchanged:
        records = [
            r
            for r in two_days.web.request_log.records()
            if r.host == two_days.web.ip(outlet) and r.path.endswith((".xml", ".rss", "/feed/"))
        ]
        assert records
        assert all(r.status == 304 for r in records), outlet


def _late_listings(web: Web, outlet: str, seconds: float) -> Web:
    """The web with the outlet's feeds and sitemaps (its dated listings) answering late."""
    sites = tuple(
        replace(
            site,
            resources={
                path: Late(seconds=seconds, then=resource)
                if "xml" in resource.content_type
                else resource
                for path, resource in site.resources.items()
            },
        )
        if site.name == outlet
        else site
        for site in web.outlets
    )
    return replace(web, outlets=sites)


def test_an_article_first_listed_undated_is_rechecked_when_its_outlet_redates_it(
    tmp_path: Path,
) -> None:
    """On day one the edited article's outlet serves its feeds and sitemaps late, so the
    crawl meets the article on a section page (no date) and stores it before any listing
    dates it. Its edit of day two must still be found: the store keeps the date the late
    sitemap gave, and day two's sitemap re-dates the page."""
    edit = demoweb.build_web(2).changes.edits[0]
    with demoweb.serve(_late_listings(demoweb.build_web(1), edit.outlet, 2.0)) as web:
        recrawl = Recrawl(web, tmp_path)
        assert recrawl.crawl().returncode == 0
        url = recrawl.url(edit.outlet, edit.path)
        assert recrawl.query(
            "SELECT a.listed_modified IS NOT NULL FROM articles a "
            "JOIN article_urls u ON u.article_id = a.id WHERE u.url = ?",
            url,
        ) == [(1,)]
        web.replace(demoweb.build_web(2))
        assert recrawl.crawl().returncode == 0
    versions = recrawl.query(
        "SELECT v.version FROM article_versions v JOIN article_urls u "
        "ON u.article_id = v.article_id WHERE u.url = ?",
        url,
    )
    assert versions == [(1,)]


def test_the_report_lists_new_and_updated_articles(two_days: Recrawl) -> None:
    run_id = _run2(two_days)
    result = run_cli("report", str(run_id), "--format", "json", "--db", two_days.db_url)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    changes = two_days.web.web.changes
    assert len(report["new_articles"]) == len([p for p in changes.new if p.role == Role.ARTICLE])
    assert len(report["updated_articles"]) == len(changes.edits)
    markdown = run_cli("report", str(run_id), "--db", two_days.db_url)
    assert "## Updated articles (1)" in markdown.stdout
    assert "```diff" in markdown.stdout


def test_the_job_store_survives_a_scheduler_restart(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'jobs.db'}"
    first = build_scheduler(db_url)
    first.start(paused=True)
    add_crawl(
        first, make_trigger("0 6 * * *", None), db_url=db_url, outlets=["tass"], job_id="tass-daily"
    )
    first.shutdown(wait=False)
    second = build_scheduler(db_url)
    second.start(paused=True)
    try:
        job = second.get_job("tass-daily")
        assert job is not None
        assert job.kwargs["outlets"] == ["tass"]
        assert job.next_run_time is not None
    finally:
        second.shutdown(wait=False)


def test_schedule_commands_add_list_and_remove(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    added = run_cli("schedule", "add", "--outlet", "tass", "--every", "6h", "--db", db)
    assert added.returncode == 0, added.stderr
    listed = run_cli("schedule", "list", "--db", db)
    assert "tass" in listed.stdout
    job_id = next(w for w in listed.stdout.split() if w.startswith("crawl-tass"))
    assert run_cli("schedule", "remove", job_id, "--db", db).returncode == 0
    assert "crawl-tass" not in run_cli("schedule", "list", "--db", db).stdout
    bad = run_cli("schedule", "add", "--every", "soon", "--db", db)
    assert bad.returncode == 2
    assert "30m, 6h or 1d" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_a_manual_crawl_does_not_overlap_a_running_one(two_days: Recrawl) -> None:
    with outlet_locks(two_days.db_url, ["vestnik"]):
        result = two_days.crawl("--outlet", "vestnik")
    assert result.returncode == 2
    assert "being crawled by another process" in result.stderr
    (status,) = two_days.query("SELECT status FROM crawl_runs ORDER BY id DESC LIMIT 1")
    assert status == ("skipped",)


def test_a_crashed_child_crawl_is_a_failed_run_and_the_store_stays_consistent(
    tmp_path: Path,
) -> None:
    with demoweb.serve(demoweb.build_web(1)) as web:
        recrawl = Recrawl(web, tmp_path)
        result: dict[str, int] = {}
        worker = threading.Thread(
            target=lambda: result.update(run=jobs.crawl_job(**recrawl.job_kwargs()))
        )  # type: ignore[arg-type]
        worker.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _has_articles(recrawl):
            time.sleep(0.05)
        with jobs._children_lock:
            children = list(jobs._children)
        assert children, "the crawl finished before it could be killed"
        pool = descendants(children[0].pid)  # the forkserver and the extraction workers
        assert pool, "the crawl had no worker pool when it was killed"
        os.kill(children[0].pid, signal.SIGKILL)
        worker.join(60)
    (status, error) = recrawl.query(
        "SELECT status, error FROM crawl_runs WHERE id = ?", result["run"]
    )[0]
    assert status == "failed"
    assert "SIGKILL" in str(error)
    # Orphaned by the kill, they come to the test process (the suite's subreaper).
    assert not wait_for_no_descendants(os.getpid(), among=pool), (
        "the worker pool outlived its crawl"
    )
    check = run_cli("db", "check", "--db", recrawl.db_url)
    if check.returncode != 0:  # killed between storing an article and linking it
        assert "stored but not linked" in check.stderr, check.stdout + check.stderr
        repair = run_cli("db", "check", "--repair", "--db", recrawl.db_url)
        assert repair.returncode == 0, repair.stdout + repair.stderr
    unlinked = recrawl.query(
        "SELECT count(*) FROM articles WHERE id NOT IN (SELECT article_id FROM article_signatures)"
    )
    assert unlinked == [(0,)]


def _has_articles(recrawl: Recrawl) -> bool:
    try:
        return bool(recrawl.query("SELECT 1 FROM articles LIMIT 1"))
    except sqlite3.Error:
        return False  # not created yet


class _Receiver(BaseHTTPRequestHandler):
    bodies: list[bytes] = []  # noqa: RUF012 - shared with the test on purpose

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_a_scheduled_run_posts_its_report_to_the_webhook(
    two_days: Recrawl, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("NEWSMON_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/hook")
        run_id = jobs.crawl_job(**two_days.job_kwargs())  # type: ignore[arg-type]
    finally:
        server.shutdown()
    assert _Receiver.bodies, "the webhook received nothing"
    report = json.loads(_Receiver.bodies[-1])
    assert report["run_ids"] == [run_id]


def test_the_scheduler_service_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    service = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsmon",
            "schedule",
            "start",
            "--db",
            f"sqlite:///{tmp_path / 'svc.db'}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert service.stdout is not None
    # An empty store gets the default crawl, and the service says so (issue 14).
    assert "added daily-all-outlets" in service.stdout.readline()
    assert "scheduler running" in service.stdout.readline()  # signal handlers are in place
    service.send_signal(signal.SIGTERM)
    out, err = service.communicate(timeout=60)
    assert service.returncode == 0, out + err
    assert "Scheduler stopped" in out
