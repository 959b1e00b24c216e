"""The relation between two articles, with the evidence behind it.

Decision order, from the strongest claim to the weakest:

1. ``exact``: one content key.
2. Same language: ``near_duplicate`` when nearly all word 3-shingles of the
   shorter text occur in the longer; ``rewrite`` when most of the shorter
   text's paragraphs align one-to-one with paragraphs of the other by content
   words although the wording differs (spins swap synonyms, reorder, drop).
3. Different languages: ``translation`` when the anchors (names, numbers,
   dates) of the two texts align paragraph by paragraph in the same order.
4. ``same_story``: otherwise, when the texts share verbatim passages (wire
   copy) or enough specific anchors and vocabulary to be reports of one event,
   and their publication dates, where known, are close.
5. ``unrelated``.

A report that shares three wire paragraphs is not a spin: the wire passages
are a minority of its paragraphs, which is what step 2 measures.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from dedup.anchors import anchor_weight
from dedup.features import Doc, Features, Paragraph

RELATIONS = ("exact", "near_duplicate", "rewrite", "translation", "same_story", "unrelated")
DERIVED = frozenset({"exact", "near_duplicate", "rewrite", "translation"})
"""Relations in which one article was made from the other."""


@dataclass(frozen=True)
class Thresholds:
    """Every cut-off of the verdict, in one place (see `newsmon relink` after changing one)."""

    near_duplicate: float = 0.85
    """Share of the shorter text's word 3-shingles found in the longer."""
    verbatim_passage: float = 0.7
    """Share of a paragraph's 3-shingles found in one paragraph of the other text."""
    paragraph_align: float = 0.4
    """Dice overlap of stemmed content words for two paragraphs to count as one reworded."""
    rewrite_coverage: float = 0.6
    """Share of the shorter text (in words) in aligned paragraphs for a rewrite."""
    rewrite_containment: float = 0.3
    """Share of the shorter text's word 3-shingles found in the other for a rewrite: a spin
    keeps many word runs; two independent reports of one event in one language share words
    but few runs (0.17 for an Italian agency report against an Italian translation)."""
    translation_coverage: float = 0.78
    """Share of anchor weight matched in order-preserving paragraph alignment."""
    translation_min_anchors: float = 3.0
    """Anchor weight below which a text is too bare to call a translation."""
    anchor_pair_overlap: float = 0.3
    """Dice overlap of two paragraphs' anchors for them to align across languages."""
    story_anchors: float = 0.25
    """Weighted share of the sparser text's distinct anchors that the other also has."""
    story_terms: float = 0.3
    """Dice overlap of whole-text content words (same language) for one event."""
    story_window_days: int = 10
    """Reports of one event published further apart than this are not one story."""


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Verdict:
    """`relation` is one of `RELATIONS`; `score` in [0, 1] is the strength of its evidence."""

    relation: str
    score: float
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def derived(self) -> bool:
        return self.relation in DERIVED


def _containment(a: frozenset[str], b: frozenset[str]) -> float:
    smaller = min(len(a), len(b))
    return len(a & b) / smaller if smaller else 0.0


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    total = len(a) + len(b)
    return 2 * len(a & b) / total if total else 0.0


@dataclass(frozen=True)
class _Pair:
    a: int
    b: int
    similarity: float
    verbatim: bool


def _align_paragraphs(fa: Features, fb: Features, t: Thresholds) -> list[_Pair]:
    """One-to-one alignment of body paragraphs, best matches first."""
    scored = []
    for i, p in fa.body:
        for j, q in fb.body:
            verbatim = _containment(p.shingles, q.shingles)
            similarity = max(verbatim, _dice(p.terms, q.terms))
            if similarity >= t.paragraph_align:
                scored.append((similarity, i, j, verbatim >= t.verbatim_passage))
    scored.sort(reverse=True)
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs = []
    for similarity, i, j, verbatim in scored:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append(_Pair(i, j, round(similarity, 3), verbatim))
    pairs.sort(key=lambda pair: pair.a)
    return pairs


def _covered(f: Features, indices: set[int]) -> float:
    total = sum(p.size for _, p in f.body)
    return sum(p.size for i, p in f.body if i in indices) / total if total else 0.0


def _substitutions(p: Paragraph, q: Paragraph, limit: int) -> list[list[str]]:
    matcher = difflib.SequenceMatcher(a=p.tokens, b=q.tokens, autojunk=False)
    swaps = []
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "replace" and a1 - a0 <= 2 and b1 - b0 <= 2:
            swaps.append([" ".join(p.tokens[a0:a1]), " ".join(q.tokens[b0:b1])])
            if len(swaps) >= limit:
                break
    return swaps


def _weighted(anchors: frozenset[str]) -> float:
    return sum(anchor_weight(a) for a in anchors)


def _anchor_share(fa: Features, fb: Features) -> float:
    sparser = min(fa.anchor_mass, fb.anchor_mass)
    return _weighted(fa.anchor_set & fb.anchor_set) / sparser if sparser else 0.0


