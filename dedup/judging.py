"""Verdicts on stored articles and their one-line summaries: pure, so a worker can run them.

The crawl hands `judge_known` to its extraction workers; this module (and what it
imports) is all a worker loads for it: no database, no Scrapy.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple, Protocol, TypeVar

from dedup.features import Doc
from dedup.verdict import Verdict, related


class Known(Protocol):
    """A stored article as a verdict knows it, its text aside: a key under which a process
    keeps the article's parsed document (equal only when the text is the same one)."""

    @property
    def id(self) -> int: ...
    @property
    def outlet(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def language(self) -> str | None: ...
    @property
    def published(self) -> datetime | None: ...
    @property
    def first_seen(self) -> datetime: ...
    def __hash__(self) -> int: ...


K = TypeVar("K", bound=Known)


class Dated(Known, Protocol):
    """A stored article with its text."""

    @property
    def text(self) -> str: ...


DOCUMENTS_KEPT = 512
"""Parsed documents a process keeps for later verdicts. A parsed news article holds 200 to
400 KB; the crawl sends each stored article's verdicts to one worker of its pool
(`share_of`), so 512 of them per worker cover the latest 1,024 candidates of a two-worker
crawl in about 200 MB a worker."""


class Documents:
    """The parsed documents of the articles met last, by their `Known` key.

    Features are the expensive part of a verdict, and the same stored articles come up as
    candidates again and again. The key is the article without its text (the crawl's
    `storage.records.ArticleRef`, which changes whenever the text does) or with it (a
    `storage.records.LinkableArticle`), so two stores or an edited text never share an
    entry.
    """

    def __init__(self, size: int = DOCUMENTS_KEPT) -> None:
        self.size = size
        self._docs: OrderedDict[Known, Doc] = OrderedDict()

    def get(self, article: Known) -> Doc | None:
        doc = self._docs.get(article)
        if doc is not None:
            self._docs.move_to_end(article)
        return doc

    def document(self, article: Known, text: str | None, keep: bool = True) -> Doc | None:
        """The article's document: the one kept, else parsed from ``text`` (and kept
        unless ``keep`` is false); None when neither is there."""
        doc = self.get(article)
        if doc is None and text is not None:
            seed = f"{article.title}\n\n{text}"
            doc = Doc(seed, article.language, article.published, article.outlet)
            if keep:
                self._docs[article] = doc
                if len(self._docs) > self.size:
                    self._docs.popitem(last=False)
        return doc


class KeptKeys:
    """Which articles a process's `Documents` holds, without the documents: the crawl keeps
    one for each worker, told each call in the order the worker gets it (a worker runs its
    calls in turn), so that it sends with a call the texts the worker lacks, instead of
    learning so from the worker's answer and calling again. Only a hint: a worker that
    lacks a document anyway (it was restarted) names it, as `judge_known` does."""

    def __init__(self, size: int = DOCUMENTS_KEPT) -> None:
        self.size = size
        self._keys: OrderedDict[Known, None] = OrderedDict()

    def _touch(self, article: Known, keep: bool) -> bool:
        """What `Documents.document` does with the article's key; whether it was held."""
        if article in self._keys:
            self._keys.move_to_end(article)
            return True
        if keep:
            self._keys[article] = None
            if len(self._keys) > self.size:
                self._keys.popitem(last=False)
        return False

    def judging(
        self, article: Known, candidates: Sequence[K], keep_article: bool = True
    ) -> list[K]:
        """The candidates whose texts a `judge_known` call in that process needs, the
        process's documents taken as they will be after the call (the texts given parsed
        and kept, as there)."""
        self._touch(article, keep_article)
        return [other for other in candidates if not self._touch(other, True)]


@cache
def kept() -> Documents:
    """This process's parsed documents (each worker of a crawl has its own)."""
    return Documents()


def share_of(article_id: int, shares: int) -> int:
    """Which of ``shares`` workers judges the pairs with this stored article as the
    candidate, so that only that worker keeps its parsed document."""
    return article_id % shares


def when(article: Known) -> tuple[datetime, int]:
    """Publication time (else first seen), then id: which of two articles came first."""
    return (article.published or article.first_seen, article.id)


class Judgement(NamedTuple):
    """A relation a verdict found, as the store keeps it: from the later article to the
    earlier, its source, with the verdict's evidence (naming the two and summed up in one
    line) already encoded as JSON.

    Encoded where the verdict is given, which in a crawl is a worker of its pool: the
    crawl process, which records every relation, then neither unpickles the evidence nor
    encodes it again. A widely copied story gives an article dozens of relations with
    1.5 KB of evidence each; the two were 1.5 ms of the crawl process's time an article.
    """

    later: int
    earlier: int
    relation: str
    score: float
    summary: str
    evidence: str
    """The verdict's evidence with ``a_id`` (the source), ``b_id`` (the copy) and
    ``summary``: the JSON text of the stored relation's ``evidence``."""

    @classmethod
    def of(cls, verdict: Verdict, later: int, earlier: int) -> Judgement:
        summary = summarize(verdict.relation, verdict.evidence)
        evidence = {**verdict.evidence, "a_id": earlier, "b_id": later, "summary": summary}
        return cls(later, earlier, verdict.relation, verdict.score, summary, json.dumps(evidence))


class Judged(NamedTuple):
    """The relations found with the candidates this process could read (verdicts other than
    `unrelated`, in the candidates' order, each with the candidate's id), and the ids of
    those it could not read: not parsed here and no text given."""

    found: list[tuple[int, Judgement]]
    missing: list[int]


def judge_known(
    article: Known,
    candidates: Sequence[Known],
    texts: Mapping[int, str],
    keep_article: bool = True,
) -> Judged:
    """The verdicts of an article against its candidates that relate them: the CPU-heavy
    part of linking. An unrelated pair is left out, most of them before their costliest
    signals are measured (`dedup.verdict.related`): a crawl stores relations only, and
    most candidates of a many-event store turn out unrelated.

    A document comes from this process's kept ones (`kept`), else from ``texts`` (by
    id); a candidate with neither is left out and listed as missing, for the caller to
    send its text. The article's own text must be known one way or the other. The
    earlier of the two is always the verdict's source (``a``), so evidence reads
    source→copy and a translation's direction does not depend on which came second.
    Without ``keep_article``, the article's parsed document is not kept in this process
    (it will come up as a candidate in another worker: `share_of`).
    """
    documents = kept()
    own = documents.document(article, texts.get(article.id), keep_article)
    if own is None:
        raise KeyError(f"article {article.id} has neither a parsed document here nor a text")
    found, missing = [], []
    for other in candidates:
        theirs = documents.document(other, texts.get(other.id))
        if theirs is None:
            missing.append(other.id)
            continue
        first = when(article) <= when(other)
        verdict = related(own, theirs) if first else related(theirs, own)
        if verdict is not None and verdict.relation != "unrelated":
            later, earlier = (other.id, article.id) if first else (article.id, other.id)
            found.append((other.id, Judgement.of(verdict, later, earlier)))
    return Judged(found, missing)


def judge(
    article: Dated, candidates: Sequence[Dated], keep_article: bool = True
) -> list[tuple[int, Judgement]]:
    """`judge_known` of articles read with their texts (every text given, so none missing)."""
    texts = {a.id: a.text for a in (article, *candidates)}
    return judge_known(article, candidates, texts, keep_article).found


def summarize(relation: str, evidence: Mapping[str, Any]) -> str:
    """One line on how two related articles differ, for listings and reports."""
    parts = []
    pair = evidence.get("language_pair")
    if relation == "translation" and pair:
        parts.append(f"{pair[0]}→{pair[1]}")
    substituted = evidence.get("substituted") or []
    if substituted:
        shown = ", ".join(f"{a}→{b}" for a, b, *_ in substituted[:3])
        parts.append(f"{len(substituted)} word substitution(s) ({shown})")
    dropped = evidence.get("dropped") or {}
    if relation != "same_story" and (dropped.get("a") or dropped.get("b")):
        parts.append(
            f"paragraphs dropped: {len(dropped.get('a', []))} / {len(dropped.get('b', []))}"
        )
    aligned = evidence.get("aligned") or []
    if aligned and relation != "same_story":
        parts.append(f"{len(aligned)} paragraph(s) aligned")
    shared = evidence.get("shared_passages") or []
    if shared:
        parts.append(f"{len(shared)} shared wire passage(s)")
    return "; ".join(parts)
