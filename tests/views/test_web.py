"""The Datasette plugin over the relinked demo store, through a real Datasette instance."""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import json
import re
import sqlite3
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from datasette.app import Datasette
from lxml import html
from sqlalchemy.engine import make_url

from newsmon.web import ensure_registered, search_query
from storage.db import make_engine, session_factory, upgrade
from storage.queries import store_article
from storage.records import ArticleRecord
from storage.recrawl import recheck_article
from tests.views.conftest import Seeds


@dataclass
class Pages:
    """GETs against one started Datasette instance."""

    datasette: Datasette
    database: str

    def get(self, path: str, status: int = 200) -> str:
        response = asyncio.run(self.datasette.client.get(path))
        assert response.status_code == status, (path, response.text[:500])
        return str(response.text)

    def tree(self, path: str) -> html.HtmlElement:
        return html.fromstring(self.get(path))


@pytest.fixture
def pages(relinked: str) -> Pages:
    ensure_registered()
    path = Path(str(make_url(relinked).database))
    datasette = Datasette([str(path)])
    asyncio.run(datasette.invoke_startup())
    return Pages(datasette, path.stem)


def test_the_front_page_lists_the_stories_and_filters_them(pages: Pages, seeds: Seeds) -> None:
    tree = pages.tree("/")
    rows = tree.xpath("//table[contains(@class, 'stories')]/tbody/tr")
    assert str(seeds.story) in [row.get("data-story") for row in rows]
    chinese = pages.tree("/?q=" + "普京")
    found = [row.get("data-story") for row in chinese.xpath("//tr[@data-story]")]
    assert found
    assert all("zh" in row.text_content() for row in chinese.xpath("//tr[@data-story]"))
    italian = pages.tree("/?lang=it&order=biggest")
    sizes = [int(row.xpath("td")[4].text) for row in italian.xpath("//tr[@data-story]")]
    assert sizes == sorted(sizes, reverse=True)
    assert pages.tree("/?outlet=nobody").xpath("//p[@class='no-stories']")


def test_the_story_page_shows_the_seed_members_in_time_order_with_their_roles(
    pages: Pages, seeds: Seeds
) -> None:
    tree = pages.tree(f"/-/newsmon/story/{seeds.story}")
    rows = tree.xpath("//table[contains(@class, 'members')]/tbody/tr")
    role = {int(r.get("data-article")): r.get("data-role") for r in rows}
    ids = seeds.ids
    assert role[ids["000"]] == "source"
    assert role[ids["001"]] == "rewrite"
    assert role[ids["004"]] == "translation"
    assert role[ids["002"]] == role[ids["003"]] == "report"
    times = [r.xpath("td")[0].text_content().strip()[:16] for r in rows]
    assert times == sorted(times)
    order = [int(r.get("data-article")) for r in rows]
    seeds_in_order = [i for i in order if i in ids.values()]
    assert len(seeds_in_order) == 5
    # The timeline and the graph are inline SVG: one node per member, one arrow per copy.
    svg = tree.xpath("//figure[contains(@class, 'timeline')]/*[local-name()='svg']")[0]
    nodes = svg.xpath(".//*[local-name()='g'][@data-article]")
    assert sorted(int(n.get("data-article")) for n in nodes) == sorted(order)
    arrows = svg.xpath(".//*[local-name()='path'][@data-from]")
    derived = [r for r in rows if r.get("data-role") not in ("source", "report")]
    assert len(arrows) == len(derived)
    assert tree.xpath("//figure[contains(@class, 'copy-graph')]/*[local-name()='svg']")
    assert "behind the first report" in tree.text_content()
    pairs = {li.get("data-pair"): li for li in tree.xpath("//ul[@class='shared-passages']/li")}
    key = f"{ids['002']}-{ids['003']}"
    wire = pairs[key if key in pairs else f"{ids['003']}-{ids['002']}"]
    assert len(wire.xpath(".//q")) >= 3
    assert pages.get(f"/-/newsmon/story/{seeds.story}.svg").startswith("<svg")
    pages.get("/-/newsmon/story/999999", status=404)


def test_the_article_page_of_the_rewrite_shows_its_substitutions_and_dropped_paragraphs(
    pages: Pages, seeds: Seeds
) -> None:
    tree = pages.tree(f"/-/newsmon/article/{seeds.ids['001']}")
    source = tree.xpath(f"//section[@data-article='{seeds.ids['000']}']")[0]
    assert source.get("data-relation") == "rewrite"
    swaps = [li.text_content() for li in source.xpath(".//ul[@class='substitutions']/li")]
    assert "reaffirmed → affirmed" in swaps
    dropped = [li.text_content() for li in source.xpath(".//ul[@class='dropped']/li")]
    assert dropped
    assert all(re.search(r"[A-Z]", paragraph) for paragraph in dropped)  # the source's own case
    assert (
        tree.xpath("//div[@class='seed-text']")[0]
        .text_content()
        .startswith(tree.xpath("//h1")[0].text_content().split(" ", 1)[1])
    )
    italian = pages.tree(f"/-/newsmon/article/{seeds.ids['004']}")
    pairs = italian.xpath(f"//section[@data-article='{seeds.ids['000']}']//table//tbody/tr")
    assert len(pairs) >= 10
    report = pages.tree(f"/-/newsmon/article/{seeds.ids['003']}")
    shared = report.xpath(f"//section[@data-article='{seeds.ids['002']}']//ul[@class='shared']/li")
    assert shared


