"""`newsmon demo`: serve the bundled offline news web on loopback and crawl it.

This is the whole product on one machine with no network: the same spiders,
pipelines and store as a real crawl, pointed at demo outlets on 127.0.0.x.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

from rich.table import Table
from sqlalchemy.orm import Session

from crawler.outlets import Outlet, append_outlet, outlet_from_table
from crawler.urls import canonicalize
from demoweb import SEED_PAGES, RunningWeb
from newsmon.render import Col, fit_table
from storage.lineage import relations_touching, stories_of
from storage.queries import known_url


def demo_outlets(web: RunningWeb) -> list[Outlet]:
    return [outlet_from_table(entry, "the demo web") for entry in web.outlet_entries()]


def write_outlets_file(outlets: list[Outlet], path: Path) -> Path:
    """The demo outlets as a registry file, for crawls run in a child process."""
    path.unlink(missing_ok=True)
    for outlet in outlets:
        append_outlet(path, outlet)
    return path


def seed_lineage(session: Session, web: RunningWeb, width: int) -> Table:
    """How the five seed pages came out: 000, 001, 004 one family; 002 and 003 one story."""
    ids: dict[str, int] = {}
    for stem, (outlet, path) in sorted(SEED_PAGES.items()):
        article_id = known_url(session, canonicalize(web.url(outlet, path)))
        if article_id is not None:
            ids[stem[:3]] = article_id
    by_pair = {
        frozenset((r.article_id, r.related_id)): r
        for r in relations_touching(session, ids.values())
    }
    rows = []
    for (a, id_a), (b, id_b) in combinations(sorted(ids.items()), 2):
        relation = by_pair.get(frozenset((id_a, id_b)))
        if relation is None:
            # Unrelated verdicts are not stored, and not every pair is a candidate.
            rows.append([f"{a}–{b}", f"#{id_a} #{id_b}", "—", "", "no relation stored"])
            continue
        evidence = relation.evidence
        shared = evidence.get("shared_passages") or []
        detail = str(evidence.get("summary", ""))
        if shared:
            detail += "".join(f"\n“{p[:90]}…”" for p in shared)
        rows.append(
            [f"{a}–{b}", f"#{id_a} #{id_b}", relation.relation, f"{relation.score:.2f}", detail]
        )
    stories: dict[int, list[str]] = {}
    story_of = stories_of(session, ids.values())
    for seed, article_id in sorted(ids.items()):
        if article_id in story_of:
            stories.setdefault(story_of[article_id], []).append(seed)
    caption = "; ".join(
        f"story #{story}: {', '.join(seeds)}" for story, seeds in sorted(stories.items())
    )
    columns = [
        Col("pair"),
        Col("articles"),
        Col("relation"),
        Col("score", justify="right"),
        Col("evidence", flex=True, min_width=20, max_lines=16),
    ]
    return fit_table(columns, rows, width, title="Lineage of the five seed pages", caption=caption)
