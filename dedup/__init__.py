"""Copies, spins, translations and same-story reports among stored articles.

Pure functions and an in-memory index; no Scrapy, no SQLAlchemy. The crawl
pipeline calls `normalize.content_key` for exact duplicates,
`candidates.signature` + `CandidateIndex.query` to find what to compare, and
`relate` for the verdict; `lineage` turns stored relations into families and
stories.
"""

from dedup.candidates import CandidateIndex, DocSignature, signature
from dedup.features import Doc
from dedup.lineage import Article, Link, Story, sources, stories
from dedup.normalize import content_key, normalize_text
from dedup.verdict import DEFAULT_THRESHOLDS, DERIVED, RELATIONS, Thresholds, Verdict, relate

__all__ = [
    "DEFAULT_THRESHOLDS",
    "DERIVED",
    "RELATIONS",
    "Article",
    "CandidateIndex",
    "Doc",
    "DocSignature",
    "Link",
    "Story",
    "Thresholds",
    "Verdict",
    "content_key",
    "normalize_text",
    "relate",
    "signature",
    "sources",
    "stories",
]
