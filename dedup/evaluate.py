"""Evaluation of the verdict on labelled pairs, beside two plain baselines.

Parts (each a list of ``{"id", "text_a", "text_b", "relation", "kind"}``):

- ``real_dev`` / ``real_test``: `tests/data/real/pairs_*.jsonl` (WMT and NTREX
  translations, machine and human; same-language rewrites; unrelated documents)
  plus pairs drawn from the story corpora (ECB+ and BASIL,
  `tests/data/real/stories_*.jsonl`): two reports of one event (``same_story``),
  of a look-alike event of the same ECB+ topic and of another story (both
  ``unrelated``), since no pair corpus has same-story pairs.
  Models and thresholds are fitted on dev only.
- ``generated``: `tests/data/pairs/dev.jsonl` (built by tests/dedup/make_pairs.py),
  for what no real corpus has (exact copies, near duplicates, wire-sharing reports).

Stories (`dedup.story_evaluation`) are measured too, on the same story corpora,
beside a single-pass TF-IDF baseline; their floors live in
``tests/data/stories_baseline.json``.

Baselines: word 3-gram containment and MinHash Jaccard, each with one
threshold tuned on real dev (their best case there) and applied unchanged to
test. ``python -m dedup.evaluate --write-baseline`` pins floors slightly below
the measured figures in ``tests/data/relations_baseline.json``; the quality
test enforces them.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dedup import story_evaluation
from dedup.features import Doc
from dedup.normalize import normalize_text
from dedup.shingles import shingles, tokenize
from dedup.signatures import jaccard, minhash
from dedup.verdict import DERIVED, RELATIONS, Verdict, relate

DATA = Path(__file__).parents[1] / "tests" / "data"
DEV_SET = DATA / "pairs" / "dev.jsonl"
REAL = DATA / "real"
BASELINE = DATA / "relations_baseline.json"
FLOOR_MARGIN = 0.03
"""Floors sit this far below (ceilings above) the measured figures so harmless changes pass."""
REGENERATE = "python -m dedup.evaluate --write-baseline"
SPEED_SAMPLE = 300
"""Pairs timed again, features included, once the word lists of their languages are loaded
(a one-off cost per process): the steady rate of a crawl's linking."""
PER_STORY = 6
"""Same-story pairs drawn per ECB+ story (its sub-topic), and look-alike pairs per topic."""

Pair = dict[str, str]


def load_pairs(path: Path = DEV_SET) -> list[Pair]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _draw(items: Iterable[tuple[Any, Any]], salt: str, limit: int) -> list[tuple[Any, Any]]:
    """A fixed pseudo-random choice: the `limit` items with the smallest hashes."""
    return sorted(
        items,
        key=lambda ab: hashlib.sha256(f"{salt}:{ab[0]['id']}:{ab[1]['id']}".encode()).digest(),
    )[:limit]


def story_pairs(path: Path) -> list[Pair]:
    """Pairs from a story corpus: same story, look-alike event (same topic), other story.

    ECB+ stories are named ``ecbplus:t<topic>-<half>``; the two halves of a
    topic are different events chosen to look alike. Other-story pairs join
    each story with the one two places on in order of first publication, so
    that where a corpus is dated (BASIL) they are reports of the same months.
    The older article (by date, then id) is the source.
    """
    articles = load_pairs(path)
    corpus = articles[0]["corpus"] if articles else ""
    prefix = "ecb" if corpus == "ecbplus" else corpus
    by_story: dict[str, list[Pair]] = {}
    for article in articles:
        by_story.setdefault(article["story"], []).append(article)
    pairs = []

    def add(a: Pair, b: Pair, relation: str, kind: str) -> None:
        a, b = sorted((a, b), key=lambda x: (x.get("published") or "", x["id"]))
        pairs.append(
            {
                "id": f"{a['id']}~{b['id']}",
                "text_a": a["text"],
                "text_b": b["text"],
                "relation": relation,
                "kind": f"{prefix}-{kind}",
            }
        )

    def topic(story: str) -> str:
        return story.rsplit("-", 1)[0] if corpus == "ecbplus" else story

    def first(story: str) -> tuple[str, str]:
        return min(a.get("published") or "" for a in by_story[story]), story

    stories = sorted(by_story, key=first)
    for story in stories:
        for a, b in _draw(itertools.combinations(by_story[story], 2), story, PER_STORY):
            add(a, b, "same_story", "same-story")
    topics: dict[str, list[str]] = {}
    for story in stories:
        topics.setdefault(topic(story), []).append(story)
    for name, halves in topics.items():
        if len(halves) == 2:
            cross = itertools.product(by_story[halves[0]], by_story[halves[1]])
            for a, b in _draw(cross, name, PER_STORY):
                add(a, b, "unrelated", "lookalike-event")
    for s1, s2 in zip(stories, stories[2:] + stories[:2], strict=True):
        if topic(s1) != topic(s2):
            for a, b in _draw(itertools.product(by_story[s1], by_story[s2]), s1, 2):
                add(a, b, "unrelated", "other-topic")
    return pairs


