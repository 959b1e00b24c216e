"""The crawl's one process pool for extraction and lineage verdicts.

Extraction and verdicts are CPU-bound and Scrapy runs in one process; the
reactor keeps downloading and storing while the workers work. The workers
belong to the crawl: they ignore Ctrl-C (the crawl process decides how to
stop, and the terminal sends SIGINT to the whole process group), and they exit
on their own when the crawl process dies, so a killed crawl leaves no process
behind. This module imports only the standard library: every worker imports it.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, ClassVar, TypeVar

T = TypeVar("T")

# How often a worker checks that its crawl process is still alive.
ORPHAN_CHECK_SECONDS = 1.0


def _follow(crawl_pid: int) -> None:
    """A worker's set-up: leave interruption to the crawl process, die with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_when_gone, args=(crawl_pid,), daemon=True).start()


def _exit_when_gone(crawl_pid: int) -> None:
    """A worker of a killed crawl would wait on its task queue forever: exit instead."""
    while True:
        time.sleep(ORPHAN_CHECK_SECONDS)
        try:
            os.kill(crawl_pid, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:
            continue  # the pid exists (reused by another user's process): keep waiting


class WorkerPool:
    """The crawl's one process pool, shared by every spider and both pipelines.

    Spiders acquire it as they open and release it as they close; the last
    release, or `close` on any way out of the crawl, shuts the workers down.
    """

    executor: ClassVar[ProcessPoolExecutor | None] = None
    users: ClassVar[int] = 0

    @classmethod
    def acquire(cls) -> None:
        cls.users += 1

    @classmethod
    def release(cls) -> None:
        cls.users -= 1
        if cls.users == 0:
            cls.close()

    @classmethod
    def close(cls) -> None:
        """Stop the workers and wait for them; tasks not started yet are dropped."""
        executor, cls.executor = cls.executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    @classmethod
    async def run(cls, workers: int, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in a worker; BrokenProcessPool when a worker died."""
        if cls.executor is None:
            # forkserver: never fork the reactor's threads into a worker.
            context = multiprocessing.get_context("forkserver")
            cls.executor = ProcessPoolExecutor(
                workers, mp_context=context, initializer=_follow, initargs=(os.getpid(),)
            )
        try:
            return await asyncio.wrap_future(cls.executor.submit(function, *args))
        except BrokenProcessPool:
            cls.executor = None  # the next call starts a fresh pool
            raise
