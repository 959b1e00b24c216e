"""Families and stories, placed one article at a time.

A family is everything derived from one text (copies, spins, translations);
its source is the member published first, or, when no member has a date, the
one seen first.

A story is one event in time and its reports. Every article is in exactly one
story. A new article joins its family's story (a family is never split across
stories, so a copy or translation that bridges two stories merges them); with
no family in a story, it joins the candidate story of its window most
probably its event, if that probability is at least one half. The probability
comes from a logistic model fitted on real labelled news (`JOIN_SIGNALS`,
`dedup.train_placement`): chiefly how close the article is to the story *as
a whole* (the cosine of its salient-term vector, `dedup.salience`, with the
story's centroid, within a time window around the story's span), how that
compares with the other candidate stories of its window, and its same_story
verdicts with the story's members, against the story's size. Closeness to one member is not
enough: on a busy news day one loose link after another would chain distinct
events into one story-of-everything. With no story probable enough, the
article opens a story of its own; two stories whose centroids come to agree
(one event first reported in words far apart) merge.

A story keeps its centroid (the sum of its members' vectors, cut to its
strongest terms) and its time span, so placing an article reads the profiles
of a few candidate stories, never their members: the cost stays flat however
large a story grows.
"""

from __future__ import annotations

import itertools
import json
import math
import operator
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any, Generic, TypeVar

from dedup.salience import dot, squares
from dedup.verdict import DERIVED, Logistic

Specificity = Callable[[Iterable[str]], Iterable[float]]
"""How much each term tells events of the store apart, in order
(`CandidateIndex.specificities`)."""

JOIN_MODEL_FILE = "placement_model.json"
"""The join model's weights, written by ``python -m dedup.train_placement``."""
JOIN_SIGNALS = (
    "closeness",
    "share_of_best",
    "same_story_score",
    "same_story_links",
    "size",
    "rivals",
)
"""What the join model reads of a candidate story (`join_signals`)."""
JOIN_PROBABILITY = 0.5
"""P(the story is the article's event) from which the article joins it: the most probable
reading."""
MIN_JOIN_CLOSENESS = 0.15
"""Closeness below which no story is joined, however probable the model finds it. The real
dev stories span many topics, so there a lone candidate story in an article's window is
nearly always its event; a monitor of one topic has several events a day, all sharing the
topic's words (in the demo, without this floor, the report of the Amur bridge's opening
joined the trade figures' story at 0.12). Cross-validated on the dev stories the floor
costs nothing measurable (B-cubed F1 of the mixed stream 0.916 -> 0.915, small-story view
0.955 -> 0.958)."""
RIVAL_SHARE = 0.75
"""A candidate story of the article's window rivals another for it when at least this
share as close to it, or in languages its words cannot be compared with (another event
about then, for all we can tell): a story sharing a word or two on a busy day is no
alternative to one sharing its event's vocabulary."""
STORY_MERGE = 0.55
"""Cosine of two stories' centroids from which they are one event and merge."""
STORY_WINDOW_DAYS = 3
"""An article joins a story only if published within this many days of the story's span."""
CENTROID_TERMS = 100
"""Terms a story's centroid keeps: its event's vocabulary, bounded so its cost stays flat
(placing an article weighs every term of every candidate story's centroid). 100 rather
than 200 put every dev article in the same story (the join model refitted on it moves its
weights by less than 0.04 and no dev figure, so it was left as fitted), and a placement
weighs at most half as many terms of a large story."""


def unweighted(terms: Iterable[str]) -> Iterable[float]:
    """Every term weighs the same (no store to tell its events apart)."""
    return itertools.repeat(1.0)


@dataclass(frozen=True)
class Article:
    id: int
    seen: datetime
    published: datetime | None = None


