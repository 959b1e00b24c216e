"""The relational schema (SQLAlchemy 2.0 typed declarative).

The Alembic migrations are the source of truth for the database; these models
must match them (a test compares the two).  The FTS5 index `articles_fts` and
its triggers exist only in the migrations because they are SQLite-specific
and not ORM objects.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast, get_args

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.records import Compressed, RunStatus, RunTrigger, UrlKind, inflate

# Named constraints let later migrations alter SQLite tables in batch mode.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always returns UTC-aware datetimes, SQLite included.

    Naive datetimes are refused rather than guessed: a wrong offset would move
    an article to another day in every report.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; pass a UTC-aware one")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class PageBytes(TypeDecorator[bytes]):
    """Raw HTML is mostly markup and compresses about 5x; callers see plain bytes.

    Pages are stored as zstandard frames; those stored before as zlib streams stay
    readable (`storage.records.inflate` tells the two apart by their first bytes)."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        if isinstance(value, Compressed):
            return bytes(value)  # compressed by an extraction worker already
        return bytes(Compressed.of(value))

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        return None if value is None else inflate(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {  # noqa: RUF012 (SQLAlchemy reads it per class)
        datetime: UTCDateTime,
        str: Text,
    }


def table_of(model: type[Base]) -> Table:
    """A model's table, for the Core statements a crawl runs for every page and article:
    a statement on the ORM entity takes the ORM's execution path, which costs a third more
    CPU a statement (and its bulk paths for INSERTs) for the same rows."""
    return cast(Table, model.__table__)


class Outlet(Base):
    __tablename__ = "outlets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str]
    homepage: Mapped[str]
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)


def _one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=column)


RUN_STATUSES = get_args(RunStatus)
RUN_TRIGGERS = get_args(RunTrigger)
URL_KINDS = get_args(UrlKind)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"
    __table_args__ = (_one_of("status", RUN_STATUSES), _one_of("trigger", RUN_TRIGGERS))

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]
    status: Mapped[RunStatus] = mapped_column(String(20))
    trigger: Mapped[RunTrigger] = mapped_column(String(20))
    outlets: Mapped[list[str]] = mapped_column(JSON, default=list)
    stats: Mapped[dict[str, dict[str, Any]]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None]


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_outlet_published", "outlet_id", "published"),
        Index("ix_articles_published", "published"),
        Index("ix_articles_language", "language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"))
    url: Mapped[str] = mapped_column(unique=True)
    title: Mapped[str]
    published: Mapped[datetime | None]
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str | None] = mapped_column(String(16))
    extractor_version: Mapped[str] = mapped_column(String(100))
    topic_score: Mapped[float] = mapped_column(Float)
    content_key: Mapped[str] = mapped_column(String(64), unique=True)
    fetched_at: Mapped[datetime]
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))
    # Re-check bookkeeping for daily runs: 1 until a re-check finds a new text.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    last_checked_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
    # The date the outlet's feed or sitemap gave for this page when we last fetched it:
    # a later date there is the outlet saying the page changed.
    listed_modified: Mapped[datetime | None]
    # Long values last: SQLite walks a long value's overflow pages to reach any column
    # after it, and the small columns are read far more often (migration 0007).
    text: Mapped[str]
    raw_html: Mapped[bytes] = mapped_column(PageBytes, deferred=True)

    outlet: Mapped[Outlet] = relationship(lazy="joined", innerjoin=True)
    urls: Mapped[list[ArticleUrlRow]] = relationship(
        back_populates="article", cascade="all, delete-orphan", passive_deletes=True
    )


class ArticleUrlRow(Base):
    """Every URL newsmon has seen an article under.

    `canonical` is the article's own URL, `alias` another URL of the same page
    (AMP, tracking variants), `syndicated` another page whose text is identical
    (a copy recorded here instead of being stored again).
    """

    __tablename__ = "article_urls"
    __table_args__ = (_one_of("kind", URL_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(unique=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"))
    kind: Mapped[UrlKind] = mapped_column(String(20))
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))

    article: Mapped[Article] = relationship(back_populates="urls")
    outlet: Mapped[Outlet] = relationship(lazy="joined", innerjoin=True)


class SkippedPageRow(Base):
    __tablename__ = "skipped_pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str]
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"))
    reason: Mapped[str] = mapped_column(String(100))
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True
    )
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    outlet: Mapped[Outlet] = relationship(lazy="joined", innerjoin=True)


