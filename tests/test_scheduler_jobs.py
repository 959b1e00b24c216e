"""The child crawl of a scheduled job gets the store URL without showing it."""

from __future__ import annotations

import pytest

from scheduler.jobs import child_env, crawl_command
from storage.db import ENV_URL

URL = "postgresql+psycopg://newsmon:s3cret@127.0.0.1:5432/newsmon"


def test_the_store_url_travels_in_the_environment_not_the_command_line() -> None:
    """`ps` shows every user the command line; a database password must not be on it."""
    cmd = crawl_command(["tass"], ["outlets.toml"], run_id=7)
    assert not any("s3cret" in part for part in cmd)
    assert "--db" not in cmd
    assert cmd[cmd.index("--run-id") + 1] == "7"
    assert child_env(URL)[ENV_URL] == URL


def test_without_a_url_the_child_inherits_the_callers_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV_URL, "sqlite:///elsewhere.db")
    assert child_env(None)[ENV_URL] == "sqlite:///elsewhere.db"