def part(name: str) -> list[Pair]:
    """One evaluation part by name: real_dev, real_test, their fixed samples, or generated."""
    if name.endswith("_sample"):
        return part(name.removesuffix("_sample"))[::SAMPLE_STEP]
    if name == "generated":
        return [p | {"kind": "generated-" + p["relation"]} for p in load_pairs(DEV_SET)]
    split = name.removeprefix("real_")
    stories = story_evaluation.DEV if split == "dev" else story_evaluation.TEST
    return load_pairs(REAL / f"pairs_{split}.jsonl") + [
        pair for path in stories for pair in story_pairs(path)
    ]


def family(kind: str) -> str:
    """A pair kind without its language codes: ``wmt-mt-en-de`` -> ``wmt-mt``."""
    words = kind.split("-")
    while len(words) > 2 and len(words[-1]) in (2, 3) and words[-1] not in ("mt", "ref", "lang"):
        words.pop()
    return "-".join(words)


@dataclass(frozen=True)
class Report:
    """The figures of one judge on one part."""

    accuracy: dict[str, float]
    derived_f1: float
    confusion: dict[str, dict[str, int]]
    pairs: int
    rates: dict[str, float]
    """translation_recall, same_story_called_derived, unrelated_called_same_story."""
    families: dict[str, float]

    def to_json(self) -> dict[str, Any]:
        return {
            "accuracy": self.accuracy,
            "derived_f1": self.derived_f1,
            "pairs": self.pairs,
        } | self.rates


def _rate(confusion: dict[str, Counter[str]], gold: str, hit: Callable[[str], bool]) -> float:
    row = confusion.get(gold)
    if not row:
        return math.nan
    return round(sum(n for guess, n in row.items() if hit(guess)) / sum(row.values()), 4)


HARD_NEGATIVES = frozenset({"ecb-lookalike-event"})
"""Unrelated pairs chosen to look alike (two similar events of one ECB+ topic), reported
apart from unrelated pairs at large, which they would otherwise outweigh."""


def score(gold: Iterable[str], predicted: Iterable[str], kinds: Iterable[str] = ()) -> Report:
    confusion: dict[str, Counter[str]] = {}
    by_family: dict[str, list[bool]] = {}
    ordinary_unrelated: Counter[str] = Counter()
    tp = fp = fn = 0
    for truth, guess, kind in itertools.zip_longest(gold, predicted, kinds):
        confusion.setdefault(truth, Counter())[guess] += 1
        if truth == "unrelated" and (kind is None or family(kind) not in HARD_NEGATIVES):
            ordinary_unrelated[guess] += 1
        if kind is not None:
            by_family.setdefault(family(kind), []).append(truth == guess)
        tp += truth in DERIVED and guess in DERIVED
        fp += truth not in DERIVED and guess in DERIVED
        fn += truth in DERIVED and guess not in DERIVED
    accuracy = {
        rel: round(confusion[rel][rel] / sum(confusion[rel].values()), 4)
        for rel in RELATIONS
        if rel in confusion
    }
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    rates = {
        "translation_recall": _rate(confusion, "translation", lambda g: g == "translation"),
        "same_story_called_derived": _rate(confusion, "same_story", lambda g: g in DERIVED),
        "unrelated_called_same_story": _rate(confusion, "unrelated", lambda g: g == "same_story"),
        "ordinary_unrelated_called_same_story": _rate(
            {"unrelated": ordinary_unrelated}, "unrelated", lambda g: g == "same_story"
        ),
    }
    return Report(
        accuracy,
        round(f1, 4),
        {k: dict(v) for k, v in confusion.items()},
        sum(sum(c.values()) for c in confusion.values()),
        {k: v for k, v in rates.items() if not math.isnan(v)},
        {f: round(sum(ok) / len(ok), 4) for f, ok in sorted(by_family.items())},
    )


