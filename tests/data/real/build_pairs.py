"""Rebuild tests/data/real/pairs_{dev,test}.jsonl from WMT news-task snapshots.

Provenance script: not run by the tests. Usage::

    python tests/data/real/build_pairs.py WMT21_GIT WMT22_GIT WMT23_GIT NTREX_GIT [OUT_DIR]

Each argument is a bare git directory of a snapshot of
github.com/wmt-conference/wmt2{1,2,3}-news-systems and github.com/MicrosoftTranslator/NTREX
(read with ``git show HEAD:...``).

Every document is a real news article of a WMT test set with its source text, its human
reference translation(s) and the primary systems' machine translations, aligned segment by
segment. Pairs (text_a, text_b, relation):

* source vs human reference / vs one MT output: ``translation``;
* reference vs MT output, two MT outputs, two independent references (same language,
  all derived from one source document): ``rewrite``;
* two different documents of the same test sets (same or different language): ``unrelated``.

NTREX-128 adds human translations of the English newstest2019 documents into more languages
and scripts (source vs reference: ``translation``; two independent references in one
language, e.g. Spain vs Mexico Spanish: ``rewrite``).

The split into dev and test is by document: a document (test set + WMT doc id) lands in one
part, and negatives only pair documents of the same part.
"""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

MAX_CHARS = 2400  # per text, title included
MAX_PARAS = 12
SEGS_PER_PARA = 3
NO_SPACE_LANGS = frozenset({"zh", "ja", "th"})

# (snapshot index, XML file, test-set name, keep only this domain or None)
XML_SETS: list[tuple[int, str, str, str | None]] = [
    (0, "xml/newstest2021.en-ja.all.xml", "wmt21", None),
    (0, "xml/newstest2021.en-is.all.xml", "wmt21", None),
    (0, "xml/newstest2021.ja-en.all.xml", "wmt21", None),
    (0, "xml/newstest2021.ru-en.all.xml", "wmt21", None),
    (0, "xml/newstest2021.is-en.all.xml", "wmt21", None),
    (0, "xml/newstest2021.de-fr.all.xml", "wmt21", None),
    (0, "xml/newstest2021.fr-de.all.xml", "wmt21", None),
    (1, "xml/wmttest2022.en-zh.all.xml", "wmt22", "news"),
    (1, "xml/wmttest2022.en-hr.all.xml", "wmt22", "news"),
    (1, "xml/wmttest2022.ja-en.all.xml", "wmt22", "news"),
    (1, "xml/wmttest2022.ru-en.all.xml", "wmt22", "news"),
    (1, "xml/wmttest2022.de-fr.all.xml", "wmt22", "news"),
    (1, "xml/wmttest2022.fr-de.all.xml", "wmt22", "news"),
    (2, "xml/wmttest2023.ru-en.all.xml", "wmt23", "news"),
    (2, "xml/wmttest2023.uk-en.all.xml", "wmt23", "news"),
]
# Pairs whose XML is too large for the snapshot: their plain-text files share the English
# source with an XML set above, which gives the document boundaries.
# (snapshot index, txt prefix, pair, test-set name, XML giving boundaries)
TXT_SETS: list[tuple[int, str, str, str, str]] = [
    (0, "newstest2021", "en-ru", "wmt21", "xml/newstest2021.en-ja.all.xml"),
    (0, "newstest2021", "en-zh", "wmt21", "xml/newstest2021.en-ja.all.xml"),
    (0, "newstest2021", "en-de", "wmt21", "xml/newstest2021.en-ja.all.xml"),
    (0, "newstest2021", "en-cs", "wmt21", "xml/newstest2021.en-ja.all.xml"),
    (0, "newstest2021", "en-ha", "wmt21", "xml/newstest2021.en-ja.all.xml"),
    (1, "generaltest2022", "en-ru", "wmt22", "xml/wmttest2022.en-zh.all.xml"),
    (1, "generaltest2022", "en-de", "wmt22", "xml/wmttest2022.en-zh.all.xml"),
    (1, "generaltest2022", "en-ja", "wmt22", "xml/wmttest2022.en-zh.all.xml"),
    (1, "generaltest2022", "en-cs", "wmt22", "xml/wmttest2022.en-zh.all.xml"),
    (1, "generaltest2022", "en-uk", "wmt22", "xml/wmttest2022.en-zh.all.xml"),
]

