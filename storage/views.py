"""What a researcher looks at: the story list, one story, one article with its evidence.

These are the view models behind `newsmon stories/story/rewrites --format json`, the
SVG timeline and graph, and the Datasette pages: the CLI and the web are thin
adapters that render them, so both always show the same thing. Every function
takes the caller's Session, reads only, and returns plain frozen dataclasses
(`to_jsonable` turns any of them into JSON-ready data).

Relations are stored source→copy (see `storage.lineage`): the evidence's
``a_id`` is the earlier text, ``b_id`` the later one. The verdict keeps
paragraphs case-folded; the pages show the article's own words, so folded
paragraphs are mapped back to the lines they came from.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any, Literal, Protocol, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from dedup.features import extract_features
from dedup.normalize import clean_lines
from storage.fts import UNSPACED_CHARACTER
from storage.models import Article, ArticleVersion, Lineage, Outlet, Relation, Story
from storage.queries import article_search, get_article

Role = Literal["source", "copy", "rewrite", "translation", "report"]
"""How a story member came to be: the source of a family, a copy of it (exact or near
duplicate), a rewrite, a translation, or a report of its own (written independently)."""
ROLES: tuple[Role, ...] = ("source", "copy", "rewrite", "translation", "report")
_ROLE_OF_RELATION: dict[str, Role] = {
    "exact": "copy",
    "near_duplicate": "copy",
    "rewrite": "rewrite",
    "translation": "translation",
}
StoryOrder = Literal["newest", "biggest"]


class _HasId(Protocol):
    @property
    def id(self) -> int: ...


_A = TypeVar("_A", bound=_HasId)


# --- the story list ----------------------------------------------------------------------


@dataclass(frozen=True)
class StoryItem:
    """One row of the story list."""

    id: int
    title: str
    first_article_id: int | None
    first_outlet: str | None
    first_published: datetime | None
    last_published: datetime | None
    size: int
    outlets: tuple[str, ...]
    languages: tuple[str, ...]

    @property
    def span(self) -> timedelta | None:
        """How long the story ran, from its first to its last report."""
        if self.first_published is None or self.last_published is None:
            return None
        return self.last_published - self.first_published


@dataclass(frozen=True)
class StoryFilter:
    """What the story list is narrowed to; every field is optional."""

    since: datetime | None = None
    until: datetime | None = None
    outlet: str | None = None
    language: str | None = None
    search: str | None = None
    min_size: int = 1
    """Leave out events fewer articles reported."""


def _when() -> Any:
    """An article's time on a timeline: its publication time, else when newsmon first saw it."""
    return func.coalesce(Article.published, Article.first_seen)


def list_story_items(
    session: Session,
    filters: StoryFilter = StoryFilter(),
    order: StoryOrder = "newest",
    limit: int = 50,
    offset: int = 0,
) -> list[StoryItem]:
    """Stories newest first (by their first report) or biggest first (most articles).

    The outlet, language and search filters keep the stories with at least one
    member that matches; search is the same full-text search as `newsmon articles`.
    """
    when = _when()
    spans = (
        select(
            Lineage.story_id.label("story_id"),
            func.count().label("size"),
            func.min(when).label("first"),
            func.max(when).label("last"),
        )
        .join(Article, Article.id == Lineage.article_id)
        .where(Lineage.story_id.is_not(None))
        .group_by(Lineage.story_id)
        .subquery()
    )
    query: Select[Any] = select(Story, spans.c.size, spans.c.first, spans.c.last).join(
        spans, spans.c.story_id == Story.id
    )
    if filters.since is not None:
        query = query.where(spans.c.first >= filters.since)
    if filters.until is not None:
        query = query.where(spans.c.first < filters.until)
    if filters.min_size > 1:
        query = query.where(spans.c.size >= filters.min_size)
    members = _matching_members(session, filters)
    if members is not None:
        query = query.where(Story.id.in_(members))
    if order == "biggest":
        query = query.order_by(spans.c.size.desc(), spans.c.first.desc(), Story.id.desc())
    else:
        query = query.order_by(spans.c.first.desc(), Story.id.desc())
    rows = session.execute(query.limit(limit).offset(offset)).all()
    ids = [story.id for story, *_ in rows]
    outlets, languages = _outlets_and_languages(session, ids)
    firsts = _first_outlets(session, [story.first_article_id for story, *_ in rows])
    return [
        StoryItem(
            id=story.id,
            title=story.title,
            first_article_id=story.first_article_id,
            first_outlet=firsts.get(story.first_article_id or 0),
            first_published=first,
            last_published=last,
            size=size,
            outlets=outlets.get(story.id, ()),
            languages=languages.get(story.id, ()),
        )
        for story, size, first, last in rows
    ]


