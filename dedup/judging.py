"""Verdicts on stored articles and their one-line summaries: pure, so a worker can run them.

The crawl hands `judge` to its extraction workers; this module (and what it
imports) is all a worker loads for it: no database, no Scrapy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

from dedup.features import Doc
from dedup.verdict import Verdict, relate


class Text(Protocol):
    """What a verdict reads of an article, stored or not."""

    @property
    def outlet(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def language(self) -> str | None: ...
    @property
    def published(self) -> datetime | None: ...


class Dated(Text, Protocol):
    """A stored article: it has an id and the time newsmon first saw it."""

    @property
    def id(self) -> int: ...
    @property
    def first_seen(self) -> datetime: ...
    def __hash__(self) -> int: ...


def doc_of(article: Text) -> Doc:
    return Doc(
        f"{article.title}\n\n{article.text}", article.language, article.published, article.outlet
    )


@lru_cache(maxsize=512)
def parsed(article: Dated) -> Doc:
    """An article's parsed document, kept for later verdicts in this process.

    Features are the expensive part of a verdict, and the same stored articles come
    up as candidates again and again. Keyed by the whole (frozen) article, text
    included, so two stores or an edited text never share an entry. A parsed news
    article holds 200 to 400 KB; the crawl sends each stored article's verdicts to one
    worker of its pool (`share_of`), so 512 of them per worker cover the latest 1,024
    candidates of a two-worker crawl in about 200 MB a worker.
    """
    return doc_of(article)


def share_of(article_id: int, shares: int) -> int:
    """Which of ``shares`` workers judges the pairs with this stored article as the
    candidate, so that only that worker keeps its parsed document."""
    return article_id % shares


def when(article: Dated) -> tuple[datetime, int]:
    """Publication time (else first seen), then id: which of two articles came first."""
    return (article.published or article.first_seen, article.id)


def judge(
    article: Dated, candidates: Sequence[Dated], keep_article: bool = True
) -> list[tuple[int, Verdict]]:
    """The verdict of an article against each candidate: the CPU-heavy part of linking.

    The earlier of the two is always the verdict's source (``a``), so evidence reads
    source→copy and a translation's direction does not depend on which came second.
    Without ``keep_article``, the article's parsed document is not kept in this
    process (it will come up as a candidate in another worker: `share_of`).
    """
    own = parsed(article) if keep_article else doc_of(article)
    verdicts = []
    for other in candidates:
        theirs = parsed(other)
        source, copy = (own, theirs) if when(article) <= when(other) else (theirs, own)
        verdicts.append((other.id, relate(source, copy)))
    return verdicts


def summarize(relation: str, evidence: Mapping[str, Any]) -> str:
    """One line on how two related articles differ, for listings and reports."""
    parts = []
    pair = evidence.get("language_pair")
    if relation == "translation" and pair:
        parts.append(f"{pair[0]}→{pair[1]}")
    substituted = evidence.get("substituted") or []
    if substituted:
        shown = ", ".join(f"{a}→{b}" for a, b, *_ in substituted[:3])
        parts.append(f"{len(substituted)} word substitution(s) ({shown})")
    dropped = evidence.get("dropped") or {}
    if relation != "same_story" and (dropped.get("a") or dropped.get("b")):
        parts.append(
            f"paragraphs dropped: {len(dropped.get('a', []))} / {len(dropped.get('b', []))}"
        )
    aligned = evidence.get("aligned") or []
    if aligned and relation != "same_story":
        parts.append(f"{len(aligned)} paragraph(s) aligned")
    shared = evidence.get("shared_passages") or []
    if shared:
        parts.append(f"{len(shared)} shared wire passage(s)")
    return "; ".join(parts)
