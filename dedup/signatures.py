"""MinHash signatures: the only module that touches datasketch.

Signatures are persisted next to articles (as bytes) so that the candidate
index can be rebuilt at start-up without re-reading every text.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from datasketch import MinHash, MinHashLSH

NUM_PERM = 64
"""Permutations per signature: enough for LSH recall at the thresholds used, small to store."""
SEED = 1
SCHEME = "affine32"


def minhash(shingle_set: Iterable[str]) -> MinHash:
    """The MinHash of a set of shingles (an empty set gives the empty signature)."""
    sig = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
    sig.update_batch([s.encode("utf-8") for s in shingle_set])
    return sig


def to_bytes(sig: MinHash) -> bytes:
    """Little-endian uint64 hash values: the persisted form."""
    return np.asarray(sig.hashvalues, dtype="<u8").tobytes()


def from_bytes(data: bytes) -> MinHash:
    """Inverse of `to_bytes`; refuses data that was made with another permutation count."""
    if len(data) != NUM_PERM * 8:
        raise ValueError(f"A MinHash signature must be {NUM_PERM * 8} bytes; run `newsmon relink`.")
    values = np.frombuffer(data, dtype="<u8").astype(np.uint64)
    return MinHash(num_perm=NUM_PERM, seed=SEED, hashvalues=values, scheme=SCHEME)


def jaccard(a: MinHash, b: MinHash) -> float:
    """Estimated Jaccard similarity of the two shingle sets."""
    return float(a.jaccard(b))


class LSHIndex:
    """Banded MinHash LSH over signatures, keyed by article id."""

    def __init__(self, threshold: float) -> None:
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._size = 0

    def add(self, key: str, sig: MinHash) -> None:
        if key not in self._lsh:
            self._lsh.insert(key, sig, check_duplication=False)
            self._size += 1

    def query(self, sig: MinHash) -> list[str]:
        return [str(key) for key in self._lsh.query(sig)]

    def __len__(self) -> int:
        return self._size
