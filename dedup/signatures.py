"""MinHash signatures and the banded LSH index over them.

Signatures are persisted next to articles (as bytes) so that the candidate
index can be rebuilt at start-up without re-reading every text.

They are datasketch's MinHash of our parameters (``MinHash(num_perm=64, seed=1,
scheme="affine32")`` fed UTF-8 shingles), bit for bit, and the index finds what
datasketch's ``MinHashLSH`` finds, but neither imports datasketch: it imports SciPy
(for the integrals that choose the LSH bands), about a third of a second of every
process that links articles (the crawl process, its workers' fork server, every
``newsmon`` command). ``tests/dedup/test_dedup_candidates.py`` checks both against
datasketch itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from fractions import Fraction
from functools import cache
from math import comb

import numpy as np
import numpy.typing as npt

NUM_PERM = 64
"""Permutations per signature: enough for LSH recall at the thresholds used, small to store."""
SEED = 1
SCHEME = "affine32"
_FMIX32 = tuple(np.uint32(c) for c in (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16))
"""MurmurHash3's 32-bit finaliser (shifts and multipliers), which datasketch's affine32
scheme applies to every hash before its permutations."""
_BLOCK = 4096
"""Shingles permuted at once: a block's matrix is 4096 × NUM_PERM × 4 bytes (1 MB)."""
_EMPTY = np.uint32(0xFFFFFFFF)
"""Every value of the empty signature (datasketch's maximum hash of the scheme)."""

Signature = npt.NDArray[np.uint32]
"""A MinHash signature: its NUM_PERM hash values (datasketch's ``MinHash.hashvalues``)."""


@cache
def _permutations() -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    """The affine permutations ``h -> a * h + b mod 2**32`` of (NUM_PERM, SEED), drawn once
    per process as datasketch draws them for the affine32 scheme (``MinHash.
    _init_permutations``): odd multipliers, then offsets, from one seeded generator."""
    generator = np.random.RandomState(SEED)
    a = generator.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def minhash(shingle_set: Iterable[str]) -> Signature:
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
    least = np.full(NUM_PERM, _EMPTY, dtype=np.uint32)
    if not len(hashes):
        return least
    shift1, mult1, shift2, mult2, shift3 = _FMIX32
    mixed = hashes ^ (hashes >> shift1)
    mixed = mixed * mult1
    mixed = mixed ^ (mixed >> shift2)
    mixed = mixed * mult2
    mixed = (mixed ^ (mixed >> shift3)).reshape(-1, 1)
    a, b = _permutations()
    for start in range(0, len(mixed), _BLOCK):
        np.minimum(least, (mixed[start : start + _BLOCK] * a + b).min(axis=0), out=least)
    return least


def to_bytes(sig: Signature) -> bytes:
    """Little-endian uint64 hash values: the persisted form."""
    return np.asarray(sig, dtype="<u8").tobytes()


def from_bytes(data: bytes) -> Signature:
    """Inverse of `to_bytes`; refuses data made with another permutation count or scheme."""
    if len(data) != NUM_PERM * 8:
        raise ValueError(f"A MinHash signature must be {NUM_PERM * 8} bytes; run `newsmon relink`.")
    values = np.frombuffer(data, dtype="<u8")
    if int(values.max()) > int(_EMPTY):
        raise ValueError("A MinHash signature was made by an older scheme; run `newsmon relink`.")
    return values.astype(np.uint32)


def jaccard(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of the two shingle sets."""
    return float(np.count_nonzero(a == b)) / float(len(a))


def _missed_mass(threshold: Fraction, bands: int, rows: int) -> Fraction:
    """The integral from 0 to ``threshold`` of the probability that two sets of Jaccard
    similarity s share a band, ``1 - (1 - s**rows)**bands``, exactly (binomial expansion)."""
    t = threshold
    kept = sum(
        (-1 if k % 2 else 1) * comb(bands, k) * t ** (rows * k + 1) / (rows * k + 1)
        for k in range(bands + 1)
    )
    return t - kept


@cache
def lsh_bands(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """Bands and rows per band of datasketch's ``MinHashLSH(threshold, num_perm)``: the
    split that minimises the false positive and false negative probabilities, weighted
    alike (``_optimal_param``). datasketch integrates them numerically with SciPy; here
    they are integrated exactly, in rational numbers (a few milliseconds, once)."""
    t = Fraction(threshold)
    best: Fraction | None = None
    chosen = (0, 0)
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            false_positive = _missed_mass(t, bands, rows)
            whole = _missed_mass(Fraction(1), bands, rows)
            false_negative = (1 - t) - (whole - false_positive)
            error = (false_positive + false_negative) / 2
            if best is None or error < best:
                best, chosen = error, (bands, rows)
    return chosen


class LSHIndex:
    """Banded MinHash LSH over signatures, keyed by article id.

    Two signatures are a hit when all the values of one of their bands agree, as in
    datasketch's ``MinHashLSH`` with the same threshold. It keeps each signature's hash
    values too, so that the hits of a query can be ranked by estimated Jaccard and cut:
    in a corpus about one event, every report shares enough wording to be a hit, and the
    number of hits would grow with the store.
    """

    def __init__(self, threshold: float) -> None:
        bands, rows = lsh_bands(threshold)
        self._ranges = [(i * rows, (i + 1) * rows) for i in range(bands)]
        self._buckets: list[dict[bytes, list[str]]] = [{} for _ in range(bands)]
        # Every signature's values, one row each (grown by doubling), and each key's row:
        # a query's hits are compared with one array operation, not stacked anew.
        self._rows: dict[str, int] = {}
        self._values = np.empty((0, 0), dtype=np.uint32)

    def _bands(self, sig: Signature) -> list[bytes]:
        values = np.asarray(sig, dtype=np.uint32)
        return [values[start:end].tobytes() for start, end in self._ranges]

    def add(self, key: str, sig: Signature) -> None:
        if key in self._rows:
            return
        values = np.asarray(sig, dtype=np.uint32)
        for buckets, band in zip(self._buckets, self._bands(values), strict=True):
            buckets.setdefault(band, []).append(key)
        row = len(self._rows)
        if row == len(self._values):
            grown = np.empty((max(64, 2 * row), len(values)), dtype=np.uint32)
            if row:
                grown[:row] = self._values
            self._values = grown
        self._values[row] = values
        self._rows[key] = row

    def query(self, sig: Signature, limit: int | None = None) -> list[str]:
        """Hits, most similar first (ties in key order); at most ``limit`` of them."""
        found = {
            key
            for buckets, band in zip(self._buckets, self._bands(sig), strict=True)
            for key in buckets.get(band, ())
        }
        hits = sorted(found)
        if limit is None or len(hits) <= limit:
            return hits
        rows = np.fromiter(map(self._rows.__getitem__, hits), dtype=np.intp, count=len(hits))
        estimates = (self._values[rows] == np.asarray(sig, dtype=np.uint32)).mean(axis=1)
        # A stable sort keeps equal estimates in the hits' (key) order.
        best = np.argsort(-estimates, kind="stable")[:limit]
        return [hits[i] for i in best.tolist()]

    def __len__(self) -> int:
        return len(self._rows)
