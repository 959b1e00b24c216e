"""Crawl benchmark: end-to-end articles per second beside raw fetching and extraction alone.

One run serves the generated bulk site (``demoweb.build_bulk_site``: one outlet, ~230 KB
article pages, a sitemap index, a feed and a section page) on 127.0.1.2 and measures, on the
same pages:

* the real pipeline (``python -m newsmon crawl`` in a child process, into a fresh SQLite
  file) with each ``--workers`` count asked for (default 0 = inline, one core, and 2 = a
  process pool on both cores), counting what it stored from the database;
* raw Scrapy fetching: a bare ``SitemapSpider`` with the crawl's own settings (concurrency,
  robots.txt, fetch guard) that discards every page, also in a child process;
* extraction alone, single process, on the pages held in memory: plain
  ``trafilatura.extract``, newsmon's ``crawler.extract.extract``, and newsmon's whole
  per-page CPU stage ``crawler.pages.build_record`` (extraction + topic score + dedup key).

The figures that matter are the ratios between them (the machine changes, the ratios much
less). Crawl times are the child process's wall time, interpreter start-up included for both
the pipeline and the raw fetch. See benchmarks/README.md for what each figure means.

Run all benchmarks with ``python -m benchmarks``, this one alone with
``python -m benchmarks crawl -- --articles 500`` or ``python -m benchmarks.crawl_bench``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import demoweb
from demoweb.model import Resource, Web

ROOT = Path(__file__).resolve().parents[1]
OUTLET = "bulk_ledger"
SITEMAP_PATH = "/sitemap_index.xml"


@dataclass(frozen=True)
class ChildRun:
    """A finished child process and what the kernel says it cost."""

    seconds: float
    returncode: int
    timed_out: bool
    output: str
    peak_rss_mb: float  # largest resident set of any process in the child's tree
    # Largest sums over every process of the child's session (the crawl, its fork server
    # and pool workers) of their RSS and of their PSS (see `session_sample`), sampled
    # twice a second.
    peak_tree_rss_mb: float
    peak_tree_pss_mb: float
    # User + system time of the child and the descendants it waited for; forkserver pool
    # workers are reaped by the fork server, not the crawl, so their time is not included.
    cpu_seconds: float
    # The same plus the CPU of the session's other processes (the pool's fork server and
    # workers) as last sampled, which misses at most half a second of each.
    tree_cpu_seconds: float
    server_cpu_seconds: float  # CPU this process (the web server) spent meanwhile


@dataclass(frozen=True)
class SessionSample:
    """One look at the processes of a session: their summed RSS and PSS in bytes, and each
    one's CPU seconds so far (user + system) by pid."""

    rss: int
    pss: int
    cpu: dict[int, float]


def session_sample(session: int) -> SessionSample:
    """The processes of a session as they are now: the sum of their RSS, which counts the
    pages a fork server shares with its workers once per process, and of their PSS, which
    splits each shared page between its sharers, and each one's CPU time. The pool's workers
    are reaped by their fork server, not by the crawl, so this is the only way to see their
    CPU (Linux /proc; an empty sample elsewhere)."""
    rss = pss = 0
    cpu: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()  # state ppid pgrp sid ...
            if int(fields[3]) != session:
                continue
            cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick  # utime stime
            for line in (entry / "smaps_rollup").read_text().splitlines():
                name, _, value = line.partition(":")
                if name in ("Rss", "Pss"):
                    kb = int(value.split()[0]) * 1024
                    rss, pss = (rss + kb, pss) if name == "Rss" else (rss, pss + kb)
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
    return SessionSample(rss, pss, cpu)


