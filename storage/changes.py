"""What changed in the store during a window: the queries behind `newsmon report`.

A window is either one crawl run (everything it wrote carries its run id) or
a point in time (everything first seen, replaced or related since then).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import QueryableAttribute, Session, aliased

from storage.models import Article, ArticleVersion, Outlet, Relation, Story


@dataclass(frozen=True)
class Window:
    run_id: int | None = None
    since: datetime | None = None

    def __post_init__(self) -> None:
        if (self.run_id is None) == (self.since is None):
            raise ValueError("a window is one run or a start time, not both or neither")


@dataclass(frozen=True)
class NewArticle:
    id: int
    outlet: str
    title: str
    url: str
    published: datetime | None
    language: str | None


@dataclass(frozen=True)
class UpdatedArticle:
    id: int
    outlet: str
    title: str
    url: str
    version: int
    diff: str


@dataclass(frozen=True)
class NewRelation:
    article_id: int
    outlet: str
    title: str
    related_id: int
    related_outlet: str
    related_title: str
    relation: str
    score: float
    summary: str


@dataclass(frozen=True)
class NewStory:
    id: int
    title: str
    first_published: datetime | None


def _in_window(
    window: Window,
    run_column: QueryableAttribute[int | None],
    time_column: QueryableAttribute[datetime],
) -> ColumnElement[bool]:
    if window.run_id is not None:
        return run_column == window.run_id
    assert window.since is not None
    return time_column >= window.since


def new_articles(session: Session, window: Window) -> list[NewArticle]:
    rows = session.execute(
        select(
            Article.id, Outlet.name, Article.title, Article.url, Article.published, Article.language
        )
        .join(Outlet)
        .where(_in_window(window, Article.run_id, Article.first_seen))
        # Undated first, as SQLite sorts NULLs; PostgreSQL would put them last.
        .order_by(Article.published.nulls_first(), Article.id)
    )
    return [NewArticle(*row) for row in rows]


def updated_articles(session: Session, window: Window) -> list[UpdatedArticle]:
    rows = session.execute(
        select(
            Article.id,
            Outlet.name,
            Article.title,
            Article.url,
            ArticleVersion.version + 1,
            ArticleVersion.diff,
        )
        .join(Article, Article.id == ArticleVersion.article_id)
        .join(Outlet, Outlet.id == Article.outlet_id)
        .where(_in_window(window, ArticleVersion.run_id, ArticleVersion.replaced_at))
        .order_by(ArticleVersion.replaced_at)
    )
    return [UpdatedArticle(*row) for row in rows]


def new_relations(
    session: Session, window: Window, relations: tuple[str, ...]
) -> list[NewRelation]:
    """Relations made in the window, e.g. new rewrites and translations of known articles."""
    other = aliased(Article)
    other_outlet = aliased(Outlet)
    rows = session.execute(
        select(
            Relation.article_id,
            Outlet.name,
            Article.title,
            Relation.related_id,
            other_outlet.name,
            other.title,
            Relation.relation,
            Relation.score,
            Relation.evidence,
        )
        .join(Article, Article.id == Relation.article_id)
        .join(Outlet, Outlet.id == Article.outlet_id)
        .join(other, other.id == Relation.related_id)
        .join(other_outlet, other_outlet.id == other.outlet_id)
        .where(_in_window(window, Relation.run_id, Relation.created_at))
        .where(Relation.relation.in_(relations))
        .order_by(Relation.created_at)
    )
    return [
        NewRelation(a, o, t, r, ro, rt, rel, score, str((evidence or {}).get("summary", "")))
        for a, o, t, r, ro, rt, rel, score, evidence in rows
    ]


def new_stories(session: Session, window: Window, started: datetime) -> list[NewStory]:
    """Stories opened since the window began (stories have no run id of their own)."""
    rows = session.execute(
        select(Story.id, Story.title, Story.first_published)
        .where(Story.created_at >= (window.since or started))
        .order_by(Story.first_published.nulls_first(), Story.id)
    )
    return [NewStory(*row) for row in rows]
