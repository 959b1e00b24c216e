"""Loading the demo web's content: outlets, interface strings, the page manifest and article texts.

Content lives in data files (TOML manifests and seed-format .txt texts) so that prose can be
edited, added or translated without touching code, and so that a later demo day (issue 5) is
just more manifest entries: articles with `day = 2`, `[[edit]]`s and `[[removal]]`s.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from demoweb.model import Edit, Relation, Role


def _data_text(relative: str) -> str:
    return resources.files("demoweb").joinpath(f"data/{relative}").read_text("utf-8")


def _toml(relative: str) -> dict[str, Any]:
    return tomllib.loads(_data_text(relative))


def parse_time(value: str) -> datetime:
    stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        raise ValueError(f"Timestamp {value!r} in the demo manifest needs a UTC offset, e.g. 'Z'.")
    return stamp


@dataclass(frozen=True)
class Block:
    """One body element. `p` and `h` are article text; the other kinds are page furniture
    that real pages put between paragraphs (figures, ad slots, inline related links)."""

    kind: str  # p, h, figure, ad, related, dateline, share_title, read_more, brand
    text: str
    extra: str = ""  # figure: alt text; related/read_more/brand: link path
    label: str = ""  # read_more: the lead-in words before the link

    @property
    def is_text(self) -> bool:
        return self.kind in ("p", "h")


@dataclass(frozen=True)
class Text:
    title: str
    blocks: tuple[Block, ...]

    @property
    def paragraphs(self) -> list[str]:
        return [block.text for block in self.blocks if block.is_text]


def parse_text(raw: str) -> Text:
    """Read the seed format: title line, blank line, blocks separated by blank lines;
    a block starting with '## ' is a subheading."""
    title, _, rest = raw.strip().partition("\n")
    blocks = []
    for chunk in rest.split("\n\n"):
        line = " ".join(chunk.split())
        if not line:
            continue
        if line.startswith("## "):
            blocks.append(Block("h", line[3:]))
        else:
            blocks.append(Block("p", line))
    return Text(title.strip(), tuple(blocks))


@cache
def load_text(relative: str) -> Text:
    return parse_text(_data_text("texts/" + relative))


@dataclass(frozen=True)
class SectionSpec:
    slug: str
    label: str
    lang: str


@dataclass(frozen=True)
class OutletSpec:
    name: str
    title: str
    ip: str
    languages: tuple[str, ...]
    style: str
    tagline: str
    address: str
    email: str
    about: tuple[str, ...]
    sections: tuple[SectionSpec, ...]
    feeds: tuple[tuple[str, str], ...]  # (path, kind)
    sitemaps: tuple[tuple[str, str], ...]  # (path, kind)
    amp: bool
    utm_links: bool
    article_patterns: tuple[str, ...]
    exclude_patterns: tuple[str, ...]
    ad_label: str | None
    about_path: str
    extra_pages: tuple[tuple[str, str], ...]  # (path, text file)

    @property
    def language(self) -> str:
        return self.languages[0]

    def section(self, slug: str) -> SectionSpec:
        for section in self.sections:
            if section.slug == slug:
                return section
        raise KeyError(f"Outlet {self.name} has no section {slug!r}.")


def outlet_spec(raw: dict[str, Any]) -> OutletSpec:
    languages = tuple(raw["languages"])
    return OutletSpec(
        name=raw["name"],
        title=raw["title"],
        ip=raw["ip"],
        languages=languages,
        style=raw["style"],
        tagline=raw["tagline"],
        address=raw["address"],
        email=raw["email"],
        about=tuple(raw["about"]),
        sections=tuple(
            SectionSpec(s["slug"], s["label"], s.get("lang", languages[0])) for s in raw["sections"]
        ),
        feeds=tuple((f["path"], f["kind"]) for f in raw["feeds"]),
        sitemaps=tuple((s["path"], s["kind"]) for s in raw["sitemaps"]),
        amp=raw["amp"],
        utm_links=raw["utm_links"],
        article_patterns=tuple(raw["article_patterns"]),
        exclude_patterns=tuple(raw["exclude_patterns"]),
        ad_label=raw.get("ad_label"),
        about_path=raw.get("about_path", "/about/"),
        extra_pages=tuple((p["path"], p["text"]) for p in raw.get("extra_pages", [])),
    )


@cache
def load_outlets(manifest: str = "outlets.toml") -> tuple[OutletSpec, ...]:
    return tuple(outlet_spec(raw) for raw in _toml(manifest)["outlet"])


@cache
def _pages() -> dict[str, Any]:
    return _toml("pages.toml")


@cache
def load_strings() -> dict[str, dict[str, Any]]:
    return _toml("strings.toml")


@dataclass(frozen=True)
class ArticleSpec:
    """One article page as the manifest places it on an outlet."""

    outlet: str
    path: str
    text: Text
    language: str
    published: datetime
    author: str
    section: str
    role: Role
    day: int
    syndication: str | None = None
    credit: str | None = None  # wire or source credit shown beside the byline
    source_link: tuple[str, str] | None = None  # (outlet, path) a scraped copy links back to
    caption: str | None = None
    tags: tuple[str, ...] = ()
    seed: str | None = None
    modified: datetime | None = None
    furniture: bool = True  # False for seed pages: their noise is placed explicitly
    derived_from: tuple[str, str] | None = None  # (outlet, path) of the page it is made from
    relation: Relation | None = None
    edited_on: int | None = None

    @property
    def description(self) -> str:
        first = next((b.text for b in self.text.blocks if b.kind == "p"), self.text.title)
        return first if len(first) <= 200 else first[:197].rsplit(" ", 1)[0] + "…"


@dataclass(frozen=True)
class ExtraSpec:
    """A non-article page with a few words of its own: a video page or a live-blog landing."""

    outlet: str
    path: str
    kind: str  # video | live
    title: str
    language: str
    published: datetime
    section: str
    day: int
    description: str = ""
    headlines: tuple[str, ...] = field(default=())
    in_feed: bool = False


def _article(raw: dict[str, Any], text: Text, language: str) -> ArticleSpec:
    source = raw.get("source_link")
    derived = raw.get("derived_from")
    if bool(derived) != ("relation" in raw):
        raise ValueError(
            f"Demo article {raw['outlet']}{raw['path']} needs both `derived_from` and `relation`."
        )
    return ArticleSpec(
        outlet=raw["outlet"],
        path=raw["path"],
        text=text,
        language=language,
        published=parse_time(raw["published"]),
        author=raw.get("author", ""),
        section=raw["section"],
        role=Role(raw.get("role", "article")),
        day=raw.get("day", 1),
        syndication=raw.get("syndication"),
        credit=raw.get("credit"),
        source_link=(source[0], source[1]) if source else None,
        caption=raw.get("caption"),
        tags=tuple(raw.get("tags", ())),
        modified=parse_time(raw["modified"]) if "modified" in raw else None,
        derived_from=(derived[0], derived[1]) if derived else None,
        relation=Relation(raw["relation"]) if "relation" in raw else None,
    )


@cache
def load_articles() -> tuple[ArticleSpec, ...]:
    return tuple(
        _article(raw, load_text(raw["text"]), raw["text"].split("/", 1)[0])
        for raw in _pages()["article"]
    )


@dataclass(frozen=True)
class Removal:
    """An article taken down: from `day` on its URL answers `status` and discovery forgets it."""

    outlet: str
    path: str
    day: int
    removed: datetime
    status: int = 410


@cache
def load_edits() -> tuple[Edit, ...]:
    return tuple(
        Edit(
            outlet=raw["outlet"],
            path=raw["path"],
            day=raw["day"],
            modified=parse_time(raw["modified"]),
            added=tuple(raw.get("add", ())),
            corrected=tuple((old, new) for old, new in raw.get("correct", ())),
        )
        for raw in _pages().get("edit", [])
    )


@cache
def load_removals() -> tuple[Removal, ...]:
    return tuple(
        Removal(
            outlet=raw["outlet"],
            path=raw["path"],
            day=raw["day"],
            removed=parse_time(raw["removed"]),
            status=raw.get("status", 410),
        )
        for raw in _pages().get("removal", [])
    )


def apply_edit(article: ArticleSpec, edit: Edit) -> ArticleSpec:
    """The article as it reads after `edit`. Each corrected passage must occur exactly once, so
    a manifest typo fails loudly instead of silently leaving the text unchanged."""
    blocks = list(article.text.blocks)
    for old, new in edit.corrected:
        hits = [i for i, block in enumerate(blocks) if block.is_text and old in block.text]
        if len(hits) != 1 or blocks[hits[0]].text.count(old) != 1:
            raise ValueError(
                f"Edit of {edit.outlet}{edit.path}: {old!r} must occur exactly once in the text."
            )
        blocks[hits[0]] = replace(blocks[hits[0]], text=blocks[hits[0]].text.replace(old, new))
    blocks += [Block("p", paragraph) for paragraph in edit.added]
    return replace(
        article,
        text=Text(article.text.title, tuple(blocks)),
        modified=edit.modified,
        edited_on=edit.day,
    )


@cache
def load_extras() -> tuple[ExtraSpec, ...]:
    return tuple(
        ExtraSpec(
            outlet=raw["outlet"],
            path=raw["path"],
            kind=raw["kind"],
            title=raw["title"],
            language=raw["language"],
            published=parse_time(raw["published"]),
            section=raw["section"],
            day=raw.get("day", 1),
            description=raw.get("description", ""),
            headlines=tuple(raw.get("headlines", ())),
            in_feed=raw.get("in_feed", False),
        )
        for raw in _pages()["extra"]
    )


@cache
def load_seed_manifest() -> dict[str, dict[str, Any]]:
    return _toml("seeds.toml")["seed"]  # type: ignore[no-any-return]


def seed_raw(stem: str) -> str:
    return _data_text(f"seeds/{stem}.txt")
