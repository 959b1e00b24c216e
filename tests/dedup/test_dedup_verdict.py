import itertools
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dedup.features import Doc
from dedup.verdict import RELATIONS, Thresholds, relate

SEEDS = {
    p.name[:3]: p.read_text("utf-8")
    for p in sorted((Path(__file__).parents[1] / "data" / "pairs" / "seeds").glob("*.txt"))
}
# 000/001/004 are one CNN article (two English spins, one Italian translation); 002 and 003
# are separate reports of the same call. Family members against 002/003 are same_story.
EXPECTED = {("000", "001"): "rewrite", ("000", "004"): "translation", ("001", "004"): "translation"}


@pytest.mark.parametrize(("a", "b"), list(itertools.combinations(sorted(SEEDS), 2)))
def test_seed_pairs(a: str, b: str) -> None:
    verdict = relate(Doc(SEEDS[a]), Doc(SEEDS[b]))
    assert verdict.relation == EXPECTED.get((a, b), "same_story")
    assert verdict.relation == relate(Doc(SEEDS[b]), Doc(SEEDS[a])).relation


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


def test_translation_evidence() -> None:
    verdict = relate(Doc(SEEDS["000"]), Doc(SEEDS["004"]))
    assert verdict.evidence["language_pair"] == ["en", "it"]
    assert len(verdict.evidence["aligned"]) >= 10


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
    strict = Thresholds(rewrite_coverage=1.01)
    assert relate(Doc(SEEDS["000"]), Doc(SEEDS["001"]), strict).relation != "rewrite"
    assert set(RELATIONS) >= {"exact", "unrelated"}
