"""Families and stories, placed one article at a time.

A family is everything derived from one text (copies, spins, translations);
its source is the member published first, or, when no member has a date, the
one seen first.

A story is one event and its reports. A new article joins the story of its
family, or else the story of the report it resembles most (its best
``same_story`` relative). Weak ``same_story`` links never merge two stories:
on a busy news day such links chain distinct events into one
story-of-everything. Stories merge when a new copy or translation bridges
them (a family cannot be split across stories) or when the new article is a
strong same-story match (``STORY_MERGE_SCORE``) for both, as wire-sharing
reports of one event are. Placing an article therefore looks at its
relatives only, never at the whole story, so linking stays cheap however
large a story grows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from dedup.verdict import DERIVED

STORY_MERGE_SCORE = 0.6
"""A same_story relative at least this strong pulls its story into the article's. On the dev
set, same_story verdicts for unrelated reports on the topic score at most 0.30; half of the
true same-story pairs score 0.6 or more (0.9 for the seeds sharing wire passages)."""


@dataclass(frozen=True)
class Article:
    id: int
    seen: datetime
    published: datetime | None = None


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
    """Further stories folded into it: a family bridges them."""
    adopt: tuple[int, ...]
    """Relatives in no story yet, which join together with the article."""


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


def place(relatives: Sequence[Relative], story_sizes: Mapping[int, int]) -> Placement | None:
    """The story of an article with these relatives (None when it has none).

    The article belongs with its family and with strong same-story matches;
    with none of those in a story, the best same-story relative that is in one
    decides. When several stories must merge, the largest absorbs the others,
    so the fewest rows are rewritten.
    """
    if not relatives:
        return None
    stories = {
        r.story
        for r in relatives
        if r.story is not None and (r.relation in DERIVED or r.score >= STORY_MERGE_SCORE)
    }
    if not stories:
        storied = [r for r in relatives if r.story is not None]
        if storied:
            best = max(storied, key=lambda r: (r.score, -r.id))
            stories = {best.story} if best.story is not None else set()
    ordered = sorted(stories, key=lambda s: (-story_sizes.get(s, 0), s))
    return Placement(
        story=ordered[0] if ordered else None,
        merge=tuple(ordered[1:]),
        adopt=tuple(sorted(r.id for r in relatives if r.story is None)),
    )
