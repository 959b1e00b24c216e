"""MinHash signatures: the only module that touches datasketch.

Signatures are persisted next to articles (as bytes) so that the candidate
index can be rebuilt at start-up without re-reading every text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache

import numpy as np
from datasketch import MinHash, MinHashLSH

NUM_PERM = 64
"""Permutations per signature: enough for LSH recall at the thresholds used, small to store."""
SEED = 1
SCHEME = "affine32"
_FMIX32 = tuple(np.uint32(c) for c in (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16))
"""MurmurHash3's 32-bit finaliser (shifts and multipliers), which datasketch's affine32
scheme applies to every hash before its permutations."""
_BLOCK = 4096
"""Shingles permuted at once: a block's matrix is 4096 × NUM_PERM × 4 bytes (1 MB)."""


@cache
def _permutations() -> np.ndarray:
    """The affine permutations of (NUM_PERM, SEED, SCHEME), drawn once per process:
    datasketch draws them again for every MinHash it makes, a tenth of a signature's cost.
    In datasketch's own (2, NUM_PERM) form, every MinHash shares the array uncopied."""
    permutations: np.ndarray = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations
    return permutations


def _sketch(hashvalues: np.ndarray | None = None) -> MinHash:
    """A MinHash of our parameters that is fed 32-bit hashes already made (``int`` is its
    hash function), with the permutations drawn once."""
    return MinHash(
        num_perm=NUM_PERM,
        seed=SEED,
        hashfunc=int,
        hashvalues=hashvalues,
        permutations=_permutations(),
        scheme=SCHEME,
    )


def minhash(shingle_set: Iterable[str]) -> MinHash:
    """The MinHash of a set of shingles (an empty set gives the empty signature).

    datasketch's own hashing for our parameters, bit for bit (stored signatures stay
    valid), computed over the whole set at once: each shingle's hash is the first four
    bytes of its UTF-8 SHA-1, little-endian (datasketch's default); the affine32 scheme
    mixes it with MurmurHash3's 32-bit finaliser and keeps, per permutation (a, b), the
    least ``a * h + b`` modulo 2**32. Done in numpy on every hash at once rather than
    through a Python call per shingle, in blocks that bound the temporary matrix.
    """
    sha1 = hashlib.sha1
    digests = b"".join([sha1(s.encode()).digest() for s in shingle_set])
    # SHA-1 digests are five 32-bit words; the first of each is the shingle's hash.
    hashes = np.frombuffer(digests, dtype="<u4")[::5].astype(np.uint32)
    if not len(hashes):
        return _sketch()
    shift1, mult1, shift2, mult2, shift3 = _FMIX32
    mixed = hashes ^ (hashes >> shift1)
    mixed = mixed * mult1
    mixed = mixed ^ (mixed >> shift2)
    mixed = mixed * mult2
    mixed = (mixed ^ (mixed >> shift3)).reshape(-1, 1)
    a, b = _permutations()
    least = np.full(NUM_PERM, np.iinfo(np.uint32).max, dtype=np.uint32)
    for start in range(0, len(mixed), _BLOCK):
        np.minimum(least, (mixed[start : start + _BLOCK] * a + b).min(axis=0), out=least)
    return _sketch(least)


def to_bytes(sig: MinHash) -> bytes:
    """Little-endian uint64 hash values: the persisted form."""
    return np.asarray(sig.hashvalues, dtype="<u8").tobytes()


def from_bytes(data: bytes) -> MinHash:
    """Inverse of `to_bytes`; refuses data that was made with another permutation count."""
    if len(data) != NUM_PERM * 8:
        raise ValueError(f"A MinHash signature must be {NUM_PERM * 8} bytes; run `newsmon relink`.")
    return _sketch(np.frombuffer(data, dtype="<u8").astype(np.uint64))


def jaccard(a: MinHash, b: MinHash) -> float:
    """Estimated Jaccard similarity of the two shingle sets."""
    return float(a.jaccard(b))


class LSHIndex:
    """Banded MinHash LSH over signatures, keyed by article id.

    It keeps each signature's hash values too, so that the hits of a query can
    be ranked by estimated Jaccard and cut: in a corpus about one event, every
    report shares enough wording to be a hit, and the number of hits would
    grow with the store.
    """

    def __init__(self, threshold: float) -> None:
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._values: dict[str, np.ndarray] = {}

    def add(self, key: str, sig: MinHash) -> None:
        if key not in self._values:
            self._lsh.insert(key, sig, check_duplication=False)
            self._values[key] = np.asarray(sig.hashvalues, dtype=np.uint64)

    def query(self, sig: MinHash, limit: int | None = None) -> list[str]:
        """Hits, most similar first; at most ``limit`` of them."""
        hits = sorted(str(key) for key in self._lsh.query(sig))
        if limit is None or len(hits) <= limit:
            return hits
        stored = np.stack([self._values[key] for key in hits])
        estimates = (stored == np.asarray(sig.hashvalues, dtype=np.uint64)).mean(axis=1)
        ranked = sorted(zip((-float(e) for e in estimates), hits, strict=True))
        return [key for _, key in ranked[:limit]]

    def __len__(self) -> int:
        return len(self._values)
