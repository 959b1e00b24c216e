"""The data model of the offline news web: what a server needs to answer and what a test expects.

A `Web` is origin-independent: every absolute URL inside a body is written with the outlet's
placeholder origin (`placeholder_origin`), and the server swaps in the real loopback address when
it answers. That keeps the builder pure (it does not need to know which port the OS hands out) and
lets the same `Web` be served twice, or replaced while running, without rebuilding.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

PLACEHOLDER_DOMAIN = "demo.invalid"


def placeholder_origin(outlet: str) -> str:
    """The origin that stands for `outlet` inside built bodies (`.invalid` never resolves)."""
    return f"http://{outlet.replace('_', '-')}.{PLACEHOLDER_DOMAIN}"


class Relation(enum.StrEnum):
    """How a derived page relates to the page it comes from, named as in issue 4's relations."""

    REWRITE = "rewrite"  # same language, reworded or spun
    TRANSLATION = "translation"  # the same article in another language
    SAME_STORY = "same_story"  # a different report of the same event


class Role(enum.StrEnum):
    """What the crawler is expected to do with a page; end-to-end tests count by role."""

    ARTICLE = "article"  # on-topic, inside the look-back window: must be stored
    OFF_TOPIC = "off_topic"  # a real article the topic filter must drop
    ARCHIVE = "archive"  # on-topic but far older than the window: must not be fetched
    NON_ARTICLE = "non_article"  # about, contact, tag, video, live-blog, section pages
    AMP = "amp"  # the AMP rendition of an ARTICLE; rel=canonical points back to it


@dataclass(frozen=True)
class Resource:
    """One HTTP answer; ETag and gzip are derived by the server from the final body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    last_modified: datetime | None = None

    @property
    def content_type(self) -> str:
        return next((v for k, v in self.headers if k.lower() == "content-type"), "")


@dataclass(frozen=True)
class PageInfo:
    """The ground truth about one page, for tests and for the demo summary."""

    outlet: str
    path: str
    role: Role
    language: str
    title: str
    published: datetime | None
    day: int = 1
    # Pages sharing a group id carry the same article text verbatim (wire copies, scraped
    # copies): exactly one of them should be stored, the others recorded as duplicates.
    syndication: str | None = None
    seed: str | None = None  # seed file stem when the page embeds a seed text
    canonical_path: str | None = None  # for AMP pages: the article they render
    kind: str = "article"  # finer label: article, video, live, about, contact, tag, section, ...
    # Lineage of pages published after day one: the (outlet, path) of the page this one was
    # made from (for same_story: the earlier report of the event) and how it relates to it.
    derived_from: tuple[str, str] | None = None
    relation: Relation | None = None
    modified: datetime | None = None  # when the text last changed at the same URL
    edited_on: int | None = None  # demo day on which the text was last edited
    removed_on: int | None = None  # demo day from which the page answers 410 Gone


@dataclass(frozen=True)
class Edit:
    """A change to a published article's text at the same URL: the truth behind a new version."""

    outlet: str
    path: str
    day: int
    modified: datetime
    added: tuple[str, ...]  # paragraphs appended to the body
    corrected: tuple[tuple[str, str], ...]  # (old, new) passages replaced in the text


@dataclass(frozen=True)
class Changes:
    """How one day's web differs from the day before; what a daily re-crawl must report."""

    day: int
    new: tuple[PageInfo, ...]  # pages first served on `day` (articles, AMP, new tag pages)
    edited: tuple[PageInfo, ...]  # pages whose text changed on `day`, same URL
    removed: tuple[PageInfo, ...]  # pages served the day before that answer 410 from `day`
    edits: tuple[Edit, ...]  # what changed in each edited article

    @property
    def outlets(self) -> frozenset[str]:
        """Outlets touched by a change; the others serve byte-identical feeds and sitemaps."""
        touched = (*self.new, *self.edited, *self.removed)
        return frozenset(page.outlet for page in touched)


@dataclass(frozen=True)
class OutletSite:
    """One outlet of the web: its host address, discovery entry points and resources."""

    name: str
    title: str
    ip: str
    languages: tuple[str, ...]
    feeds: tuple[str, ...]  # paths
    sitemaps: tuple[str, ...]  # paths listed in robots.txt
    sections: tuple[str, ...]  # paths
    article_patterns: tuple[str, ...]
    exclude_patterns: tuple[str, ...]
    resources: Mapping[str, Resource]

    @property
    def origin(self) -> str:
        return placeholder_origin(self.name)


@dataclass(frozen=True)
class Web:
    """A whole web as of one day; `pages` is the ground truth tests assert against."""

    day: int
    outlets: tuple[OutletSite, ...]
    pages: tuple[PageInfo, ...]
    removed: tuple[PageInfo, ...] = ()  # pages no longer served (not in `pages`)
    edits: tuple[Edit, ...] = ()  # every edit applied up to `day`

    def outlet(self, name: str) -> OutletSite:
        for site in self.outlets:
            if site.name == name:
                return site
        raise KeyError(f"No demo outlet named {name!r}; choose one of {self.outlet_names()}.")

    def page(self, outlet: str, path: str) -> PageInfo:
        """The served or removed page at `outlet` + `path`."""
        for page in (*self.pages, *self.removed):
            if page.outlet == outlet and page.path == path:
                return page
        raise KeyError(f"The day-{self.day} demo web has no page {outlet}{path}.")

    @property
    def changes(self) -> Changes:
        """What changed on `self.day` (on day 1, every page is new)."""
        return Changes(
            day=self.day,
            new=tuple(p for p in self.pages if p.day == self.day),
            edited=tuple(p for p in self.pages if p.edited_on == self.day),
            removed=tuple(p for p in self.removed if p.removed_on == self.day),
            edits=tuple(e for e in self.edits if e.day == self.day),
        )

    def outlet_names(self) -> list[str]:
        return [site.name for site in self.outlets]

    def select(self, *, outlet: str | None = None, role: Role | None = None) -> list[PageInfo]:
        return [
            page
            for page in self.pages
            if (outlet is None or page.outlet == outlet) and (role is None or page.role == role)
        ]
