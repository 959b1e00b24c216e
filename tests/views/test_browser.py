"""`newsmon serve` as a real server, loaded in a real headless browser (Debian's chromium)."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import html

from tests.conftest import run_cli
from tests.views.conftest import Seeds

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium (.ci/run installs it)")


@pytest.fixture
def server(relinked: str) -> Iterator[str]:
    """`newsmon serve --port 0`: the address it prints, until the test ends."""
    child = subprocess.Popen(
        [sys.executable, "-m", "newsmon", "serve", "--db", relinked, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+/", line)
        if not found:
            child.kill()  # so that reading its error output ends
            pytest.fail(line + (child.stderr.read() if child.stderr else ""))
        yield found.group()
    finally:
        child.send_signal(signal.SIGINT)
        child.wait(timeout=30)


def _chromium(*args: str, tmp_path: Path) -> str:
    result = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",  # tests run as root in CI containers
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_the_story_page_in_a_browser(server: str, seeds: Seeds, tmp_path: Path) -> None:
    page = f"{server}-/newsmon/story/{seeds.story}"
    dom = html.fromstring(_chromium("--dump-dom", page, tmp_path=tmp_path))
    assert dom.xpath("//h1")[0].text_content().startswith(f"Story {seeds.story}:")
    role = {
        int(row.get("data-article")): row.get("data-role")
        for row in dom.xpath("//table[contains(@class, 'members')]/tbody/tr")
    }
    ids = seeds.ids
    assert [role[ids[s]] for s in ("000", "001", "004", "002", "003")] == [
        "source",
        "rewrite",
        "translation",
        "report",
        "report",
    ]
    # The inline SVG is part of the rendered document: one node per member.
    nodes = dom.xpath("//*[local-name()='svg']//*[local-name()='g'][@data-article]")
    assert {int(n.get("data-article")) for n in nodes} == set(role)
    shot = tmp_path / "story-page.png"
    _chromium("--window-size=1280,1400", f"--screenshot={shot}", page, tmp_path=tmp_path)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"screenshot of the story page: {shot}")


def test_a_chinese_word_is_found_in_the_browser_and_by_newsmon(
    server: str, relinked: str, tmp_path: Path
) -> None:
    database = Path(relinked.split("///", 1)[1]).stem
    dom = html.fromstring(
        _chromium("--dump-dom", f"{server}{database}/articles?_search=普京", tmp_path=tmp_path)
    )
    web = {cell.text_content().strip() for cell in dom.xpath("//td[contains(@class, 'col-id')]")}
    cli = run_cli("articles", "--search", "普京", "--db", relinked)
    assert cli.returncode == 0, cli.stderr
    listed = set(re.findall(r"^ *(\d+)  +\S", cli.stdout, flags=re.MULTILINE))
    assert web
    assert web == listed


def test_serve_refuses_what_it_cannot_open(tmp_path: Path) -> None:
    missing = run_cli("serve", "--db", f"sqlite:///{tmp_path / 'none.db'}", "--port", "0")
    assert missing.returncode == 2
    assert "newsmon demo" in missing.stderr
    server_store = run_cli("serve", "--db", "postgresql+psycopg://u@127.0.0.1/x", "--port", "0")
    assert server_store.returncode == 2
    assert "SQLite" in server_store.stderr
