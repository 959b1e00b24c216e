"""Issue 6, hostile and broken input: the real crawler against `demoweb.hostile` over loopback.

Every case of the bad-input web has the outcome `demoweb.hostile` says it must have: stored
with the right text, skipped with a reason, or counted and logged as a failure; none of them
stops the crawl.  One crawl (the session fixture `hostile_crawl`) serves every test here.
"""

from __future__ import annotations

import ipaddress
import sqlite3
from pathlib import Path

import pytest

from crawler.extract import Extracted, extract
from crawler.urls import canonicalize
from demoweb.faults import ENDLESS_CAP_BYTES
from demoweb.hostile import (
    DISALLOWED_PATH,
    ELSEWHERE,
    HOSTILE_IP,
    MIXED_PARAGRAPH,
    SITEMAP_ENTRIES,
    Case,
    Expect,
    build_hostile_web,
)
from tests.reliability.conftest import HostileCrawl, run_newsmon

CASES = build_hostile_web().cases
_HTTP_STATUSES = (404, 410, 429, 503)


def _ids(cases: list[Case]) -> list[str]:
    return [case.name for case in cases]


def _select(*expects: Expect) -> list[Case]:
    return [case for case in CASES if case.expect in expects]


def _article(crawl: HostileCrawl, case: Case) -> tuple[str, str] | None:
    rows = crawl.query(
        "SELECT title, text FROM articles WHERE url = ?", canonicalize(crawl.url(case.path))
    )
    return (str(rows[0][0]), str(rows[0][1])) if rows else None


def _skip_reasons(crawl: HostileCrawl, case: Case) -> list[str]:
    rows = crawl.query(
        "SELECT reason FROM skipped_pages WHERE url = ?", canonicalize(crawl.url(case.path))
    )
    return [str(row[0]) for row in rows]


def test_the_crawl_survives_every_case(hostile_crawl: HostileCrawl) -> None:
    result = hostile_crawl.result
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    # Partial once runs record failed listings as such (the hostile web has them by design).
    ((status,),) = hostile_crawl.query("SELECT status FROM crawl_runs")
    assert status in ("succeeded", "partial")
    assert hostile_crawl.stats()["finish_reason"] == "finished"


@pytest.mark.parametrize("case", _select(Expect.STORED), ids=_ids(_select(Expect.STORED)))
def test_badly_served_pages_are_stored_as_if_served_right(
    hostile_crawl: HostileCrawl, case: Case
) -> None:
    stored = _article(hostile_crawl, case)
    assert stored is not None, f"{case.name} was not stored: {_skip_reasons(hostile_crawl, case)}"
    assert case.clean_html is not None
    expected = extract(case.clean_html, hostile_crawl.url(case.path))
    assert isinstance(expected, Extracted)
    assert stored == (expected.title, expected.text)


def test_mixed_scripts_survive_intact(hostile_crawl: HostileCrawl) -> None:
    stored = _article(hostile_crawl, next(c for c in CASES if c.name == "mixed_scripts"))
    assert stored is not None
    assert MIXED_PARAGRAPH in stored[1]


@pytest.mark.parametrize("case", _select(Expect.SKIPPED), ids=_ids(_select(Expect.SKIPPED)))
def test_unreadable_pages_are_skipped_with_a_reason(
    hostile_crawl: HostileCrawl, case: Case
) -> None:
    reasons = _skip_reasons(hostile_crawl, case)
    assert len(reasons) == 1, reasons
    assert reasons[0] == case.reason or (not case.reason and reasons[0])
    assert _article(hostile_crawl, case) is None


@pytest.mark.parametrize(
    "case", _select(Expect.STORED_OR_SKIPPED), ids=_ids(_select(Expect.STORED_OR_SKIPPED))
)
def test_damaged_pages_are_stored_or_skipped_never_both(
    hostile_crawl: HostileCrawl, case: Case
) -> None:
    stored = _article(hostile_crawl, case) is not None
    assert stored != bool(_skip_reasons(hostile_crawl, case))


