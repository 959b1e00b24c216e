"""The real-page extraction corpus and its scoring (see tests/fixtures/realpages/README.md).

Each page is a real recorded news or blog page whose gold text was written by others (the
Scrapinghub article-extraction benchmark, Mozilla readability's test pages, newspaper4k's
expected texts), or whose article's first words were (Postlight's parser tests).  A page is
scored two ways: bag-of-words precision/recall/F1 of the extracted text against the gold
body, and snippets — ``must_contain`` lines taken from the gold body, ``must_not_contain``
lines of the page that the gold body leaves out (boilerplate by the gold's own judgement).
A page with snippets only (no gold body) counts in the snippet figures alone.

The corpus is split once, by a hash of each page's id, into ``dev`` (for development and
tuning) and ``test`` (for the gate only).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import re
import statistics
import subprocess
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import lxml.html

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


def split_of(page_id: str) -> str:
    """The fixed split: ``dev`` when the first byte of ``sha256(id)`` is even."""
    return SPLITS[hashlib.sha256(page_id.encode("utf-8")).digest()[0] % 2]


@cache
def load_split(split: str) -> tuple[RealPage, ...]:
    """The pages of one split, from ``<split>.jsonl.gz`` and any ``<split>.<source>.jsonl.gz``
    added later; ``html`` is stored as Latin-1 text so the bytes survive JSON."""
    pages = []
    for path in sorted(REAL.glob(f"{split}.*jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as lines:
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
    """The text as compared with a snippet: NFC, whitespace runs as one space, and no
    invisible format characters (soft hyphens, zero-width spaces and joiners, direction
    marks), which a reader never sees but a gold text or an extractor may keep or drop."""
    visible = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(unicodedata.normalize("NFC", visible).split())


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

    pages: int = 0
    #: Bag-of-words figures, one per page with a gold body.
    precisions: list[float] = field(default_factory=list)
    recalls: list[float] = field(default_factory=list)
    f1s: list[float] = field(default_factory=list)
    found: int = 0
    wanted: int = 0
    leaked: int = 0
    unwanted: int = 0
    empty: list[str] = field(default_factory=list)
    #: (page id, snippet) of every "must contain" snippet not found: comparing two systems'
    #: sets shows, page by page, what one finds and the other loses.
    missed: set[tuple[str, str]] = field(default_factory=set)
    seconds: float = 0.0

    def add(self, page: RealPage, text: str) -> None:
        """Score one page; a page without a gold body (snippets only) counts in the snippet
        and empty-page figures, never in the bag-of-words ones."""
        self.pages += 1
        if page.gold:
            precision, recall, f1 = precision_recall_f1(text, page.gold)
            self.precisions.append(precision)
            self.recalls.append(recall)
            self.f1s.append(f1)
        flat = normal(text)
        missed = {(page.id, s) for s in page.must_contain if normal(s) not in flat}
        self.missed |= missed
        self.found += len(page.must_contain) - len(missed)
        self.wanted += len(page.must_contain)
        self.leaked += sum(normal(s) in flat for s in page.must_not_contain)
        self.unwanted += len(page.must_not_contain)
        if not text.strip():
            self.empty.append(page.id)

    def figures(self) -> dict[str, float]:
        """The table's figures; one without pages to count (no gold body, no snippet of
        that kind) is NaN."""

        def mean(values: list[float]) -> float:
            return statistics.fmean(values) if values else math.nan

        return {
            "precision": mean(self.precisions),
            "recall": mean(self.recalls),
            "f1": mean(self.f1s),
            "median_f1": statistics.median(self.f1s) if self.f1s else math.nan,
            "must_contain": self.found / self.wanted if self.wanted else math.nan,
            "must_not_contain": self.leaked / self.unwanted if self.unwanted else math.nan,
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


# --- adding pages -------------------------------------------------------------------------------

#: A "must contain" snippet is the start of a gold paragraph, this many characters at most.
SNIPPET_CHARS = 70
_WORD_RUN = re.compile(r"\w+")
_BLOCKS = ("p", "li", "div", "span", "a", "h1", "h2", "h3", "h4", "td", "dd", "figcaption")


def _snippet(paragraph: str) -> str:
    """The paragraph's first ``SNIPPET_CHARS`` characters, cut at a space when there is one
    late enough (a language without spaces is cut at the limit)."""
    text = normal(paragraph)
    if len(text) <= SNIPPET_CHARS:
        return text
    cut = text.rfind(" ", 0, SNIPPET_CHARS)
    return text[:cut] if cut >= SNIPPET_CHARS // 2 else text[:SNIPPET_CHARS]


def must_contain_of(gold: str) -> list[str]:
    """The starts of the first, middle and last gold paragraph of at least 8 words (runs
    of word characters: in Chinese or Japanese, the stretches between punctuation marks)."""
    long = [line for line in gold.splitlines() if len(_WORD_RUN.findall(line)) >= 8]
    if not long:
        return []
    picks = dict.fromkeys((0, len(long) // 2, len(long) - 1))
    return [_snippet(long[index]) for index in picks]


def _four_grams(text: str) -> set[tuple[str, ...]]:
    tokens = [token.casefold() for token in _TOKEN.findall(text)]
    return {tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3)}


def must_not_contain_of(page_id: str, html_text: str, gold: str) -> list[str]:
    """Up to 4 texts of the page's blocks (25–160 characters, 4+ words, outside scripts,
    styles and ``<head>``) that share no word 4-gram with the gold: boilerplate by the gold's
    own judgement, chosen by a hash of page id and text, not by looking at any extractor."""
    import lxml.html

    root = lxml.html.document_fromstring(html_text)
    gold_grams = _four_grams(gold)
    texts: set[str] = set()
    for element in root.iter(*_BLOCKS):
        if element.xpath("ancestor::head or ancestor::script or ancestor::style"):
            continue
        text = normal("".join(element.xpath(".//text()[not(ancestor::script or ancestor::style)]")))
        fits = 25 <= len(text) <= 160 and len(_TOKEN.findall(text)) >= 4
        if fits and not _four_grams(text) & gold_grams:
            texts.add(text)
    ranked = sorted(texts, key=lambda t: hashlib.sha256(f"{page_id}\n{t}".encode()).hexdigest())
    return ranked[:4]


def write_source(records: Sequence[dict[str, object]], source_name: str) -> None:
    """Write one source's records (``id``, ``html`` as Latin-1 text, ``gold`` and where they
    came from) to ``<split>.<source_name>.jsonl.gz``, each in the split its id falls in, with
    its snippets computed from the gold as the README says.  A record without a gold body
    brings its own ``must_contain`` lines and gets no "must not" lines: with no gold to say
    what the article leaves out, no block of the page is boilerplate by its judgement."""
    for split in SPLITS:
        chosen = [r for r in records if split_of(str(r["id"])) == split]
        path = REAL / f"{split}.{source_name}.jsonl.gz"
        if not chosen:
            path.unlink(missing_ok=True)
            continue
        with gzip.open(path, "wt", encoding="utf-8") as out:
            for record in chosen:
                html_text = str(record["html"]).encode("latin-1").decode("utf-8", "replace")
                gold = str(record["gold"])
                full = {**record, "must_not_contain": []}
                if gold:
                    full["must_contain"] = must_contain_of(gold)
                    full["must_not_contain"] = must_not_contain_of(
                        str(record["id"]), html_text, gold
                    )
                out.write(json.dumps(full, ensure_ascii=False, sort_keys=True) + "\n")


def _git_reader(git_dir: Path) -> Callable[..., bytes]:
    """``git -C git_dir ARGUMENTS``, returning its output."""

    def git(*arguments: str) -> bytes:
        command = ["git", "-C", str(git_dir), *arguments]
        return subprocess.run(command, capture_output=True, check=True).stdout

    return git


def _first_commit(
    git: Callable[..., bytes], commit: str, path: str, *, renamed: bool = False
) -> tuple[str, str]:
    """The day and short hash of the first commit up to ``commit`` that holds ``path``: when
    a recorded page was saved into its repository (``renamed``: through the renames of its
    file, for a repository that moved its test pages since)."""
    follow = ("--follow",) if renamed else ()
    history = git("log", *follow, "--format=%as %h", commit, "--", path).split()
    return history[-2].decode(), history[-1].decode()


@dataclass(frozen=True)
class LabelledSource:
    """A source whose pages come with labels, not a gold body: its repository, pinned
    commit and licence, and where in it the pages were saved."""

    name: str  # the repository, owner/name
    prefix: str  # of its page ids
    commit: str
    licence: str
    saved_into: str  # "goose's tests": the record says when the page was saved there
    renamed: bool = False  # its test pages were moved since (their history is followed)

    def record(
        self,
        git: Callable[..., bytes],
        key: str,
        page: str,
        label_path: str,
        url: str,
        raw: bytes,
        labels: list[str],
        snippets: list[str],
    ) -> dict[str, object]:
        """A snippet-only record (no gold body, no "must not" lines): the maintainers'
        labels and the snippets they give, the page as recorded and when it was saved."""
        day, first = _first_commit(git, self.commit, page, renamed=self.renamed)
        return {
            "id": f"{self.prefix}/{key}",
            "source": self.name,
            "commit": self.commit,
            "path": f"{page} (label: {label_path})",
            "licence": self.licence,
            "recorded": f"saved into {self.saved_into} on {day} (commit {first})",
            "url": url,
            "outlet": _registry_outlet(url),
            "html": raw.decode("latin-1"),
            "gold": "",
            "labels": labels,
            "must_contain": snippets,
            "must_not_contain": [],
        }


#: newspaper4k's recorded article pages that have an expected text: (file stem, URL as its
#: tests give it, registry outlet or None).  Left out: its index pages (``*_main_site``),
#: meta-refresh stubs, the two video pages (no URL given) and ``cnn_test_nlp`` (a second copy
#: of ``cnn_article`` for its NLP tests).
NEWSPAPER4K_COMMIT = "540bff3e8344cb8291c4829fafd98860f30d9692"
NEWSPAPER4K_PAGES = (
    (
        "chinese_article_001",
        "https://china.chinadaily.com.cn/a/202311/17/WS65571297a310d5acd876f404.html",
        "chinadaily",
    ),
    ("chinese_article_002", "http://www.news.cn/fortune/2023-11/17/c_1129981476.htm", "xinhua"),
    (
        "cnn_001",
        "https://www.cnn.com/2023/11/06/politics/alito-prelogar-supreme-court-analysis/index.html",
        "cnn",
    ),
    (
        "cnn_002",
        "https://www.cnn.com/2023/11/06/politics/takeaways-trump-engoron-testimony-fraud-trial/"
        "index.html",
        "cnn",
    ),
    (
        "cnn_article",
        "http://www.cnn.com/2013/11/27/travel/weather-thanksgiving/index.html?iref=allsearch",
        "cnn",
    ),
    ("yna_co_kr", "https://en.yna.co.kr/view/AEN20190820002300325?section=nk/nk", "yonhap"),
    (
        "time_001",
        "https://time.com/6330957/james-hansen-climate-warning-geoengineering-study/",
        None,
    ),
    (
        "wired_001",
        "https://www.wired.com/story/israel-surveillance-state-out-of-control-west-bank/",
        None,
    ),
    (
        "fox13now_001",
        "https://www.fox13now.com/2013/12/30/new-year-new-laws-obamacare-pot-guns-and-drones",
        None,
    ),
    (
        "cleveland.com1",
        "http://www.cleveland.com/food/index.ssf/2014/12/let_me_google_that_for_you_201.html",
        None,
    ),
    (
        "article_with_br",
        "https://www.sott.net/article/434715-The-American-friends-New-court-files-expose-"
        "Sheldon-Adelsons-security-team-involved-in-US-spy-operation-against-Julian-Assange",
        None,
    ),
    (
        "article_with_divs",
        "https://www.linknaija.com/2018/10/nollywood-actress-kate-henshaw-is.html",
        None,
    ),
    ("arabic_article", "http://arabic.cnn.com/2013/middle_east/8/2/syria.clashes/index.html", None),
    (
        "spanish_article",
        "http://ultimahora.es/mallorca/noticia/noticias/local/fiscalia-anticorrupcion-estudia-"
        "recurre-imputacion-infanta.html",
        None,
    ),
    ("chinese_article", "http://news.sohu.com/20050601/n225789219.shtml", None),
    (
        "japanese_article",
        "https://www.nikkei.com/article/DGXMZO31897660Y8A610C1000000/?n_cid=DSTPCS001",
        None,
    ),
    ("japanese_article2", "http://www.afpbb.com/articles/-/3178894", None),
    ("thai_article", "https://prachatai.com/journal/2019/01/80642", None),
    (
        "latvian_article",
        "https://www.lsm.lv/raksts/zinas/arzemes/norvegija-pec-zemes-nogruvuma-pieci-"
        "bojagajusie.a387519/",
        None,
    ),
    ("burmese_article", "https://www.bbc.com/burmese/burma-45989453", None),
)


def newspaper4k_records(git_dir: Path) -> list[dict[str, object]]:
    """The pages above, read from a clone of AndyTheFactory/newspaper4k at the pinned commit:
    the page as recorded and newspaper4k's expected text of it as the gold; a page's
    recording date is that of the first commit holding it."""

    git = _git_reader(git_dir)
    records: list[dict[str, object]] = []
    for stem, url, outlet in NEWSPAPER4K_PAGES:
        page, gold = f"tests/data/html/{stem}.html", f"tests/data/txt/{stem}.txt"
        day, commit = _first_commit(git, NEWSPAPER4K_COMMIT, page)
        records.append(
            {
                "id": f"newspaper4k/{stem}",
                "source": "AndyTheFactory/newspaper4k",
                "commit": NEWSPAPER4K_COMMIT,
                "path": f"{page} (gold: {gold})",
                "licence": "MIT (© 2013 Lucas Ou-Yang; newspaper4k)",
                "recorded": f"saved into newspaper's tests on {day} (commit {commit})",
                "url": url,
                "outlet": outlet,
                "html": git("show", f"{NEWSPAPER4K_COMMIT}:{page}").decode("latin-1"),
                "gold": git("show", f"{NEWSPAPER4K_COMMIT}:{gold}").decode("utf-8").strip(),
            }
        )
    return records


#: Postlight's parser (formerly Mercury): recorded pages ``fixtures/<host>[--<kind>].html``
#: and, in ``src/extractors/custom/<host>/index.test.js``, the maintainers' expected start of
#: each page's article content.
POSTLIGHT_COMMIT = "e8ba7ece291efa4d915d50dd4deeec17d54359f2"
POSTLIGHT = LabelledSource(
    "postlight/parser",
    "postlight",
    POSTLIGHT_COMMIT,
    "MIT or Apache-2.0 (© 2019 Postlight)",
    "Postlight's fixtures",
)
#: Fixtures that are not articles (news, magazine or blog pages), with why they stay out.
POSTLIGHT_LEFT_OUT = {
    "biorxiv.org": "a preprint's abstract page",
    "bookwalker.jp": "an e-book shop page",
    "clinicaltrials.gov": "a trial registry record",
    "deadspin.com--video": "a video page",
    "genius.com": "song lyrics",
    "github.com": "a code repository",
    "jvndb.jvn.jp": "a vulnerability database record",
    "pastebin.com": "a paste",
    "twitter.com": "a tweet",
    "www.elecom.co.jp": "a product page",
    "www.gruene.de": "a party's standing topic page",
    "www.jnsa.org": "a seminar announcement",
    "www.oreilly.co.jp": "a book catalogue page",
    "www.ossnews.jp": "its label is a section name and a date, no article text",
    "www.reddit.com": "forum threads (all seven)",
    "www.sanwa.co.jp": "a product page",
    "www.youtube.com": "a video page",
}
_JS_STRING = r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`"""
_JS_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.S)
_FIXTURE = re.compile(r"readFileSync\(\s*'\./fixtures/([^']+)\.html'")
_URL = re.compile(rf"\b(?:url|uri)\s*=\s*({_JS_STRING})")
#: ``const first13 = excerptContent(<the content's text>, 13)`` ... ``assert.equal(first13,
#: '<label>')``: the variable's name varies (``first3``, ``first13``).
_EXCERPT = re.compile(r"const (\w+) = excerptContent\(")
_BLOCK_TAGS = frozenset(
    re.findall(
        r"\w+",
        "address article aside blockquote body caption dd details div dl dt fieldset "
        "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre "
        "section summary table td th tr ul",
    )
)
_UNSEEN = frozenset(("script", "style", "noscript", "template"))


