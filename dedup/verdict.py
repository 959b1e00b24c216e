"""The relation between two articles, with the evidence behind it.

`relate(a, b)` reads `a` as the source (the older text) and `b` as the copy.
It measures a handful of signals (`signals`) and turns them into
probabilities with small logistic models fitted on labelled development
pairs (`dedup/verdict_model.json`, refitted by ``python -m dedup.train_verdict``):

1. ``exact``: one content key.
2. P(derived): one model for texts in one language (shingle containment,
   paragraph alignment by content words, shared vocabulary, length profile),
   one for texts in two (paragraph lengths aligned Gale–Church style, since a
   translation keeps paragraph count and proportional lengths; names, numbers
   and dates in the same order, compared through transliterated skeletons so
   that scripts do not matter). A derived pair in one language is
   ``near_duplicate`` when nearly all word 3-shingles of the shorter text occur
   in the longer, else ``rewrite``; across languages it is ``translation``.
3. P(same story | not derived): shared verbatim passages and quotes, and shared
   words weighted by how rare they are in the language (`dedup.salience.rarity`),
   so one shared number or weekday is not an event; reports published further
   apart than a window are never one story.
4. ``unrelated``.

The verdict's `score` is the model's probability of the relation it gives
(``exact``: 1), so scores of different relations compare and can be averaged.
"""

from __future__ import annotations

import difflib
import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal, overload

from dedup import salience
from dedup.anchors import anchor_weight
from dedup.features import NAME_RARITY, Doc, Features, Paragraph

RELATIONS = ("exact", "near_duplicate", "rewrite", "translation", "same_story", "unrelated")
DERIVED = frozenset({"exact", "near_duplicate", "rewrite", "translation"})
"""Relations in which one article was made from the other."""

MODEL_FILE = "verdict_model.json"


@dataclass(frozen=True)
class Thresholds:
    """Every cut-off of the verdict, in one place (see `newsmon relink` after changing one)."""

    near_duplicate: float = 0.85
    """Share of the shorter text's word 3-shingles found in the longer for a derived pair to be
    a near duplicate rather than a rewrite (generated dev pairs: light edits keep ≥ 0.9,
    rewrites and machine translations of one source stay below)."""
    verbatim_passage: float = 0.7
    """Share of a paragraph's 3-shingles found in one paragraph of the other text for it to be
    a shared (wire) passage: a quoted wire paragraph keeps nearly all its runs."""
    paragraph_align: float = 0.4
    """Dice overlap of stemmed content words for two paragraphs to count as one reworded."""
    length_tolerance: float = 0.35
    """Largest |log length ratio| (after the texts' overall ratio) of two paragraphs aligned by
    length; human translations in the dev pairs stay within ±0.3."""
    same_language_cosine: float = 0.42
    """Token cosine (function words dominate it) from which two texts are read as one language.
    Detected labels are not used: the stopword detector calls Icelandic, Turkish or Hausa
    English. On real dev, pairs in two languages reach at most 0.40 (fr/pt, de/fr); pairs in
    one language below it are all unrelated documents, for which the reading does not matter."""
    anchor_pair_overlap: float = 0.3
    """Dice overlap of two paragraphs' anchors for them to align across languages."""
    derived: float = 0.5
    """P(derived) from which a pair is derived: the most probable reading."""
    story: float = 0.62
    """P(same story | not derived) from which a pair is one story. Above the most probable
    reading (0.5) because a same_story link is what a user follows from one report to the
    next, and the pairs that cost are reports of a look-alike event (another quake in the
    same region, another rehab of a star): on the real dev pairs this is the lowest bar at
    which at most 4% of different-event pairs are called one story (0.5: 6.0%), with 82.8%
    of true same-story pairs still called so (0.5: 87.5%). The score stays the calibrated
    probability."""
    story_window_days: int = 10
    """Reports of one event published further apart than this are not one story."""


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Verdict:
    """`relation` is one of `RELATIONS`; `score` in [0, 1] is the probability that it is right."""

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
    """One-to-one alignment of body paragraphs by content words, best matches first.

    A pair's similarity is the larger of its shingle containment (`_containment`) and its
    term Dice overlap (`_dice`), written out here: this loop runs for every paragraph pair
    of every verdict. A paragraph sharing neither shingles nor terms with the other text
    has similarity 0 with each of its paragraphs and is not tried.
    """
    scored = []
    threshold, verbatim_cut = t.paragraph_align, t.verbatim_passage
    other_shingles, other_terms, rows = fb.shingles, fb.terms, fb.body_sets
    for i, ps, nps, pt, npt in fa.body_sets:
        ps, pt = ps & other_shingles, pt & other_terms
        if not ps and not pt and threshold > 0:
            continue
        for j, qs, nqs, qt, nqt in rows:
            smaller = nps if nps < nqs else nqs
            verbatim = len(ps & qs) / smaller if smaller else 0.0
            total = npt + nqt
            similarity = max(verbatim, 2 * len(pt & qt) / total if total else 0.0)
            if similarity >= threshold:
                scored.append((similarity, i, j, verbatim >= verbatim_cut))
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


