"""Quality gate: the verdict must not fall below the floors pinned in relations_baseline.json.

The default tier gates fixed samples of the real dev and test pairs and all generated pairs
(seconds); the slow tier gates the full real parts.
"""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from dedup.evaluate import REGENERATE, evaluate, family, part, score, shortfalls

DATA = Path(__file__).parents[1] / "data"
_SPEC = importlib.util.spec_from_file_location(
    "make_pairs", Path(__file__).with_name("make_pairs.py")
)
assert _SPEC is not None
assert _SPEC.loader is not None
make_pairs = importlib.util.module_from_spec(_SPEC)
sys.modules.setdefault("make_pairs", make_pairs)  # dataclasses look their module up here
_SPEC.loader.exec_module(make_pairs)


def test_dev_set_is_current_and_balanced() -> None:
    written: list[str] = []
    make_pairs.main(written.append)
    assert written[0] == (DATA / "pairs" / "dev.jsonl").read_text("utf-8"), (
        "tests/data/pairs/dev.jsonl is stale; run `python -m tests.dedup.make_pairs`."
    )
    pairs = part("generated")
    counts = {p["relation"]: 0 for p in pairs}
    for p in pairs:
        counts[p["relation"]] += 1
    assert len(pairs) >= 300
    assert len(counts) == 6
    assert min(counts.values()) >= 40


def _gate(name: str) -> None:
    report = evaluate(part(name))
    pinned = json.loads((DATA / "relations_baseline.json").read_text("utf-8"))["floors"][name]
    problems = shortfalls(report, pinned)
    assert not problems, "; ".join(problems) + f". If intended, regenerate with `{REGENERATE}`."


@pytest.mark.parametrize("name", ["generated", "real_dev_sample", "real_test_sample"])
def test_quality_floors(name: str) -> None:
    _gate(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["real_dev", "real_test"])
def test_quality_floors_full(name: str) -> None:
    _gate(name)


def test_real_parts_hold_every_relation_but_exact_copies() -> None:
    relations = {p["relation"] for p in part("real_dev_sample")}
    assert relations == {"rewrite", "translation", "same_story", "unrelated"}


def test_scores_and_shortfalls() -> None:
    report = score(["rewrite", "unrelated", "translation"], ["rewrite", "rewrite", "same_story"])
    assert report.accuracy == {"rewrite": 1.0, "translation": 0.0, "unrelated": 0.0}
    assert report.derived_f1 == 0.5
    assert report.rates["translation_recall"] == 0.0
    pinned = {
        "accuracy": {"rewrite": 0.9, "translation": 0.5},
        "derived_f1": 0.4,
        "rates": {"translation_recall": 0.0},
    }
    assert shortfalls(report, pinned) == ["accuracy on translation fell to 0.000 (floor 0.50)"]
    pinned["rates"] = {"unrelated_called_same_story": 0.0}
    assert score(["unrelated"], ["same_story"]).rates["unrelated_called_same_story"] == 1.0
    assert shortfalls(score(["unrelated"], ["same_story"]), pinned)[-1].startswith(
        "unrelated_called_same_story rose"
    )


def test_kind_families_fold_language_codes() -> None:
    assert family("wmt-mt-en-de") == "wmt-mt"
    assert family("ref-vs-mt-en") == "ref-vs-mt"
    assert family("ntrex-human-en-fa") == "ntrex-human"
    assert family("wmt-diffdoc-same-lang") == "wmt-diffdoc-same-lang"
