"""Quality gate: the verdict on the development set must not fall below pinned floors."""

import importlib.util
import json
import sys
from pathlib import Path

from dedup.evaluate import REGENERATE, evaluate, load_pairs, score, shortfalls

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
    pairs = load_pairs(DATA / "pairs" / "dev.jsonl")
    counts = {p["relation"]: 0 for p in pairs}
    for p in pairs:
        counts[p["relation"]] += 1
    assert len(pairs) >= 300
    assert len(counts) == 6
    assert min(counts.values()) >= 40


def test_quality_floors() -> None:
    report = evaluate(load_pairs(DATA / "pairs" / "dev.jsonl"))
    pinned = json.loads((DATA / "relations_baseline.json").read_text("utf-8"))["floors"]
    problems = shortfalls(report, pinned)
    assert not problems, "; ".join(problems) + f". If intended, regenerate with `{REGENERATE}`."


def test_scores_and_shortfalls() -> None:
    report = score(["rewrite", "unrelated", "translation"], ["rewrite", "rewrite", "same_story"])
    assert report.accuracy == {"rewrite": 1.0, "translation": 0.0, "unrelated": 0.0}
    assert report.derived_f1 == 0.5
    pinned = {"accuracy": {"rewrite": 0.9, "translation": 0.5}, "derived_f1": 0.4}
    assert shortfalls(report, pinned) == ["accuracy on translation fell to 0.000 (floor 0.50)"]
