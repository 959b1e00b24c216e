"""The crawl's worker pool: workers load only the pure stages, and the verdicts split
over the workers are the verdicts one process gives."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawler.context import WORKER_MODULES
from crawler.linking import LinkJob
from crawler.pipelines import judge_in_pool
from crawler.workers import WorkerPool
from dedup.candidates import signature
from dedup.features import Doc
from dedup.judging import KeptKeys, judge
from storage.records import ArticleRef, LinkableArticle

SEEDS = Path(__file__).parent / "data" / "pairs" / "seeds"
PUBLISHED = datetime(2022, 6, 15, 12, tzinfo=UTC)
# What a worker must never load: it would hold the crawl's database and reactor code.
CRAWL_ONLY = ("scrapy", "twisted", "sqlalchemy", "alembic", "newsmon")


def _seeds() -> list[LinkableArticle]:
    """The seed articles (a CNN original, its copies, spins and an Italian translation)."""
    articles = []
    for number, path in enumerate(sorted(SEEDS.glob("*.txt")), start=1):
        title, _, text = path.read_text("utf-8").partition("\n\n")
        published = PUBLISHED + timedelta(hours=number)
        language = "it" if path.name.startswith("004") else "en"
        articles.append(
            LinkableArticle(number, f"outlet{number}", title, text, language, published, published)
        )
    return articles


def _ref(article: LinkableArticle) -> ArticleRef:
    a = article
    return ArticleRef(a.id, a.outlet, a.title, a.language, a.published, a.first_seen, "k", 1, "v")


def _pooled_verdicts() -> None:
    """Child side: judge the seeds in a two-worker pool and in this process, and print
    both, which texts the workers asked for, and which top-level packages a worker has
    loaded (a child of its own, so that the fork server ends with it; one hash seed, so
    that set orders agree)."""
    *candidates, article = _seeds()
    texts = {a.id: a.text for a in _seeds()}
    job = LinkJob(
        _ref(article),
        article.text,
        signature(Doc(f"{article.title}\n\n{article.text}", article.language)),
        [_ref(candidate) for candidate in candidates],
    )
    asked: list[list[int]] = []

    def read_texts(refs: Sequence[ArticleRef]) -> dict[int, str]:
        asked.append(sorted(ref.id for ref in refs))
        return {ref.id: texts[ref.id] for ref in refs}

    pool = WorkerPool(2, WORKER_MODULES)
    try:
        pooled = asyncio.run(judge_in_pool(pool, job, read_texts))
        first = sorted(asked)
        asked.clear()
        again = asyncio.run(judge_in_pool(pool, job, read_texts))  # parsed by now
        asked_again = list(asked)
        # A crawl that knows what its workers hold sends the texts with the first call:
        # fresh pictures say they hold nothing, so every text is read once, up front.
        held = [KeptKeys(), KeptKeys()]
        asked.clear()
        told = asyncio.run(judge_in_pool(pool, job, read_texts, held))
        asked_told = sorted(asked)
        asked.clear()
        told_again = asyncio.run(judge_in_pool(pool, job, read_texts, held))
        loaded = asyncio.run(
            pool.run_on(1, eval, "sorted({m.split('.')[0] for m in __import__('sys').modules})")
        )
    finally:
        pool.close()
    inline = judge(article, candidates)
    print(
        json.dumps(
            {
                "pooled": [(i, v._asdict()) for i, v in pooled],
                "again": [(i, v._asdict()) for i, v in again],
                "told": [(i, v._asdict()) for i, v in told],
                "told_again": [(i, v._asdict()) for i, v in told_again],
                "asked_told": asked_told,
                "asked_told_again": asked,
                "inline": [(i, v._asdict()) for i, v in inline],
                "asked_first": first,
                "asked_again": asked_again,
                "loaded": loaded,
            }
        )
    )


def test_verdicts_split_over_the_workers_are_those_of_one_process() -> None:
    child = subprocess.run(
        [sys.executable, "-c", "from tests.test_workers import _pooled_verdicts as f; f()"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[1],
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    found = json.loads(child.stdout)
    assert found["pooled"] == found["inline"]
    assert found["again"] == found["inline"]
    # Each worker asked once for the texts of its share (ids by parity), then never again.
    assert found["asked_first"] == [[1, 3], [2, 4]]
    assert found["asked_again"] == []
    assert found["told"] == found["told_again"] == found["inline"]
    assert found["asked_told"] == [[1, 2, 3, 4]]
    assert found["asked_told_again"] == []
    assert {v["relation"] for _, v in found["inline"]} - {"unrelated"}  # the seeds are related
    assert not set(CRAWL_ONLY) & set(found["loaded"])
    assert {"crawler", "dedup"} <= set(found["loaded"])  # the preloaded pure stages


# Run in a fresh interpreter: the test process's own fork server may already be running.
_CTRL_C_WHILE_PRELOADING = """
import asyncio, os, signal, threading, time
from multiprocessing import forkserver
from crawler.context import WORKER_MODULES
from crawler.workers import WorkerPool

def ctrl_c_while_preloading():
    while getattr(forkserver._forkserver, "_forkserver_pid", None) is None:
        time.sleep(0.005)
    time.sleep(0.2)  # the server is importing the pure stages (a second or more)
    os.kill(forkserver._forkserver._forkserver_pid, signal.SIGINT)

threading.Thread(target=ctrl_c_while_preloading, daemon=True).start()
pool = WorkerPool(1, WORKER_MODULES)
try:
    print(asyncio.run(pool.run(os.getpid)) != os.getpid())
finally:
    pool.close()
"""


def _fresh_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``code`` run by a new interpreter on this tree (so with a fork server of its own)."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parents[1],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )


def test_a_ctrl_c_while_the_fork_server_preloads_does_not_kill_the_pool() -> None:
    """Ctrl-C reaches the whole process group; the fork server, still importing the pure
    stages, must not die of it (a traceback and a lost pool, seen in the interrupt test)."""
    result = _fresh_python(_CTRL_C_WHILE_PRELOADING)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
    assert "Traceback" not in result.stderr


# A fresh interpreter again: this process's fork server would keep the first crawl's tables.
_WARMED_FORK_SERVER = """
import asyncio, json, os, sys
from crawler.context import CrawlContext
from crawler.pages import WARM_LANGUAGES
from dedup.salience import _rarities

context = CrawlContext("sqlite:///" + sys.argv[1], workers=1)
context.expect_languages(["ko"])
context.expect_languages(["ru", "ko"])  # each spider names its outlet's languages
named = context.pool.environ[WARM_LANGUAGES]
try:
    tables, frozen = asyncio.run(context.pool.run(eval, (
        "__import__('dedup.salience').salience._rarities.cache_info().currsize,"
        " __import__('gc').get_freeze_count()"
    )))
finally:
    context.close()
here = {"variable": WARM_LANGUAGES in os.environ, "tables": _rarities.cache_info().currsize}
print(json.dumps({"named": named, "tables": tables, "frozen": frozen, "here": here}))
"""


def test_the_fork_server_loads_the_crawl_languages_word_lists_before_forking(
    tmp_path: Path,
) -> None:
    """A worker starts with the word list of every language the crawl's outlets named,
    loaded by the fork server (shared, out of the workers' garbage collections), before
    its first page; the crawl process itself loads none and keeps its environment."""
    result = _fresh_python(_WARMED_FORK_SERVER, str(tmp_path / "store.db"))
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["named"] == "ko,ru"
    assert found["tables"] == 2  # Korean's and Russian's, before any page
    assert found["frozen"] > 0
    assert found["here"] == {"variable": False, "tables": 0}
