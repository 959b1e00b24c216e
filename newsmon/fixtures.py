"""Recorded outlet fixtures: one article page plus what extraction must give.

The layout is the one the per-outlet tests read (fundus style):
``tests/fixtures/outlets/<outlet>/<stem>.html`` and ``<stem>.json``. The JSON
starts from the current extraction so a maintainer only has to review it and
add the boilerplate snippets that must stay out.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from crawler.extract import Skipped, extract


def fixture_stem(url: str) -> str:
    path = urlsplit(url).path.rstrip("/")
    stem = re.sub(r"[^\w-]+", "-", path.rsplit("/", 1)[-1].removesuffix(".html")).strip("-")
    return stem[:60] or "index"


class FixtureError(ValueError):
    """The page cannot be recorded: not an article, or a fixture of that name exists."""


def write_fixture(folder: Path, url: str, body: bytes, name: str | None = None) -> Path:
    """Write the page and its expected extraction; returns the HTML path.

    An existing fixture is never overwritten: its JSON holds a maintainer's review.
    """
    result = extract(body, url)
    if isinstance(result, Skipped):
        raise FixtureError(f"{url} is not an article page ({result.reason}); record an article URL")
    folder.mkdir(parents=True, exist_ok=True)
    stem = name or fixture_stem(url)
    html_path = folder / f"{stem}.html"
    for taken in (html_path, folder / f"{stem}.json"):
        if taken.exists():
            raise FixtureError(
                f"{taken} is already recorded (a maintainer reviewed it, so it stays); "
                "pass --name to record this page under another name"
            )
    html_path.write_bytes(body)
    paragraphs = [p for p in result.text.split("\n\n") if p.strip()]
    expected = {
        "url": url,
        "title": result.title,
        "language": result.language,
        "published": result.published.isoformat() if result.published else None,
        "authors": list(result.authors),
        "must_contain": [p[:80] for p in (paragraphs[:1] + paragraphs[-1:])],
        "must_not_contain": [],
        "recorded": f"recorded from {url} on {datetime.now(UTC).date().isoformat()}",
    }
    (folder / f"{stem}.json").write_text(
        json.dumps(expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return html_path
