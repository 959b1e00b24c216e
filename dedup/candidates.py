"""Candidate search that never scans the store.

Three keys find the articles worth a verdict:

* MinHash LSH over word shingles finds same-language copies and spins.
* Salient terms (`dedup.salience`: rare words of the title and lead weigh
  most) find other reports of one event in other words, within a time window:
  two reports of one event share its names and rare words, not its wording.
* An inverted index of anchor pairs (two specific names, numbers or dates
  that follow each other in one paragraph) finds translations, whatever their
  language.

Anchor pairs shared by too many articles (``China``+``2024``) say nothing and
would make a query cost grow with the store, so a key whose posting list is
full stops collecting and is ignored at query time. Query cost is therefore
bounded by the number of keys times the posting cap, not by the store size.
"""

from __future__ import annotations

import heapq
import json
import math
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache, partial
from itertools import repeat

from dedup.anchors import anchor_weight
from dedup.features import Doc
from dedup.signatures import LSHIndex, from_bytes, minhash, to_bytes

LSH_THRESHOLD = 0.25
"""Estimated shingle Jaccard above which LSH reports a pair; spins sit around 0.2–0.5."""
MAX_LSH_CANDIDATES = 20
"""LSH hits returned per query, most similar first: bounds the verdicts per article
when a whole corpus reports one event in shared wording."""
MAX_POSTINGS = 50
"""Articles one anchor key may point to before it counts as too common to search by."""
MAX_ANCHOR_CANDIDATES = 10
"""Anchor candidates returned per query, most shared keys first: bounds the verdicts per article."""
MIN_SHARED_FRACTION = 0.3
"""Share of the sparser text's keys that the two must share (at least one key)."""
KEY_WINDOW = 2
"""An anchor is paired with the next this-many specific anchors of its paragraph."""
QUERY_TERMS = 12
"""An article searches by its this-many most salient terms."""
TERM_POSTINGS = 200
"""Articles a term keeps, the latest added first: news about one event comes in one burst,
so older postings matter less, and a query's cost stays bounded as the store grows."""
MAX_TERM_CANDIDATES = 15
"""Salient-term candidates returned per query, highest summed weight first."""
MIN_TERM_SCORE = 0.06
"""Summed product of shared term weights below which two articles are not worth a verdict.
Tuned on the real dev stories with `dedup.lineage.RIVAL_SHARE`: from 0.08 to 0.06 the
true same-story pairs never compared fell from 14.9% to 13.3% (mixed stream) and 4.6% to
3.5% (small stories), for about 4% more verdicts; at 0.05 the extra pairs gave the demo a
false translation (an English analysis of the call and an Italian report of it)."""
TERM_WINDOW_DAYS = 4
"""Salient-term candidates must be published (else seen) within this many days."""


@dataclass(frozen=True)
class DocSignature:
    """What the store keeps per article to rebuild the candidate index."""

    minhash: bytes
    anchor_keys: tuple[str, ...]
    language: str
    terms: Mapping[str, float] = field(default_factory=dict)
    """The salient-term vector (`dedup.salience.term_vector`)."""
    when: datetime | None = None
    """Publication (else first-seen) time: salient-term candidates must be near it."""

    def to_bytes(self) -> bytes:
        header = json.dumps(
            {
                "keys": self.anchor_keys,
                "language": self.language,
                "terms": self.terms,
                "when": self.when.isoformat() if self.when else None,
            }
        ).encode("utf-8")
        return len(header).to_bytes(4, "big") + header + self.minhash

    @classmethod
    def from_bytes(cls, data: bytes) -> DocSignature:
        size = int.from_bytes(data[:4], "big")
        header = json.loads(data[4 : 4 + size].decode("utf-8"))
        when = header.get("when")
        return cls(
            data[4 + size :],
            tuple(header["keys"]),
            str(header["language"]),
            header.get("terms", {}),
            datetime.fromisoformat(when) if when else None,
        )


def anchor_keys(doc: Doc) -> tuple[str, ...]:
    """Numbers and dates alone, and pairs of nearby specific anchors (unordered)."""
    keys: set[str] = set()
    for paragraph in doc.features.paragraphs:
        specific = list(dict.fromkeys(a for a in paragraph.anchors if anchor_weight(a) >= 1.0))
        keys.update(a for a in specific if a[0] in "nd")
        for i, first in enumerate(specific):
            for second in specific[i + 1 : i + 1 + KEY_WINDOW]:
                keys.add("|".join(sorted((first, second))))
    return tuple(sorted(keys))


def signature(doc: Doc, seen: datetime | None = None) -> DocSignature:
    """The persisted signature of one article (``seen`` dates it when it has no date)."""
    return DocSignature(
        to_bytes(minhash(doc.features.shingles)),
        anchor_keys(doc),
        doc.features.language,
        doc.features.salient,
        doc.published or seen,
    )


