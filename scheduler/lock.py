"""Cross-process crawl locks, one per outlet.

A scheduled run and a manual `newsmon crawl` of the same outlet must not
overlap, and they live in different processes, so a thread lock is not
enough. ``fcntl.flock`` locks are held by the open file and released by the
kernel when the holder dies, so a crashed crawl never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url


class LockBusy(Exception):
    """Another process is crawling one of the outlets."""

    def __init__(self, outlet: str, holder: str) -> None:
        super().__init__(
            f"Outlet {outlet!r} is being crawled by another process ({holder}); "
            "wait for it to finish or crawl other outlets."
        )
        self.outlet = outlet


def lock_dir(db_url: str | None) -> Path:
    """Locks live beside a SQLite store, or in a state folder keyed by the database URL."""
    override = os.environ.get("NEWSMON_LOCK_DIR")
    if override:
        return Path(override)
    url = make_url(db_url or os.environ.get("NEWSMON_DB_URL") or "sqlite:///newsmon.db")
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().with_name(Path(url.database).name + ".locks")
    key = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    state = Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state"))
    return state / "newsmon" / "locks" / key


@contextmanager
def outlet_locks(db_url: str | None, outlets: Sequence[str]) -> Iterator[None]:
    """Hold every outlet's lock, or raise LockBusy at once without waiting."""
    folder = lock_dir(db_url)
    folder.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        for outlet in sorted(set(outlets)):
            path = folder / f"{outlet}.lock"
            fh = stack.enter_context(path.open("a+"))
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.seek(0)
                raise LockBusy(outlet, fh.read().strip() or "unknown pid") from None
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()}")
            fh.flush()
        yield


def crawling(db_url: str | None, outlets: Sequence[str]) -> bool:
    """Whether a live process holds the lock of any of these outlets ("*": of any outlet).

    A run row still `running` whose outlets nobody holds was left by a process that
    died before it could record how the run ended.
    """
    folder = lock_dir(db_url)
    if not folder.is_dir():
        return False
    paths = (
        sorted(folder.glob("*.lock"))
        if "*" in outlets
        else [folder / f"{outlet}.lock" for outlet in outlets]
    )
    for path in paths:
        if not path.exists():
            continue
        with path.open("a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(fh, fcntl.LOCK_UN)
    return False
