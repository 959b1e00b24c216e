"""Storing articles: exact duplicates collapse, values round-trip, runs are recorded."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage import queries
from storage.db import session_factory
from storage.models import Article, ArticleUrlRow
from storage.queries import (
    article_raw_html,
    count_by_outlet,
    ensure_outlet,
    finish_run,
    get_article,
    get_run,
    iter_articles,
    known_url,
    list_articles,
    list_runs,
    list_skipped,
    record_skip,
    start_run,
    store_article,
    update_extraction,
)
from storage.records import (
    ZSTD_MAGIC,
    ArticleDetail,
    ArticleRecord,
    Compressed,
    StoreOutcome,
    UpdateOutcome,
)
from storage.recrawl import date_listed_pages

RecordFactory = Callable[..., ArticleRecord]

AMP = "https://edition.cnn.com/2024/05/16/world/putin-xi-beijing/index.amp.html"
SYNDICATED = "https://www.jordannews.jo/Section-20/World/putin-xi-beijing-1234"


def _url_rows(session: Session) -> dict[str, tuple[int, str]]:
    rows = session.execute(select(ArticleUrlRow.url, ArticleUrlRow.article_id, ArticleUrlRow.kind))
    return {url: (article_id, kind) for url, article_id, kind in rows}


def _article_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Article)) or 0


def test_first_sighting_is_stored_with_canonical_and_alias_urls(
    session: Session, make_record: RecordFactory
) -> None:
    outcome = store_article(session, make_record(fetched_url=AMP + "?utm_source=x"))
    session.commit()
    assert outcome.status == "stored"
    record = make_record()
    assert _url_rows(session) == {
        record.url: (outcome.article_id, "canonical"),
        AMP + "?utm_source=x": (outcome.article_id, "alias"),
    }
    assert known_url(session, AMP + "?utm_source=x") == outcome.article_id
    assert known_url(session, "https://example.org/never-seen") is None


def test_same_url_twice_is_one_article(session: Session, make_record: RecordFactory) -> None:
    first = store_article(session, make_record())
    again = store_article(session, make_record(title="A later headline", fetched_url=AMP))
    session.commit()
    assert again.status == "duplicate_url"
    assert again.article_id == first.article_id
    assert _article_count(session) == 1
    assert _url_rows(session)[AMP] == (first.article_id, "alias")


def test_fetched_url_known_makes_the_new_canonical_an_alias(
    session: Session, make_record: RecordFactory
) -> None:
    first = store_article(session, make_record(fetched_url=AMP))
    other_canonical = "https://cnn.com/2024/05/16/world/putin-xi-beijing"
    again = store_article(session, make_record(url=other_canonical, fetched_url=AMP))
    assert again == StoreOutcome("duplicate_url", first.article_id)
    assert _url_rows(session)[other_canonical] == (first.article_id, "alias")


def test_identical_text_from_another_outlet_is_a_syndicated_copy(
    session: Session, make_record: RecordFactory
) -> None:
    original = store_article(session, make_record())
    copy = store_article(
        session, make_record(outlet="jordannews", url=SYNDICATED, fetched_url=SYNDICATED)
    )
    session.commit()
    assert copy.status == "duplicate_text"
    assert copy.article_id == original.article_id
    assert _article_count(session) == 1
    assert _url_rows(session)[SYNDICATED] == (original.article_id, "syndicated")
    detail = get_article(session, original.article_id)
    assert detail is not None
    assert [(u.url, u.kind, u.outlet) for u in detail.other_urls] == [
        (SYNDICATED, "syndicated", "jordannews")
    ]
    # Seeing the copy again is now a known URL of the same original.
    again = store_article(
        session, make_record(outlet="jordannews", url=SYNDICATED, fetched_url=SYNDICATED + "?amp")
    )
    assert again == StoreOutcome("duplicate_url", original.article_id)
    assert _url_rows(session)[SYNDICATED + "?amp"] == (original.article_id, "syndicated")


@pytest.mark.parametrize("earlier_first", [True, False], ids=["earlier-first", "later-first"])
def test_of_identical_texts_the_copy_published_first_is_the_article_in_any_order(
    session: Session, make_record: RecordFactory, earlier_first: bool
) -> None:
    """Who published a wire text first must not depend on which copy the crawl met first."""
    cnn = make_record()
    assert cnn.published is not None
    earlier = make_record(
        outlet="jordannews",
        url=SYNDICATED,
        fetched_url=SYNDICATED + "?amp",
        published=cnn.published - timedelta(hours=3),
        fetched_at=cnn.fetched_at + timedelta(minutes=5),
    )
    first, second = (earlier, cnn) if earlier_first else (cnn, earlier)
    stored = store_article(session, first)
    copy = store_article(session, second)
    session.commit()
    assert copy == StoreOutcome("duplicate_text", stored.article_id, redated=not earlier_first)
    assert _article_count(session) == 1
    detail = get_article(session, stored.article_id)
    assert detail is not None
    assert (detail.outlet, detail.url, detail.published) == (
        "jordannews",
        SYNDICATED,
        earlier.published,
    )
    assert _url_rows(session) == {
        SYNDICATED: (stored.article_id, "canonical"),
        SYNDICATED + "?amp": (stored.article_id, "alias"),
        cnn.url: (stored.article_id, "syndicated"),
    }


def test_an_undated_stored_copy_gives_way_to_a_dated_one_but_not_the_reverse(
    session: Session, make_record: RecordFactory
) -> None:
    undated = store_article(session, make_record(published=None))
    dated = make_record(outlet="jordannews", url=SYNDICATED)
    assert store_article(session, dated).redated
    assert not store_article(session, make_record(url=SYNDICATED + "/2", published=None)).redated
    detail = get_article(session, undated.article_id)
    assert detail is not None
    assert (detail.url, detail.published) == (SYNDICATED, dated.published)


def test_different_text_is_a_second_article(session: Session, make_record: RecordFactory) -> None:
    store_article(session, make_record())
    other = store_article(
        session,
        make_record(
            url=SYNDICATED, fetched_url=SYNDICATED, text="A distinct report of the same call."
        ),
    )
    assert other.status == "stored"
    assert _article_count(session) == 2


def test_lost_race_on_a_url_is_resolved_by_looking_again(
    engine: Engine, make_record: RecordFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer that did not see another's commit hits the unique key and recovers."""
    sessions = session_factory(engine)
    with sessions() as winner:
        stored = store_article(winner, make_record())
        winner.commit()

    # The loser's lookups run as if before the winner's commit (once each).
    stale = {"urls": True, "key": True}

    def known_urls(session: Session, urls: list[str]) -> dict[str, tuple[int, str]]:
        if stale.pop("urls", False):
            return {}
        return real_known_urls(session, urls)

    def article_with_key(session: Session, content_key: str) -> tuple[int, datetime | None] | None:
        if stale.pop("key", False):
            return None
        return real_article_with_key(session, content_key)

    real_known_urls, real_article_with_key = queries._known_urls, queries._article_with_key
    monkeypatch.setattr(queries, "_known_urls", known_urls)
    monkeypatch.setattr(queries, "_article_with_key", article_with_key)
    with sessions() as loser:
        outcome = store_article(loser, make_record())
        loser.commit()
        assert outcome == StoreOutcome("duplicate_url", stored.article_id)
        assert _article_count(loser) == 1
        assert loser.scalar(select(Article.url)) == make_record().url
    assert not stale  # both stale lookups happened, so the unique key did the catching


