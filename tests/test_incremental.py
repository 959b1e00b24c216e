"""Unit tests of the re-crawl decisions and outlet health rules (no network)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.discovery import Link
from crawler.incremental import CrawlState, child_sitemap_due, conditional_headers, decide
from crawler.pages import is_challenge
from storage.db import make_engine, session_factory, upgrade
from storage.queries import ensure_outlet, record_skip
from storage.recrawl import (
    MAX_PAGE_ATTEMPTS,
    TEMPORARY_SKIPS,
    KnownPage,
    known_pages,
    outlets_in_backoff,
    update_health,
)

NOW = datetime(2022, 6, 20, tzinfo=UTC)
URL = "https://news.example/2022/06/15/story"


def _link(published: datetime | None) -> Link:
    return Link(url=URL, title=None, published=published, source="sitemap")


def test_unknown_urls_are_new_unless_older_than_the_watermark() -> None:
    state = CrawlState(watermark=NOW - timedelta(days=2))
    assert decide(state, URL, _link(NOW - timedelta(days=1)), NOW) == "new"
    assert decide(state, URL, _link(None), NOW) == "new"
    assert decide(state, URL, _link(NOW - timedelta(days=5)), NOW) == "before_watermark"


def test_known_articles_are_rechecked_only_when_due() -> None:
    old = NOW - timedelta(days=30)
    state = CrawlState(known={URL: KnownPage(7, old, old)}, recheck_days=3)
    assert decide(state, URL, _link(old), NOW) == "known"
    assert decide(state, URL, _link(None), NOW) == "known"
    assert decide(state, URL, _link(old + timedelta(hours=1)), NOW) == "recheck"
    young = CrawlState(known={URL: KnownPage(7, NOW - timedelta(days=1), None)}, recheck_days=3)
    assert decide(young, URL, _link(None), NOW) == "recheck"


def test_pages_skipped_before_are_not_fetched_again() -> None:
    state = CrawlState(known={URL: KnownPage(None, None, None)})
    assert decide(state, URL, _link(NOW), NOW) == "known"


def test_pages_lost_to_a_temporary_failure_are_fetched_again_whatever_the_watermark() -> None:
    state = CrawlState(
        known={URL: KnownPage(None, None, None, retry=True)}, watermark=NOW - timedelta(days=2)
    )
    assert decide(state, URL, _link(NOW - timedelta(days=5)), NOW) == "new"


@pytest.mark.parametrize("reason", sorted(TEMPORARY_SKIPS))
def test_temporary_skips_are_retried_a_bounded_number_of_times(tmp_path: Path, reason: str) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'k.db'}")
    upgrade(engine)
    other = "https://news.example/2022/06/15/off-topic"
    with session_factory(engine).begin() as session:
        ensure_outlet(session, "tass", "TASS", "https://tass.ru/", ["ru"])
        record_skip(session, "tass", other, "off_topic", None)
        for attempt in range(1, MAX_PAGE_ATTEMPTS + 1):
            record_skip(session, "tass", URL, reason, None)
            known = known_pages(session, "tass")
            assert known[URL].retry == (attempt < MAX_PAGE_ATTEMPTS), attempt
            assert not known[other].retry  # off-topic stays known for good
    engine.dispose()


def test_retries_back_off_doubling_after_each_attempt(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    upgrade(engine)
    hour = timedelta(hours=1)
    with session_factory(engine).begin() as session:
        ensure_outlet(session, "tass", "TASS", "https://tass.ru/", ["ru"])
        for attempt in (1, 2):
            before = datetime.now(UTC)
            record_skip(session, "tass", URL, "server_error", None)
            after = datetime.now(UTC)
            page = known_pages(session, "tass", backoff=hour)[URL]
            wait = hour * 2 ** (attempt - 1)  # one hour, then two
            assert page.retry
            assert page.retry_at is not None
            assert before + wait <= page.retry_at <= after + wait
            state = CrawlState(known={URL: page})
            assert decide(state, URL, _link(None), after + wait) == "new"
            assert decide(state, URL, _link(None), before + wait / 2) == "retry_later"
    engine.dispose()


def test_child_sitemaps_older_than_the_watermark_are_not_fetched() -> None:
    state = CrawlState(watermark=NOW)
    assert not child_sitemap_due(state, _link(NOW - timedelta(days=10)))
    assert child_sitemap_due(state, _link(NOW))
    assert child_sitemap_due(state, _link(None))
    assert child_sitemap_due(CrawlState(), _link(NOW - timedelta(days=10)))


def test_conditional_headers_come_from_stored_validators() -> None:
    state = CrawlState(validators={URL: ('"abc"', "Wed, 15 Jun 2022 10:00:00 GMT")})
    assert conditional_headers(state, URL) == {
        "If-None-Match": '"abc"',
        "If-Modified-Since": "Wed, 15 Jun 2022 10:00:00 GMT",
    }
    assert conditional_headers(state, "https://news.example/other") == {}


@pytest.mark.parametrize(
    "body",
    [
        b"<html><head><title>Just a moment...</title></head><body>cf_chl_opt</body></html>",
        b"<html><head><title>Attention Required! | Cloudflare</title></head></html>",
        b'<html><body><div id="px-captcha"></div></body></html>',
    ],
)
def test_bot_challenges_are_recognised(body: bytes) -> None:
    assert is_challenge(body)


def test_articles_are_not_challenges() -> None:
    assert not is_challenge(
        b"<html><head><title>Xi and Putin talk</title></head>"
        b"<body><p>Access to markets was denied, officials said.</p></body></html>"
    )


def test_health_flags_failures_blocks_and_quiet_outlets(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    upgrade(engine)
    with session_factory(engine).begin() as session:
        ensure_outlet(session, "tass", "TASS", "https://tass.ru/", ["ru"])
        failing = {"failed/discovery": 3, "finish_reason": "finished"}
        first = update_health(session, "tass", failing, None)
        second = update_health(session, "tass", failing, None)
        assert second.consecutive_failures == 2
        assert first.backoff_until is not None
        assert second.backoff_until is not None
        assert second.backoff_until > first.backoff_until  # exponential back-off
        assert "tass" in outlets_in_backoff(session, datetime.now(UTC))
        blocked = update_health(
            session, "tass", {"pages_fetched": 2, "http/403": 2, "finish_reason": "finished"}, NOW
        )
        assert blocked.consecutive_failures == 0
        assert any(f.startswith("blocked") for f in blocked.flags)
        quiet = {"discovery/not_modified": 2, "finish_reason": "finished"}
        for _ in range(3):
            report = update_health(session, "tass", quiet, NOW)
        assert any(f.startswith("stale") for f in report.flags)
        assert "tass" not in outlets_in_backoff(session, datetime.now(UTC))
