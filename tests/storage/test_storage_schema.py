"""The migrations build the schema the models describe, with SQLite tuned for sharing."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from storage.db import DEFAULT_URL, ENV_URL, alembic_config, default_url, make_engine, upgrade
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
