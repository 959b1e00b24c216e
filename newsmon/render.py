"""Rich tables and plain-text renderings of what the store holds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rich.table import Table

from crawler.outlets import Outlet
from storage import counters as c

# Summary columns: (heading, counters summed for it; a family sums every kind).
SUMMARY_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("fetched", (c.PAGES_FETCHED,)),
    ("stored", (c.STORED,)),
    ("exact dup", (c.DUPLICATE_TEXT, c.DUPLICATE_URL)),
    ("off-topic", (c.OFF_TOPIC, c.OFF_TOPIC_TITLE)),
    (
        "non-article",
        tuple(
            c.SKIPPED + kind
            for kind in (
                "not_article",
                "too_short",
                "empty",
                "binary",
                "not_html",
                "too_large",
                "unparsable",
            )
        ),
    ),
    ("failed", (c.FAILED,)),
)


def summary_counts(stats: Mapping[str, Any]) -> dict[str, int]:
    return {heading: c.count(stats, *names) for heading, names in SUMMARY_COLUMNS}


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
    for column in ("title", "languages", "feeds", "sitemaps", "sections", "homepage"):
        table.add_column(column, overflow="fold")
    for o in outlets:
        table.add_row(
            o.name,
            o.title,
            ",".join(o.languages),
            str(len(o.feeds)),
            str(len(o.sitemaps)),
            str(len(o.sections)),
            o.homepage,
        )
    return table
