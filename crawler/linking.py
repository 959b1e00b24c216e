"""The dedup stage against the store: find an article's relatives and record its lineage.

``dedup`` decides (pure functions, an in-memory index); ``storage.lineage``
keeps the results. This module joins the two for the crawl pipeline and for
`newsmon relink`: it keeps one candidate index per store, so linking a new
article costs a few index look-ups and verdicts, not a scan of the store.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from dedup.candidates import CandidateIndex, DocSignature, signature
from dedup.features import Doc
from dedup.lineage import Article, Link
from dedup.lineage import stories as story_groups
from dedup.verdict import DERIVED, relate
from storage.lineage import (
    LinkableArticle,
    clear_lineage,
    connected,
    count_relations,
    iter_linkable,
    iter_signatures,
    join_story,
    lineage_of,
    linkable_articles,
    save_relation,
    save_signature,
    story_first_article,
    write_story,
)

METHOD = "newsmon-dedup/1"


@dataclass(frozen=True)
class Found:
    """One relation found for a newly linked article."""

    other_id: int
    relation: str
    score: float
    summary: str


def doc_of(article: LinkableArticle) -> Doc:
    return Doc(
        f"{article.title}\n\n{article.text}", article.language, article.published, article.outlet
    )


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
    """Links articles to their relatives; the caller owns the session and commits."""

    # Parsed documents kept for verdicts: features are the expensive part of a verdict,
    # and the same stored articles come up as candidates again and again.
    DOC_CACHE = 4096

    def __init__(self, index: CandidateIndex) -> None:
        self.index = index
        self._docs: OrderedDict[int, Doc] = OrderedDict()

    def _doc(self, article: LinkableArticle) -> Doc:
        doc = self._docs.get(article.id)
        if doc is None:
            doc = self._docs[article.id] = doc_of(article)
            if len(self._docs) > self.DOC_CACHE:
                self._docs.popitem(last=False)
        else:
            self._docs.move_to_end(article.id)
        return doc

    @classmethod
    def from_store(cls, session: Session) -> Linker:
        return cls(
            CandidateIndex.rebuild(
                (str(article_id), DocSignature(minhash, tuple(keys), language or "und").to_bytes())
                for article_id, minhash, keys, language in iter_signatures(session)
            )
        )

    def link(self, session: Session, article_id: int, run_id: int | None = None) -> list[Found]:
        (article,) = linkable_articles(session, [article_id])
        doc = self._doc(article)
        sig = signature(doc)
        save_signature(session, article_id, sig.minhash, sig.anchor_keys, sig.language, METHOD)
        candidates = [int(c) for c in self.index.query(sig) if c != str(article_id)]
        found = []
        for other in linkable_articles(session, candidates):
            verdict = relate(doc, self._doc(other))
            if verdict.relation == "unrelated":
                continue
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
        self.index.add(str(article_id), sig)
        if found and not self._join_story(session, article, found):
            self._update_story(session, article_id)
        return found

    def _join_story(self, session: Session, article: LinkableArticle, found: list[Found]) -> bool:
        """The daily case: a later article joins one existing story; no full recompute.

        Returns False when the story must be recomputed: the article links
        several stories or families, or is earlier than the story or its source.
        """
        infos = {f.other_id: lineage_of(session, f.other_id) for f in found}
        story_ids = {info.story_id for info in infos.values()}
        if len(story_ids) != 1 or None in story_ids:
            return False
        (story_id,) = story_ids
        assert story_id is not None
        derived = [f for f in found if f.relation in DERIVED]
        sources = {infos[f.other_id].source_id or f.other_id for f in derived}
        if len(sources) > 1:
            return False
        first = story_first_article(session, story_id)
        earlier = linkable_articles(session, [i for i in (first, *sources) if i is not None])
        if any(_when(other) > _when(article) for other in earlier):
            return False
        source = next(iter(sources), None)
        relation = None
        if source is not None:
            relation = next(
                (f.relation for f in derived if f.other_id == source), derived[0].relation
            )
        join_story(session, article.id, story_id, source, relation)
        return True

    def _update_story(self, session: Session, article_id: int) -> None:
        ids, relations = connected(session, article_id)
        articles = {a.id: a for a in linkable_articles(session, sorted(ids))}
        lineage_articles = [
            Article(str(a.id), a.first_seen, a.published) for a in articles.values()
        ]
        links = [Link(str(r.article_id), str(r.related_id), r.relation) for r in relations]
        direct = {(r.article_id, r.related_id): r.relation for r in relations}
        direct |= {(b, a): rel for (a, b), rel in direct.items()}
        for group in story_groups(lineage_articles, links):
            sources = {int(m): int(s) for m, s in group.sources.items()}
            source_relations = {
                member: _source_relation(direct.get((member, source)), member, relations)
                for member, source in sources.items()
                if member != source
            }
            write_story(
                session,
                [int(m) for m in group.members],
                int(group.first),
                sources,
                source_relations,
            )


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
