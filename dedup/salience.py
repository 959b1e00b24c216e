"""Salient terms: the words that tell one article's event from the rest of the news.

A term's weight is its frequency in the article (sublinear, with the title and
the lead counting more, since news puts the event there) times its rarity in
the language at large. Rarity comes from data, not from a table of our topic:
`wordfreq` ships word frequencies for 40-odd languages, measured over
Wikipedia, news, subtitles, books and the web, inside the package. So "Amur"
outweighs "bridge", which outweighs "Monday", in any topic, with nothing to
download and nothing that depends on which articles a store happens to hold
(a store-grown document frequency would make a story depend on crawl order).

Terms are stemmed by prefix (inflections agree) and Han text becomes
character bigrams, as in `dedup.shingles.content_terms`.
"""

from __future__ import annotations

import math
import operator
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from itertools import chain

from dedup.features import Features
from dedup.shingles import STEM_LENGTH, STOPWORDS, tokenize

TITLE_WEIGHT = 3.0
"""A title token counts as this many body tokens: headlines name the event (this weight
and the lead's are multiples of 1/2, so `term_vector`'s sums are exact in any order)."""
LEAD_PARAGRAPHS = 2
LEAD_WEIGHT = 1.5
"""Tokens of the first paragraphs (the lead) count this much; later ones count 1."""
MAX_TERMS = 48
"""Terms kept per article: enough to find and compare events, small to store and index."""
COMMON_ZIPF = 7.5
"""Zipf frequency (log10 of uses per billion words) at which a word says nothing."""
UNSEEN_ZIPF = 1.0
"""Zipf given to words the frequency list lacks: rare names, places, numbers-as-words."""
MIN_RARITY = 0.5

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _rarity_of(zipf: float) -> float:
    return max(MIN_RARITY, COMMON_ZIPF - zipf)


@cache
def _rarities(language: str) -> Mapping[str, float]:
    """Each word's rarity in the language (empty when wordfreq has no list for it).

    wordfreq's list is buckets of words, one frequency per bucket (see
    `wordfreq.get_frequency_dict`, which this follows: a word in two buckets takes the
    later one's). The rarity is worked out once per bucket and the dictionary filled a
    bucket at a time: a worker builds it once for each language it meets, in 0.20 s for
    Russian's 713,000 words where wordfreq's dictionary of frequencies, filled word by
    word, took 0.34 s (reading the list takes 0.15 s more either way).
    """
    # wordfreq is imported with the first list: a crawl process compares the vectors the
    # workers made and reads no list, and the import is a sixth of a second of its start-up.
    from wordfreq import available_languages, cB_to_freq, get_frequency_list

    if language not in available_languages():
        return {}
    rarities: dict[str, float] = {}
    for index, bucket in enumerate(get_frequency_list(language)):
        rarities.update(dict.fromkeys(bucket, _rarity_of(math.log10(cB_to_freq(-index)) + 9)))
    return rarities


def rarity(token: str, language: str) -> float:
    """How much a token tells, from its frequency in the language: high for rare words.

    Languages without a list give every word one middle rarity (plain TF weighting).
    """
    rarities = _rarities(language)
    if not rarities:
        return COMMON_ZIPF / 2
    found = rarities.get(token)
    return _rarity_of(UNSEEN_ZIPF) if found is None else found


def _terms(tokens: Iterable[str]) -> Iterable[tuple[str, str]]:
    """(term, token whose frequency gives its rarity) for the content tokens of a line."""
    run: list[str] = []
    for token in tokens:
        if _HAN.fullmatch(token):
            if token not in STOPWORDS:
                run.append(token)
            continue
        if len(run) > 1:
            yield from ((run[i] + run[i + 1],) * 2 for i in range(len(run) - 1))
        run = []
        if len(token) >= 3 and token not in STOPWORDS and not token.isdigit():
            yield token[:STEM_LENGTH], token
    if len(run) > 1:
        yield from ((run[i] + run[i + 1],) * 2 for i in range(len(run) - 1))


def term_vector(features: Features, limit: int = MAX_TERMS) -> dict[str, float]:
    """The article's `limit` most salient terms, weights L2-normalised."""
    counts: dict[str, float] = {}
    rarest: dict[str, float] = {}
    language = features.language
    title = tokenize(features.title) if features.title is not None else []
    paragraphs = features.paragraphs
    if _HAN.search(features.title or "") or any(_HAN.search(p.text) for p in paragraphs):
        lines: list[tuple[float, Sequence[str]]] = [
            (LEAD_WEIGHT if i < LEAD_PARAGRAPHS else 1.0, p.tokens)
            for i, p in enumerate(paragraphs)
        ]
        lines.append((TITLE_WEIGHT, title))
        for weight, tokens in lines:
            for term, token in _terms(tokens):
                counts[term] = counts.get(term, 0.0) + weight
                if term not in rarest:
                    rarest[term] = rarity(token, language)
    else:
        # Without Han text every term is one token's stem: each distinct token is weighed
        # once, with its count. A `Counter` keeps tokens in the order they first occur, so
        # a term's rarity is still that of the first token giving it, and the sums are
        # those of adding the weight per occurrence, exactly (multiples of 1/2). `rarity`
        # is inlined (a look-up in the language's table): the call was a tenth of the cost.
        rarities = _rarities(language)
        look_up = rarities.get
        unseen = _rarity_of(UNSEEN_ZIPF) if rarities else COMMON_ZIPF / 2
        groups = (
            (LEAD_WEIGHT, [p.tokens for p in paragraphs[:LEAD_PARAGRAPHS]]),
            (1.0, [p.tokens for p in paragraphs[LEAD_PARAGRAPHS:]]),
            (TITLE_WEIGHT, [title]),
        )
        for weight, group in groups:
            for token, n in Counter(chain.from_iterable(group)).items():
                if len(token) >= 3 and token not in STOPWORDS and not token.isdigit():
                    term = token[:STEM_LENGTH]
                    if term in counts:
                        counts[term] += weight * n
                    else:
                        counts[term] = weight * n
                        rarest[term] = look_up(token, unseen)
    # Heaviest first, ties by term: sorting (-weight, term) pairs needs no key function.
    ranked = sorted(
        [(-((1 + math.log(count)) * rarest[term]), term) for term, count in counts.items()]
    )
    top = [(term, -negative) for negative, term in ranked[:limit]]
    norm = math.sqrt(sum(w * w for _, w in top))
    return {term: round(w / norm, 4) for term, w in top} if norm else {}


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine of two sparse vectors (neither need be normalised)."""
    product = dot(a, b)
    if not product:
        return 0.0
    return product / math.sqrt(squares(a) * squares(b))


def dot(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Dot product of two sparse vectors, summed in the shorter one's order (so it is the
    same number whichever is given first)."""
    if len(a) > len(b):
        a, b = b, a
    shared = [term for term in a if term in b]
    total: float = sum(map(operator.mul, map(a.__getitem__, shared), map(b.__getitem__, shared)))
    return total


def squares(vector: Mapping[str, float]) -> float:
    """The sum of a vector's squared weights: its norm, squared."""
    return sum(w * w for w in vector.values())
