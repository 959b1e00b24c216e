"""Regenerate stories_ecbplus_{dev,test}.jsonl from ECB+ (provenance record).

Not run by the tests. Usage::

    python tests/data/real/build_stories.py SOURCE [--out DIR]

SOURCE is either a directory holding the ECB+ topic folders (``1/``, ``2/``, ... each with
``<topic>_<n>ecb.xml`` and ``<topic>_<n>ecbplus.xml`` files, i.e. ``ECB+.zip`` unpacked), or a
bare git directory of a repository that carries them under ``ECB+_LREC2014/ECB+/`` (the
snapshot of github.com/tommasoc80/EventStoryLine used for the committed files).

One story = one ECB+ sub-topic (topic number + ``ecb`` or ``ecbplus`` half): the two halves of
a topic are two distinct but similar seminal events. The split is by topic, so both halves of
a topic (each other's hard negatives) land in the same part.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

CORPUS = "ecbplus"
GIT_PREFIX = "ECB+_LREC2014/ECB+/"
NAME_RE = re.compile(r"^(\d+)_(\d+)(ecb|ecbplus)\.xml$")
ARTEFACTS = {"%%MDASSML%%": "—"}  # an em-dash placeholder left in a few source texts
CLITICS = {"s", "t", "re", "ve", "ll", "d", "m"}
THOUSANDS = re.compile(r"^\d{3}(?:\.\d+)?[A-Za-z]*$")

PUNCT_BEFORE = ", . ; : ! ? % ) ] } ... … '' ” ’ 's 'S n't N'T 're 've 'll 'd 'm ’s"
NO_SPACE_BEFORE = set(PUNCT_BEFORE.split(" "))
NO_SPACE_AFTER = {"(", "[", "{", "$", "#", "``", "“", "‘"}
JOINERS = {"-", "/", ":"}
QUOTE_MAP = {"``": '"', "''": '"'}

MONTH_NAMES = "jan january|feb february|mar march|apr april|may|jun june|jul july|aug august|"
MONTH_NAMES += "sep sept september|oct october|nov november|dec december"
MONTHS = {m: i + 1 for i, names in enumerate(MONTH_NAMES.split("|")) for m in names.split()}
MONTH_RE = "(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
URL_YMD = re.compile(r"/((?:19|20)\d\d)/(\d{1,2})/(\d{1,2})(?:/|$)")
URL_YMONTHD = re.compile(r"/((?:19|20)\d\d)/" + MONTH_RE + r"/(\d{1,2})(?:/|$)", re.I)
URL_DASHED = re.compile(r"(?<!\d)((?:19|20)\d\d)[-_](\d\d)[-_](\d\d)(?!\d)")
URL_COMPACT = re.compile(r"(?<!\d)((?:19|20)\d\d)(\d\d)(\d\d)(?!\d)")
DAY_RE = r"(\d{1,2})(?:st|nd|rd|th)?"
YEAR_RE = r"((?:19|20)\d\d)\b"
TEXT_MDY = re.compile(r"\b" + MONTH_RE + r"\s+" + DAY_RE + r",?\s+" + YEAR_RE, re.I)
TEXT_DMY = re.compile(r"\b" + DAY_RE + r"\s+" + MONTH_RE + r",?\s+" + YEAR_RE, re.I)
DATE_PREFIX = r"(?:(?:article\s+)?(?:posted|published|updated)(?:\s+on)?:?\s+)?"
CLOCKISH = re.compile(DATE_PREFIX + r"[\d\s/:.,@-]+(?:at\s+[\d:]+\s*)?(?:[ap]\.?m\.?)?:?", re.I)
TEXT_SLASHED = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/((?:19|20)?\d\d)(?![\d/])")
MONTH_DAY = re.compile(r"(?:\w+,?\s+)?" + MONTH_RE + r"\s+\d{1,2}", re.I)
TEXT_ISO = re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b")


@dataclass(frozen=True)
class Doc:
    topic: int
    number: int
    half: str  # "ecb" or "ecbplus"
    name: str
    sentences: list[list[str]]


def merge_dashes(tokens: list[str]) -> list[str]:
    """ECB+ splits "--" into two "-" tokens; put them back together."""
    merged: list[str] = []
    for tok in tokens:
        if tok == "-" and merged and merged[-1] in {"-", "--"}:
            merged[-1] += "-"
        else:
            merged.append(tok)
    return merged


def detokenize(tokens: list[str]) -> str:
    """Join ECB+ tokens back into running text (no space before punctuation and so on)."""
    toks = merge_dashes([ARTEFACTS.get(t, t) for t in tokens if t])
    out: list[str] = []
    glue_next = False
    open_double = open_single = False
    for i, raw in enumerate(toks):
        tok = QUOTE_MAP.get(raw, raw.replace("``", '"').replace("''", '"'))
        prev = toks[i - 1] if i else ""
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        attach = glue_next or not out
        glue_next = False
        if raw == '"':
            attach = attach or open_double
            glue_next = not open_double
            open_double = not open_double
        elif raw in {"'", "’"} and nxt in CLITICS and prev[-1:].isalnum():
            attach = glue_next = True  # a split clitic: country ’ s -> country’s
        elif raw == "'":
            attach = attach or open_single
            glue_next = not open_single
            open_single = not open_single
        elif raw in JOINERS and prev[-1:].isalnum() and nxt[:1].isalnum():
            if raw != ":" or (prev[-1:].isdigit() and nxt[:1].isdigit()):
                attach = glue_next = True
            elif raw in NO_SPACE_BEFORE:
                attach = True
        elif raw == "," and prev[-1:].isdigit() and THOUSANDS.match(nxt):
            attach = glue_next = True  # 50 , 000 -> 50,000
        elif raw == "." and prev[-1:].isdigit() and nxt[:1].isdigit():
            attach = glue_next = True  # 5 . 9 -> 5.9
        elif raw in NO_SPACE_BEFORE:
            attach = True
        if raw in NO_SPACE_AFTER:
            glue_next = True
        if raw == "``":
            open_double = True
        elif raw == "''":
            open_double = False
        out.append(tok if attach else " " + tok)
    return "".join(out).strip()


def parse_doc(name: str, data: bytes) -> Doc:
    match = NAME_RE.match(name)
    if match is None:
        raise ValueError(f"unexpected ECB+ file name: {name}")
    root = ET.fromstring(data)  # trusted local corpus file
    sentences: dict[int, list[str]] = {}
    for token in root.iter("token"):
        sentences.setdefault(int(token.get("sentence", "0")), []).append(token.text or "")
    return Doc(
        topic=int(match.group(1)),
        number=int(match.group(2)),
        half=match.group(3),
        name=name.removesuffix(".xml"),
        sentences=[sentences[k] for k in sorted(sentences)],
    )


def iter_dir(source: Path) -> Iterator[Doc]:
    for path in sorted(source.glob("*/*.xml")):
        if NAME_RE.match(path.name):
            yield parse_doc(path.name, path.read_bytes())


def iter_git(git_dir: Path) -> Iterator[Doc]:
    listing = subprocess.run(
        ["git", f"--git-dir={git_dir}", "ls-tree", "-r", "HEAD", GIT_PREFIX],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for line in listing.splitlines():
        meta, path = line.split("\t", 1)
        name = path.rsplit("/", 1)[-1]
        if not NAME_RE.match(name):
            continue
        blob = subprocess.run(
            ["git", f"--git-dir={git_dir}", "cat-file", "blob", meta.split()[2]],
            capture_output=True,
            check=True,
        ).stdout
        yield parse_doc(name, blob)


def valid_date(year: int, month: int, day: int) -> str | None:
    if 1990 <= year <= 2030 and 1 <= month <= 12 and 1 <= day <= 31:
        return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def date_from_url(url: str) -> str | None:
    path = urlsplit(url).path
    if m := URL_YMD.search(path):
        return valid_date(int(m[1]), int(m[2]), int(m[3]))
    if m := URL_YMONTHD.search(path):
        return valid_date(int(m[1]), MONTHS[m[2].lower()], int(m[3]))
    for pattern in (URL_DASHED, URL_COMPACT):
        for m in pattern.finditer(path):
            if found := valid_date(int(m[1]), int(m[2]), int(m[3])):
                return found
    return None


def date_from_dateline(line: str) -> str | None:
    """A date in a short dateline-like line ("May 03, 2013", "Thu Nov 10, 2011 3:00pm EST")."""
    if len(line) > 90 or "download" in line.lower():
        return None
    if m := TEXT_MDY.search(line):
        return valid_date(int(m[3]), MONTHS[m[1].lower()], int(m[2]))
    if m := TEXT_DMY.search(line):
        return valid_date(int(m[3]), MONTHS[m[2].lower()], int(m[1]))
    if m := TEXT_ISO.search(line):
        return valid_date(int(m[1]), int(m[2]), int(m[3]))
    if m := TEXT_SLASHED.search(line):  # US order (month/day/year) unless that cannot be
        first, second, year = int(m[1]), int(m[2]), int(m[3])
        year += 2000 if year < 100 else 0
        return valid_date(year, first, second) or valid_date(year, second, first)
    return None


def is_dateline(line: str) -> bool:
    """A line that is only a date or a time ("April 27, 2009", "11/28/05", "APR 28")."""
    if len(line) > 40:
        return False
    return bool(CLOCKISH.fullmatch(line) or MONTH_DAY.fullmatch(line) or date_from_dateline(line))


def to_record(doc: Doc) -> dict[str, str | None]:
    lines = [detokenize(s) for s in doc.sentences]
    lines = [line for line in lines if line]
    outlet: str | None = None
    published: str | None = None
    url = ""
    if doc.half == "ecbplus" and lines and lines[0].lower().startswith("http"):
        # ECB+ keeps the source URL of the newly collected texts as sentence zero.
        url = "".join(doc.sentences[0])
        lines = lines[1:]
        host = urlsplit(url).hostname or ""
        outlet = host.removeprefix("www.") or None
    lead = 0
    while lead < min(3, len(lines) - 1) and is_dateline(lines[lead]):
        lead += 1
    if lead:  # the page put its dateline(s) above the headline
        lines = [lines[lead], *lines[:lead], *lines[lead + 1 :]]
    # A dateline under the title beats the URL (URLs can carry a later archive date).
    for line in lines[1:5]:
        if published := date_from_dateline(line):
            break
    if published is None and url:
        published = date_from_url(url)
    title, paragraphs = lines[0], lines[1:]
    return {
        "id": f"{CORPUS}:{doc.name}",
        "story": f"{CORPUS}:t{doc.topic}-{doc.half}",
        "corpus": CORPUS,
        "title": title,
        "text": "\n\n".join([title, *paragraphs]),
        "published": published,
        "outlet": outlet,
        "lang": "en",
    }


def split_topics(topics: set[int]) -> set[int]:
    """Dev topics: the first half of the topics ordered by a salted SHA-1 (deterministic)."""
    ranked = sorted(topics, key=lambda t: hashlib.sha1(f"{CORPUS}:{t}".encode()).hexdigest())
    return set(ranked[: len(ranked) // 2])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="ECB+ topic directory or bare git dir")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    source: Path = args.source
    is_git = (source / "HEAD").is_file() and (source / "objects").is_dir()
    docs = list(iter_git(source) if is_git else iter_dir(source))
    if not docs:
        print(f"no ECB+ documents found under {source}", file=sys.stderr)
        return 1
    docs.sort(key=lambda d: (d.topic, d.half, d.number))
    dev_topics = split_topics({d.topic for d in docs})
    parts: dict[str, list[dict[str, str | None]]] = {"dev": [], "test": []}
    for doc in docs:
        parts["dev" if doc.topic in dev_topics else "test"].append(to_record(doc))
    for part, records in parts.items():
        path = args.out / f"stories_ecbplus_{part}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        print(f"{path}: {len(records)} articles", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
