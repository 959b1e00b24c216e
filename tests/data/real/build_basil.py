"""Regenerate stories_basil_dev.jsonl and stories_basil_test.jsonl from BASIL (provenance record).

Not run by the tests. Usage::

    python tests/data/real/build_basil.py SOURCE [--out DIR]

SOURCE is either a directory holding BASIL's ``articles/<year>/<uuid>_<n>.json`` files, or a
bare git directory of a repository that carries them (the snapshot of
github.com/launchnlp/BASIL used for the committed files).

BASIL (Fan et al., EMNLP 2019) holds 100 events of 2010–2019, each reported by three US outlets
of different leanings (Fox News, The New York Times, HuffPost): a story of three reports written
apart, one per outlet. One story = one BASIL triplet. The split is by triplet, hash-ordered.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CORPUS = "basil"


def iter_dir(source: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(source.glob("articles/*/*.json")):
        yield path.stem, json.loads(path.read_text("utf-8"))


def iter_git(git_dir: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "--git-dir", str(git_dir), *args], check=True, capture_output=True, text=True
        ).stdout

    for name in sorted(git("ls-tree", "-r", "--name-only", "HEAD", "articles").split()):
        yield Path(name).stem, json.loads(git("show", f"HEAD:{name}"))


def to_record(name: str, article: dict[str, Any]) -> dict[str, str | None]:
    """One article in the seed format: title line, blank line, one paragraph per BASIL
    paragraph (its sentences joined by spaces). Its id is its file name
    (``<triplet>_<n>``): a few articles carry the uuid "empty"."""
    title = " ".join(article["title"].split())
    paragraphs = [" ".join(" ".join(sentences).split()) for sentences in article["body-paragraphs"]]
    host = urlsplit(article.get("url") or "").hostname or None
    return {
        "id": f"{CORPUS}:{name}",
        "story": f"{CORPUS}:{article['triplet-uuid']}",
        "corpus": CORPUS,
        "title": title,
        "text": "\n\n".join([title, *(p for p in paragraphs if p)]),
        "published": article.get("date") or None,
        "outlet": host.removeprefix("www.") if host else None,
        "lang": "en",
    }


def in_dev(story: str) -> bool:
    """Half the triplets, fixed by a hash of the story id."""
    return hashlib.sha1(story.encode()).digest()[0] % 2 == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    args = parser.parse_args(argv)
    articles = (
        iter_dir(args.source) if (args.source / "articles").is_dir() else iter_git(args.source)
    )
    records = sorted((to_record(n, a) for n, a in articles), key=lambda r: (r["story"], r["id"]))
    parts = {"dev": [r for r in records if in_dev(str(r["story"]))]}
    parts["test"] = [r for r in records if not in_dev(str(r["story"]))]
    for part, rows in parts.items():
        with (args.out / f"stories_basil_{part}.jsonl").open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        stories = {r["story"] for r in rows}
        print(f"{part}: {len(rows)} articles, {len(stories)} stories", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
