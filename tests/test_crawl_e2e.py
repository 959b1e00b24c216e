"""End to end: a real Scrapy crawl of the offline demo web over loopback into a real SQLite file.

Expectations come from the demo web's own ground truth (`web.pages`), so the
assertions follow the content rather than hard-coded counts.
"""

from __future__ import annotations

import difflib
import json
import sqlite3
from collections import defaultdict

import pytest

from crawler.urls import canonicalize
from dedup.normalize import normalize_text
from demoweb import SEED_PAGES, PageInfo, Role, expected_seed
from tests.conftest import CrawledStore, run_cli


def _url(crawled: CrawledStore, page: PageInfo) -> str:
    return canonicalize(crawled.web.url(page.outlet, page.path))


def _query(crawled: CrawledStore, sql: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(crawled.db_path) as con:
        return con.execute(sql, params).fetchall()


def _stored(crawled: CrawledStore) -> dict[str, tuple[object, ...]]:
    rows = _query(
        crawled,
        "SELECT a.url, o.name, a.language, a.published, a.title, a.text, a.id "
        "FROM articles a JOIN outlets o ON o.id = a.outlet_id",
    )
    return {str(row[0]): row for row in rows}


def test_crawl_reports_a_summary_per_outlet(crawled: CrawledStore) -> None:
    for outlet in crawled.web.web.outlet_names():
        assert outlet in crawled.output
    assert "succeeded" in crawled.output
    status = _query(crawled, "SELECT status FROM crawl_runs")
    assert status == [("succeeded",)]


def test_each_on_topic_story_is_stored_exactly_once(crawled: CrawledStore) -> None:
    articles = crawled.web.web.select(role=Role.ARTICLE)
    groups: dict[str, list[PageInfo]] = defaultdict(list)
    for page in articles:
        groups[page.syndication or f"{page.outlet}{page.path}"].append(page)
    stored = _stored(crawled)
    assert len(stored) == len(groups)
    for members in groups.values():
        urls = {_url(crawled, p) for p in members}
        assert len(urls & stored.keys()) == 1, f"one of {urls} should be stored"


def test_syndicated_copies_are_recorded_as_duplicates(crawled: CrawledStore) -> None:
    copies = _query(crawled, "SELECT url, article_id FROM article_urls WHERE kind = 'syndicated'")
    by_url = {str(url): article for url, article in copies}
    stored = _stored(crawled)
    groups: dict[str, list[PageInfo]] = defaultdict(list)
    for page in crawled.web.web.select(role=Role.ARTICLE):
        if page.syndication:
            groups[page.syndication].append(page)
    for group, members in groups.items():
        urls = [_url(crawled, p) for p in members]
        original = next(u for u in urls if u in stored)
        for url in urls:
            if url != original:
                assert by_url.get(url) == stored[original][6], f"{group}: {url} not linked"


@pytest.mark.parametrize("role", [Role.OFF_TOPIC, Role.NON_ARTICLE, Role.ARCHIVE, Role.AMP])
def test_pages_that_are_not_on_topic_articles_are_not_stored(
    crawled: CrawledStore, role: Role
) -> None:
    stored = _stored(crawled)
    for page in crawled.web.web.select(role=role):
        assert _url(crawled, page) not in stored, f"{role}: {page.path}"


def test_archive_pages_outside_the_lookback_window_are_never_fetched(
    crawled: CrawledStore,
) -> None:
    for page in crawled.web.web.select(role=Role.ARCHIVE):
        assert crawled.web.request_log.count(host=crawled.web.ip(page.outlet), path=page.path) == 0


def test_stored_urls_are_canonical(crawled: CrawledStore) -> None:
    for url in _stored(crawled):
        assert "utm_" not in url
        assert "/amp/" not in url
        assert "#" not in url


def test_outlets_languages_and_dates_are_right(crawled: CrawledStore) -> None:
    stored = _stored(crawled)
    checked = 0
    for page in crawled.web.web.select(role=Role.ARTICLE):
        row = stored.get(_url(crawled, page))
        if row is None:
            continue  # a syndicated copy stored under another outlet
        _, outlet, language, published, *_ = row
        assert outlet == page.outlet
        assert language == page.language, page.path
        assert page.published is not None
        assert str(published)[:10] == page.published.date().isoformat(), page.path
        checked += 1
    assert checked >= 30


@pytest.mark.parametrize("stem", sorted(SEED_PAGES))
def test_seed_pages_are_stored_clean(crawled: CrawledStore, stem: str) -> None:
    expected = expected_seed(stem)
    stored = _stored(crawled)
    row = stored.get(canonicalize(crawled.web.url(expected.outlet, expected.path)))
    assert row is not None, f"seed {stem} was not stored"
    text = str(row[5])
    similarity = difflib.SequenceMatcher(
        None, normalize_text(expected.body), normalize_text(text), autojunk=False
    ).ratio()
    assert similarity >= 0.9, f"{stem}: similarity {similarity:.3f}"
    for noise in expected.noise:
        assert noise not in text, f"{stem}: noise {noise!r} kept"
    assert "اضافة اعلان" not in text
    assert "Read more" not in text


def test_every_off_topic_page_is_skipped_with_a_reason(crawled: CrawledStore) -> None:
    """Off-topic pages are dropped by their feed title before fetching, or by their text after."""
    reasons = dict(_query(crawled, "SELECT reason, count(*) FROM skipped_pages GROUP BY reason"))
    (stats,) = _query(crawled, "SELECT stats FROM crawl_runs")
    per_outlet = json.loads(str(stats[0])).values()
    by_title = sum(s.get("skipped/off_topic_title", 0) for s in per_outlet)
    off_topic = crawled.web.web.select(role=Role.OFF_TOPIC)
    assert reasons.get("off_topic", 0) + by_title == len(off_topic)
    assert reasons.get("not_article", 0) + reasons.get("too_short", 0) >= 3


def test_store_is_consistent_and_searchable(crawled: CrawledStore) -> None:
    check = run_cli("db", "check", "--db", crawled.db_url)
    assert check.returncode == 0, check.stdout + check.stderr
    found = run_cli("articles", "--search", "Kremlin", "--db", crawled.db_url, "--limit", "100")
    assert found.returncode == 0, found.stderr
    assert "article(s)" in found.stdout
    hits = _query(crawled, "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'Kremlin'")
    assert hits[0][0] > 0
