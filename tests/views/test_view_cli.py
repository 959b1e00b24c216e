"""The same view models from the command line, for scripts: JSON, Markdown, SVG, CSV."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from lxml import etree

from tests.conftest import run_cli
from tests.views.conftest import Seeds


def _json(*args: str) -> object:
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_stories_and_a_story_as_json_markdown_and_svg(
    relinked: str, seeds: Seeds, tmp_path: Path
) -> None:
    stories = _json("stories", "--format", "json", "--order", "biggest", "--db", relinked)
    assert isinstance(stories, list)
    sizes = [s["size"] for s in stories]
    assert sizes == sorted(sizes, reverse=True)
    assert seeds.story in [s["id"] for s in stories]
    chinese = _json("stories", "--format", "json", "--search", "普京", "--db", relinked)
    assert isinstance(chinese, list)
    assert chinese
    assert all("zh" in s["languages"] for s in chinese)
    graph = tmp_path / "story.svg"
    story = _json(
        "story", str(seeds.story), "--format", "json", "--graph", str(graph), "--db", relinked
    )
    assert isinstance(story, dict)
    role = {m["id"]: m["role"] for m in story["members"]}
    assert role[seeds.ids["001"]] == "rewrite"
    assert role[seeds.ids["004"]] == "translation"
    whens = [m["when"] for m in story["members"]]
    assert whens == sorted(whens)
    svg = etree.fromstring(graph.read_bytes())
    nodes = svg.findall(".//{http://www.w3.org/2000/svg}g[@data-article]")
    assert {int(n.get("data-article")) for n in nodes} == set(role)
    markdown = run_cli("story", str(seeds.story), "--format", "md", "--db", relinked)
    assert markdown.returncode == 0
    assert markdown.stdout.startswith(f"# Story {seeds.story}: ")
    assert f"#{seeds.ids['001']} " in markdown.stdout
    assert f"rewrite of #{seeds.ids['000']}" in markdown.stdout
    missing = run_cli("story", "999999", "--format", "json", "--db", relinked)
    assert missing.returncode == 2
    assert "newsmon stories" in missing.stderr


def test_rewrites_as_json_carry_the_evidence(relinked: str, seeds: Seeds) -> None:
    family = _json("rewrites", str(seeds.ids["001"]), "--format", "json", "--db", relinked)
    assert isinstance(family, dict)
    assert family["source_id"] == seeds.ids["000"]
    derived = {d["id"]: d for d in family["derived"]}
    rewrite = derived[seeds.ids["001"]]
    assert rewrite["relation"] == "rewrite"
    assert ["reaffirmed", "affirmed"] in rewrite["substitutions"]
    assert rewrite["dropped"]
    assert derived[seeds.ids["004"]]["aligned"]


def test_articles_of_a_story_and_an_export_with_lineage(
    relinked: str, seeds: Seeds, tmp_path: Path
) -> None:
    listed = run_cli("articles", "--story", str(seeds.story), "--limit", "500", "--db", relinked)
    assert listed.returncode == 0
    rows = set(re.findall(r"^ *(\d+)  +\S", listed.stdout, flags=re.MULTILINE))
    assert {str(article_id) for article_id in seeds.ids.values()} <= rows
    jsonl = tmp_path / "story.jsonl"
    result = run_cli(
        "export",
        "--story",
        str(seeds.story),
        "--since",
        "2022-06-01",
        "--out",
        str(jsonl),
        "--db",
        relinked,
    )
    assert result.returncode == 0, result.stderr
    rows = {r["id"]: r for r in map(json.loads, jsonl.read_text(encoding="utf-8").splitlines())}
    assert set(seeds.ids.values()) <= set(rows)
    assert {r["story_id"] for r in rows.values()} == {seeds.story}
    copy = rows[seeds.ids["004"]]
    assert (copy["source_id"], copy["relation"]) == (seeds.ids["000"], "translation")
    assert copy["score"] > 0
    assert rows[seeds.ids["000"]]["source_id"] is None
    table = tmp_path / "italian.csv"
    result = run_cli(
        "export",
        "--format",
        "csv",
        "--lang",
        "it",
        "--outlet",
        "notizie_lampo",
        "--out",
        str(table),
        "--db",
        relinked,
    )
    assert result.returncode == 0, result.stderr
    with table.open(encoding="utf-8", newline="") as fh:
        found = list(csv.DictReader(fh))
    assert found
    assert {r["language"] for r in found} == {"it"}
    assert {r["outlet"] for r in found} == {"notizie_lampo"}
    assert {"story_id", "source_id", "relation", "score"} <= set(found[0])