def _matching_members(session: Session, filters: StoryFilter) -> Select[Any] | None:
    if filters.outlet is None and filters.language is None and filters.search is None:
        return None
    query = (
        select(Lineage.story_id)
        .join(Article, Article.id == Lineage.article_id)
        .where(Lineage.story_id.is_not(None))
    )
    if filters.outlet is not None:
        query = query.join(Outlet, Outlet.id == Article.outlet_id).where(
            Outlet.name == filters.outlet
        )
    if filters.language is not None:
        query = query.where(Article.language == filters.language)
    if filters.search is not None:
        query = query.where(article_search(session, filters.search))
    return query


def _outlets_and_languages(
    session: Session, story_ids: Sequence[int]
) -> tuple[dict[int, tuple[str, ...]], dict[int, tuple[str, ...]]]:
    rows = session.execute(
        select(Lineage.story_id, Outlet.name, Article.language)
        .join(Article, Article.id == Lineage.article_id)
        .join(Outlet, Outlet.id == Article.outlet_id)
        .where(Lineage.story_id.in_(list(story_ids)))
    ).all()
    outlets: dict[int, set[str]] = {}
    languages: dict[int, set[str]] = {}
    for story_id, outlet, language in rows:
        if story_id is None:
            continue
        outlets.setdefault(story_id, set()).add(outlet)
        if language:
            languages.setdefault(story_id, set()).add(language)
    return (
        {s: tuple(sorted(v)) for s, v in outlets.items()},
        {s: tuple(sorted(v)) for s, v in languages.items()},
    )


def _first_outlets(session: Session, article_ids: Iterable[int | None]) -> dict[int, str]:
    ids = [i for i in article_ids if i is not None]
    rows = session.execute(
        select(Article.id, Outlet.name).join(Outlet).where(Article.id.in_(ids))
    ).all()
    return {int(i): name for i, name in rows}


def filter_choices(session: Session) -> tuple[list[str], list[str]]:
    """The outlets and languages the store has articles of: what the story list filters by."""
    outlets = session.scalars(
        select(Outlet.name).join(Article, Article.outlet_id == Outlet.id).distinct()
    )
    languages = session.scalars(
        select(Article.language).where(Article.language.is_not(None)).distinct()
    )
    return sorted(outlets), sorted(lang for lang in languages if lang)


# --- one story ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StoryMember:
    """An article of a story, placed on its timeline."""

    id: int
    title: str
    url: str
    outlet: str
    language: str | None
    published: datetime | None
    when: datetime
    """Its place on the timeline: published, else first seen (`dated` says which)."""
    dated: bool
    role: Role
    source_id: int | None
    relation: str | None
    """The stored relation to its source (exact, near_duplicate, rewrite, translation)."""
    score: float | None
    lag: timedelta
    """How long after the story's first article on the timeline it appeared."""


@dataclass(frozen=True)
class FirstAppearance:
    """Where a story first appeared in one outlet or one language."""

    key: str
    article_id: int
    outlet: str
    when: datetime
    lag: timedelta


@dataclass(frozen=True)
class SharedPassages:
    """Two reports of one story written apart that carry the same passages word for word."""

    earlier_id: int
    later_id: int
    passages: tuple[str, ...]


