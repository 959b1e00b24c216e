"""The five seed texts, embedded in plausible outlet pages with their noise moved into furniture.

The seeds are real extractions and carry the noise of the pages they came from (captions, an ad
label glued to a paragraph, "Read more" footers, a repeated title, a date prefix). Here each noise
line is put back where a real page has it (a figcaption, an ad slot, an aside), so a good extractor
can recover the clean body; `expected_seed` tells tests what that clean body is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from demoweb.content import (
    ArticleSpec,
    Block,
    Text,
    load_seed_manifest,
    parse_time,
    seed_raw,
)
from demoweb.model import Role


@dataclass(frozen=True)
class SeedExpectation:
    """What an extractor should recover from a seed page."""

    stem: str
    outlet: str
    path: str
    title: str
    paragraphs: tuple[str, ...]  # body paragraphs and subheadings, noise removed
    noise: tuple[str, ...]  # strings the extracted text must not contain

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def seed_text(self) -> str:
        return f"{self.title}\n\n{self.body}"


def _seed_lines(stem: str, spec: dict[str, Any]) -> tuple[str, list[str]]:
    lines = [line.strip() for line in seed_raw(stem).splitlines() if line.strip()]
    if "title" in spec:  # the seed lost its title line; the page supplies one
        return spec["title"], lines
    return lines[0], lines[1:]


def _noise_block(rule: dict[str, Any], text: str, alt: str = "") -> Block:
    return Block(rule["place"], text, extra=rule.get("link", alt), label=rule.get("label", ""))


def seed_blocks(stem: str, spec: dict[str, Any]) -> Text:
    """Turn seed lines into page blocks, applying the seed's noise rules in order of appearance."""
    title, lines = _seed_lines(stem, spec)
    headings = set(spec.get("headings", ()))
    rules: list[dict[str, Any]] = spec.get("noise", [])
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        matched = False
        for rule in rules:
            prefixes: list[str] = rule.get("lines", [])
            window = lines[index : index + len(prefixes)]
            if (
                prefixes
                and len(window) == len(prefixes)
                and all(got.startswith(want) for got, want in zip(window, prefixes, strict=True))
            ):
                # A figure's first line is the image's alt text, its last the visible caption.
                alt = window[0] if len(window) > 1 else ""
                blocks.append(_noise_block(rule, window[-1], alt))
                index += len(prefixes)
                matched = True
                break
            if "prefix" in rule and line.startswith(rule["prefix"]):
                blocks.append(_noise_block(rule, rule["prefix"]))
                line = line[len(rule["prefix"]) :].strip()
            if "suffix" in rule and line.endswith(rule["suffix"]):
                blocks.append(Block("h" if line in headings else "p", line[: -len(rule["suffix"])]))
                blocks.append(_noise_block(rule, rule["suffix"]))
                index += 1
                matched = True
                break
        if not matched:
            blocks.append(Block("h" if line in headings else "p", line))
            index += 1
    return Text(title, tuple(blocks))


def seed_article(stem: str) -> ArticleSpec:
    spec = load_seed_manifest()[stem]
    return ArticleSpec(
        outlet=spec["outlet"],
        path=spec["path"],
        text=seed_blocks(stem, spec),
        language=spec["language"],
        published=parse_time(spec["published"]),
        author=spec.get("author", ""),
        section=spec["section"],
        role=Role.ARTICLE,
        day=1,
        credit=spec.get("credit"),
        tags=tuple(spec.get("tags", ())),
        seed=stem,
        furniture=False,
    )


def seed_articles() -> list[ArticleSpec]:
    return [seed_article(stem) for stem in sorted(load_seed_manifest())]


def expected_seed(stem: str) -> SeedExpectation:
    """The clean title and body a good extractor recovers from the page embedding `stem`."""
    article = seed_article(stem)
    return SeedExpectation(
        stem=stem,
        outlet=article.outlet,
        path=article.path,
        title=article.text.title,
        paragraphs=tuple(article.text.paragraphs),
        noise=tuple(
            text
            for block in article.text.blocks
            if not block.is_text
            for text in ((block.text, block.extra) if block.kind == "figure" else (block.text,))
            if text
        ),
    )


SEED_PAGES: dict[str, tuple[str, str]] = {
    stem: (spec["outlet"], spec["path"]) for stem, spec in sorted(load_seed_manifest().items())
}