# NTREX-128 reference files used: (file language code, ISO 639-1 code)
NTREX_LANGS: list[tuple[str, str]] = [
    ("arb", "ar"),
    ("ita", "it"),
    ("spa", "es"),
    ("fra", "fr"),
    ("rus", "ru"),
    ("zho-CN", "zh"),
    ("jpn", "ja"),
    ("hin", "hi"),
    ("kor", "ko"),
    ("tur", "tr"),
    ("ell", "el"),
    ("heb", "he"),
    ("fas", "fa"),
    ("tha", "th"),
    ("vie", "vi"),
]
# Two references in one language: (file code A, file code B, ISO code)
NTREX_REF_PAIRS: list[tuple[str, str, str]] = [
    ("spa", "2.spa", "es"),
    ("spa", "spa-MX", "es"),
    ("por", "por-BR", "pt"),
    ("fra", "fra-CA", "fr"),
]
N_NTREX = 6
N_NTREX_REF = 8

# How many documents of each language pair and test set feed each kind of pair.
N_HUMAN = 14
N_MT = 14
N_REF_MT = 10
N_MT_MT = 10
N_REF_REF = 12


@dataclass
class Doc:
    """One document of one test set in one language pair, with all its versions."""

    testset: str
    pair: str
    doc_id: str
    src_lang: str
    tgt_lang: str
    src: list[list[str]]  # paragraphs of segments
    refs: dict[str, list[list[str]]] = field(default_factory=dict)
    hyps: dict[str, list[list[str]]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.testset}:{self.doc_id}"


def git_show(git_dir: Path, path: str) -> bytes:
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), "show", f"HEAD:{path}"],
        capture_output=True,
        check=True,
    ).stdout