@dataclass(frozen=True)
class StoryView:
    id: int
    title: str
    first_article_id: int | None
    members: tuple[StoryMember, ...]
    """In time order, earliest first."""
    outlets: tuple[FirstAppearance, ...]
    """Each outlet's first article of the story, earliest outlet first."""
    languages: tuple[FirstAppearance, ...]
    """The first article in each language, earliest language first."""
    shared: tuple[SharedPassages, ...] = ()
    """Reports of the story that carry the same passages word for word (wire copy),
    most passages first."""

    @property
    def derived(self) -> tuple[StoryMember, ...]:
        """The members that copy, rewrite or translate a source in the story."""
        return tuple(m for m in self.members if m.source_id is not None)


def story_view(session: Session, story_id: int) -> StoryView | None:
    """A story's members on a timeline with their roles, or None for an unknown story."""
    story = session.get(Story, story_id)
    if story is None:
        return None
    rows = session.execute(
        select(
            Article.id,
            Article.title,
            Article.url,
            Outlet.name,
            Article.language,
            Article.published,
            Article.first_seen,
            Lineage.source_id,
            Lineage.source_relation,
        )
        .join(Lineage, Lineage.article_id == Article.id)
        .join(Outlet, Outlet.id == Article.outlet_id)
        .where(Lineage.story_id == story_id)
    ).all()
    sources = {row[7] for row in rows if row[7] is not None}
    scores = _source_scores(session, {row[0]: row[7] for row in rows if row[7] is not None})
    ordered = sorted(rows, key=lambda row: (row[5] or row[6], row[0]))
    # Lags count from the first article on the timeline (the story's opener when every
    # member is dated; an undated one is placed when newsmon first saw it).
    origin = (ordered[0][5] or ordered[0][6]) if ordered else None
    members = []
    for aid, title, url, outlet, language, published, seen, source, relation in ordered:
        when = published or seen
        role: Role = (
            _ROLE_OF_RELATION.get(relation or "", "rewrite")
            if source is not None
            else "source"
            if aid in sources
            else "report"
        )
        members.append(
            StoryMember(
                id=aid,
                title=title,
                url=url,
                outlet=outlet,
                language=language,
                published=published,
                when=when,
                dated=published is not None,
                role=role,
                source_id=source,
                relation=relation,
                score=scores.get(aid),
                lag=when - origin if origin is not None else timedelta(0),
            )
        )
    return StoryView(
        id=story.id,
        title=story.title,
        first_article_id=story.first_article_id,
        members=tuple(members),
        outlets=_firsts(members, lambda m: m.outlet),
        languages=_firsts(members, lambda m: m.language),
        shared=_shared_passages(session, [m.id for m in members]),
    )


def _shared_passages(session: Session, ids: Sequence[int]) -> tuple[SharedPassages, ...]:
    """The same-story relations among a story's members that found verbatim passages."""
    rows = session.execute(
        select(Relation.article_id, Relation.related_id, Relation.evidence).where(
            Relation.relation == "same_story",
            Relation.article_id.in_(list(ids)),
            Relation.related_id.in_(list(ids)),
        )
    ).all()
    found = [
        (int(ev.get("a_id", earlier)), int(ev.get("b_id", later)), ev["shared_passages"])
        for later, earlier, ev in rows
        if ev and ev.get("shared_passages")
    ]
    texts = _texts(session, {a for a, _, _ in found})
    shared = []
    for a, b, passages in found:
        source = _Paragraphs(texts[a].title, texts[a].text, texts[a].language)
        shared.append(SharedPassages(a, b, tuple(source.original(p) for p in passages)))
    shared.sort(key=lambda s: (-len(s.passages), s.earlier_id, s.later_id))
    return tuple(shared)


