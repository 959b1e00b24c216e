"""SQLite: an article's text and raw page move to the end of its row.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

SQLite stores a row's columns one after another and puts what does not fit in a
page on a chain of overflow pages. To read a column that follows a long one it
walks that chain: with the raw page (about 40 KB compressed) and the text (about
7 KB) in the middle of the row, reading an article's dates, version or content key
read about a dozen overflow pages. The crawl reads those small columns for every
candidate of every article it links (`storage.lineage.article_refs`: 0.67 ms for
34 articles, 0.29 ms with the long columns last), and so do the story view, the
reports and every listing. PostgreSQL keeps long values out of line (TOAST), so
its column order does not matter and it is left as it is.

Each long column is added again at the end, filled, and the old one dropped
(SQLite 3.35 or later): no table is rebuilt, so the foreign keys of relations,
lineage and signatures, which delete on cascade, never see the articles go. The
full-text triggers name the text, which a dropped column may not have, so they are
dropped first and made again. A SQLite older than 3.35 keeps the old order: reads
are slower, answers the same.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from alembic import op

from storage.fts import FTS_CREATE, FTS_TRIGGERS, SEG_CREATE, SEG_TRIGGERS

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOVES = tuple(
    statement
    for name, declaration in (
        ("text", "TEXT NOT NULL DEFAULT ''"),
        ("raw_html", "BLOB NOT NULL DEFAULT x''"),
    )
    for statement in (
        f"ALTER TABLE articles ADD COLUMN [{name}_moved] {declaration}",
        f"UPDATE articles SET [{name}_moved] = [{name}]",  # noqa: S608 (constant names)
        f"ALTER TABLE articles DROP COLUMN [{name}]",
        f"ALTER TABLE articles RENAME COLUMN [{name}_moved] TO [{name}]",
    )
)
"""Each long column, in its new order, is added again at the end, filled from the old one,
which is then dropped (a column added NOT NULL needs a default; every row gets its value)."""
DROP_COLUMN_SINCE = (3, 35, 0)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite" or sqlite3.sqlite_version_info < DROP_COLUMN_SINCE:
        return
    for trigger in (*FTS_TRIGGERS, *SEG_TRIGGERS):
        op.execute(f"DROP TRIGGER IF EXISTS [{trigger}]")
    for statement in MOVES:
        op.execute(statement)
    # The search tables are left as they are (same rows, same texts); only their
    # triggers are made again, by the statements that first made them.
    for statement in (*FTS_CREATE, *SEG_CREATE):
        op.execute(statement)


def downgrade() -> None:
    """Nothing to undo: column order changes no answer, and 0006's schema reads either."""