def test_broken_feeds_and_sitemaps_are_counted_failures(hostile_crawl: HostileCrawl) -> None:
    broken = [c for c in CASES if c.expect == Expect.FAILED and c.reason == "discovery"]
    assert hostile_crawl.stats()["failed/discovery"] == len(broken)
    for case in broken:
        line = f"discovery failed for {hostile_crawl.url(case.path)}"
        logged = line in hostile_crawl.result.stderr
        assert logged, line


_LISTINGS = [c for c in CASES if c.expect == Expect.READ and not c.path.startswith("/news/")]


@pytest.mark.parametrize("case", _LISTINGS, ids=_ids(_LISTINGS))
def test_broken_but_readable_listings_give_their_links(
    hostile_crawl: HostileCrawl, case: Case
) -> None:
    """Legacy encodings, bare ampersands, stray entities, a cut-off download, a text sitemap:
    each listing is read and recorded with what it gave, none is thrown away whole."""
    figures = hostile_crawl.stats()["listings"][hostile_crawl.url(case.path)]
    assert "error" not in figures, figures
    assert figures["kept"] >= 1, figures
    assert figures["found"] == figures["kept"] + sum(figures["dropped"].values())


@pytest.mark.parametrize(
    ("name", "dropped"),
    [
        ("feed_sloppy", {"malformed": 1}),
        ("sitemap_truncated", {"truncated": 1}),
        ("sitemap_text", {"not_a_url": 1}),
        ("sitemap_sloppy_locs", {"not_http": 1}),
    ],
)
def test_each_dropped_link_is_counted_with_its_reason(
    hostile_crawl: HostileCrawl, name: str, dropped: dict[str, int]
) -> None:
    stats = hostile_crawl.stats()
    case = next(c for c in CASES if c.name == name)
    assert stats["listings"][hostile_crawl.url(case.path)]["dropped"] == dropped
    for reason in dropped:
        assert stats[f"links/dropped/{reason}"] >= dropped[reason]


def test_refused_and_empty_listings_are_recorded_as_failed(hostile_crawl: HostileCrawl) -> None:
    """A bomb, XXE, an HTML page for a sitemap, a PNG or nothing for a section: each listing
    is a failure with its reason, never a listing that merely gave no links."""
    listings = hostile_crawl.stats()["listings"]
    broken = [c for c in CASES if c.expect == Expect.FAILED and c.reason == "discovery"]
    assert {"section_png", "section_empty", "feed_xxe"} <= {c.name for c in broken}
    for case in broken:
        assert listings[hostile_crawl.url(case.path)]["error"]


_FAILED_PAGES = [c for c in CASES if c.expect == Expect.FAILED and c.reason != "discovery"]


@pytest.mark.parametrize(
    "case",
    _FAILED_PAGES,
    ids=_ids(_FAILED_PAGES),
)
def test_every_failed_page_is_logged_with_its_url(hostile_crawl: HostileCrawl, case: Case) -> None:
    url = hostile_crawl.url(case.path)
    logged = url in hostile_crawl.result.stderr  # outside the assert: no diff of the whole log
    assert logged, f"{url} is not named in the crawl log"


@pytest.mark.parametrize("status", _HTTP_STATUSES)
def test_http_errors_are_counted_by_status(hostile_crawl: HostileCrawl, status: int) -> None:
    assert hostile_crawl.stats().get(f"failed/article_http_{status}") == 1


def test_every_failed_page_is_counted(hostile_crawl: HostileCrawl) -> None:
    stats = hostile_crawl.stats()
    failed = sum(v for k, v in stats.items() if k.startswith("failed/article"))
    assert failed == len(_FAILED_PAGES)


def test_transient_errors_are_retried_until_the_page_is_stored(
    hostile_crawl: HostileCrawl,
) -> None:
    for name in ("flaky_500", "flaky_503", "flaky_429"):
        case = next(c for c in CASES if c.name == name)
        assert _article(hostile_crawl, case) is not None, name


_COUNTED = [c for c in CASES if c.requests is not None]


