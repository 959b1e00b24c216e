"""Full-text search over article titles and texts: SQLite FTS5, PostgreSQL text search.

The SQLite layout is sqlite-utils' (`content=[articles]` plus `articles_ai/ad/au`
triggers) because Datasette recognises exactly that and then offers search on
`articles` with no configuration.  Migration 0001 creates it from these
statements; changing them therefore needs a new migration too.

On PostgreSQL the same search runs on the built-in text search rather than a
LIKE scan, because only it gives the same answers as FTS5: whole words and
word prefixes ("Путин" finds "Путина", "Xi" does not find "taxi"), in any
script with spaces.  The ``simple`` configuration is used because FTS5's
unicode61 tokenizer does not stem either and the store mixes languages; a
per-language stemmer would make the two backends disagree.  What still differs:
PostgreSQL keeps diacritics ("Medvedev" does not find "Médvédev") and keeps host
names whole ("kremlin.ru" is one word).  The document expression is
`PG_DOCUMENT_SQL` so that a GIN index on exactly that expression serves it.
"""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, Text, bindparam, func, literal_column, text
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
# --- scripts written without spaces ------------------------------------------------------

UNSPACED_CHARACTER = r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
"""A character of a script written without spaces between words: Thai, kana, Han."""
SEG_TABLE = "articles_fts_seg"
SEG_FUNCTION = "newsmon_segment"
"""The SQL function (`segment`) every newsmon SQLite connection has: the triggers call it.
A connection without it (the sqlite3 shell) can read and delete articles, but inserting
or retitling one fails with "no such function: newsmon_segment"."""
SEG_TRIGGERS = ("articles_seg_ai", "articles_seg_ad", "articles_seg_au")
SEG_CREATE = (
    # A table of its own (not external content): its rows are the segmented texts, so
    # deleting one needs no function and FTS5 can check it by itself.
    "CREATE VIRTUAL TABLE IF NOT EXISTS [articles_fts_seg] USING FTS5 ("
    "[title], [text], tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS [articles_seg_ai] AFTER INSERT ON [articles] BEGIN "
    "INSERT INTO [articles_fts_seg] (rowid, [title], [text]) "
    "VALUES (new.[id], newsmon_segment(new.[title]), newsmon_segment(new.[text])); END",
    "CREATE TRIGGER IF NOT EXISTS [articles_seg_ad] AFTER DELETE ON [articles] BEGIN "
    "DELETE FROM [articles_fts_seg] WHERE rowid = old.[id]; END",
    "CREATE TRIGGER IF NOT EXISTS [articles_seg_au] AFTER UPDATE OF [title], [text] "
    "ON [articles] BEGIN DELETE FROM [articles_fts_seg] WHERE rowid = old.[id]; "
    "INSERT INTO [articles_fts_seg] (rowid, [title], [text]) "
    "VALUES (new.[id], newsmon_segment(new.[title]), newsmon_segment(new.[text])); END",
)
SEG_FILL = (
    "DELETE FROM [articles_fts_seg]",
    "INSERT INTO [articles_fts_seg] (rowid, [title], [text]) "
    "SELECT [id], newsmon_segment([title]), newsmon_segment([text]) FROM [articles]",
)
SEG_DROP = (
    "DROP TRIGGER IF EXISTS [articles_seg_au]",
    "DROP TRIGGER IF EXISTS [articles_seg_ad]",
    "DROP TRIGGER IF EXISTS [articles_seg_ai]",
    "DROP TABLE IF EXISTS [articles_fts_seg]",
)
_SEG_CHECK = "INSERT INTO [articles_fts_seg] ([articles_fts_seg]) VALUES ('integrity-check')"
_SEG_MISMATCH = (
    "SELECT (SELECT count(*) FROM articles WHERE id NOT IN (SELECT rowid FROM articles_fts_seg))"
    " + (SELECT count(*) FROM articles_fts_seg WHERE rowid NOT IN (SELECT id FROM articles))"
)
_UNSPACED_RUN = re.compile(UNSPACED_CHARACTER + "+")


def segment(text: str | None) -> str | None:
    """Text as the segmented index stores it: every run of a script written without spaces
    (Chinese, Japanese kana, Thai) becomes its overlapping character pairs and its last
    character, as separate words ("普京总统" → "普京 京总 总统 统"); other text is unchanged.

    Any substring of such a run is then a phrase of adjacent pairs (`segment_query`), so a
    search finds words of any length in any script without a dictionary; the single
    last character lets one-character searches find a run's end as well.
    """
    if text is None:
        return None
    return _UNSPACED_RUN.sub(lambda m: f" {_pairs(m.group())} {m.group()[-1]} ", text)


def segment_query(term: str) -> str:
    """A search term as words of the segmented index: runs without spaces become their
    character pairs (a phrase when quoted), a single character stays itself (searched as a
    prefix, it matches the pairs it starts)."""
    return _UNSPACED_RUN.sub(lambda m: f" {_pairs(m.group()) or m.group()} ", term).strip()


