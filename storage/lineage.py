"""Queries behind rewrite lineage: signatures, relations, families and stories.

The verdicts come from the pure ``dedup`` package; this module only stores
and reads them. Relations are stored once per pair, the later article
(``article_id``) pointing at the earlier one (``related_id``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    Select,
    bindparam,
    delete,
    func,
    insert,
    null,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from dedup.judging import Judgement
from storage.db import JSONText, inserted_id, written
from storage.models import (
    ARTICLES,
    OUTLETS,
    Article,
    ArticleSignature,
    Lineage,
    Outlet,
    Relation,
    Story,
    table_of,
    utcnow,
)
from storage.records import ArticleRef, LinkableArticle, TextStamp


@dataclass(frozen=True)
class StoredRelation:
    article_id: int
    related_id: int
    relation: str
    score: float
    evidence: Mapping[str, Any]


@dataclass(frozen=True)
class LineageInfo:
    story_id: int | None
    source_id: int | None
    source_relation: str | None


def _linkable(rows: Iterable[Any]) -> list[LinkableArticle]:
    return [LinkableArticle(*row) for row in rows]


_ARTICLE, _OUTLET = ARTICLES.c, OUTLETS.c
_WITH_OUTLET = ARTICLES.join(OUTLETS, _ARTICLE.outlet_id == _OUTLET.id)
_LINKABLE = (
    _ARTICLE.id,
    _OUTLET.name,
    _ARTICLE.title,
    _ARTICLE.text,
    _ARTICLE.language,
    _ARTICLE.published,
    _ARTICLE.first_seen,
)


def linkable_articles(session: Session, ids: Sequence[int]) -> list[LinkableArticle]:
    return _linkable(session.execute(_statements().linkable, {"ids": list(ids)}))


_STAMP = (_ARTICLE.content_key, _ARTICLE.version, _ARTICLE.extractor_version)
_REF = (
    _ARTICLE.id,
    _OUTLET.name,
    _ARTICLE.title,
    _ARTICLE.language,
    _ARTICLE.published,
    _ARTICLE.first_seen,
    *_STAMP,
)


def article_refs(session: Session, ids: Sequence[int]) -> list[ArticleRef]:
    """The articles, by id (in id order), without their texts: what a verdict needs of an
    article whose text the judging process parsed before."""
    return [ArticleRef(*row) for row in session.execute(_statements().refs, {"ids": list(ids)})]


def article_ref_and_text(session: Session, article_id: int) -> tuple[ArticleRef, str] | None:
    """An article without its text (`article_refs`) and its text, read together: the
    crawl reads them for every article it links (None when there is no such article)."""
    row = session.execute(_statements().ref_and_text, {"id": article_id}).first()
    return None if row is None else (ArticleRef(*row[:-1]), row[-1])


def article_texts(session: Session, ids: Sequence[int]) -> dict[int, tuple[TextStamp, str]]:
    """Each article's text and, read with it, what names it (`ArticleRef.text_stamp`):
    no dates to parse, no outlet to join (the crawl reads these for a new article's older
    candidates, a few a page)."""
    rows = session.execute(_statements().texts, {"ids": list(ids)})
    return {row[0]: ((row[1], row[2], row[3]), row[4]) for row in rows}


@dataclass(frozen=True)
class _Statements:
    """The queries linking runs for every article, built once with their values as
    parameters: building a statement costs about as much CPU as running it."""

    linkable: Executable
    refs: Executable
    texts: Executable
    stories: Executable
    heads: Executable
    openers: Executable
    signed_after: Executable
    signed_through: Executable
    ref_and_text: Executable
    update_story: Executable
    insert_story: Executable
    insert_relations: Executable


@cache
def _statements() -> _Statements:
    # Core statements on the tables (`table_of`): linking runs each for every article.
    ids: BindParameter[list[int]] = bindparam("ids", expanding=True)
    after: BindParameter[int] = bindparam("after")
    article, lineage, story = _ARTICLE, table_of(Lineage).c, table_of(Story)
    signatures = table_of(ArticleSignature)
    signed = signatures.c.article_id
    return _Statements(
        linkable=select(*_LINKABLE).select_from(_WITH_OUTLET).where(article.id.in_(ids)),
        refs=select(*_REF)
        .select_from(_WITH_OUTLET)
        .where(article.id.in_(ids))
        .order_by(article.id),
        texts=select(article.id, *_STAMP, article.text).where(article.id.in_(ids)),
        stories=select(lineage.article_id, lineage.story_id).where(
            lineage.article_id.in_(ids), lineage.story_id.is_not(None)
        ),
        heads=_heads(story.c.profile, ids),
        openers=_heads(null(), ids),
        signed_after=select(signed).where(signed > after).order_by(signed),
        # The first article after ``after`` left unsigned lately, and the newest article.
        signed_through=select(
            select(func.min(article.id))
            .select_from(ARTICLES.outerjoin(signatures, signed == article.id))
            .where(article.id > after, signed.is_(None), article.first_seen > bindparam("since"))
            .scalar_subquery(),
            select(func.max(article.id)).where(article.id > after).scalar_subquery(),
        ),
        ref_and_text=select(*_REF, article.text)
        .select_from(_WITH_OUTLET)
        .where(article.id == bindparam("id")),
        update_story=update(story).where(story.c.id == bindparam("story")),
        insert_story=insert(story),
        insert_relations=insert(table_of(Relation)),
    )


def _heads(profile: ColumnElement[Any], ids: BindParameter[list[int]]) -> Select[Any]:
    """Stories by id with when they were written, ``profile`` and their opening article."""
    story = table_of(Story)
    return (
        select(
            story.c.id,
            story.c.updated_at,
            profile,
            story.c.first_article_id,
            _ARTICLE.title,
            _ARTICLE.published,
            _ARTICLE.first_seen,
        )
        .select_from(story.outerjoin(ARTICLES, _ARTICLE.id == story.c.first_article_id))
        .where(story.c.id.in_(ids))
    )


def iter_linkable(session: Session, batch_size: int = 500) -> Iterator[LinkableArticle]:
    """Every article, earliest seen first (the order a relink replays the crawl in)."""
    after = 0
    while True:
        batch = _linkable(
            session.execute(
                select(*_LINKABLE)
                .select_from(_WITH_OUTLET)
                .where(_ARTICLE.id > after)
                .order_by(_ARTICLE.id)
                .limit(batch_size)
            )
        )
        if not batch:
            return
        yield from batch
        after = batch[-1].id


def unlinked_articles(session: Session, outlets: Collection[str] | None = None) -> list[int]:
    """Articles stored without a signature: their linking was cut short (an
    interrupted or killed crawl) and is still to be done; ``outlets`` narrows
    the search to those outlets, oldest first."""
    query = (
        select(Article.id)
        .outerjoin(ArticleSignature, ArticleSignature.article_id == Article.id)
        .where(ArticleSignature.article_id.is_(None))
        .order_by(Article.id)
    )
    if outlets is not None:
        query = query.join(Outlet, Outlet.id == Article.outlet_id).where(
            Outlet.name.in_(list(outlets))
        )
    return list(session.scalars(query))


def unlinked_outlets(session: Session) -> list[str]:
    """The outlets with articles still to link (see `unlinked_articles`)."""
    return list(
        session.scalars(
            select(Outlet.name)
            .join(Article, Article.outlet_id == Outlet.id)
            .outerjoin(ArticleSignature, ArticleSignature.article_id == Article.id)
            .where(ArticleSignature.article_id.is_(None))
            .distinct()
            .order_by(Outlet.name)
        )
    )


def save_signature(
    session: Session,
    article_id: int,
    minhash: bytes,
    anchor_keys: Sequence[str],
    language: str,
    terms: Mapping[str, float],
    algorithm: str,
) -> None:
    """Store an article's signature, replacing any it had (one Core statement: the crawl
    signs every article it links)."""
    _upsert(
        session,
        ArticleSignature,
        "article_id",
        [
            {
                "article_id": article_id,
                "minhash": minhash,
                "anchor_keys": list(anchor_keys),
                "language": language,
                "terms": dict(terms),
                "algorithm": algorithm,
            }
        ],
    )


def _upsert(
    session: Session, model: type[ArticleSignature | Lineage], key: str, rows: list[dict[str, Any]]
) -> None:
    """Insert ``rows``, each replacing the columns it gives of the row with its ``key``.

    One statement (``INSERT … ON CONFLICT DO UPDATE``, which SQLite and PostgreSQL both
    have) where a look-up and then an insert or an update would be two or three: the
    crawl writes these for every article it links. ``rows`` have distinct keys and the
    same columns.
    """
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        column = getattr(model, key)
        session.execute(delete(model).where(column.in_([row[key] for row in rows])))
        session.execute(insert(model), rows)
        return
    statement = _upsert_statement(dialect, model, key, tuple(rows[0]))
    session.execute(statement, rows[0] if len(rows) == 1 else rows)


@cache
def _upsert_statement(
    dialect: str, model: type[ArticleSignature | Lineage], key: str, columns: tuple[str, ...]
) -> Executable:
    """The statement of `_upsert`, built once: building it costs more than running it. On
    the table, not the ORM entity, which would take the ORM's bulk INSERT path."""
    statement = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(table_of(model))
    replaced = {name: statement.excluded[name] for name in columns if name != key}
    return statement.on_conflict_do_update(index_elements=[key], set_=replaced)


