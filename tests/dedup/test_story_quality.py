"""Quality gate for stories: real labelled news (ECB+, BASIL), never below the pinned floors."""

import json
from collections import Counter
from pathlib import Path

from dedup.story_evaluation import (
    BASELINE,
    DEV,
    REGENERATE,
    TEST,
    bcubed,
    evaluate_stories,
    fewer_per_story,
    load_articles,
    parts,
    shortfalls,
)

ROOT = Path(__file__).parents[2]


def _at_root(paths: tuple[Path, ...]) -> list[Path]:
    return [ROOT / path for path in paths]


def test_bcubed_rewards_pure_and_complete_clusters() -> None:
    gold = {"a": "x", "b": "x", "c": "y"}
    assert bcubed(gold, {"a": 1, "b": 1, "c": 2}) == (1.0, 1.0, 1.0)
    assert bcubed(gold, {"a": 1, "b": 1, "c": 1}) == (0.5556, 1.0, 0.7143)
    assert bcubed(gold, {"a": 1, "b": 2, "c": 3}) == (1.0, 0.6667, 0.8)


def test_articles_are_replayed_in_publication_order_and_parts_share_no_story() -> None:
    dev, test = load_articles(_at_root(DEV)), load_articles(_at_root(TEST))
    dated = [a.doc.published for a in dev if a.doc.published]
    assert dated == sorted(dated)
    assert not {a.story for a in dev} & {a.story for a in test}


def test_stories_on_real_news_stay_above_their_floors() -> None:
    pinned = json.loads((ROOT / BASELINE).read_text("utf-8"))
    measured = {
        "newsmon": {
            name: evaluate_stories(articles).to_json()
            for name, articles in parts(_at_root(DEV), _at_root(TEST)).items()
        }
    }
    problems = shortfalls(measured, pinned["floors"])
    assert not problems, "; ".join(problems) + f". If intended, regenerate with `{REGENERATE}`."


def test_the_small_story_view_keeps_three_reports_of_every_story_in_order() -> None:
    dev = load_articles(_at_root(DEV))
    small = fewer_per_story(dev)
    sizes = Counter(a.story for a in small)
    assert set(sizes) == {a.story for a in dev}
    assert set(sizes.values()) <= {1, 2, 3}
    assert max(sizes.values()) == 3
    assert [a.id for a in small] == [a.id for a in dev if a in small]
    assert fewer_per_story(dev) == small
