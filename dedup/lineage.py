"""Families and stories from pairwise relations.

A family is everything derived from one text (copies, spins, translations);
its source is the member published first, or, when no member has a date, the
one seen first. A story is every article connected by any stored relation,
derived or same_story: one event and all its reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from dedup.verdict import DERIVED


@dataclass(frozen=True)
class Article:
    id: str
    seen: datetime
    published: datetime | None = None


@dataclass(frozen=True)
class Link:
    a: str
    b: str
    relation: str


@dataclass(frozen=True)
class Story:
    """Members in publication order; `first` published (or was seen) first."""

    first: str
    members: tuple[str, ...]
    sources: dict[str, str]
    """Article id -> the source of its family (a source maps to itself)."""


def _groups(ids: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    parent = {i: i for i in ids}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        if a in parent and b in parent:
            parent[root(a)] = root(b)
    groups: dict[str, list[str]] = {}
    for i in parent:
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def _order(articles: dict[str, Article], members: list[str]) -> list[str]:
    dated = any(articles[m].published for m in members)

    def key(m: str) -> tuple[bool, datetime, datetime, str]:
        article = articles[m]
        when = article.published if dated and article.published else article.seen
        return (dated and article.published is None, when, article.seen, m)

    return sorted(members, key=key)


def sources(articles: Iterable[Article], links: Iterable[Link]) -> dict[str, str]:
    """Each article id -> the source of its family."""
    by_id = {a.id: a for a in articles}
    derived = [(link.a, link.b) for link in links if link.relation in DERIVED]
    result: dict[str, str] = {}
    for family in _groups(by_id, derived):
        source = _order(by_id, family)[0]
        result |= dict.fromkeys(family, source)
    return result


def stories(articles: Iterable[Article], links: Iterable[Link]) -> list[Story]:
    """Stories with at least two members, earliest first."""
    by_id = {a.id: a for a in articles}
    links = list(links)
    source_of = sources(by_id.values(), links)
    related = [(link.a, link.b) for link in links if link.relation != "unrelated"]
    found = []
    for group in _groups(by_id, related):
        if len(group) < 2:
            continue
        members = tuple(_order(by_id, group))
        found.append(Story(members[0], members, {m: source_of[m] for m in members}))
    found.sort(key=lambda story: by_id[story.first].published or by_id[story.first].seen)
    return found
