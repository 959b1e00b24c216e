"""Tokens and shingles of normalised text, CJK-aware.

Chinese has no spaces, so each Han character is its own token; word shingles
over such tokens are character n-grams there, and the same code serves every
covered language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from dedup.language import STOPWORDS_BY_LANGUAGE

_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W_\u3400-\u9fff\uf900-\ufaff]+")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[^\W_]+")
"""`_TOKEN` for a text without Han characters: the same tokens, found in 85% of the time
(one character class to try at each place, not two alternatives)."""
_EXTRA_STOP = frozenset(
    [
        "в",
        "и",
        "на",
        "не",
        "что",
        "с",
        "по",
        "как",
        "из",
        "за",
        "его",
        "он",
        "она",
        "они",
        "это",
        "к",
        "о",
        "от",
        "для",
        "но",
        "так",
        "уже",
        "был",
        "была",
        "были",
        "также",
        "который",
        "которые",
        "и",
        "في",
        "من",
        "على",
        "إلى",
        "عن",
        "أن",
        "التي",
        "الذي",
        "مع",
        "هذا",
        "كان",
        "قال",
        "的",
        "了",
        "在",
        "是",
        "和",
        "与",
        "对",
        "也",
        "将",
        "于",
        "为",
    ]
)
STOPWORDS: frozenset[str] = frozenset().union(*STOPWORDS_BY_LANGUAGE.values(), _EXTRA_STOP)
STEM_LENGTH = 6
"""Content words are compared on this prefix so inflections of one word agree."""

SHINGLE_SIZE = 3


def tokenize(text: str) -> list[str]:
    """Word tokens of folded text; each Han character is a token."""
    if text.isascii() or not _HAN.search(text):
        return _WORD.findall(text)
    return _TOKEN.findall(text)


def shingles(tokens: Sequence[str], size: int = SHINGLE_SIZE) -> set[str]:
    """Contiguous token n-grams; a text shorter than `size` yields itself as one shingle."""
    if len(tokens) < size:
        return {" ".join(tokens)} if tokens else set()
    # The n-grams as `size` staggered views zipped (the shorter ones end it), joined without
    # a Python step per n-gram.
    return set(map(" ".join, zip(*(tokens[i:] for i in range(size)), strict=False)))


def content_terms(tokens: Iterable[str]) -> set[str]:
    """Stemmed content words (Han: character bigrams), the unit of paraphrase overlap.

    Spins swap words but keep most content words or their inflections, so
    overlap of these stems survives rewording where shingles do not.
    """
    terms: set[str] = set()
    han_run: list[str] = []
    for token in tokens:
        if _HAN.fullmatch(token):
            han_run.append(token)
            continue
        if han_run:
            terms.update(_han_bigrams(han_run))
            han_run = []
        if len(token) >= 3 and token not in STOPWORDS and not token.isdigit():
            terms.add(token[:STEM_LENGTH])
    terms.update(_han_bigrams(han_run))
    return terms


def _han_bigrams(run: list[str]) -> set[str]:
    chars = [c for c in run if c not in STOPWORDS]
    return {chars[i] + chars[i + 1] for i in range(len(chars) - 1)}
