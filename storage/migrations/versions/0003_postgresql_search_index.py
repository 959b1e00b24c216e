"""A GIN index for PostgreSQL text search (SQLite has its FTS5 table since 0001).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Without it, `newsmon articles --search` on PostgreSQL reads every article. The
expression must stay the one `storage.fts.PG_DOCUMENT_SQL` searches, or the
planner cannot use the index; it is written out here because a revision must
not change when the code does.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_articles_search_pg"  # storage.fts.PG_INDEX


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON articles "
        "USING gin (to_tsvector('simple'::regconfig, title || ' ' || text))"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")