def _length_alignment(fa: Features, fb: Features, t: Thresholds) -> list[_Pair]:
    """Order-preserving paragraph alignment by length alone (Gale–Church style).

    Dynamic programming over one-to-one, one-to-none and two-to-one moves; the
    cost of matching is the squared log ratio of the lengths after dividing out
    the texts' overall ratio (Chinese takes fewer characters than English for
    one sentence). Returns the one-to-one pairs within `length_tolerance`, with
    `similarity` 1 - |log ratio| / tolerance.

    Each cell takes the cheapest of its five incoming moves; among equal costs the
    move whose origin comes first in row order wins (two-to-one, one-to-two,
    one-to-one, skip in a, skip in b), so ties resolve the same way on every run.
    """
    la, lb = fa.lengths, fb.lengths
    if not la or not lb:
        return []
    total_a, total_b = fa.length_total, fb.length_total
    scale = math.log(total_a / total_b) if total_a and total_b else 0.0
    log = math.log
    skip = 2.0
    inf = float("inf")
    tolerance = t.length_tolerance
    n, m = len(la), len(lb)
    b1 = [y + 1 for y in lb]
    # b2[j + 1]: b's paragraphs j and j + 1 merged, plus one (b1: one paragraph plus one).
    b2 = [0, *(lb[j] + lb[j + 1] + 1 for j in range(m - 1))]
    cost = [[inf] * (m + 1) for _ in range(n + 1)]
    move: list[list[tuple[int, int]]] = [[(0, 0)] * (m + 1) for _ in range(n + 1)]
    row = cost[0]
    row[0] = 0.0
    for j in range(1, m + 1):
        row[j] = row[j - 1] + skip
        move[0][j] = (0, 1)
    for i in range(1, n + 1):
        row, up, steps = cost[i], cost[i - 1], move[i]
        up2 = cost[i - 2] if i > 1 else None
        a1 = la[i - 1] + 1
        a2 = la[i - 2] + la[i - 1] + 1 if i > 1 else 0
        best, step = up[0] + skip, (1, 0)
        row[0], steps[0] = best, step
        left = best
        for j in range(1, m + 1):
            best, step = inf, (0, 0)
            if up2 is not None:
                value = up2[j - 1] + (0.5 + ((log(a2 / b1[j - 1]) - scale) / tolerance) ** 2)
                if value < best:
                    best, step = value, (2, 1)
            if j > 1:
                value = up[j - 2] + (0.5 + ((log(a1 / b2[j - 1]) - scale) / tolerance) ** 2)
                if value < best:
                    best, step = value, (1, 2)
            value = up[j - 1] + ((log(a1 / b1[j - 1]) - scale) / tolerance) ** 2
            if value < best:
                best, step = value, (1, 1)
            value = up[j] + skip
            if value < best:
                best, step = value, (1, 0)
            value = left + skip
            if value < best:
                best, step = value, (0, 1)
            row[j], steps[j], left = best, step, best
    pairs = []
    i, j = n, m
    while i or j:
        di, dj = move[i][j]
        if (di, dj) == (1, 1):
            off = abs(log((la[i - 1] + 1) / (lb[j - 1] + 1)) - scale)
            if off <= t.length_tolerance:
                pairs.append(_Pair(i - 1, j - 1, round(1 - off / t.length_tolerance, 3), False))
        i, j = i - di, j - dj
    pairs.reverse()
    return pairs