def test_datetimes_round_trip_as_utc(session: Session, make_record: RecordFactory) -> None:
    moscow = timezone(timedelta(hours=3))
    published = datetime(2024, 5, 16, 11, 30, 15, 123456, tzinfo=moscow)
    outcome = store_article(session, make_record(published=published))
    session.commit()
    session.expunge_all()
    detail = get_article(session, outcome.article_id)
    assert detail is not None
    assert detail.published == published
    assert detail.published is not None
    assert detail.published.utcoffset() == timedelta(0)
    assert detail.fetched_at.tzinfo is not None
    assert detail.first_seen.tzinfo is not None
    stored = session.execute(text("SELECT published FROM articles")).scalar_one()
    assert stored.startswith("2024-05-16 08:30:15")


def test_naive_datetimes_are_refused(session: Session, make_record: RecordFactory) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        store_article(session, make_record(published=datetime(2024, 5, 16, 8, 30)))


def test_raw_html_is_compressed_and_returned_intact(
    session: Session, make_record: RecordFactory
) -> None:
    record = make_record()
    outcome = store_article(session, record)
    session.commit()
    blob = session.execute(text("SELECT raw_html FROM articles")).scalar_one()
    assert len(blob) < len(record.raw_html) / 5
    assert article_raw_html(session, outcome.article_id) == record.raw_html
    with pytest.raises(LookupError):
        article_raw_html(session, outcome.article_id + 1)


