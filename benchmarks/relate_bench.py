"""Relation benchmark: verdict throughput, ingest cost as the store grows, quality vs MinHash.

Run ``python benchmarks/relate_bench.py`` from the repository root (a few
minutes on one core). It reports

* relate throughput on one core over the real development pairs
  (`dedup.evaluate`): texts parsed from scratch for every pair as
  ``newsmon relate --pairs`` does, and verdicts on texts parsed once, as the
  crawl's document cache serves them (word lists loaded first in both);
* a digest of those verdicts (relation, score, evidence): a change made for speed
  must leave it as it was (run with one ``PYTHONHASHSEED``: ties in the evidence's
  shared terms follow set order);
* verdicts per second on the pairs a crawl of the bulk site judges (`--bulk`
  generated articles, each against the candidates the index gives it, the older
  one as the source), once with every document parsed first;
* per-article ingest cost (signature + candidate query + verdicts against the
  candidates + story placement) with 1,000, 10,000 and 100,000 generated
  articles already indexed, and the ratios to the 1,000 figure (target: <= 1.5).

Quality is measured by ``python -m dedup.evaluate``, not here.

``--sizes`` and ``--probes`` shrink the run for a quick look.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import random
import statistics
import time

from dedup.candidates import CandidateIndex, DocSignature, signature
from dedup.evaluate import part
from dedup.features import Doc
from dedup.lineage import Relative, StoryProfile, place
from dedup.verdict import Verdict, relate

NAMES = [
    "China",
    "Russia",
    "Putin",
    "Xi Jinping",
    "Lavrov",
    "Wang Yi",
    "NATO",
    "Ukraine",
    "Kremlin",
    "Beijing",
    "Moscow",
    "Mongolia",
    "Kazakhstan",
    "India",
    "Iran",
    "Gazprom",
    "Harbin",
    "Vladivostok",
    "Taiwan",
    "Japan",
    "BRICS",
    "Arctic",
    "Tass",
    "Xinhua",
    "Peskov",
]
ROUNDS = 5
"""Alternating measurement rounds per index size."""
MONTHS = ["January", "March", "April", "June", "July", "August", "October", "December"]


def vocabulary(rng: random.Random, size: int = 4000) -> list[str]:
    syllables = ["ka", "lo", "mi", "ter", "san", "vo", "re", "di", "nu", "pal", "gor", "e", "is"]
    return ["".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(size)]


def article(rng: random.Random, words: list[str]) -> str:
    """A cheap seed-format article: function and content words, names, numbers and dates."""

    def sentence() -> str:
        tokens = [
            rng.choice(words[:40]) if rng.random() < 0.4 else rng.choice(words) for _ in range(14)
        ]
        tokens[rng.randrange(14)] = rng.choice(NAMES)
        if rng.random() < 0.6:
            tokens[rng.randrange(14)] = str(rng.randint(2, 9999))
        if rng.random() < 0.3:
            tokens[rng.randrange(14)] = f"{rng.choice(MONTHS)} {rng.randint(1, 28)}"
        return " ".join(tokens).capitalize() + "."

    title = sentence()
    paragraphs = [" ".join(sentence() for _ in range(2)) for _ in range(4)]
    return "\n\n".join([title, *paragraphs])


def spun(text: str, rng: random.Random, words: list[str]) -> str:
    """A derived probe (every fifth word replaced) whose source is in the store."""
    tokens = text.split(" ")
    for i in range(0, len(tokens), 5):
        tokens[i] = rng.choice(words)
    return " ".join(tokens)


def digest(verdicts: list[Verdict]) -> str:
    """A fingerprint of verdicts, evidence included."""
    found = hashlib.sha256()
    for v in verdicts:
        found.update(json.dumps([v.relation, v.score, v.evidence], sort_keys=True).encode())
    return found.hexdigest()


def bulk_verdicts(articles: int) -> dict[str, float]:
    """Verdicts per second on the bulk site's pairs, as a crawl of it makes them."""
    from crawler.extract import Extracted, extract
    from demoweb.bulk import build_bulk_site

    site = build_bulk_site(articles).outlets[0]
    docs = []
    for path in site.resources:
        if path.startswith("/world/20"):
            found = extract(site.resources[path].body, f"http://127.0.1.2{path}")
            if isinstance(found, Extracted):
                docs.append(Doc(found.seed_text, found.language, found.published))
    index = CandidateIndex()
    pairs: list[tuple[Doc, Doc]] = []
    for n, doc in enumerate(docs):
        sig = signature(doc)
        pairs.extend((docs[int(other)], doc) for other in index.query(sig))
        index.add(str(n), sig)
    for doc in docs:
        doc.features  # noqa: B018 - parsed once, as a crawl's cache holds them
    start = time.process_time()
    for a, b in pairs:
        relate(a, b)
    return {
        "bulk_candidates_per_article": round(len(pairs) / len(docs), 1),
        "bulk_verdicts_per_cpu_second": round(len(pairs) / (time.process_time() - start), 1),
    }


