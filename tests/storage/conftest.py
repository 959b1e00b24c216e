"""Fixtures for the storage tests: a migrated SQLite file per test."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from storage.db import make_engine, session_factory, upgrade
from storage.records import ArticleRecord


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "newsmon.db"


@pytest.fixture
def engine(db_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{db_path}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_factory(engine)() as session:
        yield session


def key_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def make_record() -> Callable[..., ArticleRecord]:
    """Build records whose content key follows their title and text."""
    base = ArticleRecord(
        outlet="cnn",
        url="https://edition.cnn.com/2024/05/16/world/putin-xi-beijing",
        fetched_url="https://edition.cnn.com/2024/05/16/world/putin-xi-beijing",
        title="Putin and Xi pledge a new era of partnership in Beijing",
        text="Russian President Vladimir Putin met Chinese leader Xi Jinping.\n\n"
        "The two leaders signed a joint statement.",
        published=datetime(2024, 5, 16, 8, 30, tzinfo=UTC),
        authors=("Simone McCarthy",),
        language="en",
        extractor_version="newsmon-extract 1 / trafilatura 2.3.1",
        topic_score=0.92,
        content_key="",
        raw_html=b"<html><body><p>Putin met Xi.</p></body></html>" * 50,
        fetched_at=datetime(2024, 5, 16, 9, 0, tzinfo=UTC),
    )

    def build(**changes: Any) -> ArticleRecord:
        if "url" in changes:
            changes.setdefault("fetched_url", changes["url"])
        record = replace(base, **changes)
        if "content_key" in changes:
            return record
        return replace(record, content_key=key_of(record.title + "\n\n" + record.text))

    return build
