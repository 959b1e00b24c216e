from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from dedup.lineage import (
    CENTROID_TERMS,
    JOIN_PROBABILITY,
    MIN_JOIN_CLOSENESS,
    RIVAL_SHARE,
    Article,
    Placement,
    Relative,
    StoryProfile,
    earliest,
    join_model,
    join_signals,
    place,
    unweighted,
)
from dedup.salience import cosine


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
    assert placement.closeness >= MIN_JOIN_CLOSENESS


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
    assert with_italian.closeness(report, unweighted) == english.closeness(report, unweighted)
    assert StoryProfile.of(CALL, at(15), "ru").closeness(report, unweighted) == 0.0


def test_undated_articles_and_stories_have_no_window() -> None:
    assert StoryProfile.of(CALL, None, "en").within(at(1))
    assert StoryProfile.of(CALL, at(1), "en").within(None)


WIRE = {"wire": 1.0, "sancti": 1.0, "energy": 1.0}
ANALYSIS = {"wire": 1.0, "analys": 1.0, "balanc": 1.0}
"""Two reports of one event that share one of their salient terms (closeness 0.33)."""


def _probability(
    stories: dict[int, StoryProfile], report: StoryProfile, relatives: Sequence[Relative] = ()
) -> float:
    """P(story 1 is the report's event) by the fitted join model."""
    return join_model().probability(join_signals(relatives, stories, report)[1])


def test_the_fitted_join_model_reads_its_signals_the_way_round_news_does() -> None:
    """Closer stories and confident same_story verdicts make a story likelier; a story
    as close to the article beside it (a rival) makes it less likely, and so does size:
    a large story's centroid is near many articles that are not of its event."""
    report = StoryProfile.of(ANALYSIS, at(15), "en")
    story = StoryProfile.of(WIRE, at(14), "en")
    closer = StoryProfile.of({**WIRE, "analys": 1.0}, at(14), "en")
    rival = StoryProfile.of({"analys": 1.0, "balanc": 1.0, "other": 1.0}, at(15), "en")
    large = StoryProfile.of(WIRE, at(14), "en")
    for _ in range(9):
        large = large.merged(StoryProfile.of(WIRE, at(14), "en"))
    alone = _probability({1: story}, report)
    assert _probability({1: closer}, report) > alone
    assert _probability({1: story}, report, [Relative(5, "same_story", 0.95, 1)]) > alone
    assert _probability({1: story, 2: rival}, report) < alone
    assert _probability({1: large}, report) < alone


def test_an_article_joins_the_likeliest_story_if_probable_enough() -> None:
    report = StoryProfile.of(ANALYSIS, at(15), "en")
    near = StoryProfile.of({**WIRE, "analys": 1.0, "balanc": 1.0}, at(14), "en")
    far = StoryProfile.of({"analys": 1.0, **{f"f{i}": 1.0 for i in range(3)}}, at(14), "en")
    assert _probability({1: near}, report) >= JOIN_PROBABILITY
    assert _probability({1: far}, report) >= JOIN_PROBABILITY
    placement = place([], {1: far, 2: near}, report)
    assert placement == Placement(2, (), 0.7746)
    assert placement.grown == near.merged(report)  # its callers need not merge it again


def test_closeness_is_the_cosine_of_the_vectors_weighed_by_their_specificity() -> None:
    """Weighing each vector once per placement gives the very cosines of weighing it
    for every comparison; a story sharing no term with the article is 0 unweighed."""
    specific = {"amur": 1.7, "bridge": 0.3, "birthd": 1.1, "phone": 0.9, "putin": 0.2}

    def specificity(terms: Iterable[str]) -> list[float]:
        return [specific.get(term, 1.3) for term in terms]

    def weighed(vector: Mapping[str, float]) -> dict[str, float]:
        return {term: w * specific.get(term, 1.3) for term, w in vector.items()}

    story = StoryProfile.of({**BRIDGE, **CALL}, at(15), "en")
    for vector in (CALL, BRIDGE, {"putin": 0.3, "amur": 0.1}):
        report = StoryProfile.of(vector, at(15), "en")
        expected = cosine(weighed(vector), weighed(story.centroids["en"]))
        assert story.closeness(report, specificity) == expected > 0
    assert story.closeness(StoryProfile.of(WIRE, at(15), "en"), specificity) == 0.0


def test_no_story_is_joined_below_the_closeness_floor_however_lone() -> None:
    """A monitor of one topic has several events a day that share its words: one lone
    candidate story that shares little more than those is not the article's event."""
    report = StoryProfile.of({"china": 1.0, **{f"a{i}": 1.0 for i in range(7)}}, at(10), "en")
    story = StoryProfile.of({"china": 1.0, **{f"b{i}": 1.0 for i in range(7)}}, at(9), "en")
    closeness = story.closeness(report, unweighted)
    assert 0 < closeness < MIN_JOIN_CLOSENESS
    assert _probability({1: story}, report) >= JOIN_PROBABILITY
    assert place([], {1: story}, report).story is None


def test_a_story_in_another_language_rivals_the_article_s_closest() -> None:
    """A story of the window in a language the article's words cannot be compared with is
    another event about then, for all we can tell (in the demo, Italian coverage of the call
    let the Lavrov/BRICS report join the call story as if that were the day's only event);
    a story outside the window, or only brushing the article, is no rival."""
    report = StoryProfile.of(ANALYSIS, at(15), "en")
    story = StoryProfile.of(WIRE, at(14), "en")
    alone = _probability({1: story}, report)
    foreign = StoryProfile.of({"telefo": 1.0, "cina": 1.0}, at(15), "it")
    assert _probability({1: story, 2: foreign}, report) < alone
    far = StoryProfile.of(foreign.centroids["it"], at(1), "it")
    assert _probability({1: story, 2: far}, report) == alone
    faint = StoryProfile.of({"balanc": 0.2, **{f"u{i}": 1.0 for i in range(8)}}, at(15), "en")
    assert (
        0 < faint.closeness(report, unweighted) < RIVAL_SHARE * story.closeness(report, unweighted)
    )
    assert _probability({1: story, 2: faint}, report) == alone