def _source_scores(session: Session, sources: Mapping[int, int]) -> dict[int, float]:
    """The score of each member's relation to its family source (stored either way round)."""
    if not sources:
        return {}
    ids = list(sources)
    rows = session.execute(
        select(Relation.article_id, Relation.related_id, Relation.score).where(
            or_(Relation.article_id.in_(ids), Relation.related_id.in_(ids))
        )
    ).all()
    found = {}
    for a, b, score in rows:
        for member, other in ((a, b), (b, a)):
            if sources.get(member) == other:
                found[member] = float(score)
    return found


def _firsts(members: Sequence[StoryMember], key: Any) -> tuple[FirstAppearance, ...]:
    seen: dict[str, FirstAppearance] = {}
    for m in members:  # already in time order
        name = key(m)
        if name and name not in seen:
            seen[name] = FirstAppearance(name, m.id, m.outlet, m.when, m.lag)
    return tuple(seen.values())


@dataclass(frozen=True)
class LineageFields:
    """Where an article sits, flat, for exports: its story, its source and how it derives."""

    story_id: int | None
    source_id: int | None
    relation: str | None
    """exact, near_duplicate, rewrite or translation of the source; None for a source or a
    report of its own."""
    score: float | None


NO_LINEAGE = LineageFields(None, None, None, None)


def with_lineage(
    session: Session, articles: Iterable[_A], batch_size: int = 200
) -> Iterator[tuple[_A, LineageFields]]:
    """Each article (anything with an ``id``) with its lineage, looked up a batch at a time."""
    batch: list[_A] = []
    for article in articles:
        batch.append(article)
        if len(batch) >= batch_size:
            yield from _lineage_batch(session, batch)
            batch = []
    yield from _lineage_batch(session, batch)


def _lineage_batch(session: Session, batch: list[_A]) -> Iterator[tuple[_A, LineageFields]]:
    if not batch:
        return
    rows = session.execute(
        select(
            Lineage.article_id, Lineage.story_id, Lineage.source_id, Lineage.source_relation
        ).where(Lineage.article_id.in_([a.id for a in batch]))
    ).all()
    found = {aid: (story, source, relation) for aid, story, source, relation in rows}
    scores = _source_scores(
        session, {aid: source for aid, (_, source, _) in found.items() if source is not None}
    )
    for article in batch:
        if article.id not in found:
            yield article, NO_LINEAGE
            continue
        story, source, relation = found[article.id]
        yield article, LineageFields(story, source, relation, scores.get(article.id))


# --- one article -------------------------------------------------------------------------


DiffOp = Literal["equal", "delete", "insert"]


@dataclass(frozen=True)
class DiffPart:
    op: DiffOp
    text: str


@dataclass(frozen=True)
class VersionView:
    """An earlier text of an article and, word by word, how the next version changed it."""

    version: int
    title: str
    replaced_at: datetime
    changes: tuple[DiffPart, ...]


@dataclass(frozen=True)
class ParagraphPair:
    source: str
    copy: str
    similarity: float


@dataclass(frozen=True)
class RelativeView:
    """Another article related to this one, with the evidence a person reads.

    The evidence always reads source→copy: ``source_id`` is the earlier text.
    """

    id: int
    title: str
    outlet: str
    language: str | None
    when: datetime
    relation: str
    score: float
    direction: Literal["source", "copy"]
    """What the other article is to this one: its source (earlier) or its copy (later)."""
    source_id: int
    copy_id: int
    summary: str
    substitutions: tuple[tuple[str, str], ...]
    dropped: tuple[str, ...]
    """Paragraphs of the source the copy left out."""
    added: tuple[str, ...]
    """Paragraphs of the copy not in the source."""
    aligned: tuple[ParagraphPair, ...]
    """Source and copy paragraphs side by side (translations)."""
    shared_passages: tuple[str, ...]
    """Passages both reports carry word for word (same-story reports: wire copy)."""


