"""What every `newsmon` command shares: consoles, the store, common options, user errors."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from storage.db import make_engine, session_factory, storage_errors, upgrade

# Piped output (grep, files, tests) gets wide tables instead of 80-column truncation.
PIPE_WIDTH = 200
console = Console(width=None if sys.stdout.isatty() else PIPE_WIDTH)
err = Console(stderr=True, width=None if sys.stderr.isatty() else PIPE_WIDTH)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLAlchemy URL of the store (default: $NEWSMON_DB_URL or sqlite:///newsmon.db).",
    ),
]
OutletsFileOption = Annotated[
    list[Path] | None,
    typer.Option("--outlets", help="Extra outlet registry file(s), merged over the built-in one."),
]


class UserError(Exception):
    """Something the user can fix; the message says what to do."""


@contextmanager
def store(db: str | None, *, write: bool = False) -> Iterator[Session]:
    """A migrated store and one session; the command commits what it changes.

    Read sessions never take SQLite's write lock, so listing and exporting
    never stall a crawl that is writing.
    """
    engine = make_engine(db)
    try:
        with storage_errors(engine):
            upgrade(engine)
            with session_factory(engine, write=write)() as session:
                yield session
    finally:
        engine.dispose()


def parse_since(since: str | None) -> datetime | None:
    if since is None:
        return None
    try:
        parsed = datetime.fromisoformat(since)
    except ValueError as exc:
        raise UserError(f"--since {since!r} is not a date; write it like 2022-06-15.") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
