import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH

from dedup.candidates import (
    MAX_ANCHOR_CANDIDATES,
    MAX_LSH_CANDIDATES,
    MAX_TERM_CANDIDATES,
    TERM_WINDOW_DAYS,
    CandidateIndex,
    DocSignature,
    anchor_keys,
    signature,
)
from dedup.features import Doc
from dedup.signatures import (
    NUM_PERM,
    SCHEME,
    SEED,
    LSHIndex,
    from_bytes,
    jaccard,
    lsh_bands,
    minhash,
    to_bytes,
)

SOURCE = Doc(
    "Lavrov meets Wang Yi in Vientiane\n\nSergei Lavrov met Wang Yi in Vientiane on July 25.\n\n"
    "They discussed Ukraine and NATO, and 15 countries attended the ASEAN meetings in Laos."
)
TRANSLATION = Doc(
    "Лавров встретился с Ван И во Вьентьяне\n\nСергей Лавров встретился с Ван И во Вьентьяне "
    "25 июля.\n\nОни обсудили Украину и НАТО, а на встречи АСЕАН в Лаосе приехали 15 стран."
)


def filler(n: int) -> Doc:
    return Doc(
        f"Report {n}\n\nThe council in town {n} approved budget item {n * 7} for roads "
        f"and schools after a debate that lasted {n % 9} hours in hall {n * 3}."
    )


def test_signature_round_trip() -> None:
    sig = signature(SOURCE)
    again = DocSignature.from_bytes(sig.to_bytes())
    assert again == sig
    assert jaccard(from_bytes(sig.minhash), minhash(SOURCE.features.shingles)) == 1.0


def test_a_document_signed_and_dropped_has_the_features_and_signature_of_a_kept_one() -> None:
    for doc in (SOURCE, TRANSLATION):
        dropped = replace(doc, kept=False)
        assert dropped.features == doc.features
        assert signature(dropped) == signature(doc)
    # Only a kept document's words are the interned ones (held once across articles).
    word = SOURCE.features.paragraphs[0].tokens[0]
    assert word is sys.intern(word)
    assert replace(SOURCE, kept=False).features.paragraphs[0].tokens[0] is not word


def _datasketchs(shingles: set[str] | frozenset[str]) -> MinHash:
    reference = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
    reference.update_batch([s.encode("utf-8") for s in shingles])
    return reference


def test_signatures_are_datasketchs_own_so_stored_ones_still_link() -> None:
    """Our MinHash computes datasketch's default hashing faster, without importing it; a store
    signed before (or by datasketch itself) must get the very same bytes, or its articles
    would stop linking."""
    shingles = SOURCE.features.shingles | TRANSLATION.features.shingles
    reference = _datasketchs(shingles)
    assert to_bytes(minhash(shingles)) == to_bytes(reference.hashvalues)
    assert to_bytes(from_bytes(to_bytes(reference.hashvalues))) == to_bytes(reference.hashvalues)
    assert jaccard(minhash(SOURCE.features.shingles), minhash(shingles)) == reference.jaccard(
        _datasketchs(SOURCE.features.shingles)
    )


@pytest.mark.parametrize("size", [0, 1, 9_000])
def test_signatures_of_any_size_are_datasketchs_own(size: int) -> None:
    """Empty, single and long texts (more shingles than one block of `minhash`)."""
    shingles = {f"shingle {n} ünïcode 词{n % 97}" for n in range(size)}
    assert to_bytes(minhash(shingles)) == to_bytes(_datasketchs(shingles).hashvalues)


@pytest.mark.parametrize("threshold", [0.1, 0.25, 0.5, 0.9])
def test_lsh_bands_are_datasketchs(threshold: float) -> None:
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    assert lsh_bands(threshold) == (lsh.b, lsh.r)


def test_lsh_hits_are_datasketchs() -> None:
    """Texts sharing more or less of their wording: the same hits as datasketch's index."""
    words = [f"w{n}" for n in range(400)]
    texts = {
        f"t{n}": {" ".join(words[i : i + 3]) for i in range(n % 7 * 20, n % 7 * 20 + 60 + n)}
        for n in range(60)
    }
    ours, theirs = LSHIndex(0.25), MinHashLSH(threshold=0.25, num_perm=NUM_PERM)
    for key, shingles in texts.items():
        ours.add(key, minhash(shingles))
        theirs.insert(key, _datasketchs(shingles), check_duplication=False)
    hits = 0
    for shingles in texts.values():
        query = minhash(shingles)
        assert ours.query(query) == sorted(theirs.query(_datasketchs(shingles)))
        hits += len(ours.query(query))
    assert 60 < hits < 60 * 60  # neither only themselves nor everything
    assert np.array_equal(from_bytes(to_bytes(query)), query)


def test_bad_signature_bytes_are_refused() -> None:
    with pytest.raises(ValueError, match="relink"):
        from_bytes(to_bytes(minhash({"a"}))[:-8])


def test_translation_shares_anchor_keys() -> None:
    assert set(anchor_keys(SOURCE)) & set(anchor_keys(TRANSLATION))


def test_index_finds_copies_and_translations_not_strangers() -> None:
    index = CandidateIndex()
    for n in range(300):
        index.add(f"f{n}", signature(filler(n)))
    index.add("source", signature(SOURCE))
    assert len(index) == 301
    assert "source" in index.query(signature(TRANSLATION))
    assert "source" in index.query(signature(Doc(SOURCE.text + "\n\nAdvertisement")))
    assert "source" not in index.query(signature(filler(1000)))


