"""Runs that got only part of their pages are `partial`, not `succeeded`.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04

A run's status must tell the truth (issue 11): a crawl in which some listings
or pages failed is neither a success nor a failure, and the scheduler and the
report need to tell the three apart. The reason stays in `crawl_runs.error`.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ("running", "succeeded", "failed", "interrupted", "skipped")
AFTER = ("running", "succeeded", "partial", "failed", "interrupted", "skipped")


def _statuses(statuses: tuple[str, ...]) -> None:
    allowed = ", ".join(f"'{status}'" for status in statuses)
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_constraint(op.f("ck_crawl_runs_status"), type_="check")
        batch.create_check_constraint(op.f("ck_crawl_runs_status"), f"status IN ({allowed})")


def upgrade() -> None:
    _statuses(AFTER)


def downgrade() -> None:
    op.execute("UPDATE crawl_runs SET status = 'succeeded' WHERE status = 'partial'")
    _statuses(BEFORE)
