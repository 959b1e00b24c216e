"""Interruption is a first-class state (issue 11): Ctrl-C at any point of `newsmon demo`
loses nothing, says so in one line, and the next run ends where one uninterrupted run ends.

Each kill point is a fresh store: the demo is started in its own session (a terminal's
process group), SIGINT goes to the whole group as Ctrl-C does, and `newsmon demo` is
run again. The store is then compared with one uninterrupted demo crawl:

- the same articles, an article being all the URLs it is known under (of two pages with
  one text, the one published first is the article and the other its syndicated copy);
- the same derived relations (exact, near-duplicate, rewrite, translation) between them;
  `same_story` relations are not compared, they depend on the order of linking;
- every article placed in a story, with every derived relative in its story.

Stories are not compared whole: which pairs a crawl judges depends on the order articles
arrive in, in any crawl; story placement belongs to `dedup.lineage`, not to this test.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import wait_for_no_descendants

pytestmark = pytest.mark.slow

DERIVED = ("exact", "near_duplicate", "rewrite", "translation")
# Long enough for a demo crawl on a slow machine; the test fails rather than hangs.
DEMO_TIMEOUT = 300


Known = frozenset[str]  # an article: every URL it is known under, without the port


@dataclass(frozen=True)
class Lineage:
    articles: frozenset[Known]
    derived: frozenset[tuple[frozenset[Known], str]]
    stories: frozenset[frozenset[Known]]


def _query(db: Path, sql: str) -> list[tuple[object, ...]]:
    try:
        with sqlite3.connect(db, timeout=30) as con:
            return con.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []  # not created yet


def _page(url: object) -> str:
    """A URL without its port: each demo run serves the same web on a port of its own."""
    parts = urlsplit(str(url))
    return parts._replace(netloc=parts.hostname or "").geturl()


def _lineage(db: Path) -> Lineage:
    known: dict[object, set[str]] = {}
    for article, url in _query(db, "SELECT article_id, url FROM article_urls"):
        known.setdefault(article, set()).add(_page(url))
    article = {key: frozenset(urls) for key, urls in known.items()}
    derived = _query(
        db, f"SELECT article_id, related_id, relation FROM relations WHERE relation IN {DERIVED}"
    )
    stories: dict[object, set[frozenset[str]]] = {}
    for member, story in _query(db, "SELECT article_id, story_id FROM lineage"):
        stories.setdefault(story, set()).add(article[member])
    return Lineage(
        frozenset(article.values()),
        frozenset((frozenset((article[a], article[b])), str(rel)) for a, b, rel in derived),
        frozenset(frozenset(members) for members in stories.values()),
    )


def _families_split(lineage: Lineage) -> list[frozenset[Known]]:
    """Derived relatives placed in different stories (there should be none)."""
    story_of = {member: story for story in lineage.stories for member in story}
    return [pair for pair, _ in lineage.derived if len({story_of[m] for m in pair}) > 1]


def _unplaced(db: Path) -> list[tuple[object, ...]]:
    return _query(
        db,
        "SELECT id FROM articles WHERE id NOT IN "
        "(SELECT article_id FROM lineage WHERE story_id IS NOT NULL)",
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _demo(db: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "newsmon", "demo", "--db", f"sqlite:///{db}", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _finish(demo: subprocess.Popen[str]) -> tuple[int, str]:
    out, err = demo.communicate(timeout=DEMO_TIMEOUT)
    return demo.returncode, out + err


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Lineage:
    db = tmp_path_factory.mktemp("uninterrupted") / "newsmon.db"
    code, output = _finish(_demo(db, _free_port()))
    assert code == 0, output
    crawled = _lineage(db)
    assert len(crawled.articles) > 30
    assert crawled.derived
    assert not _unplaced(db)
    assert not _families_split(crawled)
    return crawled


# (name, SQL whose first value reaching `at_least` is the moment to press Ctrl-C)
KILL_POINTS = [
    ("run_opened", "SELECT count(*) FROM crawl_runs", 1),
    ("first_article", "SELECT count(*) FROM articles", 1),
    ("a_third", "SELECT count(*) FROM articles", 14),
    ("two_thirds", "SELECT count(*) FROM articles", 28),
]


@pytest.mark.parametrize(("name", "sql", "at_least"), KILL_POINTS, ids=[k[0] for k in KILL_POINTS])
def test_ctrl_c_then_rerun_ends_like_an_uninterrupted_crawl(
    uninterrupted: Lineage, tmp_path: Path, name: str, sql: str, at_least: int
) -> None:
    db = tmp_path / "newsmon.db"
    port = _free_port()
    demo = _demo(db, port)
    reached = False
    while demo.poll() is None and not reached:
        rows = _query(db, sql)
        reached = bool(rows) and int(str(rows[0][0])) >= at_least
        time.sleep(0.02)
    assert reached, f"the demo ended before {name}: {_finish(demo)[1]}"
    os.killpg(demo.pid, signal.SIGINT)
    code, output = _finish(demo)

    assert code == 130, output
    assert "Traceback" not in output
    assert "leaked semaphore" not in output
    assert "interrupted by SIGINT" in output
    assert _query(db, "SELECT count(*) FROM crawl_runs WHERE status = 'running'") == [(0,)]
    assert _query(db, "SELECT status FROM crawl_runs ORDER BY id DESC LIMIT 1") in (
        [("interrupted",)],
        [],  # stopped before the crawl opened its run
    )

    code, output = _finish(_demo(db, port))
    assert code == 0, output
    resumed = _lineage(db)
    assert resumed.articles == uninterrupted.articles
    assert resumed.derived == uninterrupted.derived
    assert not _unplaced(db)
    assert not _families_split(resumed)
    assert _query(db, "SELECT count(*) FROM crawl_runs WHERE status = 'running'") == [(0,)]
    assert not _query(
        db, "SELECT id FROM articles WHERE id NOT IN (SELECT article_id FROM article_signatures)"
    )
    assert not wait_for_no_descendants(os.getpid()), "a process outlived the demo"
