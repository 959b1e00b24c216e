"""Engines, sessions, migrations and the one error type the CLI must catch.

SQLite is the default store and is shared by a crawl, the scheduler and the
CLI at the same time, so every connection gets WAL (readers never block the
writer), a long busy timeout (writers queue instead of failing) and enforced
foreign keys.  Write transactions start with ``BEGIN IMMEDIATE``: a deferred
transaction that reads first and writes later fails at once with "database is
locked" when another writer got in between, and the busy timeout cannot help;
see `writer` and `session_factory`.

PostgreSQL gets the same contract, so the crawl, the linker and the CLI behave
identically on both: a write transaction first takes one transaction-scoped
advisory lock (`WRITER_LOCK_KEY`), waiting at most the same busy timeout, so
newsmon's writers queue one at a time as on SQLite (the linker reads the
store, then writes stories from what it read; two interleaved linkers under
READ COMMITTED could split one story in two).  Readers are never blocked
(MVCC), and every session runs in UTC so raw SQL shows the stored instants.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, CursorResult, Engine, Result, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from storage.fts import SEG_FUNCTION, segment

DEFAULT_URL = "sqlite:///newsmon.db"
ENV_URL = "NEWSMON_DB_URL"
BUSY_TIMEOUT_MS = 30_000
_BEGIN_OPTION = "newsmon_sqlite_begin"
# pg_advisory_xact_lock key held by every newsmon write transaction on PostgreSQL:
# int.from_bytes(b"newsmon!") so it cannot collide with another application's small keys.
WRITER_LOCK_KEY = 0x6E6577736D6F6E21

_UNREACHABLE_HINTS = (
    "unable to open database",
    "could not connect",
    "connection refused",
    "could not translate host name",
    "name or service not known",
)
# A database server refusing us once reached: wrong credentials or database name.
_REFUSED = re.compile(
    r"password authentication failed|no password supplied|no pg_hba\.conf entry"
    r'|(database|role) "[^"]*" does not exist'
)

ErrorReason = Literal[
    "read_only", "disk_full", "unreachable", "locked", "not_a_database", "bad_url"
]


class StorageError(RuntimeError):
    """A database problem the user can fix; `str()` is one sentence saying how."""

    def __init__(self, message: str, reason: ErrorReason) -> None:
        super().__init__(message)
        self.reason: ErrorReason = reason


def default_url() -> str:
    """The store URL: ``NEWSMON_DB_URL`` if set, else ``newsmon.db`` in the cwd."""
    return os.environ.get(ENV_URL) or DEFAULT_URL


class JSONText(str):
    """A value already encoded as JSON (a verdict's evidence, encoded by the worker that
    gave it: `dedup.judging.Judgement`): a JSON column stores the text as it is."""


def _json_text(value: Any) -> str:
    """The JSON columns' encoder of every engine: `json.dumps`, SQLAlchemy's own, except
    for text encoded already."""
    return value if isinstance(value, JSONText) else json.dumps(value)


def make_engine(url: str | URL | None = None) -> Engine:
    """Create an engine with the concurrency settings described above.

    A malformed URL or a missing driver is a `StorageError` (one sentence saying
    what to install or fix), not a traceback from deep inside SQLAlchemy.
    """
    target = url if url is not None else default_url()
    try:
        parsed = make_url(target)
    except ArgumentError as error:
        raise StorageError(
            # Not echoed: a malformed URL may still hold a password.
            "The --db / NEWSMON_DB_URL value is not a database URL; write it like "
            "sqlite:///newsmon.db or postgresql+psycopg://user:password@host/dbname.",
            "bad_url",
        ) from error
    if parsed.drivername == "postgres":
        raise StorageError(
            "postgres:// is Heroku's and libpq's spelling, not a SQLAlchemy URL scheme; write "
            "postgresql+psycopg://user:password@host/dbname (pip install 'newsmon[postgres]').",
            "bad_url",
        )
    server = parsed.get_backend_name() != "sqlite"
    try:
        # A long-running scheduler outlives server restarts: test pooled connections first.
        engine = create_engine(parsed, pool_pre_ping=server, json_serializer=_json_text)
    except (NoSuchModuleError, ModuleNotFoundError) as error:
        if parsed.get_backend_name() == "postgresql":
            advice = "run pip install 'newsmon[postgres]' and use a postgresql+psycopg:// URL"
        else:
            advice = "install it or choose another --db URL"
        raise StorageError(
            f"The database driver for {parsed.drivername} is not installed; {advice}.",
            "bad_url",
        ) from error
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _configure_sqlite_connection)
        event.listen(engine, "begin", _begin_sqlite_transaction)
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _configure_postgresql_connection)
        event.listen(engine, "begin", _begin_postgresql_transaction)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Take BEGIN away from the sqlite3 module so `_begin_sqlite_transaction`
    # decides the mode and SAVEPOINTs nest inside real transactions.
    dbapi_connection.isolation_level = None
    # The segmented search index's triggers call it (storage.fts.segment).
    dbapi_connection.create_function(SEG_FUNCTION, 1, segment, deterministic=True)
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


def _configure_postgresql_connection(dbapi_connection: Any, _record: Any) -> None:
    # UTCDateTime converts on the way in and out; this makes raw SQL (psql, tests,
    # reports written by hand) show the same UTC instants.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SET TIME ZONE 'UTC'")
    finally:
        cursor.close()
    dbapi_connection.commit()


def _begin_postgresql_transaction(connection: Connection) -> None:
    """Writers queue on one advisory lock, like SQLite's BEGIN IMMEDIATE (module docstring).

    The lock wait is bounded by the SQLite busy timeout; a timeout surfaces as
    a "lock timeout" error that `translate_error` turns into ``locked``.  The
    setting is transaction-local, so row locks taken later wait just as long.
    """
    if connection.get_execution_options().get(_BEGIN_OPTION) != "IMMEDIATE":
        return
    connection.exec_driver_sql(f"SET LOCAL lock_timeout = {int(BUSY_TIMEOUT_MS)}")
    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK_KEY})")


def writer(engine: Engine) -> Engine:
    """The same engine, with transactions that take the write lock at BEGIN.

    That is SQLite's write lock, or newsmon's advisory lock on PostgreSQL.
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


