"""Per-article features, computed once and shared by signatures, candidates and verdicts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from dedup.anchors import anchor_weight, paragraph_anchors, quotes
from dedup.language import detect_language
from dedup.normalize import clean_lines, key_of_normalized, normalize_text
from dedup.shingles import content_terms, shingles, tokenize

MIN_PARAGRAPH_TOKENS = 5
"""Shorter lines (subheads, bylines, captions cut short) carry no alignment evidence."""

_HAN = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Paragraph:
    text: str
    tokens: tuple[str, ...]
    shingles: frozenset[str]
    terms: frozenset[str]
    anchors: tuple[str, ...]

    @cached_property
    def size(self) -> int:
        # A Han character carries about a third of an English word.
        return len(self.tokens) // 3 if _HAN.match(self.tokens[0]) else len(self.tokens)

    @cached_property
    def is_body(self) -> bool:
        return self.size >= MIN_PARAGRAPH_TOKENS


@dataclass(frozen=True)
class Features:
    key: str
    language: str
    title: str | None
    paragraphs: tuple[Paragraph, ...]
    quotes: frozenset[str]

    @cached_property
    def shingles(self) -> frozenset[str]:
        return frozenset().union(*(p.shingles for p in self.paragraphs))

    @cached_property
    def terms(self) -> frozenset[str]:
        return frozenset().union(*(p.terms for p in self.paragraphs))

    @cached_property
    def anchors(self) -> tuple[str, ...]:
        return tuple(a for p in self.paragraphs for a in p.anchors)

    @cached_property
    def anchor_set(self) -> frozenset[str]:
        return frozenset(self.anchors)

    @cached_property
    def anchor_mass(self) -> float:
        return sum(anchor_weight(a) for a in self.anchor_set)

    @cached_property
    def body(self) -> tuple[tuple[int, Paragraph], ...]:
        """Paragraphs long enough to align, with their positions (every verdict reads them)."""
        return tuple((i, p) for i, p in enumerate(self.paragraphs) if p.is_body)


def _has_title(text: str) -> bool:
    """Seed format: a title line followed by a blank line."""
    lines = text.strip().split("\n")
    return len(lines) > 2 and not lines[1].strip()


def extract_features(text: str, language: str | None = None) -> Features:
    """Everything the later stages need from one seed-format text."""
    lines = clean_lines(text)
    title = lines[0] if lines and _has_title(text) else None
    body_lines = lines[1:] if title is not None else lines
    paragraphs = []
    for line in body_lines:
        tokens = tokenize(line)
        if not tokens:
            continue
        paragraphs.append(
            Paragraph(
                text=line,
                tokens=tuple(tokens),
                shingles=frozenset(shingles(tokens)),
                terms=frozenset(content_terms(tokens)),
                anchors=tuple(paragraph_anchors(line)),
            )
        )
    normalized = normalize_text(text)
    return Features(
        key=key_of_normalized(normalized),
        language=language or detect_language(normalized),
        title=title,
        paragraphs=tuple(paragraphs),
        quotes=frozenset(q for line in lines for q in quotes(line)),
    )


@dataclass(frozen=True)
class Doc:
    """An article to compare: seed-format text plus what its metadata says.

    `language` (ISO 639-1) overrides detection; `published` bounds which
    articles can report one event; `outlet` is carried into lineage.
    """

    text: str
    language: str | None = None
    published: datetime | None = None
    outlet: str | None = None

    @cached_property
    def features(self) -> Features:
        return extract_features(self.text, self.language)
