"""Plain records exchanged with the rest of newsmon.

They carry no SQLAlchemy state so the crawl pipeline, the CLI and the scheduler
can build and read them without an open session (and without importing the ORM).
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

RunStatus = Literal["running", "succeeded", "partial", "failed", "interrupted", "skipped"]
RunTrigger = Literal["manual", "scheduled", "demo"]


def as_trigger(value: str) -> RunTrigger:
    """A trigger name from settings or the command line; anything unknown counts as manual."""
    return "scheduled" if value == "scheduled" else "demo" if value == "demo" else "manual"


UrlKind = Literal["canonical", "alias", "syndicated"]


class Compressed(bytes):
    """A page's HTML already compressed the way the store keeps it: one zstandard frame.

    The extraction worker compresses, so the crawl process, which writes every article,
    does not (`storage.models.PageBytes` stores these as they are). Zstandard's default
    level packs a 220 KB news page a little smaller than zlib level 6 did, in about a
    ninth of the time (0.5 ms against 4–5 ms: zlib was the largest part of the page
    stage after extraction). Pages stored before are zlib streams; `inflate` reads both.
    """

    LEVEL = 3

    @classmethod
    def of(cls, html: bytes) -> Compressed:
        return cls(zstd.compress(html, cls.LEVEL))


ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
"""The first four bytes of every zstandard frame. No zlib stream starts with them: a zlib
header is two bytes whose big-endian value is a multiple of 31, and 0x28B5 is not."""


def inflate(stored: bytes) -> bytes:
    """A stored page's HTML, whichever codec packed it (zstandard now, zlib before)."""
    if stored[:4] == ZSTD_MAGIC:
        return zstd.decompress(stored)
    return zlib.decompress(stored)


@dataclass(frozen=True)
class ArticleRecord:
    """One extracted, on-topic page as the pipeline hands it to storage."""

    outlet: str
    url: str
    fetched_url: str
    title: str
    text: str
    published: datetime | None
    authors: tuple[str, ...]
    language: str | None
    extractor_version: str
    topic_score: float
    content_key: str
    raw_html: bytes  # the page as fetched, or `Compressed`
    fetched_at: datetime
    run_id: int | None = None
    # The feed/sitemap date of the page when it was fetched (see Article.listed_modified).
    listed_modified: datetime | None = None
    # Set when this fetch re-checks a stored article for changes.
    recheck_of: int | None = None
    # The lineage candidate signature, computed beside extraction (crawler.linking).
    signature: bytes | None = None


@dataclass(frozen=True)
class StoreOutcome:
    """What `store_article` did; `article_id` is the original for duplicates."""

    status: Literal["stored", "duplicate_url", "duplicate_text"]
    article_id: int
    redated: bool = False
    """A duplicate text published before the stored page took its place (`_take_over`):
    the article's outlet and date changed, and so may its family's source."""


@dataclass(frozen=True)
class UpdateOutcome:
    """What `update_extraction` did.

    `duplicate_text` means the new text is identical to another stored article
    (`article_id` is that one); the article is then left unchanged so the
    one-row-per-text invariant holds and the caller can report the clash.
    """

    status: Literal["updated", "unchanged", "duplicate_text"]
    article_id: int


@dataclass(frozen=True)
class ArticleSummary:
    """A listing row: enough for `newsmon articles`, without the text."""

    id: int
    outlet: str
    url: str
    title: str
    published: datetime | None
    language: str | None
    topic_score: float
    first_seen: datetime


@dataclass(frozen=True)
class ArticleUrl:
    """Another URL under which an article was seen."""

    url: str
    kind: UrlKind
    outlet: str
    first_seen: datetime


@dataclass(frozen=True)
class ArticleDetail:
    """A full article (without its raw HTML, which is fetched on demand)."""

    id: int
    outlet: str
    url: str
    title: str
    text: str
    published: datetime | None
    authors: tuple[str, ...]
    language: str | None
    extractor_version: str
    topic_score: float
    content_key: str
    fetched_at: datetime
    first_seen: datetime
    run_id: int | None
    other_urls: tuple[ArticleUrl, ...]

    @property
    def seed_text(self) -> str:
        """The seed format: title line, blank line, paragraphs."""
        return f"{self.title}\n\n{self.text}"


@dataclass(frozen=True)
class RunSummary:
    """One crawl run and its per-outlet counters."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    status: RunStatus
    trigger: RunTrigger
    outlets: tuple[str, ...]
    stats: Mapping[str, Mapping[str, Any]]
    error: str | None


@dataclass(frozen=True)
class SkippedPage:
    """A fetched page that was not stored, and why."""

    id: int
    outlet: str
    url: str
    reason: str
    run_id: int | None
    seen_at: datetime


@dataclass(frozen=True)
class LinkableArticle:
    """What a verdict needs of a stored article."""

    id: int
    outlet: str
    title: str
    text: str
    language: str | None
    published: datetime | None
    first_seen: datetime


TextStamp = tuple[str, int, str]
"""An article's content key, version and extractor version: what changes with its text."""


@dataclass(frozen=True)
class ArticleRef:
    """A stored article as a verdict knows it, without its text.

    The crawl sends its workers these for the candidates of each new article: a worker
    that parsed an article's text before keeps the parsed document under this ref, so
    the text is read and sent only to a worker that lacks it. Two refs are equal only if
    every field is, so a document parsed before the article's text or metadata changed
    is never used for it: a re-check that replaced the text raised ``version``, a
    re-extraction changed ``extractor_version``, and any other change of the words
    changes ``content_key`` (the hash of the normalised text).
    """

    id: int
    outlet: str
    title: str
    language: str | None
    published: datetime | None
    first_seen: datetime
    content_key: str
    version: int
    extractor_version: str

    @property
    def text_stamp(self) -> TextStamp:
        """What changes whenever the article's text does (metadata aside: a copy published
        earlier that takes the article over changes its outlet, title and date, not its
        text)."""
        return (self.content_key, self.version, self.extractor_version)
