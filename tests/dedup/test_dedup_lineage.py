from datetime import UTC, datetime

from dedup.lineage import Article, Link, sources, stories


def at(day: int) -> datetime:
    return datetime(2022, 6, day, tzinfo=UTC)


ARTICLES = [
    Article("copy", seen=at(10), published=at(17)),
    Article("cnn", seen=at(20), published=at(16)),
    Article("it", seen=at(11)),
    Article("aj", seen=at(12), published=at(15)),
    Article("afp", seen=at(13), published=at(15)),
    Article("alone", seen=at(14)),
]
LINKS = [
    Link("copy", "cnn", "rewrite"),
    Link("it", "cnn", "translation"),
    Link("aj", "afp", "same_story"),
    Link("cnn", "afp", "same_story"),
    Link("alone", "cnn", "unrelated"),
]


def test_source_is_earliest_published_member() -> None:
    result = sources(ARTICLES, LINKS)
    assert result["copy"] == result["it"] == result["cnn"] == "cnn"
    assert result["aj"] == "aj"
    assert result["afp"] == "afp"


def test_without_dates_earliest_seen_wins() -> None:
    undated = [Article("b", seen=at(2)), Article("a", seen=at(1))]
    assert sources(undated, [Link("a", "b", "exact")]) == {"a": "a", "b": "a"}


def test_stories_group_every_related_article() -> None:
    (story,) = stories(ARTICLES, LINKS)
    assert set(story.members) == {"copy", "cnn", "it", "aj", "afp"}
    assert story.sources["it"] == "cnn"
    assert story.first in {"aj", "afp"}
