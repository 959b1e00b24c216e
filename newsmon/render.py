"""Rich tables and plain-text renderings of what the store holds."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console, JustifyMethod
from rich.table import Table
from rich.text import Text

from crawler.outlets import ListingCheck, Outlet
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


def run_summary_table(
    run_id: int, per_outlet: Mapping[str, Mapping[str, Any]], width: int
) -> Table:
    totals = dict.fromkeys((h for h, _ in SUMMARY_COLUMNS), 0)
    rows = []
    for outlet in sorted(per_outlet):
        counts = summary_counts(per_outlet[outlet])
        for heading, value in counts.items():
            totals[heading] += value
        rows.append([outlet, *(str(v) for v in counts.values())])
    columns = [
        Col("outlet"),
        *(Col(heading, justify="right") for heading, _ in SUMMARY_COLUMNS),
    ]
    total = ["total", *(str(v) for v in totals.values())]
    return fit_table(columns, rows, width, title=f"Crawl run {run_id}", total=total)


def outlets_table(outlets: Iterable[Outlet], width: int) -> Table:
    columns = [
        Col("name"),
        Col("title", flex=True, min_width=10),
        Col("languages"),
        Col("status"),
        Col("why", flex=True, min_width=16, max_lines=3, drop=2),
        Col("feeds", drop=6, justify="right"),
        Col("sitemaps", drop=7, justify="right"),
        Col("sections", drop=8, justify="right"),
        Col("politeness", drop=3),
        Col("homepage", drop=5),
    ]
    rows = []
    for o in outlets:
        politeness = ", ".join(
            part
            for part in (
                f"{o.crawl_delay:g} s apart" if o.crawl_delay is not None else "",
                f"{o.concurrency} at once" if o.concurrency is not None else "",
            )
            if part
        )
        rows.append(
            [
                o.name,
                o.title,
                " ".join(o.languages),
                o.status,
                o.status_note or "",
                str(len(o.feeds)),
                str(len(o.sitemaps)),
                str(len(o.sections)),
                politeness or "default",
                o.homepage,
            ]
        )
    return fit_table(columns, rows, width, title="Outlets")


# Screen-fitting tables: every command's table is laid out for the reader's width.


@dataclass(frozen=True)
class Col:
    """One column of a `fit_table`.

    ``drop`` orders the columns a narrow screen gives up first (highest first; 0 is
    always shown). A ``flex`` column takes the width the others leave and wraps at
    words, up to ``max_lines`` lines; every other column is as wide as its widest
    cell, so names, dates and numbers are never cut into pieces.
    """

    header: str
    drop: int = 0
    flex: bool = False
    min_width: int = 12
    max_lines: int = 2
    justify: JustifyMethod = "left"


# Column gap: one padding space plus the box's blank vertical rule.
GAP = 2


def fit_table(
    columns: Sequence[Col],
    rows: Sequence[Sequence[str]],
    width: int,
    title: str | None = None,
    caption: str | None = None,
    total: Sequence[str] | None = None,
) -> Table:
    """A table no wider than ``width``: whole columns are dropped before any is mangled.

    ``total`` is a last row in bold below a rule (a column sum).

    When even the columns that are never dropped do not fit, flex columns get their
    minimum width and the table is wider than the screen rather than unreadable.
    """
    every = [*rows, total] if total else rows
    natural = [
        max([_header_width(c.header), *(cell_len(row[i]) for row in every)])
        for i, c in enumerate(columns)
    ]
    shown = list(range(len(columns)))
    while True:
        fixed = sum(natural[i] for i in shown if not columns[i].flex)
        flex = [i for i in shown if columns[i].flex]
        room = width - fixed - GAP * (len(shown) - 1)
        needed = sum(min(columns[i].min_width, natural[i]) for i in flex)
        droppable = [i for i in shown if columns[i].drop > 0]
        if room >= needed or not droppable:
            break
        shown.remove(max(droppable, key=lambda i: (columns[i].drop, i)))
    widths = dict(zip(shown, (natural[i] for i in shown), strict=True))
    if flex:
        _share(widths, flex, [min(columns[i].min_width, natural[i]) for i in flex], room)
    table = Table(
        title=title,
        caption=caption,
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
        expand=False,
    )
    for i in shown:
        c = columns[i]
        table.add_column(
            c.header if cell_len(c.header) <= widths[i] else c.header.replace(" ", "\n"),
            width=widths[i],
            justify=c.justify,
            no_wrap=not c.flex,
            overflow="fold" if c.flex else "ellipsis",
        )
    for row in rows:
        table.add_row(
            *(
                _clip(row[i], widths[i], columns[i].max_lines) if columns[i].flex else Text(row[i])
                for i in shown
            )
        )
    if total:
        table.add_section()
        table.add_row(*(Text(total[i], style="bold") for i in shown))
    return table


def listing_checks_table(checks: Iterable[ListingCheck]) -> Table:
    """What each listing of `newsmon outlets check` gave (or why it gave nothing)."""
    table = Table(title="Listings")
    for column in ("kind", "url", "result", "listed", "articles", "children", "dropped", "newest"):
        table.add_column(column, overflow="fold")
    for check in checks:
        dropped = ", ".join(f"{reason} {n}" for reason, n in sorted(check.dropped.items()))
        table.add_row(
            check.kind,
            check.url,
            f"[red]{check.error}[/]" if check.error else "ok",
            "" if check.error else str(check.links),
            "" if check.error else str(check.articles),
            "" if check.error else str(check.children),
            dropped,
            f"{check.newest:%Y-%m-%d %H:%M}" if check.newest else "",
        )
    return table


def _header_width(header: str) -> int:
    """A header wraps at its spaces, never inside a word."""
    return max(cell_len(word) for word in header.split())


def _share(widths: dict[int, int], flex: list[int], minimum: list[int], room: int) -> None:
    """Give the flex columns their minimum, then the rest in proportion to their need."""
    wanted = [widths[i] for i in flex]
    spare = max(0, room - sum(minimum))
    extra = sum(w - m for w, m in zip(wanted, minimum, strict=True))
    for i, need, least in zip(flex, wanted, minimum, strict=True):
        share = (need - least) * spare // extra if extra > spare else need - least
        widths[i] = least + share


def _clip(text: str, width: int, max_lines: int) -> Text:
    """``text`` wrapped at ``width``, cut after ``max_lines`` lines with an ellipsis."""
    lines = [line.plain.rstrip() for line in Text(text).wrap(_MEASURE, width)]
    if len(lines) <= max_lines:
        return Text(text)
    last = lines[max_lines - 1]
    while last and cell_len(last) + 1 > width:
        last = last[:-1]
    return Text("\n".join([*lines[: max_lines - 1], last.rstrip() + "…"]))


# Wrapping needs a console only for its settings; this one never prints.
_MEASURE = Console(width=1000, file=io.StringIO())