def throughput(pairs: list[dict[str, str]]) -> float:
    start = time.perf_counter()
    for pair in pairs:
        relate(Doc(pair["text_a"]), Doc(pair["text_b"]))
    return len(pairs) / (time.perf_counter() - start)


def ingest_cost(
    index: CandidateIndex,
    texts: dict[str, str],
    stories: dict[str, StoryProfile],
    probes: list[str],
) -> dict[str, float]:
    """Mean milliseconds per probe article (total and per step) and mean candidates.

    Every stored article is a story of its own here, so placement weighs one
    centroid per candidate: the most a placement can cost.
    """
    steps: dict[str, list[float]] = {"signature": [], "query": [], "verdicts": [], "place": []}
    candidates = []
    for text in probes:
        start = time.perf_counter()
        doc = Doc(text)
        sig = signature(doc)
        queried = time.perf_counter()
        found = index.query(sig)
        judged = time.perf_counter()
        relatives = [
            Relative(n, verdict.relation, verdict.score, n)
            for n, doc_id in enumerate(found)
            if (verdict := relate(doc, Doc(texts[doc_id]))).relation != "unrelated"
        ]
        placing = time.perf_counter()
        own = StoryProfile.of(sig.terms, sig.when, sig.language)
        place(relatives, {n: stories[d] for n, d in enumerate(found)}, own, index.specificities)
        steps["signature"].append(queried - start)
        steps["query"].append(judged - queried)
        steps["verdicts"].append(placing - judged)
        steps["place"].append(time.perf_counter() - placing)
        candidates.append(len(found))
    figures = {f"{step}_ms": round(statistics.fmean(v) * 1000, 3) for step, v in steps.items()}
    total = sum(statistics.fmean(v) for v in steps.values()) * 1000
    return {
        "ms_per_article": round(total, 3),
        **figures,
        "candidates": statistics.fmean(candidates),
    }


def main() -> dict[str, object]:
    """Run the benchmark; prints the figures and returns them (for `python -m benchmarks`)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--probes", type=int, default=500)
    parser.add_argument("--bulk", type=int, default=200, help="bulk-site articles (0: none)")
    args = parser.parse_args()
    rng = random.Random(7)
    words = vocabulary(rng)
    pairs = part("real_dev")
    throughput(pairs)  # every language's word list loaded once, as in a running crawl
    parsed = [(Doc(p["text_a"]), Doc(p["text_b"])) for p in pairs]
    for a, b in parsed:
        a.features, b.features  # noqa: B018 - parsed once, as a crawl's cache holds them
    start = time.perf_counter()
    verdicts = [relate(a, b) for a, b in parsed]
    results: dict[str, object] = {
        "relate_pairs_per_second": round(throughput(pairs), 1),
        "verdicts_per_second_parsed": round(len(parsed) / (time.perf_counter() - start), 1),
        "verdicts_digest": digest(verdicts),
    }
    if args.bulk:
        results |= bulk_verdicts(args.bulk)

    sizes = sorted(args.sizes)
    texts: dict[str, str] = {}
    signatures: list[tuple[str, DocSignature]] = []
    build_start = time.perf_counter()
    for n in range(sizes[-1]):
        texts[f"a{n}"] = article(rng, words)
        signatures.append((f"a{n}", signature(Doc(texts[f"a{n}"]))))
    stories = {
        doc_id: StoryProfile.of(sig.terms, sig.when, sig.language) for doc_id, sig in signatures
    }
    indexes: dict[int, CandidateIndex] = {}
    probes: dict[int, list[str]] = {}
    for size in sizes:
        indexes[size] = index = CandidateIndex()
        for doc_id, sig in signatures[:size]:
            index.add(doc_id, sig)
        probe_rng = random.Random(size)
        stored = [texts[f"a{n}"] for n in range(size)]
        probes[size] = [
            spun(probe_rng.choice(stored), probe_rng, words)
            if i % 4 == 0
            else article(probe_rng, words)
            for i in range(args.probes)
        ]
    results["index_build_seconds"] = round(time.perf_counter() - build_start, 1)
    # Sizes are measured in alternating rounds so that load from other processes on a
    # shared machine hits them alike; each figure is the median over rounds. The indexes
    # are long-lived, so the collector is kept from rescanning them during probes.
    gc.collect()
    gc.freeze()
    rounds: dict[int, list[dict[str, float]]] = {size: [] for size in sizes}
    for r in range(ROUNDS):
        for size in sizes:
            rounds[size].append(ingest_cost(indexes[size], texts, stories, probes[size][r::ROUNDS]))
    gc.unfreeze()
    ingest = {
        str(size): {
            key: round(statistics.median(m[key] for m in rounds[size]), 3)
            for key in rounds[size][0]
        }
        for size in sizes
    }
    base = ingest[str(sizes[0])]["ms_per_article"]
    for figures in ingest.values():
        figures["ratio_to_smallest"] = round(figures["ms_per_article"] / base, 3)
    results["ingest"] = ingest
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
