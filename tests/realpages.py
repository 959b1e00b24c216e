"""The real-page extraction corpus and its scoring (see tests/fixtures/realpages/README.md).

Each page is a real recorded news or blog page whose gold text was written by others (the
Scrapinghub article-extraction benchmark, Mozilla readability's test pages).  A page is
scored two ways: bag-of-words precision/recall/F1 of the extracted text against the gold
body, and snippets — ``must_contain`` lines taken from the gold body, ``must_not_contain``
lines of the page that the gold body leaves out (boilerplate by the gold's own judgement).

The corpus is split once, by a hash of each page's id, into ``dev`` (for development and
tuning) and ``test`` (for the gate only).
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

REAL = Path(__file__).resolve().parent / "fixtures" / "realpages"
SPLITS = ("dev", "test")
#: Each Chinese/Japanese character is one token (those scripts have no spaces), as in
#: ``crawler.boilerplate.word_count``; everything else is a run of word characters.
_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|\w+")


@dataclass(frozen=True)
class RealPage:
    """One recorded page: its bytes as served, where it came from, and its gold."""

    id: str
    source: str
    url: str
    body: bytes
    gold: str
    must_contain: tuple[str, ...]
    must_not_contain: tuple[str, ...]
    outlet: str | None


@cache
def load_split(split: str) -> tuple[RealPage, ...]:
    """The pages of one split; ``html`` is stored as Latin-1 text so the bytes survive JSON."""
    pages = []
    with gzip.open(REAL / f"{split}.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            spec = json.loads(line)
            pages.append(
                RealPage(
                    id=spec["id"],
                    source=spec["source"],
                    url=spec["url"],
                    body=spec["html"].encode("latin-1"),
                    gold=spec["gold"],
                    must_contain=tuple(spec["must_contain"]),
                    must_not_contain=tuple(spec["must_not_contain"]),
                    outlet=spec.get("outlet"),
                )
            )
    return tuple(pages)


def normal(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def bag(text: str) -> Counter[str]:
    return Counter(token.casefold() for token in _TOKEN.findall(text))


def precision_recall_f1(predicted: str, gold: str) -> tuple[float, float, float]:
    """Bag-of-words overlap of one page; an empty prediction scores zero on all three."""
    ours, truth = bag(predicted), bag(gold)
    common = sum((ours & truth).values())
    if not common:
        return 0.0, 0.0, 0.0
    precision = common / sum(ours.values())
    recall = common / sum(truth.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


@dataclass
class RealScore:
    """Per-page figures of one system on one split, summed into the table's columns."""

    precisions: list[float] = field(default_factory=list)
    recalls: list[float] = field(default_factory=list)
    f1s: list[float] = field(default_factory=list)
    found: int = 0
    wanted: int = 0
    leaked: int = 0
    unwanted: int = 0
    empty: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, page: RealPage, text: str) -> None:
        precision, recall, f1 = precision_recall_f1(text, page.gold)
        self.precisions.append(precision)
        self.recalls.append(recall)
        self.f1s.append(f1)
        flat = normal(text)
        self.found += sum(normal(s) in flat for s in page.must_contain)
        self.wanted += len(page.must_contain)
        self.leaked += sum(normal(s) in flat for s in page.must_not_contain)
        self.unwanted += len(page.must_not_contain)
        if not text.strip():
            self.empty.append(page.id)

    def figures(self) -> dict[str, float]:
        return {
            "precision": statistics.fmean(self.precisions),
            "recall": statistics.fmean(self.recalls),
            "f1": statistics.fmean(self.f1s),
            "median_f1": statistics.median(self.f1s),
            "must_contain": self.found / self.wanted,
            "must_not_contain": self.leaked / self.unwanted,
            "empties": float(len(self.empty)),
            "seconds": self.seconds,
        }


def score(
    systems: dict[str, Callable[[RealPage], str]], pages: Sequence[RealPage]
) -> dict[str, RealScore]:
    """Run every system over the pages, page by page in turn, so a busy machine slows them
    alike; time is CPU time of the extraction alone (lazy imports and caches are warmed on
    the first page first)."""
    results = {name: RealScore() for name in systems}
    for run in systems.values():
        run(pages[0])
    for page in pages:
        for name, run in systems.items():
            start = time.process_time()
            text = run(page)
            results[name].seconds += time.process_time() - start
            results[name].add(page, text)
    return results
