"""Daily re-crawls (versions, HTTP validators, outlet health) and rewrite lineage.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

The new article columns are added with plain ALTER TABLE ADD COLUMN: a batch
(copy-and-move) rebuild of `articles` would drop its FTS5 triggers.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "http_validators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_http_validators")),
        sa.UniqueConstraint("url", name=op.f("uq_http_validators_url")),
    )
    op.create_table(
        "outlet_health",
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("runs_without_new", sa.Integer(), nullable=False),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_new_article_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("watermark", sa.DateTime(timezone=True), nullable=True),
        sa.Column("backoff_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["outlet_id"],
            ["outlets.id"],
            name=op.f("fk_outlet_health_outlet_id_outlets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("outlet_id", name=op.f("pk_outlet_health")),
    )
    op.create_table(
        "article_signatures",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("minhash", sa.LargeBinary(), nullable=False),
        sa.Column("anchor_keys", sa.JSON(), nullable=False),
        sa.Column("algorithm", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_signatures_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_article_signatures")),
    )
    op.create_table(
        "article_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content_key", sa.String(length=64), nullable=False),
        sa.Column("diff", sa.Text(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_versions_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["crawl_runs.id"],
            name=op.f("fk_article_versions_run_id_crawl_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_versions")),
    )
    with op.batch_alter_table("article_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_article_versions_article_version", ["article_id", "version"], unique=True
        )
        batch_op.create_index(
            batch_op.f("ix_article_versions_replaced_at"), ["replaced_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_article_versions_run_id"), ["run_id"], unique=False)

    op.create_table(
        "relations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("related_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("method", sa.String(length=100), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "relation IN ('exact', 'near_duplicate', 'rewrite', 'translation', 'same_story')",
            name=op.f("ck_relations_relation"),
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_relations_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["related_id"],
            ["articles.id"],
            name=op.f("fk_relations_related_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["crawl_runs.id"],
            name=op.f("fk_relations_run_id_crawl_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relations")),
    )
    with op.batch_alter_table("relations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_relations_created_at"), ["created_at"], unique=False)
        batch_op.create_index("ix_relations_pair", ["article_id", "related_id"], unique=True)
        batch_op.create_index("ix_relations_related", ["related_id"], unique=False)
        batch_op.create_index("ix_relations_relation", ["relation"], unique=False)

    op.create_table(
        "stories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("first_article_id", sa.Integer(), nullable=True),
        sa.Column("first_published", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_article_id"],
            ["articles.id"],
            name=op.f("fk_stories_first_article_id_articles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stories")),
    )
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stories_first_published"), ["first_published"], unique=False
        )

    op.create_table(
        "lineage",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("source_relation", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_lineage_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["articles.id"],
            name=op.f("fk_lineage_source_id_articles"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_lineage_story_id_stories"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_lineage")),
    )
    with op.batch_alter_table("lineage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lineage_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lineage_story_id"), ["story_id"], unique=False)

    op.add_column(
        "articles", sa.Column("version", sa.Integer(), server_default="1", nullable=False)
    )
    op.add_column(
        "articles", sa.Column("last_checked_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("articles", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "articles", sa.Column("listed_modified", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    for column in ("listed_modified", "updated_at", "last_checked_at", "version"):
        op.drop_column("articles", column)

    with op.batch_alter_table("lineage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lineage_story_id"))
        batch_op.drop_index(batch_op.f("ix_lineage_source_id"))

    op.drop_table("lineage")
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stories_first_published"))

    op.drop_table("stories")
    with op.batch_alter_table("relations", schema=None) as batch_op:
        batch_op.drop_index("ix_relations_relation")
        batch_op.drop_index("ix_relations_related")
        batch_op.drop_index("ix_relations_pair")
        batch_op.drop_index(batch_op.f("ix_relations_created_at"))

    op.drop_table("relations")
    with op.batch_alter_table("article_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_versions_run_id"))
        batch_op.drop_index(batch_op.f("ix_article_versions_replaced_at"))
        batch_op.drop_index("ix_article_versions_article_version")

    op.drop_table("article_versions")
    op.drop_table("article_signatures")
    op.drop_table("outlet_health")
    op.drop_table("http_validators")
