"""Real crawls of the offline demo web into PostgreSQL, checked against the same crawls into SQLite.

One web, two stores: day one is crawled by `newsmon crawl` into both; the web
then moves to day two, which APScheduler (its job store in the PostgreSQL
database) crawls into PostgreSQL and the CLI into SQLite.  Whatever newsmon
stores must not depend on the backend, so most assertions compare the two.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text

import demoweb
from crawler.urls import canonicalize
from demoweb import SEED_PAGES, Role
from newsmon.demo import demo_outlets, write_outlets_file
from scheduler.service import add_crawl, build_scheduler, make_trigger
from storage.db import make_engine, session_factory
from storage.lineage import lineage_of
from storage.queries import known_url, list_articles
from storage.views import StoryFilter, article_view, list_story_items, story_view
from tests.conftest import crawl_args, run_cli

pytestmark = pytest.mark.postgres


def query(url: str, sql: str, **params: object) -> list[tuple[Any, ...]]:
    """Raw SQL on either store (the tests read what was written, not newsmon's own queries)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


def families(url: str) -> dict[str, frozenset[str]]:
    """Each stored article's URL -> every URL it is known under.

    Which copy of a syndicated story is stored (and so which URL is canonical)
    depends on which page the concurrent crawl finished first, on any backend;
    the family of URLs an article stands for does not.
    """
    grouped: dict[str, set[str]] = {}
    rows = query(
        url, "SELECT a.url, u.url FROM articles a JOIN article_urls u ON u.article_id = a.id"
    )
    for article_url, known in rows:
        grouped.setdefault(article_url, set()).add(known)
    return {article_url: frozenset(urls) for article_url, urls in grouped.items()}


def snapshot(url: str) -> dict[str, set[Any]]:
    """What a crawl decided, in backend-neutral terms (URL families and keys, never row ids)."""
    family = families(url)
    return {
        "articles": set(family.values()),
        "content_keys": set(query(url, "SELECT content_key FROM articles")),
        "urls": set(query(url, "SELECT url FROM article_urls")),
        "skipped": set(query(url, "SELECT url, reason FROM skipped_pages")),
        "versions": {
            (family[article_url], version)
            for article_url, version in query(
                url,
                "SELECT a.url, v.version FROM article_versions v "
                "JOIN articles a ON a.id = v.article_id",
            )
        },
    }


@dataclass
class TwoStores:
    web: demoweb.RunningWeb
    pg_url: str
    sqlite_url: str
    outlets_file: Path
    day1: dict[str, dict[str, set[Any]]]
    day2: dict[str, dict[str, set[Any]]]
    pg_day2_requests: list[Any]
    pg_day2_run: int

    def url(self, outlet: str, path: str) -> str:
        return canonicalize(self.web.url(outlet, path))

    def crawl(self, db_url: str) -> None:
        result = run_cli(
            *crawl_args(self.outlets_file, db_url),
        )
        assert result.returncode == 0, result.stdout + result.stderr


def _scheduled_day(stores: TwoStores) -> int:
    """Day two into PostgreSQL the way `newsmon schedule start` runs it: a job fires."""
    scheduler = build_scheduler(stores.pg_url)
    scheduler.start()
    try:
        add_crawl(
            scheduler,
            make_trigger(None, "1s"),
            job_id="pg-daily",
            db_url=stores.pg_url,
            outlet_files=[str(stores.outlets_file)],
            builtin=False,
            allow_private=True,
        )
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            done = query(
                stores.pg_url,
                "SELECT id FROM crawl_runs WHERE trigger = 'scheduled' AND status <> 'running'",
            )
            if done:
                scheduler.remove_job("pg-daily")
                return int(done[0][0])
            time.sleep(0.5)
        raise AssertionError("the scheduler never finished a crawl into PostgreSQL")
    finally:
        scheduler.shutdown(wait=True)


@pytest.fixture(scope="module")
def stores(
    pg_url: str, lock_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TwoStores]:
    folder = tmp_path_factory.mktemp("pgcrawl")
    with demoweb.serve(demoweb.build_web(1)) as web:
        stores = TwoStores(
            web=web,
            pg_url=pg_url,
            sqlite_url=f"sqlite:///{folder / 'newsmon.db'}",
            outlets_file=write_outlets_file(demo_outlets(web), folder / "outlets.toml"),
            day1={},
            day2={},
            pg_day2_requests=[],
            pg_day2_run=0,
        )
        for url in (stores.pg_url, stores.sqlite_url):
            stores.crawl(url)
            stores.day1[url] = snapshot(url)
        web.replace(demoweb.build_web(2))
        web.request_log.clear()
        stores.pg_day2_run = _scheduled_day(stores)
        stores.pg_day2_requests = list(web.request_log.records())
        web.request_log.clear()
        stores.crawl(stores.sqlite_url)
        for url in (stores.pg_url, stores.sqlite_url):
            stores.day2[url] = snapshot(url)
        yield stores


@pytest.mark.parametrize("aspect", ["articles", "content_keys", "urls", "skipped"])
def test_day_one_stores_the_same_as_sqlite(stores: TwoStores, aspect: str) -> None:
    on_pg = stores.day1[stores.pg_url][aspect]
    on_sqlite = stores.day1[stores.sqlite_url][aspect]
    assert on_pg, f"nothing in {aspect}"
    assert on_pg == on_sqlite


def test_day_one_stores_every_on_topic_story(stores: TwoStores) -> None:
    seeds = {stores.url(outlet, path) for outlet, path in SEED_PAGES.values()}
    known = {url for (url,) in stores.day1[stores.pg_url]["urls"]}
    assert seeds <= known
    assert query(stores.pg_url, "SELECT status FROM crawl_runs WHERE trigger = 'manual'") == [
        ("succeeded",)
    ]


# The README's demo lineage: 001 rewrites 000, 004 translates it, 002 and 003 report one story.
# Further relations (and so story ids) depend on the order the crawl stored the seeds in, on
# either backend, so only these are compared.
SEED_RELATIONS = {
    (frozenset(("000", "001")), "rewrite"),
    (frozenset(("000", "004")), "translation"),
    (frozenset(("002", "003")), "same_story"),
}


def seed_relations(stores: TwoStores, url: str) -> set[tuple[frozenset[str], str]]:
    seeds = {stores.url(outlet, path): stem[:3] for stem, (outlet, path) in SEED_PAGES.items()}
    family = families(url)
    stem = {a: next((seeds[u] for u in urls if u in seeds), None) for a, urls in family.items()}
    rows = query(
        url,
        "SELECT a.url, b.url, r.relation FROM relations r "
        "JOIN articles a ON a.id = r.article_id JOIN articles b ON b.id = r.related_id",
    )
    return {
        (frozenset((stem[a], stem[b])), kind)  # type: ignore[arg-type]
        for a, b, kind in rows
        if stem[a] and stem[b]
    }


def test_the_seed_lineage_is_found_as_on_sqlite(stores: TwoStores) -> None:
    assert seed_relations(stores, stores.pg_url) >= SEED_RELATIONS
    assert seed_relations(stores, stores.sqlite_url) >= SEED_RELATIONS


def test_the_scheduled_day_two_run_stores_exactly_the_new_articles(stores: TwoStores) -> None:
    (status,) = query(
        stores.pg_url, "SELECT status FROM crawl_runs WHERE id = :run", run=stores.pg_day2_run
    )[0]
    assert status == "succeeded"
    changes = stores.web.web.changes
    expected = {stores.url(p.outlet, p.path) for p in changes.new if p.role == Role.ARTICLE}
    stored = query(
        stores.pg_url, "SELECT url FROM articles WHERE run_id = :run", run=stores.pg_day2_run
    )
    assert {url for (url,) in stored} == expected


def test_day_two_edits_become_versions_with_diffs(stores: TwoStores) -> None:
    edits = stores.web.web.changes.edits
    rows = query(
        stores.pg_url,
        "SELECT a.url, v.version, a.version, v.diff, a.text, v.replaced_at FROM article_versions v "
        "JOIN articles a ON a.id = v.article_id",
    )
    assert {row[0] for row in rows} == {stores.url(e.outlet, e.path) for e in edits}
    for _url, old, new, diff, body, replaced_at in rows:
        assert new == old + 1
        assert replaced_at.utcoffset() is not None
        for edit in edits:
            for added in edit.added:
                assert added[:40] in diff
                assert added[:40] in body


def test_day_two_is_incremental_on_postgresql(stores: TwoStores) -> None:
    """Validators and known URLs read back from PostgreSQL: 304s, no re-fetch of old pages."""
    web = stores.web.web
    assert any(r.status == 304 for r in stores.pg_day2_requests)
    touched = {(e.outlet, e.path) for e in web.changes.edits} | {
        (p.outlet, p.path) for p in web.changes.new
    }
    fetched = {(r.host, r.path) for r in stores.pg_day2_requests}
    for page in web.select(role=Role.ARTICLE):
        if (page.outlet, page.path) not in touched:
            assert (stores.web.ip(page.outlet), page.path) not in fetched, page.path


@pytest.mark.parametrize("aspect", ["articles", "content_keys", "urls", "versions"])
def test_day_two_ends_where_sqlite_ends(stores: TwoStores, aspect: str) -> None:
    assert stores.day2[stores.pg_url][aspect] == stores.day2[stores.sqlite_url][aspect]


def test_the_report_db_check_and_db_vacuum_work_on_postgresql(stores: TwoStores) -> None:
    report = run_cli("report", str(stores.pg_day2_run), "--format", "json", "--db", stores.pg_url)
    assert report.returncode == 0, report.stderr
    built = json.loads(report.stdout)
    changes = stores.web.web.changes
    assert len(built["new_articles"]) == len([p for p in changes.new if p.role == Role.ARTICLE])
    assert len(built["updated_articles"]) == len(changes.edits)
    check = run_cli("db", "check", "--db", stores.pg_url)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "consistent" in check.stdout
    vacuum = run_cli("db", "vacuum", "--db", stores.pg_url)
    assert vacuum.returncode == 0, vacuum.stdout + vacuum.stderr
    assert "analysed" in vacuum.stdout


# Words, prefixes, other scripts, several terms, punctuation inside terms, and a script
# without spaces (which both backends answer with LIKE).
SEARCHES = [
    "Kremlin",
    "kremlin",
    "Krem",
    "Putin Xi",
    "Путин",
    "Кремль",
    "الصين",
    "Cina",
    "Xi's",
    "Sino-Russian",
    "yuan",
    "普京",
    "nosuchwordanywhere",
]


def _found(url: str, search: str) -> set[frozenset[str]]:
    """The URL families of the articles `newsmon articles --search` lists."""
    family = families(url)
    engine = make_engine(url)
    try:
        with session_factory(engine, write=False)() as session:
            return {family[a.url] for a in list_articles(session, search=search, limit=1000)}
    finally:
        engine.dispose()


@pytest.mark.parametrize("search", SEARCHES)
def test_search_finds_what_sqlite_fts5_finds(stores: TwoStores, search: str) -> None:
    assert _found(stores.pg_url, search) == _found(stores.sqlite_url, search)


def test_search_finds_whole_words_and_prefixes_not_substrings(stores: TwoStores) -> None:
    kremlin = _found(stores.pg_url, "Kremlin")
    assert kremlin
    assert _found(stores.pg_url, "Kreml") >= kremlin
    assert not _found(stores.pg_url, "remlin")


def test_the_search_command_works_on_postgresql(stores: TwoStores) -> None:
    result = run_cli("articles", "--search", "Kremlin", "--limit", "500", "--db", stores.pg_url)
    assert result.returncode == 0, result.stderr
    count = len(_found(stores.pg_url, "Kremlin"))
    assert f"{count} article(s)" in result.stdout


INJECTIONS = [
    "'; DROP TABLE articles; --",
    "x'); DELETE FROM articles; --",
    "%",
    "_",
    "\\",
    "' OR '1'='1",
    # Each would find Kremlin articles if its tsquery operators (| ! :*) were not literal.
    "nosuchword' | 'Kremlin",
    "!nosuchword",
    "Kremlin:* | nosuchword",
    "'):* | ('",
]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_sql_and_tsquery_injection_finds_nothing_and_drops_nothing(
    stores: TwoStores, payload: str
) -> None:
    before = query(stores.pg_url, "SELECT count(*) FROM articles")
    assert _found(stores.pg_url, payload) == set()
    assert query(stores.pg_url, "SELECT count(*) FROM articles") == before


def test_an_injection_through_the_command_line_finds_nothing_and_drops_nothing(
    stores: TwoStores,
) -> None:
    before = query(stores.pg_url, "SELECT count(*) FROM articles")
    tables = set(_tables(stores.pg_url))
    result = run_cli("articles", "--search", INJECTIONS[0], "--db", stores.pg_url)
    assert result.returncode == 0, result.stderr
    assert "0 article(s)" in result.stdout
    assert query(stores.pg_url, "SELECT count(*) FROM articles") == before
    assert set(_tables(stores.pg_url)) == tables
    assert {"articles", "outlets", "article_urls"} <= tables


def _tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_the_researcher_views_read_a_postgresql_store_as_a_sqlite_one(stores: TwoStores) -> None:
    """The story list, a story, an article with its evidence and its versions (issue 13)."""
    seen: dict[str, dict[str, Any]] = {}
    for url in (stores.pg_url, stores.sqlite_url):
        engine = make_engine(url)
        with session_factory(engine, write=False)() as session:
            ids = {}
            for stem, (outlet, path) in SEED_PAGES.items():
                found = known_url(session, stores.url(outlet, path))
                assert found is not None
                ids[stem[:3]] = found
            rewrite = article_view(session, ids["001"])
            assert rewrite is not None
            source = next(r for r in rewrite.relatives if r.id == ids["000"])
            story = lineage_of(session, ids["001"]).story_id
            assert story is not None
            view = story_view(session, story)
            assert view is not None
            updated = session.scalar(text("SELECT min(article_id) FROM article_versions"))
            versions = article_view(session, int(updated))
            assert versions is not None
            seen[url] = {
                "substitutions": source.substitutions,
                "dropped": source.dropped,
                "roles": {
                    stem: next(m.role for m in view.members if m.id == i)
                    for stem, i in ids.items()
                    if any(m.id == i for m in view.members)
                },
                "chinese": len(list_story_items(session, StoryFilter(search="普京"))),
                # Which stories hold them, and which outlet is credited with a copy,
                # depend on crawl order (two crawls here); which texts a search finds
                # does not.
                "putin": {a.title for a in list_articles(session, search="Putin", limit=1000)},
                "diffs": [any(p.op != "equal" for p in v.changes) for v in versions.versions],
            }
        engine.dispose()
    pg, lite = seen[stores.pg_url], seen[stores.sqlite_url]
    assert ("reaffirmed", "affirmed") in pg["substitutions"]
    assert pg["dropped"] == lite["dropped"]
    assert pg["roles"]["001"] == "rewrite"
    assert pg["chinese"] == lite["chinese"] >= 1
    assert pg["putin"] == lite["putin"]
    assert len(pg["putin"]) > 1
    assert pg["diffs"]
    assert all(pg["diffs"])
