"""Issue 14, daily use: tables that fit a normal terminal, errors that say what to do, no
silent empty answers, dates with one meaning each, a scheduler that says what it does.

Every command runs as a user runs it (a child process on a copy of the crawled demo store);
``COLUMNS`` stands in for the terminal's width.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.cells import cell_len

from newsmon.common import UserError, parse_date
from tests.conftest import CrawledStore, crawl_args, run_cli


def _copy(crawled: CrawledStore, tmp_path: Path) -> str:
    copy = tmp_path / "copy.db"
    with sqlite3.connect(crawled.db_path) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    return f"sqlite:///{copy}"


def _at(width: int, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env={**os.environ, "COLUMNS": str(width)})


def _one(crawled: CrawledStore, sql: str) -> int:
    with sqlite3.connect(crawled.db_path) as con:
        return int(con.execute(sql).fetchone()[0])


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def _user_error(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit 2 and one clear sentence (no traceback, no "unexpected")."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    message = " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert "unexpected" not in message
    assert ".." not in message
    for word in words:
        assert word in message, message
    return message


# -- 1. readable at 80, 100 and 200 columns ---------------------------------------------


@pytest.mark.parametrize("width", [80, 100, 200])
def test_no_line_is_wider_than_the_terminal(crawled: CrawledStore, width: int) -> None:
    story = _one(
        crawled,
        "SELECT story_id FROM lineage GROUP BY story_id ORDER BY count(*) DESC LIMIT 1",
    )
    commands = [
        ["articles", "--limit", "100"],
        ["stories"],
        ["story", str(story)],
        ["runs"],
        ["report", "--format", "text"],
        ["outlets", "--outlets", str(crawled.outlets_file)],
    ]
    for command in commands:
        out = _ok(
            _at(width, *command, *(["--db", crawled.db_url] if command[0] != "outlets" else []))
        )
        wide = [line for line in out.splitlines() if cell_len(line) > width]
        assert not wide, (command, wide[:3])


def test_articles_take_at_most_three_lines_each_and_names_stay_whole(
    crawled: CrawledStore,
) -> None:
    out = _ok(_at(80, "articles", "--limit", "100", "--db", crawled.db_url))
    body = out.split("─\n", 1)[1].splitlines()
    rows = [line for line in body if re.match(r"^\s*\d+\s", line)]
    total = _one(crawled, "SELECT count(*) FROM articles")
    assert len(rows) == total
    assert len([line for line in body if line.strip()]) <= 3 * total
    with sqlite3.connect(crawled.db_path) as con:
        names = {name for (name,) in con.execute("SELECT name FROM outlets")}
    for line in rows:
        assert line.split()[1] in names, line  # the whole name, not a piece of it


def test_report_headers_and_outlet_names_are_whole_at_100_columns(crawled: CrawledStore) -> None:
    out = _ok(_at(100, "report", "--format", "text", "--db", crawled.db_url))
    assert "# " not in out
    assert "**" not in out
    for header in ("off-topic", "non-article", "agenzia_orizzonte", "amman_daily"):
        assert header in out
    assert "…" not in out.split("Outlets", 1)[1]


def test_report_into_a_pipe_stays_markdown(crawled: CrawledStore) -> None:
    out = _ok(run_cli("report", "--db", crawled.db_url))
    assert out.startswith("# What is new")
    assert "| outlet |" in out


def test_progress_counts_new_articles_only_and_its_bar_is_bounded(
    crawled: CrawledStore, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = run_cli(
        *crawl_args(crawled.outlets_file, db, "amman_daily", "notizie_lampo"),
        env={**os.environ, "COLUMNS": "200"},
    )
    out = _ok(result)
    with sqlite3.connect(tmp_path / "fresh.db") as con:
        stored = dict(
            con.execute(
                "SELECT o.name, count(*) FROM articles a JOIN outlets o ON o.id = a.outlet_id "
                "GROUP BY o.name"
            ).fetchall()
        )
    duplicates = 0
    for name in ("amman_daily", "notizie_lampo"):
        (line,) = [line for line in out.splitlines() if name in line and "requests" in line]
        assert f"{stored[name]} stored" in " ".join(line.split()), line
        done, total = re.search(r"(\d+)/(\d+)\s+requests", line).groups()  # type: ignore[union-attr]
        assert int(done) == int(total)
        assert line.count("━") <= 40
        duplicates += int(re.search(r"(\d+) skipped", line).group(1))  # type: ignore[union-attr]
    assert duplicates > 0  # the demo web has exact copies at these outlets; they are not "stored"


# -- 2. expected errors are one sentence and exit 2 -----------------------------------


def test_report_of_a_missing_run_or_an_empty_store(crawled: CrawledStore, tmp_path: Path) -> None:
    _user_error(run_cli("report", "99", "--db", crawled.db_url), "No crawl run 99", "newsmon runs")
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    _user_error(run_cli("report", "--db", empty), "newsmon crawl")


def test_export_onto_the_wrong_kind_of_path(crawled: CrawledStore, tmp_path: Path) -> None:
    existing = tmp_path / "articles.csv"
    existing.write_text("keep me", encoding="utf-8")
    _user_error(
        run_cli("export", "--format", "txt", "--out", str(existing), "--db", crawled.db_url),
        "folder",
    )
    assert existing.read_text(encoding="utf-8") == "keep me"
    _user_error(
        run_cli("export", "--format", "csv", "--out", str(tmp_path), "--db", crawled.db_url),
        "file name",
    )


def test_a_postgres_scheme_is_named_as_the_problem() -> None:
    _user_error(run_cli("articles", "--db", "postgres://u@localhost/news"), "postgresql+psycopg://")


def test_a_read_only_store_can_be_listed_and_checked(crawled: CrawledStore, tmp_path: Path) -> None:
    copy = _copy(crawled, tmp_path).removeprefix("sqlite:///")
    read_only = f"sqlite:///file:{copy}?mode=ro&uri=true"
    assert "No scheduled crawl" in _ok(run_cli("schedule", "list", "--db", read_only))
    assert "consistent" in _ok(run_cli("db", "check", "--db", read_only))


def test_a_busy_demo_port_says_why_and_what_to_do(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.2", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("demo", "--port", str(port), "--db", f"sqlite:///{tmp_path / 'd.db'}")
    message = _user_error(result, f"--port {port + 1}")
    assert "None" not in message


def test_outlets_add_refuses_a_non_address_and_takes_a_name(
    crawled: CrawledStore, tmp_path: Path
) -> None:
    _user_error(run_cli("outlets", "add", "not-a-url"), "not a web address", "https://")
    mine = tmp_path / "mine.toml"
    home = crawled.web.base_url("gulf_horizon") + "/"
    _ok(run_cli("outlets", "add", home, "--file", str(mine), "--allow-private"))
    _user_error(run_cli("outlets", "add", home, "--file", str(mine), "--allow-private"), "--name")
    _ok(run_cli("outlets", "add", home, "--file", str(mine), "--allow-private", "--name", "gh2"))
    assert "[outlet.gh2]" in mine.read_text(encoding="utf-8")


# -- 3. no silent nothing ---------------------------------------------------------------


def test_unknown_outlet_and_language_are_errors_that_list_what_exists(
    crawled: CrawledStore,
) -> None:
    _user_error(
        run_cli("articles", "--outlet", "gulf_horizn", "--db", crawled.db_url),
        "gulf_horizon",
        "vestnik",
    )
    _user_error(run_cli("articles", "--lang", "klingon", "--db", crawled.db_url), "ru (Russian)")
    by_name = _ok(
        run_cli("articles", "--lang", "Russian", "--limit", "100", "--db", crawled.db_url)
    )
    by_code = _ok(run_cli("articles", "--lang", "ru", "--limit", "100", "--db", crawled.db_url))
    assert by_name == by_code
    count = _one(crawled, "SELECT count(*) FROM articles WHERE language = 'ru'")
    assert f"{count} article(s)" in by_code
    assert count > 0
    none = _ok(run_cli("articles", "--lang", "fr", "--db", crawled.db_url))
    assert "No article in 'fr'" in " ".join(none.split())


def test_a_negative_limit_is_refused_and_a_cut_list_says_how_many_exist(
    crawled: CrawledStore,
) -> None:
    assert run_cli("articles", "--limit", "-5", "--db", crawled.db_url).returncode == 2
    total = _one(crawled, "SELECT count(*) FROM articles")
    out = _ok(run_cli("articles", "--limit", "5", "--db", crawled.db_url))
    assert f"5 of {total} articles" in out
    assert f"--limit {total}" in out


def test_extract_of_a_folder_without_html_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no html here", encoding="utf-8")
    _user_error(run_cli("extract", str(tmp_path)), "No .html")


def test_record_refuses_an_unknown_outlet_and_keeps_a_reviewed_fixture(
    crawled: CrawledStore, tmp_path: Path
) -> None:
    url = crawled.web.url("trendwire", "/")
    _user_error(
        run_cli("record", url, "--outlet", "nosuch", "--fixtures", str(tmp_path)),
        "Unknown outlet",
    )
    env = {**os.environ, "NEWSMON_OUTLETS": str(crawled.outlets_file)}
    articles = _one(crawled, "SELECT count(*) FROM articles")
    assert articles
    with sqlite3.connect(crawled.db_path) as con:
        (page,) = con.execute(
            "SELECT a.url FROM articles a JOIN outlets o ON o.id = a.outlet_id "
            "WHERE o.name = 'vestnik' LIMIT 1"
        ).fetchone()
    args = ["record", page, "--outlet", "vestnik", "--fixtures", str(tmp_path), "--allow-private"]
    first = run_cli(*args, env=env)
    assert first.returncode == 0, first.stderr
    (json_file,) = (tmp_path / "vestnik").glob("*.json")
    json_file.write_text('{"reviewed": true}', encoding="utf-8")
    _user_error(run_cli(*args, env=env), "already recorded", "--name")
    assert json_file.read_text(encoding="utf-8") == '{"reviewed": true}'


# -- 4. dates: one meaning per option, relative forms -------------------------------------


def test_relative_dates() -> None:
    now = datetime(2022, 6, 16, 15, 30, tzinfo=UTC)
    assert parse_date("yesterday", "--x", now) == datetime(2022, 6, 15, tzinfo=UTC)
    assert parse_date("today", "--x", now) == datetime(2022, 6, 16, tzinfo=UTC)
    assert parse_date("7d", "--x", now) == datetime(2022, 6, 9, 15, 30, tzinfo=UTC)
    assert parse_date("12h", "--x", now) == datetime(2022, 6, 16, 3, 30, tzinfo=UTC)
    assert parse_date("2w", "--x", now) == datetime(2022, 6, 2, 15, 30, tzinfo=UTC)
    assert parse_date("2022-06-15", "--x", now) == datetime(2022, 6, 15, tzinfo=UTC)
    with pytest.raises(UserError, match="--x 'soon'"):
        parse_date("soon", "--x", now)


def test_published_since_and_crawled_since_say_which_time_they_mean(
    crawled: CrawledStore,
) -> None:
    published = _ok(
        run_cli(
            "articles", "--published-since", "2022-06-16", "--limit", "100", "--db", crawled.db_url
        )
    )
    expected = _one(
        crawled,
        "SELECT count(*) FROM articles WHERE coalesce(published, first_seen) >= '2022-06-16'",
    )
    assert f"{expected} article(s)" in published
    old_spelling = run_cli(
        "articles", "--since", "2022-06-16", "--limit", "100", "--db", crawled.db_url
    )
    assert _ok(old_spelling) == published
    # Crawled today: everything, February articles included, and the title says so.
    report = _ok(run_cli("report", "--crawled-since", "today", "--db", crawled.db_url))
    assert report.startswith("# What is new since")
    assert "2022-02-0" in report
    assert "--crawled-since" in _ok(run_cli("report", "--help"))


# -- 5. the scheduler ----------------------------------------------------------------------


def test_schedule_list_changes_nothing_and_add_refuses_unknown_outlets(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    assert "No scheduled crawl" in _ok(run_cli("schedule", "list", "--db", db))
    _user_error(
        run_cli("schedule", "add", "--outlet", "nosuch", "--every", "6h", "--db", db),
        "Unknown outlet",
    )
    _ok(run_cli("schedule", "add", "--outlet", "tass", "--every", "6h", "--db", db))
    _ok(run_cli("schedule", "add", "--cron", "0 6 * * *", "--db", db))
    listed = _ok(run_cli("schedule", "list", "--db", db))
    assert "daily-all-outlets" not in listed
    assert "every 6h" in listed
    assert "cron 0 6 * * *" in listed


def test_schedule_start_logs_each_run_with_its_figures(
    crawled: CrawledStore, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'sched.db'}"
    add = [
        "schedule", "add", "--outlets", str(crawled.outlets_file), "--no-builtin",
        "--allow-private", "--outlet", "notizie_lampo", "--every", "2s", "--db", db,
    ]  # fmt: skip
    _ok(run_cli(*add))
    service = subprocess.Popen(
        [sys.executable, "-m", "newsmon", "schedule", "start", "--db", db],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    try:
        assert service.stdout is not None
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = service.stdout.readline()
            if not line:
                break
            lines.append(line)
            if re.search(r"crawl run \d+ (succeeded|partial|failed)", line):
                break
    finally:
        service.send_signal(signal.SIGTERM)
        rest, _ = service.communicate(timeout=120)
    out = "".join(lines) + rest
    assert "crawl-notizie_lampo-every-2s: notizie_lampo, every 2s" in out
    assert re.search(r"crawl run (\d+) started: notizie_lampo", out), out
    ended = re.search(
        r"crawl run (\d+) succeeded in \S+: 1 outlet\(s\), (\d+) fetched, (\d+) stored", out
    )
    assert ended, out
    with sqlite3.connect(tmp_path / "sched.db") as con:
        stored = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert int(ended.group(3)) == stored > 0
    assert "Scheduler stopped." in out


# -- 8. any topic ----------------------------------------------------------------------------

IRAN_TALKS = """\
name = "Iran nuclear talks"
languages = ["en", "ru", "it"]
sides = ["iran", "nuclear"]
boost = ["talks"]
threshold = 0.3  # one mention of each side in a headline

