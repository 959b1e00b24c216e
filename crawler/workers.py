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
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from multiprocessing import forkserver
from typing import Any, TypeVar

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


@contextmanager
def _environment(variables: Mapping[str, str]) -> Iterator[None]:
    """These environment variables set while the block runs, the old values back after."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value


def _start_fork_server(environ: Mapping[str, str]) -> None:
    """Start this process's fork server, if it is not running, shielded from Ctrl-C.

    The server starts with ``environ`` added to this process's environment: what its
    preloaded modules read to know what to load before forking (`WorkerPool.environ`).

    The fork server imports the preloaded modules (a second or two) before it shields
    itself from SIGINT, and a Ctrl-C in those seconds, sent to the whole process group,
    would kill it with a traceback and take the pool with it. An ignored signal stays
    ignored across the server's exec, so SIGINT is ignored while it starts; it is also
    blocked meanwhile, so a Ctrl-C in those few milliseconds waits and reaches this
    process afterwards instead of being lost. (Only the main thread may set handlers.)
    """
    if threading.current_thread() is not threading.main_thread():
        with _environment(environ):
            forkserver.ensure_running()
        return
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with _environment(environ):
            forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


class WorkerPool:
    """The crawl's worker processes, shared by every spider and both pipelines.

    Each worker has a task queue of its own, so work on the same documents can go to
    the same worker and find them in its caches (`run_on`); other work goes to the
    least busy one (`run`). Owned by the crawl's `crawler.context.CrawlContext`, which
    closes it on every way out of the crawl. A worker starts with its first task.
    """

    def __init__(self, workers: int, preload: Sequence[str] = ()) -> None:
        self.workers = workers
        # Modules the fork server imports once, before it forks the workers: they share
        # those pages instead of each importing its own copy (memory and start-up CPU).
        self.preload = tuple(preload)
        # Environment variables the fork server starts with, for those modules to read:
        # data they load before forking (a crawl's languages' word lists), shared by every
        # worker. Set before the first task: one process has one fork server, started then.
        self.environ: dict[str, str] = {}
        self._executors: list[ProcessPoolExecutor | None] = [None] * workers
        self._queued = [0] * workers  # tasks handed to each worker and not finished

    def close(self) -> None:
        """Stop the workers and wait for them; tasks not started yet are dropped."""
        executors, self._executors = self._executors, [None] * self.workers
        for executor in executors:
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in the least busy worker; BrokenProcessPool when it died."""
        return await self.run_on(self._queued.index(min(self._queued)), function, *args)

    async def run_on(self, worker: int, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in worker number ``worker`` (0 to workers - 1);
        BrokenProcessPool when it died (its next task starts a fresh one)."""
        executor = self._executors[worker]
        if executor is None:
            # forkserver: never fork the reactor's threads into a worker.
            context = multiprocessing.get_context("forkserver")
            # Takes effect when this process starts its fork server (its first worker).
            context.set_forkserver_preload(["__main__", *self.preload])
            _start_fork_server(self.environ)
            executor = self._executors[worker] = ProcessPoolExecutor(
                1, mp_context=context, initializer=_follow, initargs=(os.getpid(),)
            )
        self._queued[worker] += 1
        try:
            return await asyncio.wrap_future(executor.submit(function, *args))
        except BrokenProcessPool:
            if self._executors[worker] is executor:
                self._executors[worker] = None
            raise
        finally:
            self._queued[worker] -= 1