def _name_matches(fa: Features, fb: Features) -> tuple[int, int]:
    """Names, numbers and dates that the two texts share in the same order, and the fewer
    of them either text has (longest common subsequence, by difflib's matching blocks)."""
    seq_a, seq_b = fa.name_sequence, fb.name_sequence
    if not seq_a or not seq_b:
        return 0, 0
    matcher = difflib.SequenceMatcher(a=seq_a, b=seq_b, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return matched, min(len(seq_a), len(seq_b))


def _ordered_anchor_coverage(fa: Features, fb: Features, t: Thresholds) -> float:
    """Order-preserving paragraph alignment by anchors (dynamic programming).

    Returns the matched anchor weight over the sparser text's anchor weight:
    the alias table's names (Xi, Putin, Pechino), numbers and dates of one
    paragraph found again in its counterpart, in the same order.

    Two paragraphs gain the weight of the anchors they share (counted as often as
    both have them) when their anchors overlap by `anchor_pair_overlap` (Dice); only
    the paragraphs sharing an anchor are tried (`Features.anchor_postings`). The
    best order-preserving total is kept one row at a time: a row with no gain is
    the row above, and a row's cell is the larger of its left neighbour and the
    best through the cell's own pair.
    """
    pa, pb = fa.anchor_rows, fb.anchor_rows
    if not pa or not pb:
        return 0.0
    postings = fb.anchor_postings
    sizes_b = [size for _, size in pb]
    overlap = t.anchor_pair_overlap
    best = [0.0] * (len(pb) + 1)
    for items, size_a in pa:
        counts: dict[int, int] = {}
        weights: dict[int, list[float]] = {}
        for anchor, n, weight in items:
            for y, other in postings.get(anchor, ()):
                k = n if n < other else other
                counts[y] = counts.get(y, 0) + k
                weights.setdefault(y, []).append(weight * k)
        row = best
        for y, count in counts.items():
            if 2 * count / (size_a + sizes_b[y]) >= overlap:
                if row is best:
                    row = best.copy()
                through = best[y] + sum(weights[y])
                if through > row[y + 1]:
                    row[y + 1] = through
        if row is not best:
            best = list(itertools.accumulate(row, max))
    return best[-1] / min(fa.anchor_tally_mass, fb.anchor_tally_mass)


def _names_in_aligned(fa: Features, fb: Features, pairs: list[_Pair]) -> float:
    """Share of names, numbers and dates found again in the paragraph aligned by length.

    A translation keeps them paragraph by paragraph; two reports of one event
    share some, but in other paragraphs, however alike their paragraph lengths.
    """
    fewer = min(len(fa.name_sequence), len(fb.name_sequence))
    if not fewer:
        return 0.0
    ca, cb = fa.name_counts, fb.name_counts
    found = sum(sum((ca[p.a] & cb[p.b]).values()) for p in pairs)
    return found / fewer


def _cosine(fa: Features, fb: Features) -> float:
    a, b = fa.token_counts, fb.token_counts
    dot = sum([a[token] * b[token] for token in a.keys() & b.keys()])
    norm = math.sqrt(fa.token_norm * fb.token_norm)
    return dot / norm if norm else 0.0


def _rare_shared(fa: Features, fb: Features) -> tuple[float, list[str]]:
    """Rarity-weighted share of the terms of the text with fewer, that the other also has,
    and the shared rare words (rarest first; equally rare ones by term, not in the order
    of a set, which changes with the process's hash seed: two crawls give one evidence)."""
    ra, rb = fa.term_rarity, fb.term_rarity
    shared = ra.keys() & rb.keys()
    total = min(fa.rarity_total, fb.rarity_total)
    weight = sum([min(ra[t][0], rb[t][0]) for t in shared])
    rare = sorted((t for t in shared if ra[t][0] >= NAME_RARITY), key=lambda t: (-ra[t][0], t))
    return (weight / total if total else 0.0), [ra[t][1] for t in rare]


def _anchor_share(fa: Features, fb: Features) -> float:
    """Weighted share of the sparser text's names, numbers and dates that the other has.

    Weekdays and month names are left out (`Features.event_anchors`): every article has
    some, and a short text whose only anchors were "Monday" and a number would otherwise
    share most of them with anything.
    """
    sparser = min(fa.event_anchor_mass, fb.event_anchor_mass)
    shared = sum(map(anchor_weight, fa.event_anchors & fb.event_anchors))
    return shared / sparser if sparser else 0.0


def _shares_day(fa: Features, fb: Features) -> float:
    """Whether the texts name one calendar day (a month-day anchor), a strong event tie."""
    return float(any(a.startswith("d:") for a in fa.anchor_set & fb.anchor_set))


@dataclass(frozen=True)
class Measured:
    """The signals of one pair and the alignments they came from (kept for the evidence).
    For a verdict, `signals` leaves out the last signals that neither model it consults
    reads (`_read_last`); `measure` gives every one."""

    signals: dict[str, float]
    same_language: bool
    content_pairs: list[_Pair]
    length_pairs: list[_Pair]
    rare_terms: list[str]


def measure(a: Doc, b: Doc, t: Thresholds = DEFAULT_THRESHOLDS) -> Measured:
    """Every signal the models read, each a number in a small range."""
    return _measure(a, b, t, screen=False, every=True)


#: Signals measured last, and only when the cheaper ones leave the verdict open: names in
#: the same order (difflib's matching blocks) and anchors aligned in order (a dynamic
#: program), the costliest of a verdict, and most pairs a crawl judges are unrelated.
LAST_SIGNALS = ("name_order", "anchor_coverage", "name_matches")


@overload
def _measure(a: Doc, b: Doc, t: Thresholds, *, screen: Literal[False], every: bool) -> Measured: ...
@overload
def _measure(a: Doc, b: Doc, t: Thresholds, *, screen: bool, every: bool) -> Measured | None: ...
def _measure(a: Doc, b: Doc, t: Thresholds, *, screen: bool, every: bool) -> Measured | None:
    """`measure`; with ``screen``, None for a pair that is unrelated whatever the last
    signals turn out to be (`LAST_SIGNALS`, judged at their bounds: `_last_ranges`);
    unless ``every``, without the last signals the pair's models do not read."""
    fa, fb = a.features, b.features
    cosine = _cosine(fa, fb)
    same_language = cosine >= t.same_language_cosine
    content_pairs = _align_paragraphs(fa, fb, t) if same_language else []
    shorter, indices = (
        (fa, {p.a for p in content_pairs})
        if len(fa.shingles) <= len(fb.shingles)
        else (fb, {p.b for p in content_pairs})
    )
    length_pairs = _length_alignment(fa, fb, t)
    total = fa.length_total + fb.length_total
    matched_length = sum(fa.lengths[p.a] + fb.lengths[p.b] for p in length_pairs)
    rare_share, rare_terms = _rare_shared(fa, fb)
    counts = (len(fa.paragraphs), len(fb.paragraphs))
    verbatim = sum(p.verbatim for p in content_pairs)
    first = {
        "containment": _containment(fa.shingles, fb.shingles),
        "coverage": _covered(shorter, indices),
        "term_dice": _dice(fa.terms, fb.terms),
        "cosine": cosine,
        "length_match": matched_length / total if total else 0.0,
        "length_pairs": math.log1p(len(length_pairs)),
        "paragraph_ratio": min(counts) / max(counts) if max(counts) else 0.0,
        "aligned_names": _names_in_aligned(fa, fb, length_pairs),
        "anchor_share": _anchor_share(fa, fb),
        "rare_share": rare_share,
        "rare_terms": math.log1p(len(rare_terms)),
        "verbatim": math.log1p(verbatim),
        "quotes": math.log1p(len(fa.quotes & fb.quotes)),
        "same_day": _shares_day(fa, fb),
        "same_language": float(same_language),
        "salient_cosine": salience.cosine(fa.salient, fb.salient),
    }
    first = {k: round(v, 4) for k, v in first.items()}
    if screen and _certainly_unrelated(first, _last_ranges(fa, fb), _within_window(a, b, t), t):
        return None
    wanted = frozenset(LAST_SIGNALS) if every else _read_last(same_language)
    last: dict[str, float] = {}
    if wanted & {"name_order", "name_matches"}:
        names, fewer = _name_matches(fa, fb)
        last["name_order"] = names / fewer if fewer else 0.0
        last["name_matches"] = math.log1p(names)
    if "anchor_coverage" in wanted:
        last["anchor_coverage"] = _ordered_anchor_coverage(fa, fb, t)
    signals = first | {k: round(v, 4) for k, v in last.items()}
    return Measured(signals, same_language, content_pairs, length_pairs, rare_terms)


@cache
def _read_last(same_language: bool) -> frozenset[str]:
    """The last signals a verdict's models read: the derived model for the pair's languages
    and the story model. Anchors aligned in order are read only across two languages, where
    names cannot be compared word by word; a pair in one language skips that alignment,
    about a tenth of its verdict on a store of widely copied wire stories."""
    model = models()
    derived = model.derived_same if same_language else model.derived_cross
    return frozenset(LAST_SIGNALS) & {*derived.features, *model.story.features}


def _last_ranges(fa: Features, fb: Features) -> dict[str, tuple[float, float]]:
    """Where the last signals can fall, from counts: names matched in order are at most the
    names both texts have (`Features.name_tally`). The anchor alignment has no cheap bound
    here: a model that reads it is never screened (`Logistic.highest`)."""
    shared = sum((fa.name_tally & fb.name_tally).values())
    fewer = min(len(fa.name_sequence), len(fb.name_sequence))
    return {
        "name_order": (0.0, round(shared / fewer, 4) if fewer else 0.0),
        "name_matches": (0.0, round(math.log1p(shared), 4)),
    }


def _certainly_unrelated(
    first: Mapping[str, float],
    ranges: Mapping[str, tuple[float, float]],
    within_window: bool,
    t: Thresholds,
) -> bool:
    """Whether neither model can reach its threshold, the last signals anywhere in their
    ranges: then the verdict is `unrelated` without measuring them."""
    model = models()
    derived = model.derived_same if first["same_language"] else model.derived_cross
    p_derived = derived.highest(first, ranges)
    if p_derived is None or p_derived >= t.derived:
        return False
    if not within_window:
        return True
    p_story = model.story.highest(first, ranges)
    return p_story is not None and p_story < t.story


def _covered(f: Features, indices: set[int]) -> float:
    total = f.body_size
    return sum(p.size for i, p in f.body if i in indices) / total if total else 0.0


@dataclass(frozen=True)
class Logistic:
    """P(y | signals) = sigmoid(bias + Σ weight·signal), weights on raw signal values."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float

    @classmethod
    def from_json(cls, model: dict[str, Any]) -> Logistic:
        """A model as the training scripts write it (`dedup.train_verdict`)."""
        return cls(tuple(model["features"]), tuple(model["weights"]), float(model["bias"]))

    def probability(self, signals: Mapping[str, float]) -> float:
        z = self.bias + sum(
            w * signals[f] for f, w in zip(self.features, self.weights, strict=True)
        )
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))

    def highest(
        self, signals: Mapping[str, float], ranges: Mapping[str, tuple[float, float]]
    ) -> float | None:
        """The largest probability the model can give when the signals missing from
        ``signals`` lie in ``ranges``: each at the end of its range that its weight favours
        (the sum is computed in the same order as `probability`'s, and rounding keeps each
        step monotone, so no value in the ranges gives more). None when the model reads a
        signal that is in neither."""
        values = dict(signals)
        for feature, weight in zip(self.features, self.weights, strict=True):
            if feature not in signals:
                if feature not in ranges:
                    return None
                low, high = ranges[feature]
                values[feature] = high if weight > 0 else low
        return self.probability(values)


@dataclass(frozen=True)
class Models:
    """P(derived) for one language and for two, and P(same story | not derived)."""

    derived_same: Logistic
    derived_cross: Logistic
    story: Logistic


@cache
def models() -> Models:
    raw = json.loads(resources.files("dedup").joinpath(MODEL_FILE).read_text("utf-8"))
    return Models(
        *(Logistic.from_json(raw[name]) for name in ("derived_same", "derived_cross", "story"))
    )


def _substitutions(p: Paragraph, q: Paragraph, limit: int) -> list[list[str]]:
    """Short word swaps, source wording first: [in a, in b]."""
    matcher = difflib.SequenceMatcher(a=p.tokens, b=q.tokens, autojunk=False)
    swaps = []
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "replace" and a1 - a0 <= 2 and b1 - b0 <= 2:
            swaps.append([" ".join(p.tokens[a0:a1]), " ".join(q.tokens[b0:b1])])
            if len(swaps) >= limit:
                break
    return swaps


def _unaligned(fa: Features, fb: Features, pairs: list[_Pair], body_only: bool) -> dict[str, Any]:
    """Paragraphs of the source missing from the copy (dropped) and new in it (added)."""
    paired_a, paired_b = {p.a for p in pairs}, {p.b for p in pairs}
    only_a = [
        i for i, p in enumerate(fa.paragraphs) if i not in paired_a and (p.is_body or not body_only)
    ]
    only_b = [
        j for j, q in enumerate(fb.paragraphs) if j not in paired_b and (q.is_body or not body_only)
    ]
    return {
        "dropped": {"a": only_a, "b": only_b},
        "dropped_text": [fa.paragraphs[i].text for i in only_a],
        "added_text": [fb.paragraphs[j].text for j in only_b],
    }


def _within_window(a: Doc, b: Doc, t: Thresholds) -> bool:
    if a.published is None or b.published is None:
        return True
    return abs((a.published - b.published).total_seconds()) <= t.story_window_days * 86400


def relate(a: Doc, b: Doc, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Verdict:
    """The relation of the copy `b` to the source `a` (the older text).

    The relation is symmetric; the evidence reads source→copy: the language
    pair and translation direction, substitutions as [source, copy], dropped
    (source only) and added (copy only) paragraphs.
    """
    return _relate(a, b, thresholds, screen=False)


def related(a: Doc, b: Doc, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Verdict | None:
    """`relate`, except None for a pair whose verdict is certainly `unrelated` before its
    costliest signals are measured (`LAST_SIGNALS`): what a crawl wants, which stores
    relations and drops unrelated verdicts. Any other verdict is `relate`'s, evidence and
    all; None only where `relate` says `unrelated`."""
    return _relate(a, b, thresholds, screen=True)


@overload
def _relate(a: Doc, b: Doc, t: Thresholds, screen: Literal[False]) -> Verdict: ...
@overload
def _relate(a: Doc, b: Doc, t: Thresholds, screen: bool) -> Verdict | None: ...
def _relate(a: Doc, b: Doc, t: Thresholds, screen: bool) -> Verdict | None:
    fa, fb = a.features, b.features
    evidence: dict[str, Any] = {
        "language_pair": [fa.language, fb.language],
        "direction": f"{fa.language}→{fb.language}",
    }
    if fa.key == fb.key:
        return Verdict("exact", 1.0, evidence)
    m = _measure(a, b, t, screen=screen, every=False)
    if m is None:
        return None
    model = models()
    p_derived = (model.derived_same if m.same_language else model.derived_cross).probability(
        m.signals
    )
    p_story = model.story.probability(m.signals) if _within_window(a, b, t) else 0.0
    evidence |= {
        "signals": m.signals,
        "p_derived": round(p_derived, 4),
        "p_story": round(p_story, 4),
        "shared_anchors": sorted(fa.anchor_set & fb.anchor_set),
        "containment": m.signals["containment"],
        "coverage": m.signals["coverage"],
    }
    if p_derived >= t.derived:
        if m.same_language:
            evidence["aligned"] = [asdict(p) for p in m.content_pairs]
            evidence |= _unaligned(fa, fb, m.content_pairs, body_only=True)
            if m.signals["containment"] >= t.near_duplicate:
                return Verdict("near_duplicate", round(p_derived, 3), evidence)
            evidence["substituted"] = [
                swap
                for p in m.content_pairs
                if not p.verbatim
                for swap in _substitutions(fa.paragraphs[p.a], fb.paragraphs[p.b], 5)
            ][:30]
            return Verdict("rewrite", round(p_derived, 3), evidence)
        evidence["aligned"] = [asdict(p) for p in m.length_pairs]
        evidence |= _unaligned(fa, fb, m.length_pairs, body_only=False)
        return Verdict("translation", round(p_derived, 3), evidence)
    evidence |= {
        "shared_passages": [fa.paragraphs[p.a].text for p in m.content_pairs if p.verbatim],
        "shared_quotes": sorted(fa.quotes & fb.quotes),
        "shared_terms": m.rare_terms[:20],
    }
    if p_story >= t.story:
        return Verdict("same_story", round((1 - p_derived) * p_story, 3), evidence)
    return Verdict("unrelated", round((1 - p_derived) * (1 - p_story), 3), evidence)
