"""PostgreSQL fixtures: a fresh database per test module on the server named by
``NEWSMON_TEST_PG_URL``, dropped afterwards.

`.ci/run` starts a throwaway PostgreSQL 15 cluster on loopback and sets the
variable; without it (or without psycopg) every test here is skipped with the
reason, so the rest of the suite runs anywhere.  A database per module (not a
schema) because APScheduler's job store and Alembic both use the default schema.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url

ENV = "NEWSMON_TEST_PG_URL"


def _admin_url() -> URL:
    raw = os.environ.get(ENV)
    if not raw:
        pytest.skip(
            f"{ENV} is not set; point it at a PostgreSQL server, e.g. "
            "postgresql+psycopg://postgres@127.0.0.1:54329/postgres (.ci/run does this)"
        )
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed; pip install -e '.[postgres]'")
    return make_url(raw)


def _admin_engine(url: URL) -> Engine:
    # CREATE/DROP DATABASE cannot run inside a transaction.
    return create_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="module")
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL (password included) of a new, empty database for this test module."""
    admin = _admin_url()
    module = re.sub(r"[^a-z0-9]+", "_", request.module.__name__.rsplit(".", 1)[-1].lower())
    name = f"newsmon_{module}_{uuid.uuid4().hex[:8]}"[:63]
    engine = _admin_engine(admin)
    try:
        with engine.connect() as connection:
            # template0 + C.UTF-8: the same lowercasing and word splitting on any server.
            connection.execute(
                text(
                    f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' "
                    "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
                )
            )
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(scope="module")
def lock_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Per-outlet crawl locks in a temp folder, not in ~/.local/state (server stores have no file
    to put them beside)."""
    folder = tmp_path_factory.mktemp("locks")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEWSMON_LOCK_DIR", str(folder))
        yield folder
