"""Stories as events in time: a profile per story, salient terms per signature.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04

A story keeps its centroid and time span so that an article joins the story it
is closest to as a whole (issue 9); a signature keeps the article's salient
terms so that other reports of its event are found in other words. Stories
and signatures made before this revision have neither: `newsmon relink`
rebuilds them (until then old stories take new members only through families).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stories") as batch:
        batch.add_column(sa.Column("profile", sa.JSON(), nullable=True))
    with op.batch_alter_table("article_signatures") as batch:
        batch.add_column(sa.Column("terms", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("article_signatures") as batch:
        batch.drop_column("terms")
    with op.batch_alter_table("stories") as batch:
        batch.drop_column("profile")
