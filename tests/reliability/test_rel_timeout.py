"""Issue 6, a server that never answers: DOWNLOAD_TIMEOUT ends the wait, the page is retried a
bounded number of times and counted as failed, and the rest of the outlet is still crawled.

The CLI has no way to pass a Scrapy setting, and the default 15 s timeout of a local crawl would
make this test slow, so the crawl runs through `newsmon.runner.run_crawl` (what the CLI calls)
in a child process with `extra_settings={"DOWNLOAD_TIMEOUT": 2}`.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import demoweb
from crawler.urls import canonicalize
from demoweb.hostile import OUTLET, build_timeout_web
from newsmon.demo import demo_outlets, write_outlets_file

_CRAWL = """
import sys
from pathlib import Path
from crawler.outlets import load_registry
from newsmon.runner import CrawlOptions, run_crawl
files = [Path(sys.argv[1])]
outlet = load_registry(files, builtin=False)[sys.argv[3]]
options = CrawlOptions(db_url=sys.argv[2], outlet_files=files, builtin_outlets=False,
                       local_web=True, extra_settings={"DOWNLOAD_TIMEOUT": 2})
run_crawl([outlet], options)
"""


def test_a_stalling_server_times_out_without_stopping_the_crawl(tmp_path: Path) -> None:
    timeout_web = build_timeout_web(stall_seconds=20)
    with demoweb.serve(timeout_web.web) as web:
        outlets_file = write_outlets_file(demo_outlets(web), tmp_path / "outlets.toml")
        db = tmp_path / "timeout.db"
        result = subprocess.run(
            [sys.executable, "-c", _CRAWL, str(outlets_file), f"sqlite:///{db}", OUTLET],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        stall_url = web.url(OUTLET, "/news/stall")
        logged = stall_url in result.stderr
        assert logged, "the timed-out page is not named in the log"
        with sqlite3.connect(db) as con:
            ((status, stats),) = con.execute("SELECT status, stats FROM crawl_runs").fetchall()
            urls = {row[0] for row in con.execute("SELECT url FROM articles")}
        assert status == "partial"  # one page failed, the rest of the outlet was crawled
        counters = json.loads(stats)[OUTLET]
        assert counters["failed/article"] == 1
        assert counters["retry/max_reached"] == 1  # retried, then given up
        assert urls == {canonicalize(web.url(OUTLET, "/news/after_stall"))}
