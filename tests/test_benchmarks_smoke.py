"""Smoke test of the benchmark runner and the crawl benchmark on a tiny generated site.

Checks that one command produces every figure and the results file; never timings.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks.__main__ import call, discover, flatten, main
from benchmarks.crawl_bench import ratios, sample

RATIOS = {
    "newsmon_extract_cost_over_trafilatura",
    "page_stage_cost_over_trafilatura",
    "topic_score_cost_over_extract",
    "e2e_workers",
    "e2e_over_raw_fetch",
    "e2e_over_trafilatura_alone",
    "e2e_over_newsmon_extract_alone",
    "e2e_over_newsmon_page_stage_alone",
    "crawl_cpu_ms_per_article_beyond_raw_fetch",
    "unlinked_e2e_over_raw_fetch",
}


def test_discover_finds_bench_modules(tmp_path: Path) -> None:
    for name in ("crawl_bench.py", "relate_bench.py", "helpers.py", "__main__.py"):
        (tmp_path / name).write_text("")
    assert discover(tmp_path) == ["crawl", "relate"]
    assert "crawl" in discover()


def test_call_passes_args_as_parameter_or_argv() -> None:
    def with_parameter(argv: list[str]) -> dict[str, Any]:
        return {"argv": argv}

    def argparse_style() -> dict[str, Any]:
        return {"argv": sys.argv[1:]}

    assert call(with_parameter, "x_bench.py", ["--n", "3"]) == {"argv": ["--n", "3"]}
    saved = list(sys.argv)
    assert call(argparse_style, "x_bench.py", ["--n", "3"]) == {"argv": ["--n", "3"]}
    assert sys.argv == saved


def test_call_refuses_a_benchmark_without_results() -> None:
    def prints_only() -> None:
        return None

    with pytest.raises(TypeError, match="not a dict"):
        call(prints_only, "x_bench.py", [])


def test_flatten_gives_dotted_rows() -> None:
    rows = dict(flatten({"a": {"b": 1, "c": [2]}, "d": "e"}))
    assert rows == {"a.b": "1", "a.c": "[2]", "d": '"e"'}


def test_ratios_take_the_best_run_and_compare_pool_with_inline() -> None:
    results: dict[str, Any] = {
        "raw_fetch": {"pages_per_second": 40.0, "pages": 1000, "cpu_seconds": 5.0},
        "end_to_end": {
            "workers_0": {
                "workers": 0,
                "articles_per_second": 5.0,
                "stored": 1000,
                "crawl_process_cpu_seconds": 60.0,
            },
            "workers_2": {
                "workers": 2,
                "articles_per_second": 10.0,
                "stored": 1000,
                "crawl_process_cpu_seconds": 20.0,
            },
        },
        "extraction_alone": {
            "trafilatura_pages_per_second": 100.0,
            "newsmon_extract_pages_per_second": 50.0,
            "newsmon_page_stage_pages_per_second": 20.0,
            "topic_score_pages_per_second": 1000.0,
        },
    }
    assert ratios(results) == {
        "newsmon_extract_cost_over_trafilatura": 2.0,
        "page_stage_cost_over_trafilatura": 5.0,
        "topic_score_cost_over_extract": 0.05,
        "e2e_workers": 2,
        "e2e_over_raw_fetch": 0.25,
        "e2e_over_trafilatura_alone": 0.1,
        "e2e_over_newsmon_extract_alone": 0.2,
        "e2e_over_newsmon_page_stage_alone": 0.5,
        "crawl_cpu_ms_per_article_beyond_raw_fetch": 15.0,
        "workers_2_over_workers_0": 2.0,
    }


def test_sample_spreads_over_the_items() -> None:
    assert sample(range(10), 5) == [0, 2, 4, 6, 8]
    assert sample(range(3), 0) == [0, 1, 2]
    assert sample(range(3), 7) == [0, 1, 2]


def test_crawl_benchmark_produces_every_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["crawl", "--results-dir", str(tmp_path), "--"]
    # One pipeline crawl (the pool) keeps this quick; the inline crawl runs the same command.
    argv += ["--articles", "20", "--extract-pages", "5", "--workers", "2", "--unlinked"]
    assert main(argv) == 0
    report = json.loads((tmp_path / "latest.json").read_text())
    assert report["machine"]["cpus"] >= 1
    crawl = report["benchmarks"]["crawl"]["results"]
    assert crawl["raw_fetch"]["pages"] == 20
    run = crawl["end_to_end"]["workers_2"]
    # Every generated page is on-topic; the lenient title check may still drop a few.
    assert 0 < run["stored"] <= run["pages_fetched"] <= 20
    assert run["failed"] == {}
    unlinked = crawl["end_to_end_unlinked"]["workers_2"]
    assert 0 < unlinked["stored"] <= 20
    assert unlinked["failed"] == {}
    # Every generated page retells the same few events: linked, they are related.
    assert sum(run["related"].values()) > 0
    assert unlinked["related"] == {}
    assert run["peak_rss_mb"] > 0
    if sys.platform == "linux":  # sampled from /proc
        assert run["peak_tree_pss_mb"] > 0
        assert run["peak_tree_rss_mb"] >= run["peak_tree_pss_mb"]
        # The pool's workers extract every page, so the tree did more than the crawl process.
        assert run["tree_cpu_seconds"] > run["crawl_process_cpu_seconds"]
        assert run["busy_cores"] > 0
    alone = crawl["extraction_alone"]
    assert alone["pages"] == 5
    assert alone["trafilatura_pages_per_second"] > 0
    assert set(crawl["ratios"]) == RATIOS
    assert "ratios.e2e_over_raw_fetch" in capsys.readouterr().out