def test_rebuild_from_persisted_rows() -> None:
    rows = [("source", signature(SOURCE).to_bytes())]
    assert CandidateIndex.rebuild(rows).query(signature(TRANSLATION)) == ["source"]


def test_a_corpus_in_shared_wording_yields_a_bounded_set_of_the_closest_hits() -> None:
    """When every stored report is a hit, a query still costs a bounded number of verdicts."""
    index = CandidateIndex()
    for n in range(3 * MAX_LSH_CANDIDATES):
        index.add(f"r{n}", signature(Doc(f"{SOURCE.text}\n\nUpdate {n}: filed from desk {n}.")))
    index.add("copy", signature(Doc(SOURCE.text + "\n\nAdvertisement")))
    hits = index.query(signature(SOURCE))
    assert (
        MAX_LSH_CANDIDATES
        <= len(hits)
        <= (MAX_LSH_CANDIDATES + MAX_ANCHOR_CANDIDATES + MAX_TERM_CANDIDATES)
    )
    assert hits[0] == "copy"  # the closest text comes first


# Two reports of one event that share rare words but no wording and no anchors.
FLOOD = Doc(
    "Floods swamp Ulverston as the Leven bursts its banks\n\n"
    "Residents of Ulverston were evacuated overnight when the Leven overflowed, "
    "and firefighters pumped water from flooded cottages near the canal."
)
FLOOD_REPORT = Doc(
    "Ulverston evacuates cottages after Leven overflows\n\n"
    "Pumps and firefighters worked through the night in Ulverston; the river Leven "
    "overflowed its banks and flooded homes beside the old canal."
)


def test_another_report_of_one_event_in_other_words_is_found_by_its_salient_terms() -> None:
    index = CandidateIndex()
    for n in range(300):
        index.add(f"f{n}", signature(filler(n)))
    index.add("flood", signature(FLOOD))
    assert "flood" in index.query(signature(FLOOD_REPORT))
    assert "flood" not in index.query(signature(filler(1000)))


def test_salient_term_candidates_must_be_near_in_time() -> None:
    day = datetime(2022, 6, 10, tzinfo=UTC)
    index = CandidateIndex()
    index.add("flood", replace(signature(FLOOD), when=day))
    report = signature(FLOOD_REPORT)
    assert "flood" in index.query(replace(report, when=day + timedelta(days=1)))
    late = day + timedelta(days=TERM_WINDOW_DAYS + 1)
    assert "flood" not in index.query(replace(report, when=late))


def test_the_time_window_holds_its_edges_either_way() -> None:
    """Exactly TERM_WINDOW_DAYS apart is near, a microsecond more is not, earlier or later;
    an undated query has no window; a date at the calendar's end has one that ends there
    (its bounds are clamped, not computed past the last date)."""
    day, window = datetime(2022, 6, 10, tzinfo=UTC), timedelta(days=TERM_WINDOW_DAYS)
    for sign in (1, -1):
        index = CandidateIndex()
        edge = day - sign * window
        index.add("edge", replace(signature(FLOOD), when=edge))
        index.add("past", replace(signature(FLOOD), when=edge - sign * timedelta(microseconds=1)))
        hits = index.query(replace(signature(FLOOD_REPORT), when=day))
        assert "edge" in hits
        assert "past" not in hits
    index = CandidateIndex()
    index.add("flood", replace(signature(FLOOD), when=day))
    assert "flood" in index.query(replace(signature(FLOOD_REPORT), when=None))
    last = datetime.max.replace(tzinfo=UTC)
    index.add("late", replace(signature(FLOOD), when=last - timedelta(days=1)))
    assert "late" in index.query(replace(signature(FLOOD_REPORT), when=last))


SEEDS = Path(__file__).parents[1] / "data" / "pairs" / "seeds"


@pytest.mark.parametrize(("stored", "query"), [("001", "004"), ("004", "001")])
def test_a_translation_and_a_copy_cut_short_find_each_other_either_way(
    stored: str, query: str
) -> None:
    """004 translates the whole article, 001 spins it with paragraphs dropped."""
    texts = {p.name[:3]: p.read_text("utf-8") for p in SEEDS.glob("*.txt")}
    index = CandidateIndex()
    for n in range(300):
        index.add(f"f{n}", signature(filler(n)))
    for seed in ("002", "003", stored):
        index.add(seed, signature(Doc(texts[seed])))
    assert stored in index.query(signature(Doc(texts[query])))


def test_terms_every_stored_article_has_tell_less_within_the_store() -> None:
    index = CandidateIndex()
    for n in range(20):
        terms = {"putin": 0.7, f"event{n}": 0.7}
        index.add(f"a{n}", replace(signature(filler(n)), terms=terms))
    assert index.specificity("putin") < index.specificity("event3") < index.specificity("unseen")


def test_specificities_are_each_terms_specificity_as_the_index_grows() -> None:
    index = CandidateIndex()
    for n in range(20):
        index.add(f"a{n}", replace(signature(filler(n)), terms={"putin": 0.7, f"event{n}": 0.7}))
    first = index.specificity("event3")
    terms = ["putin", "event3", "unseen", "putin"]
    assert index.specificities(terms) == [index.specificity(term) for term in terms]
    index.add("a20", replace(signature(filler(20)), terms={"event3": 0.5}))
    assert index.specificities(["event3"]) == [index.specificity("event3")] != [first]
