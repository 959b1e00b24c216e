"""Issue 6, a store that cannot be written: a read-only database and a full disk give one clear
error line and a non-zero exit, never a traceback, and leave the stored articles as they were.

The read-only case opens the file through SQLite's own `mode=ro` (the tests run as root, for whom
file permissions do not stop a write); the full disk is RLIMIT_FSIZE in the child process, which
makes every write past the limit fail as a full or failing disk does.
"""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import demoweb
from newsmon.demo import demo_outlets, write_outlets_file
from tests.conftest import crawl_args


def _crawl(
    outlets_file: Path, outlet: str, db_url: str, limit: int | None = None
) -> subprocess.CompletedProcess[str]:
    def full_disk() -> None:
        if limit is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "newsmon", *crawl_args(outlets_file, db_url, outlet)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        preexec_fn=full_disk,
        env={**os.environ, "COLUMNS": "1000"},  # one sentence stays on one line
    )


def _articles(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT id, url, title, text FROM articles ORDER BY id").fetchall()


def _assert_one_clear_error(
    result: subprocess.CompletedProcess[str], words: tuple[str, ...]
) -> None:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    assert len(lines) == 1, lines
    assert lines[0].startswith("error:"), lines[0]
    assert any(word in lines[0] for word in words), lines[0]


@pytest.fixture(scope="module")
def base_store(
    demo_web: demoweb.RunningWeb, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, list[str]]:
    folder = tmp_path_factory.mktemp("storage_faults")
    outlets = demo_outlets(demo_web)
    outlets_file = write_outlets_file(outlets, folder / "outlets.toml")
    db = folder / "store.db"
    first = _crawl(outlets_file, outlets[0].name, f"sqlite:///{db}")
    assert first.returncode == 0, first.stderr
    return db, outlets_file, [o.name for o in outlets]


def test_a_read_only_store_gives_one_clear_error(base_store: tuple[Path, Path, list[str]]) -> None:
    db, outlets_file, names = base_store
    before = _articles(db)
    result = _crawl(outlets_file, names[1], f"sqlite:///file:{db}?mode=ro&uri=true")
    _assert_one_clear_error(result, ("read-only",))
    assert _articles(db) == before


def test_a_full_disk_gives_one_clear_error(base_store: tuple[Path, Path, list[str]]) -> None:
    db, outlets_file, names = base_store
    before = _articles(db)
    used = sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))
    result = _crawl(outlets_file, names[2], f"sqlite:///{db}", limit=used + 40_000)
    _assert_one_clear_error(result, ("full", "disk"))
    after = _articles(db)
    assert after[: len(before)] == before