@dataclass(frozen=True)
class StoryProfile:
    """What placing an article needs of a story: a centroid per language, size, time span.

    Words are compared within one language only: a story that took in an
    Italian translation must not look less English to the next English report.
    """

    centroids: Mapping[str, Mapping[str, float]]
    size: int
    first: datetime | None
    last: datetime | None

    @classmethod
    def of(cls, vector: Mapping[str, float], when: datetime | None, language: str) -> StoryProfile:
        """The profile of a story of one article."""
        return cls({language: dict(vector)}, 1, when, when)

    def within(self, when: datetime | None) -> bool:
        """Whether an article of this date can report the story's event."""
        if when is None or self.first is None or self.last is None:
            return True
        window = timedelta(days=STORY_WINDOW_DAYS)
        return self.first - window <= when <= self.last + window

    def overlaps(self, other: StoryProfile) -> bool:
        """Whether the two stories' time spans are close enough to be one event."""
        return self.within(other.first) or self.within(other.last) or other.within(self.first)

    def closeness(self, other: StoryProfile, specificity: Specificity) -> float:
        """The cosine of the two stories' centroids in the language they share best, each
        term weighted by its `specificity` in the store; 0 if their time spans are apart.
        (An article is compared as a story of one.)"""
        return self._closeness(other, _Weighing(specificity))

    def _closeness(self, other: StoryProfile, weigh: _Weighing) -> float:
        if not self.overlaps(other):
            return 0.0
        return max(
            (
                weigh.cosine(mine, other.centroids[lang])
                for lang, mine in self.centroids.items()
                if lang in other.centroids
            ),
            default=0.0,
        )

    def merged(self, other: StoryProfile) -> StoryProfile:
        """The profile of the two stories as one (an article's profile is a story of one)."""
        centroids = dict(self.centroids)
        for lang, vector in other.centroids.items():
            summed = Counter(centroids.get(lang, {}))
            summed.update(vector)
            strongest = sorted(summed.items(), key=lambda item: (-item[1], item[0]))
            centroids[lang] = {term: round(w, 4) for term, w in strongest[:CENTROID_TERMS]}
        dates = [d for d in (self.first, self.last, other.first, other.last) if d is not None]
        return StoryProfile(
            centroids, self.size + other.size, min(dates, default=None), max(dates, default=None)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "centroids": {lang: dict(vector) for lang, vector in self.centroids.items()},
            "size": self.size,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StoryProfile:
        def when(value: str | None) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        centroids = {lang: dict(vector) for lang, vector in data["centroids"].items()}
        return cls(centroids, int(data["size"]), when(data["first"]), when(data["last"]))


@dataclass(frozen=True)
class Relative:
    """A stored article a new one was found related to, and the story it is in."""

    id: int
    relation: str
    score: float
    story: int | None


@dataclass(frozen=True)
class Placement:
    """Where a new article goes."""

    story: int | None
    """The story to join; None opens a new one."""
    merge: tuple[int, ...]
    """Further stories folded into it: the article's family bridges them."""
    closeness: float
    """The article's cosine with the story it joins by closeness (1.0 for its family's)."""
    grown: StoryProfile | None = field(default=None, compare=False)
    """The joined story's profile with the article in it, when no other story is folded
    in (None otherwise: the caller folds them in): placing worked it out already."""


def earliest(articles: Iterable[Article]) -> Article:
    """The member that opens a family or story: first published, else first seen.

    When any member is dated, undated members come after all dated ones: a
    page seen early but undated says nothing about who published first.
    """
    members = list(articles)
    dated = any(a.published for a in members)

    def key(a: Article) -> tuple[bool, datetime, datetime, int]:
        when = a.published if dated and a.published else a.seen
        return (dated and a.published is None, when, a.seen, a.id)

    return min(members, key=key)


class _Weighing:
    """Term vectors weighted by their specificity, each vector once, and their cosines.

    Placing an article compares its vector with every candidate story's centroid, and
    the grown story's with each of them again: each vector is weighed, and its norm
    worked out, once per placement rather than once per comparison, for the same
    products summed in the same order (`dedup.salience.cosine`, so the same cosines).
    """

    def __init__(self, specificity: Specificity) -> None:
        self.specificity = specificity
        # Keyed by identity; the vector is kept too, so its id cannot be reused meanwhile.
        self._weighed: dict[int, tuple[Mapping[str, float], dict[str, float]]] = {}
        self._squares: dict[int, float] = {}

    def __call__(self, vector: Mapping[str, float]) -> dict[str, float]:
        found = self._weighed.get(id(vector))
        if found is None:
            weights = map(operator.mul, vector.values(), self.specificity(vector))
            found = (vector, dict(zip(vector, weights, strict=True)))
            self._weighed[id(vector)] = found
        return found[1]

    def cosine(self, a: Mapping[str, float], b: Mapping[str, float]) -> float:
        """`dedup.salience.cosine` of the two vectors weighed. Most candidate stories share
        no salient term with the article (found by its shingles or anchors): those are
        not weighed at all."""
        if a.keys().isdisjoint(b.keys()):
            return 0.0
        product = dot(self(a), self(b))
        if not product:
            return 0.0
        return product / math.sqrt(self._squared(a) * self._squared(b))

    def _squared(self, vector: Mapping[str, float]) -> float:
        found = self._squares.get(id(vector))
        if found is None:  # the vector is weighed, so kept: its id is not reused meanwhile
            found = self._squares[id(vector)] = squares(self(vector))
        return found


@cache
def join_model() -> Logistic:
    """The fitted join model (`JOIN_MODEL_FILE`)."""
    raw = resources.files("dedup").joinpath(JOIN_MODEL_FILE).read_text("utf-8")
    return Logistic.from_json(json.loads(raw))


def join_signals(
    relatives: Sequence[Relative],
    stories: Mapping[int, StoryProfile],
    own: StoryProfile,
    specificity: Specificity = unweighted,
) -> dict[int, dict[str, float]]:
    """What the join model reads of each candidate story of the article's window."""
    return _join_signals(relatives, stories, own, _Weighing(specificity))


def _join_signals(
    relatives: Sequence[Relative],
    stories: Mapping[int, StoryProfile],
    own: StoryProfile,
    weigh: _Weighing,
) -> dict[int, dict[str, float]]:
    close = {story: profile._closeness(own, weigh) for story, profile in stories.items()}
    best = max(close.values(), default=0.0)
    window = {story for story, profile in stories.items() if profile.overlaps(own)}
    # The stories of the window that could be the article's event: each rivals the others.
    contenders = {
        story
        for story in window
        if close[story] >= RIVAL_SHARE * best
        or not own.centroids.keys() & stories[story].centroids.keys()
    }
    signals = {}
    for story in window:
        profile = stories[story]
        links = [r.score for r in relatives if r.story == story and r.relation == "same_story"]
        rivals = len(contenders) - (story in contenders)
        signals[story] = {
            "closeness": close[story],
            "share_of_best": close[story] / best if best else 0.0,
            "same_story_score": max(links, default=0.0),
            "same_story_links": math.log1p(len(links)),
            "size": math.log1p(profile.size),
            "rivals": math.log1p(rivals),
        }
    return signals


Choice = Callable[[Mapping[int, Mapping[str, float]]], int | None]
"""Picks the story an article joins from its candidate stories' `join_signals`, or None."""


def likeliest(model: Logistic) -> Choice:
    """The candidate story most probably the article's event by ``model``, if at least
    `JOIN_PROBABILITY`."""

    def choose(signals: Mapping[int, Mapping[str, float]]) -> int | None:
        probable = [
            (model.probability(s), -story)
            for story, s in signals.items()
            if s["closeness"] >= MIN_JOIN_CLOSENESS
        ]
        best, story = max(probable, default=(0.0, 0))
        return -story if best >= JOIN_PROBABILITY else None

    return choose


def place(
    relatives: Sequence[Relative],
    stories: Mapping[int, StoryProfile],
    own: StoryProfile,
    specificity: Specificity = unweighted,
    choose: Choice | None = None,
) -> Placement:
    """The story of an article (``own``: its profile as a story of one), from its
    relatives and the profiles of candidate stories.

    Its family decides first: the stories of all derived relatives become one.
    Else the candidate story most probably its event (`join_model`), if at least
    `JOIN_PROBABILITY`; else a new story. Then any other candidate story whose
    centroid is now as close to the grown story as a member would have to be is
    folded in: two stories opened for one event (its first reports worded apart,
    the bridge between them arriving later) become one. The largest story absorbs
    the others, so the fewest rows are rewritten. ``choose`` replaces the model's
    choice (to fit the model).
    """
    joined = {
        r.story
        for r in relatives
        if r.relation in DERIVED and r.story is not None and r.story in stories
    }
    weigh = _Weighing(specificity)
    closeness = 1.0
    if not joined:
        signals = _join_signals(relatives, stories, own, weigh)
        closeness = max((s["closeness"] for s in signals.values()), default=0.0)
        chosen = (choose or likeliest(join_model()))(signals)
        if chosen is not None:
            closeness, joined = signals[chosen]["closeness"], {chosen}
    grown = own
    for story in joined:
        grown = stories[story].merged(grown)
    if joined:
        for story, profile in stories.items():
            if story not in joined and profile._closeness(grown, weigh) >= STORY_MERGE:
                joined.add(story)
    ordered = sorted(joined, key=lambda s: (-stories[s].size, s))
    return Placement(
        ordered[0] if ordered else None,
        tuple(ordered[1:]),
        round(closeness, 4),
        grown if len(ordered) == 1 else None,
    )


K = TypeVar("K", bound=Hashable)


class StoryBook(Generic[K]):
    """Stories held in memory while articles are placed one at a time by `place`.

    The crawl places each article against the store; this book does the same for a
    whole sequence of articles without one: the story evaluation replays a corpus
    with it, and a crawl run settles its stories with it (`crawler.settling`).
    Articles are any hashable keys. Stories that exist already enter through
    `know`; the stories opened here are numbered from ``first_id`` up, in the order
    they open (as a store numbers them: ties between stories go to the older one).
    """

    def __init__(self, specificity: Specificity = unweighted, first_id: int = 1) -> None:
        self.specificity = specificity
        self.story_of: dict[K, int] = {}
        self.profiles: dict[int, StoryProfile] = {}
        self.members: dict[int, list[K]] = {}
        self._opened = itertools.count(first_id)

    def know(self, story: int, profile: StoryProfile, members: Iterable[K]) -> None:
        """A story placed before: its profile and those of its members that matter here."""
        self.profiles[story] = profile
        for member in members:
            self.story_of[member] = story
            self.members.setdefault(story, []).append(member)

    def add(
        self,
        article: K,
        own: StoryProfile,
        relatives: Iterable[tuple[K, str, float]],
        candidates: Iterable[K],
        choose: Choice | None = None,
    ) -> int:
        """Place one article and return its story.

        ``own`` is its profile as a story of one; ``relatives`` its verdicts other than
        unrelated, as (other article, relation, score); ``candidates`` the articles worth
        a look, whose stories are the ones it may join; ``choose`` as for `place`.
        Articles not placed yet are ignored in both.
        """
        related, stories = self.context(relatives, candidates)
        placement = place(related, stories, own, self.specificity, choose)
        if placement.story is None:
            story = next(self._opened)
            self.profiles[story] = own
            self.members[story] = []
        else:
            story = placement.story
            for merged in placement.merge:
                self.profiles[story] = self.profiles[story].merged(self.profiles.pop(merged))
                for member in self.members.pop(merged, []):
                    self.story_of[member] = story
                    self.members[story].append(member)
            grown = placement.grown
            self.profiles[story] = self.profiles[story].merged(own) if grown is None else grown
        self.story_of[article] = story
        self.members.setdefault(story, []).append(article)
        return story

    def context(
        self, relatives: Iterable[tuple[K, str, float]], candidates: Iterable[K]
    ) -> tuple[list[Relative], dict[int, StoryProfile]]:
        """An article's relatives as `place` reads them, and its candidate stories."""
        related = [
            Relative(0, relation, score, self.story_of[other])
            for other, relation, score in relatives
            if other in self.story_of
        ]
        stories = {self.story_of[c] for c in candidates if c in self.story_of}
        stories.update(r.story for r in related if r.story is not None)
        return related, {s: self.profiles[s] for s in stories}
