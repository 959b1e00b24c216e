import itertools
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dedup.features import Doc
from dedup.verdict import (
    LAST_SIGNALS,
    RELATIONS,
    Logistic,
    Thresholds,
    measure,
    models,
    relate,
    related,
)

SEEDS = {
    p.name[:3]: p.read_text("utf-8")
    for p in sorted((Path(__file__).parents[1] / "data" / "pairs" / "seeds").glob("*.txt"))
}
# 000/001/004 are one CNN article (two English spins, one Italian translation); 002 and 003
# are separate reports of the same call. English family members against 002/003 are
# same_story. Two pairs are harder than the models: 001 (a spin that drops and reorders
# paragraphs) against 004 (the Italian of the other spin) has neither aligned lengths nor
# names in order, and the Italian 004 against the English 002/003 shares few names; they are
# only required not to be called derived (001/004) or derived (002-003/004).
EXPECTED = {
    ("000", "001"): "rewrite",
    ("000", "004"): "translation",
    ("000", "002"): "same_story",
    ("000", "003"): "same_story",
    ("001", "002"): "same_story",
    ("001", "003"): "same_story",
    ("002", "003"): "same_story",
}
NOT_DERIVED = [("002", "004"), ("003", "004")]


@pytest.mark.parametrize(("a", "b"), sorted(EXPECTED))
def test_seed_pairs(a: str, b: str) -> None:
    verdict = relate(Doc(SEEDS[a]), Doc(SEEDS[b]))
    assert verdict.relation == EXPECTED[(a, b)]
    assert verdict.relation == relate(Doc(SEEDS[b]), Doc(SEEDS[a])).relation


@pytest.mark.parametrize(("a", "b"), NOT_DERIVED)
def test_reports_in_two_languages_are_not_derived(a: str, b: str) -> None:
    assert not relate(Doc(SEEDS[a]), Doc(SEEDS[b])).derived


def test_scores_are_probabilities() -> None:
    for a, b in itertools.combinations(sorted(SEEDS), 2):
        verdict = relate(Doc(SEEDS[a]), Doc(SEEDS[b]))
        assert 0.0 <= verdict.score <= 1.0
        assert {"p_derived", "p_story", "signals"} <= verdict.evidence.keys()


def test_wire_passages_are_evidence() -> None:
    evidence = relate(Doc(SEEDS["002"]), Doc(SEEDS["003"])).evidence
    passages = " ".join(evidence["shared_passages"])
    assert "unlawful sanctions policy of the west" in passages
    assert "unprecedented sanctions against russia" in passages
    assert "new markets and suppliers" in passages


def test_rewrite_evidence_names_swaps_and_drops() -> None:
    verdict = relate(Doc(SEEDS["000"]), Doc(SEEDS["001"]))
    assert verdict.evidence["substituted"]
    assert verdict.evidence["dropped"]["a"]
    assert verdict.evidence["language_pair"] == ["en", "en"]
    source = Doc(SEEDS["000"]).features.paragraphs
    dropped = [source[i].text for i in verdict.evidence["dropped"]["a"]]
    assert verdict.evidence["dropped_text"] == dropped
    copy = Doc(SEEDS["001"]).features.paragraphs
    assert verdict.evidence["added_text"] == [
        copy[j].text for j in verdict.evidence["dropped"]["b"]
    ]


def test_evidence_reads_source_to_copy() -> None:
    forward = relate(Doc(SEEDS["000"]), Doc(SEEDS["001"])).evidence
    backward = relate(Doc(SEEDS["001"]), Doc(SEEDS["000"])).evidence
    assert forward["dropped_text"] == backward["added_text"]
    swaps = {(a, b) for a, b in forward["substituted"]}
    reversed_swaps = {(a, b) for b, a in backward["substituted"]}
    assert len(swaps & reversed_swaps) >= len(swaps) // 2


def test_translation_evidence() -> None:
    verdict = relate(Doc(SEEDS["000"]), Doc(SEEDS["004"]))
    assert verdict.evidence["language_pair"] == ["en", "it"]
    assert verdict.evidence["direction"] == "en→it"
    assert relate(Doc(SEEDS["004"]), Doc(SEEDS["000"])).evidence["direction"] == "it→en"
    assert len(verdict.evidence["aligned"]) >= 10


def test_same_story_lists_what_is_shared() -> None:
    evidence = relate(Doc(SEEDS["002"]), Doc(SEEDS["003"])).evidence
    assert len(evidence["shared_passages"]) >= 3
    assert evidence["shared_terms"]


