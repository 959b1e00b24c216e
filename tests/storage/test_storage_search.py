"""Full-text search: FTS5 on SQLite, kept in sync by triggers, immune to hostile input."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from storage.fts import (
    FTS_DROP,
    SEG_DROP,
    fts_problems,
    match_query,
    search_terms,
    segment,
    segment_query,
)
from storage.queries import list_articles, store_article, update_extraction
from storage.records import ArticleRecord

RecordFactory = Callable[..., ArticleRecord]


@pytest.fixture
def stored(session: Session, make_record: RecordFactory) -> dict[str, int]:
    """Four articles in four languages; returns their ids by language."""
    records = {
        "en": make_record(
            url="https://cnn.test/putin-xi",
            title="Putin and Xi pledge a new era of partnership",
            text="The leaders met in Beijing.\n\nThey discussed trade and Ukraine.",
        ),
        "ru": make_record(
            url="https://tass.test/1",
            title="Переговоры в Пекине",
            text="Владимир Путин встретился с Си Цзиньпином в Пекине.",
            language="ru",
        ),
        "it": make_record(
            url="https://ansa.test/1",
            title="Putin a Pechino",
            text="Il presidente russo è arrivato a Pechino per una visita di due giorni.",
            language="it",
        ),
        "zh": make_record(
            url="https://xinhua.test/1",
            title="习近平同普京会谈",
            text="国家主席习近平在北京人民大会堂同俄罗斯总统普京举行会谈。",
            language="zh",
        ),
    }
    ids = {lang: store_article(session, record).article_id for lang, record in records.items()}
    session.commit()
    return ids


def _found(session: Session, search: str) -> set[int]:
    return {article.id for article in list_articles(session, search=search)}


def test_search_finds_title_and_text_words(session: Session, stored: dict[str, int]) -> None:
    assert _found(session, "partnership") == {stored["en"]}  # title only
    assert _found(session, "ukraine") == {stored["en"]}  # text only, other case
    assert _found(session, "Putin") == {stored["en"], stored["it"]}
    assert _found(session, "putin beijing") == {stored["en"]}  # every term must match
    assert _found(session, "Путин") == {stored["ru"]}  # prefix: the text says "Путин"
    assert _found(session, "Пекин") == {stored["ru"]}  # ... and "Пекине"
    assert _found(session, "è arrivato") == {stored["it"]}
    assert _found(session, "普京") == {stored["zh"]}  # no spaces in Chinese: LIKE
    assert _found(session, "nonexistentword") == set()


def test_search_index_follows_updates_and_deletes(session: Session, stored: dict[str, int]) -> None:
    article = stored["en"]
    update_extraction(
        session,
        article,
        title="Leaders meet",
        text="A summit about pipelines.",
        published=None,
        authors=(),
        language="en",
        extractor_version="v2",
        topic_score=0.5,
        content_key="new-key",
    )
    session.commit()
    assert _found(session, "partnership") == set()
    assert _found(session, "pipelines") == {article}
    session.execute(text("DELETE FROM articles WHERE id = :id"), {"id": article})
    session.commit()
    assert _found(session, "pipelines") == set()
    fts_rows = session.execute(
        text("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'pipelines'")
    ).scalar_one()
    assert fts_rows == 0


def _nothing(ids: dict[str, int]) -> set[int]:
    return set()


def _putin(ids: dict[str, int]) -> set[int]:
    return {ids["en"], ids["it"]}


EXPECTED_FOR_HOSTILE: dict[str, Callable[[dict[str, int]], set[int]]] = {
    "'; DROP TABLE articles; --": _nothing,
    '" OR 1=1 --': _nothing,
    "title:Putin": _nothing,  # not a column filter: the word "title:putin"
    "Putin NOT Xi": _nothing,  # NOT is a word the texts lack
    "Putin AND Xi": lambda ids: {ids["en"]},  # "and" is a word of the English title
    "NEAR(putin xi)": _nothing,
    "putin*": _putin,
    "putin'": _putin,
    '"': _nothing,
    "((": _nothing,
    "%": _nothing,
    "_": _nothing,  # a word character, so searched as a word: found nowhere
}


@pytest.mark.parametrize("hostile", EXPECTED_FOR_HOSTILE)
def test_hostile_search_text_is_literal(
    session: Session, stored: dict[str, int], hostile: str
) -> None:
    """FTS5 operators, quotes and SQL are searched as words and raise nothing."""
    found = _found(session, hostile)
    tables = session.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))
    assert "articles" in set(tables.scalars())
    assert session.execute(text("SELECT count(*) FROM articles")).scalar_one() == 4
    assert found == EXPECTED_FOR_HOSTILE[hostile](stored)


def test_match_query_quotes_every_term() -> None:
    assert search_terms("'; DROP TABLE x; --") == ["DROP", "TABLE", "x;"]
    assert match_query(['say "hi"', "x"]) == '"say ""hi"""* "x"*'


def test_search_without_fts_falls_back_to_like(session: Session, stored: dict[str, int]) -> None:
    for statement in (*FTS_DROP, *SEG_DROP):
        session.execute(text(statement))
    session.commit()
    assert _found(session, "PARTNERSHIP") == {stored["en"]}
    assert _found(session, "%artnership") == set()  # % is literal, not a wildcard
    assert _found(session, "'; DROP TABLE articles; --") == set()


def test_words_of_scripts_without_spaces_are_found_through_the_segmented_index(
    session: Session, stored: dict[str, int], make_record: RecordFactory
) -> None:
    thai = store_article(
        session,
        make_record(
            url="https://thai.test/1",
            title="ปูตินพบสีจิ้นผิง",
            text="ประธานาธิบดีรัสเซียเดินทางถึงกรุงปักกิ่ง",
            language="th",
        ),
    ).article_id
    session.commit()
    assert _found(session, "普京") == {stored["zh"]}  # two characters, inside a sentence
    assert _found(session, "俄罗斯总统") == {stored["zh"]}  # five
    assert _found(session, "京") == {stored["zh"]}  # one, in the middle of a run
    assert _found(session, "谈") == {stored["zh"]}  # one, at the end of the title
    assert _found(session, "普京总理") == set()  # every pair must follow in order
    assert _found(session, "ปูติน") == {thai}
    assert _found(session, "กรุงปักกิ่ง") == {thai}
    assert _found(session, "Putin 普京") == set()  # all terms: no article has both
    update_extraction(
        session,
        stored["zh"],
        title="习近平会见外宾",
        text="国家主席习近平在北京会见外宾。",
        published=None,
        authors=(),
        language="zh",
        extractor_version="test",
        topic_score=1.0,
        content_key="changed-zh",
    )
    session.commit()
    assert _found(session, "普京") == set()
    assert _found(session, "外宾") == {stored["zh"]}
    session.execute(text("DELETE FROM articles WHERE id = :id"), {"id": thai})
    session.commit()
    assert _found(session, "ปูติน") == set()
    assert fts_problems(session) == []


def test_segmenting_keeps_other_text_and_pairs_unspaced_runs() -> None:
    assert segment("Xi met 普京总统 today") == "Xi met  普京 京总 总统 统  today"
    assert segment_query("普京总统") == "普京 京总 总统"
    assert segment_query("京") == "京"
    assert segment_query("Путин") == "Путин"
    assert segment(None) is None