def git_ls(git_dir: Path, folder: str) -> list[str]:
    out = subprocess.run(
        ["git", "--git-dir", str(git_dir), "ls-tree", "--name-only", "HEAD", folder + "/"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    return out.split()


def git_head(git_dir: Path) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), "rev-parse", "HEAD"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout.strip()


def paragraphs(version: ET.Element) -> list[list[str]]:
    return [[(seg.text or "").strip() for seg in p.iter("seg")] for p in version.iter("p")]


def xml_docs(git_dir: Path, path: str, testset: str, domain: str | None) -> list[Doc]:
    root = ET.fromstring(git_show(git_dir, path))
    pair = path.split(".")[1]
    src_lang, tgt_lang = pair.split("-")
    docs = []
    for d in root.iter("doc"):
        if domain is not None and d.get("domain") != domain:
            continue
        src = d.find("src")
        if src is None:
            continue
        doc = Doc(testset, pair, d.get("id", ""), src_lang, tgt_lang, paragraphs(src))
        n = sum(len(p) for p in doc.src)
        for ref in d.iter("ref"):
            doc.refs[ref.get("translator", "?")] = paragraphs(ref)
        for hyp in d.iter("hyp"):
            doc.hyps[hyp.get("system", "?")] = paragraphs(hyp)
        # keep only versions with one segment per source segment, and no empty one
        for versions in (doc.refs, doc.hyps):
            for name in list(versions):
                segs = [s for p in versions[name] for s in p]
                if len(segs) != n or not all(segs):
                    del versions[name]
                else:
                    versions[name] = reshape(segs, doc.src)
        if n >= 3 and doc.refs:
            docs.append(doc)
    return docs


def reshape(flat: list[str], like: list[list[str]]) -> list[list[str]]:
    out, i = [], 0
    for p in like:
        out.append(flat[i : i + len(p)])
        i += len(p)
    return out


def txt_docs(git_dir: Path, prefix: str, pair: str, testset: str, bounds: list[Doc]) -> list[Doc]:
    """Cut the plain-text files of one pair into the documents of ``bounds``."""
    src_lang, tgt_lang = pair.split("-")

    def lines(path: str) -> list[str]:
        return git_show(git_dir, path).decode("utf-8").split("\n")

    src = lines(f"txt/sources/{prefix}.{pair}.src.{src_lang}")
    refs = {
        name.split(".ref.")[1].rsplit(".", 1)[0]: lines(name)
        for name in git_ls(git_dir, "txt/references")
        if name.split("/")[-1].startswith(f"{prefix}.{pair}.ref.")
    }
    hyps = {
        name.split(".hyp.")[1].rsplit(".", 1)[0]: lines(name)
        for name in git_ls(git_dir, "txt/system-outputs")
        if name.split("/")[-1].startswith(f"{prefix}.{pair}.hyp.")
    }
    docs = []
    for b in bounds:
        segs = [s for p in b.src for s in p]
        # find the document's segments as one contiguous run of the source file
        starts = [i for i, line in enumerate(src) if line.strip() == segs[0]]
        start = next(
            (i for i in starts if [x.strip() for x in src[i : i + len(segs)]] == segs), None
        )
        if start is None:
            continue
        end = start + len(segs)
        doc = Doc(testset, pair, b.doc_id, src_lang, tgt_lang, b.src)
        for versions, files in ((doc.refs, refs), (doc.hyps, hyps)):
            for name, text in files.items():
                flat = [x.strip() for x in text[start:end]]
                if len(flat) == len(segs) and all(flat):
                    versions[name] = reshape(flat, b.src)
        if doc.refs:
            docs.append(doc)
    return docs


def render(paras: list[list[str]], lang: str, n_segs: int) -> str:
    """Title line (first segment), blank line, paragraphs of up to three segments."""
    joiner = "" if lang in NO_SPACE_LANGS else " "
    flat_taken = 0
    blocks: list[str] = []
    for p in paras:
        segs = p[: max(0, n_segs - flat_taken)]
        flat_taken += len(segs)
        for i in range(0, len(segs), SEGS_PER_PARA):
            blocks.append(joiner.join(segs[i : i + SEGS_PER_PARA]))
    if not blocks:
        return ""
    first = blocks[0]
    title_seg = paras[0][0]
    rest = first[len(title_seg) :].strip()
    out = [title_seg] + ([rest] if rest else []) + blocks[1:]
    return "\n\n".join(out[: MAX_PARAS + 1])


def fit(versions: list[tuple[list[list[str]], str]]) -> int:
    """Largest segment count (>= 2) for which every version fits the size limits."""
    total = sum(len(p) for p in versions[0][0])
    best = min(2, total)
    for n in range(2, total + 1):
        texts = [render(paras, lang, n) for paras, lang in versions]
        if all(len(t) <= MAX_CHARS and t.count("\n\n") <= MAX_PARAS for t in texts):
            best = n
        else:
            break
    return best


def part_of(key: str) -> str:
    return "dev" if hashlib.sha256(key.encode()).digest()[0] % 2 == 0 else "test"


def pair_record(
    pid: str,
    a: tuple[list[list[str]], str],
    b: tuple[list[list[str]], str],
    relation: str,
    kind: str,
    aligned: bool,
) -> dict[str, str]:
    if aligned:
        n = fit([a, b])
        text_a, text_b = render(a[0], a[1], n), render(b[0], b[1], n)
    else:
        text_a = render(a[0], a[1], fit([a]))
        text_b = render(b[0], b[1], fit([b]))
    return {
        "id": pid,
        "text_a": text_a,
        "text_b": text_b,
        "relation": relation,
        "corpus": "wmt-news-systems",
        "kind": kind,
        "lang_a": a[1],
        "lang_b": b[1],
    }


def derived_pairs(docs: list[Doc], rng: random.Random) -> Iterator[tuple[str, dict[str, str]]]:
    order = sorted(docs, key=lambda d: d.key)
    rng.shuffle(order)
    ts, pair = order[0].testset, order[0].pair
    s, t = order[0].src_lang, order[0].tgt_lang
    # each document feeds one kind only, so no text is reused across kinds; the kinds take
    # documents in turn so that small test sets feed every kind
    quotas = {
        "human": N_HUMAN,
        "mt": N_MT,
        "ref-mt": N_REF_MT,
        "mt-mt": N_MT_MT,
        "ref-ref": N_REF_REF,
    }
    used = dict.fromkeys(quotas, 0)
    turn = 0
    for doc in order:
        refs, hyps = sorted(doc.refs), sorted(doc.hyps)
        eligible = {
            "human": True,
            "mt": bool(hyps),
            "ref-mt": bool(hyps),
            "mt-mt": len(hyps) >= 2,
            "ref-ref": len(refs) >= 2,
        }
        names = list(quotas)
        for step in range(len(names)):
            name = names[(turn + step) % len(names)]
            if eligible[name] and used[name] < quotas[name]:
                turn = (turn + step + 1) % len(names)
                break
        else:
            continue
        used[name] += 1
        src = (doc.src, s)
        base = f"{ts}:{pair}:{doc.doc_id}"
        if name == "human":
            r = rng.choice(refs)
            rec = pair_record(
                f"{base}:src~ref{r}",
                src,
                (doc.refs[r], t),
                "translation",
                f"wmt-human-{s}-{t}",
                True,
            )
        elif name == "mt":
            h = rng.choice(hyps)
            rec = pair_record(
                f"{base}:src~{h}", src, (doc.hyps[h], t), "translation", f"wmt-mt-{s}-{t}", True
            )
        elif name == "ref-mt":
            r, h = rng.choice(refs), rng.choice(hyps)
            rec = pair_record(
                f"{base}:ref{r}~{h}",
                (doc.refs[r], t),
                (doc.hyps[h], t),
                "rewrite",
                f"ref-vs-mt-{t}",
                True,
            )
        elif name == "mt-mt":
            h1, h2 = rng.sample(hyps, 2)
            rec = pair_record(
                f"{base}:{h1}~{h2}",
                (doc.hyps[h1], t),
                (doc.hyps[h2], t),
                "rewrite",
                f"mt-vs-mt-{t}",
                True,
            )
        else:
            r1, r2 = rng.sample(refs, 2)
            rec = pair_record(
                f"{base}:ref{r1}~ref{r2}",
                (doc.refs[r1], t),
                (doc.refs[r2], t),
                "rewrite",
                f"ref-vs-ref-{t}",
                True,
            )
        yield part_of(doc.key), rec


def ntrex_file(git_dir: Path, code: str) -> list[str]:
    sep = "-" if code[0].isdigit() else "."
    name = "newstest2019-src.eng.txt" if code == "eng" else f"newstest2019-ref{sep}{code}.txt"
    return [x.strip() for x in git_show(git_dir, f"NTREX-128/{name}").decode("utf-8").split("\n")]


def ntrex_docs(git_dir: Path) -> list[Doc]:
    """NTREX-128: newstest2019 English documents, one Doc per target language."""
    ids = git_show(git_dir, "DOCUMENT_IDS.tsv").decode("utf-8").split("\n")
    src = ntrex_file(git_dir, "eng")
    spans: dict[str, list[int]] = {}
    for i, doc_id in enumerate(ids[: len(src)]):
        if doc_id.strip():
            spans.setdefault(doc_id.strip(), []).append(i)
    codes = {c for c, _ in NTREX_LANGS} | {c for a, b, _ in NTREX_REF_PAIRS for c in (a, b)}
    files = {c: ntrex_file(git_dir, c) for c in sorted(codes)}
    iso = dict(NTREX_LANGS) | {c: i for a, b, i in NTREX_REF_PAIRS for c in (a, b)}
    docs = []
    for doc_id, rows in spans.items():
        if len(rows) < 3 or rows != list(range(rows[0], rows[-1] + 1)):
            continue
        paras = [[src[i] for i in rows]]
        for code, text in files.items():
            segs = [text[i] for i in rows]
            if not all(segs):
                continue
            doc = Doc("ntrex", f"en-{code}", doc_id, "en", iso[code], paras)
            doc.refs[code] = [segs]
            docs.append(doc)
    return docs


def ntrex_pairs(docs: list[Doc], rng: random.Random) -> Iterator[tuple[str, dict[str, str]]]:
    by_code: dict[str, dict[str, Doc]] = {}
    for doc in docs:
        by_code.setdefault(doc.pair.split("-", 1)[1], {})[doc.doc_id] = doc
    ids = sorted({d.doc_id for d in docs})
    rng.shuffle(ids)
    # every document feeds one pair only, over all languages
    pos = 0
    for code, lang in NTREX_LANGS:
        made = 0
        while made < N_NTREX and pos < len(ids):
            nd = by_code[code].get(ids[pos])
            pos += 1
            if nd is None:
                continue
            made += 1
            rec = pair_record(
                f"ntrex:{nd.doc_id}:eng~{code}",
                (nd.src, "en"),
                (nd.refs[code], lang),
                "translation",
                f"ntrex-human-en-{lang}",
                True,
            )
            rec["corpus"] = "ntrex-128"
            yield part_of(nd.key), rec
    for code_a, code_b, lang in NTREX_REF_PAIRS:
        made = 0
        while made < N_NTREX_REF and pos < len(ids):
            da, db = by_code[code_a].get(ids[pos]), by_code[code_b].get(ids[pos])
            pos += 1
            # some second references repeat the first one: no rewrite there
            if da is None or db is None or da.refs[code_a] == db.refs[code_b]:
                continue
            made += 1
            rec = pair_record(
                f"ntrex:{da.doc_id}:{code_a}~{code_b}",
                (da.refs[code_a], lang),
                (db.refs[code_b], lang),
                "rewrite",
                f"ntrex-ref-vs-ref-{lang}",
                True,
            )
            rec["corpus"] = "ntrex-128"
            yield part_of(da.key), rec


def versions_of(doc: Doc) -> Iterable[tuple[list[list[str]], str]]:
    yield doc.src, doc.src_lang
    for paras in doc.refs.values():
        yield paras, doc.tgt_lang


def negative_pairs(
    docs: list[Doc], rng: random.Random, n_mono: int, n_cross: int
) -> Iterator[tuple[str, dict[str, str]]]:
    """Different documents: same language (``unrelated`` mono) and across languages."""
    # one entry per (document key, language): a text of that document in that language
    texts: dict[tuple[str, str], tuple[Doc, list[list[str]]]] = {}
    for doc in sorted(docs, key=lambda d: (d.key, d.pair)):
        for paras, lang in versions_of(doc):
            texts.setdefault((doc.key, lang), (doc, paras))
    keys = sorted(texts)
    seen: set[tuple[str, str]] = set()
    for part in ("dev", "test"):
        pool = [k for k in keys if part_of(k[0]) == part]
        made_mono = made_cross = 0
        tries = 0
        while (made_mono < n_mono // 2 or made_cross < n_cross // 2) and tries < 200000:
            tries += 1
            ka, kb = rng.sample(pool, 2)
            if ka[0] == kb[0] or (ka[0], kb[0]) in seen:
                continue
            mono = ka[1] == kb[1]
            if mono and made_mono >= n_mono // 2:
                continue
            if not mono and made_cross >= n_cross // 2:
                continue
            seen.add((ka[0], kb[0]))
            seen.add((kb[0], ka[0]))
            pa = texts[ka][1]
            pb = texts[kb][1]
            kind = "wmt-diffdoc-same-lang" if mono else "wmt-diffdoc-cross-lang"
            rec = pair_record(
                f"{ka[0]}~{kb[0]}:{ka[1]}-{kb[1]}",
                (pa, ka[1]),
                (pb, kb[1]),
                "unrelated",
                kind,
                False,
            )
            if ka[0].startswith("ntrex:") or kb[0].startswith("ntrex:"):
                rec["corpus"] = "wmt-news-systems+ntrex-128"
            made_mono += mono
            made_cross += not mono
            yield part, rec


def main(argv: list[str]) -> None:
    if len(argv) < 4:
        raise SystemExit(__doc__)
    gits = [Path(a) for a in argv[:4]]
    out_dir = Path(argv[4]) if len(argv) > 4 else Path(__file__).resolve().parent
    rng = random.Random(20240611)
    by_xml: dict[str, list[Doc]] = {}
    groups: list[list[Doc]] = []
    for idx, path, testset, domain in XML_SETS:
        docs = xml_docs(gits[idx], path, testset, domain)
        by_xml[path] = docs
        groups.append(docs)
    for idx, prefix, pair, testset, bound in TXT_SETS:
        groups.append(txt_docs(gits[idx], prefix, pair, testset, by_xml[bound]))
    records: dict[str, list[dict[str, str]]] = {"dev": [], "test": []}
    for docs in groups:
        if docs:
            for part, rec in derived_pairs(docs, rng):
                records[part].append(rec)
    ntrex = ntrex_docs(gits[3])
    for part, rec in ntrex_pairs(ntrex, rng):
        records[part].append(rec)
    every = [d for docs in groups for d in docs] + ntrex
    for part, rec in negative_pairs(every, rng, n_mono=300, n_cross=440):
        records[part].append(rec)
    for part, recs in records.items():
        recs.sort(key=lambda r: r["id"])
        with (out_dir / f"pairs_{part}.jsonl").open("w", encoding="utf-8") as fh:
            for rec in recs:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    for g in gits:
        print(g, git_head(g), file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
