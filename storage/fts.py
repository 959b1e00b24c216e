"""SQLite FTS5 index over article titles and texts.

The layout is sqlite-utils' (`content=[articles]` plus `articles_ai/ad/au`
triggers) because Datasette recognises exactly that and then offers search on
`articles` with no configuration.  Migration 0001 creates it from these
statements; changing them therefore needs a new migration too.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

FTS_TABLE = "articles_fts"
FTS_TRIGGERS = ("articles_ai", "articles_ad", "articles_au")

FTS_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS [articles_fts] USING FTS5 ("
    "[title], [text], content=[articles], content_rowid=[id], "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS [articles_ai] AFTER INSERT ON [articles] BEGIN "
    "INSERT INTO [articles_fts] (rowid, [title], [text]) "
    "VALUES (new.[id], new.[title], new.[text]); END",
    "CREATE TRIGGER IF NOT EXISTS [articles_ad] AFTER DELETE ON [articles] BEGIN "
    "INSERT INTO [articles_fts] ([articles_fts], rowid, [title], [text]) "
    "VALUES ('delete', old.[id], old.[title], old.[text]); END",
    "CREATE TRIGGER IF NOT EXISTS [articles_au] AFTER UPDATE ON [articles] BEGIN "
    "INSERT INTO [articles_fts] ([articles_fts], rowid, [title], [text]) "
    "VALUES ('delete', old.[id], old.[title], old.[text]); "
    "INSERT INTO [articles_fts] (rowid, [title], [text]) "
    "VALUES (new.[id], new.[title], new.[text]); END",
)
FTS_REBUILD = "INSERT INTO [articles_fts] ([articles_fts]) VALUES ('rebuild')"
FTS_DROP = (
    "DROP TRIGGER IF EXISTS [articles_au]",
    "DROP TRIGGER IF EXISTS [articles_ad]",
    "DROP TRIGGER IF EXISTS [articles_ai]",
    "DROP TABLE IF EXISTS [articles_fts]",
)
# With rank 1, FTS5 also compares the index with the `articles` rows; without
# it, rows missing from the index go unnoticed.
_FTS_CHECK = "INSERT INTO [articles_fts] ([articles_fts], rank) VALUES ('integrity-check', 1)"

# unicode61 cuts words at spaces and punctuation; scripts written without
# spaces (Chinese, Japanese, Thai) would become one token per sentence, so
# searches in them go to LIKE instead.
_UNSPACED_SCRIPT = re.compile(
    r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)
_WORD = re.compile(r"\w")


def search_terms(search: str) -> list[str]:
    """The user's whitespace-separated terms that contain something searchable."""
    return [term for term in search.split() if _WORD.search(term)]


def match_query(terms: list[str]) -> str:
    """An FTS5 query in which every term is a quoted prefix phrase.

    Quoting makes every user character literal, so FTS5 operators, column
    filters and stray quotes can neither raise syntax errors nor change the
    query; the prefix star lets "Путин" find "Путина" in inflected languages.
    """
    return " ".join('"' + term.replace('"', '""') + '"*' for term in terms)


def needs_like(terms: list[str]) -> bool:
    return any(_UNSPACED_SCRIPT.search(term) for term in terms)


def fts_available(session: Session) -> bool:
    if session.get_bind().dialect.name != "sqlite":
        return False
    found = session.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": FTS_TABLE},
    ).first()
    return found is not None


def rebuild_fts(session: Session) -> None:
    """Recreate missing FTS objects and re-index every article (SQLite only)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    for statement in FTS_CREATE:
        session.execute(text(statement))
    session.execute(text(FTS_REBUILD))


def fts_problems(session: Session) -> list[str]:
    """What is wrong with the FTS index, in words; empty when it is in sync."""
    if session.get_bind().dialect.name != "sqlite":
        return []
    present = set(
        session.scalars(text("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')"))
    )
    problems = [
        f"the full-text search object {name} is missing"
        for name in (FTS_TABLE, *FTS_TRIGGERS)
        if name not in present
    ]
    if FTS_TABLE in present:
        try:
            with session.begin_nested():
                session.execute(text(_FTS_CHECK))
        except DatabaseError as error:
            # FTS5 reports a mismatch as SQLITE_CORRUPT_VTAB; anything else
            # (a read-only file, a lock) is not a verdict on the index.
            if "malformed" not in str(error.orig):
                raise
            problems.append("the full-text index articles_fts is out of sync with articles")
    return problems