def _js_string(literal: str) -> str:
    """The value of one JavaScript string literal ('...', "..." or a plain `...`)."""

    def unescape(match: re.Match[str]) -> str:
        code = match.group(1)
        if code.startswith("u{"):
            return chr(int(code[2:-1], 16))
        if code[0] in "ux" and len(code) > 1:
            return chr(int(code[1:], 16))
        return {"n": "\n", "t": "\t", "r": "\r", "\n": ""}.get(code, code)

    return _JS_ESCAPE.sub(unescape, literal[1:-1])


def postlight_labels(test_source: str) -> list[tuple[str, str, str]]:
    """(fixture name, URL, label) for every test block of one ``index.test.js`` that loads a
    fixture and compares the start of the parsed content with a literal string."""
    labels = []
    for block in re.split(r"\bdescribe\(", test_source)[1:]:
        fixture, url = _FIXTURE.search(block), _URL.search(block)
        excerpt = _EXCERPT.search(block)
        if not (fixture and url and excerpt):
            continue
        name = re.escape(excerpt.group(1))
        label = re.search(rf"assert\.equal\(\s*{name},\s*({_JS_STRING})\s*\)", block)
        if label and _js_string(label.group(1)).strip():
            labels.append((fixture.group(1), _js_string(url.group(1)), _js_string(label.group(1))))
    return labels


