"""Copies, spins, translations and same-story reports among stored articles.

Pure functions and an in-memory index; no Scrapy, no SQLAlchemy. The crawl
pipeline calls `normalize.content_key` for exact duplicates,
`candidates.signature` + `CandidateIndex.query` to find what to compare, and
`relate` for the verdict; `lineage` turns stored relations into families and
stories.

Import from the submodules (``dedup.verdict``, ``dedup.candidates``, ...): this
package file stays empty so that the exact-duplicate key, needed in every
extraction worker, does not pull in the verdict, the index and their tables.
"""
