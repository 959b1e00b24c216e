"""The generated benchmark site: thousands of ~200 KB article pages, built lazily on request.

Article pages are rendered when they are requested (nothing is written to disk and only a small
cache is kept), so a 2,000-page site costs a fraction of a second to build and little memory.
Texts are drawn deterministically from the sentences of the demo's English articles, so every
page is distinct, on-topic and reproducible from `(n_articles, seed)`.
"""

from __future__ import annotations

import random
import re
import tomllib
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path

from demoweb import feeds, render
from demoweb.build import HTML, resource
from demoweb.content import ArticleSpec, Block, OutletSpec, Text, load_articles, load_outlets
from demoweb.model import OutletSite, PageInfo, Resource, Role, Web

FIRST_DAY = datetime(2022, 6, 1, 6, 0, tzinfo=UTC)
SPAN = timedelta(days=15)
RECIRCULATION_ITEMS = 480  # sized so a page lands near 200 KB, like real news pages


@cache
def corpus() -> tuple[str, ...]:
    """Sentences of the demo's English on-topic day-one articles (later days' content must not
    change a benchmark site built from the same seed)."""
    sentences: list[str] = []
    for article in load_articles():
        if article.language == "en" and article.role == Role.ARTICLE and article.day == 1:
            for paragraph in article.text.paragraphs:
                sentences += [s for s in re.split(r"(?<=[.!?”])\s+", paragraph) if len(s) > 40]
    return tuple(dict.fromkeys(sentences))


@cache
def topic_words() -> frozenset[str]:
    """Words of the built-in topic's terms (wildcards as prefixes): a retold event keeps them,
    so its pages stay on-topic."""
    with (Path(__file__).parents[1] / "crawler" / "topic.toml").open("rb") as handle:
        topic = tomllib.load(handle)
    words: set[str] = set()
    tables = [topic]
    while tables:  # [concept.china], [diplomacy]...: every table's `terms`, however nested
        table = tables.pop()
        tables += [v for v in table.values() if isinstance(v, dict)]
        for term in table.get("terms", []):
            words.update(w.casefold().rstrip("*") for w in re.findall(r"[A-Za-z*]+", term))
    return frozenset(w for w in words if len(w) > 2)


_CONSONANTS, _VOWELS = "bcdfghklmnprstvz", "aeiou"


def _pseudo_word(event: int, word: str) -> str:
    """The word as event `event` tells it: a made-up word of the same length and case."""
    rng = random.Random(f"{event}/{word.casefold()}")
    letters = "".join(rng.choice(_VOWELS if k % 2 else _CONSONANTS) for k in range(len(word)))
    return letters.capitalize() if word[0].isupper() else letters


def retell(text: str, event: int) -> str:
    """The text with every word of five letters or more that is not a topic word replaced by
    event `event`'s own made-up word: two events share only the topic's and the short words,
    so a site of many events has articles that mostly have nothing to do with each other."""
    keep = topic_words()

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        folded = word.casefold()
        if any(folded.startswith(k) for k in keep):
            return word
        return _pseudo_word(event, word)

    return re.sub(r"[A-Za-z]{5,}", swap, text)


class _Generator:
    def __init__(self, spec: OutletSpec, n_articles: int, seed: int, events: int = 0) -> None:
        self.spec, self.n, self.seed, self.events = spec, n_articles, seed, events
        self.titles = [self._title(i) for i in range(n_articles)]
        self.paths = [self._path(i) for i in range(n_articles)]
        self.index = {path: i for i, path in enumerate(self.paths)}
        self.article = lru_cache(maxsize=512)(self._article)

    def published(self, i: int) -> datetime:
        return FIRST_DAY + SPAN * (i / max(1, self.n))

    def _rng(self, i: int) -> random.Random:
        return random.Random(self.seed * 1_000_003 + i)

    def _path(self, i: int) -> str:
        words = re.findall(r"[a-z]+", self.title(i).casefold())[:8]
        return f"/world/{self.published(i):%Y/%m/%d}/{'-'.join(words)}-{i:06d}"

    def title(self, i: int) -> str:
        return self.titles[i]

    def _title(self, i: int) -> str:
        """Two sentence openings joined, so titles rarely repeat even with a small corpus."""
        rng = random.Random(-(self.seed * 1_000_003 + i))
        first, second = (
            s.replace("“", "").replace("”", "").rstrip(".").split() for s in rng.sample(corpus(), 2)
        )
        title = " ".join(first[:7]).rstrip(",;:—") + ": " + " ".join(second[:6]).rstrip(",;:—")
        return self._told(title, i)

    def _told(self, text: str, i: int) -> str:
        """As the article's event tells it (see `retell`); the text itself with no events."""
        return retell(text, i % self.events) if self.events else text

    def _article(self, i: int) -> ArticleSpec:
        rng, sentences = self._rng(i), corpus()
        blocks = []
        for n in range(rng.randint(10, 14)):
            if n and n % 5 == 0:
                blocks.append(Block("h", self._told(rng.choice(sentences).split(",")[0][:60], i)))
            paragraph = " ".join(rng.sample(sentences, rng.randint(3, 5)))
            blocks.append(Block("p", self._told(paragraph, i)))
        return ArticleSpec(
            outlet=self.spec.name,
            path=self.paths[i],
            text=Text(self.title(i), tuple(blocks)),
            language="en",
            published=self.published(i),
            author=rng.choice(["Dana Whitfield", "Peter Lindqvist", "Anil Mehta", "Rachel Moore"]),
            section="world",
            role=Role.ARTICLE,
            day=1,
            tags=("China", "Russia"),
        )

    def neighbours(self, i: int, radius: int = 5) -> tuple[ArticleSpec, ...]:
        lo, hi = max(0, i - radius), min(self.n, i + radius + 1)
        return tuple(self.article(j) for j in range(lo, hi))

    def page(self, i: int) -> Resource:
        site = render.Site(self.spec, self.neighbours(i), ())
        rng = self._rng(i)
        recirculation = [
            {
                "id": j,
                "title": self.title(j),
                "href": self.paths[j],
                "summary": rng.choice(corpus()),
                "image": render.image_path(self.paths[j]),
            }
            for j in (rng.randrange(self.n) for _ in range(RECIRCULATION_ITEMS))
        ]
        state = {
            "recirculation": recirculation,
            "adUnits": [f"/4021/ledger/{k}" for k in range(40)],
        }
        html = render.render_article(site, self.article(i), extra_state=state)
        return resource(html, HTML, self.published(i))