def _is_caption(element: lxml.html.HtmlElement) -> bool:
    names = f"{element.get('class', '')} {element.get('id', '')}".lower()
    return element.tag in ("figure", "figcaption") or "caption" in names


def page_blocks(html_text: str) -> list[tuple[str, bool]]:
    """The visible text of the page's body, one string per block element (a ``<br>`` is a
    space), each with whether it is a photo caption (``<figure>``, ``<figcaption>``, or a
    class or id naming a caption): the text runs a reader sees as separate lines."""
    import lxml.html

    declared = re.sub(r"^\s*<\?xml[^>]*>", "", html_text)  # lxml refuses it in a str
    root = lxml.html.document_fromstring(declared)
    blocks: list[tuple[list[str], bool]] = [([], False)]

    def walk(element: lxml.html.HtmlElement, caption: bool) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _UNSEEN or not tag:
            return
        inner = caption or _is_caption(element)
        apart = tag in _BLOCK_TAGS or inner != caption
        if apart:
            blocks.append(([], inner))
        blocks[-1][0].append(" " if tag == "br" else element.text or "")
        for child in element:
            walk(child, inner)
            blocks[-1][0].append(child.tail or "")
        if apart:
            blocks.append(([], caption))

    body = root.find("body")
    if body is not None:
        walk(body, False)
    return [(text, caption) for parts, caption in blocks if (text := normal("".join(parts)))]