def test_the_evidence_does_not_depend_on_the_hash_seed() -> None:
    """Equally rare shared words (every word the frequency lists lack is equally rare) are
    listed in one order by every process, whatever its string hashes: two crawls of the
    same articles store the same evidence."""
    script = (
        "import json, sys; from tests.dedup.test_dedup_verdict import SEEDS; "
        "from dedup.features import Doc; from dedup.verdict import relate; "
        "print(json.dumps(relate(Doc(SEEDS['002']), Doc(SEEDS['003'])).evidence))"
    )
    root = Path(__file__).parents[2]
    evidences = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", script],
                cwd=root,
                env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(root)},
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for seed in ("1", "2", "3")
    ]
    assert len(evidences[0]["shared_terms"]) >= 10
    assert evidences[1] == evidences[0]
    assert evidences[2] == evidences[0]


def test_exact_and_unrelated() -> None:
    text = SEEDS["002"]
    assert (
        relate(Doc(text), Doc("\n\n".join(text.split("\n\n")) + "\n\nRead more")).relation
        == "exact"
    )
    other = Doc(
        "Rain in Lisbon\n\nHeavy rain flooded streets in Lisbon on Monday, firefighters said."
    )
    assert relate(Doc(text), other).relation == "unrelated"


def test_publication_dates_far_apart_are_not_one_story() -> None:
    a = Doc(SEEDS["000"], published=datetime(2022, 6, 15, tzinfo=UTC))
    b = Doc(SEEDS["003"], published=datetime(2023, 6, 15, tzinfo=UTC))
    assert relate(a, b).relation == "unrelated"


def test_thresholds_drive_the_verdict() -> None:
    strict = Thresholds(derived=1.01)
    assert relate(Doc(SEEDS["000"]), Doc(SEEDS["001"]), strict).relation != "rewrite"
    assert set(RELATIONS) >= {"exact", "unrelated"}


def test_a_screened_verdict_is_relate_s_or_certainly_unrelated() -> None:
    """`related` skips the last signals only where no value of theirs could relate the pair:
    every verdict it gives is `relate`'s, and it gives none only for unrelated pairs. The
    generated pairs of every relation hold unrelated pairs it must screen (the test fails if
    it never does) and related pairs that a loose bound would screen."""
    from dedup.evaluate import DEV_SET, load_pairs

    screened = 0
    for pair in load_pairs(DEV_SET):
        a, b = Doc(pair["text_a"]), Doc(pair["text_b"])
        full, quick = relate(a, b), related(a, b)
        if quick is None:
            screened += 1
            assert full.relation == "unrelated"
        else:
            assert quick == full
    assert screened >= 10
    # A rewrite that no bar could call one story is still judged: the derived model decides.
    never_story = Thresholds(story=1.01)
    spin = related(Doc(SEEDS["000"]), Doc(SEEDS["001"]), never_story)
    assert spin is not None
    assert spin.relation == "rewrite"
    far = Doc(SEEDS["003"], published=datetime(2023, 6, 15, tzinfo=UTC))
    assert related(Doc(SEEDS["000"], published=datetime(2022, 6, 15, tzinfo=UTC)), far) is None


def test_a_model_s_highest_probability_bounds_every_value_in_the_ranges() -> None:
    model = Logistic(("x", "y", "z"), (2.0, -3.0, 0.5), -1.0)
    ranges = {"y": (0.0, 1.0), "z": (0.0, 4.0)}
    highest = model.highest({"x": 0.3}, ranges)
    assert highest == model.probability({"x": 0.3, "y": 0.0, "z": 4.0})
    for y, z in itertools.product((0.0, 0.25, 1.0), (0.0, 1.5, 4.0)):
        assert model.probability({"x": 0.3, "y": y, "z": z}) <= highest
    assert model.highest({"x": 0.3}, {"y": (0.0, 1.0)}) is None  # z unknown, no range


def test_a_verdict_lists_the_signals_its_models_read_and_measure_lists_all() -> None:
    """Anchors aligned in order are read only across languages: a verdict on a pair in one
    language neither measures nor lists them; training (`measure`) gets every signal."""
    same = relate(Doc(SEEDS["000"]), Doc(SEEDS["001"])).evidence["signals"]
    across = relate(Doc(SEEDS["000"]), Doc(SEEDS["004"])).evidence["signals"]
    assert "anchor_coverage" not in same
    assert "anchor_coverage" in across
    assert {"name_order", "name_matches"} <= same.keys()
    every = measure(Doc(SEEDS["000"]), Doc(SEEDS["001"])).signals
    assert set(LAST_SIGNALS) <= every.keys()
    for model in (models().derived_same, models().derived_cross, models().story):
        assert set(model.features) <= every.keys()