class CandidateIndex:
    """In-memory candidate index; rebuild it from persisted signatures with `rebuild`."""

    def __init__(self) -> None:
        self._lsh = LSHIndex(LSH_THRESHOLD)
        self._postings: dict[str, list[str]] = {}
        self._ids: set[str] = set()
        self._key_counts: dict[str, int] = {}
        self._terms: dict[str, deque[tuple[str, float, datetime | None]]] = {}
        self._df: Counter[str] = Counter()
        # `specificity` by document frequency for the index as it is now; dropped by `add`.
        self._by_df: Callable[[int], float] | None = None

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, doc_id: str, sig: DocSignature) -> None:
        if doc_id in self._ids:
            return
        self._ids.add(doc_id)
        self._key_counts[doc_id] = len(sig.anchor_keys)
        self._lsh.add(doc_id, from_bytes(sig.minhash))
        for key in sig.anchor_keys:
            posting = self._postings.setdefault(key, [])
            if len(posting) <= MAX_POSTINGS:
                posting.append(doc_id)
        for term, weight in _query_terms(sig):
            self._terms.setdefault(term, deque(maxlen=TERM_POSTINGS)).appendleft(
                (doc_id, weight, sig.when)
            )
        self._df.update(sig.terms.keys())
        self._by_df = None

    def specificity(self, term: str) -> float:
        """How much a term tells within this store: the square root of a smoothed IDF.

        A monitor watches one topic, so its articles all name the same few
        countries and leaders; those words are rare in the language at large
        (`dedup.salience`) but say nothing about which event of the topic an
        article reports. This factor discounts them as the store fills up.
        """
        return self._by_df_now()(self._df.get(term, 0))

    def specificities(self, terms: Iterable[str]) -> list[float]:
        """The `specificity` of each term, in order. Placing an article asks for a thousand
        or more (every term of every candidate story's centroid): they are looked up with
        no Python call per term."""
        return list(map(self._by_df_now(), map(self._df.get, terms, repeat(0))))

    def _by_df_now(self) -> Callable[[int], float]:
        # Most terms share a few small frequencies: each frequency's value is worked out
        # once until the index changes.
        by_df = self._by_df
        if by_df is None:
            by_df = self._by_df = cache(partial(_specificity, len(self._ids)))
        return by_df

    def query(self, sig: DocSignature) -> list[str]:
        """Ids worth a verdict: the closest LSH hits first, then anchor hits by shared keys."""
        found = dict.fromkeys(self._lsh.query(from_bytes(sig.minhash), MAX_LSH_CANDIDATES))
        shared: Counter[str] = Counter()
        searchable = 0
        for key in sig.anchor_keys:
            posting = self._postings.get(key)
            if posting is None or len(posting) <= MAX_POSTINGS:
                searchable += 1
                shared.update(posting or ())
        added = 0
        for doc_id, count in shared.most_common():
            # A fraction of the sparser text's keys, so the pair is found whichever
            # of the two (a full translation, a copy cut short) comes second.
            sparser = min(searchable, self._key_counts[doc_id])
            if count >= max(1, math.ceil(MIN_SHARED_FRACTION * sparser)):
                found.setdefault(doc_id)
                added += 1
                if added == MAX_ANCHOR_CANDIDATES:
                    break
        for doc_id in self._term_hits(sig):
            found.setdefault(doc_id)
        return list(found)

    def _term_hits(self, sig: DocSignature) -> list[str]:
        """Articles near in time that share the most salient-term weight with this one.

        Up to 12 terms × 200 postings are read per query, twice per article (the crawl
        and settling): the time window is two bounds compared, not a difference taken per
        posting, and only the best few are ranked (the same scores, summed in the same
        order, and the same ranking as a full sort)."""
        scores: dict[str, float] = {}
        score = scores.get
        bounds = _window(sig.when)
        # Unread when there are no bounds (`bounds is None` comes first).
        earliest, latest = bounds if bounds is not None else (datetime.min, datetime.max)
        for term, weight in _query_terms(sig):
            for doc_id, other, when in self._terms.get(term, ()):
                if bounds is None or when is None or earliest <= when <= latest:
                    scores[doc_id] = score(doc_id, 0.0) + weight * other
        best = heapq.nsmallest(
            MAX_TERM_CANDIDATES, scores.items(), key=lambda item: (-item[1], item[0])
        )
        return [doc_id for doc_id, total in best if total >= MIN_TERM_SCORE]

    @classmethod
    def rebuild(cls, signatures: Iterable[tuple[str, bytes]]) -> CandidateIndex:
        """An index over persisted `(id, DocSignature.to_bytes())` rows."""
        index = cls()
        for doc_id, data in signatures:
            index.add(doc_id, DocSignature.from_bytes(data))
        return index


def _specificity(size: int, df: int) -> float:
    """`CandidateIndex.specificity` of a term in ``df`` of ``size`` indexed articles."""
    return math.sqrt(math.log(1 + (size + 1) / (df + 1)))


def _window(when: datetime | None) -> tuple[datetime, datetime] | None:
    """The first and last times within ``TERM_WINDOW_DAYS`` of ``when`` (None: any time):
    ``a - w <= b <= a + w`` is ``abs(a - b) <= w``. Clamped to the calendar's ends."""
    if when is None:
        return None
    window = timedelta(days=TERM_WINDOW_DAYS)
    try:
        earliest = when - window
    except OverflowError:
        earliest = datetime.min.replace(tzinfo=when.tzinfo)
    try:
        latest = when + window
    except OverflowError:
        latest = datetime.max.replace(tzinfo=when.tzinfo)
    return earliest, latest


def _query_terms(sig: DocSignature) -> list[tuple[str, float]]:
    """The terms an article is indexed and searched by: its most salient ones."""
    return sorted(sig.terms.items(), key=lambda item: (-item[1], item[0]))[:QUERY_TERMS]