#: A word of a label: a CJK character, or a run of other word characters.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_LABEL_WORD = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")


def label_snippet(label: str, blocks: Sequence[tuple[str, bool]]) -> str | None:
    """The snippet a Postlight content label gives: where the label occurs in the page's
    text (spaces ignored: Mercury reads its content with cheerio's ``text()``, which runs
    the text of two elements together, "America.The first lady"), the page's own text of
    the last block it reaches with at least 4 words that is not a photo caption — the
    start of the article body past whatever caption, byline or heading Mercury's content
    opened with.  A label the page does not hold in one piece (Mercury's content leaves out
    the headline between a byline and the lead) is looked for without its first words,
    one by one.  None when no such block holds 4 words of it."""
    chars: list[tuple[int, int]] = []  # (block, offset in the block) of each non-space char
    for index, (text, _) in enumerate(blocks):
        chars.extend((index, offset) for offset, ch in enumerate(text) if not ch.isspace())
    flat = "".join(blocks[b][0][o] for b, o in chars)
    words = normal(label).split()
    for first in range(len(words)):
        if len(_LABEL_WORD.findall(" ".join(words[first:]))) < 4:
            return None
        squeezed = "".join(words[first:])
        spans = []
        start = flat.find(squeezed)
        while start >= 0:
            covered = chars[start : start + len(squeezed)]
            spans.append((covered[-1][0] - covered[0][0], start, covered))
            start = flat.find(squeezed, start + 1)
        for _, _, covered in sorted(spans):
            if piece := _last_piece(covered, blocks):
                return piece
        if spans:
            return None
    return None


