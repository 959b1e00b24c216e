"""The relational schema (SQLAlchemy 2.0 typed declarative).

The Alembic migrations are the source of truth for the database; these models
must match them (a test compares the two).  The FTS5 index `articles_fts` and
its triggers exist only in the migrations because they are SQLite-specific
and not ORM objects.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import Any, get_args

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
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.records import RunStatus, RunTrigger, UrlKind

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


class ZlibBytes(TypeDecorator[bytes]):
    """Raw HTML is mostly markup and compresses about 5x; callers see plain bytes."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        return None if value is None else zlib.compress(value, 6)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        return None if value is None else zlib.decompress(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {  # noqa: RUF012 (SQLAlchemy reads it per class)
        datetime: UTCDateTime,
        str: Text,
    }


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
    text: Mapped[str]
    published: Mapped[datetime | None]
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str | None] = mapped_column(String(16))
    extractor_version: Mapped[str] = mapped_column(String(100))
    topic_score: Mapped[float] = mapped_column(Float)
    content_key: Mapped[str] = mapped_column(String(64), unique=True)
    raw_html: Mapped[bytes] = mapped_column(ZlibBytes, deferred=True)
    fetched_at: Mapped[datetime]
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))

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
