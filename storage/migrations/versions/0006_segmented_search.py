"""A second full-text index in which Chinese, Japanese and Thai words can be found.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

FTS5's unicode61 tokenizer cuts words at spaces and punctuation, so a Chinese
sentence is one token and a search for 普京 found nothing in `articles_fts`
(newsmon fell back to a LIKE scan; Datasette found nothing at all). The new
index stores those scripts as overlapping character pairs (`storage.fts.segment`),
beside `articles_fts`, which stays for Datasette without newsmon's plugin. SQLite only.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from storage.fts import SEG_CREATE, SEG_DROP, SEG_FILL

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in (*SEG_CREATE, *SEG_FILL):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SEG_DROP:
            op.execute(statement)