def _last_piece(covered: list[tuple[int, int]], blocks: Sequence[tuple[str, bool]]) -> str | None:
    """The text of the last block the characters reach that holds 4 words of them and is
    not a caption."""
    pieces: dict[int, list[int]] = {}
    for block, offset in covered:
        pieces.setdefault(block, []).append(offset)
    for block in sorted(pieces, reverse=True):
        text, caption = blocks[block]
        piece = text[pieces[block][0] : pieces[block][-1] + 1]
        if not caption and len(_LABEL_WORD.findall(piece)) >= 4:
            return piece
    return None


def _registry_outlet(url: str) -> str | None:
    """The registry outlet whose domains hold the page's host, when exactly one does."""
    from urllib.parse import urlsplit

    from crawler.outlets import load_registry

    host = (urlsplit(url).hostname or "").lower()
    names = [
        name
        for name, outlet in load_registry().items()
        if any(host == d or host.endswith(f".{d}") for d in outlet.allowed_domains)
    ]
    return names[0] if len(names) == 1 else None


def postlight_records(git_dir: Path) -> list[dict[str, object]]:
    """Postlight's article fixtures that its tests give a content label, read from a clone of
    postlight/parser at the pinned commit: no gold body, the label's snippet (see
    ``label_snippet``) as the one "must contain" line, no "must not" lines."""

    from crawler.extract import decode_html

    git = _git_reader(git_dir)
    tree = git("ls-tree", "-r", "--name-only", POSTLIGHT_COMMIT, "src/extractors/custom")
    tests = sorted(p for p in tree.decode().split() if p.endswith("/index.test.js"))
    labels: dict[str, tuple[str, str, list[str]]] = {}
    for test in tests:
        source = git("show", f"{POSTLIGHT_COMMIT}:{test}").decode("utf-8")
        for fixture, url, label in postlight_labels(source):
            if not {fixture, fixture.split("--")[0]} & POSTLIGHT_LEFT_OUT.keys():
                labels.setdefault(fixture, (test, url, []))[2].append(label)
    records: list[dict[str, object]] = []
    for fixture, (test, url, texts) in sorted(labels.items()):
        page = f"fixtures/{fixture}.html"
        raw = git("show", f"{POSTLIGHT_COMMIT}:{page}")
        blocks = page_blocks(decode_html(raw) or "")
        snippets = [s for s in (label_snippet(t, blocks) for t in texts) if s]
        if not snippets:
            continue
        records.append(POSTLIGHT.record(git, fixture, page, test, url, raw, texts, snippets))
    return records