@dataclass(frozen=True)
class StoredSignature:
    """A persisted signature and the time that dates its article (published, else seen)."""

    article_id: int
    minhash: bytes
    anchor_keys: list[str]
    language: str | None
    terms: dict[str, float]
    when: datetime


# Ids per IN list: SQLite and PostgreSQL drivers cap the bound parameters of a statement.
ID_BATCH = 500


def iter_signatures(
    session: Session, after: int = 0, only: Collection[int] | None = None
) -> Iterator[StoredSignature]:
    """Every signature (of the articles after id ``after``; of those in ``only`` when given),
    in the order the articles were stored (the index's insertion order)."""
    query = (
        select(
            ArticleSignature.article_id,
            ArticleSignature.minhash,
            ArticleSignature.anchor_keys,
            ArticleSignature.language,
            ArticleSignature.terms,
            Article.published,
            Article.first_seen,
        )
        .join(Article, Article.id == ArticleSignature.article_id)
        .where(ArticleSignature.article_id > after)
        .order_by(ArticleSignature.article_id)
        .execution_options(yield_per=2000)
    )
    if only is None:
        batches = [query]
    else:
        ids = sorted(only)
        batches = [
            query.where(ArticleSignature.article_id.in_(ids[start : start + ID_BATCH]))
            for start in range(0, len(ids), ID_BATCH)
        ]
    for batch in batches:
        for article_id, minhash, keys, language, terms, published, seen in session.execute(batch):
            yield StoredSignature(article_id, minhash, keys, language, terms, published or seen)