def run_child(command: Sequence[str], timeout: float) -> ChildRun:
    """Run a command from the repository root, collecting its rusage with wait4
    (subprocess.run does not expose it)."""
    server_cpu = time.process_time()
    start = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        # A session of its own, so a timeout can stop the pool workers with the crawl.
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
        )
        deadline, timed_out = start + timeout, False
        tree_rss = tree_pss = 0
        last_cpu: dict[int, float] = {}  # each process's CPU when last seen
        sampled = 0.0
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - sampled >= 0.5:
                now = session_sample(process.pid)
                tree_rss, tree_pss = max(tree_rss, now.rss), max(tree_pss, now.pss)
                last_cpu |= now.cpu
                sampled = time.perf_counter()
            timed_out = time.perf_counter() > deadline
            if timed_out:
                os.killpg(process.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.05)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from waiting again
        log.seek(0)
        output = log.read().decode("utf-8", "replace")
    return ChildRun(
        seconds=seconds,
        returncode=process.returncode,
        timed_out=timed_out,
        output=output,
        peak_rss_mb=usage.ru_maxrss / 1024,
        peak_tree_rss_mb=tree_rss / 2**20,
        peak_tree_pss_mb=tree_pss / 2**20,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        # The child's own figure is exact (wait4); its other processes as last sampled.
        tree_cpu_seconds=usage.ru_utime
        + usage.ru_stime
        + sum(cpu for pid, cpu in last_cpu.items() if pid != process.pid),
        server_cpu_seconds=time.process_time() - server_cpu,
    )


def prerendered(web: Web) -> Web:
    """The web with every page rendered once into memory.

    The bulk site renders pages on request; serving them from memory keeps the page
    generator's CPU out of the crawl figures, as a real site's cache would (the server still
    gzips and hashes each answer).
    """
    outlets = tuple(replace(site, resources=dict(site.resources)) for site in web.outlets)
    return replace(web, outlets=outlets)


def without_nagle_stall() -> None:
    """Make the demo server send each answer at once.

    Its handler writes the headers and the body separately; with Nagle's algorithm on, the
    last segment of a gzipped body then waits for the client's delayed ACK (~40 ms per page
    on Linux), which caps any crawl of the demo web far below what the crawler can do.
    `disable_nagle_algorithm` is the standard library's switch for this; a no-op once
    demoweb sets it itself.
    """
    from demoweb.server import _Handler

    _Handler.disable_nagle_algorithm = True


def localised(running: demoweb.RunningWeb, resource: Resource) -> bytes:
    """A page body exactly as the server sends it (placeholder origin swapped for the real one)."""
    origin = demoweb.placeholder_origin(OUTLET).encode()
    return resource.body.replace(origin, running.base_url(OUTLET).encode())


def _failure(what: str, child: ChildRun) -> RuntimeError:
    if child.timed_out:
        return RuntimeError(
            f"{what} was stopped after {child.seconds:.0f} s; give it a larger --timeout "
            "or fewer --articles."
        )
    tail = child.output.strip().splitlines()[-15:]
    return RuntimeError(f"{what} exited with {child.returncode}:\n" + "\n".join(tail))


# -- end-to-end ------------------------------------------------------------------------------------


def crawl_end_to_end(
    running: demoweb.RunningWeb, folder: Path, workers: int, timeout: float, *, link: bool = True
) -> dict[str, Any]:
    """One real `newsmon crawl` of the bulk outlet into a fresh SQLite file; `link=False`
    crawls without linking (``NEWSMON_LINK=false``), to show what linking costs."""
    from newsmon.demo import demo_outlets, write_outlets_file

    outlets_file = write_outlets_file(demo_outlets(running), folder / "bench-outlets.toml")
    db_path = folder / f"bench-w{workers}{'' if link else '-unlinked'}.db"
    db_path.unlink(missing_ok=True)
    db_url = f"sqlite:///{db_path}"
    command = [
        sys.executable, "-m", "newsmon", "crawl", "--outlets", str(outlets_file),
        "--no-builtin", "--allow-private", "--db", db_url, "--workers", str(workers),
    ]  # fmt: skip
    if not link:
        command += ["--set", "NEWSMON_LINK=false"]
    child = run_child(command, timeout)
    if child.returncode != 0:
        raise _failure(f"newsmon crawl --workers {workers}", child)
    stored, stats = _store_figures(db_url)
    return {
        "workers": workers,
        "seconds": round(child.seconds, 2),
        "stored": stored,
        "pages_fetched": int(stats.get("pages_fetched", 0)),
        "articles_per_second": round(stored / child.seconds, 2),
        "crawl_process_cpu_seconds": round(child.cpu_seconds, 1),
        "tree_cpu_seconds": round(child.tree_cpu_seconds, 1),
        "server_cpu_seconds": round(child.server_cpu_seconds, 1),
        # Cores kept busy by the crawl's processes and the server together: near the
        # machine's core count, the crawl is CPU-bound and only less CPU makes it faster.
        "busy_cores": round((child.tree_cpu_seconds + child.server_cpu_seconds) / child.seconds, 2),
        "peak_rss_mb": round(child.peak_rss_mb, 1),
        "peak_tree_rss_mb": round(child.peak_tree_rss_mb, 1),
        "peak_tree_pss_mb": round(child.peak_tree_pss_mb, 1),
        "skipped": {k.removeprefix("skipped/"): v for k, v in stats.items() if "skipped/" in k},
        "failed": {k.removeprefix("failed/"): v for k, v in stats.items() if "failed/" in k},
        # Relations stored, by kind: none when the crawl did not link.
        "related": {k.removeprefix("related/"): v for k, v in stats.items() if "related/" in k},
    }


