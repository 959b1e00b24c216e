from datetime import UTC, datetime

from dedup.lineage import STORY_MERGE_SCORE, Article, Placement, Relative, earliest, place


def at(day: int) -> datetime:
    return datetime(2022, 6, day, tzinfo=UTC)


def test_the_earliest_published_member_opens_a_family() -> None:
    members = [
        Article(1, seen=at(10), published=at(17)),
        Article(2, seen=at(20), published=at(16)),
        Article(3, seen=at(9)),  # seen first, but undated: says nothing about who published first
    ]
    assert earliest(members).id == 2


def test_without_dates_the_earliest_seen_member_opens_it() -> None:
    assert earliest([Article(2, seen=at(2)), Article(1, seen=at(3))]).id == 2


def test_an_article_without_relatives_has_no_story() -> None:
    assert place([], {}) is None


def test_a_first_relation_opens_a_story_with_both_articles() -> None:
    assert place([Relative(7, "same_story", 0.4, None)], {}) == Placement(None, (), (7,))


def test_an_article_joins_its_family_before_a_closer_looking_report() -> None:
    relatives = [Relative(1, "same_story", 0.5, 10), Relative(2, "translation", 0.5, 20)]
    assert place(relatives, {10: 50, 20: 2}) == Placement(20, (), ())


def test_weak_same_story_links_never_merge_stories() -> None:
    """Reports that loosely resemble two events join the closest one; the events stay apart."""
    relatives = [Relative(1, "same_story", 0.3, 10), Relative(2, "same_story", 0.5, 20)]
    assert place(relatives, {10: 9, 20: 2}) == Placement(20, (), ())


def test_a_strong_same_story_match_for_two_stories_merges_them() -> None:
    """A report sharing wire passages with two stories shows they are one event."""
    relatives = [
        Relative(1, "same_story", STORY_MERGE_SCORE, 10),
        Relative(2, "same_story", 0.9, 20),
        Relative(3, "same_story", 0.2, 30),
    ]
    assert place(relatives, {10: 9, 20: 2, 30: 50}) == Placement(10, (20,), ())


def test_a_copy_that_bridges_two_families_merges_their_stories_into_the_larger() -> None:
    relatives = [
        Relative(1, "rewrite", 0.7, 10),
        Relative(2, "near_duplicate", 0.9, 20),
        Relative(3, "same_story", 0.5, 30),
        Relative(4, "same_story", 0.2, None),
    ]
    assert place(relatives, {10: 2, 20: 5, 30: 40}) == Placement(20, (10,), (4,))


def test_derived_relatives_in_no_story_fall_back_to_the_best_report_in_one() -> None:
    relatives = [Relative(1, "rewrite", 0.7, None), Relative(2, "same_story", 0.3, 10)]
    assert place(relatives, {10: 3}) == Placement(10, (), (1,))
