"""Re-crawl benchmark: what a second, unchanged daily run costs compared with the first.

Issue 5's target: a re-crawl of an unchanged 2,000-article site fetches only feeds
and sitemaps (plus robots.txt and section pages), nearly all answered 304. The
figures are requests and bytes counted at the test server, reported as ratios of
the second run to the first, measured in one run of this benchmark.

    python -m benchmarks recrawl [-- --articles 2000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import demoweb
from benchmarks.crawl_bench import prerendered, run_child

OUTLET = "bulk_ledger"


def _crawl(running: demoweb.RunningWeb, outlets_file: Path, db_url: str) -> dict[str, Any]:
    running.request_log.clear()
    command = [
        sys.executable, "-m", "newsmon", "crawl", "--outlets", str(outlets_file),
        "--no-builtin", "--allow-private", "--db", db_url,
    ]  # fmt: skip
    child = run_child(command, timeout=1800)
    if child.returncode != 0:
        raise RuntimeError(f"crawl failed ({child.returncode}):\n{child.output[-2000:]}")
    records = running.request_log.records()
    statuses = running.request_log.by_status()
    articles = [r for r in records if "/20" in r.path and not r.path.endswith(".xml")]
    return {
        "seconds": round(child.seconds, 2),
        "requests": len(records),
        "bytes": running.request_log.bytes_sent(),
        "not_modified_304": statuses.get(304, 0),
        "article_pages_fetched": len(articles),
    }


def run(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="benchmarks/recrawl_bench.py")
    parser.add_argument("--articles", type=int, default=2000)
    args = parser.parse_args(argv)
    from newsmon.demo import demo_outlets, write_outlets_file

    web = prerendered(demoweb.build_bulk_site(args.articles, seed=0))
    with (
        tempfile.TemporaryDirectory(prefix="newsmon-recrawl-") as tmp,
        demoweb.serve(web) as running,
    ):
        folder = Path(tmp)
        outlets_file = write_outlets_file(demo_outlets(running), folder / "outlets.toml")
        db_url = f"sqlite:///{folder / 'recrawl.db'}"
        first = _crawl(running, outlets_file, db_url)
        second = _crawl(running, outlets_file, db_url)
    return {
        "articles": args.articles,
        "first_run": first,
        "second_run": second,
        "ratios": {
            "requests_second_to_first": round(second["requests"] / max(first["requests"], 1), 4),
            "bytes_second_to_first": round(second["bytes"] / max(first["bytes"], 1), 4),
            "share_of_second_run_answered_304": round(
                second["not_modified_304"] / max(second["requests"], 1), 3
            ),
        },
    }


def main() -> None:
    import json

    print(json.dumps(run(sys.argv[1:]), indent=2))


if __name__ == "__main__":
    main()
