"""The article view of an updated article: each version with a word-level diff to the next."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from storage.queries import store_article
from storage.records import ArticleRecord
from storage.recrawl import recheck_article
from storage.views import article_view

RecordFactory = Callable[..., ArticleRecord]


def test_each_version_is_diffed_word_by_word_against_the_one_that_replaced_it(
    session: Session, make_record: RecordFactory
) -> None:
    first = make_record(text="Putin met Xi on Monday.\n\nThey signed a statement.")
    article_id = store_article(session, first).article_id
    texts = (
        "Putin met Xi on Tuesday.\n\nThey signed a statement.",
        "Putin met Xi on Tuesday.\n\nThey signed a joint statement on energy.",
    )
    for day, text in enumerate(texts, start=17):
        update = replace(
            make_record(text=text),
            recheck_of=article_id,
            fetched_at=datetime(2024, 5, day, 9, 0, tzinfo=UTC),
        )
        assert recheck_article(session, update).status == "updated"
    session.commit()
    view = article_view(session, article_id)
    assert view is not None
    assert view.version == 3
    assert view.seed_text.endswith(texts[-1])
    assert [v.version for v in view.versions] == [1, 2]
    first_change = {(p.op, p.text) for p in view.versions[0].changes}
    assert ("delete", "Monday") in first_change
    assert ("insert", "Tuesday") in first_change
    second_change = [p for p in view.versions[1].changes if p.op != "equal"]
    assert [(p.op, p.text) for p in second_change] == [
        ("insert", "joint "),
        ("insert", " on energy"),
    ]
    assert "".join(p.text for p in view.versions[1].changes if p.op != "delete").endswith(texts[-1])
    assert view.relatives == ()
    assert view.story_id is None