def crawls(
    running: demoweb.RunningWeb,
    folder: Path,
    worker_counts: Sequence[int],
    timeout: float,
    *,
    link: bool = True,
) -> dict[str, dict[str, Any]]:
    """`crawl_end_to_end` with each worker count, by ``workers_N``; a crawl that fails is an
    ``error`` entry, so a long run keeps the other figures."""
    runs: dict[str, dict[str, Any]] = {}
    for workers in worker_counts:
        try:
            runs[f"workers_{workers}"] = crawl_end_to_end(
                running, folder, workers, timeout, link=link
            )
        except RuntimeError as error:
            runs[f"workers_{workers}"] = {"workers": workers, "error": str(error)}
    return runs


def _store_figures(db_url: str) -> tuple[int, dict[str, Any]]:
    """Articles stored (counted in the store itself) and the run's counters."""
    from sqlalchemy.orm import Session

    from storage.db import make_engine
    from storage.queries import count_by_outlet, list_runs

    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            stored = count_by_outlet(session).get(OUTLET, 0)
            runs = list_runs(session, limit=1)
    finally:
        engine.dispose()
    stats = dict(runs[0].stats.get(OUTLET, {})) if runs else {}
    return stored, stats


# -- raw fetching ----------------------------------------------------------------------------------


def raw_fetch(running: demoweb.RunningWeb, folder: Path, timeout: float) -> dict[str, Any]:
    """The same article pages fetched by a bare Scrapy spider that keeps nothing."""
    out = folder / "raw-fetch.json"
    command = [
        sys.executable, "-m", "benchmarks.crawl_bench",
        "--raw-fetch-child", running.url(OUTLET, SITEMAP_PATH), str(out),
    ]  # fmt: skip
    child = run_child(command, timeout)
    if child.returncode != 0:
        raise _failure("the raw-fetch spider", child)
    counted = json.loads(out.read_text())
    return {
        "seconds": round(child.seconds, 2),
        "pages": counted["pages"],
        "megabytes": round(counted["bytes"] / 1e6, 1),
        "pages_per_second": round(counted["pages"] / child.seconds, 2),
        "cpu_seconds": round(child.cpu_seconds, 1),
        "server_cpu_seconds": round(child.server_cpu_seconds, 1),
        "peak_rss_mb": round(child.peak_rss_mb, 1),
        "peak_tree_rss_mb": round(child.peak_tree_rss_mb, 1),
        "peak_tree_pss_mb": round(child.peak_tree_pss_mb, 1),
    }


