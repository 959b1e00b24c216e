"""Families and stories, placed one article at a time.

A family is everything derived from one text (copies, spins, translations);
its source is the member published first, or, when no member has a date, the
one seen first.

A story is one event in time and its reports. Every article is in exactly one
story. A new article joins its family's story (a family is never split across
stories, so a copy or translation that bridges two stories merges them); with
no family in a story, it joins the story it is closest to *as a whole*: the
cosine of its salient-term vector (`dedup.salience`) with the story's
centroid, within a time window around the story's span. Closeness to one
member is not enough: on a busy news day one loose link after another would
chain distinct events into one story-of-everything. With no story close
enough, the article opens a story of its own.

A story keeps its centroid (the sum of its members' vectors, cut to its
strongest terms) and its time span, so placing an article reads the profiles
of a few candidate stories, never their members: the cost stays flat however
large a story grows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dedup.salience import cosine
from dedup.verdict import DERIVED

STORY_JOIN = 0.3
"""Cosine of an article's vector with a story's centroid from which it joins the story.
Tuned on the real development stories (`python -m dedup.evaluate --stories`)."""
STORY_WINDOW_DAYS = 3
"""An article joins a story only if published within this many days of the story's span."""
CENTROID_TERMS = 200
"""Terms a story's centroid keeps: its event's vocabulary, bounded so its cost stays flat."""


@dataclass(frozen=True)
class Article:
    id: int
    seen: datetime
    published: datetime | None = None


@dataclass(frozen=True)
class StoryProfile:
    """What placing an article needs of a story: its centroid, size and time span."""

    centroid: Mapping[str, float]
    size: int
    first: datetime | None
    last: datetime | None

    @classmethod
    def of(cls, vector: Mapping[str, float], when: datetime | None) -> StoryProfile:
        """The profile of a story of one article."""
        return cls(dict(vector), 1, when, when)

    def within(self, when: datetime | None) -> bool:
        """Whether an article of this date can report the story's event."""
        if when is None or self.first is None or self.last is None:
            return True
        window = timedelta(days=STORY_WINDOW_DAYS)
        return self.first - window <= when <= self.last + window

    def closeness(self, vector: Mapping[str, float], when: datetime | None) -> float:
        """Cosine with the centroid; 0 outside the story's time window."""
        return cosine(vector, self.centroid) if self.within(when) else 0.0

    def merged(self, other: StoryProfile) -> StoryProfile:
        """The profile of the two stories as one (an article's profile is a story of one)."""
        summed = Counter(self.centroid)
        summed.update(other.centroid)
        strongest = sorted(summed.items(), key=lambda item: (-item[1], item[0]))[:CENTROID_TERMS]
        dates = [d for d in (self.first, self.last, other.first, other.last) if d is not None]
        return StoryProfile(
            {term: round(w, 4) for term, w in strongest},
            self.size + other.size,
            min(dates, default=None),
            max(dates, default=None),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "centroid": dict(self.centroid),
            "size": self.size,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StoryProfile:
        def when(value: str | None) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        return cls(dict(data["centroid"]), int(data["size"]), when(data["first"]), when(data["last"]))


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


def place(
    relatives: Sequence[Relative],
    stories: Mapping[int, StoryProfile],
    vector: Mapping[str, float],
    when: datetime | None,
) -> Placement:
    """The story of an article, from its relatives and the profiles of candidate stories.

    Its family decides first: the stories of all derived relatives become one,
    the largest absorbing the others so the fewest rows are rewritten. Else the
    candidate story closest as a whole, if close enough; else a new story.
    """
    family = {r.story for r in relatives if r.relation in DERIVED and r.story is not None}
    if family:
        ordered = sorted(family, key=lambda s: (-stories[s].size if s in stories else 0, s))
        return Placement(ordered[0], tuple(ordered[1:]), 1.0)
    scored = [(profile.closeness(vector, when), -story) for story, profile in stories.items()]
    best = max(scored, default=(0.0, 0))
    if best[0] >= STORY_JOIN:
        return Placement(-best[1], (), round(best[0], 4))
    return Placement(None, (), round(best[0], 4))
