"""Rich tables and plain-text renderings of what the store holds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rich.table import Table

from crawler.outlets import ListingCheck, Outlet

# Summary columns: (heading, stat keys summed for it). Keys are the crawl's
# ``newsmon/*`` stats without the prefix; "failed/" sums every failure kind.
SUMMARY_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("fetched", ("pages_fetched",)),
    ("stored", ("stored",)),
    ("exact dup", ("duplicate_text", "duplicate_url")),
    ("off-topic", ("skipped/off_topic", "skipped/off_topic_title")),
    (
        "non-article",
        (
            "skipped/not_article",
            "skipped/too_short",
            "skipped/empty",
            "skipped/binary",
            "skipped/not_html",
            "skipped/too_large",
            "skipped/unparsable",
        ),
    ),
    ("failed", ("failed/",)),
)


def summary_counts(stats: Mapping[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for heading, keys in SUMMARY_COLUMNS:
        total = 0
        for key in keys:
            if key.endswith("/"):
                total += sum(int(v) for k, v in stats.items() if k.startswith(key))
            else:
                total += int(stats.get(key, 0))
        counts[heading] = total
    return counts


def run_summary_table(run_id: int, per_outlet: Mapping[str, Mapping[str, Any]]) -> Table:
    table = Table(title=f"Crawl run {run_id}")
    table.add_column("outlet", no_wrap=True)
    for heading, _ in SUMMARY_COLUMNS:
        table.add_column(heading, justify="right")
    totals = dict.fromkeys((h for h, _ in SUMMARY_COLUMNS), 0)
    for outlet in sorted(per_outlet):
        counts = summary_counts(per_outlet[outlet])
        for heading, value in counts.items():
            totals[heading] += value
        table.add_row(outlet, *(str(v) for v in counts.values()))
    table.add_section()
    table.add_row("[bold]total", *(f"[bold]{v}" for v in totals.values()))
    return table


def outlets_table(outlets: Iterable[Outlet]) -> Table:
    table = Table(title="Outlets")
    table.add_column("name", no_wrap=True)
    for column in ("title", "languages", "status", "feeds", "sitemaps", "sections"):
        table.add_column(column, overflow="fold")
    table.add_column("politeness", no_wrap=True)
    table.add_column("homepage", overflow="fold")
    for o in outlets:
        status = o.status if o.status == "ok" else f"[bold]{o.status}[/]"
        politeness = ", ".join(
            part
            for part in (
                f"{o.crawl_delay:g} s apart" if o.crawl_delay is not None else "",
                f"{o.concurrency} at once" if o.concurrency is not None else "",
            )
            if part
        )
        table.add_row(
            o.name,
            o.title,
            ",".join(o.languages),
            f"{status}: {o.status_note}" if o.status_note else status,
            str(len(o.feeds)),
            str(len(o.sitemaps)),
            str(len(o.sections)),
            politeness or "default",
            o.homepage,
        )
    return table


def listing_checks_table(checks: Iterable[ListingCheck]) -> Table:
    """What each listing of `newsmon outlets check` gave (or why it gave nothing)."""
    table = Table(title="Listings")
    for column in ("kind", "url", "result", "listed", "articles", "children", "dropped", "newest"):
        table.add_column(column, overflow="fold")
    for c in checks:
        dropped = ", ".join(f"{reason} {n}" for reason, n in sorted(c.dropped.items()))
        table.add_row(
            c.kind,
            c.url,
            f"[red]{c.error}[/]" if c.error else "ok",
            "" if c.error else str(c.links),
            "" if c.error else str(c.articles),
            "" if c.error else str(c.children),
            dropped,
            f"{c.newest:%Y-%m-%d %H:%M}" if c.newest else "",
        )
    return table