def _ordered_anchor_coverage(
    fa: Features, fb: Features, t: Thresholds
) -> tuple[float, list[_Pair]]:
    """Order-preserving paragraph alignment by anchors (dynamic programming).

    Returns the matched anchor weight over the sparser text's anchor weight and
    the aligned paragraph pairs.
    """
    pa = [(i, Counter(p.anchors)) for i, p in enumerate(fa.paragraphs) if p.anchors]
    pb = [(j, Counter(q.anchors)) for j, q in enumerate(fb.paragraphs) if q.anchors]
    mass_a = sum(anchor_weight(a) * n for _, c in pa for a, n in c.items())
    mass_b = sum(anchor_weight(a) * n for _, c in pb for a, n in c.items())
    if not pa or not pb:
        return 0.0, []
    gain = [[0.0] * len(pb) for _ in pa]
    for x, (_, ca) in enumerate(pa):
        size_a = sum(ca.values())
        for y, (_, cb) in enumerate(pb):
            shared = ca & cb
            count = sum(shared.values())
            if count and 2 * count / (size_a + sum(cb.values())) >= t.anchor_pair_overlap:
                gain[x][y] = sum(anchor_weight(a) * n for a, n in shared.items())
    best = [[0.0] * (len(pb) + 1) for _ in range(len(pa) + 1)]
    for x in range(1, len(pa) + 1):
        for y in range(1, len(pb) + 1):
            best[x][y] = max(
                best[x - 1][y], best[x][y - 1], best[x - 1][y - 1] + gain[x - 1][y - 1]
            )
    pairs = []
    x, y = len(pa), len(pb)
    while x and y:
        if gain[x - 1][y - 1] and best[x][y] == best[x - 1][y - 1] + gain[x - 1][y - 1]:
            pairs.append(_Pair(pa[x - 1][0], pb[y - 1][0], round(gain[x - 1][y - 1], 3), False))
            x, y = x - 1, y - 1
        elif best[x][y] == best[x - 1][y]:
            x -= 1
        else:
            y -= 1
    pairs.reverse()
    return best[-1][-1] / min(mass_a, mass_b), pairs


def _within_window(a: Doc, b: Doc, t: Thresholds) -> bool:
    if a.published is None or b.published is None:
        return True
    return abs((a.published - b.published).total_seconds()) <= t.story_window_days * 86400


def _story(a: Doc, b: Doc, same_language: bool, t: Thresholds) -> tuple[bool, dict[str, float]]:
    """Whether shared anchors (and, in one language, vocabulary) make two texts one event."""
    fa, fb = a.features, b.features
    metrics = {"anchor_share": round(_anchor_share(fa, fb), 3)}
    if same_language:
        metrics["term_overlap"] = round(_dice(fa.terms, fb.terms), 3)
    evidence = metrics["anchor_share"] >= t.story_anchors or (
        metrics.get("term_overlap", 0.0) >= t.story_terms
    )
    return evidence and _within_window(a, b, t), metrics


def relate(a: Doc, b: Doc, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Verdict:
    """The relation of `b` to `a`; symmetric in everything but evidence direction."""
    t = thresholds
    fa, fb = a.features, b.features
    evidence: dict[str, Any] = {"language_pair": [fa.language, fb.language]}
    if fa.key == fb.key:
        return Verdict("exact", 1.0, evidence)
    same_language = fa.language == fb.language
    shared_anchors = sorted(fa.anchor_set & fb.anchor_set)
    evidence["shared_anchors"] = shared_anchors
    if same_language:
        pairs = _align_paragraphs(fa, fb, t)
        containment = _containment(fa.shingles, fb.shingles)
        shorter, indices = (
            (fa, {p.a for p in pairs})
            if len(fa.shingles) <= len(fb.shingles)
            else (fb, {p.b for p in pairs})
        )
        coverage = _covered(shorter, indices)
        verbatim = [p for p in pairs if p.verbatim]
        evidence |= {
            "containment": round(containment, 3),
            "coverage": round(coverage, 3),
            "aligned": [asdict(p) for p in pairs],
            "dropped": {
                "a": [i for i, _ in fa.body if i not in {p.a for p in pairs}],
                "b": [j for j, _ in fb.body if j not in {p.b for p in pairs}],
            },
        }
        if containment >= t.near_duplicate:
            return Verdict("near_duplicate", round(containment, 3), evidence)
        if coverage >= t.rewrite_coverage and containment >= t.rewrite_containment:
            evidence["substituted"] = [
                swap
                for p in pairs
                if not p.verbatim
                for swap in _substitutions(fa.paragraphs[p.a], fb.paragraphs[p.b], 5)
            ][:30]
            return Verdict("rewrite", round(coverage, 3), evidence)
        evidence["shared_passages"] = [fa.paragraphs[p.a].text for p in verbatim]
        evidence["shared_quotes"] = sorted(fa.quotes & fb.quotes)
        is_story, metrics = _story(a, b, True, t)
        evidence |= metrics
        shares_text = bool(verbatim or evidence["shared_quotes"]) and _within_window(a, b, t)
        if shares_text or is_story:
            score = max(
                metrics["anchor_share"],
                metrics["term_overlap"],
                min(1.0, 0.5 + 0.1 * len(verbatim)) if verbatim else 0.0,
            )
            return Verdict("same_story", round(score, 3), evidence)
        return Verdict("unrelated", round(max(metrics.values()), 3), evidence)
    coverage, pairs = _ordered_anchor_coverage(fa, fb, t)
    evidence |= {"anchor_coverage": round(coverage, 3), "aligned": [asdict(p) for p in pairs]}
    if (
        coverage >= t.translation_coverage
        and min(fa.anchor_mass, fb.anchor_mass) >= t.translation_min_anchors
    ):
        evidence["dropped"] = {
            "a": [i for i, _ in fa.body if i not in {p.a for p in pairs}],
            "b": [j for j, _ in fb.body if j not in {p.b for p in pairs}],
        }
        return Verdict("translation", round(coverage, 3), evidence)
    is_story, metrics = _story(a, b, False, t)
    evidence |= metrics
    if is_story:
        return Verdict("same_story", metrics["anchor_share"], evidence)
    return Verdict("unrelated", metrics["anchor_share"], evidence)
