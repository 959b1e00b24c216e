"""Integrity checks, clear errors for unusable databases, and concurrent writers."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from storage.db import (
    StorageError,
    compact,
    make_engine,
    session_factory,
    storage_errors,
    upgrade,
)
from storage.fts import rebuild_fts
from storage.models import Article
from storage.queries import check_integrity, list_articles, store_article
from storage.records import ArticleRecord
from tests.storage.races import STORED, race_two_writers_and_a_reader

RecordFactory = Callable[..., ArticleRecord]


@pytest.fixture
def filled(session: Session, make_record: RecordFactory) -> Session:
    for n in range(3):
        store_article(session, make_record(url=f"https://a.test/{n}", text=f"Text number {n}."))
    session.commit()
    return session


def _store_and_commit(engine: Engine, record: ArticleRecord) -> None:
    with storage_errors(engine), session_factory(engine)() as session:
        store_article(session, record)
        session.commit()


def test_a_healthy_store_has_no_problems(filled: Session) -> None:
    assert check_integrity(filled) == []


def test_fts_out_of_sync_is_detected_and_rebuilt(filled: Session) -> None:
    filled.execute(text("DROP TRIGGER articles_au"))
    filled.execute(text("UPDATE articles SET title = 'Renamed behind the index' WHERE id = 1"))
    filled.commit()
    problems = check_integrity(filled)
    # SQLite >= 3.44 also reports the FTS mismatch through PRAGMA integrity_check.
    assert "the full-text search object articles_au is missing" in problems
    assert "the full-text index articles_fts is out of sync with articles" in problems
    rebuild_fts(filled)
    filled.commit()
    assert check_integrity(filled) == []
    assert [a.id for a in list_articles(filled, search="renamed")] == [1]


def test_rows_missing_from_the_index_are_detected(filled: Session) -> None:
    filled.execute(text("DROP TRIGGER articles_ai"))
    filled.execute(
        text(
            "INSERT INTO articles (outlet_id, url, title, text, authors, extractor_version, "
            "topic_score, content_key, raw_html, fetched_at, first_seen) SELECT outlet_id, "
            "'https://a.test/x', title, text, authors, extractor_version, topic_score, 'k', "
            "raw_html, fetched_at, first_seen FROM articles WHERE id = 1"
        )
    )
    filled.commit()
    problems = check_integrity(filled)
    assert "the full-text index articles_fts is out of sync with articles" in problems
    assert "article 4 has no canonical URL row" in problems


def test_broken_url_rows_and_foreign_keys_are_detected(db_path: Path, filled: Session) -> None:
    # Another tool, without foreign keys enforced, damages the URL table.
    with closing(sqlite3.connect(db_path)) as raw, raw:
        raw.execute("UPDATE article_urls SET url = 'https://elsewhere.test/' WHERE id = 1")
        raw.execute("UPDATE article_urls SET article_id = 99 WHERE id = 2")
    problems = check_integrity(filled)
    assert "article_urls row 2 points to a missing articles row" in problems
    assert (
        "article 1 has URL https://a.test/0 but its canonical row says "
        "https://elsewhere.test/" in problems
    )
    assert "article 2 has no canonical URL row" in problems


def test_read_only_database_gives_a_clear_error(
    db_path: Path, engine: Engine, make_record: RecordFactory
) -> None:
    engine.dispose()
    read_only = make_engine(f"sqlite:///file:{db_path}?mode=ro&uri=true")
    with pytest.raises(StorageError, match="read-only; make the file") as caught:
        _store_and_commit(read_only, make_record())
    assert caught.value.reason == "read_only"
    assert "\n" not in str(caught.value)
    # Reading still works: the schema is current, so upgrade needs no write.
    upgrade(read_only)
    with session_factory(read_only, write=False)() as session:
        assert list_articles(session) == []
    read_only.dispose()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_file_permissions_give_a_clear_error(
    db_path: Path, engine: Engine, make_record: RecordFactory
) -> None:
    engine.dispose()
    for path in db_path.parent.iterdir():
        path.chmod(0o444)
    db_path.parent.chmod(0o555)
    try:
        with pytest.raises(StorageError) as caught:
            _store_and_commit(engine, make_record())
        assert caught.value.reason in {"read_only", "unreachable"}
    finally:
        db_path.parent.chmod(0o755)


def test_full_disk_gives_a_clear_error_and_keeps_the_store(
    engine: Engine, make_record: RecordFactory
) -> None:
    sessions = session_factory(engine)
    with sessions() as session:
        store_article(session, make_record())
        session.commit()
        # SQLite reports SQLITE_FULL exactly as for a full disk once the file
        # may not grow any more.
        pages = session.execute(text("PRAGMA page_count")).scalar_one()
        session.execute(text(f"PRAGMA max_page_count = {pages}"))
        big = [
            make_record(url=f"https://a.test/{n}", text=f"{n} " + "x" * 200_000) for n in range(9)
        ]
        with pytest.raises(StorageError, match="is full; free some space") as caught:
            _store_all(engine, session, big)
        assert caught.value.reason == "disk_full"
        session.rollback()
        assert session.scalar(select(func.count()).select_from(Article)) == 1
        assert check_integrity(session) == []


def _store_all(engine: Engine, session: Session, records: list[ArticleRecord]) -> None:
    with storage_errors(engine):
        for record in records:
            store_article(session, record)
        session.commit()


def test_missing_folder_gives_a_clear_error(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'absent' / 'newsmon.db'}")
    with pytest.raises(StorageError, match="Cannot open the database") as caught:
        upgrade(engine)
    assert caught.value.reason == "unreachable"


def test_a_file_that_is_not_a_database_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are not the pages you are looking for" * 100)
    engine = make_engine(f"sqlite:///{path}")
    with pytest.raises(StorageError, match="is not a SQLite database"):
        upgrade(engine)


def test_concurrent_writers_and_readers_never_see_database_is_locked(
    db_path: Path, engine: Engine, make_record: RecordFactory
) -> None:
    """Two engines (as two processes would have) store overlapping articles at once."""
    outcomes = race_two_writers_and_a_reader(
        f"sqlite:///{db_path}",
        engine,
        lambda key: make_record(url=f"https://a.test/{key}", text=key),
        "a.test",
    )
    assert outcomes.count("stored") == STORED
    assert outcomes.count("duplicate_url") == len(outcomes) - STORED
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == STORED
        assert check_integrity(session) == []


def test_compacting_gives_free_pages_back_and_keeps_every_article(
    engine: Engine, make_record: RecordFactory
) -> None:
    """Pages freed by deleted rows stay in the file until VACUUM: compacting shrinks the
    file to what the rows need, with the write-ahead log emptied, and every article and
    search entry left stays."""
    with session_factory(engine)() as session:
        for n in range(40):
            record = make_record(url=f"https://a.test/{n}", text=f"Text {n}.\n\n" + "word " * 4000)
            store_article(session, record)
        session.commit()
        session.execute(text("DELETE FROM articles WHERE id > 5"))
        session.commit()
    with closing(sqlite3.connect(str(engine.url.database))) as raw:
        assert raw.execute("PRAGMA freelist_count").fetchone()[0] > 0
    sizes = compact(engine)
    assert sizes is not None
    assert sizes[1] < sizes[0]
    with closing(sqlite3.connect(str(engine.url.database))) as raw:
        assert raw.execute("PRAGMA freelist_count").fetchone()[0] == 0
    assert os.path.getsize(f"{engine.url.database}-wal") == 0
    with session_factory(engine, write=False)() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 5
        assert {a.id for a in list_articles(session, search="word")} == set(range(1, 6))
        assert check_integrity(session) == []
