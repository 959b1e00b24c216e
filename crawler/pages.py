"""From a fetched page to an article record: the extract → filter → dedup-key stages.

This is the CPU-heavy part of a crawl, so it is a pure, picklable function
that the Scrapy pipeline can hand to a worker process; nothing here touches
the network, Scrapy or the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from crawler.topic import Topic, load_topic
from crawler.urls import canonicalize, host_of, same_site
from dedup.candidates import signature
from dedup.features import Doc
from dedup.normalize import content_key
from dedup.salience import rarity
from storage.records import ArticleRecord, Compressed

if TYPE_CHECKING:
    from crawler.extract import Extracted


@dataclass(frozen=True)
class FetchedPage:
    """What the spider hands to the pipelines: one article page as received."""

    outlet: str
    url: str  # canonical form of the URL we asked for
    fetched_url: str  # where the response really came from (after redirects)
    body: bytes
    encoding: str | None  # charset from the Content-Type header, if any
    fetched_at: datetime
    allowed_domains: tuple[str, ...]
    discovered_title: str | None = None
    discovered_published: datetime | None = None  # the listing's date that led here
    listed_modified: datetime | None = None
    """The latest date the crawl's listings gave the page (`OutletSpider._note_date`)."""
    recheck_of: int | None = None  # the stored article this fetch re-checks


@dataclass(frozen=True)
class PageSkip:
    """A page that is not stored, with the reason the user will see."""

    outlet: str
    url: str
    reason: str
    detail: str = ""
    recheck_of: int | None = None


WARM_LANGUAGES = "NEWSMON_WORKER_LANGUAGES"
"""Environment variable of the crawl's fork server: the comma-separated languages whose
tables it loads before forking the workers (`crawler.warmup`)."""


def warm(languages: Iterable[str]) -> None:
    """Load what the page stage otherwise loads on its first page in each language: the
    language's word rarities for the salient terms (`dedup.salience`), 0.01–0.5 s of CPU
    and 3–125 MB each. A crawl's fork server does it once before forking, so the workers
    share one copy instead of each loading its own (`crawler.warmup`)."""
    for language in languages:
        rarity("", language)  # the first look-up in a language loads its table


@lru_cache(maxsize=4)
def cached_topic(path: str = "") -> Topic:
    """The topic definition, loaded once per process rather than once per page."""
    return load_topic(Path(path) if path else None)


# Bot-challenge interstitials answer 200 with a page of their own; an outlet that
# serves them is blocked, and the daily report must say so instead of going quiet.
# Matched against the lower-cased head: a title pattern that starts with a literal, and
# plain substrings, are found by fast scans, where one case-insensitive alternation costs
# the regex engine a try at every byte (a tenth of a trafilatura run per page).
CHALLENGE_TITLE = re.compile(
    rb"<title>\s*(?:just a moment\.\.\.|attention required!|access denied|"
    rb"are you a robot\??|please verify you are a human)"
)
CHALLENGE_MARKERS = (
    b"cf-browser-verification",
    b"cf_chl_opt",
    b"_incapsula_resource",
    b"px-captcha",
    b"g-recaptcha",
    b"hcaptcha.com/1/api.js",
)


def is_challenge(body: bytes) -> bool:
    """Whether a page is a bot challenge rather than content (the head is enough)."""
    head = body[:20_000].lower()
    return any(marker in head for marker in CHALLENGE_MARKERS) or bool(CHALLENGE_TITLE.search(head))


def build_record(
    page: FetchedPage, topic_path: str = "", sign: bool = True
) -> ArticleRecord | PageSkip:
    """Run extraction, the topic filter and the exact-duplicate key on one page; with
    ``sign``, also the lineage candidate signature (skipped when the crawl does not link)."""
    # Imported here: a crawl process with workers only hands this function to them, and
    # trafilatura (with lxml, htmldate, justext, ...) is a tenth of a second of its start-up.
    # The workers' fork server imports it once, before forking (`crawler.context`).
    from crawler.extract import Skipped, extract

    if is_challenge(page.body):
        return PageSkip(page.outlet, page.url, "challenge", "bot challenge page", page.recheck_of)
    result = extract(page.body, page.fetched_url, encoding=page.encoding)
    if isinstance(result, Skipped):
        return PageSkip(page.outlet, page.url, result.reason, result.detail, page.recheck_of)
    topic = cached_topic(topic_path)
    relevance = topic.score(result.seed_text)
    if not topic.is_relevant(relevance):
        detail = f"relevance {relevance.score:.2f}"
        return PageSkip(page.outlet, page.url, "off_topic", detail, page.recheck_of)
    published = result.published or page.discovered_published
    # A re-check is compared with its own stored text, not linked again. A signed page's
    # features hold its exact-duplicate key already: one normalisation pass, not two.
    doc = (
        Doc(result.seed_text, result.language, published, page.outlet, kept=False)
        if sign and page.recheck_of is None
        else None
    )
    record = ArticleRecord(
        outlet=page.outlet,
        url=_article_url(page, result),
        fetched_url=page.fetched_url,
        title=result.title,
        text=result.text,
        published=published,
        authors=result.authors,
        language=result.language,
        extractor_version=result.extractor_version,
        topic_score=relevance.score,
        content_key=doc.features.key if doc else content_key(result.seed_text),
        raw_html=Compressed.of(page.body),
        fetched_at=page.fetched_at,
        listed_modified=page.listed_modified,
        recheck_of=page.recheck_of,
    )
    return replace(record, signature=signature(doc).to_bytes()) if doc else record


def rebuild_record(
    outlet: str, url: str, raw_html: bytes, fetched_at: datetime, topic_path: str = ""
) -> ArticleRecord | PageSkip:
    """Re-run the stages on a stored page's raw HTML (after an extractor upgrade)."""
    host = host_of(url)
    page = FetchedPage(
        outlet=outlet,
        url=url,
        fetched_url=url,
        body=raw_html,
        encoding=None,
        fetched_at=fetched_at,
        allowed_domains=(host,) if host else (),
    )
    return build_record(page, topic_path)


def _article_url(page: FetchedPage, result: Extracted) -> str:
    """The page's own rel=canonical wins, unless it points off-site (a hostile or broken tag)."""
    if result.canonical_url and same_site(result.canonical_url, page.allowed_domains):
        return canonicalize(result.canonical_url)
    return page.url
