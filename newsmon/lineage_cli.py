"""Lineage commands: relate two texts, list rewrites, stories and their timelines, relink."""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.markup import escape
from rich.table import Table

from dedup.features import Doc
from dedup.judging import summarize
from dedup.verdict import Verdict, relate
from newsmon.common import (
    DbOption,
    SinceAlias,
    UserError,
    console,
    err,
    known_outlet,
    language_code,
    since_option,
    store,
)
from newsmon.render import Col, fit_table
from newsmon.story_svg import timeline_svg
from storage.lineage import (
    family,
    lineage_of,
    linkable_articles,
    relations_touching,
)
from storage.views import (
    StoryFilter,
    StoryMember,
    StoryOrder,
    StoryView,
    family_view,
    list_story_items,
    story_view,
    to_jsonable,
)

TableOrJson = Literal["table", "json"]
StoryFormat = Literal["table", "json", "md"]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(
            f"Cannot read {path} as UTF-8 text ({exc}); give seed-format .txt files."
        ) from exc


def _print_verdict(verdict: Verdict) -> None:
    ev = verdict.evidence
    console.print(f"[bold]{verdict.relation}[/] (score {verdict.score:.2f})")
    pair = ev.get("language_pair")
    if pair:
        console.print(f"languages: {pair[0]} → {pair[1]}")
    summary = summarize(verdict.relation, ev)
    if summary:
        console.print(summary)
    for a, b, *_ in ev.get("substituted", [])[:12]:
        console.print(f"  substituted: {a!r} → {b!r}")
    dropped = ev.get("dropped") or {}
    if dropped and verdict.relation in ("rewrite", "near_duplicate"):
        console.print(
            f"  paragraphs only in A: {dropped.get('a', [])}; only in B: {dropped.get('b', [])}"
        )
    for passage in ev.get("shared_passages", []):
        console.print(f"  shared passage: {passage[:160]}{'…' if len(passage) > 160 else ''}")