@dataclass(frozen=True)
class ArticleView:
    id: int
    title: str
    url: str
    outlet: str
    language: str | None
    published: datetime | None
    authors: tuple[str, ...]
    first_seen: datetime
    fetched_at: datetime
    version: int
    updated_at: datetime | None
    seed_text: str
    other_urls: tuple[tuple[str, str], ...]
    """(url, kind): aliases and syndicated copies."""
    story_id: int | None
    source_id: int | None
    source_relation: str | None
    versions: tuple[VersionView, ...]
    relatives: tuple[RelativeView, ...]
    """Its source, then its copies, then same-story reports; best score first within each."""


def article_view(session: Session, article_id: int) -> ArticleView | None:
    """An article with its versions and relatives, or None for an unknown id."""
    detail = get_article(session, article_id)
    if detail is None:
        return None
    row = session.get(Article, article_id)
    assert row is not None
    lineage = session.get(Lineage, article_id)
    return ArticleView(
        id=detail.id,
        title=detail.title,
        url=detail.url,
        outlet=detail.outlet,
        language=detail.language,
        published=detail.published,
        authors=detail.authors,
        first_seen=detail.first_seen,
        fetched_at=detail.fetched_at,
        version=row.version,
        updated_at=row.updated_at,
        seed_text=detail.seed_text,
        other_urls=tuple((u.url, u.kind) for u in detail.other_urls),
        story_id=lineage.story_id if lineage else None,
        source_id=lineage.source_id if lineage else None,
        source_relation=lineage.source_relation if lineage else None,
        versions=_versions(session, row),
        relatives=relatives_of(session, article_id),
    )


def _versions(session: Session, article: Article) -> tuple[VersionView, ...]:
    """Each earlier version, diffed against the one that replaced it (the last against now)."""
    rows = session.scalars(
        select(ArticleVersion)
        .where(ArticleVersion.article_id == article.id)
        .order_by(ArticleVersion.version)
    ).all()
    texts = [f"{r.title}\n\n{r.text}" for r in rows] + [f"{article.title}\n\n{article.text}"]
    return tuple(
        VersionView(r.version, r.title, r.replaced_at, word_diff(texts[i], texts[i + 1]))
        for i, r in enumerate(rows)
    )


# Words, runs of punctuation and of spaces; each character of an unspaced script on its own.
_WORDS = re.compile(rf"\s+|{UNSPACED_CHARACTER}|\w+|[^\w\s]+")


def word_diff(old: str, new: str) -> tuple[DiffPart, ...]:
    """``old`` to ``new`` word by word; a replacement is a deletion then an insertion."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    parts: list[DiffPart] = []

    def add(op: DiffOp, words: Sequence[str]) -> None:
        if not words:
            return
        text = "".join(words)
        if parts and parts[-1].op == op:
            parts[-1] = DiffPart(op, parts[-1].text + text)
        else:
            parts.append(DiffPart(op, text))

    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            add("equal", a[a0:a1])
        else:
            add("delete", a[a0:a1])
            add("insert", b[b0:b1])
    return tuple(parts)


@dataclass(frozen=True)
class _Text:
    id: int
    title: str
    text: str
    outlet: str
    language: str | None
    when: datetime


def relatives_of(session: Session, article_id: int) -> tuple[RelativeView, ...]:
    """Every stored relation of an article, as evidence in the articles' own words."""
    relations = session.scalars(
        select(Relation).where(
            or_(Relation.article_id == article_id, Relation.related_id == article_id)
        )
    ).all()
    texts = _texts(session, {i for r in relations for i in (r.article_id, r.related_id)})
    paragraphs: dict[int, _Paragraphs] = {}

    def paragraphs_of(aid: int) -> _Paragraphs:
        if aid not in paragraphs:
            t = texts[aid]
            paragraphs[aid] = _Paragraphs(t.title, t.text, t.language)
        return paragraphs[aid]

    views = []
    for r in relations:
        ev = r.evidence or {}
        source_id = int(ev.get("a_id", r.related_id))
        copy_id = int(ev.get("b_id", r.article_id))
        other = texts[r.related_id if r.article_id == article_id else r.article_id]
        source, copy = paragraphs_of(source_id), paragraphs_of(copy_id)
        aligned: tuple[ParagraphPair, ...] = ()
        if r.relation == "translation":
            aligned = tuple(
                ParagraphPair(source.at(p["a"]), copy.at(p["b"]), float(p.get("similarity", 0)))
                for p in ev.get("aligned", [])
            )
        dropped = ev.get("dropped") or {}
        views.append(
            RelativeView(
                id=other.id,
                title=other.title,
                outlet=other.outlet,
                language=other.language,
                when=other.when,
                relation=r.relation,
                score=r.score,
                direction="source" if other.id == source_id else "copy",
                source_id=source_id,
                copy_id=copy_id,
                summary=str(ev.get("summary", "")),
                substitutions=tuple((str(s[0]), str(s[1])) for s in ev.get("substituted", [])),
                dropped=tuple(source.at(i) for i in dropped.get("a", [])),
                added=tuple(copy.at(i) for i in dropped.get("b", [])),
                aligned=aligned,
                shared_passages=tuple(source.original(p) for p in ev.get("shared_passages", [])),
            )
        )
    # Its source first, then what derives from it, then other reports of the story.
    views.sort(key=lambda v: (v.relation == "same_story", v.direction != "source", -v.score, v.id))
    return tuple(views)


