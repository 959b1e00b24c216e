"""Stories measured on real labelled news, beside a single-pass TF-IDF baseline.

Run by ``python -m dedup.evaluate`` beside the pair evaluation. Articles are
JSON lines ``{"id", "story", "text", "published", "lang", ...}`` (texts in the
seed format; see ``tests/data/real/README.md`` for where they come from).
They are linked one at a time in publication order, as a crawl meets them, by
the same pure stages the crawl uses: candidate search (`dedup.candidates`),
verdicts (`dedup.verdict`) and placement (`dedup.lineage.place`). Stories are
scored with B-cubed precision, recall and F1 (Bagga & Baldwin 1998), the
standard for clusterings with many small clusters, together with candidate
recall: the share of true same-story pairs that candidate search put in front
of a verdict at all.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dedup.candidates import CandidateIndex, signature
from dedup.features import Doc
from dedup.lineage import StoryBook, StoryProfile
from dedup.normalize import normalize_text
from dedup.verdict import DERIVED, relate, related

DATA = Path("tests/data")
CORPORA = ("ecbplus", "basil")
"""The real story corpora (`tests/data/real/README.md`): ECB+'s look-alike event pairs with a
dozen reports each, and BASIL's events told by three outlets of different leanings."""
DEV = tuple(DATA / "real" / f"stories_{corpus}_dev.jsonl" for corpus in CORPORA)
TEST = tuple(DATA / "real" / f"stories_{corpus}_test.jsonl" for corpus in CORPORA)
BASELINE = DATA / "stories_baseline.json"
FLOOR_MARGIN = 0.02
"""Floors sit this far below the measured figures so that harmless changes pass."""
REGENERATE = "python -m dedup.evaluate --write-baseline"
CRAWLED = datetime(2026, 1, 1, tzinfo=UTC)
"""When the replayed crawl sees the corpus. A crawl dates an undated article by the time it
first saw it (`crawler.linking.Linker.prepare`), and a user's first crawl of these outlets
would see every undated page at once, long after the dated ones were published; the
baseline's window gets the same times."""


@dataclass(frozen=True)
class LabelledArticle:
    id: str
    story: str
    doc: Doc
    corpus: str

    @property
    def when(self) -> datetime:
        """Its publication time; an undated article's is the time the crawl saw it."""
        return self.doc.published or CRAWLED


@dataclass(frozen=True)
class StoryReport:
    """B-cubed precision, recall and F1; cluster sizes; candidate recall (None: not measured)."""

    precision: float
    recall: float
    f1: float
    articles: int
    gold_stories: int
    stories: int
    largest: int
    candidate_recall: float | None = None
    """Share of true same-story pairs (the later article against each earlier one) in
    which the earlier article was a candidate of the later."""
    story_candidate_recall: float | None = None
    """Share of those pairs compared at all: the earlier article was a candidate, or the
    story it was in then was (placing an article compares it with every candidate story's
    centroid, so with all its members; a story of 30 reports cannot have all 29 earlier
    ones among an article's candidates, and need not)."""

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def load_articles(paths: Sequence[Path]) -> list[LabelledArticle]:
    """The articles of stories files as one stream, in publication order (ties by id), as a
    crawl meets them."""
    articles = []
    for path in paths:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                row = json.loads(line)
                published = (
                    datetime.fromisoformat(row["published"]).replace(tzinfo=UTC)
                    if row.get("published")
                    else None
                )
                doc = Doc(row["text"], row.get("lang"), published, row.get("outlet"))
                articles.append(
                    LabelledArticle(str(row["id"]), str(row["story"]), doc, str(row["corpus"]))
                )
    return _in_order(articles)


def _in_order(articles: Iterable[LabelledArticle]) -> list[LabelledArticle]:
    return sorted(articles, key=lambda a: (a.when, a.id))


