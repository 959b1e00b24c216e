"""Every `newsmon` command the README shows runs as shown, after a crawl of the demo web.

The commands are read from the README's ``bash`` blocks and run in a folder holding a copy
of the crawled store as ``./newsmon.db``, as a reader who has just run ``newsmon demo``
would. A command that cannot run here is listed in `NOT_RUN` with the reason and the test
that covers it, so a new command in the README fails this test until it is either runnable
or listed.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from crawler.outlets import load_registry
from crawler.topic import load_topic
from tests.conftest import CrawledStore

README = Path(__file__).parents[1] / "README.md"
SEEDS = Path(__file__).parent / "data" / "pairs" / "seeds"

NOT_RUN = {
    "newsmon demo": "the main job itself; the crawled fixture stands in (tests/test_demoweb.py)",
    "newsmon demo --next-day": "a second demo crawl (tests/test_demoweb.py covers day two)",
    "newsmon serve": "a foreground web server; tests/views/test_browser.py runs it on port 0 "
    "and loads its pages in headless chromium",
    "newsmon schedule start": "a foreground service (tests/test_scheduler_jobs.py)",
    "newsmon schedule run-now --outlet tass": "crawls a real outlet: no network in tests",
    "newsmon crawl --outlet tass --outlet xinhua_en": "crawls real outlets: no network in tests",
    "newsmon crawl": "crawls every real outlet: no network in tests",
    "newsmon outlets check xinhua_en": "fetches a real outlet: no network in tests "
    "(tests/test_outlets.py checks outlets over loopback)",
    "newsmon report [RUN_ID | --crawled-since yesterday] [--format text|md|json]": "a synopsis; "
    "its forms are run below",
}
SYNOPSIS_FORMS = (
    "newsmon report 1",
    "newsmon report --crawled-since 2022-06-15",
    "newsmon report --crawled-since 7d",
    "newsmon report --format text",
    "newsmon report --format json",
)


def readme_commands() -> list[str]:
    """The `newsmon` commands of the README's bash blocks (also after `&&`), comments cut off."""
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text("utf-8"), re.DOTALL)
    lines = (line.split("  #")[0] for block in blocks for line in block.splitlines())
    commands = (part.strip() for line in lines for part in line.split("&&"))
    return [c for c in commands if c.startswith("newsmon ") or c == "newsmon"]


def test_every_readme_command_is_run_or_says_why_not() -> None:
    commands = readme_commands()
    assert "newsmon articles" in commands
    assert set(NOT_RUN) <= set(commands), set(NOT_RUN) - set(commands)


@pytest.fixture(scope="module")
def reader_folder(crawled: CrawledStore, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder as a reader has it after the demo: ./newsmon.db, two texts, a pairs file and
    the README's topic file."""
    folder = tmp_path_factory.mktemp("reader")
    with sqlite3.connect(crawled.db_path) as src, sqlite3.connect(folder / "newsmon.db") as dst:
        src.backup(dst)
    seeds = sorted(SEEDS.glob("*.txt"))
    (folder / "a.txt").write_text(seeds[0].read_text("utf-8"), encoding="utf-8")
    (folder / "b.txt").write_text(seeds[1].read_text("utf-8"), encoding="utf-8")
    pairs = [
        {
            "id": f"{a.stem[:3]}-{b.stem[:3]}",
            "text_a": a.read_text("utf-8"),
            "text_b": b.read_text("utf-8"),
        }
        for a, b in itertools.pairwise(seeds)
    ]
    (topic,) = [block for block in readme_toml_blocks() if "[concept." in block]
    (folder / "iran-talks.toml").write_text(topic, encoding="utf-8")
    (folder / "pairs.jsonl").write_text(
        "".join(json.dumps(p) + "\n" for p in pairs), encoding="utf-8"
    )
    return folder


# What a reader puts for ID, read from the store as they read it from a listing.
ID_FROM = {
    "story": "SELECT min(id) FROM stories",
    "articles": "SELECT min(id) FROM stories",
    "export": "SELECT min(id) FROM stories",
    "show": "SELECT min(id) FROM articles",
    "rewrites": "SELECT min(article_id) FROM relations WHERE relation = 'translation'",
}


def _as_run_here(command: str, folder: Path) -> list[str]:
    """The command's arguments, with ID replaced by an id the reader sees in a listing."""
    args = command.split()[1:]
    if "ID" in args:
        with sqlite3.connect(folder / "newsmon.db") as con:
            (found,) = con.execute(ID_FROM[args[0]]).fetchone()
        args = [str(found) if arg == "ID" else arg for arg in args]
    return args


@pytest.mark.parametrize(
    "command", [c for c in readme_commands() if c not in NOT_RUN] + list(SYNOPSIS_FORMS)
)
def test_readme_command_runs(command: str, reader_folder: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "newsmon", *_as_run_here(command, reader_folder)],
        cwd=reader_folder,
        # The checkout under test, whatever the folder the command runs in.
        env={**os.environ, "PYTHONPATH": str(README.parent)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"`{command}` exited {result.returncode}: {result.stderr}"
    assert "Traceback" not in result.stderr
    assert result.stdout.strip() or result.stderr.strip(), f"`{command}` printed nothing"


def readme_toml_blocks() -> list[str]:
    """The README's ``toml`` blocks, dedented as a reader copies them."""
    blocks = re.findall(r"```toml\n(.*?)```", README.read_text("utf-8"), re.DOTALL)
    return [textwrap.dedent(block) for block in blocks]


def test_every_toml_block_in_the_readme_loads(tmp_path: Path) -> None:
    """An outlet entry loads into the registry, a topic loads as a topic; nothing else."""
    blocks = readme_toml_blocks()
    kinds = []
    for number, block in enumerate(blocks):
        mine = tmp_path / f"readme-{number}.toml"
        mine.write_text(block, encoding="utf-8")
        if "[outlet." in block:
            assert load_registry([mine], builtin=False), block
            kinds.append("outlet")
        else:
            assert load_topic(mine).concepts, block
            kinds.append("topic")
    assert sorted(kinds) == ["outlet", "topic"]