@pytest.mark.parametrize("case", _COUNTED, ids=_ids(_COUNTED))
def test_each_case_is_requested_as_often_as_it_should_be(
    hostile_crawl: HostileCrawl, case: Case
) -> None:
    """Retries are bounded, loops and self-referencing sitemap indexes are read once."""
    log = hostile_crawl.web.request_log
    assert log.count(host=HOSTILE_IP, path=case.path) == case.requests


def test_size_limits_cut_off_huge_and_endless_answers(hostile_crawl: HostileCrawl) -> None:
    records = hostile_crawl.web.request_log.records()
    endless = [r for r in records if r.path == "/news/endless_chunked"]
    huge = [r for r in records if r.path == "/news/huge_50mb"]
    assert endless
    assert all(r.size < ENDLESS_CAP_BYTES for r in endless)
    assert huge
    assert all(r.size < 50 * 1024 * 1024 for r in huge)


def test_a_50000_entry_sitemap_is_read_without_fetching_its_old_entries(
    hostile_crawl: HostileCrawl,
) -> None:
    assert hostile_crawl.stats()["skipped/too_old"] >= SITEMAP_ENTRIES
    archive = [r for r in hostile_crawl.web.request_log.records() if "/archive/" in r.path]
    assert archive == []


def test_robots_txt_is_obeyed(hostile_crawl: HostileCrawl) -> None:
    assert hostile_crawl.web.request_log.count(path=DISALLOWED_PATH) == 0
    assert hostile_crawl.stats()["skipped/robots_disallowed"] >= 1


def test_every_request_names_newsmon_in_its_user_agent(hostile_crawl: HostileCrawl) -> None:
    agents = {r.user_agent for r in hostile_crawl.web.request_log.records()}
    assert agents
    assert all(agent.startswith("newsmon/") for agent in agents), agents


def test_no_other_host_is_ever_contacted(hostile_crawl: HostileCrawl) -> None:
    """Links and redirects to 10.0.0.1, metadata addresses, localhost and another outlet's host
    (allowed as loopback here, but not this outlet's) leave no connection attempt at all."""
    connects = {e["host"] for e in hostile_crawl.audit if e["event"] == "connect"}
    assert connects == {HOSTILE_IP}
    lookups = {e["host"] for e in hostile_crawl.audit if e["event"] == "getaddrinfo"}
    for host in lookups:
        assert ipaddress.ip_address(host).is_loopback, host
    assert hostile_crawl.web.request_log.count(host=hostile_crawl.web.ip(ELSEWHERE)) == 0


def test_local_files_are_never_read_or_leaked(hostile_crawl: HostileCrawl) -> None:
    """file:// links, a redirect to file:///etc/passwd and XXE feeds never open the file, and
    nothing of it reaches the store or the logs."""
    opened = {e["path"] for e in hostile_crawl.audit if e["event"] == "open"}
    assert "/etc/passwd" not in opened
    secret = Path("/etc/passwd").read_text().splitlines()[0]
    leaked_to_log = secret in hostile_crawl.result.stdout + hostile_crawl.result.stderr
    with sqlite3.connect(hostile_crawl.db_path) as con:
        leaked_to_store = secret in "\n".join(con.iterdump())
    assert not leaked_to_log
    assert not leaked_to_store


def test_the_store_is_consistent_after_the_hostile_crawl(hostile_crawl: HostileCrawl) -> None:
    check = run_newsmon("db", "check", "--db", hostile_crawl.db_url)
    assert check.returncode == 0, check.stdout + check.stderr


def test_retry_after_is_honoured_before_retrying(hostile_crawl: HostileCrawl) -> None:
    """flaky_429 asks for 1 s, the endless 429 for an hour (capped): each retry of them waits."""
    asked = [c for c in CASES if c.name in ("flaky_429", "http_429_forever")]
    assert len(asked) == 2
    assert hostile_crawl.stats().get("retry_after/waits", 0) >= 1 + RETRIES


RETRIES = 2  # RETRY_TIMES in crawler/settings.py
