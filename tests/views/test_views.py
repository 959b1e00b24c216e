"""The view models over the crawled demo store: what every page and `--format json` shows."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from storage.views import (
    DiffPart,
    StoryFilter,
    article_view,
    list_story_items,
    story_view,
    to_jsonable,
    word_diff,
)
from tests.views.conftest import Seeds


def test_the_seed_story_shows_its_members_in_time_order_with_their_roles(
    demo_session: Session, seeds: Seeds
) -> None:
    view = story_view(demo_session, seeds.story)
    assert view is not None
    whens = [m.when for m in view.members]
    assert whens == sorted(whens)
    role = {m.id: m.role for m in view.members}
    ids = seeds.ids
    assert role[ids["000"]] == "source"
    assert role[ids["001"]] == "rewrite"
    assert role[ids["004"]] == "translation"
    assert role[ids["002"]] == role[ids["003"]] == "report"
    member = {m.id: m for m in view.members}
    assert member[ids["001"]].source_id == member[ids["004"]].source_id == ids["000"]
    assert member[ids["001"]].score is not None
    assert member[ids["004"]].score is not None
    assert member[ids["000"]].score is None
    first = view.members[0]
    assert first.lag.total_seconds() == 0
    assert all(m.lag.total_seconds() >= 0 for m in view.members)
    # One first appearance per outlet and per language, each the earliest of its kind.
    assert len({f.key for f in view.outlets}) == len({m.outlet for m in view.members})
    italian = next(f for f in view.languages if f.key == "it")
    assert italian.when == min(m.when for m in view.members if m.language == "it")
    assert {m.id for m in view.derived} >= {ids["001"], ids["004"]}
    wire = next(s for s in view.shared if {s.earlier_id, s.later_id} == {ids["002"], ids["003"]})
    assert any("sanctions" in passage for passage in wire.passages)
    assert story_view(demo_session, 10**6) is None


def test_the_story_list_orders_and_filters(demo_session: Session, seeds: Seeds) -> None:
    newest = list_story_items(demo_session)
    assert [s.first_published for s in newest] == sorted(
        (s.first_published for s in newest), reverse=True
    )
    biggest = list_story_items(demo_session, order="biggest")
    assert [s.size for s in biggest] == sorted((s.size for s in biggest), reverse=True)
    seed = next(s for s in newest if s.id == seeds.story)
    assert seed.size >= 5
    assert {"en", "it"} <= set(seed.languages)
    assert seed.span is not None
    assert seed.span.total_seconds() > 0
    italian = list_story_items(demo_session, StoryFilter(language="it"))
    assert seeds.story in {s.id for s in italian}
    assert all("it" in s.languages for s in italian)
    chinese = list_story_items(demo_session, StoryFilter(search="普京"))
    assert chinese
    assert all("zh" in s.languages for s in chinese)
    assert list_story_items(demo_session, StoryFilter(outlet="no_such_outlet")) == []
    late = max(s.first_published for s in newest if s.first_published)
    assert [s.first_published for s in list_story_items(demo_session, StoryFilter(since=late))] == [
        late
    ]


def test_a_rewrite_shows_its_substitutions_and_dropped_paragraphs_as_text(
    demo_session: Session, seeds: Seeds
) -> None:
    view = article_view(demo_session, seeds.ids["001"])
    assert view is not None
    assert view.seed_text.startswith(view.title + "\n\n")
    source = next(r for r in view.relatives if r.id == seeds.ids["000"])
    assert (source.relation, source.direction) == ("rewrite", "source")
    assert ("reaffirmed", "affirmed") in source.substitutions
    assert source.dropped, "the rewrite left paragraphs of its source out"
    original = article_view(demo_session, seeds.ids["000"])
    assert original is not None
    # Dropped paragraphs are the source's own words (case included), not the folded ones.
    assert all(paragraph in original.seed_text for paragraph in source.dropped)
    assert all(paragraph not in view.seed_text for paragraph in source.dropped)


def test_a_translation_aligns_paragraphs_and_same_story_reports_share_passages(
    demo_session: Session, seeds: Seeds
) -> None:
    italian = article_view(demo_session, seeds.ids["004"])
    assert italian is not None
    source = next(r for r in italian.relatives if r.id == seeds.ids["000"])
    assert source.relation == "translation"
    assert len(source.aligned) >= 10
    english = article_view(demo_session, seeds.ids["000"])
    assert english is not None
    for pair in source.aligned:
        assert pair.source in english.seed_text
        assert pair.copy in italian.seed_text
    report = article_view(demo_session, seeds.ids["003"])
    assert report is not None
    other = next(r for r in report.relatives if r.id == seeds.ids["002"])
    assert other.relation == "same_story"
    assert other.shared_passages
    assert json.dumps(to_jsonable(report), ensure_ascii=False)


def test_word_diff_keeps_both_texts_and_cuts_unspaced_scripts_per_character() -> None:
    parts = word_diff("Xi met Putin on Monday.", "Xi called Putin on Wednesday.")
    assert "".join(p.text for p in parts if p.op != "insert") == "Xi met Putin on Monday."
    assert "".join(p.text for p in parts if p.op != "delete") == "Xi called Putin on Wednesday."
    assert DiffPart("delete", "met") in parts
    assert DiffPart("insert", "called") in parts
    assert word_diff("习近平同普京通电话", "习近平同普京会谈") == (
        DiffPart("equal", "习近平同普京"),
        DiffPart("delete", "通电话"),
        DiffPart("insert", "会谈"),
    )