def raw_fetch_child(sitemap_url: str, out: Path) -> None:
    """Child side of `raw_fetch`: crawl the sitemap's pages with the crawl's settings."""
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.http import Response
    from scrapy.spiders import SitemapSpider

    from newsmon.runner import CrawlOptions, crawl_settings

    counted = {"pages": 0, "bytes": 0}

    class RawFetchSpider(SitemapSpider):
        name = "raw_fetch"
        sitemap_urls = [sitemap_url]  # noqa: RUF012 (Scrapy's own class attribute)

        def parse(self, response: Response) -> None:
            counted["pages"] += 1
            counted["bytes"] += len(response.body)

    # The crawl's own settings (concurrency, delays, robots.txt, fetch guard), minus the
    # pipelines and the run recorder: fetching only.
    options = CrawlOptions(builtin_outlets=False, local_web=True)
    settings = crawl_settings(options, run_id=0)
    settings.setdict({"ITEM_PIPELINES": {}, "EXTENSIONS": {}}, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(RawFetchSpider)

    reasons: list[str] = []

    def closed(reason: str) -> None:
        reasons.append(reason)

    crawler.signals.connect(closed, signal=signals.spider_closed)
    process.crawl(crawler)
    process.start()
    if reasons != ["finished"]:
        raise SystemExit(f"The raw-fetch spider stopped early ({reasons}); see the log above.")
    out.write_text(json.dumps(counted))


# -- extraction alone ------------------------------------------------------------------------------


def per_second(
    stages: dict[str, Callable[[bytes, str], object]], pages: Sequence[tuple[bytes, str]]
) -> dict[str, float]:
    """Pages per CPU second of each stage over in-memory pages, in this single process.

    The stages take turns page by page, so a busy machine slows them alike, and CPU time
    leaves out waiting; each stage runs once on the first page before the timing (lazy
    imports, caches)."""
    for stage in stages.values():
        stage(*pages[0])
    spent = dict.fromkeys(stages, 0.0)
    for body, url in pages:
        for name, stage in stages.items():
            start = time.process_time()
            stage(body, url)
            spent[name] += time.process_time() - start
    return {name: len(pages) / max(seconds, 1e-9) for name, seconds in spent.items()}


def extraction_alone(pages: Sequence[tuple[bytes, str]]) -> dict[str, Any]:
    """One core's rate of plain trafilatura, newsmon's extraction, the whole page stage, and
    the topic score and exact-duplicate key alone (on the extracted texts)."""
    import trafilatura

    from crawler.extract import Extracted, extract
    from crawler.pages import FetchedPage, build_record, cached_topic
    from dedup.normalize import content_key

    now = datetime.now(UTC)
    topic = cached_topic()
    texts = {}
    for body, url in pages:
        result = extract(body, url)
        texts[url] = result.seed_text if isinstance(result, Extracted) else ""

    def page_stage(body: bytes, url: str) -> object:
        page = FetchedPage(OUTLET, url, url, body, "utf-8", now, ("127.0.1.2",))
        return build_record(page)

    stages: dict[str, Callable[[bytes, str], object]] = {
        "trafilatura": lambda body, _url: trafilatura.extract(body),
        "newsmon_extract": lambda body, url: extract(body, url),
        "newsmon_page_stage": page_stage,
        "topic_score": lambda _body, url: topic.score(texts[url]),
        "content_key": lambda _body, url: content_key(texts[url]),
    }
    figures: dict[str, Any] = {"pages": len(pages)}
    for name, rate in per_second(stages, pages).items():
        figures[f"{name}_pages_per_second"] = round(rate, 2)
    return figures


def sample(items: Sequence[Any], size: int) -> list[Any]:
    """`size` items spread evenly over `items` (all of them when size is 0 or too big)."""
    if size <= 0 or size >= len(items):
        return list(items)
    step = len(items) / size
    return [items[int(i * step)] for i in range(size)]


# -- the whole benchmark ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.crawl_bench", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--articles", type=int, default=2000, help="article pages to generate")
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[0, 2],
        help="extraction worker counts to crawl with",
    )
    parser.add_argument(
        "--extract-pages",
        type=int,
        default=300,
        help="pages (spread over the site) timed by the extraction-alone figures; 0 = all",
    )
    parser.add_argument(
        "--events",
        type=int,
        default=0,
        help="crawl the bulk site retold as this many events (demoweb.bulk.retell); 0 = the "
        "bulk site, every page about the same few events",
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed per crawl")
    parser.add_argument(
        "--unlinked",
        action="store_true",
        help="also crawl with each --workers count without linking (NEWSMON_LINK=false)",
    )
    parser.add_argument(
        "--raw-fetch-child", nargs=2, metavar=("SITEMAP_URL", "OUT"), help=argparse.SUPPRESS
    )
    return parser.parse_args(argv)


def run(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the whole crawl benchmark and return its figures (the runner writes them out)."""
    args = parse_args(argv)
    if args.articles < 1 or any(w < 0 for w in args.workers):
        raise SystemExit("Use --articles 1 or more and --workers counts of 0 or more.")
    setup = time.perf_counter()
    without_nagle_stall()
    web = prerendered(demoweb.build_bulk_site(args.articles, events=args.events))
    site = web.outlet(OUTLET)
    results: dict[str, Any] = {
        "articles": args.articles,
        "events": args.events,
        "mean_page_kb": round(
            sum(len(site.resources[p.path].body) for p in web.pages) / len(web.pages) / 1024, 1
        ),
        "setup_seconds": round(time.perf_counter() - setup, 1),
    }
    with demoweb.serve(web) as running, tempfile.TemporaryDirectory(prefix="newsmon-bench-") as tmp:
        folder = Path(tmp)
        results["raw_fetch"] = raw_fetch(running, folder, args.timeout)
        results["end_to_end"] = crawls(running, folder, args.workers, args.timeout)
        if args.unlinked:
            results["end_to_end_unlinked"] = crawls(
                running, folder, args.workers, args.timeout, link=False
            )
        pages = [
            (localised(running, site.resources[p.path]), running.url(OUTLET, p.path))
            for p in sample(web.pages, args.extract_pages)
        ]
    results["extraction_alone"] = extraction_alone(pages)
    results["ratios"] = ratios(results)
    return results


def ratios(results: dict[str, Any]) -> dict[str, float]:
    """The headline: what newsmon's per-page CPU stage costs beside plain trafilatura (and
    what the topic score costs beside extraction), the best end-to-end rate over raw fetching
    and over extraction alone, and what the process pool gains over inline extraction."""
    alone = results["extraction_alone"]
    traf = alone["trafilatura_pages_per_second"]
    extract = alone["newsmon_extract_pages_per_second"]
    out: dict[str, float] = {
        # CPU cost per page relative to plain trafilatura's (issue 10: at most 1.3).
        "newsmon_extract_cost_over_trafilatura": traf / extract,
        "page_stage_cost_over_trafilatura": traf / alone["newsmon_page_stage_pages_per_second"],
        "topic_score_cost_over_extract": extract / alone["topic_score_pages_per_second"],
    }
    runs = {k: r for k, r in results["end_to_end"].items() if "error" not in r}
    if runs:
        best = max(runs.values(), key=lambda r: r["articles_per_second"])
        e2e = best["articles_per_second"]
        out |= {
            "e2e_workers": best["workers"],
            "e2e_over_raw_fetch": e2e / results["raw_fetch"]["pages_per_second"],
            "e2e_over_trafilatura_alone": e2e / traf,
            "e2e_over_newsmon_extract_alone": e2e / extract,
            "e2e_over_newsmon_page_stage_alone": e2e / alone["newsmon_page_stage_pages_per_second"],
            # The crawl process's own CPU per stored article beyond what raw fetching costs.
            "crawl_cpu_ms_per_article_beyond_raw_fetch": 1000
            * (
                best["crawl_process_cpu_seconds"] / max(1, best["stored"])
                - results["raw_fetch"]["cpu_seconds"] / max(1, results["raw_fetch"]["pages"])
            ),
        }
    unlinked = [r for r in results.get("end_to_end_unlinked", {}).values() if "error" not in r]
    if unlinked:
        best_unlinked = max(r["articles_per_second"] for r in unlinked)
        out["unlinked_e2e_over_raw_fetch"] = (
            best_unlinked / results["raw_fetch"]["pages_per_second"]
        )
    if "workers_0" in runs and "workers_2" in runs:
        inline = runs["workers_0"]["articles_per_second"]
        out["workers_2_over_workers_0"] = runs["workers_2"]["articles_per_second"] / inline
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.raw_fetch_child:
        raw_fetch_child(args.raw_fetch_child[0], Path(args.raw_fetch_child[1]))
        return
    print(json.dumps(run(argv), indent=2))


if __name__ == "__main__":
    main()
