"""Evaluation of the verdict on labelled pairs, beside a plain MinHash baseline.

Pairs are JSON lines ``{"id", "text_a", "text_b", "relation"}`` (texts in the
seed format). ``python -m dedup.evaluate --write-baseline`` measures the
development set and pins floors slightly below the figures in
``tests/data/relations_baseline.json``, which the quality test enforces.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dedup.features import Doc
from dedup.normalize import normalize_text
from dedup.shingles import shingles, tokenize
from dedup.signatures import jaccard, minhash
from dedup.verdict import DERIVED, RELATIONS, relate

DEV_SET = Path("tests/data/pairs/dev.jsonl")
BASELINE = Path("tests/data/relations_baseline.json")
FLOOR_MARGIN = 0.03
"""Floors sit this far below the measured figures so that harmless changes pass."""
REGENERATE = "python -m dedup.evaluate --write-baseline"


@dataclass(frozen=True)
class Report:
    """Accuracy per gold relation, derived-vs-not F1, and the confusion counts."""

    accuracy: dict[str, float]
    derived_f1: float
    confusion: dict[str, dict[str, int]]
    pairs: int

    def to_json(self) -> dict[str, Any]:
        return {"accuracy": self.accuracy, "derived_f1": self.derived_f1, "pairs": self.pairs}


def load_pairs(path: Path = DEV_SET) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def score(gold: Iterable[str], predicted: Iterable[str]) -> Report:
    confusion: dict[str, Counter[str]] = {}
    tp = fp = fn = 0
    for truth, guess in zip(gold, predicted, strict=True):
        confusion.setdefault(truth, Counter())[guess] += 1
        tp += truth in DERIVED and guess in DERIVED
        fp += truth not in DERIVED and guess in DERIVED
        fn += truth in DERIVED and guess not in DERIVED
    accuracy = {
        rel: round(confusion[rel][rel] / sum(confusion[rel].values()), 4)
        for rel in RELATIONS
        if rel in confusion
    }
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    pairs = sum(sum(c.values()) for c in confusion.values())
    return Report(accuracy, round(f1, 4), {k: dict(v) for k, v in confusion.items()}, pairs)


def verdict_relation(text_a: str, text_b: str) -> str:
    return relate(Doc(text_a), Doc(text_b)).relation


def minhash_similarity(text_a: str, text_b: str) -> float:
    sig_a, sig_b = (minhash(shingles(tokenize(normalize_text(t)))) for t in (text_a, text_b))
    return jaccard(sig_a, sig_b)


def minhash_baseline(pairs: list[dict[str, str]]) -> tuple[Report, float]:
    """The plain method: one Jaccard threshold, tuned on the pairs themselves (its best case).

    An estimated Jaccard of 1 is exact, above 0.8 near_duplicate, above the
    tuned threshold rewrite, otherwise unrelated; it cannot see translations
    or stories.
    """
    sims = [minhash_similarity(p["text_a"], p["text_b"]) for p in pairs]
    gold = [p["relation"] for p in pairs]

    def predict(threshold: float) -> list[str]:
        return [
            "exact"
            if s >= 1.0
            else "near_duplicate"
            if s >= 0.8
            else "rewrite"
            if s >= threshold
            else "unrelated"
            for s in sims
        ]

    best = max((t / 100 for t in range(5, 80)), key=lambda t: score(gold, predict(t)).derived_f1)
    return score(gold, predict(best)), best


def evaluate(
    pairs: list[dict[str, str]], judge: Callable[[str, str], str] = verdict_relation
) -> Report:
    return score((p["relation"] for p in pairs), (judge(p["text_a"], p["text_b"]) for p in pairs))


def floors(report: Report, margin: float = FLOOR_MARGIN) -> dict[str, Any]:
    def floor(value: float) -> float:
        return max(0.0, math.floor((value - margin) * 100) / 100)

    return {
        "accuracy": {rel: floor(acc) for rel, acc in report.accuracy.items()},
        "derived_f1": floor(report.derived_f1),
    }


def shortfalls(report: Report, pinned: dict[str, Any]) -> list[str]:
    """One sentence per figure below its pinned floor."""
    problems = [
        f"accuracy on {rel} fell to {report.accuracy.get(rel, 0.0):.3f} (floor {floor:.2f})"
        for rel, floor in pinned["accuracy"].items()
        if report.accuracy.get(rel, 0.0) < floor
    ]
    if report.derived_f1 < pinned["derived_f1"]:
        problems.append(
            f"derived F1 fell to {report.derived_f1:.3f} (floor {pinned['derived_f1']:.2f})"
        )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=DEV_SET)
    parser.add_argument("--baseline", type=Path, default=BASELINE)
    parser.add_argument("--write-baseline", action="store_true", help="pin floors from this run")
    args = parser.parse_args(argv)
    pairs = load_pairs(args.pairs)
    report = evaluate(pairs)
    plain, threshold = minhash_baseline(pairs)
    result = {
        "measured": report.to_json(),
        "minhash_baseline": plain.to_json() | {"threshold": threshold},
        "floors": floors(report),
    }
    print(json.dumps(result | {"confusion": report.confusion}, indent=2))
    if args.write_baseline:
        args.baseline.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        return 0
    if args.baseline.exists():
        problems = shortfalls(report, json.loads(args.baseline.read_text("utf-8"))["floors"])
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