# --- daily re-crawls (issue 5) -------------------------------------------------


class ArticleVersion(Base):
    """An earlier text of an article, kept when a re-check finds the text changed.

    The article row always holds the newest text; each version row holds the
    text it replaced and the diff from it to its successor, so an update can
    be reported ("what changed") and any earlier text restored.
    """

    __tablename__ = "article_versions"
    __table_args__ = (
        Index("ix_article_versions_article_version", "article_id", "version", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    version: Mapped[int]
    title: Mapped[str]
    text: Mapped[str]
    content_key: Mapped[str] = mapped_column(String(64))
    diff: Mapped[str]
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True
    )


class HttpValidator(Base):
    """ETag and Last-Modified of a feed or sitemap, for conditional re-fetches."""

    __tablename__ = "http_validators"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(unique=True)
    etag: Mapped[str | None]
    last_modified: Mapped[str | None]
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutletHealth(Base):
    """How an outlet has fared over recent runs; read by the daily report."""

    __tablename__ = "outlet_health"

    outlet_id: Mapped[int] = mapped_column(
        ForeignKey("outlets.id", ondelete="CASCADE"), primary_key=True
    )
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    runs_without_new: Mapped[int] = mapped_column(default=0)
    last_success_at: Mapped[datetime | None]
    last_new_article_at: Mapped[datetime | None]
    watermark: Mapped[datetime | None]
    backoff_until: Mapped[datetime | None]
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- rewrite lineage (issue 4) ---------------------------------------------------


class ArticleSignature(Base):
    """The persisted candidate-search keys of an article (MinHash and anchor keys).

    The in-memory LSH index is rebuilt from these rows, so adding an article
    costs a constant number of lookups however large the store grows.
    """

    __tablename__ = "article_signatures"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str | None] = mapped_column(String(16))
    minhash: Mapped[bytes] = mapped_column(LargeBinary)
    anchor_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    terms: Mapped[dict[str, float]] = mapped_column(JSON, default=dict, server_default="{}")
    """Salient-term vector (`dedup.salience`): finds other reports of an event."""
    algorithm: Mapped[str] = mapped_column(String(100))


class Relation(Base):
    """How two stored articles are related: one row per related pair.

    ``article_id`` is the later (derived) article and ``related_id`` the
    earlier one it was compared with; ``evidence`` is what the verdict saw.
    """

    __tablename__ = "relations"
    __table_args__ = (
        Index("ix_relations_pair", "article_id", "related_id", unique=True),
        Index("ix_relations_related", "related_id"),
        Index("ix_relations_relation", "relation"),
        _one_of("relation", ("exact", "near_duplicate", "rewrite", "translation", "same_story")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    related_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    relation: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(100))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))


class Story(Base):
    """Articles about one event; the first published member opens the timeline."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    first_article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL")
    )
    first_published: Mapped[datetime | None] = mapped_column(index=True)
    profile: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """Centroid and time span (`dedup.lineage.StoryProfile`): what placing an article
    reads of the story instead of its members. None for stories made before 0004."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Lineage(Base):
    """Where an article sits: its story, and the family source it derives from."""

    __tablename__ = "lineage"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    story_id: Mapped[int | None] = mapped_column(
        ForeignKey("stories.id", ondelete="SET NULL"), index=True
    )
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    source_relation: Mapped[str | None] = mapped_column(String(20))


ARTICLES, OUTLETS, URLS = table_of(Article), table_of(Outlet), table_of(ArticleUrlRow)
"""The tables every page stored is written to and looked up in, and every article linked
is read from, for the Core statements of those paths (`table_of`)."""
