"""Candidate search that never scans the store.

Two keys find the articles worth a verdict:

* MinHash LSH over word shingles finds same-language copies and spins.
* An inverted index of anchor pairs (two specific names, numbers or dates
  that follow each other in one paragraph) finds translations and other
  reports of one event, whatever their language.

Anchor pairs shared by too many articles (``China``+``2024``) say nothing and
would make a query cost grow with the store, so a key whose posting list is
full stops collecting and is ignored at query time. Query cost is therefore
bounded by the number of keys times the posting cap, not by the store size.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

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


@dataclass(frozen=True)
class DocSignature:
    """What the store keeps per article to rebuild the candidate index."""

    minhash: bytes
    anchor_keys: tuple[str, ...]
    language: str

    def to_bytes(self) -> bytes:
        header = json.dumps({"keys": self.anchor_keys, "language": self.language}).encode("utf-8")
        return len(header).to_bytes(4, "big") + header + self.minhash

    @classmethod
    def from_bytes(cls, data: bytes) -> DocSignature:
        size = int.from_bytes(data[:4], "big")
        header = json.loads(data[4 : 4 + size].decode("utf-8"))
        return cls(data[4 + size :], tuple(header["keys"]), str(header["language"]))


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


def signature(doc: Doc) -> DocSignature:
    """The persisted signature of one article."""
    return DocSignature(
        to_bytes(minhash(doc.features.shingles)), anchor_keys(doc), doc.features.language
    )


class CandidateIndex:
    """In-memory candidate index; rebuild it from persisted signatures with `rebuild`."""

    def __init__(self) -> None:
        self._lsh = LSHIndex(LSH_THRESHOLD)
        self._postings: dict[str, list[str]] = {}
        self._ids: set[str] = set()
        self._key_counts: dict[str, int] = {}

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
        return list(found)

    @classmethod
    def rebuild(cls, signatures: Iterable[tuple[str, bytes]]) -> CandidateIndex:
        """An index over persisted `(id, DocSignature.to_bytes())` rows."""
        index = cls()
        for doc_id, data in signatures:
            index.add(doc_id, DocSignature.from_bytes(data))
        return index
