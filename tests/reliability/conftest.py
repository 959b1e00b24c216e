"""Fixtures of the reliability suite: the hostile web crawled by the real CLI in a child process
that records, through a Python audit hook, every socket it opens and every file it reads.

The audit hook is how the tests prove that a hostile link was never *contacted*: a refused URL
leaves no trace in any server log, so the evidence must come from inside the crawling process.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import demoweb
from demoweb.hostile import OUTLET, HostileWeb, build_hostile_web
from newsmon.demo import demo_outlets, write_outlets_file
from tests.conftest import crawl_args

#: Runs `newsmon` as `python -m newsmon` does, after installing an audit hook that appends one
#: JSON line per network connect, name lookup and file open to the file named in argv[1].
_AUDITED_MAIN = """
import json, os, runpy, sys
_fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
def _hook(event, args):
    if event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple):
            line = {"event": "connect", "host": str(address[0]), "port": address[1]}
            os.write(_fd, (json.dumps(line) + "\\n").encode())
    elif event == "socket.getaddrinfo":
        line = {"event": "getaddrinfo", "host": str(args[0])}
        os.write(_fd, (json.dumps(line) + "\\n").encode())
    elif event == "open" and isinstance(args[0], (str, bytes)):
        path = os.fsdecode(args[0])
        if path.startswith("/etc/"):
            os.write(_fd, (json.dumps({"event": "open", "path": path}) + "\\n").encode())
sys.addaudithook(_hook)
sys.argv = ["newsmon", *sys.argv[2:]]
runpy.run_module("newsmon", run_name="__main__", alter_sys=True)
"""


def run_newsmon(
    *args: str,
    audit: Path | None = None,
    timeout: float = 300,
    preexec_fn: Callable[[], Any] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the real `newsmon` entry point in a child process, audited when `audit` is given."""
    command = [sys.executable, "-m", "newsmon", *args]
    if audit is not None:
        command = [sys.executable, "-c", _AUDITED_MAIN, str(audit), *args]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        preexec_fn=preexec_fn,
    )


def audit_events(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


@dataclass(frozen=True)
class HostileCrawl:
    hostile: HostileWeb
    web: demoweb.RunningWeb
    db_path: Path
    db_url: str
    result: subprocess.CompletedProcess[str]
    audit: list[dict[str, Any]]

    def query(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db_path) as con:
            return con.execute(sql, params).fetchall()

    def stats(self) -> dict[str, Any]:
        (row,) = self.query("SELECT stats FROM crawl_runs")
        stats: dict[str, Any] = json.loads(row[0])[OUTLET]
        return stats

    def url(self, path: str) -> str:
        return self.web.url(OUTLET, path)


def crawl_hostile(folder: Path, hostile: HostileWeb, *extra_args: str) -> Iterator[HostileCrawl]:
    """Serve `hostile`, crawl its hostile outlet once with the CLI, and yield the outcome."""
    with demoweb.serve(hostile.web) as web:
        outlets_file = write_outlets_file(demo_outlets(web), folder / "hostile-outlets.toml")
        db_path = folder / "hostile.db"
        db_url = f"sqlite:///{db_path}"
        audit = folder / "audit.jsonl"
        result = run_newsmon(*crawl_args(outlets_file, db_url, OUTLET), *extra_args, audit=audit)
        yield HostileCrawl(hostile, web, db_path, db_url, result, audit_events(audit))


@pytest.fixture(scope="session")
def hostile_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileCrawl]:
    """One crawl of the whole bad-input web, shared by every test that only reads its outcome."""
    # Retry-After is honoured up to this cap; the hostile web asks for up to an hour.
    yield from crawl_hostile(
        tmp_path_factory.mktemp("hostile"),
        build_hostile_web(),
        "--set",
        "NEWSMON_RETRY_AFTER_MAX=2",
    )
