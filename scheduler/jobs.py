"""The scheduled crawl job: one crawl in a child process, recorded as a crawl run.

Scrapy's Twisted reactor cannot be restarted inside one process, and a
crawl that crashes must not take the scheduler down with it, so every run is
a child `python -m newsmon crawl`. The job opens the run row first and hands
its id to the child: whatever happens to the child (a crash, SIGKILL, out of
memory), the row ends up saying so.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence

from scheduler.notify import post_report, webhook_url
from storage.db import ENV_URL, make_engine, session_factory, upgrade
from storage.queries import finish_run, get_run, start_run

logger = logging.getLogger(__name__)

# A log record about the end of a crawl run carries its id under this attribute, so a
# log handler can add the run's figures from the store.
RUN_ENDED = "newsmon_run_ended"
# Seconds `newsmon report` may take before a webhook goes without this run's report.
REPORT_TIMEOUT = 300

# Children of this scheduler process, so a shutdown can stop them cleanly.
_children: set[subprocess.Popen[bytes]] = set()
_children_lock = threading.Lock()


def child_env(db_url: str | None) -> dict[str, str]:
    """The child crawl's environment: the store URL travels here, not on the command
    line, where `ps` and our own log would show a database password."""
    env = dict(os.environ)
    if db_url:
        env[ENV_URL] = db_url
    return env


def crawl_command(
    outlets: Sequence[str],
    outlet_files: Sequence[str],
    run_id: int | None = None,
    *,
    trigger: str = "scheduled",
    builtin: bool = True,
    allow_private: bool = False,
) -> list[str]:
    """The `newsmon crawl` command line of a crawl in a child process (see `child_env`)."""
    cmd = [sys.executable, "-m", "newsmon", "crawl", "--trigger", trigger]
    if run_id is not None:
        cmd += ["--run-id", str(run_id)]
    for path in outlet_files:
        cmd += ["--outlets", path]
    for name in outlets:
        cmd += ["--outlet", name]
    if not builtin:
        cmd.append("--no-builtin")
    if allow_private:
        cmd.append("--allow-private")
    return cmd


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def crawl_job(
    db_url: str | None = None,
    outlets: Sequence[str] = (),
    outlet_files: Sequence[str] = (),
    builtin: bool = True,
    allow_private: bool = False,
) -> int:
    """Run one crawl to completion in a child process; returns the crawl-run id."""
    engine = make_engine(db_url)
    upgrade(engine)
    sessions = session_factory(engine)
    try:
        with sessions.begin() as session:
            run_id = start_run(session, list(outlets) or ["*"], "scheduled")
        cmd = crawl_command(
            outlets, outlet_files, run_id, builtin=builtin, allow_private=allow_private
        )
        logger.info("crawl run %d started: %s", run_id, ", ".join(outlets) or "every outlet")
        logger.debug("crawl run %d: %s", run_id, " ".join(cmd))
        child = subprocess.Popen(  # noqa: S603 - our own argv
            cmd, stdout=subprocess.DEVNULL, env=child_env(db_url)
        )
        with _children_lock:
            _children.add(child)
        try:
            code = child.wait()
        finally:
            with _children_lock:
                _children.discard(child)
        with sessions.begin() as session:
            run = get_run(session, run_id)
            if run is not None and run.status == "running":
                # The child never closed its run: it crashed, was killed, or was stopped
                # by a signal before it could open the store.
                stopped = code in (128 + signal.SIGINT, 128 + signal.SIGTERM)
                finish_run(
                    session,
                    run_id,
                    "interrupted" if stopped else "failed",
                    error=f"crawl process {'stopped' if stopped else 'ended abnormally'} "
                    f"({describe_exit(code)})",
                )
        logger.info(
            "crawl run %d ended with %s",
            run_id,
            describe_exit(code),
            extra={RUN_ENDED: run_id},
        )
        url = webhook_url()
        if url is not None:
            _send_report(run_id, url, db_url)
        return run_id
    finally:
        engine.dispose()


def _send_report(run_id: int, url: str, db_url: str | None) -> None:
    """The run's report comes from `newsmon report` in a child, like the crawl itself:
    the scheduler stays a thin adapter that imports no part of the CLI."""
    command = [sys.executable, "-m", "newsmon", "report", str(run_id), "--format", "json"]
    try:
        report = subprocess.run(  # noqa: S603 - our own argv
            command, capture_output=True, env=child_env(db_url), timeout=REPORT_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        logger.warning("run %d: the report took over %d s; none sent", run_id, REPORT_TIMEOUT)
        return
    if report.returncode != 0:
        logger.warning(
            "run %d: no report to send (%s): %s",
            run_id,
            describe_exit(report.returncode),
            report.stderr.decode("utf-8", "replace").strip(),
        )
        return
    post_report(report.stdout, run_id, url)


def stop_children(timeout: float = 60.0) -> None:
    """Ask running crawls to stop (Scrapy closes spiders on SIGTERM), then wait for them."""
    with _children_lock:
        children = list(_children)
    for child in children:
        child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
