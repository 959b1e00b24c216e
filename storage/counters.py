"""The names of a crawl's counters, defined once for the code that counts and the code that reads.

A spider, the pipelines and the middlewares count under Scrapy's stats as
``newsmon/<name>``; the run recorder stores them without the prefix in the
run's per-outlet figures, which `runs`, `report`, outlet health and the run
status read back. A family (``failed/``, ``skipped/``...) is a prefix followed
by a kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Scrapy stats key prefix of every newsmon counter.
PREFIX = "newsmon/"

# Listings and pages read.
FEEDS = "discovery/feeds"
SITEMAPS = "discovery/sitemaps"
SECTIONS = "discovery/sections"
NOT_MODIFIED = "discovery/not_modified"
ROBOTS_UNAVAILABLE = "discovery/robots_unavailable"
PAGES_FETCHED = "pages_fetched"
# What a fetch got: one of them per listing or page that was read at all.
READ = (FEEDS, SITEMAPS, SECTIONS, NOT_MODIFIED, PAGES_FETCHED)

# Outcomes of a stored page (`storage.records.StoreOutcome.status`).
STORED = "stored"
DUPLICATE_TEXT = "duplicate_text"
DUPLICATE_URL = "duplicate_url"
UPDATED = "recheck/updated"
REMOVED = "removed"  # a stored article the outlet took down (404/410 on a re-check)

# Families: prefix + kind.
HTTP = "http/"  # an answer the spider was told to handle: http/403, http/429
FAILED = "failed/"
SKIPPED = "skipped/"
RECHECK = "recheck/"
RELATED = "related/"
LINKS_DROPPED = "links/dropped/"
LINKS_FOUND = "links/found"
LINKS_KEPT = "links/kept"

# A listing that was fetched (counted in READ) but could not be parsed.
UNREADABLE = FAILED + "discovery"
FAILED_STORAGE = FAILED + "storage"
FAILED_LINKING = FAILED + "linking"
UNSAFE_URL = SKIPPED + "unsafe_url"
OFF_TOPIC = SKIPPED + "off_topic"
OFF_TOPIC_TITLE = SKIPPED + "off_topic_title"
CHALLENGE = SKIPPED + "challenge"
RETRY_AFTER = "retry_after/waits"  # a host paused as a 429/503 asked before a retry


def stat(name: str) -> str:
    """The Scrapy stats key of a counter."""
    return PREFIX + name


def total(counters: Mapping[str, Any], family: str) -> int:
    """The sum of every counter of a family (``failed/``: every kind of failure)."""
    return sum(int(v) for k, v in counters.items() if k.startswith(family))


def count(counters: Mapping[str, Any], *names: str) -> int:
    """The sum of the named counters (a name ending in ``/`` sums its family)."""
    return sum(
        total(counters, name) if name.endswith("/") else int(counters.get(name, 0))
        for name in names
    )
