"""Per-article features, computed once and shared by signatures, candidates and verdicts."""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache

from anyascii import anyascii

from dedup.anchors import anchor_weight, paragraph_anchors, quotes
from dedup.language import detect_language
from dedup.normalize import clean_lines, key_of_normalized, normalize_lines
from dedup.shingles import STEM_LENGTH, content_terms, shingles, tokenize

MIN_PARAGRAPH_TOKENS = 5
"""Shorter lines (subheads, bylines, captions cut short) carry no alignment evidence."""

_HAN = re.compile(r"[\u3400-\u9fff]")
_IDEOGRAPHIC = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_VOWELS = re.compile(r"[aeiouy]+")
_SOUND_ALIKE = str.maketrans("cqwzj", "kkvsy")
NAME_RARITY = 3.5
"""Rarity (7.5 minus Zipf frequency, see `dedup.salience.rarity`) from which a word
counts as name-like: Zipf 4 and below is "Popocatepetl", "Xochimilco", "tariff", not
"president" or "Monday", which every article has in every language."""
NAME_KEY_LENGTH = 4
"""Letters of a transliterated name's skeleton: enough to keep names apart, few enough
that inflections (Путина, Putins) and spelling variants (Tramp, Trump) agree."""


@lru_cache(maxsize=1 << 15)
def name_key(token: str) -> str | None:
    """A script-independent skeleton of a word: transliterated, first letter plus consonants.

    Cached for the names that come back article after article; 32,768 of them keep
    the cache near 5 MB in every extraction worker (200 articles of the 200-event
    bulk site already bring 61,000 distinct words, about 9 MB of cache).

    Translations keep names, which transliteration brings back to one spelling up
    to vowels and sound-alike letters (Ποποκατέπετλ and Popocatepetl both give
    "ppkt"). Ideographic scripts are left out: a name's Han transcription does
    not transliterate back to its Latin spelling.
    """
    if len(token) < 4 or token.isdigit() or _IDEOGRAPHIC.search(token):
        return None
    latin = "".join(c for c in anyascii(token).lower() if c.isalpha())
    if len(latin) < 4:
        return None
    latin = latin.replace("ph", "f").replace("ck", "k").translate(_SOUND_ALIKE)
    return (latin[0] + _VOWELS.sub("", latin[1:]))[:NAME_KEY_LENGTH]