#: goose3 (a fork of grangier/python-goose): recorded pages
#: ``tests/data/content/test_<name>.html`` and, in ``test_<name>.json``, the maintainers'
#: ``expected.cleaned_text``, which goose's text of the page must start with
#: (``tests/test_base.py``, ``assert_cleaned_text``).
GOOSE3_COMMIT = "c5a8902eed0c4592a1ff5ec51a0277cf73a3aca7"
GOOSE3 = LabelledSource(
    "goose3/goose3",
    "goose3",
    GOOSE3_COMMIT,
    "Apache-2.0 (goose3; python-goose © Gravity.com, Xavier Grangier)",
    "goose's tests",
    renamed=True,
)
#: Content test pages that stay out, with why.
GOOSE3_LEFT_OUT = {
    "allnewlyrics1": "song lyrics",
    "articlebody_attribute": "a synthetic unit page (1 KB, exemple.com)",
    "articlebody_itemprop": "a synthetic unit page (1 KB, exemple.com)",
    "articlebody_tag": "a synthetic unit page (1 KB, exemple.com)",
    "pattern_config": "a synthetic unit page (example.com)",
    "retry_top_node": "a synthetic unit page (example.com)",
    "issue24": "a hand-made 'Paragraph Order Test' page for a bug report",
    "elpais": "already the El País outlet fixture (tests/fixtures/outlets/elpais/)",
    "bbc_chinese": "already here as newspaper4k/chinese_article (the same BBC Chinese page)",
    "cnn_arabic": "already here as newspaper4k/arabic_article (the same CNN Arabic page)",
    "businessWeek4": "the same page as businessWeek1 (goose's test with headings off)",
    "gizmodo2": "the same page as gizmodo1 (goose's test with other list options)",
    "gizmodo3": "the same page as gizmodo1 (goose's test with other list options)",
    "get_canonical_url": "the same page as marketplace (goose's canonical-link test)",
}
#: Label paragraphs that are not article text, by page: goose's text of ``msn1`` ends with
#: the site's search promotion (a bold line in the article's markup), kept out of its
#: snippets; read off the labels before any extractor ran.
GOOSE3_NOT_ARTICLE = {"msn1": "More from Bing and MSN Lifestyle Site Search:"}
#: Where goose's test gives another page's URL: ``okaymarketing`` reuses businessinsider3's;
#: the page's own canonical link is used instead.
GOOSE3_URLS = {"okaymarketing": "http://okaymarketing.com/add-schema-markup-page-wordpress/"}


