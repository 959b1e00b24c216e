"""Unit tests of the downloader middlewares' pure parts."""

from __future__ import annotations

from datetime import UTC, datetime

from crawler.middlewares import retry_after_seconds

NOW = datetime(2022, 6, 15, 12, 0, tzinfo=UTC)


def test_retry_after_in_seconds_and_as_a_date() -> None:
    assert retry_after_seconds("5", NOW, cap=60) == 5
    assert retry_after_seconds("Wed, 15 Jun 2022 12:00:30 GMT", NOW, cap=60) == 30


def test_retry_after_is_capped_and_never_negative() -> None:
    assert retry_after_seconds("3600", NOW, cap=60) == 60
    assert retry_after_seconds("Wed, 15 Jun 2022 11:00:00 GMT", NOW, cap=60) == 0


def test_a_missing_or_broken_retry_after_means_no_wait() -> None:
    assert retry_after_seconds(None, NOW, cap=60) == 0
    assert retry_after_seconds("soon", NOW, cap=60) == 0