def _texts(session: Session, ids: Iterable[int]) -> dict[int, _Text]:
    rows = session.execute(
        select(
            Article.id,
            Article.title,
            Article.text,
            Outlet.name,
            Article.language,
            _when(),
        )
        .join(Outlet)
        .where(Article.id.in_(list(ids)))
    ).all()
    return {row[0]: _Text(*row) for row in rows}


class _Paragraphs:
    """An article's paragraphs as the verdict numbered them, in the article's own words."""

    def __init__(self, title: str, text: str, language: str | None) -> None:
        self._seed, self._language = f"{title}\n\n{text}", language
        self._original: dict[str, str] = {}
        for raw in text.split("\n"):
            for folded in clean_lines(raw):
                self._original.setdefault(folded, raw.strip())

    @cached_property
    def _folded(self) -> list[str]:
        # Only paragraph numbers need the verdict's parse; quoted passages map by text.
        return [p.text for p in extract_features(self._seed, self._language).paragraphs]

    def original(self, folded: str) -> str:
        return self._original.get(folded, folded)

    def at(self, index: int) -> str:
        return self.original(self._folded[index]) if 0 <= index < len(self._folded) else ""


@dataclass(frozen=True)
class FamilyView:
    """An article's family: its source and every copy, rewrite and translation of it."""

    article_id: int
    source_id: int
    source_title: str
    source_outlet: str
    source_language: str | None
    source_published: datetime | None
    derived: tuple[RelativeView, ...]
    """Family members with a stored relation to the source, with its evidence."""
    indirect: tuple[int, ...]
    """Members related to the source only through other members (no evidence of their own)."""


def family_view(session: Session, article_id: int) -> FamilyView | None:
    """The family an article belongs to (as its source or as a copy), or None for an unknown id."""
    lineage = session.get(Lineage, article_id)
    source_id = lineage.source_id if lineage and lineage.source_id else article_id
    source = session.get(Article, source_id)
    if source is None:
        return None
    members = set(session.scalars(select(Lineage.article_id).where(Lineage.source_id == source_id)))
    derived = tuple(r for r in relatives_of(session, source_id) if r.id in members)
    return FamilyView(
        article_id=article_id,
        source_id=source_id,
        source_title=source.title,
        source_outlet=source.outlet.name,
        source_language=source.language,
        source_published=source.published,
        derived=derived,
        indirect=tuple(sorted(members - {r.id for r in derived})),
    )


# --- JSON --------------------------------------------------------------------------------


def to_jsonable(value: Any) -> Any:
    """A view model as JSON-ready data: datetimes in ISO 8601, time spans in seconds."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, StoryItem):
            data["span_seconds"] = to_jsonable(value.span)
        return data
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value
