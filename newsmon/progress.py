"""Live progress of a crawl, fed by Scrapy signals (one bar per outlet)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from scrapy import signals
from scrapy.crawler import Crawler

from crawler.outlets import Outlet
from crawler.pages import PageSkip
from storage.records import ArticleRecord


class CrawlProgress:
    """Counts requests, pages and stored articles per outlet while the reactor runs."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.fields[outlet]:<16}"),
            BarColumn(bar_width=None),
            TextColumn("{task.completed:>4}/{task.total:<4} requests"),
            TextColumn("[green]{task.fields[stored]:>4} stored"),
            TextColumn("[yellow]{task.fields[skipped]:>4} skipped"),
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
        counts = {"scheduled": 0, "stored": 0, "skipped": 0}

        def scheduled(**_: Any) -> None:
            counts["scheduled"] += 1
            self.progress.update(task, total=counts["scheduled"])

        def done(**_: Any) -> None:
            self.progress.advance(task)

        def item(item: Any, **_: Any) -> None:
            key = "stored" if isinstance(item, ArticleRecord) else "skipped"
            if isinstance(item, ArticleRecord | PageSkip):
                counts[key] += 1
                self.progress.update(task, stored=counts["stored"], skipped=counts["skipped"])

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
