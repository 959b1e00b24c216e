"""The dedup stage against the store: find an article's relatives and record its lineage.

``dedup`` decides (pure functions, an in-memory index); ``storage.lineage``
keeps the results. This module joins the two for the crawl pipeline and for
`newsmon relink`: it keeps one candidate index per store, so linking a new
article costs a few index look-ups and verdicts, not a scan of the store.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from dedup.candidates import CandidateIndex, DocSignature, signature
from dedup.features import Doc
from dedup.lineage import Article, Relative, earliest, place
from dedup.verdict import DERIVED, relate
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
        if found:
            self._place(session, article_id, found)
        return found

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
