"""The `newsmon` command line as a user runs it: a real child process on a real store."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path

from crawler.outlets import load_registry
from demoweb import SEED_PAGES, expected_seed
from tests.conftest import CrawledStore, run_cli


def _copy(crawled: CrawledStore, tmp_path: Path) -> str:
    copy = tmp_path / "copy.db"
    with sqlite3.connect(crawled.db_path) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    return f"sqlite:///{copy}"


def _count(crawled: CrawledStore, sql: str, *params: object) -> int:
    with sqlite3.connect(crawled.db_path) as con:
        return int(con.execute(sql, params).fetchone()[0])


def test_outlets_lists_the_builtin_registry() -> None:
    result = run_cli("outlets")
    assert result.returncode == 0, result.stderr
    for name in ("cnn", "tass", "xinhua", "ansa", "jordannews"):
        assert name in result.stdout


def test_a_bad_outlets_file_is_one_clear_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "mine.toml"
    bad.write_text(
        '[outlet.typo]\ntitle = "T"\nhomepage = "https://t.example/"\n'
        'languages = ["en"]\nfeed = ["https://t.example/rss"]\n',
        encoding="utf-8",
    )
    result = run_cli("outlets", "--outlets", str(bad))
    assert result.returncode == 2
    assert 'did you mean "feeds"' in result.stderr
    assert "Traceback" not in result.stderr


def test_articles_filters_by_outlet_language_and_date(crawled: CrawledStore) -> None:
    result = run_cli(
        "articles",
        "--outlet",
        "vestnik",
        "--lang",
        "ru",
        "--since",
        "2022-06-15",
        "--limit",
        "100",
        "--db",
        crawled.db_url,
    )
    assert result.returncode == 0, result.stderr
    expected = _count(
        crawled,
        "SELECT count(*) FROM articles a JOIN outlets o ON o.id = a.outlet_id "
        "WHERE o.name = 'vestnik' AND a.language = 'ru' "
        "AND a.published >= '2022-06-15'",
    )
    assert f"{expected} article(s)" in result.stdout
    assert expected > 0
    bad = run_cli("articles", "--since", "soon", "--db", crawled.db_url)
    assert bad.returncode == 2
    assert "2022-06-15" in bad.stderr


def test_search_with_sql_in_it_finds_nothing_and_drops_nothing(crawled: CrawledStore) -> None:
    result = run_cli("articles", "--search", "'; DROP TABLE articles; --", "--db", crawled.db_url)
    assert result.returncode == 0, result.stderr
    assert "0 article(s)" in result.stdout
    assert _count(crawled, "SELECT count(*) FROM articles") > 0


def test_show_prints_the_seed_format(crawled: CrawledStore) -> None:
    stem = sorted(SEED_PAGES)[2]
    expected = expected_seed(stem)
    with sqlite3.connect(crawled.db_path) as con:
        (article_id,) = con.execute(
            "SELECT id FROM articles WHERE title = ?", (expected.title,)
        ).fetchone()
    result = run_cli("show", str(article_id), "--db", crawled.db_url)
    assert result.returncode == 0, result.stderr
    title, blank, first = result.stdout.split("\n")[:3]
    assert title == expected.title
    assert blank == ""
    assert first == expected.paragraphs[0]
    missing = run_cli("show", "999999", "--db", crawled.db_url)
    assert missing.returncode == 2
    assert "newsmon articles" in missing.stderr


def test_export_jsonl_csv_and_txt(crawled: CrawledStore, tmp_path: Path) -> None:
    total = _count(crawled, "SELECT count(*) FROM articles")
    jsonl = tmp_path / "a.jsonl"
    assert (
        run_cli(
            "export", "--format", "jsonl", "--out", str(jsonl), "--db", crawled.db_url
        ).returncode
        == 0
    )
    rows = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == total
    assert {"id", "outlet", "url", "title", "text", "published", "language"} <= set(rows[0])
    table = tmp_path / "a.csv"
    assert (
        run_cli("export", "--format", "csv", "--out", str(table), "--db", crawled.db_url).returncode
        == 0
    )
    with table.open(encoding="utf-8", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == total
    folder = tmp_path / "txt"
    assert (
        run_cli(
            "export", "--format", "txt", "--out", str(folder), "--db", crawled.db_url
        ).returncode
        == 0
    )
    files = sorted(folder.iterdir())
    assert len(files) == total
    first = files[0].read_text(encoding="utf-8")
    assert first.split("\n")[1] == ""


def test_extract_runs_the_crawler_extraction_on_local_files(tmp_path: Path) -> None:
    fixtures = Path(__file__).parent / "fixtures" / "outlets" / "tass"
    result = run_cli("extract", str(fixtures), "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows
    expected = json.loads(next(fixtures.glob("*.json")).read_text(encoding="utf-8"))
    assert rows[0]["title"] == expected["title"]
    for snippet in expected["must_contain"]:
        assert snippet in rows[0]["text"]
    text = run_cli("extract", str(next(fixtures.glob("*.html"))))
    assert text.stdout.startswith(expected["title"] + "\n\n")
    missing = run_cli("extract", str(tmp_path / "nope.html"))
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr


def test_reextract_keeps_articles_and_reports_what_changed(
    crawled: CrawledStore, tmp_path: Path
) -> None:
    db = _copy(crawled, tmp_path)
    result = run_cli("reextract", "--db", db)
    assert result.returncode == 0, result.stderr
    total = _count(crawled, "SELECT count(*) FROM articles")
    assert f"Re-extracted {total} article(s)" in result.stdout
    assert "0 changed" in result.stdout  # same extractor, same text


def test_outlets_add_drafts_an_entry_from_a_homepage(crawled: CrawledStore, tmp_path: Path) -> None:
    mine = tmp_path / "mine.toml"
    home = crawled.web.base_url("gulf_horizon") + "/"
    result = run_cli("outlets", "add", home, "--file", str(mine), "--allow-private")
    assert result.returncode == 0, result.stderr
    entries = tomllib.loads(mine.read_text(encoding="utf-8"))["outlet"]
    (entry,) = entries.values()
    assert any(feed.endswith("/xml/rss/all.xml") for feed in entry["feeds"])
    assert entry["sitemaps"]
    assert load_registry([mine], builtin=False)


def test_record_writes_a_fixture_that_the_extraction_reproduces(
    crawled: CrawledStore, tmp_path: Path
) -> None:
    outlet, path = SEED_PAGES[sorted(SEED_PAGES)[3]]
    result = run_cli(
        "record",
        crawled.web.url(outlet, path),
        "--outlet",
        outlet,
        "--fixtures",
        str(tmp_path),
        "--outlets",
        str(crawled.outlets_file),
        "--allow-private",
    )
    assert result.returncode == 0, result.stderr
    (html,) = (tmp_path / outlet).glob("*.html")
    expected = json.loads(html.with_suffix(".json").read_text(encoding="utf-8"))
    extracted = json.loads(run_cli("extract", str(html), "--format", "jsonl").stdout)
    assert extracted["title"] == expected["title"]
    for snippet in expected["must_contain"]:
        assert snippet in extracted["text"]


def test_runs_and_db_check(crawled: CrawledStore) -> None:
    runs = run_cli("runs", "--db", crawled.db_url)
    assert runs.returncode == 0, runs.stderr
    assert "succeeded" in runs.stdout
    assert run_cli("db", "check", "--db", crawled.db_url).returncode == 0


def test_an_unknown_outlet_is_a_clear_error() -> None:
    result = run_cli("crawl", "--outlet", "no_such_outlet", "--db", "sqlite:///:memory:")
    assert result.returncode == 2
    assert "newsmon outlets" in result.stderr


def test_set_passes_scrapy_settings_to_the_crawl(crawled: CrawledStore, tmp_path: Path) -> None:
    db = tmp_path / "nolink.db"
    result = run_cli(
        "crawl",
        "--outlets",
        str(crawled.outlets_file),
        "--no-builtin",
        "--allow-private",
        "--outlet",
        "trendwire",
        "--db",
        f"sqlite:///{db}",
        "--set",
        "NEWSMON_LINK=false",
    )
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] > 1
        assert con.execute("SELECT count(*) FROM relations").fetchone()[0] == 0
    bad = run_cli("crawl", "--set", "DOWNLOAD_DELAY", "--db", f"sqlite:///{db}")
    assert bad.returncode == 2
    assert "NAME=VALUE" in bad.stderr


def test_scrapy_list_and_crawl_use_the_same_registry(crawled: CrawledStore, tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    listed = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert {"cnn", "tass", "xinhua"} <= set(listed.stdout.split())
    db = tmp_path / "scrapy.db"
    env = {**os.environ, "NEWSMON_OUTLETS": str(crawled.outlets_file)}
    crawl = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "notizie_lampo",
            "-s",
            f"NEWSMON_DB_URL=sqlite:///{db}",
            "-s",
            "NEWSMON_ALLOW_PRIVATE=1",
            "-s",
            "DOWNLOAD_DELAY=0",
            "-s",
            "LOG_LEVEL=WARNING",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert crawl.returncode == 0, crawl.stderr
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] > 0
        assert con.execute("SELECT status, trigger FROM crawl_runs").fetchall() == [
            ("succeeded", "manual")
        ]