def test_the_report_page_renders_the_latest_run(pages: Pages) -> None:
    tree = pages.tree("/-/newsmon/report")
    assert tree.xpath("//h1")[0].text_content().startswith("What is new in crawl run")
    assert tree.xpath("//table[contains(@class, 'new-articles')]/tbody/tr")
    assert tree.xpath("//table[contains(@class, 'outlets')]/tbody/tr")


def test_datasette_hides_internals_keeps_cells_short_and_finds_chinese_words(
    pages: Pages,
) -> None:
    listing = pages.get(f"/{pages.database}")
    for hidden in ("alembic_version", "article_signatures", "articles_fts_seg"):
        assert f'href="/{pages.database}/{hidden}"' not in listing
    assert f'href="/{pages.database}/articles"' in listing
    table = pages.tree(f"/{pages.database}/articles?_size=5")
    texts = table.xpath("//td[contains(@class, 'col-text')]")
    assert texts
    assert all(len(cell.text_content()) < 400 for cell in texts)
    authors = " ".join(
        c.text_content() for c in table.xpath("//td[contains(@class, 'col-authors')]")
    )
    assert "\\u" not in authors
    assert '["' not in authors
    found = pages.tree(f"/{pages.database}/articles?_search=普京")
    titles = [c.text_content() for c in found.xpath("//td[contains(@class, 'col-title')]")]
    assert len(titles) == 1
    assert "普京" in titles[0]
    latin = pages.tree(f"/{pages.database}/articles?_search=Putin")
    assert len(latin.xpath("//td[contains(@class, 'col-title')]")) > 1


def test_search_query_pairs_unspaced_words_and_leaves_others_to_datasette() -> None:
    assert search_query("普京") == '"普京"*'
    assert search_query("俄罗斯总统 Putin") == '"俄罗 罗斯 斯总 总统"* "Putin"*'
    assert search_query('Putin "Xi Jinping"') == '"Putin" "Xi Jinping"'


def test_the_package_declares_the_plugin_to_datasette() -> None:
    """`datasette newsmon.db` finds the plugin through this entry point once newsmon is
    installed; the templates ship beside it."""
    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text("utf-8"))
    target = project["project"]["entry-points"]["datasette"]["newsmon"]
    plugin = importlib.import_module(target)
    assert callable(plugin.register_routes)
    assert any(dep.startswith("datasette") for dep in project["project"]["dependencies"])
    templates = Path(str(plugin.__file__)).parent / "templates"
    assert (templates / "newsmon_story.html").is_file()
    assert "templates/*" in project["tool"]["setuptools"]["package-data"][target]


def test_every_page_has_a_json_twin(pages: Pages, seeds: Seeds) -> None:
    stories = json.loads(pages.get("/-/newsmon/stories.json?lang=it"))
    assert seeds.story in [s["id"] for s in stories]
    story = json.loads(pages.get(f"/-/newsmon/story/{seeds.story}.json"))
    assert {m["id"] for m in story["members"]} >= set(seeds.ids.values())
    article = json.loads(pages.get(f"/-/newsmon/article/{seeds.ids['001']}.json"))
    assert article["source_id"] == seeds.ids["000"]
    assert json.loads(pages.get("/-/newsmon/report.json"))["new_articles"]


def test_datasette_keeps_its_own_front_page_for_other_databases(tmp_path: Path) -> None:
    ensure_registered()
    other = tmp_path / "birds.db"
    with sqlite3.connect(other) as con:
        con.execute("CREATE TABLE sightings (id INTEGER PRIMARY KEY, bird TEXT)")
    datasette = Datasette([str(other)])
    asyncio.run(datasette.invoke_startup())
    front = asyncio.run(datasette.client.get("/"))
    assert front.status_code == 200
    assert 'href="/birds"' in front.text
    assert "<h1>Stories</h1>" not in front.text
    assert asyncio.run(datasette.client.get("/-/newsmon/story/1")).status_code == 404


def _record(text: str, day: int, recheck_of: int | None = None) -> ArticleRecord:
    return ArticleRecord(
        outlet="wire",
        url="https://wire.test/xi-putin",
        fetched_url="https://wire.test/xi-putin",
        title="Xi and Putin talk",
        text=text,
        published=datetime(2022, 6, 15, 9, 0, tzinfo=UTC),
        authors=("Анна Петрова", "王伟"),
        language="en",
        extractor_version="test",
        topic_score=1.0,
        content_key=hashlib.sha256(text.encode()).hexdigest(),
        raw_html=b"<html></html>",
        fetched_at=datetime(2022, 6, day, 9, 0, tzinfo=UTC),
        recheck_of=recheck_of,
    )


def test_an_updated_article_shows_each_update_word_by_word(tmp_path: Path) -> None:
    path = tmp_path / "newsmon.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with session_factory(engine)() as session:
        article_id = store_article(session, _record("Xi called Putin on Monday.", 15)).article_id
        recheck_article(session, _record("Xi called Putin on Wednesday.", 16, article_id))
        session.commit()
    engine.dispose()
    ensure_registered()
    datasette = Datasette([str(path)])
    asyncio.run(datasette.invoke_startup())
    pages = Pages(datasette, path.stem)
    version = pages.tree(f"/-/newsmon/article/{article_id}").xpath("//section[@class='version']")
    assert [v.get("data-version") for v in version] == ["1"]
    assert [d.text for d in version[0].xpath(".//del")] == ["Monday"]
    assert [i.text for i in version[0].xpath(".//ins")] == ["Wednesday"]
    row = pages.tree(f"/{pages.database}/articles")
    authors = row.xpath("//td[contains(@class, 'col-authors')]")[0].text_content().strip()
    assert authors == "Анна Петрова, 王伟"
