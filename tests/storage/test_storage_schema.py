"""The migrations build the schema the models describe, with SQLite tuned for sharing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, func, inspect, select, text

from dedup.judging import Judgement
from storage.db import (
    DEFAULT_URL,
    ENV_URL,
    alembic_config,
    default_url,
    make_engine,
    session_factory,
    upgrade,
)
from storage.lineage import save_relations
from storage.models import Article, Relation
from storage.queries import list_articles, store_article
from storage.records import ArticleRecord
from tests.storage.schema import model_differences

TABLES = {"outlets", "articles", "article_urls", "crawl_runs", "skipped_pages"}


def _master(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT name, type FROM sqlite_master")).all()
    return {str(name): str(kind) for name, kind in rows}


def test_migrations_create_tables_indexes_and_fts(engine: Engine) -> None:
    master = _master(engine)
    assert {name for name, kind in master.items() if kind == "table"} >= TABLES | {
        "articles_fts",
        "articles_fts_seg",
        "alembic_version",
    }
    assert {name for name, kind in master.items() if kind == "trigger"} == {
        "articles_ai",
        "articles_ad",
        "articles_au",
        "articles_seg_ai",
        "articles_seg_ad",
        "articles_seg_au",
    }
    indexes = {index["name"] for index in inspect(engine).get_indexes("articles")}
    assert {"ix_articles_outlet_published", "ix_articles_published", "ix_articles_language"} <= (
        indexes
    )
    uniques = {tuple(u["column_names"]) for u in inspect(engine).get_unique_constraints("articles")}
    assert {("url",), ("content_key",)} <= uniques


def test_models_match_the_migrations(engine: Engine) -> None:
    assert model_differences(engine) == []


def test_sqlite_connections_are_tuned_for_concurrent_use(engine: Engine) -> None:
    with engine.connect() as connection:
        pragmas = {
            name: connection.execute(text(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        }
    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 30000,
        "synchronous": 1,
    }


def test_datasette_detects_the_fts_table(engine: Engine) -> None:
    # Datasette's own detection query (datasette.utils.detect_fts_sql).
    detect = """
        select name from sqlite_master where rootpage = 0 and (
            sql like '%VIRTUAL TABLE%USING FTS%content="articles"%'
            or sql like '%VIRTUAL TABLE%USING FTS%content=[articles]%'
            or (tbl_name = "articles" and sql like '%VIRTUAL TABLE%USING FTS%'))
    """
    with engine.connect() as connection:
        assert connection.execute(text(detect)).scalars().all() == ["articles_fts"]


def test_upgrade_is_idempotent_and_downgrade_removes_everything(engine: Engine) -> None:
    upgrade(engine)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(_master(engine)) <= {"alembic_version", "sqlite_autoindex_alembic_version_1"}
    upgrade(engine)
    assert set(_master(engine)) >= TABLES


def test_default_url_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(ENV_URL, raising=False)
    assert default_url() == DEFAULT_URL == "sqlite:///newsmon.db"
    monkeypatch.setenv(ENV_URL, f"sqlite:///{tmp_path / 'other.db'}")
    engine = make_engine()
    assert engine.url.database == str(tmp_path / "other.db")
    engine.dispose()


def test_the_long_columns_move_to_the_end_of_the_row_and_nothing_is_lost(
    db_path: Path, make_record: Callable[..., ArticleRecord]
) -> None:
    """Migration 0007 on a store with articles, a relation between them and search
    indexes: the rows keep every value, the relation (which deletes on cascade) stays,
    and search finds old and new texts through triggers made again."""
    engine = make_engine(f"sqlite:///{db_path}")
    upgrade(engine, "0006")
    factory = session_factory(engine)
    with factory() as session:
        english = store_article(
            session, make_record(url="https://cnn.test/1", text="They discussed Ukraine.")
        ).article_id
        chinese = store_article(
            session,
            make_record(url="https://xinhua.test/1", text="习近平同普京会谈。", language="zh"),
        ).article_id
        translation = Judgement(chinese, english, "translation", 0.9, "", "{}")
        save_relations(session, [translation], "test")
        session.commit()
        before = session.execute(select(Article.id, Article.text, Article.raw_html)).all()

    upgrade(engine)
    assert [column["name"] for column in inspect(engine).get_columns("articles")][-2:] == [
        "text",
        "raw_html",
    ]
    with factory() as session:
        assert session.execute(select(Article.id, Article.text, Article.raw_html)).all() == before
        assert session.scalar(select(func.count()).select_from(Relation)) == 1
        later = store_article(
            session,
            make_record(url="https://cnn.test/2", text="A summit on Arctic shipping, 北极航道."),
        ).article_id
        session.commit()
        found = {
            word: {a.id for a in list_articles(session, search=word)}
            for word in ("ukraine", "普京", "arctic", "北极")
        }
    assert found == {"ukraine": {english}, "普京": {chinese}, "arctic": {later}, "北极": {later}}
    engine.dispose()