def signed_after(session: Session, after: int) -> list[int]:
    """The articles after id ``after`` that have a signature (ids only: cheap to poll)."""
    return list(session.scalars(_statements().signed_after, {"after": after}))


# Linking follows storing within seconds; an article unsigned for longer was left by a
# crawl that stopped (its outlet's next crawl or `db check --repair` links it).
LINKING_GRACE = timedelta(minutes=10)


def signed_through(session: Session, after: int = 0) -> int:
    """The highest article id through which every article has its signature, from ``after``.

    Articles are signed when linked, a little after they are stored, by whichever crawl
    stored them; an index that has read every signature up to this id has missed none.
    Articles left unsigned longer than LINKING_GRACE hold nobody back.
    """
    since = utcnow() - LINKING_GRACE
    unsigned, newest = session.execute(
        _statements().signed_through, {"after": after, "since": since}
    ).one()
    if unsigned is not None:
        return int(unsigned) - 1
    return int(newest) if newest is not None else after


def save_relations(
    session: Session, relations: Sequence[Judgement], method: str, run_id: int | None = None
) -> None:
    """Store an article's relations in one batch; each pair once (relink clears first).

    One executemany INSERT, not an ORM object per pair, with the evidence as the verdict
    encoded it: a widely copied story gives an article dozens of relatives, and the crawl
    process writes every one of them.
    """
    if not relations:
        return
    session.execute(
        _statements().insert_relations,
        [
            {
                "article_id": r.later,
                "related_id": r.earlier,
                "relation": r.relation,
                "score": r.score,
                "method": method,
                "evidence": JSONText(r.evidence),
                "run_id": run_id,
            }
            for r in relations
        ],
    )


