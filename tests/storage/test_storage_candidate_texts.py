"""The crawl sends its workers the candidates of a new article without their texts: a
worker judges from the documents it parsed before and asks for the texts it lacks. Here:
what is read instead of a text, and that a verdict is never given on a text the stored
article no longer has.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from crawler.linking import Linker, StaleText, judge_job, texts_for
from dedup.candidates import CandidateIndex
from dedup.judging import Documents, KeptKeys, judge_known
from storage.lineage import article_refs, linkable_articles
from storage.queries import update_extraction
from storage.records import ArticleRecord, ArticleRef
from tests.storage.conftest import key_of
from tests.storage.test_storage_linking import _store_seeds


def test_refs_are_the_linkable_articles_without_their_texts(
    session: Session, make_record: Callable[..., ArticleRecord]
) -> None:
    ids = sorted(_store_seeds(session, make_record).values(), reverse=True)
    refs = article_refs(session, ids)
    full = linkable_articles(session, ids)
    assert [r.id for r in refs] == [a.id for a in full] == sorted(ids)
    for ref, article in zip(refs, full, strict=True):
        assert (ref.outlet, ref.title, ref.language, ref.published, ref.first_seen) == (
            article.outlet,
            article.title,
            article.language,
            article.published,
            article.first_seen,
        )
    assert texts_for(session, refs) == {a.id: a.text for a in full}


def test_a_text_changed_since_its_ref_was_read_is_never_judged(
    session: Session, make_record: Callable[..., ArticleRecord]
) -> None:
    ids = _store_seeds(session, make_record)
    linker = Linker(CandidateIndex())
    for seed in sorted(ids):
        job = linker.prepare(session, ids[seed])
    assert job.candidates  # the last seed has relatives
    changed = job.candidates[0]
    (before,) = linkable_articles(session, [changed.id])
    text = before.text.replace(".", ";", 1)
    update_extraction(
        session,
        changed.id,
        title=before.title,
        text=text,
        published=before.published,
        authors=(),
        language=before.language,
        extractor_version="newsmon-extract 99",
        topic_score=1.0,
        content_key=key_of(text),
    )
    with pytest.raises(StaleText):
        texts_for(session, [changed])
    # A process that has not parsed the candidate under this ref asks for its text, and the
    # read refuses the new one.
    unparsed = replace(job, candidates=[replace(changed, title=changed.title + " (new)")])
    with pytest.raises(StaleText):
        judge_job(unparsed, lambda refs: texts_for(session, refs))
    # Metadata alone may change (an earlier copy took the article over): its text is read.
    other = job.candidates[1]
    moved = replace(other, title="Taken over", outlet="another")
    (stored,) = linkable_articles(session, [other.id])
    assert texts_for(session, [moved]) == {other.id: stored.text}


def test_a_candidate_neither_parsed_nor_given_is_missing_not_judged(
    session: Session, make_record: Callable[..., ArticleRecord]
) -> None:
    ids = _store_seeds(session, make_record)
    first, *others = article_refs(session, sorted(ids.values()))
    # Refs no process parsed yet (a title no store has): only the article's text is given.
    fresh = [replace(ref, title=ref.title + " (unseen)") for ref in (first, *others)]
    judged = judge_known(fresh[0], fresh[1:], {fresh[0].id: "A text of its own."})
    assert judged.found == []
    assert judged.missing == [ref.id for ref in fresh[1:]]


def test_kept_keys_name_exactly_the_texts_a_process_lacks() -> None:
    """The crawl's picture of a worker's documents (`KeptKeys`) follows the worker's own
    keeping and forgetting call by call, so the texts sent with a call are the ones needed."""
    rng = random.Random(7)
    when = datetime(2024, 5, 1, tzinfo=UTC)
    refs = [ArticleRef(n, "o", f"Title {n}", "en", when, when, f"k{n}", 1, "v") for n in range(40)]
    documents, held = Documents(size=8), KeptKeys(size=8)
    for _ in range(300):
        article, *candidates = rng.sample(refs, rng.randint(1, 6))
        keep = rng.random() < 0.7
        lacking = {ref.id for ref in held.judging(article, candidates, keep)}
        assert documents.document(article, "Own words here.", keep) is not None
        for other in candidates:
            # Named exactly when not held (a `get` changes no order a `document` would not).
            assert (documents.get(other) is None) is (other.id in lacking)
            text = "Their words here." if other.id in lacking else None
            assert documents.document(other, text) is not None
