"""Lineage commands: relate two texts, list rewrites, stories and their timelines, relink."""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from dedup.features import Doc
from dedup.judging import summarize
from dedup.verdict import Verdict, relate
from newsmon.common import DbOption, UserError, console, parse_since, store
from storage.lineage import (
    family,
    get_story,
    lineage_of,
    linkable_articles,
    list_stories,
    relations_touching,
    story_members,
)


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


def rewrites(article_id: int, db: DbOption = None) -> None:
    """The copies, spins and translations of an article (and of its source)."""
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
    since: Annotated[
        str | None, typer.Option(help="Stories first published since (YYYY-MM-DD).")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many stories.", min=1)] = 50,
    min_size: Annotated[
        int, typer.Option(help="Only stories of at least this many articles.", min=1)
    ] = 1,
    db: DbOption = None,
) -> None:
    """Stories: articles about one event, with their size, languages, outlets, first publisher."""
    with store(db) as session:
        found = list_stories(session, parse_since(since), limit, min_size)
    table = Table(title=f"{len(found)} stor{'y' if len(found) == 1 else 'ies'}")
    for column in (
        "id",
        "first published",
        "first by",
        "articles",
        "languages",
        "outlets",
        "title",
    ):
        table.add_column(column, overflow="fold")
    for s in found:
        table.add_row(
            str(s.id),
            s.first_published.date().isoformat() if s.first_published else "",
            s.first_outlet or "",
            str(s.size),
            ",".join(s.languages),
            ",".join(s.outlets),
            s.title,
        )
    console.print(table)


def story(story_id: int, db: DbOption = None) -> None:
    """A story's timeline: who published what, when, derived from whom."""
    with store(db) as session:
        summary = get_story(session, story_id)
        if summary is None:
            raise UserError(f"No story {story_id}; `newsmon stories` lists them.")
        members = story_members(session, story_id)
        articles = linkable_articles(session, members)
        lineage = {m: lineage_of(session, m) for m in members}
    console.print(f"[bold]Story {story_id}[/]: {summary.title}")
    table = Table()
    for column in ("when", "id", "outlet", "lang", "title", "lineage"):
        table.add_column(column, overflow="fold")
    for a in sorted(articles, key=lambda a: (a.published or a.first_seen, a.id)):
        info = lineage[a.id]
        how = (
            f"{info.source_relation} of #{info.source_id}"
            if info.source_id
            else "first report"
            if a.id == summary.first_article_id
            else "own report"
        )
        when = a.published or a.first_seen
        table.add_row(f"{when:%Y-%m-%d %H:%M}", str(a.id), a.outlet, a.language or "", a.title, how)
    console.print(table)


def relink(db: DbOption = None) -> None:
    """Recompute every relation and story (after a threshold or algorithm change)."""
    from crawler.linking import relink_all

    with store(db, write=True) as session:
        count, relations = relink_all(session)
        session.commit()
    found = ", ".join(f"{n} {r}" for r, n in sorted(relations.items())) or "no relations"
    console.print(f"Relinked {count} article(s): {found}.")