def misdirected_articles(session: Session) -> list[int]:
    """Articles with a relation that reads from the later of the two: each relation points
    from the later article (``article_id``) to the earlier, which changes only when a copy
    published earlier re-dates an article (`storage.queries.store_article`) and the crawl
    stops before judging its pairs again. Returned is the article now the earlier."""
    later = aliased(Article)
    earlier = aliased(Article)
    rows = session.scalars(
        select(Relation.article_id)
        .join(later, later.id == Relation.article_id)
        .join(earlier, earlier.id == Relation.related_id)
        .where(
            tuple_(func.coalesce(later.published, later.first_seen), later.id)
            < tuple_(func.coalesce(earlier.published, earlier.first_seen), earlier.id)
        )
        .distinct()
    )
    return sorted(rows)


def delete_relations(session: Session, article_id: int) -> None:
    """Forget one article's relations (before they are judged again)."""
    session.execute(
        delete(Relation).where(
            or_(Relation.article_id == article_id, Relation.related_id == article_id)
        )
    )


def relations_touching(session: Session, ids: Iterable[int]) -> list[StoredRelation]:
    id_list = list(ids)
    rows = session.execute(
        select(
            Relation.article_id,
            Relation.related_id,
            Relation.relation,
            Relation.score,
            Relation.evidence,
        ).where(or_(Relation.article_id.in_(id_list), Relation.related_id.in_(id_list)))
    )
    return [StoredRelation(*row) for row in rows]


def relation_edges(
    session: Session, ids: Iterable[int], kinds: Collection[str] | None = None
) -> list[StoredRelation]:
    """Relations touching these articles (of these kinds), without their evidence: for
    walking families and settling stories (evidence is large JSON)."""
    id_list = sorted(set(ids))
    query = select(Relation.article_id, Relation.related_id, Relation.relation, Relation.score)
    if kinds is not None:
        query = query.where(Relation.relation.in_(list(kinds)))
    found: dict[tuple[int, int], StoredRelation] = {}
    for start in range(0, len(id_list), ID_BATCH):
        batch = id_list[start : start + ID_BATCH]
        rows = session.execute(
            query.where(or_(Relation.article_id.in_(batch), Relation.related_id.in_(batch)))
        )
        for a, b, rel, score in rows:
            found[(a, b)] = StoredRelation(a, b, rel, score, {})
    return list(found.values())


def connected(
    session: Session, start: int, kinds: Collection[str] | None = None
) -> tuple[set[int], list[StoredRelation]]:
    """The articles reachable from ``start`` through relations of these kinds (all
    kinds by default), and those relations."""
    seen, frontier = {start}, {start}
    found: dict[tuple[int, int], StoredRelation] = {}
    while frontier:
        relations = relation_edges(session, frontier, kinds)
        frontier = set()
        for r in relations:
            found[(r.article_id, r.related_id)] = r
            for other in (r.article_id, r.related_id):
                if other not in seen:
                    seen.add(other)
                    frontier.add(other)
    return seen, list(found.values())


def article_times(
    session: Session, ids: Iterable[int]
) -> list[tuple[int, datetime | None, datetime]]:
    """(id, published, first seen) of articles: what decides who came first."""
    rows = session.execute(
        select(Article.id, Article.published, Article.first_seen).where(Article.id.in_(list(ids)))
    )
    return [(int(i), published, seen) for i, published, seen in rows]


def stories_of(session: Session, ids: Iterable[int]) -> dict[int, int]:
    """The story of each of these articles that is in one."""
    rows = session.execute(_statements().stories, {"ids": list(ids)})
    return {int(a): s for a, s in rows if s is not None}


@dataclass(frozen=True)
class Opener:
    """The article that opens a story: what the story shows of it and what dates it."""

    id: int
    title: str
    published: datetime | None
    seen: datetime


@dataclass(frozen=True)
class StoryHead:
    """What placing an article reads of a story: its profile and its opening article."""

    profile: dict[str, Any] | None
    opener: Opener | None
    written: datetime | None = None
    """When the story was last written (`Story.updated_at`): a profile read at this time
    is still the story's profile."""