def bcubed(gold: Mapping[str, str], predicted: Mapping[str, Any]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of a clustering (item -> cluster) against gold."""
    by_gold: dict[str, set[str]] = {}
    by_predicted: dict[Any, set[str]] = {}
    for item, cluster in gold.items():
        by_gold.setdefault(cluster, set()).add(item)
        by_predicted.setdefault(predicted[item], set()).add(item)
    precision = recall = 0.0
    for item in gold:
        same_gold = by_gold[gold[item]]
        same_predicted = by_predicted[predicted[item]]
        shared = len(same_gold & same_predicted)
        precision += shared / len(same_predicted)
        recall += shared / len(same_gold)
    n = len(gold)
    precision, recall = precision / n, recall / n
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return round(precision, 4), round(recall, 4), round(f1, 4)


def _report(
    articles: Sequence[LabelledArticle],
    predicted: Mapping[str, Any],
    recalls: tuple[float, float] | None = None,
) -> StoryReport:
    gold = {a.id: a.story for a in articles}
    precision, recall, f1 = bcubed(gold, predicted)
    sizes = Counter(predicted.values())
    return StoryReport(
        precision,
        recall,
        f1,
        len(articles),
        len(set(gold.values())),
        len(sizes),
        max(sizes.values(), default=0),
        *((None, None) if recalls is None else (round(r, 4) for r in recalls)),
    )


@dataclass(frozen=True)
class Turn:
    """One article of a replay, with what placing it needs."""

    article: LabelledArticle
    own: StoryProfile
    """Its profile as a story of one."""
    candidates: list[str]
    relatives: list[tuple[str, str, float]]
    """Its verdicts with the candidates other than unrelated: (other, relation, score)."""


def replay(articles: Sequence[LabelledArticle]) -> Iterator[tuple[Turn, StoryBook[str]]]:
    """The articles in turn as a crawl meets them, each with the book of the stories so
    far; the caller places each article in the book before asking for the next."""
    index = CandidateIndex()
    book: StoryBook[str] = StoryBook(index.specificities)
    docs = {a.id: a.doc for a in articles}
    for article in articles:
        sig = signature(article.doc, article.when)
        candidates = index.query(sig)
        index.add(article.id, sig)
        # As a crawl judges them: a pair certain to be unrelated is not measured in full.
        verdicts = ((other, related(article.doc, docs[other])) for other in candidates)
        relatives = [
            (o, v.relation, v.score)
            for o, v in verdicts
            if v is not None and v.relation != "unrelated"
        ]
        own = StoryProfile.of(sig.terms, sig.when, sig.language)
        yield Turn(article, own, candidates, relatives), book


def cluster_newsmon(
    articles: Sequence[LabelledArticle],
) -> tuple[dict[str, int], tuple[float, float]]:
    """Stories as the crawl would build them; and the share of true same-story pairs
    compared directly (candidates) and at all (`StoryReport.story_candidate_recall`)."""
    earlier: dict[str, list[str]] = {}
    story_of: dict[str, int] = {}
    true_pairs = direct = reached = 0
    for turn, book in replay(articles):
        mates = earlier.setdefault(turn.article.story, [])
        near = set(turn.candidates)
        stories = {book.story_of[c] for c in turn.candidates}
        true_pairs += len(mates)
        direct += sum(m in near for m in mates)
        reached += sum(m in near or book.story_of[m] in stories for m in mates)
        mates.append(turn.article.id)
        book.add(turn.article.id, turn.own, turn.relatives, turn.candidates)
        story_of = book.story_of
    shares = (direct / true_pairs, reached / true_pairs) if true_pairs else (1.0, 1.0)
    return story_of, shares


_WORD = re.compile(r"[^\W\d_]{2,}")


def tfidf_single_pass(
    articles: Sequence[LabelledArticle], threshold: float, window_days: int = 3
) -> dict[str, int]:
    """The plain baseline: TF-IDF over all words (IDF from the articles themselves), each
    article joins the most similar cluster centroid within the window, else opens one."""
    tokens = {a.id: Counter(_WORD.findall(normalize_text(a.doc.text))) for a in articles}
    df: Counter[str] = Counter()
    for counts in tokens.values():
        df.update(counts.keys())
    n = len(articles)
    vectors = {}
    for a in articles:
        weights = {w: (1 + math.log(c)) * math.log(n / df[w]) for w, c in tokens[a.id].items()}
        norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
        vectors[a.id] = {w: v / norm for w, v in weights.items()}
    clusters: list[tuple[Counter[str], datetime]] = []
    assignment: dict[str, int] = {}
    window = timedelta(days=window_days)
    for a in articles:
        vector = vectors[a.id]
        best, best_score = -1, threshold
        for number, (centroid, last) in enumerate(clusters):
            if a.when - last > window:
                continue
            dot = sum(v * centroid.get(w, 0.0) for w, v in vector.items())
            score = dot / (math.sqrt(sum(c * c for c in centroid.values())) or 1.0)
            if score >= best_score:
                best, best_score = number, score
        if best < 0:
            clusters.append((Counter(vector), a.when))
            best = len(clusters) - 1
        else:
            centroid, last = clusters[best]
            centroid.update(vector)
            clusters[best] = (centroid, a.when)
        assignment[a.id] = best
    return assignment


def evaluate_stories(articles: Sequence[LabelledArticle]) -> StoryReport:
    predicted, recalls = cluster_newsmon(articles)
    return _report(articles, predicted, recalls)


def verdict_rates(articles: Sequence[LabelledArticle], negatives: int = 400) -> dict[str, float]:
    """How the pair verdict treats real reports: the share of true same-story pairs it
    relates (as same_story or derived), the share it calls derived, and the share of
    different-story pairs (drawn evenly, deterministically) it calls same_story or derived."""
    by_story: dict[str, list[LabelledArticle]] = {}
    for article in articles:
        by_story.setdefault(article.story, []).append(article)
    positives = [
        (a, b)
        for members in by_story.values()
        for a, b in itertools.islice(itertools.combinations(members, 2), 6)
    ]
    step = max(1, len(articles) * (len(articles) - 1) // 2 // negatives)
    others = [
        (a, b)
        for a, b in itertools.islice(itertools.combinations(articles, 2), 0, None, step)
        if a.story != b.story
    ]
    same = [relate(a.doc, b.doc).relation for a, b in positives]
    different = [relate(a.doc, b.doc).relation for a, b in others]
    return {
        "same_story_pairs": len(same),
        "same_story_related": round(sum(r != "unrelated" for r in same) / len(same), 4),
        "same_story_called_derived": round(sum(r in DERIVED for r in same) / len(same), 4),
        "different_story_pairs": len(different),
        "different_story_related": round(
            sum(r != "unrelated" for r in different) / len(different), 4
        ),
    }


def evaluate_baseline(articles: Sequence[LabelledArticle], threshold: float) -> StoryReport:
    return _report(articles, tfidf_single_pass(articles, threshold))


def tune_baseline(articles: Sequence[LabelledArticle]) -> float:
    """The baseline's best threshold on these articles (tune on dev only)."""
    return max(
        (t / 100 for t in range(5, 80, 5)),
        key=lambda t: evaluate_baseline(articles, t).f1,
    )


SMALL_STORIES = 3
"""Members kept per story in the small-story view of each part."""


def fewer_per_story(
    articles: Sequence[LabelledArticle], keep: int = SMALL_STORIES
) -> list[LabelledArticle]:
    """The same part with at most `keep` members per story (a fixed, hash-ordered choice):
    a stream where most stories are two or three reports among many other events, as a
    day of a real crawl looks, rather than ECB+'s dozen reports per event."""
    by_story: dict[str, list[LabelledArticle]] = {}
    for article in articles:
        by_story.setdefault(article.story, []).append(article)

    def shuffled(article: LabelledArticle) -> str:
        return hashlib.sha256(article.id.encode()).hexdigest()

    return _in_order(
        m for members in by_story.values() for m in sorted(members, key=shuffled)[:keep]
    )


def parts(
    dev: Sequence[Path] = DEV, test: Sequence[Path] = TEST
) -> dict[str, list[LabelledArticle]]:
    """The measured parts: dev and test whole (every corpus in one stream, as one crawl
    would meet them), each in its small-story view, and each corpus alone."""
    whole = {"dev": load_articles(dev), "test": load_articles(test)}
    return (
        whole
        | {f"{name}_small": fewer_per_story(arts) for name, arts in whole.items()}
        | {
            f"{name}_{corpus}": [a for a in arts if a.corpus == corpus]
            for name, arts in whole.items()
            for corpus in CORPORA
        }
    )


def measure(dev: Sequence[Path] = DEV, test: Sequence[Path] = TEST) -> dict[str, Any]:
    """newsmon's stories and the baseline (threshold tuned on dev) on every part."""
    parts_ = parts(dev, test)
    threshold = tune_baseline(parts_["dev"])
    return {
        "newsmon": {name: evaluate_stories(arts).to_json() for name, arts in parts_.items()},
        "tfidf_baseline": {
            name: evaluate_baseline(arts, threshold).to_json() for name, arts in parts_.items()
        }
        | {"threshold": threshold},
        "verdicts": {name: verdict_rates(parts_[name]) for name in ("dev", "test")},
    }


def floors(measured: Mapping[str, Any], margin: float = FLOOR_MARGIN) -> dict[str, Any]:
    """Floors a little below newsmon's measured B-cubed figures, per part."""
    return {
        part: {
            key: max(0.0, math.floor((report[key] - margin) * 100) / 100)
            for key in ("precision", "recall", "f1")
        }
        for part, report in measured["newsmon"].items()
    }


def shortfalls(measured: Mapping[str, Any], pinned: Mapping[str, Any]) -> list[str]:
    """One sentence per figure below its pinned floor."""
    return [
        f"story B-cubed {key} on {part} fell to {measured['newsmon'][part][key]:.3f} "
        f"(floor {floor:.2f})"
        for part, figures in pinned.items()
        for key, floor in figures.items()
        if measured["newsmon"][part][key] < floor
    ]


def pin(measured: Mapping[str, Any]) -> None:
    """Write the measured figures and floors below them to the story baseline file."""
    result = dict(measured) | {"floors": floors(measured)}
    BASELINE.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def check(measured: Mapping[str, Any]) -> list[str]:
    """The figures below the pinned floors, one sentence each."""
    return shortfalls(measured, json.loads(BASELINE.read_text("utf-8"))["floors"])