[concept.iran]
side = "iran"
terms = ["Iran", "Iranian*", "Tehran", "Иран*", "Тегеран*", "iranian*", "Teheran"]

[concept.nuclear]
side = "nuclear"
terms = ["nuclear", "uranium", "enrichment", "ядерн*", "уран*", "nucleare", "uranio"]

[concept.talks]
side = "talks"
terms = ["talks", "negotiation*", "переговор*", "negoziat*", "colloqui"]
"""

ENERGY = """\
name = "Energy trade"
languages = ["en", "ru", "it"]
sides = ["energy"]
threshold = 0.35  # two mentions

[concept.oil_gas]
side = "energy"
terms = ["oil", "crude", "gas", "energy", "petrolio", "greggio", "energia", "нефт*", "газ*",
         "энергетик*"]
"""


def test_a_topic_of_ones_own_scores_in_each_of_its_languages(tmp_path: Path) -> None:
    from crawler.topic import load_topic

    path = tmp_path / "iran.toml"
    path.write_text(IRAN_TALKS, encoding="utf-8")
    topic = load_topic(path)
    for text in (
        "Iran and the IAEA resume talks on uranium enrichment in Vienna.",
        "Иран и МАГАТЭ возобновили переговоры об обогащении урана.",
        "L'Iran riprende i negoziati sul programma nucleare.",
    ):
        assert topic.is_relevant(topic.score(text)), text
    assert topic.score("Tehran hosts a football final.").score == 0  # one side is not enough
    assert topic.score("Iran nuclear plan").score < topic.score("Iran nuclear talks").score


def test_topics_check_show_and_a_bad_side(tmp_path: Path) -> None:
    path = tmp_path / "iran.toml"
    path.write_text(IRAN_TALKS, encoding="utf-8")
    checked = _ok(run_cli("topics", "check", str(path)))
    assert "valid topic" in checked
    assert "iran AND nuclear" in checked
    assert "nuclear" in _ok(run_cli("topics", "show", str(path)))
    assert "china AND russia" in _ok(run_cli("topics", "show"))
    bad = tmp_path / "bad.toml"
    bad.write_text(IRAN_TALKS.replace('side = "talks"', 'side = "talk"'), encoding="utf-8")
    _user_error(run_cli("topics", "check", str(bad)), "'talk'", "iran, nuclear, talks")


def test_a_crawl_keeps_articles_for_a_topic_of_ones_own_and_apply_rescores(
    crawled: CrawledStore, tmp_path: Path
) -> None:
    topic = tmp_path / "energy.toml"
    topic.write_text(ENERGY, encoding="utf-8")
    _ok(run_cli("topics", "check", str(topic)))
    db = tmp_path / "energy.db"
    env = {name: value for name, value in os.environ.items() if name != "COLUMNS"} | {
        "NEWSMON_TOPIC": str(topic)
    }
    outlets = ("meridian_news", "agenzia_orizzonte", "vestnik")
    _ok(run_cli(*crawl_args(crawled.outlets_file, f"sqlite:///{db}", *outlets), env=env))
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT language, topic_score, title FROM articles").fetchall()
    assert {"en", "it", "ru"} <= {language for language, _, _ in rows}
    assert all(score >= 0.35 for _, score, _ in rows), rows
    with sqlite3.connect(crawled.db_path) as con:
        (everything,) = con.execute(
            "SELECT count(*) FROM articles a JOIN outlets o ON o.id = a.outlet_id "
            f"WHERE o.name IN {outlets}"
        ).fetchone()
    assert 0 < len(rows) < everything  # the China-Russia articles without energy stayed out
    # Back to the built-in topic: every stored article is re-scored, none is deleted.
    applied = _ok(run_cli("topics", "apply", "--db", f"sqlite:///{db}"))
    assert f"Scored {len(rows)} article(s) for Sino-Russian diplomacy" in applied
    listed = _ok(run_cli("articles", "--min-score", "0.99", "--db", f"sqlite:///{db}"))
    with sqlite3.connect(db) as con:
        (high,) = con.execute("SELECT count(*) FROM articles WHERE topic_score >= 0.99").fetchone()
    assert f"{high} article(s)" in listed
