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

    def outlet(self, name: str) -> OutletSite:
        for site in self.outlets:
            if site.name == name:
                return site
        raise KeyError(f"No demo outlet named {name!r}; choose one of {self.outlet_names()}.")

    def outlet_names(self) -> list[str]:
        return [site.name for site in self.outlets]

    def select(self, *, outlet: str | None = None, role: Role | None = None) -> list[PageInfo]:
        return [
            page
            for page in self.pages
            if (outlet is None or page.outlet == outlet) and (role is None or page.role == role)
        ]
