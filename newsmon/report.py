"""The daily report: what is new since the last run, as Markdown or JSON.

It reads the store only (the crawl already recorded everything), so it can
be produced again at any time for any run or date.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from rich.console import Group, RenderableType
from rich.rule import Rule
from rich.text import Text
from sqlalchemy.orm import Session

from newsmon.render import Col, fit_table, summary_counts
from storage import counters
from storage.changes import (
    NewArticle,
    NewRelation,
    NewStory,
    UpdatedArticle,
    Window,
    new_articles,
    new_relations,
    new_stories,
    updated_articles,
)
from storage.queries import get_run, list_runs
from storage.recrawl import HealthReport, outlet_health

REWRITE_RELATIONS = ("near_duplicate", "rewrite", "translation")


@dataclass(frozen=True)
class OutletLine:
    outlet: str
    counts: dict[str, int]
    flags: tuple[str, ...]


@dataclass(frozen=True)
class RunLine:
    """How a run ended, and why when it did not succeed (`crawl_runs.error`)."""

    id: int
    status: str
    reason: str | None


@dataclass(frozen=True)
class Report:
    title: str
    generated_at: datetime
    run_ids: tuple[int, ...]
    runs: list[RunLine]
    new_articles: list[NewArticle]
    updated_articles: list[UpdatedArticle]
    new_rewrites: list[NewRelation]
    new_same_story: list[NewRelation]
    new_stories: list[NewStory]
    outlets: list[OutletLine]


class ReportError(ValueError):
    """There is nothing to report on; the message says what to run first."""


def build_report(session: Session, run_id: int | None, since: datetime | None) -> Report:
    if since is not None:
        window = Window(since=since)
        runs = [r for r in list_runs(session, limit=1000) if r.started_at >= since]
        title = f"What is new since {since.date().isoformat()}"
        started = since
    else:
        if run_id is None:
            finished = [r for r in list_runs(session, limit=50) if r.status != "running"]
            if not finished:
                raise ReportError(
                    "No crawl has finished yet; run `newsmon crawl` or `newsmon demo`."
                )
            run_id = finished[0].id
        run = get_run(session, run_id)
        if run is None:
            raise ReportError(f"No crawl run {run_id}; `newsmon runs` lists them.")
        window, runs, started = Window(run_id=run_id), [run], run.started_at
        title = (
            f"What is new in crawl run {run_id} ({run.started_at:%Y-%m-%d %H:%M} UTC, {run.status})"
        )
    health = {h.outlet: h for h in outlet_health(session)}
    per_outlet: dict[str, dict[str, Any]] = {}
    for run in runs:
        for outlet, stats in (run.stats or {}).items():
            merged = per_outlet.setdefault(outlet, {})
            for key, value in stats.items():
                if isinstance(value, int):
                    merged[key] = merged.get(key, 0) + value
    return Report(
        title=title,
        generated_at=datetime.now(UTC),
        run_ids=tuple(r.id for r in runs),
        runs=[RunLine(r.id, r.status, r.error) for r in runs],
        new_articles=new_articles(session, window),
        updated_articles=updated_articles(session, window),
        new_rewrites=new_relations(session, window, REWRITE_RELATIONS),
        new_same_story=new_relations(session, window, ("same_story",)),
        new_stories=new_stories(session, window, started),
        outlets=[
            _outlet_line(name, stats, health.get(name))
            for name, stats in sorted(per_outlet.items())
        ],
    )


def _outlet_line(outlet: str, stats: dict[str, Any], health: HealthReport | None) -> OutletLine:
    counts = summary_counts(stats)
    counts["updated"] = counters.count(stats, counters.UPDATED)
    counts["not modified (304)"] = counters.count(stats, counters.NOT_MODIFIED)
    counts["removed"] = counters.count(stats, counters.REMOVED)
    return OutletLine(outlet, counts, health.flags if health else ())


def to_json(report: Report) -> str:
    return json.dumps(asdict(report), default=_jsonable, ensure_ascii=False, indent=2)


def _jsonable(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_markdown(report: Report) -> str:
    lines = [f"# {report.title}", ""]
    troubled = [r for r in report.runs if r.status != "succeeded"]
    if troubled:
        lines += [
            f"- run {r.id}: {r.status}" + (f": {r.reason}" if r.reason else "") for r in troubled
        ]
        lines.append("")
    lines += _section(
        f"New articles ({len(report.new_articles)})",
        [
            f"- #{a.id} **{a.title}** — {a.outlet}, {a.language or '?'}, "
            f"{_day(a.published)} <{a.url}>"
            for a in report.new_articles
        ],
    )
    updated = []
    for u in report.updated_articles:
        updated.append(f"- #{u.id} **{u.title}** — {u.outlet}, now version {u.version} <{u.url}>")
        updated += ["", "  ```diff", *(f"  {line}" for line in u.diff.splitlines()), "  ```", ""]
    lines += _section(f"Updated articles ({len(report.updated_articles)})", updated)
    lines += _section(
        f"New rewrites of known articles ({len(report.new_rewrites)})",
        [
            f"- #{r.article_id} **{r.title}** ({r.outlet}) is a {r.relation.replace('_', ' ')} of "
            f"#{r.related_id} **{r.related_title}** ({r.related_outlet}), score {r.score:.2f}"
            + (f": {r.summary}" if r.summary else "")
            for r in report.new_rewrites
        ],
    )
    lines += _section(
        f"New reports of known stories ({len(report.new_same_story)})",
        [
            f"- #{r.article_id} **{r.title}** ({r.outlet}) reports the same story as "
            f"#{r.related_id} ({r.related_outlet})"
            for r in report.new_same_story
        ],
    )
    lines += _section(
        f"New stories ({len(report.new_stories)})",
        [f"- story {s.id}: **{s.title}** ({_day(s.first_published)})" for s in report.new_stories],
    )
    header = ["outlet", *(report.outlets[0].counts if report.outlets else []), "health"]
    table = [f"| {' | '.join(header)} |", f"|{'---|' * len(header)}"]
    for o in report.outlets:
        flags = "; ".join(o.flags) or "ok"
        table.append(
            f"| {o.outlet} | " + " | ".join(str(v) for v in o.counts.values()) + f" | {flags} |"
        )
    lines += _section("Outlets", table if report.outlets else [])
    return "\n".join(lines).rstrip() + "\n"


def to_terminal(report: Report, width: int) -> Group:
    """The report laid out for a terminal ``width`` columns wide: tables, not Markdown source.

    URLs are left out (`newsmon show ID` has them; `--format md` keeps them); an outlet
    column that is zero for every outlet is named below the table instead of shown.
    """
    parts: list[RenderableType] = [Text(report.title, style="bold")]
    parts += [
        Text(f"run {r.id}: {r.status}" + (f": {r.reason}" if r.reason else ""), style="yellow")
        for r in report.runs
        if r.status != "succeeded"
    ]
    parts += _block(
        f"New articles ({len(report.new_articles)})",
        [
            Col("id", justify="right"),
            Col("published"),
            Col("outlet"),
            Col("lang", drop=1),
            Col("title", flex=True, min_width=20),
        ],
        [
            [str(a.id), _day(a.published), a.outlet, a.language or "?", a.title]
            for a in report.new_articles
        ],
        width,
    )
    parts.append(Rule(f"Updated articles ({len(report.updated_articles)})", align="left"))
    for u in report.updated_articles:
        parts.append(Text(f"#{u.id} {u.title} ({u.outlet}, now version {u.version})"))
        parts += [_diff_line(line) for line in u.diff.splitlines()]
    if not report.updated_articles:
        parts.append(Text("None."))
    parts += _block(
        f"New rewrites of known articles ({len(report.new_rewrites)})",
        [
            Col("id", justify="right"),
            Col("outlet"),
            Col("is a"),
            Col("score", drop=1, justify="right"),
            Col("title", flex=True, min_width=16),
        ],
        [
            [
                str(r.article_id),
                r.outlet,
                f"{r.relation.replace('_', ' ')} of #{r.related_id}",
                f"{r.score:.2f}",
                r.title,
            ]
            for r in report.new_rewrites
        ],
        width,
    )
    parts += _block(
        f"New reports of known stories ({len(report.new_same_story)})",
        [
            Col("id", justify="right"),
            Col("outlet"),
            Col("same story as"),
            Col("title", flex=True, min_width=16),
        ],
        [[str(r.article_id), r.outlet, f"#{r.related_id}", r.title] for r in report.new_same_story],
        width,
    )
    parts += _block(
        f"New stories ({len(report.new_stories)})",
        [Col("story", justify="right"), Col("first published"), Col("title", flex=True)],
        [[str(s.id), _day(s.first_published), s.title] for s in report.new_stories],
        width,
    )
    parts += _outlets_block(report.outlets, width)
    return Group(*parts)


def _block(heading: str, columns: list[Col], rows: list[list[str]], width: int) -> list[Any]:
    body = fit_table(columns, rows, width) if rows else Text("None.")
    return [Rule(heading, align="left"), body]


def _outlets_block(outlets: list[OutletLine], width: int) -> list[Any]:
    if not outlets:
        return _block("Outlets", [], [], width)
    headings = list(outlets[0].counts)
    used = [h for h in headings if any(o.counts[h] for o in outlets)]
    columns = [Col("outlet"), *(Col(h, justify="right") for h in used)]
    columns.append(Col("health", flex=True, min_width=8, max_lines=4))
    rows = [
        [o.outlet, *(str(o.counts[h]) for h in used), "; ".join(o.flags) or "ok"] for o in outlets
    ]
    zero = [h for h in headings if h not in used]
    caption = f"Zero for every outlet: {', '.join(zero)}." if zero else None
    return [Rule("Outlets", align="left"), fit_table(columns, rows, width, caption=caption)]


def _diff_line(line: str) -> Text:
    style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
    return Text("  " + line, style=style)


def _day(moment: datetime | None) -> str:
    return moment.date().isoformat() if moment else "undated"


def _section(heading: str, body: list[str]) -> list[str]:
    return [f"## {heading}", "", *(body or ["None."]), ""]