def relate_command(
    texts: Annotated[list[Path] | None, typer.Argument(help="Two seed-format text files.")] = None,
    pairs: Annotated[
        Path | None,
        typer.Option(
            help='JSON Lines of {"id", "text_a", "text_b"}; writes {"id", "relation", '
            '"score"} per line.'
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
) -> None:
    """How two texts relate: exact, near_duplicate, rewrite, translation, same_story, unrelated."""
    if pairs is not None:
        _relate_pairs(pairs)
        return
    if not texts or len(texts) != 2:
        raise UserError("Give two text files (newsmon relate A.txt B.txt) or --pairs FILE.jsonl.")
    verdict = relate(Doc(_read(texts[0])), Doc(_read(texts[1])))
    if as_json:
        out = {"relation": verdict.relation, "score": verdict.score, "evidence": verdict.evidence}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    else:
        _print_verdict(verdict)


PARALLEL_FROM = 64
"""Pairs from which `relate --pairs` spreads the verdicts over every core."""


def _verdict_line(pair: tuple[Any, str, str]) -> str:
    """One output line: a pure function of the pair, so a worker process can run it."""
    pair_id, a, b = pair
    verdict = relate(Doc(a), Doc(b))
    out = {"id": pair_id, "relation": verdict.relation, "score": round(verdict.score, 4)}
    return json.dumps(out, ensure_ascii=False)


def _relate_pairs(path: Path) -> None:
    """The evaluation contract: one output line per input line, in order.

    Every line is checked before any verdict, so a bad line costs no work; large
    inputs use every core (verdicts are independent and CPU-bound).
    """
    source = sys.stdin if str(path) == "-" else None
    lines = source.readlines() if source else _read(path).splitlines()
    pairs = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            pair: dict[str, Any] = json.loads(line)
            pairs.append((pair.get("id"), str(pair["text_a"]), str(pair["text_b"])))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise UserError(
                f"Line {number} of {path} is not a JSON object with id, text_a and text_b ({exc})."
            ) from exc
    workers = os.cpu_count() or 1
    if len(pairs) < PARALLEL_FROM or workers == 1:
        results: Iterable[str] = map(_verdict_line, pairs)
        for out in results:
            sys.stdout.write(out + "\n")
        return
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        for out in pool.map(_verdict_line, pairs, chunksize=16):
            sys.stdout.write(out + "\n")


def rewrites(
    article_id: int,
    fmt: Annotated[
        TableOrJson, typer.Option("--format", help="table, or json with the evidence.")
    ] = "table",
    db: DbOption = None,
) -> None:
    """The copies, spins and translations of an article (and of its source)."""
    if fmt == "json":
        with store(db) as session:
            view = family_view(session, article_id)
        if view is None:
            raise UserError(f"No article {article_id}; `newsmon articles` lists the ids.")
        _write_json(view)
        return
    with store(db) as session:
        lineage = lineage_of(session, article_id)
        source = lineage.source_id or article_id
        members = family(session, source)
        articles = {a.id: a for a in linkable_articles(session, members)}
        if article_id not in articles and not linkable_articles(session, [article_id]):
            raise UserError(f"No article {article_id}; `newsmon articles` lists the ids.")
        relations = {(r.article_id, r.related_id): r for r in relations_touching(session, members)}
    table = Table(
        title=f"Family of #{source}: {articles[source].title if source in articles else ''}"
    )
    for column in (
        "id",
        "outlet",
        "published",
        "lang",
        "relation to source",
        "score",
        "how it differs",
    ):
        table.add_column(column, overflow="fold")
    for member in members:
        a = articles.get(member)
        if a is None:
            continue
        r = relations.get((member, source)) or relations.get((source, member))
        label = "source" if member == source else (r.relation if r else "via others")
        table.add_row(
            f"{member}{' *' if member == article_id else ''}",
            a.outlet,
            a.published.date().isoformat() if a.published else "",
            a.language or "",
            label,
            f"{r.score:.2f}" if r else "",
            str(r.evidence.get("summary", "")) if r else "",
        )
    console.print(table)
    if len(members) == 1:
        console.print("No copies, spins or translations of it are stored.")
    for member in members:
        r = relations.get((member, source)) or relations.get((source, member))
        if member != source and r is not None and r.relation in {"near_duplicate", "rewrite"}:
            _print_paragraph_changes(member, r.evidence)


def _print_paragraph_changes(member: int, evidence: Mapping[str, Any], width: int = 110) -> None:
    """What a copy left out of its source and what it added, as the paragraphs themselves."""
    for key, verb in (("dropped_text", "left out"), ("added_text", "added")):
        paragraphs = evidence.get(key) or []
        if paragraphs:
            console.print(f"#{member} {verb} {len(paragraphs)} paragraph(s):")
            for text in paragraphs:
                shown = text if len(text) <= width else text[: width - 1] + "…"
                console.print(f"  {'-' if verb == 'left out' else '+'} {shown}", markup=False)


def stories(
    published_since: Annotated[
        str | None,
        typer.Option(
            help="Stories whose first article was published on or after this date "
            "(2022-06-15, yesterday, 7d)."
        ),
    ] = None,
    since: SinceAlias = None,
    outlet: Annotated[str | None, typer.Option(help="Stories this outlet reported.")] = None,
    lang: Annotated[str | None, typer.Option(help="Stories reported in this language.")] = None,
    search: Annotated[
        str | None, typer.Option(help="Stories with an article that has these words.")
    ] = None,
    order: Annotated[
        StoryOrder, typer.Option(help="newest (first report) or biggest (most articles) first.")
    ] = "newest",
    limit: Annotated[int, typer.Option(help="At most this many stories.", min=1)] = 50,
    min_size: Annotated[
        int, typer.Option(help="Only stories of at least this many articles.", min=1)
    ] = 1,
    fmt: Annotated[TableOrJson, typer.Option("--format", help="table or json.")] = "table",
    db: DbOption = None,
) -> None:
    """Stories: articles about one event, with their size, languages, outlets, first publisher."""
    start = since_option(published_since, since, "--published-since")
    with store(db) as session:
        filters = StoryFilter(
            since=start,
            outlet=known_outlet(session, outlet),
            language=language_code(session, lang),
            search=search,
            min_size=min_size,
        )
        found = list_story_items(session, filters, order, limit)
    if fmt == "json":
        _write_json(found)
        return
    columns = [
        Col("id", justify="right"),
        Col("first published"),
        Col("first by", drop=2),
        Col("articles", justify="right"),
        Col("languages", drop=1),
        Col("outlets", flex=True, drop=3, max_lines=2),
        Col("title", flex=True, min_width=20, max_lines=3),
    ]
    rows = [
        [
            str(s.id),
            s.first_published.date().isoformat() if s.first_published else "",
            s.first_outlet or "",
            str(s.size),
            " ".join(s.languages),
            ", ".join(s.outlets),
            s.title,
        ]
        for s in found
    ]
    title = f"{len(found)} stor{'y' if len(found) == 1 else 'ies'}"
    console.print(fit_table(columns, rows, console.width, title=title))


def story(
    story_id: int,
    fmt: Annotated[
        StoryFormat, typer.Option("--format", help="table, json or md (Markdown).")
    ] = "table",
    graph: Annotated[
        Path | None,
        typer.Option(help="Also write the story's timeline, as on its web page, to this SVG file."),
    ] = None,
    db: DbOption = None,
) -> None:
    """A story's timeline: who published what, when, derived from whom."""
    with store(db) as session:
        view = story_view(session, story_id)
    if view is None:
        raise UserError(f"No story {story_id}; `newsmon stories` lists them.")
    if graph is not None:
        try:
            graph.write_text(timeline_svg(view) + "\n", encoding="utf-8")
        except OSError as exc:
            raise UserError(f"Cannot write {graph} ({exc.strerror}); choose another path.") from exc
        err.print(f"Wrote the timeline of story {story_id} to {graph}.")
    if fmt == "json":
        _write_json(view)
    elif fmt == "md":
        sys.stdout.write(story_markdown(view))
    else:
        _print_story(view)


def _print_story(view: StoryView) -> None:
    console.print(f"[bold]Story {view.id}[/]: {escape(view.title)}")
    rows = [
        [
            f"{m.when:%Y-%m-%d %H:%M}",
            str(m.id),
            m.outlet,
            m.language or "",
            m.title,
            _how(m, view.first_article_id),
            _lag(m.lag),
        ]
        for m in view.members
    ]
    columns = [
        Col("when"),
        Col("id", justify="right"),
        Col("outlet"),
        Col("lang", drop=1),
        Col("title", flex=True, min_width=20, max_lines=3),
        Col("lineage", flex=True),
        Col("lag", drop=2),
    ]
    console.print(fit_table(columns, rows, console.width))


def _how(member: StoryMember, first: int | None) -> str:
    if member.source_id is not None:
        return f"{member.relation or member.role} of #{member.source_id}"
    if member.id == first:
        return "first report"
    return "source of copies" if member.role == "source" else "own report"


def _lag(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes == 0:
        return "first"
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return "+" + (f"{days}d " if days else "") + f"{hours}h{minutes:02d}"


def story_markdown(view: StoryView) -> str:
    """A story as Markdown: its members in time order, then when each outlet and language
    first reported it."""
    lines = [f"# Story {view.id}: {view.title}", ""]
    lines += [
        "| published (UTC) | article | outlet | lang | lineage | score | lag |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in view.members:
        undated = "" if m.dated else " (first seen)"
        title = m.title.replace("|", "\\|")
        lines.append(
            f"| {m.when:%Y-%m-%d %H:%M}{undated} | #{m.id} {title} | {m.outlet} | "
            f"{m.language or ''} | {_how(m, view.first_article_id)} | "
            f"{'' if m.score is None else f'{m.score:.2f}'} | {_lag(m.lag)} |"
        )
    for heading, firsts in (("Outlets", view.outlets), ("Languages", view.languages)):
        lines += ["", f"## {heading}: first report", ""]
        lines += [f"- {f.key}: #{f.article_id} ({f.outlet}), {_lag(f.lag)}" for f in firsts]
    return "\n".join(lines) + "\n"


def _write_json(value: object) -> None:
    sys.stdout.write(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2) + "\n")


def relink(db: DbOption = None) -> None:
    """Recompute every relation and story (after a threshold or algorithm change)."""
    from crawler.linking import relink_all

    with store(db, write=True) as session:
        count, relations = relink_all(session)
        session.commit()
    found = ", ".join(f"{n} {r}" for r, n in sorted(relations.items())) or "no relations"
    console.print(f"Relinked {count} article(s): {found}.")