def _pairs(run: str) -> str:
    return " ".join(run[i : i + 2] for i in range(len(run) - 1))


def segmented_available(session: Session) -> bool:
    return _has_table(session, SEG_TABLE)


# With rank 1, FTS5 also compares the index with the `articles` rows; without
# it, rows missing from the index go unnoticed.
_FTS_CHECK = "INSERT INTO [articles_fts] ([articles_fts], rank) VALUES ('integrity-check', 1)"

# unicode61 cuts words at spaces and punctuation; scripts written without
# spaces (Chinese, Japanese, Thai) would become one token per sentence, so
# searches in them go to LIKE instead.
_UNSPACED_SCRIPT = re.compile(UNSPACED_CHARACTER)
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


# --- PostgreSQL ----------------------------------------------------------------------

PG_CONFIG = "simple"
PG_DOCUMENT_SQL = f"to_tsvector('{PG_CONFIG}'::regconfig, articles.title || ' ' || articles.text)"
PG_INDEX = "ix_articles_search_pg"
"""The GIN index on that expression (migration 0003)."""


def managed_by_hand(type_: str, name: str | None) -> bool:
    """Search structures the migrations create and the models do not describe: the FTS5
    table with its shadow tables, and PostgreSQL's search index. Schema comparisons skip them."""
    if name is None:
        return False
    return (type_ == "table" and name.startswith(FTS_TABLE)) or (
        type_ == "index" and name == PG_INDEX
    )


def pg_tsquery(terms: list[str]) -> str:
    """A ``to_tsquery`` text in which every term is a quoted prefix lexeme, all ANDed.

    As with `match_query`, quoting makes every user character literal: tsquery
    operators (``& | ! <-> :*``), quotes and backslashes cannot change the query
    or make it invalid.  PostgreSQL splits a quoted term into its words itself
    and joins them as a phrase ("Xi's" becomes ``'xi':* <-> 's':*``), exactly as
    it split the document, which keeps punctuation inside terms harmless.
    """
    quoted = ("'" + term.replace("\\", "\\\\").replace("'", "''") + "':*" for term in terms)
    return " & ".join(quoted)


def pg_search_clause(terms: list[str]) -> ColumnElement[bool]:
    """``articles`` rows containing every term, on PostgreSQL's text search.

    Written against the ``articles`` table by name (not storage.models, which
    migrations must not import); the user's text is one bound parameter.
    """
    config = literal_column(f"'{PG_CONFIG}'::regconfig", Text)
    query = func.to_tsquery(config, bindparam("pg_tsquery", pg_tsquery(terms), type_=Text))
    return literal_column(PG_DOCUMENT_SQL, Text).bool_op("@@")(query)


def fts_available(session: Session) -> bool:
    return _has_table(session, FTS_TABLE)


def _has_table(session: Session, name: str) -> bool:
    if session.get_bind().dialect.name != "sqlite":
        return False
    found = session.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": name},
    ).first()
    return found is not None


def rebuild_fts(session: Session) -> None:
    """Recreate missing FTS objects and re-index every article (SQLite only)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    for statement in (*FTS_CREATE, FTS_REBUILD, *SEG_CREATE, *SEG_FILL):
        session.execute(text(statement))


def fts_problems(session: Session) -> list[str]:
    """What is wrong with the FTS index, in words; empty when it is in sync."""
    if session.get_bind().dialect.name != "sqlite":
        return []
    present = set(
        session.scalars(text("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')"))
    )
    problems = [
        f"the full-text search object {name} is missing"
        for name in (FTS_TABLE, *FTS_TRIGGERS, SEG_TABLE, *SEG_TRIGGERS)
        if name not in present
    ]
    for table, check in ((FTS_TABLE, _FTS_CHECK), (SEG_TABLE, _SEG_CHECK)):
        if table in present and not _passes(session, check):
            problems.append(f"the full-text index {table} is out of sync with articles")
    if SEG_TABLE in present:
        # Its own rows are checked above; whether they are the articles' is counted here.
        mismatched = session.scalar(text(_SEG_MISMATCH))
        if mismatched:
            problems.append(f"the full-text index {SEG_TABLE} is out of sync with articles")
    return problems


def _passes(session: Session, check: str) -> bool:
    """False only when the index is known to be out of sync with its articles."""
    try:
        with session.begin_nested():
            session.execute(text(check))
    except DatabaseError as error:
        # FTS5 reports a mismatch as SQLITE_CORRUPT_VTAB; anything else (a lock)
        # is not a verdict on the index. The check is written as an INSERT, so a
        # read-only store cannot run it: there it is left out.
        if "readonly" in str(error.orig):
            return True
        if "malformed" not in str(error.orig):
            raise
        return False
    return True
