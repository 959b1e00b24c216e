"""Shared fixtures: the offline demo web on loopback and a store crawled from it.

The crawl runs as the CLI runs it, in a child process (`python -m newsmon
crawl`), because Twisted's reactor can run only once per process and the
test process serves the web.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import demoweb
from newsmon.demo import demo_outlets, write_outlets_file


@dataclass(frozen=True)
class CrawledStore:
    web: demoweb.RunningWeb
    db_url: str
    db_path: Path
    outlets_file: Path
    output: str


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the real `newsmon` entry point in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "newsmon", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def crawl_args(outlets_file: Path, db_url: str, *outlets: str) -> list[str]:
    """`newsmon crawl` arguments for a local test web (every outlet of the file by default)."""
    chosen = [arg for name in outlets for arg in ("--outlet", name)]
    return [
        "crawl",
        "--outlets",
        str(outlets_file),
        "--no-builtin",
        "--allow-private",
        *chosen,
        "--db",
        db_url,
    ]


@pytest.fixture(scope="session")
def demo_web() -> Iterator[demoweb.RunningWeb]:
    with demoweb.serve(demoweb.build_web()) as web:
        yield web


@pytest.fixture(scope="session")
def crawled(demo_web: demoweb.RunningWeb, tmp_path_factory: pytest.TempPathFactory) -> CrawledStore:
    """One crawl of the whole demo web, shared by the end-to-end tests that only read the store."""
    folder = tmp_path_factory.mktemp("crawl")
    outlets_file = write_outlets_file(demo_outlets(demo_web), folder / "demo-outlets.toml")
    db_path = folder / "newsmon.db"
    db_url = f"sqlite:///{db_path}"
    result = run_cli(
        "crawl", "--outlets", str(outlets_file), "--no-builtin", "--allow-private", "--db", db_url
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return CrawledStore(demo_web, db_url, db_path, outlets_file, result.stdout)
