"""The migrated schema against the models, on any backend."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from storage.fts import managed_by_hand
from storage.models import Base


def model_differences(engine: Engine) -> list[Any]:
    """What Alembic would change to make the store match the models; the search
    structures the migrations create by hand are not in the models and are skipped."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_object": lambda obj, name, type_, reflected, other: (
                    not managed_by_hand(type_, name)
                ),
            },
        )
        differences: list[Any] = compare_metadata(context, Base.metadata)
    return differences