def verdict_relation(text_a: str, text_b: str) -> str:
    return relate(Doc(text_a), Doc(text_b)).relation


def evaluate(pairs: Sequence[Pair], judge: Callable[[str, str], str] = verdict_relation) -> Report:
    return score(
        [p["relation"] for p in pairs],
        [judge(p["text_a"], p["text_b"]) for p in pairs],
        [p.get("kind", p["relation"]) for p in pairs],
    )


def _shingle_set(text: str) -> frozenset[str]:
    return frozenset(shingles(tokenize(normalize_text(text))))


def containment_similarity(text_a: str, text_b: str) -> float:
    """Share of the smaller text's word 3-shingles found in the other."""
    a, b = _shingle_set(text_a), _shingle_set(text_b)
    smaller = min(len(a), len(b))
    return len(a & b) / smaller if smaller else 0.0


def minhash_similarity(text_a: str, text_b: str) -> float:
    sig_a, sig_b = (minhash(shingles(tokenize(normalize_text(t)))) for t in (text_a, text_b))
    return jaccard(sig_a, sig_b)


@dataclass(frozen=True)
class ThresholdBaseline:
    """A plain method: one similarity, one threshold (tuned for derived F1 on dev).

    Similarity 1 is exact, ≥ 0.8 near_duplicate, ≥ the threshold rewrite,
    else unrelated: it cannot see translations or stories.
    """

    name: str
    similarity: Callable[[str, str], float]

    def _predict(self, sims: list[float], threshold: float) -> list[str]:
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

    def tune(self, pairs: Sequence[Pair]) -> float:
        sims = [self.similarity(p["text_a"], p["text_b"]) for p in pairs]
        gold = [p["relation"] for p in pairs]
        return max(
            (t / 100 for t in range(5, 80)),
            key=lambda t: score(gold, self._predict(sims, t)).derived_f1,
        )

    def report(self, pairs: Sequence[Pair], threshold: float) -> Report:
        sims = [self.similarity(p["text_a"], p["text_b"]) for p in pairs]
        return score(
            [p["relation"] for p in pairs],
            self._predict(sims, threshold),
            [p.get("kind", p["relation"]) for p in pairs],
        )


BASELINES = (
    ThresholdBaseline("containment_3gram", containment_similarity),
    ThresholdBaseline("minhash", minhash_similarity),
)


def calibration(pairs: Sequence[Pair], verdicts: Sequence[Verdict]) -> dict[str, Any]:
    """Brier score of the verdict scores against correctness, and a reliability table."""
    outcomes = [
        (v.score, float(v.relation == p["relation"])) for p, v in zip(pairs, verdicts, strict=True)
    ]
    bins: dict[str, list[tuple[float, float]]] = {}
    for s, ok in outcomes:
        low = min(9, int(s * 10)) / 10
        bins.setdefault(f"{low:.1f}-{low + 0.1:.1f}", []).append((s, ok))
    return {
        "brier": round(sum((s - ok) ** 2 for s, ok in outcomes) / len(outcomes), 4),
        "reliability": {
            b: {
                "pairs": len(rows),
                "mean_score": round(sum(s for s, _ in rows) / len(rows), 3),
                "accuracy": round(sum(ok for _, ok in rows) / len(rows), 3),
            }
            for b, rows in sorted(bins.items())
        },
    }


def measure_part(pairs: Sequence[Pair]) -> tuple[Report, dict[str, Any], float]:
    """The verdict's report on one part, its calibration, and verdicts per second."""
    verdicts = [relate(Doc(p["text_a"]), Doc(p["text_b"])) for p in pairs]
    sample = pairs[:SPEED_SAMPLE]
    start = time.perf_counter()
    for p in sample:
        relate(Doc(p["text_a"]), Doc(p["text_b"]))
    speed = len(sample) / (time.perf_counter() - start)
    report = score(
        [p["relation"] for p in pairs],
        [v.relation for v in verdicts],
        [p.get("kind", p["relation"]) for p in pairs],
    )
    return report, calibration(pairs, verdicts), speed


LOWER_IS_BETTER = frozenset(
    {
        "same_story_called_derived",
        "unrelated_called_same_story",
        "ordinary_unrelated_called_same_story",
    }
)


