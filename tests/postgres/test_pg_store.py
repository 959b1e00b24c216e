"""The store on a real PostgreSQL server: migrations, types, time zones, races, locks, errors.

Everything here also holds on SQLite (tests/storage); these tests prove the
dialect differences are handled rather than assumed: timestamptz and session
time zones, json and bytea, savepoints after a unique violation (PostgreSQL
aborts the whole transaction otherwise), and newsmon's single-writer lock.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic import command
from sqlalchemy import URL, Engine, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

import storage.db
from storage.db import (
    StorageError,
    alembic_config,
    make_engine,
    session_factory,
    storage_errors,
    upgrade,
    writer,
)
from storage.fts import PG_DOCUMENT_SQL, PG_INDEX
from storage.models import Article, Base, CrawlRun, Outlet
from storage.queries import (
    _retry_on_race,
    article_raw_html,
    check_integrity,
    ensure_outlet,
    get_article,
    list_articles,
    store_article,
)
from storage.records import ZSTD_MAGIC, ArticleRecord, Compressed
from tests.storage.races import STORED, race_two_writers_and_a_reader
from tests.storage.schema import model_differences

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _record(n: int, **changes: object) -> ArticleRecord:
    title = f"Putin and Xi meet again, round {n}"
    body = f"Russian President Vladimir Putin met Xi Jinping for the {n}th time.\n\nЦзиньпин."
    values: dict[str, object] = {
        "outlet": "meridian",
        "url": f"https://news.example/{n}",
        "fetched_url": f"https://news.example/{n}?utm_source=x",
        "title": title,
        "text": body,
        "published": datetime(2022, 6, 15, 8, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        "authors": ("Анна Иванова", "王伟"),
        "language": "en",
        "extractor_version": "test",
        "topic_score": 0.9,
        "content_key": hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest(),
        "raw_html": b"<html>\x00\xff binary-safe " + bytes(range(256)) * 20,
        "fetched_at": datetime(2022, 6, 15, 9, 0, tzinfo=UTC),
    }
    values.update(changes)
    return ArticleRecord(**values)  # type: ignore[arg-type]


def test_migrations_create_the_schema_the_models_describe(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables
    assert model_differences(engine) == []
    indexes = {index["name"] for index in inspect(engine).get_indexes("articles")}
    assert PG_INDEX in indexes  # migration 0003: search does not read every article
    with engine.connect() as connection:
        connection.execute(text("SET enable_seqscan = off"))  # an empty table: force the choice
        plan = connection.execute(
            text(
                f"EXPLAIN SELECT id FROM articles WHERE {PG_DOCUMENT_SQL} "
                "@@ to_tsquery('simple', 'putin')"
            )
        ).all()
    assert any(PG_INDEX in str(row[0]) for row in plan), plan


def test_upgrade_is_idempotent_and_the_schema_round_trips(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        upgrade(engine)
        upgrade(engine)  # at head: a read-only no-op
        config = alembic_config()
        with writer(engine).begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        upgrade(engine)
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_db_check_passes_on_a_fresh_store(pg_url: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "newsmon", "db", "check", "--db", pg_url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "consistent" in result.stdout


def test_an_article_round_trips_with_aware_utc_datetimes_json_and_bytes(engine: Engine) -> None:
    record = _record(1)
    with session_factory(engine).begin() as session:
        outcome = store_article(session, record)
    assert outcome.status == "stored"
    with session_factory(engine, write=False)() as session:
        article = get_article(session, outcome.article_id)
        assert article is not None
        assert article.published == record.published
        assert article.published is not None
        assert article.published.tzinfo == UTC
        assert article.published.hour == 3  # 08:30 +05:30
        assert article.fetched_at == record.fetched_at
        assert article.first_seen.tzinfo == UTC
        assert article.authors == ("Анна Иванова", "王伟")
        assert article_raw_html(session, outcome.article_id) == record.raw_html
        assert article.other_urls[0].url == record.fetched_url


def test_zlib_pages_stored_before_zstandard_stay_readable(engine: Engine) -> None:
    record = _record(40, raw_html=Compressed.of(b"<html>new</html>" * 40))
    with session_factory(engine).begin() as session:
        new = store_article(session, record)
        old = store_article(session, _record(41))
        stored = session.scalar(select(Article.raw_html).where(Article.id == new.article_id))
        # A page stored by an earlier version, as zlib level 6 packed it.
        session.execute(
            text("UPDATE articles SET raw_html = :blob WHERE id = :id"),
            {"blob": zlib.compress(_record(41).raw_html, 6), "id": old.article_id},
        )
    assert stored == b"<html>new</html>" * 40
    with session_factory(engine, write=False)() as session:
        blob = session.execute(
            text("SELECT raw_html FROM articles WHERE id = :id"), {"id": new.article_id}
        ).scalar_one()
        assert bytes(blob).startswith(ZSTD_MAGIC)
        assert article_raw_html(session, new.article_id) == b"<html>new</html>" * 40
        assert article_raw_html(session, old.article_id) == _record(41).raw_html


def test_datetimes_are_utc_whatever_the_session_time_zone(engine: Engine) -> None:
    with session_factory(engine).begin() as session:
        outcome = store_article(session, _record(2))
    with session_factory(engine, write=False)() as session:
        # newsmon's own sessions run in UTC, so raw SQL shows the stored instant.
        raw = session.scalar(
            text("SELECT to_char(published, 'YYYY-MM-DD HH24:MI') FROM articles WHERE id = :i"),
            {"i": outcome.article_id},
        )
        assert raw == "2022-06-15 03:00"
        # A session in another zone still reads the same UTC-aware instant.
        session.execute(text("SET TIME ZONE 'America/New_York'"))
        published = session.scalar(
            select(Article.published).where(Article.id == outcome.article_id)
        )
        assert published == datetime(2022, 6, 15, 3, 0, tzinfo=UTC)
        assert published is not None
        assert published.utcoffset() == timedelta(0)
        since = datetime(2022, 6, 15, 2, 59, tzinfo=UTC)
        assert outcome.article_id in {a.id for a in list_articles(session, since=since)}


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with (
        pytest.raises(Exception, match="naive datetime"),
        session_factory(engine).begin() as session,
    ):
        store_article(session, _record(3, published=datetime(2022, 6, 15, 8, 30)))


def test_duplicates_are_recognised_inside_one_transaction(engine: Engine) -> None:
    with session_factory(engine).begin() as session:
        first = store_article(session, _record(4))
        again = store_article(session, _record(4))
        copy = store_article(
            session,
            _record(
                4, url="https://copy.example/4", fetched_url="https://copy.example/4", outlet="wire"
            ),
        )
    assert first.status == "stored"
    assert again.status == "duplicate_url"
    assert copy.status == "duplicate_text"
    assert again.article_id == copy.article_id == first.article_id


def test_a_lost_unique_race_leaves_the_transaction_usable(engine: Engine) -> None:
    """PostgreSQL aborts a transaction on a unique violation; the savepoint must contain it."""
    with session_factory(engine).begin() as session:
        ensure_outlet(session, "racer", "Racer", "https://racer.example/", ["en"])
        attempts = []

        def attempt() -> int:
            attempts.append(1)
            if len(attempts) == 1:  # another writer's row "arrives" between lookup and insert
                session.add(Outlet(name="racer", title="Other", homepage="", languages=[]))
                session.flush()
            found = session.scalar(select(Outlet.id).where(Outlet.name == "racer"))
            assert found is not None
            return found

        outlet_id = _retry_on_race(session, attempt)
        assert len(attempts) == 2
        assert session.scalar(select(Outlet.title).where(Outlet.id == outlet_id)) == "Racer"
    with session_factory(engine).begin() as session:
        session.add(Outlet(name="racer", title="Twin", homepage="", languages=[]))
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()


def test_json_columns_keep_nested_unicode(engine: Engine) -> None:
    stats = {"vestnik": {"stored": 3, "note": "Кремль “quoted” \\ \u2028", "ratio": 0.5}}
    with session_factory(engine).begin() as session:
        run = CrawlRun(status="running", trigger="manual", outlets=["vestnik"], stats=stats)
        session.add(run)
        session.flush()
        run_id = run.id
    with session_factory(engine, write=False)() as session:
        assert session.get(CrawlRun, run_id).stats == stats  # type: ignore[union-attr]


def test_writers_queue_on_one_lock_and_readers_never_wait(engine: Engine) -> None:
    order: list[str] = []
    holding = threading.Event()

    def first_writer() -> None:
        with writer(engine).begin() as connection:
            connection.execute(text("SELECT 1"))
            holding.set()
            time.sleep(1.0)
            order.append("first commits")

    thread = threading.Thread(target=first_writer)
    thread.start()
    assert holding.wait(10)
    started = time.monotonic()
    with engine.connect() as reader:
        reader.execute(select(Article.id)).all()
    assert time.monotonic() - started < 0.5, "a reader waited for the writer"
    with writer(engine).begin() as connection:
        order.append("second begins")
        connection.execute(text("SELECT 1"))
    thread.join()
    assert order == ["first commits", "second begins"]


def test_a_writer_waiting_too_long_gets_one_sentence(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage.db, "BUSY_TIMEOUT_MS", 300)
    with writer(engine).begin() as holder:
        holder.execute(text("SELECT 1"))
        with (
            pytest.raises(StorageError) as caught,
            storage_errors(engine),
            writer(engine).begin() as connection,
        ):
            connection.execute(text("SELECT 1"))
    assert caught.value.reason == "locked"
    assert "wait for the other newsmon command" in str(caught.value)


def _upgrade_error(url: str | URL) -> StorageError:
    engine = make_engine(url)
    try:
        with pytest.raises(StorageError) as caught:
            upgrade(engine)
    finally:
        engine.dispose()
    return caught.value


def test_connection_problems_are_one_sentence_without_the_password(pg_url: str) -> None:
    url = make_url(pg_url)
    wrong_db = url.set(database="newsmon_no_such_database", password="s3cret")
    error = _upgrade_error(wrong_db.render_as_string(hide_password=False))
    assert error.reason == "unreachable"
    assert "s3cret" not in str(error)
    assert "database name" in str(error)

    error = _upgrade_error(url.set(host="127.0.0.1", port=1))
    assert error.reason == "unreachable"
    assert "is running" in str(error)


def test_a_url_for_a_missing_driver_says_what_to_install() -> None:
    pytest.importorskip("sqlalchemy")
    try:
        import pg8000  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("pg8000 is installed here, so its URL is not a missing driver")
    with pytest.raises(StorageError) as caught:
        make_engine("postgresql+pg8000://user@127.0.0.1/db")
    assert "newsmon[postgres]" in str(caught.value)
    with pytest.raises(StorageError) as caught:
        make_engine("not a url at all")
    assert caught.value.reason == "bad_url"


def test_concurrent_writers_and_readers_on_postgresql(pg_url: str, engine: Engine) -> None:
    """Two engines (as two processes would have) store overlapping articles while one searches."""
    outcomes = race_two_writers_and_a_reader(
        pg_url,
        engine,
        lambda key: _record(
            1000,
            url=f"https://race.example/{key}",
            fetched_url=f"https://race.example/{key}",
            text=f"Kremlin statement {key}.",
            content_key=hashlib.sha256(key.encode()).hexdigest(),
        ),
        "Kremlin statement",
    )
    assert outcomes.count("stored") == STORED
    assert outcomes.count("duplicate_url") == len(outcomes) - STORED
    with session_factory(engine, write=False)() as session:
        stored = session.scalar(
            select(func.count()).select_from(Article).where(Article.url.like("https://race.%"))
        )
        assert stored == STORED
        assert check_integrity(session) == []