def written(result: Result[Any]) -> CursorResult[Any]:
    """The cursor result of an INSERT, UPDATE or DELETE run through a Session, for its row
    count and new primary key (`Session.execute` is typed for queries)."""
    assert isinstance(result, CursorResult)
    return result


def inserted_id(result: Result[Any]) -> int:
    """The primary key of the one row an INSERT run through a Session added."""
    key = written(result).inserted_primary_key
    assert key is not None
    return int(key[0])


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


def compact(engine: Engine) -> tuple[int, int] | None:
    """Give a SQLite store's free pages back to the disk: the file's size (with its write-ahead
    log) before and after. On PostgreSQL, VACUUM (ANALYZE) now rather than when autovacuum
    comes round: the space of deleted and rewritten rows goes to new ones and the planner's
    statistics are fresh; the server keeps its files' size (None).

    A store keeps the pages its rows leave behind for later rows, so its file never
    shrinks on its own; migration 0007, which rewrites every article row once, leaves
    roughly a quarter of the file free. VACUUM needs no transaction around it (it cannot
    run in one) and waits for the write lock like any writer (`BUSY_TIMEOUT_MS`).
    """
    with storage_errors(engine):
        if engine.dialect.name != "sqlite":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as server:
                server.exec_driver_sql("VACUUM (ANALYZE)")
            return None
        before = _store_bytes(engine)
        # The driver's own connection: it commits by itself (`_configure_sqlite_connection`),
        # where the engine's connections would open a transaction VACUUM cannot run in.
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("VACUUM")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
        return before, _store_bytes(engine)


def _store_bytes(engine: Engine) -> int:
    """The size of a SQLite store's file and its write-ahead log."""
    path = engine.url.database or ""
    return sum(os.path.getsize(f) for f in (path, f"{path}-wal") if os.path.exists(f))


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
    """Map a driver error to a `StorageError` the user can act on, or None.

    The sentences differ for a database server: there is no file or folder to
    fix, but a server, credentials or a standby to check.
    """
    original = error.orig if isinstance(error, DBAPIError) else error
    message = str(original).lower()
    where = describe(engine)
    server = engine is not None and engine.dialect.name != "sqlite"
    if "readonly database" in message or "read-only" in message:
        if server:
            return StorageError(
                f"The database {where} accepts only reads (a read-only transaction or a "
                "standby server); point --db at the primary server or a writable database.",
                "read_only",
            )
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
    if (
        "database is locked" in message
        or "database is busy" in message
        or "lock timeout" in message
    ):
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
    if server and _REFUSED.search(message):
        return StorageError(
            f"The database server refused {where} ({str(original).strip().splitlines()[0]}); "
            "check the user, password and database name in --db / NEWSMON_DB_URL.",
            "unreachable",
        )
    if any(hint in message for hint in _UNREACHABLE_HINTS):
        if server:
            return StorageError(
                f"Cannot connect to the database server {where}; check that it is running "
                "and reachable and that --db / NEWSMON_DB_URL is right.",
                "unreachable",
            )
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
