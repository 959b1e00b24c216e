"""Engines, sessions, migrations and the one error type the CLI must catch.

SQLite is the default store and is shared by a crawl, the scheduler and the
CLI at the same time, so every connection gets WAL (readers never block the
writer), a long busy timeout (writers queue instead of failing) and enforced
foreign keys.  Write transactions start with ``BEGIN IMMEDIATE``: a deferred
transaction that reads first and writes later fails at once with "database is
locked" when another writer got in between, and the busy timeout cannot help;
see `writer` and `session_factory`.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///newsmon.db"
ENV_URL = "NEWSMON_DB_URL"
BUSY_TIMEOUT_MS = 30_000
_BEGIN_OPTION = "newsmon_sqlite_begin"

_UNREACHABLE_HINTS = (
    "unable to open database",
    "could not connect",
    "connection refused",
    "could not translate host name",
    "name or service not known",
)

ErrorReason = Literal["read_only", "disk_full", "unreachable", "locked", "not_a_database"]


class StorageError(RuntimeError):
    """A database problem the user can fix; `str()` is one sentence saying how."""

    def __init__(self, message: str, reason: ErrorReason) -> None:
        super().__init__(message)
        self.reason: ErrorReason = reason


def default_url() -> str:
    """The store URL: ``NEWSMON_DB_URL`` if set, else ``newsmon.db`` in the cwd."""
    return os.environ.get(ENV_URL) or DEFAULT_URL


def make_engine(url: str | URL | None = None) -> Engine:
    """Create an engine; SQLite gets the concurrency settings described above."""
    engine = create_engine(url if url is not None else default_url())
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _configure_sqlite_connection)
        event.listen(engine, "begin", _begin_sqlite_transaction)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Take BEGIN away from the sqlite3 module so `_begin_sqlite_transaction`
    # decides the mode and SAVEPOINTs nest inside real transactions.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    mode = connection.get_execution_options().get(_BEGIN_OPTION)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")


def writer(engine: Engine) -> Engine:
    """The same engine, with transactions that take SQLite's write lock at BEGIN.

    Plain connections of `make_engine` begin deferred, as third-party readers
    (Datasette, APScheduler's job store) expect.
    """
    return engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})


def session_factory(engine: Engine, *, write: bool = True) -> sessionmaker[Session]:
    """Sessions for `engine`; the caller opens, commits and closes them.

    Write sessions hold SQLite's write lock from their first statement until
    commit or rollback, so commit promptly (the crawl commits per article).
    Read-only sessions (``write=False``) never block a writer, which suits long
    listings and exports; they must not write.
    """
    return sessionmaker(bind=writer(engine) if write else engine, expire_on_commit=False)


def alembic_config() -> Config:
    """An Alembic config pointing at the migrations shipped inside the package."""
    config = Config()
    config.set_main_option("script_location", "storage:migrations")
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; idempotent and cheap when already there.

    The up-to-date check only reads, so a read-only store that needs no
    migration can still be opened for listing and export.
    """
    config = alembic_config()
    with storage_errors(engine):
        if revision == "head" and _at_head(engine, config):
            return
        with writer(engine).begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)


def _at_head(engine: Engine, config: Config) -> bool:
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads()) == heads


def describe(engine: Engine | None) -> str:
    """The database location for messages, without any password."""
    if engine is None:
        return "the database"
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"'{url.database or ':memory:'}'"
    return f"'{url.render_as_string(hide_password=True)}'"


def translate_error(
    error: DBAPIError | sqlite3.Error, engine: Engine | None = None
) -> StorageError | None:
    """Map a driver error to a `StorageError` the user can act on, or None."""
    original = error.orig if isinstance(error, DBAPIError) else error
    message = str(original).lower()
    where = describe(engine)
    if "readonly database" in message or "read-only" in message:
        return StorageError(
            f"The database {where} is read-only; make the file and its folder writable "
            "or choose another location with --db.",
            "read_only",
        )
    if "disk is full" in message or "no space left" in message or "disk i/o error" in message:
        return StorageError(
            f"The disk holding the database {where} is full; free some space and run "
            "the command again (nothing was half-written).",
            "disk_full",
        )
    if "database is locked" in message or "database is busy" in message:
        return StorageError(
            f"The database {where} stayed locked by another process for more than "
            f"{BUSY_TIMEOUT_MS // 1000} s; wait for the other newsmon command to finish "
            "and try again.",
            "locked",
        )
    if "file is not a database" in message:
        return StorageError(
            f"{where} is not a SQLite database; point --db at a newsmon database or at a new file.",
            "not_a_database",
        )
    if any(hint in message for hint in _UNREACHABLE_HINTS):
        return StorageError(
            f"Cannot open the database {where}; check that its folder exists and is "
            "writable and that --db / NEWSMON_DB_URL is right.",
            "unreachable",
        )
    return None


@contextmanager
def storage_errors(engine: Engine | None = None) -> Iterator[None]:
    """Re-raise recognised database failures as `StorageError` (others unchanged)."""
    try:
        yield
    except (DBAPIError, sqlite3.Error) as error:
        translated = translate_error(error, engine)
        if translated is None:
            raise
        raise translated from error
