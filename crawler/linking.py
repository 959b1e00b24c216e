"""The dedup stage against the store: find an article's relatives and record its lineage.

``dedup`` decides (pure functions, an in-memory index); ``storage.lineage``
keeps the results. This module joins the two for the crawl pipeline and for
`newsmon relink`: it keeps one candidate index per store, so linking a new
article costs a few index look-ups and verdicts, not a scan of the store.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from dedup.candidates import CandidateIndex, DocSignature, signature
from dedup.features import Doc
from dedup.lineage import Article, Relative, earliest, place
from dedup.verdict import DERIVED, Verdict, relate
from storage.lineage import (
    LinkableArticle,
    article_times,
    clear_lineage,
    connected,
    count_relations,
    iter_linkable,
    iter_signatures,
    linkable_articles,
    save_placement,
    save_relation,
    save_signature,
    set_sources,
    stories_of,
    story_firsts,
    story_sizes,
)

METHOD = "newsmon-dedup/1"


@dataclass(frozen=True)
class Found:
    """One relation found for a newly linked article."""

    other_id: int
    relation: str
    score: float
    summary: str


class _Text(Protocol):
    """What a verdict reads of an article: stored (`LinkableArticle`) or not (`ArticleRecord`)."""

    @property
    def outlet(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def language(self) -> str | None: ...
    @property
    def published(self) -> datetime | None: ...


def doc_of(article: _Text) -> Doc:
    return Doc(
        f"{article.title}\n\n{article.text}", article.language, article.published, article.outlet
    )


def text_signature(article: _Text) -> bytes:
    """The persisted candidate signature, computed where the text is: in an extraction
    worker, so the crawl process only looks it up."""
    return signature(doc_of(article)).to_bytes()


# Parsed documents kept for verdicts in this process (the crawl process or an extraction
# worker): features are the expensive part of a verdict, and the same stored articles come
# up as candidates again and again. Keyed by the whole article, text included, so that
# two stores (or an edited text) never share an entry.
DOC_CACHE = 4096
_docs: OrderedDict[LinkableArticle, Doc] = OrderedDict()


def _doc(article: LinkableArticle) -> Doc:
    doc = _docs.get(article)
    if doc is None:
        doc = _docs[article] = doc_of(article)
        if len(_docs) > DOC_CACHE:
            _docs.popitem(last=False)
    else:
        _docs.move_to_end(article)
    return doc


def judge(
    article: LinkableArticle, candidates: Sequence[LinkableArticle]
) -> list[tuple[int, Verdict]]:
    """The verdict of an article against each candidate: the CPU-heavy part of linking,
    a pure function of the texts so it can run in an extraction worker."""
    doc = _doc(article)
    return [(other.id, relate(doc, _doc(other))) for other in candidates]


@dataclass(frozen=True)
class LinkJob:
    """An article to link and the stored articles worth a verdict against it."""

    article: LinkableArticle
    signature: DocSignature
    candidates: list[LinkableArticle]


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


def _when(article: LinkableArticle) -> tuple[datetime, int]:
    return (article.published or article.first_seen, article.id)


class Linker:
    """Links articles to their relatives; the caller owns the session and commits.

    Linking is three steps so that the verdicts can run elsewhere, several at
    once: `prepare` reads the candidates and indexes the article, `judge` (any
    process) gives the verdicts, `record` stores them. Every pair is judged
    once, by the later-prepared article; jobs are recorded in prepare order.
    """

    def __init__(self, index: CandidateIndex) -> None:
        self.index = index

    @classmethod
    def from_store(cls, session: Session) -> Linker:
        return cls(
            CandidateIndex.rebuild(
                (str(article_id), DocSignature(minhash, tuple(keys), language or "und").to_bytes())
                for article_id, minhash, keys, language in iter_signatures(session)
            )
        )

    def prepare(self, session: Session, article_id: int, sig: bytes | None = None) -> LinkJob:
        """Read the article and its candidates, and index it; ``sig`` is its signature
        if already known.

        Indexed here, not in `record`, so that an article prepared next has this
        one among its candidates even while this one's verdicts are still running.
        """
        (article,) = linkable_articles(session, [article_id])
        found = DocSignature.from_bytes(sig) if sig else signature(_doc(article))
        ids = [int(c) for c in self.index.query(found) if c != str(article_id)]
        self.index.add(str(article_id), found)
        return LinkJob(article, found, linkable_articles(session, ids))

    def record(
        self,
        session: Session,
        job: LinkJob,
        verdicts: Sequence[tuple[int, Verdict]],
        run_id: int | None = None,
    ) -> list[Found]:
        """Store the signature and relations and place the article in a story.

        Jobs must be recorded in the order they were prepared: a later article's
        story placement reads the stories of the earlier ones it relates to.
        """
        article, sig = job.article, job.signature
        save_signature(session, article.id, sig.minhash, sig.anchor_keys, sig.language, METHOD)
        others = {other.id: other for other in job.candidates}
        found = []
        for other_id, verdict in verdicts:
            if verdict.relation == "unrelated":
                continue
            other = others[other_id]
            evidence = {**verdict.evidence, "a_id": article.id, "b_id": other.id}
            evidence["summary"] = summarize(verdict.relation, verdict.evidence)
            later, earlier = sorted((article, other), key=_when, reverse=True)
            save_relation(
                session,
                later.id,
                earlier.id,
                verdict.relation,
                verdict.score,
                METHOD,
                evidence,
                run_id,
            )
            found.append(Found(other.id, verdict.relation, verdict.score, evidence["summary"]))
        if found:
            self._place(session, article.id, found)
        return found

    def link(self, session: Session, article_id: int, run_id: int | None = None) -> list[Found]:
        """All three steps in this process (`newsmon relink`, a crawl without workers)."""
        job = self.prepare(session, article_id)
        return self.record(session, job, judge(job.article, job.candidates), run_id)

    def _place(self, session: Session, article_id: int, found: list[Found]) -> None:
        """Put the article in a story, and its family under the family's source."""
        stories = stories_of(session, [f.other_id for f in found])
        relatives = [
            Relative(f.other_id, f.relation, f.score, stories.get(f.other_id)) for f in found
        ]
        placement = place(relatives, story_sizes(session, set(stories.values())))
        assert placement is not None
        members = [article_id, *placement.adopt]
        openers = story_firsts(session, [s for s in (placement.story, *placement.merge) if s])
        first = earliest(_times(session, [*members, *openers]))
        save_placement(session, placement.story, placement.merge, members, first.id)
        if any(f.relation in DERIVED for f in found):
            self._update_family(session, article_id)

    def _update_family(self, session: Session, article_id: int) -> None:
        """Point every member of the article's family at the family's source.

        A family is small (copies of one text), so walking it is cheap; a late
        arrival that was published earlier becomes the source of all of them.
        """
        ids, relations = connected(session, article_id, DERIVED)
        source = earliest(_times(session, ids)).id
        direct = {(r.article_id, r.related_id): r.relation for r in relations}
        direct |= {(b, a): rel for (a, b), rel in direct.items()}
        set_sources(
            session,
            {
                member: (None, None)
                if member == source
                else (source, _source_relation(direct.get((member, source)), member, relations))
                for member in ids
            },
        )


def _times(session: Session, ids: Iterable[int]) -> list[Article]:
    return [
        Article(article_id, seen, published)
        for article_id, published, seen in article_times(session, ids)
    ]


def _source_relation(direct: str | None, member: int, relations: list[Any]) -> str:
    """How a member derives from its family source: the direct relation when it is a
    derived one, else (related to the source only through others) its own derived relation."""
    if direct in DERIVED:
        return str(direct)
    for r in relations:
        if member in (r.article_id, r.related_id) and r.relation in DERIVED:
            return str(r.relation)
    return "rewrite"


def relink_all(session: Session) -> tuple[int, dict[str, int]]:
    """Recompute every signature, relation and story, replaying articles in crawl order."""
    clear_lineage(session)
    linker = Linker(CandidateIndex())
    count = 0
    for article in list(iter_linkable(session)):
        linker.link(session, article.id)
        count += 1
    return count, count_relations(session)