def story_heads(
    session: Session, story_ids: Iterable[int], *, profiles: bool = True
) -> dict[int, StoryHead]:
    """The profile and opening article of each of these stories, in one query; without
    their profiles (None) when ``profiles`` is false: a profile is a few hundred terms of
    JSON, which a caller that keeps the profiles it read (`crawler.linking.Linker`) reads
    again only for the stories written since."""
    statements = _statements()
    statement = statements.heads if profiles else statements.openers
    rows = session.execute(statement, {"ids": list(story_ids)})
    return {
        int(story): StoryHead(
            profile,
            Opener(first, title, published, seen)
            if first is not None and seen is not None
            else None,
            written,
        )
        for story, written, profile, first, title, published, seen in rows
    }


def save_placement(
    session: Session,
    story_id: int | None,
    merge: Sequence[int],
    members: Sequence[int],
    first: Opener,
    profile: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> int:
    """Put ``members`` in a story (a new one when ``story_id`` is None or gone), fold the
    ``merge`` stories into it, make ``first`` the article that opens it, and keep its new
    ``profile``; the story is written at ``at`` (its `StoryHead.written`), else now.

    Core statements, not ORM objects: the crawl places every article it links.
    """
    values = {
        "title": first.title,
        "first_article_id": first.id,
        "first_published": first.published,
        "profile": dict(profile) if profile is not None else None,
        "updated_at": at or utcnow(),
    }
    statements = _statements()
    kept = story_id is not None and bool(
        written(session.execute(statements.update_story, {"story": story_id, **values})).rowcount
    )
    if story_id is None or not kept:
        story_id = inserted_id(session.execute(statements.insert_story, values))
    if merge:
        session.execute(
            update(Lineage).where(Lineage.story_id.in_(list(merge))).values(story_id=story_id)
        )
        session.execute(delete(Story).where(Story.id.in_(list(merge))))
    placed = list(dict.fromkeys(members))
    for start in range(0, len(placed), ID_BATCH):
        rows = [{"article_id": m, "story_id": story_id} for m in placed[start : start + ID_BATCH]]
        _upsert(session, Lineage, "article_id", rows)
    return story_id


def set_sources(session: Session, sources: Mapping[int, tuple[int | None, str | None]]) -> None:
    """Record each family member's source and how it derives from it (None: it is the source)."""
    for member, (source, relation) in sources.items():
        row = session.get(Lineage, member)
        if row is None:
            row = Lineage(article_id=member)
            session.add(row)
        row.source_id, row.source_relation = source, relation
    session.flush()


def lineage_of(session: Session, article_id: int) -> LineageInfo:
    row = session.get(Lineage, article_id)
    if row is None:
        return LineageInfo(None, None, None)
    return LineageInfo(row.story_id, row.source_id, row.source_relation)


def family(session: Session, source_id: int) -> list[int]:
    """The source and every article whose family source it is."""
    derived = session.scalars(select(Lineage.article_id).where(Lineage.source_id == source_id))
    return [source_id, *sorted(derived)]


def clear_lineage(session: Session) -> None:
    """Forget every relation, story and signature (before `newsmon relink`)."""
    for table in (Relation, Lineage, Story, ArticleSignature):
        session.execute(delete(table))
    session.flush()


def count_relations(session: Session) -> dict[str, int]:
    rows = session.execute(select(Relation.relation, func.count()).group_by(Relation.relation))
    return {str(relation): int(count) for relation, count in rows}


def run_articles(session: Session, run_id: int) -> list[int]:
    """The articles a crawl run stored that are in a story (linked)."""
    rows = session.scalars(
        select(Article.id)
        .join(Lineage, Lineage.article_id == Article.id)
        .where(Article.run_id == run_id, Lineage.story_id.is_not(None))
    )
    return list(rows)


def story_members(session: Session, story_ids: Collection[int]) -> list[int]:
    """Every article in these stories."""
    ids = sorted(story_ids)
    return [
        int(article)
        for start in range(0, len(ids), ID_BATCH)
        for article in session.scalars(
            select(Lineage.article_id).where(Lineage.story_id.in_(ids[start : start + ID_BATCH]))
        )
    ]


def drop_empty_stories(session: Session, story_ids: Collection[int]) -> None:
    """Delete those of these stories that no article is in any more."""
    occupied = select(Lineage.story_id).where(Lineage.story_id.is_not(None)).distinct()
    session.execute(delete(Story).where(Story.id.in_(list(story_ids)), Story.id.not_in(occupied)))
