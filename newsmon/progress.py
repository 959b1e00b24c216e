"""Live progress of a crawl, fed by Scrapy signals (one bar per outlet)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from scrapy import Request, signals
from scrapy.crawler import Crawler

from crawler.outlets import Outlet
from crawler.pages import PageSkip
from storage.records import ArticleRecord

OUTLET_WIDTH = 17
# The spinner, outlet name, counters and clock take this many columns; the bar gets
# the rest of the line, between these bounds.
COUNTERS_WIDTH = 56 + OUTLET_WIDTH
MIN_BAR, MAX_BAR = 6, 40


class CrawlProgress:
    """Counts requests, pages and stored articles per outlet while the reactor runs.

    "stored" is the store pipeline's own count of new articles; every other page
    that reached the end of the pipeline (an exact duplicate, off-topic, not an
    article) is "skipped". Requests the engine sends without scheduling them
    (robots.txt) are not counted, so the done count never passes the total.
    """

    def __init__(self, console: Console) -> None:
        bar = max(MIN_BAR, min(MAX_BAR, console.width - COUNTERS_WIDTH))
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn(f"[bold]{{task.fields[outlet]:<{OUTLET_WIDTH}}}"),
            BarColumn(bar_width=bar),
            TextColumn("{task.completed:>3}/{task.total:<3} requests"),
            TextColumn("[green]{task.fields[stored]:>3} stored"),
            TextColumn("[yellow]{task.fields[skipped]:>3} skipped"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )

    def __enter__(self) -> CrawlProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def attach(self, crawler: Crawler, outlet: Outlet) -> None:
        task = self.progress.add_task("", total=0, outlet=outlet.name, stored=0, skipped=0)
        pending: set[int] = set()
        counts = {"scheduled": 0, "pages": 0}

        def scheduled(request: Request, **_: Any) -> None:
            pending.add(id(request))
            counts["scheduled"] += 1
            self.progress.update(task, total=counts["scheduled"])

        def done(request: Request, **_: Any) -> None:
            if id(request) in pending:
                pending.discard(id(request))
                self.progress.advance(task)

        def item(item: Any, **_: Any) -> None:
            if isinstance(item, ArticleRecord | PageSkip):
                counts["pages"] += 1
                stored = int(crawler.stats.get_value("newsmon/stored", 0)) if crawler.stats else 0
                self.progress.update(task, stored=stored, skipped=counts["pages"] - stored)

        def closed(**_: Any) -> None:
            self.progress.update(task, total=counts["scheduled"], completed=counts["scheduled"])

        # Scrapy keeps weak references to receivers; keep ours alive on the crawler.
        receivers = [
            (scheduled, signals.request_scheduled),
            (done, signals.request_left_downloader),
            (done, signals.request_dropped),
            (item, signals.item_scraped),
            (closed, signals.spider_closed),
        ]
        for receiver, signal in receivers:
            crawler.signals.connect(receiver, signal=signal)
        crawler.__dict__.setdefault("_newsmon_receivers", []).extend(receivers)