class LazyResources(Mapping[str, Resource]):
    """Static resources held in memory, article pages rendered on access."""

    def __init__(self, static: dict[str, Resource], generator: _Generator) -> None:
        self.static, self.generator = static, generator

    def __getitem__(self, path: str) -> Resource:
        if path in self.static:
            return self.static[path]
        return self.generator.page(self.generator.index[path])

    def __iter__(self) -> Iterator[str]:
        yield from self.static
        yield from self.generator.paths

    def __len__(self) -> int:
        return len(self.static) + self.generator.n


def _entries(gen: _Generator, indices: range) -> list[feeds.Entry]:
    url = render.Site(gen.spec, (), ()).url
    return [feeds.Entry(url(gen.paths[i]), gen.title(i), gen.published(i), "en") for i in indices]


def build_bulk_site(
    n_articles: int, seed: int = 0, *, sitemap_chunk: int = 1000, events: int = 0
) -> Web:
    """A one-outlet web of `n_articles` generated pages, listed in an RSS feed (newest 100), a
    section page (newest 50) and a sitemap index whose children hold ≤ `sitemap_chunk` URLs.

    By default every page retells the same few events in shared wording (a worst case for
    linking); with `events`, article i belongs to event i mod `events`, told in that
    event's own words (`retell`)."""
    if n_articles < 1 or not 1 <= sitemap_chunk <= 50_000:
        raise ValueError("Use at least one article and a sitemap chunk of 1 to 50,000 entries.")
    spec = load_outlets("bulk.toml")[0]
    gen = _Generator(spec, n_articles, seed, events)
    site = render.Site(spec, (), ())
    newest = gen.published(n_articles - 1)
    static: dict[str, Resource] = {}
    children: list[tuple[str, datetime | None]] = []
    for k, start in enumerate(range(0, n_articles, sitemap_chunk)):
        chunk = range(start, min(n_articles, start + sitemap_chunk))
        body = feeds.urlset(_entries(gen, chunk), kind="lastmod")
        path = f"/sitemaps/articles-{k + 1}.xml"
        static[path] = resource(body, "application/xml", gen.published(chunk[-1]))
        children.append((site.url(path), gen.published(chunk[-1])))
    static["/sitemap_index.xml"] = resource(
        feeds.sitemap_index(children), "application/xml", newest
    )
    latest = range(n_articles - 1, max(-1, n_articles - 101), -1)
    rss = feeds.rss(
        title=spec.title,
        link=site.url("/"),
        self_url=site.url("/rss/world.xml"),
        language="en",
        entries=_entries(gen, latest),
    )
    static["/rss/world.xml"] = resource(rss, "application/rss+xml", newest)
    listing_site = render.Site(spec, tuple(gen.article(i) for i in latest[:50]), ())
    for path, kind in (("/", "home"), ("/world/", "section")):
        html = render.render_listing(
            listing_site,
            path=path,
            kind=kind,
            title=spec.title,
            lang="en",
            items=listing_site.articles,
        )
        static[path] = resource(html, HTML, newest)
    robots = feeds.robots([site.url("/sitemap_index.xml")], ("/search",))
    static["/robots.txt"] = resource(robots, "text/plain", None)
    outlet = OutletSite(
        name=spec.name,
        title=spec.title,
        ip=spec.ip,
        languages=spec.languages,
        feeds=("/rss/world.xml",),
        sitemaps=("/sitemap_index.xml",),
        sections=("/world/",),
        article_patterns=spec.article_patterns,
        exclude_patterns=spec.exclude_patterns,
        resources=LazyResources(static, gen),
    )
    pages = tuple(
        PageInfo(spec.name, gen.paths[i], Role.ARTICLE, "en", gen.title(i), gen.published(i))
        for i in range(n_articles)
    )
    return Web(day=1, outlets=(outlet,), pages=pages)
