"""The extraction quality gate.

On the real recorded pages (gold text by others, ``tests/fixtures/realpages``) newsmon stays
within its pinned floors and ceilings on both parts and is never worse than plain trafilatura
where it counts; on the hand-written outlet pages it stays above its floor, and every one of
them extracts right (fundus-style, one test per page)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from crawler.extract import Extracted, extract
from tests.extraction_eval import (
    BASELINE,
    REGENERATE,
    Case,
    all_cases,
    evaluate,
    evaluate_real,
    fixture_paths,
    format_snippets_lost,
    keep_met_bounds,
    load_fixture,
    loosened,
    snippets_lost,
)
from tests.realpages import SPLITS, RealPage, RealScore, load_split, normal


@pytest.fixture(scope="module")
def results() -> dict[str, dict[str, float]]:
    return evaluate(all_cases())


@pytest.fixture(scope="module")
def real() -> dict[str, dict[str, RealScore]]:
    return {split: evaluate_real(split) for split in SPLITS}


def test_loosening_a_bound_is_detected() -> None:
    old = {"floors": {"f1": 0.95, "recall": 0.96}, "ceilings": {"empties": 0.0}}
    new = {"floors": {"f1": 0.94, "recall": 0.97}, "ceilings": {"empties": 1.0}}
    assert loosened(old, new) == ["f1", "empties"]
    assert loosened(new, old) == ["recall"]


def test_a_bound_the_measure_still_meets_is_not_loosened() -> None:
    old = {"floors": {"f1": 0.95, "recall": 0.96}, "ceilings": {"must_not_contain": 0.02}}
    new = {"floors": {"f1": 0.94, "recall": 0.97}, "ceilings": {"must_not_contain": 0.03}}
    measured = {"f1": 0.951, "recall": 0.98, "must_not_contain": 0.011}
    assert keep_met_bounds(old, new, measured) == {
        "floors": {"f1": 0.95, "recall": 0.97},
        "ceilings": {"must_not_contain": 0.02},
    }
    # a bound the measure breaks is written as measured, for loosened() to refuse
    broken = {"f1": 0.949, "recall": 0.98, "must_not_contain": 0.025}
    assert keep_met_bounds(old, new, broken)["floors"]["f1"] == 0.94
    assert keep_met_bounds(old, new, broken)["ceilings"]["must_not_contain"] == 0.03


@pytest.mark.parametrize("split", SPLITS)
def test_real_pages_stay_within_the_pinned_bounds(
    real: dict[str, dict[str, RealScore]], split: str
) -> None:
    pinned = json.loads(BASELINE.read_text("utf-8"))["real"][split]
    measured = real[split]["newsmon"].figures()
    below = {k: (round(measured[k], 3), v) for k, v in pinned["floors"].items() if measured[k] < v}
    above = {
        k: (round(measured[k], 3), v) for k, v in pinned["ceilings"].items() if measured[k] > v
    }
    left = {**below, **above}
    assert not left, (
        f"newsmon on the real {split} pages left its pinned bounds (measured, bound): "
        f"{left}; fix the regression (see `python -m tests.extraction_eval`); loosening "
        f"needs --lower-floors with a reason"
    )


@pytest.mark.parametrize("split", SPLITS)
def test_real_pages_newsmon_is_as_good_as_trafilatura_and_half_as_noisy(
    real: dict[str, dict[str, RealScore]], split: str
) -> None:
    """Issue 10's bars on both parts: F1 at least trafilatura's, at most half its boilerplate.
    No real article comes back empty on dev, where the rules are weighed; on test, where a
    page may not be looked at to find out why, the empties stay within their pinned ceiling
    (`test_real_pages_stay_within_the_pinned_bounds`, raised only with a stated reason) and
    the closing note reports the count against the target of none."""
    ours, plain = real[split]["newsmon"].figures(), real[split]["trafilatura"].figures()
    assert ours["f1"] >= plain["f1"], (ours["f1"], plain["f1"])
    assert ours["must_not_contain"] <= plain["must_not_contain"] / 2, (
        ours["must_not_contain"],
        plain["must_not_contain"],
    )
    if split == "dev":
        assert not real[split]["newsmon"].empty, (
            f"real articles lost: {real[split]['newsmon'].empty}"
        )


def test_real_dev_pages_keep_every_snippet_and_word_trafilatura_finds(
    real: dict[str, dict[str, RealScore]],
) -> None:
    """On dev, where the rules were weighed: every "must contain" snippet trafilatura finds,
    and at least its recall.  The test part's figures are pinned, not compared (see the
    closing note of the real-page work in docs/extraction.md)."""
    assert not snippets_lost(real["dev"]), format_snippets_lost(real["dev"])
    ours, plain = real["dev"]["newsmon"].figures(), real["dev"]["trafilatura"].figures()
    assert ours["must_contain"] >= plain["must_contain"], (ours, plain)
    assert ours["recall"] >= plain["recall"], (ours, plain)


def test_a_snippet_trafilatura_finds_and_newsmon_loses_is_listed() -> None:
    snippets = ("alpha beta", "gamma delta")
    page = RealPage("p", "src", "https://x.example/a", b"", "", snippets, (), None)
    ours, missing_too, finding = RealScore(), RealScore(), RealScore()
    ours.add(page, "alpha beta")
    missing_too.add(page, "Alpha beta.")
    finding.add(page, "gamma  delta, alpha beta")
    assert snippets_lost({"newsmon": ours, "trafilatura": missing_too}) == []
    assert snippets_lost({"newsmon": ours, "trafilatura": finding}) == [("p", "gamma delta")]


def test_newsmon_stays_above_the_pinned_floor(results: dict[str, dict[str, float]]) -> None:
    pinned = json.loads(BASELINE.read_text("utf-8"))["newsmon"]
    below = {
        key: (round(results["newsmon"][key], 3), floor)
        for key, floor in pinned.items()
        if results["newsmon"][key] < floor
    }
    assert not below, (
        f"newsmon extraction fell below the pinned floor (measured, floor): {below}; "
        f"fix the regression, or if the change is intended run `{REGENERATE}`"
    )


def test_newsmon_is_as_complete_and_cleaner_than_plain_trafilatura(
    results: dict[str, dict[str, float]],
) -> None:
    ours, plain = results["newsmon"], results["trafilatura"]
    assert ours["recall"] >= plain["recall"], (
        f"newsmon recall {ours['recall']:.3f} < trafilatura {plain['recall']:.3f}; "
        f"see `python -m tests.extraction_eval`"
    )
    assert ours["precision"] > plain["precision"], (
        f"newsmon precision {ours['precision']:.3f} is not above trafilatura "
        f"{plain['precision']:.3f}; see `python -m tests.extraction_eval`"
    )


@pytest.mark.parametrize("path", fixture_paths(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_outlet_page(path: Path) -> None:
    case: Case = load_fixture(path)
    result = extract(case.html.encode("utf-8"), case.url)
    assert isinstance(result, Extracted), result
    text = normal(result.text)
    missing = [s for s in case.must_contain if normal(s) not in text]
    leaked = [s for s in case.must_not_contain if normal(s) in text]
    assert not missing, f"main text lost: {missing}"
    assert not leaked, f"boilerplate kept: {leaked}"
    assert result.title == case.title
    assert result.language == case.language
    assert result.published == case.published
    assert result.authors == case.authors
    assert result.canonical_url == case.url
    assert not result.text.startswith(case.title)


def _recorded(path: Path) -> str:
    return str(json.loads(path.with_suffix(".json").read_text("utf-8"))["recorded"])


def test_every_registry_outlet_has_a_recorded_page() -> None:
    """A real recording (in the real-page corpus, or an outlet fixture that `newsmon record`
    wrote) where a public copy exists, else a hand-written page marked synthetic."""
    outlets = pytest.importorskip(
        "crawler.outlets", reason="the outlet registry (crawler/outlets.py) is not in place yet"
    )
    names = set(outlets.load_registry())
    real = {page.outlet for split in SPLITS for page in load_split(split) if page.outlet}
    real |= {p.parent.name for p in fixture_paths() if not _recorded(p).startswith("synthetic:")}
    hand_written = {p.parent.name for p in fixture_paths() if _recorded(p).startswith("synthetic:")}
    assert not names - real - hand_written, (
        f"registry outlets without a recorded page: {sorted(names - real - hand_written)}; "
        f"record one with `newsmon record URL --outlet NAME` (tests/fixtures/outlets/)"
    )
    assert not real & hand_written, (
        f"hand-written pages kept for outlets with a real recording: {sorted(real & hand_written)}"
    )


#: What `newsmon record` writes (newsmon/fixtures.py): the page's address and the day, which
#: a page recorded by others follows with a note of where the copy comes from.
_RECORDED = re.compile(r"recorded from https?://\S+ on \d{4}-\d{2}-\d{2}(?: .+)?")


def test_every_outlet_page_says_where_and_when_it_was_recorded_or_that_it_is_hand_written() -> None:
    for path in fixture_paths():
        recorded = _recorded(path)
        assert recorded.startswith("synthetic: ") or _RECORDED.fullmatch(recorded), (path, recorded)