@dataclass(frozen=True)
class Paragraph:
    text: str
    tokens: tuple[str, ...]
    shingles: frozenset[str]
    anchors: tuple[str, ...]

    @cached_property
    def terms(self) -> frozenset[str]:
        """Content-word stems, made when a verdict first reads them: the candidate
        signature, which every crawled page gets, does not. Interned, as tokens are (through
        a set: a frozenset grown from an iterator keeps a table up to twice as large)."""
        return frozenset(set(map(sys.intern, content_terms(self.tokens))))

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
    def salient(self) -> dict[str, float]:
        """The salient-term vector (`dedup.salience.term_vector`), made once per article:
        candidate search and every verdict on the article read it."""
        from dedup.salience import term_vector  # salience builds on this module

        return term_vector(self)

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
    def anchor_rows(self) -> tuple[tuple[tuple[tuple[str, int, float], ...], int], ...]:
        """Per paragraph with anchors, in reading order: each distinct anchor with its count
        and weight (first occurrence first), and the paragraph's anchor total.

        Made once per article: a verdict aligns them against every candidate's
        (`dedup.verdict._ordered_anchor_coverage`)."""
        rows = []
        for p in self.paragraphs:
            if p.anchors:
                counts = Counter(p.anchors)
                rows.append(
                    (
                        tuple((a, n, anchor_weight(a)) for a, n in counts.items()),
                        sum(counts.values()),
                    )
                )
        return tuple(rows)

    @cached_property
    def anchor_postings(self) -> dict[str, tuple[tuple[int, int], ...]]:
        """Anchor -> (row of `anchor_rows`, count there): which paragraphs a
        paragraph of another text can share anchors with, without trying the others."""
        postings: dict[str, list[tuple[int, int]]] = {}
        for y, (items, _) in enumerate(self.anchor_rows):
            for anchor, n, _weight in items:
                postings.setdefault(anchor, []).append((y, n))
        return {anchor: tuple(rows) for anchor, rows in postings.items()}

    @cached_property
    def anchor_tally_mass(self) -> float:
        """The weight of every anchor occurrence of the article (`anchor_rows`)."""
        return sum(w * n for items, _ in self.anchor_rows for _a, n, w in items)

    @cached_property
    def event_anchors(self) -> frozenset[str]:
        """Anchors without weekdays and month names (`dedup.verdict._anchor_share`)."""
        return frozenset(a for a in self.anchor_set if a[0] not in "wm")

    @cached_property
    def event_anchor_mass(self) -> float:
        return sum(map(anchor_weight, self.event_anchors))

    @cached_property
    def token_norm(self) -> int:
        """Sum of squared token counts: the cosine's norm, made once per article."""
        return sum(n * n for n in self.token_counts.values())

    @cached_property
    def term_rarity(self) -> dict[str, tuple[float, str]]:
        """Rarity in the language and one surface form of each content term.

        Shared rare terms ("popocatepetl", "tariff") say two reports cover one
        event; shared common ones ("president", "monday") do not.
        """
        from dedup.salience import rarity  # salience reads Features: import at call time

        found: dict[str, tuple[float, str]] = {}
        for p in self.paragraphs:
            for token in p.tokens:
                stem = token[:STEM_LENGTH]
                if stem not in found and stem in p.terms and not token.isdigit():
                    found[sys.intern(stem)] = (rarity(token, self.language), token)
        return found

    @cached_property
    def rarity_total(self) -> float:
        """The rarity of all the article's terms (`term_rarity`), summed in their order."""
        return sum(r for r, _ in self.term_rarity.values())

    @cached_property
    def names(self) -> tuple[tuple[str, ...], ...]:
        """Per paragraph, in reading order: name skeletons of rare words and number anchors.

        The language-independent sequence that a translation keeps in order.
        """
        rare = {term for term, (r, _) in self.term_rarity.items() if r >= NAME_RARITY}
        result = []
        for p in self.paragraphs:
            keys = [
                key
                for token in p.tokens
                if token[:STEM_LENGTH] in rare and (key := name_key(token)) is not None
            ]
            keys.extend(a for a in p.anchors if a[0] in "nd")
            result.append(tuple(keys))
        return tuple(result)

    @cached_property
    def name_sequence(self) -> tuple[str, ...]:
        """`names` of every paragraph, one sequence in reading order."""
        return tuple(k for keys in self.names for k in keys)

    @cached_property
    def name_counts(self) -> tuple[Counter[str], ...]:
        """`names` per paragraph as counts (shared names of two aligned paragraphs)."""
        return tuple(Counter(keys) for keys in self.names)

    @cached_property
    def name_tally(self) -> Counter[str]:
        """`name_sequence` as counts: no ordered match of two texts' names holds a name more
        often than both have it, so what they share bounds it (`dedup.verdict.related`)."""
        return Counter(self.name_sequence)

    @cached_property
    def token_counts(self) -> Counter[str]:
        """Token frequencies: their cosine tells one language (function words) from two."""
        return Counter(t for p in self.paragraphs for t in p.tokens)

    @cached_property
    def lengths(self) -> tuple[int, ...]:
        """Characters (spaces left out) per paragraph, the measure of length-based alignment."""
        return tuple(sum(len(t) for t in p.tokens) for p in self.paragraphs)

    @cached_property
    def length_total(self) -> int:
        return sum(self.lengths)

    @cached_property
    def body(self) -> tuple[tuple[int, Paragraph], ...]:
        """Paragraphs long enough to align, with their positions (every verdict reads them)."""
        return tuple((i, p) for i, p in enumerate(self.paragraphs) if p.is_body)

    @cached_property
    def body_sets(self) -> tuple[tuple[int, frozenset[str], int, frozenset[str], int], ...]:
        """`body` as (position, shingles, their number, terms, their number): what every
        paragraph pair of a verdict compares (`dedup.verdict._align_paragraphs`)."""
        return tuple((i, p.shingles, len(p.shingles), p.terms, len(p.terms)) for i, p in self.body)

    @cached_property
    def body_size(self) -> int:
        return sum(p.size for _, p in self.body)


def _has_title(text: str) -> bool:
    """Seed format: a title line followed by a blank line."""
    lines = text.strip().split("\n")
    return len(lines) > 2 and not lines[1].strip()


def extract_features(text: str, language: str | None = None, *, kept: bool = True) -> Features:
    """Everything the later stages need from one seed-format text.

    ``kept``: the features outlive the call, so their words are interned (see `Doc.kept`).
    """
    lines = clean_lines(text)
    title = lines[0] if lines and _has_title(text) else None
    body_lines = lines[1:] if title is not None else lines
    paragraphs = []
    for line in body_lines:
        # Interned: the parsed documents a crawl keeps for later verdicts then hold each
        # word once, however many paragraphs and articles repeat it.
        words = tokenize(line)
        tokens = tuple(map(sys.intern, words) if kept else words)
        if not tokens:
            continue
        paragraphs.append(
            Paragraph(
                text=line,
                tokens=tokens,
                shingles=frozenset(shingles(tokens)),
                anchors=tuple(paragraph_anchors(line)),
            )
        )
    normalized = normalize_lines(lines)
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
    kept: bool = field(default=True, compare=False, repr=False)
    """Whether the document is kept for later verdicts (its words are then interned, held
    once however many articles repeat them). The page stage signs a document and drops it:
    interning its 1,200 words there saves no memory and cost a fifth of a millisecond, 7%
    of features and signature together."""

    @cached_property
    def features(self) -> Features:
        return extract_features(self.text, self.language, kept=self.kept)
