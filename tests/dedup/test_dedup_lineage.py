from datetime import UTC, datetime

from dedup.lineage import (
    CENTROID_TERMS,
    RIVAL_SHARE,
    STORY_JOIN,
    STORY_JOIN_DATED,
    STORY_JOIN_VOUCHED,
    STORY_VOUCH,
    Article,
    Placement,
    Relative,
    StoryProfile,
    earliest,
    place,
)


def at(day: int) -> datetime:
    return datetime(2022, 6, day, tzinfo=UTC)


BRIDGE = {"amur": 0.8, "bridge": 0.5, "blagov": 0.33}
CALL = {"birthd": 0.7, "phone": 0.5, "putin": 0.5, "xi": 0.1}


def test_the_earliest_published_member_opens_a_family() -> None:
    members = [
        Article(1, seen=at(10), published=at(17)),
        Article(2, seen=at(20), published=at(16)),
        Article(3, seen=at(9)),  # seen first, but undated: says nothing about who published first
    ]
    assert earliest(members).id == 2


def test_without_dates_the_earliest_seen_member_opens_it() -> None:
    assert earliest([Article(2, seen=at(2)), Article(1, seen=at(3))]).id == 2


def test_an_article_close_to_no_story_opens_its_own() -> None:
    stories = {1: StoryProfile.of(BRIDGE, at(10), "en")}
    assert place([], stories, StoryProfile.of(CALL, at(15), "en")).story is None
    assert place([], {}, StoryProfile.of(CALL, at(15), "en")) == Placement(None, (), 0.0)


def test_an_article_joins_the_story_it_is_closest_to_as_a_whole() -> None:
    stories = {1: StoryProfile.of(BRIDGE, at(10), "en"), 2: StoryProfile.of(CALL, at(15), "en")}
    placement = place([], stories, StoryProfile.of({**CALL, "kremli": 0.3}, at(15), "en"))
    assert placement.story == 2
    assert placement.closeness >= STORY_JOIN


def test_a_close_article_outside_the_story_window_opens_a_new_story() -> None:
    """A report on the same kind of event weeks later is another event."""
    stories = {2: StoryProfile.of(CALL, at(1), "en")}
    assert place([], stories, StoryProfile.of(CALL, at(28), "en")).story is None


def test_one_same_story_link_does_not_pull_an_article_into_a_distant_story() -> None:
    """A loose verdict with one member is no reason to join: the story as a whole decides."""
    stories = {1: StoryProfile.of(BRIDGE, at(10), "en")}
    assert (
        place(
            [Relative(5, "same_story", 0.9, 1)], stories, StoryProfile.of(CALL, at(10), "en")
        ).story
        is None
    )


def _story_of(vector: dict[str, float], size: int, day: int) -> StoryProfile:
    profile = StoryProfile.of(vector, at(day), "en")
    for _ in range(size - 1):
        profile = profile.merged(StoryProfile.of(vector, at(day), "en"))
    return profile


def test_an_article_joins_its_family_before_a_closer_looking_story() -> None:
    stories = {1: StoryProfile.of(CALL, at(15), "en"), 2: _story_of(BRIDGE, 3, 15)}
    relatives = [Relative(7, "translation", 0.8, 2)]
    assert place(relatives, stories, StoryProfile.of(CALL, at(15), "en")) == Placement(2, (), 1.0)


def test_two_stories_of_one_event_merge_once_an_article_shows_they_are_close() -> None:
    """Two first reports worded apart open two stories; a report close to both joins one
    and brings the other in, as their centroids now agree."""
    first = {"birthd": 0.6, "phone": 0.6, "putin": 0.5}
    second = {"birthd": 0.6, "kremli": 0.6, "putin": 0.5}
    stories = {1: StoryProfile.of(first, at(15), "en"), 2: StoryProfile.of(second, at(15), "en")}
    bridge = {"birthd": 0.6, "phone": 0.4, "kremli": 0.4, "putin": 0.5}
    placement = place([], stories, StoryProfile.of(bridge, at(15), "en"))
    assert (placement.story, placement.merge) == (1, (2,))
    apart = {2: StoryProfile.of(second, at(1), "en")}
    assert place([], {**stories, **apart}, StoryProfile.of(bridge, at(15), "en")).merge == ()


def test_a_copy_that_bridges_two_families_merges_their_stories_into_the_larger() -> None:
    larger = StoryProfile.of(CALL, at(15), "en").merged(StoryProfile.of(CALL, at(16), "en"))
    flood = StoryProfile.of({"flood": 0.9, "leven": 0.4}, at(15), "en")
    stories = {1: StoryProfile.of(BRIDGE, at(15), "en"), 2: larger, 3: flood}
    relatives = [
        Relative(1, "rewrite", 0.7, 1),
        Relative(2, "near_duplicate", 0.9, 2),
        Relative(3, "same_story", 0.5, 3),
    ]
    assert place(relatives, stories, StoryProfile.of(CALL, at(15), "en")) == Placement(2, (1,), 1.0)