def goose3_snippets(label: str, blocks: Sequence[tuple[str, bool]]) -> list[str]:
    """The snippets a goose3 label (the start of goose's text of the page, its paragraphs
    one per line) gives: each paragraph's snippet by ``label_snippet`` — the page's own
    text of the last non-caption block it reaches — cut to its first ``SNIPPET_CHARS``
    characters; of those, the first, middle and last paragraph's (a label that runs into
    the article body gives up to three)."""
    pieces = [label_snippet(line, blocks) for line in label.splitlines() if line.strip()]
    found = [_snippet(piece) for piece in pieces if piece]
    picks = sorted({0, len(found) // 2, len(found) - 1}) if found else []
    return list(dict.fromkeys(found[index] for index in picks))


def goose3_records(git_dir: Path) -> list[dict[str, object]]:
    """goose3's content test pages that are news or blog articles, read from a clone of
    goose3/goose3 at the pinned commit: no gold body, the label's snippets (see
    ``goose3_snippets``) as the "must contain" lines, no "must not" lines; a page whose
    label gives none (its text is not in the page) stays out."""
    from crawler.extract import decode_html

    git = _git_reader(git_dir)
    folder = "tests/data/content"
    tree = git("ls-tree", "--name-only", GOOSE3_COMMIT, f"{folder}/")
    names = sorted(
        Path(p).stem.removeprefix("test_") for p in tree.decode().split() if p.endswith(".json")
    )
    records: list[dict[str, object]] = []
    for name in names:
        if name in GOOSE3_LEFT_OUT:
            continue
        page, expected = f"{folder}/test_{name}.html", f"{folder}/test_{name}.json"
        spec = json.loads(git("show", f"{GOOSE3_COMMIT}:{expected}"))
        label = spec["expected"]["cleaned_text"]
        promo = GOOSE3_NOT_ARTICLE.get(name)
        article = [line for line in label.splitlines() if not (promo and line.startswith(promo))]
        raw = git("show", f"{GOOSE3_COMMIT}:{page}")
        snippets = goose3_snippets("\n".join(article), page_blocks(decode_html(raw) or ""))
        if not snippets:
            continue
        url = GOOSE3_URLS.get(name, spec["url"])
        records.append(GOOSE3.record(git, name, page, expected, url, raw, [label], snippets))
    return records


#: snacktory (Peter Karich's Java article extractor): recorded pages under
#: ``src/test/resources/de/jetwick/snacktory/`` and ``test_data/``, and in its two test
#: classes the maintainers' strings that snacktory's text of a page must start with (a few:
#: end with, or contain).  ``...TodoTester`` holds the tests it did not yet pass: what its
#: maintainers wanted, a label all the same.
SNACKTORY_COMMIT = "c05c5ec338922b3f9a40cd35597ba8094f9162b0"
SNACKTORY = LabelledSource(
    "karussell/snacktory",
    "snacktory",
    SNACKTORY_COMMIT,
    "Apache-2.0 (© 2011 Peter Karich; README and source headers)",
    "snacktory's tests",
    renamed=True,
)
_SNACKTORY_TESTS = tuple(
    f"src/test/java/de/jetwick/snacktory/{name}.java"
    for name in ("ArticleTextExtractorTest", "ArticleTextExtractorTodoTester")
)
_SNACKTORY_RESOURCES = "src/test/resources/de/jetwick/snacktory/"
#: Labelled pages that stay out (by file stem), with why.
SNACKTORY_LEFT_OUT = {
    **dict.fromkeys(("vimeo", "youtube", "6"), "a video page"),
    "github": "a code repository",
    "itunes": "a music shop page",
    **dict.fromkeys(("facebook", "facebook2"), "a social-network post"),
    "stackoverflow": "a forum thread",
    "i4online": "an organisation's home page",
    **dict.fromkeys(
        (
            "wikipedia",
            "wikipedia_president",
            "wikipedia_muhammad",
            "wikipedia_Henne_Strand",
            "wikipedia_java",
            "wikipedia-knight_rider_de",
        ),
        "an encyclopedia article",
    ),
    **dict.fromkeys(
        ("ehow", "golflink", "livestrong", "livestrong2", "trails", "trails2"),
        "a how-to or reference page",
    ),
    "naturalhomemagazine": "a how-to page (craft instructions)",
    "espn2": "the same page as espn3, recorded again (its test gives espn3's label)",
    "blogger": "its one label is the post's headline, which the article text leaves out",
    **dict.fromkeys(("no-hidden", "no-hidden2"), "a synthetic unit page"),
    **{
        stem: f"the same article as goose3/{twin}, already here"
        for stem, twin in (
            ("aolnews", "aolNews"),
            ("businessweek", "businessWeek1"),
            ("cnet", "cnet"),
            ("cnn2", "cnn1"),
            ("engadget2", "engadget"),
            ("espn", "espn"),
            ("foxnews", "foxNews"),
            ("huffingtonpost", "testHuffingtonPost"),
            ("politico", "politico"),
            ("time", "time"),
        )
    },
}
#: Where snacktory's test gives no URL, or another page's (``midgetmanofsteel`` reuses
#: cracked's, ``wordpress`` gives the blog's home): the page's own link, read off the page
#: (its canonical link, og:url, feed or tracking link).
SNACKTORY_URLS = {
    "3": "http://paulgraham.com/seesv.html",
    "5": "http://blog.airbnb.com/airbnb-y-combinator-present-a-party-of-epic-p",
    "7": "http://www.khaama.com/over-100-school-girls-poisoned-in-western-afghanistan-0737",
    "spiegel": "http://www.spiegel.de/netzwelt/gadgets/0,1518,755090,00.html",
    "midgetmanofsteel": (
        "http://www.midgetmanofsteel.com/2011/03/its-only-matter-of-time-before-fox-news.html"
    ),
    "wordpress": "http://karussell.wordpress.com/2011/03/07/twitter-api-and-me/",
}
_JAVA_STRINGS = r'(?:\s*"(?:[^"\\]|\\.)*"\s*\+?)+'
_JAVA_LABEL = re.compile(
    rf"getText\(\)\.(?:startsWith|endsWith|contains|equals)\(({_JAVA_STRINGS})\)"
    rf"|assertEquals\(({_JAVA_STRINGS}),\s*\w+\.getText\(\)\)"
)
#: A comment line that gives the page's URL: ``// http://...``, ``// ? http://...`` or
#: ``//String url = "http://...";``, perhaps with a remark after it (not a commented-out
#: assertion on an image URL).
_JAVA_URL_NOTE = re.compile(r'\s*//\s*(?:\?\s*)?(?:String url = )?"?(https?://[^\s"]+)')
_JAVA_PAGE = re.compile(r'getResourceAsStream\("([^"]+)"\)|readFileAsString\("([^"]+)"\)')


def snacktory_labels(test_source: str) -> list[tuple[str, str | None, list[str]]]:
    """(page path in the repository, the URL a comment of its test gives or None, labels)
    for every page a snacktory test class loads: a label is a string literal (its
    concatenated parts joined) that snacktory's text must start with, end with, contain or
    equal, on a line that is not commented out."""
    pages: dict[str, tuple[str | None, list[str]]] = {}
    for test in re.split(r"@Test\b", test_source)[1:]:
        page = _JAVA_PAGE.search(test)
        if not page:
            continue
        path = page.group(2) or f"{_SNACKTORY_RESOURCES}{page.group(1)}"
        lines = test.splitlines()
        notes = [line for line in lines if line.strip().startswith("//")]
        url = next((m.group(1) for n in notes if (m := _JAVA_URL_NOTE.match(n))), None)
        code = "\n".join(line for line in lines if line not in notes)
        labels = [
            "".join(
                _js_string(s) for s in re.findall(r'"(?:[^"\\]|\\.)*"', m.group(1) or m.group(2))
            )
            for m in _JAVA_LABEL.finditer(code)
        ]
        known_url, known = pages.setdefault(path, (url, []))
        pages[path] = (known_url or url, known + labels)
    return [(path, url, labels) for path, (url, labels) in pages.items() if labels]


def snacktory_records(git_dir: Path) -> list[dict[str, object]]:
    """snacktory's labelled test pages that are news, magazine or blog articles, read from a
    clone of karussell/snacktory at the pinned commit: no gold body, each label's snippet
    (``label_snippet`` on the label with HTML entities read, cut to ``SNIPPET_CHARS``) as a
    "must contain" line, no "must not" lines; a page none of whose labels is in the page's
    text stays out."""
    import html

    from crawler.extract import decode_html

    git = _git_reader(git_dir)
    records: list[dict[str, object]] = []
    for test in _SNACKTORY_TESTS:
        source = git("show", f"{SNACKTORY_COMMIT}:{test}").decode("utf-8")
        for page, test_url, labels in snacktory_labels(source):
            stem = Path(page).stem
            if stem in SNACKTORY_LEFT_OUT:
                continue
            raw = git("show", f"{SNACKTORY_COMMIT}:{page}")
            blocks = page_blocks(decode_html(raw) or "")
            pieces = [label_snippet(html.unescape(label), blocks) for label in labels]
            snippets = list(dict.fromkeys(_snippet(piece) for piece in pieces if piece))
            url = SNACKTORY_URLS.get(stem, test_url)
            if not snippets or url is None:
                continue
            name = f"data{stem}" if page.startswith("test_data/") else stem
            records.append(SNACKTORY.record(git, name, page, test, url, raw, labels, snippets))
    return records


#: fivefilters/readability.php (a PHP port of Mozilla's readability): its test pages are
#: Mozilla's, plus these real articles of its own, each ``test/test-pages/<name>/source.html``
#: with readability's ``expected.html``.
READABILITY_PHP_COMMIT = "0e2370d2488f79651caf11164853e892775e294c"
READABILITY_PHP_PAGES = ("challenges", "fortressofsolitude", "infobae", "lemonde-2", "marketwatch")


def readability_php_records(git_dir: Path) -> list[dict[str, object]]:
    """readability.php's own article pages, read from a clone of fivefilters/readability.php
    at the pinned commit: the gold is the text of ``expected.html``, one line per block, as
    for Mozilla's pages; the URL is readability's placeholder, as its tests give it."""
    git = _git_reader(git_dir)
    records: list[dict[str, object]] = []
    for name in READABILITY_PHP_PAGES:
        folder = f"test/test-pages/{name}"
        page, expected = f"{folder}/source.html", f"{folder}/expected.html"
        gold_html = git("show", f"{READABILITY_PHP_COMMIT}:{expected}").decode("utf-8")
        day, commit = _first_commit(git, READABILITY_PHP_COMMIT, page)
        records.append(
            {
                "id": f"readability-php/{name}",
                "source": "fivefilters/readability.php",
                "commit": READABILITY_PHP_COMMIT,
                "path": f"{page} (gold: {expected})",
                "licence": "Apache-2.0 (readability.php: Andres Rey, FiveFilters.org)",
                "recorded": f"saved into readability.php's tests on {day} (commit {commit})",
                "url": "http://fakehost/test/page.html",
                "outlet": None,
                "html": git("show", f"{READABILITY_PHP_COMMIT}:{page}").decode("latin-1"),
                "gold": "\n".join(
                    text for text, _ in page_blocks(f"<html><body>{gold_html}</body></html>")
                ),
            }
        )
    return records


#: The sources ``main`` rebuilds: name → records read from a local clone.
SOURCES: dict[str, Callable[[Path], list[dict[str, object]]]] = {
    "newspaper4k": newspaper4k_records,
    "postlight": postlight_records,
    "goose3": goose3_records,
    "snacktory": snacktory_records,
    "readability-php": readability_php_records,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.realpages",
        description="Rebuild one later-added part of the real-page corpus from a local clone "
        "(AndyTheFactory/newspaper4k, postlight/parser, goose3/goose3, karussell/snacktory or "
        "fivefilters/readability.php; see "
        "tests/fixtures/realpages/README.md).",
    )
    parser.add_argument("source", choices=SOURCES, help="which part to rebuild")
    parser.add_argument("clone", type=Path, help="a git clone of that source's repository")
    args = parser.parse_args(argv)
    write_source(SOURCES[args.source](args.clone), args.source)


if __name__ == "__main__":
    main()
