"""Issue 6, safe user input: search text and filters are data, never SQL; export file names
built from hostile titles stay inside the target folder.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from newsmon.export import safe_filename
from storage.db import make_engine, session_factory, upgrade
from storage.queries import ensure_outlet, list_articles, store_article
from storage.records import ArticleRecord
from tests.reliability.conftest import run_newsmon

HOSTILE_TITLES = (
    "../../etc/passwd",
    "..\\..\\Windows\\System32\\config",
    "/etc/shadow",
    "..",
    ".",
    "CON",
    "nul\x00byte",
    "a/" * 300,
    "~/.ssh/authorized_keys",
    "Putin and Xi 😀 talk; rm -rf / #",
)
INJECTIONS = (
    "'; DROP TABLE articles; --",
    '" OR 1=1 --',
    "x' UNION SELECT name FROM sqlite_master --",
    "articles_fts MATCH '*'",
)


def _record(n: int, title: str) -> ArticleRecord:
    text = f"Paragraph {n} about Putin and Xi talks in Beijing.\n\nAnother paragraph {n}."
    return ArticleRecord(
        outlet="hostile",
        url=f"https://hostile.example/news/{n}",
        fetched_url=f"https://hostile.example/news/{n}",
        title=title,
        text=text,
        published=datetime(2022, 6, 15, tzinfo=UTC),
        authors=(),
        language="en",
        extractor_version="test",
        topic_score=0.9,
        content_key=hashlib.sha256(f"{title}\n\n{text}".encode()).hexdigest(),
        raw_html=b"<html></html>",
        fetched_at=datetime(2022, 6, 15, tzinfo=UTC),
    )


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("input") / "input.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with session_factory(engine).begin() as session:
        ensure_outlet(session, "hostile", "Hostile", "https://hostile.example/", ["en"])
        for n, title in enumerate(HOSTILE_TITLES):
            store_article(session, _record(n, title.replace("\x00", "")))
    engine.dispose()
    return path


@pytest.fixture
def reader(hostile_store: Path) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{hostile_store}")
    with session_factory(engine, write=False)() as session:
        yield session
    engine.dispose()


def _count(path: Path) -> int:
    with sqlite3.connect(path) as con:
        return int(con.execute("SELECT count(*) FROM articles").fetchone()[0])


@pytest.mark.parametrize("text", INJECTIONS)
def test_sql_in_a_search_finds_nothing_and_drops_nothing(hostile_store: Path, text: str) -> None:
    result = run_newsmon("articles", "--search", text, "--db", f"sqlite:///{hostile_store}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 article(s)" in result.stdout
    assert _count(hostile_store) == len(HOSTILE_TITLES)


def test_sql_in_a_filter_is_a_name_the_store_does_not_have(hostile_store: Path) -> None:
    """The filter is compared as a value: no outlet or language has that name (issue 14:
    an unknown name is an error listing the real ones, not an empty list)."""
    for option, value in (("--outlet", "x' OR '1'='1"), ("--lang", "en' --")):
        result = run_newsmon("articles", option, value, "--db", f"sqlite:///{hostile_store}")
        assert result.returncode == 2, result.stdout + result.stderr
        assert value in result.stderr
        assert "Traceback" not in result.stderr
    assert _count(hostile_store) == len(HOSTILE_TITLES)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.text(alphabet=st.sampled_from(list("'\"*:^()-+ NEARORANDNOT{}[]%_\\;,.xyz")), max_size=30)
)
def test_any_search_text_is_treated_as_words(reader: Session, text: str) -> None:
    """FTS5 query syntax in user text (quotes, NEAR, column filters, stars) never reaches
    MATCH as syntax: the search neither raises nor matches more than every term allows."""
    rows = list_articles(reader, search=text, limit=100)
    assert len(rows) <= len(HOSTILE_TITLES)


def test_txt_export_of_hostile_titles_stays_inside_the_folder(
    hostile_store: Path, tmp_path: Path
) -> None:
    target = tmp_path / "nested" / "out"
    result = run_newsmon(
        "export", "--format", "txt", "--out", str(target), "--db", f"sqlite:///{hostile_store}"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert len(written) == len(HOSTILE_TITLES)
    for path in written:
        assert path.parent == target
        assert not path.name.startswith(".")
        assert path.suffix == ".txt"
        assert len(path.name.encode()) <= 255
    assert len({p.name for p in written}) == len(HOSTILE_TITLES)


@given(st.integers(min_value=0, max_value=10**9), st.text(max_size=400))
def test_safe_filename_is_one_plain_name(article_id: int, title: str) -> None:
    name = safe_filename(article_id, title)
    assert "/" not in name
    assert "\\" not in name
    assert "\x00" not in name
    assert name not in (".", "..")
    assert not name.startswith(".")
    assert len(name.encode()) <= 255
    assert Path(name).name == name