def test_a_merged_profile_sums_centroids_spans_dates_and_keeps_the_strongest_terms() -> None:
    many = {f"t{n:04d}": 1.0 / (n + 1) for n in range(CENTROID_TERMS + 50)}
    merged = StoryProfile.of(many, at(3), "en").merged(StoryProfile.of(BRIDGE, at(9), "en"))
    assert merged.size == 2
    assert (merged.first, merged.last) == (at(3), at(9))
    assert len(merged.centroids["en"]) == CENTROID_TERMS
    assert merged.centroids["en"]["t0000"] == 1.0
    assert "t0249" not in merged.centroids["en"]
    assert StoryProfile.from_json(merged.to_json()) == merged


def test_words_are_compared_within_one_language_only() -> None:
    """A translation in a story does not dilute it for the next report in the source language."""
    english = StoryProfile.of(CALL, at(15), "en")
    with_italian = english.merged(StoryProfile.of({"telefo": 0.9, "comple": 0.4}, at(15), "it"))
    report = StoryProfile.of(CALL, at(15), "en")
    assert with_italian.closeness(report, lambda term: 1.0) == english.closeness(
        report, lambda term: 1.0
    )
    assert StoryProfile.of(CALL, at(15), "ru").closeness(report, lambda term: 1.0) == 0.0


def test_undated_articles_and_stories_have_no_window() -> None:
    assert StoryProfile.of(CALL, None, "en").within(at(1))
    assert StoryProfile.of(CALL, at(1), "en").within(None)


WIRE = {"wire": 1.0, "sancti": 1.0, "energy": 1.0}
ANALYSIS = {"wire": 1.0, "analys": 1.0, "balanc": 1.0}
"""Two reports of one event that share one of their salient terms (closeness 0.33)."""


def test_a_confident_same_story_verdict_lowers_the_bar_to_join_its_story() -> None:
    """Reports sharing wire passages are one event even when the rest of their words differ."""
    story = {1: StoryProfile.of(WIRE, None, "en")}
    report = StoryProfile.of(ANALYSIS, None, "en")
    assert STORY_JOIN_VOUCHED < story[1].closeness(report, lambda term: 1.0) < STORY_JOIN
    assert place([], story, report).story is None
    assert place([Relative(5, "same_story", 0.5, 1)], story, report).story is None
    assert place([Relative(5, "same_story", STORY_VOUCH, 1)], story, report).story == 1


def test_agreeing_in_time_lowers_the_bar_to_join_a_story() -> None:
    """Dated reports within a story's window need fewer shared words than undated ones: on
    real news (BASIL's dev part) every candidate story of that closeness was the right one."""
    report = StoryProfile.of(ANALYSIS, at(15), "en")
    closeness = StoryProfile.of(WIRE, at(15), "en").closeness(report, lambda term: 1.0)
    assert STORY_JOIN_DATED < closeness < STORY_JOIN
    assert place([], {1: StoryProfile.of(WIRE, at(14), "en")}, report).story == 1
    assert place([], {1: StoryProfile.of(WIRE, None, "en")}, report).story is None
    assert (
        place(
            [], {1: StoryProfile.of(WIRE, at(14), "en")}, StoryProfile.of(ANALYSIS, None, "en")
        ).story
        is None
    )


def test_a_dated_article_joins_the_only_story_of_its_window_on_fewer_shared_words() -> None:
    """On a quiet day the one event about then that shares some words is the article's; on a
    busy day, when another story of the window shares words with it too, it must be as close
    as any dated article."""
    report = StoryProfile.of(ANALYSIS, at(15), "en")
    story = StoryProfile.of(
        {"wire": 1.0, "sancti": 1.0, "energy": 1.0, "export": 1.0}, at(14), "en"
    )
    rival = StoryProfile.of({"balanc": 1.0, **{f"t{i}": 1.0 for i in range(5)}}, at(15), "en")
    closeness = story.closeness(report, lambda term: 1.0)
    assert STORY_JOIN_VOUCHED < closeness < STORY_JOIN_DATED
    assert 0 < rival.closeness(report, lambda term: 1.0) < STORY_JOIN_VOUCHED
    assert place([], {1: story}, report).story == 1
    assert place([], {1: story, 2: rival}, report).story is None
    # Nor does one that only brushes the article: no alternative to the story's event.
    faint = StoryProfile.of({"balanc": 0.2, **{f"u{i}": 1.0 for i in range(8)}}, at(15), "en")
    assert 0 < faint.closeness(report, lambda term: 1.0) < RIVAL_SHARE * closeness
    assert place([], {1: story, 2: faint}, report).story == 1
    # A rival outside the window does not contest the story.
    far = StoryProfile.of(rival.centroids["en"], at(1), "en")
    assert place([], {1: story, 2: far}, report).story == 1
    # A rival in another language does, though no word of it can be compared: it is
    # another event about then (in the demo, Italian coverage of the call let the
    # Lavrov/BRICS report join the call story as if that were the day's only event).
    foreign = StoryProfile.of({"telefo": 1.0, "cina": 1.0}, at(15), "it")
    assert foreign.closeness(report, lambda term: 1.0) == 0
    assert place([], {1: story, 2: foreign}, report).story is None
    # Without dates there is no window to be alone in.
    assert place([], {1: story}, StoryProfile.of(ANALYSIS, None, "en")).story is None
