"""Shared fixtures: the offline demo web on loopback and a store crawled from it.

The crawl runs as the CLI runs it, in a child process (`python -m newsmon
crawl`), because Twisted's reactor can run only once per process and the
test process serves the web.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import subprocess
import sys
import time
from collections.abc import Collection, Iterator
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


# prctl(2): orphaned descendants are re-parented to this process instead of init, so a
# process leaked by a killed crawl (a forkserver, an extraction worker) stays visible here.
PR_SET_CHILD_SUBREAPER = 36
# How long processes that are already on their way out get to finish exiting.
EXIT_GRACE_SECONDS = 30.0


def descendants(pid: int) -> dict[int, str]:
    """Live descendants of ``pid`` with their command lines (Linux /proc); zombies are reaped
    when they are ours, since a dead process holds no memory."""
    children: dict[int, list[int]] = {}
    states: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited meanwhile
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        children.setdefault(int(ppid), []).append(int(entry.name))
        states[int(entry.name)] = state
    found: dict[int, str] = {}
    stack = list(children.get(pid, []))
    while stack:
        child = stack.pop()
        stack += children.get(child, [])
        if states[child] == "Z":
            if pid == os.getpid():
                _reap(child)
            continue
        try:
            found[child] = (
                Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
            ).decode()
        except OSError:
            continue
    return found


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):  # reaped by its Popen meanwhile
        os.waitpid(pid, os.WNOHANG)


def wait_for_no_descendants(pid: int, among: Collection[int] | None = None) -> dict[int, str]:
    """The descendants of ``pid`` (only those in ``among``, when given) still alive once
    those exiting have had time to exit."""

    def alive() -> dict[int, str]:
        found = descendants(pid)
        return found if among is None else {p: c for p, c in found.items() if p in among}

    deadline = time.monotonic() + EXIT_GRACE_SECONDS
    left = alive()
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = alive()
    return left


@pytest.fixture(scope="session", autouse=True)
def no_process_left_behind() -> Iterator[None]:
    """No crawl, worker pool or forkserver started by any test outlives the suite.

    A leaked worker pool costs about 120 MB per process and runs forever (issue 11);
    as the suite's subreaper this process also sees what a killed child orphaned.
    """
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    yield
    if sys.platform == "linux":
        left = wait_for_no_descendants(os.getpid())
        assert not left, f"processes left behind by the tests: {left}"


def run_cli(
    *args: str, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real `newsmon` entry point in a child process.

    Its output is a pipe, so tables are 200 columns wide whatever terminal runs the
    tests, unless ``env`` sets ``COLUMNS`` (a terminal's width) itself.
    """
    if env is None:
        env = {name: value for name, value in os.environ.items() if name != "COLUMNS"}
    return subprocess.run(
        [sys.executable, "-m", "newsmon", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
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