def floors(report: Report, margin: float = FLOOR_MARGIN) -> dict[str, Any]:
    """Floors below each higher-is-better figure, ceilings above the lower-is-better rates."""

    def floor(value: float) -> float:
        return max(0.0, math.floor((value - margin) * 100) / 100)

    return {
        "accuracy": {rel: floor(acc) for rel, acc in report.accuracy.items()},
        "derived_f1": floor(report.derived_f1),
        "rates": {
            k: (math.ceil((v + margin) * 100) / 100 if k in LOWER_IS_BETTER else floor(v))
            for k, v in report.rates.items()
        },
    }


def shortfalls(report: Report, pinned: dict[str, Any]) -> list[str]:
    """One sentence per figure below its pinned floor (or above its ceiling)."""
    problems = [
        f"accuracy on {rel} fell to {report.accuracy.get(rel, 0.0):.3f} (floor {floor:.2f})"
        for rel, floor in pinned["accuracy"].items()
        if report.accuracy.get(rel, 0.0) < floor
    ]
    if report.derived_f1 < pinned["derived_f1"]:
        problems.append(
            f"derived F1 fell to {report.derived_f1:.3f} (floor {pinned['derived_f1']:.2f})"
        )
    for name, bound in pinned.get("rates", {}).items():
        value = report.rates.get(name, 0.0)
        if name in LOWER_IS_BETTER and value > bound:
            problems.append(f"{name} rose to {value:.3f} (ceiling {bound:.2f})")
        elif name not in LOWER_IS_BETTER and value < bound:
            problems.append(f"{name} fell to {value:.3f} (floor {bound:.2f})")
    return problems


PARTS = ("real_dev", "real_test", "generated", "real_dev_sample", "real_test_sample")
SAMPLE_STEP = 5
"""The default test tier gates every fifth real pair (a few seconds); the slow tier all."""


def run(parts: Sequence[str] = PARTS) -> dict[str, Any]:
    """Every figure of the evaluation, as JSON-ready data."""
    data = {name: part(name) for name in parts}
    tuned = {b.name: b.tune(part("real_dev")) for b in BASELINES}
    result: dict[str, Any] = {}
    for name, pairs in data.items():
        report, calibrated, speed = measure_part(pairs)
        result[name] = {
            "verdict": report.to_json()
            | {"families": report.families, "verdicts_per_second": round(speed)}
            | calibrated,
            "confusion": report.confusion,
        } | {
            b.name: b.report(pairs, tuned[b.name]).to_json() | {"threshold": tuned[b.name]}
            for b in BASELINES
        }
    return result


def _pinned(result: dict[str, Any]) -> dict[str, Any]:
    figures = {name: result[name]["verdict"] for name in result}
    return {
        "measured": figures,
        "baselines": {name: {b.name: result[name][b.name] for b in BASELINES} for name in result},
        "floors": {
            name: floors(Report(f["accuracy"], f["derived_f1"], {}, f["pairs"], _rates(f), {}))
            for name, f in figures.items()
        },
    }


def _rates(figures: dict[str, Any]) -> dict[str, float]:
    keys = (
        "translation_recall",
        "same_story_called_derived",
        "unrelated_called_same_story",
        "ordinary_unrelated_called_same_story",
    )
    return {k: figures[k] for k in keys if k in figures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", action="append", choices=PARTS, help="default: all")
    parser.add_argument("--baseline", type=Path, default=BASELINE)
    parser.add_argument("--write-baseline", action="store_true", help="pin floors from this run")
    parser.add_argument(
        "--no-stories", action="store_true", help="skip the story evaluation (stories_*.jsonl)"
    )
    args = parser.parse_args(argv)
    result = run(args.part or PARTS)
    stories = None if args.no_stories else story_evaluation.measure()
    print(json.dumps(result | {"stories": stories}, indent=2, ensure_ascii=False))
    if args.write_baseline:
        args.baseline.write_text(json.dumps(_pinned(result), indent=2) + "\n", encoding="utf-8")
        if stories is not None:
            story_evaluation.pin(stories)
        return 0
    problems = [] if stories is None else story_evaluation.check(stories)
    if not args.baseline.exists():
        return 1 if problems else 0
    pinned = json.loads(args.baseline.read_text("utf-8"))["floors"]
    for name, figures in result.items():
        f = figures["verdict"]
        report = Report(f["accuracy"], f["derived_f1"], {}, f["pairs"], _rates(f), {})
        problems += [f"{name}: {p}" for p in shortfalls(report, pinned[name])]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