def test_pages_are_zstandard_frames_and_zlib_pages_stored_before_stay_readable(
    session: Session, make_record: RecordFactory
) -> None:
    page = "<html><body><p>Путин встретился с Си.</p></body></html>".encode() * 80
    new = store_article(session, make_record(raw_html=Compressed.of(page)))
    old = store_article(session, make_record(url="https://a.test/old", title="Old", raw_html=page))
    session.commit()
    blob = session.execute(
        text("SELECT raw_html FROM articles WHERE id = :id"), {"id": new.article_id}
    )
    assert blob.scalar_one().startswith(ZSTD_MAGIC)
    # A page stored by an earlier version, as zlib level 6 packed it.
    session.execute(
        text("UPDATE articles SET raw_html = :blob WHERE id = :id"),
        {"blob": zlib.compress(page, 6), "id": old.article_id},
    )
    session.commit()
    session.expire_all()
    assert article_raw_html(session, new.article_id) == page
    assert article_raw_html(session, old.article_id) == page


def test_listing_filters_and_order(session: Session, make_record: RecordFactory) -> None:
    day = datetime(2024, 5, 16, tzinfo=UTC)
    store_article(session, make_record(url="https://a.test/1", published=day, text="one"))
    store_article(
        session,
        make_record(
            url="https://a.test/2",
            published=day + timedelta(days=2),
            text="two",
            language="ru",
            outlet="tass",
        ),
    )
    store_article(session, make_record(url="https://a.test/3", published=None, text="three"))
    session.commit()
    assert [a.url for a in list_articles(session)][-1] == "https://a.test/1"
    assert [a.url for a in list_articles(session, outlet="tass")] == ["https://a.test/2"]
    assert [a.url for a in list_articles(session, language="ru")] == ["https://a.test/2"]
    since = [a.url for a in list_articles(session, since=day + timedelta(days=1))]
    assert sorted(since) == ["https://a.test/2", "https://a.test/3"]  # 3: first seen now
    assert len(list_articles(session, limit=2)) == 2
    assert count_by_outlet(session) == {"cnn": 2, "tass": 1}


def test_iter_articles_yields_every_article_once(
    session: Session, make_record: RecordFactory
) -> None:
    for n in range(7):
        store_article(session, make_record(url=f"https://a.test/{n}", text=f"text {n}"))
    session.commit()
    seen = [article.url for article in iter_articles(session, batch_size=3)]
    assert seen == [f"https://a.test/{n}" for n in range(7)]


def _reextract(session: Session, article_id: int, result: ArticleDetail) -> UpdateOutcome:
    return update_extraction(
        session,
        article_id,
        title=result.title,
        text=result.text,
        published=result.published,
        authors=result.authors,
        language=result.language,
        extractor_version=result.extractor_version,
        topic_score=result.topic_score,
        content_key=result.content_key,
    )


