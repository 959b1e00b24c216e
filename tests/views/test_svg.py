"""The story drawings: read back with lxml, they hold every lane, node and arrow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lxml import etree
from sqlalchemy.orm import Session

from newsmon.story_svg import copy_graph_svg, timeline_svg
from storage.views import FirstAppearance, StoryMember, StoryView, story_view
from tests.views.conftest import Seeds

NS = {"s": "http://www.w3.org/2000/svg"}


def _parse(svg: str) -> etree._Element:
    return etree.fromstring(svg.encode())


def test_the_seed_timeline_has_a_lane_per_outlet_a_node_per_member_an_arrow_per_copy(
    demo_session: Session, seeds: Seeds
) -> None:
    view = story_view(demo_session, seeds.story)
    assert view is not None
    root = _parse(timeline_svg(view, lambda i: f"/article/{i}"))
    lanes = [g.get("data-outlet") for g in root.iterfind(".//s:g[@class='lane']", NS)]
    assert lanes == [f.key for f in view.outlets]
    assert sorted(lanes) == sorted({m.outlet for m in view.members})
    nodes = {int(g.get("data-article")): g for g in root.iterfind(".//s:g[@data-article]", NS)}
    assert set(nodes) == {m.id for m in view.members}
    ids = seeds.ids
    assert "role-source" in nodes[ids["000"]].get("class")
    assert "role-rewrite" in nodes[ids["001"]].get("class")
    assert "role-translation" in nodes[ids["004"]].get("class")
    assert "role-report" in nodes[ids["002"]].get("class")
    assert nodes[ids["001"]].find("s:a", NS).get("href") == f"/article/{ids['001']}"
    arrows = {
        (int(p.get("data-from")), int(p.get("data-to")))
        for p in root.iterfind(".//s:path[@data-from]", NS)
    }
    assert arrows == {(m.id, m.source_id) for m in view.derived}
    assert {(ids["001"], ids["000"]), (ids["004"], ids["000"])} <= arrows
    # Nodes sit left to right in time order.
    xs = [_x(nodes[m.id]) for m in view.members]
    assert xs == sorted(xs)


def _x(node: etree._Element) -> float:
    text = node.find(".//s:text", NS)
    return float(text.get("x"))


def test_the_copy_graph_links_the_outlet_that_copied_to_the_one_it_copied_from(
    demo_session: Session, seeds: Seeds
) -> None:
    view = story_view(demo_session, seeds.story)
    assert view is not None
    root = _parse(copy_graph_svg(view))
    outlets = {g.get("data-outlet") for g in root.iterfind(".//s:g[@class='outlet']", NS)}
    assert outlets == {m.outlet for m in view.members}
    by_id = {m.id: m for m in view.members}
    edges = {(p.get("data-from"), p.get("data-to")) for p in root.iterfind(".//s:path", NS)}
    edges = {e for e in edges if e[0] is not None}
    expected = {(m.outlet, by_id[m.source_id].outlet) for m in view.derived if m.source_id}
    assert edges == expected
    assert (by_id[seeds.ids["004"]].outlet, by_id[seeds.ids["000"]].outlet) in edges


def test_a_story_of_one_undated_article_is_drawn_without_arrows() -> None:
    seen = datetime(2022, 6, 15, 9, 0, tzinfo=UTC)
    member = StoryMember(
        id=1,
        title="A <title> & more",
        url="https://example.test/1",
        outlet="solo",
        language="en",
        published=None,
        when=seen,
        dated=False,
        role="report",
        source_id=None,
        relation=None,
        score=None,
        lag=timedelta(0),
    )
    first = FirstAppearance("solo", 1, "solo", seen, timedelta(0))
    view = StoryView(1, "A <title> & more", 1, (member,), (first,), (first,))
    root = _parse(timeline_svg(view))
    assert root.find("s:title", NS).text.endswith("A <title> & more")
    assert len(root.findall(".//s:g[@data-article]", NS)) == 1
    assert root.findall(".//s:path[@data-from]", NS) == []
    assert root.find(".//s:g[@data-article]//s:circle", NS).get("stroke-dasharray")
    assert _parse(copy_graph_svg(view)).findall(".//s:path[@data-from]", NS) == []
