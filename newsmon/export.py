"""Write stored articles out as JSON Lines, CSV or one seed-format text file each.

Titles come from the open web, so a file name built from one must never
leave the target folder or collide with another: names are slugged, capped
and prefixed with the article id.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

from storage.records import ArticleDetail
from storage.views import LineageFields

ExportFormat = Literal["jsonl", "csv", "txt"]

COLUMNS = (
    "id",
    "outlet",
    "url",
    "title",
    "published",
    "language",
    "story_id",
    "source_id",
    "relation",
    "score",
    "authors",
    "topic_score",
    "content_key",
    "extractor_version",
    "fetched_at",
    "text",
)


def safe_filename(article_id: int, title: str, max_chars: int = 80) -> str:
    """`000042-xi-assures-putin.txt`: letters of any script kept, everything else a dash."""
    slug = unicodedata.normalize("NFKC", title).casefold()
    slug = re.sub(r"[^\w]+", "-", slug, flags=re.UNICODE).strip("-_.")[:max_chars].strip("-_.")
    return f"{article_id:06d}-{slug or 'article'}.txt"


def _plain(article: ArticleDetail, lineage: LineageFields) -> dict[str, Any]:
    row = asdict(article) | asdict(lineage)
    row["other_urls"] = [{"url": u.url, "kind": u.kind} for u in article.other_urls]
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}


def export_articles(
    rows: Iterable[tuple[ArticleDetail, LineageFields]], fmt: ExportFormat, out: Path
) -> int:
    """Write every article with its lineage (story, source, relation, score; jsonl and csv);
    returns how many were written."""
    count = 0
    if fmt == "txt":
        out.mkdir(parents=True, exist_ok=True)
        root = out.resolve()
        for row, _ in rows:
            target = (root / safe_filename(row.id, row.title)).resolve()
            if target.parent != root:  # safe_filename forbids it; keep the promise checked
                raise ValueError(f"refusing to write outside {root}: {target}")
            target.write_text(row.seed_text + "\n", encoding="utf-8")
            count += 1
        return count
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        if fmt == "jsonl":
            for row, lineage in rows:
                fh.write(json.dumps(_plain(row, lineage), ensure_ascii=False) + "\n")
                count += 1
        else:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS, extrasaction="ignore")
            writer.writeheader()
            for row, lineage in rows:
                plain = _plain(row, lineage)
                plain["authors"] = "; ".join(row.authors)
                writer.writerow(plain)
                count += 1
    return count