def test_update_extraction(session: Session, make_record: RecordFactory) -> None:
    first = store_article(session, make_record())
    second = store_article(session, make_record(url=SYNDICATED, text="Another text."))
    current = get_article(session, first.article_id)
    other = get_article(session, second.article_id)
    assert current is not None
    assert other is not None

    assert _reextract(session, first.article_id, current).status == "unchanged"
    cleaner = replace(current, text="Cleaner text.", content_key="k2", extractor_version="v2")
    assert _reextract(session, first.article_id, cleaner).status == "updated"
    assert get_article(session, first.article_id) == replace(cleaner, text="Cleaner text.")

    clash = replace(cleaner, content_key=other.content_key)
    assert _reextract(session, first.article_id, clash) == UpdateOutcome(
        "duplicate_text", second.article_id
    )
    assert get_article(session, first.article_id) == cleaner  # left as it was
    with pytest.raises(LookupError):
        _reextract(session, 999, cleaner)


def test_outlets_are_upserted(session: Session) -> None:
    first = ensure_outlet(session, "cnn", "CNN", "https://edition.cnn.com", ["en"])
    again = ensure_outlet(session, "cnn", "CNN International", "https://cnn.com", ["en", "es"])
    session.commit()
    assert first == again
    assert session.execute(text("SELECT title, languages FROM outlets")).one() == (
        "CNN International",
        '["en", "es"]',
    )


def test_runs_and_skips_are_recorded(session: Session) -> None:
    run_id = start_run(session, ["cnn", "tass"], "demo")
    record_skip(session, "cnn", "https://edition.cnn.com/world", "not_article", run_id)
    record_skip(session, "tass", "https://tass.com/sport/1", "off_topic", run_id)
    stats = {"cnn": {"pages_fetched": 3, "stored": 1, "not_article": 1}}
    finish_run(session, run_id, "succeeded", stats)
    session.commit()
    run = get_run(session, run_id)
    assert run is not None
    assert (run.status, run.trigger, run.outlets, run.stats) == (
        "succeeded",
        "demo",
        ("cnn", "tass"),
        stats,
    )
    assert run.finished_at is not None
    assert run.finished_at >= run.started_at
    assert [r.id for r in list_runs(session)] == [run_id]
    assert [(s.outlet, s.reason) for s in list_skipped(session, run_id=run_id)] == [
        ("tass", "off_topic"),
        ("cnn", "not_article"),
    ]
    assert [s.url for s in list_skipped(session, outlet="cnn")] == ["https://edition.cnn.com/world"]
    with pytest.raises(LookupError):
        finish_run(session, run_id + 1, "failed", {}, "boom")


def test_bad_run_status_is_refused_by_the_database(session: Session) -> None:
    run_id = start_run(session, ["cnn"], "manual")
    with pytest.raises(IntegrityError):
        finish_run(session, run_id, "exploded", {})  # type: ignore[arg-type]


def test_a_page_stored_undated_takes_the_date_a_listing_gave_it_later(
    session: Session, make_record: RecordFactory
) -> None:
    """`date_listed_pages` dates only what was stored without a listing date, by any of
    the article's URLs; a date the page already has stays (the next run compares with it)."""
    listed = datetime(2024, 5, 16, 8, 0, tzinfo=UTC)
    undated = store_article(session, make_record(fetched_url=AMP)).article_id
    dated = store_article(
        session,
        make_record(
            url="https://edition.cnn.com/2024/05/17/world/other",
            title="Another report",
            listed_modified=listed,
        ),
    ).article_id
    later = listed + timedelta(hours=3)
    date_listed_pages(
        session, {AMP: later, "https://edition.cnn.com/2024/05/17/world/other": later}
    )
    stamps = dict(session.execute(select(Article.id, Article.listed_modified)).all())
    assert stamps == {undated: later, dated: listed}
