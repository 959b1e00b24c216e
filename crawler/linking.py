"""The dedup stage against the store: find an article's relatives and record its lineage.

``dedup`` decides (pure functions, an in-memory index); ``storage.lineage``
keeps the results. This module joins the two for the crawl pipeline and for
`newsmon relink`: it keeps one candidate index per store, so linking a new
article costs a few index look-ups and verdicts, not a scan of the store.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from dedup.candidates import CandidateIndex, DocSignature, signature
from dedup.judging import Judgement, Known, judge, judge_known, kept, when
from dedup.lineage import Article, Relative, StoryProfile, earliest, place
from dedup.verdict import DERIVED
from storage.lineage import (
    Opener,
    StoredSignature,
    StoryHead,
    article_ref_and_text,
    article_refs,
    article_texts,
    article_times,
    clear_lineage,
    connected,
    count_relations,
    delete_relations,
    iter_linkable,
    iter_signatures,
    linkable_articles,
    relations_touching,
    save_placement,
    save_relations,
    save_signature,
    set_sources,
    signed_after,
    signed_through,
    stories_of,
    story_heads,
    unlinked_articles,
)
from storage.models import utcnow
from storage.records import ArticleRef, LinkableArticle

METHOD = "newsmon-dedup/1"


@dataclass(frozen=True)
class Found:
    """One relation found for a newly linked article."""

    other_id: int
    relation: str
    score: float
    summary: str


@dataclass(frozen=True)
class LinkJob:
    """An article to link (and its text) and the stored articles worth a verdict against
    it, without their texts: the process that judges them most often parsed them before
    (`dedup.judging.Documents`), and reads only the texts it lacks (`judge_job`)."""

    article: ArticleRef
    text: str
    signature: DocSignature
    candidates: list[ArticleRef]


TextReader = Callable[[Sequence[ArticleRef]], Mapping[int, str]]
"""Reads the texts of stored articles (`texts_for` with a session)."""


class StaleText(LookupError):
    """A candidate's stored text or metadata changed (or it went) while it was judged."""


def texts_for(session: Session, refs: Sequence[ArticleRef]) -> dict[int, str]:
    """The texts of these articles, checked to be the ones their refs name: a verdict is
    never given on a text its article no longer has. StaleText otherwise: the article's
    linking fails, and it is linked again by the next run (it stays unsigned). The
    metadata may have changed (a take-over by an earlier copy): the verdict reads the
    ref's, as it would have if the text had been read with it, and the run judges a
    re-dated article's pairs again once its verdicts are recorded (`rejudge`)."""
    read = article_texts(session, [ref.id for ref in refs])
    texts = {}
    for ref in refs:
        found = read.get(ref.id)
        if found is None or found[0] != ref.text_stamp:
            raise StaleText(f"the text of article {ref.id} changed while it was a candidate")
        texts[ref.id] = found[1]
    return texts


def judge_job(job: LinkJob, read_texts: TextReader) -> list[tuple[int, Judgement]]:
    """The job's relations in this process (`judge_known`), in the candidates' order: from
    the documents it kept, and from texts read for the candidates it had not parsed."""
    if not job.candidates:
        return []  # nothing to parse the article for here
    own = {job.article.id: job.text}
    judged = judge_known(job.article, job.candidates, own)
    if not judged.missing:
        return judged.found
    missing = set(judged.missing)
    unread = [c for c in job.candidates if c.id in missing]
    more = judge_known(job.article, unread, {**own, **read_texts(unread)})
    return in_order(job.candidates, [*judged.found, *more.found])


def in_order(
    candidates: Sequence[Known], found: Iterable[tuple[int, Judgement]]
) -> list[tuple[int, Judgement]]:
    """Relations found in parts, back in the candidates' order (an unrelated candidate has
    none)."""
    by_id = dict(found)
    return [(c.id, by_id[c.id]) for c in candidates if c.id in by_id]


class Linker:
    """Links articles to their relatives; the caller owns the session and commits.

    Linking is three steps so that the verdicts can run elsewhere, several at
    once: `prepare` reads the candidates and indexes the article, `judge` (any
    process) gives the verdicts, `record` stores them. Every pair is judged
    once, by the later-prepared article; jobs are recorded in prepare order.
    """

    def __init__(self, index: CandidateIndex, read_through: int = 0) -> None:
        self.index = index
        # Every signature stored for an article up to this id is in the index.
        self.read_through = read_through
        # The articles this linker has put in the index.
        self.indexed: set[int] = set()
        self.profiles = StoryProfiles()

    @classmethod
    def from_store(cls, session: Session) -> Linker:
        linker = cls(CandidateIndex())
        linker.refresh(session)
        return linker

    def refresh(self, session: Session) -> int:
        """Index the signatures stored since the last look; returns how many were new.

        Another process (a crawl of other outlets, `newsmon relink`) may have linked
        articles into the same store since this index was built; they must be
        candidates for the articles linked here. The ids read through are settled
        before the signatures are read, so a signature stored in between is read now
        or by the next refresh, never skipped. Only the ids are read first: the
        signatures this index already has (this crawl's own, mostly) are not read again.
        """
        through = signed_through(session, self.read_through)
        signed = signed_after(session, self.read_through)
        new = [i for i in signed if i not in self.indexed]
        if new:
            # All of them new (the first look at a store): one scan, no list of ids.
            only = None if len(new) == len(signed) else new
            for row in iter_signatures(session, after=self.read_through, only=only):
                self._add(row.article_id, stored_signature(row))
        self.read_through = through
        return len(new)

    def _add(self, article_id: int, sig: DocSignature) -> None:
        self.index.add(str(article_id), sig)  # an id already indexed is left as it is
        self.indexed.add(article_id)

    def prepare(self, session: Session, article_id: int, sig: bytes | None = None) -> LinkJob:
        """Read the article and its candidates, and index it; ``sig`` is its signature
        if already known.

        Indexed here, not in `record`, so that an article prepared next has this
        one among its candidates even while this one's verdicts are still running.
        """
        read = article_ref_and_text(session, article_id)
        if read is None:
            raise StaleText(f"article {article_id} went before it was linked")
        article, text = read
        if sig:
            found = DocSignature.from_bytes(sig)
        else:  # kept: this process's verdicts on the article read it next (`link`)
            doc = kept().document(article, text)
            assert doc is not None
            found = signature(doc)
        if found.when is None:
            found = replace(found, when=article.first_seen)
        ids = [int(c) for c in self.index.query(found) if c != str(article_id)]
        self._add(article_id, found)
        return LinkJob(article, text, found, article_refs(session, ids))

    def record(
        self,
        session: Session,
        job: LinkJob,
        judged: Sequence[tuple[int, Judgement]],
        run_id: int | None = None,
    ) -> list[Found]:
        """Store the signature and relations and place the article in a story.

        Jobs must be recorded in the order they were prepared: a later article's
        story placement reads the stories of the earlier ones it relates to.
        """
        article, sig = job.article, job.signature
        save_signature(
            session, article.id, sig.minhash, sig.anchor_keys, sig.language, sig.terms, METHOD
        )
        save_relations(session, [j for _, j in judged], METHOD, run_id)
        found = [Found(other, j.relation, j.score, j.summary) for other, j in judged]
        self._place(session, job, found)
        return found

    def link(self, session: Session, article_id: int, run_id: int | None = None) -> list[Found]:
        """All three steps in this process (`newsmon relink`, a crawl without workers)."""
        job = self.prepare(session, article_id)
        verdicts = judge_job(job, lambda refs: texts_for(session, refs))
        return self.record(session, job, verdicts, run_id)

    def _place(self, session: Session, job: LinkJob, found: list[Found]) -> None:
        """Put the article in a story, and its family under the family's source.

        The candidate stories are those of the candidates (the verdicts' relatives
        among them): the stories an article's event could already have.
        """
        article, sig = job.article, job.signature
        stories = stories_of(session, [c.id for c in job.candidates])
        heads = story_heads(session, set(stories.values()), profiles=False)
        profiles = self.profiles.of(session, heads)
        relatives = [
            Relative(f.other_id, f.relation, f.score, stories.get(f.other_id)) for f in found
        ]
        own = StoryProfile.of(sig.terms, sig.when, sig.language)
        placement = place(relatives, profiles, own, self.index.specificities)
        profile = placement.grown
        if profile is None:
            profile = own
            for story in (placement.story, *placement.merge):
                if story in profiles:
                    profile = profiles[story].merged(profile)
        openers = {
            opener.id: opener
            for story in (placement.story, *placement.merge)
            if story and (opener := heads[story].opener) is not None
        }
        openers[article.id] = Opener(
            article.id, article.title, article.published, article.first_seen
        )
        first = earliest(Article(o.id, o.seen, o.published) for o in openers.values())
        written = utcnow()
        story = save_placement(
            session,
            placement.story,
            placement.merge,
            [article.id],
            openers[first.id],
            profile.to_json(),
            written,
        )
        self.profiles.wrote(story, written, profile)
        if any(f.relation in DERIVED for f in found):
            update_family(session, article.id)


def rejudge(session: Session, article_id: int, run_id: int | None = None) -> None:
    """Judge a linked article's pairs again once its date changed, and repoint its family.

    A copy published before the stored page takes its place (`storage.queries.
    store_article`), so the article may now precede relatives it followed. Which of
    two is the source decides a verdict's direction (evidence reads source→copy, a
    translation en→it or it→en), so the pairs are judged again in the new order and
    their relations replaced. Run once the crawl's verdicts in flight are recorded
    (they were judged in the old order); the story is then placed again by settling.
    """
    touching = relations_touching(session, [article_id])
    if not touching:
        return
    others = sorted(
        {r.related_id if r.article_id == article_id else r.article_id for r in touching}
    )
    (article,) = linkable_articles(session, [article_id])
    candidates = linkable_articles(session, others)
    delete_relations(session, article_id)
    save_relations(session, [j for _, j in judge(article, candidates)], METHOD, run_id)
    update_family(session, article_id)


def update_family(session: Session, article_id: int) -> None:
    """Point every member of the article's family at the family's source.

    A family is small (copies of one text), so walking it is cheap; a late
    arrival that was published earlier becomes the source of all of them, and so
    does a member that a copy published earlier re-dated (`storage.queries.store_article`).
    An article without derived relatives has no family to point.
    """
    ids, relations = connected(session, article_id, DERIVED)
    if not relations:
        return
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


PROFILES_KEPT = 256
"""Story profiles a linker keeps parsed (a few tens of KB each): the candidate stories of
the articles it links are mostly the same recent ones."""


class StoryProfiles:
    """The parsed profiles of the stories a linker met lately, each with when its story was
    written: placing an article reads the profiles of all its candidate stories (a few
    hundred terms of JSON each), and most of them did not change since the last article.
    A story written since (by this crawl, another process or a rolled-back transaction
    alike) is read again, so what placement sees is always what the store holds."""

    def __init__(self, size: int = PROFILES_KEPT) -> None:
        self.size = size
        self._kept: OrderedDict[int, tuple[datetime, StoryProfile | None]] = OrderedDict()

    def of(self, session: Session, heads: Mapping[int, StoryHead]) -> dict[int, StoryProfile]:
        """The profiles of the stories of ``heads`` (read without profiles) that have one."""
        stale = {
            story
            for story, head in heads.items()
            if head.written is None
            or (kept := self._kept.get(story)) is None
            or kept[0] != head.written
        }
        fresh: dict[int, StoryProfile | None] = {}
        for story, head in story_heads(session, stale).items() if stale else ():
            profile = StoryProfile.from_json(head.profile) if head.profile is not None else None
            fresh[story] = profile
            if head.written is not None:
                self._kept[story] = (head.written, profile)
        found = {}
        for story in heads:
            if story in stale:
                profile = fresh.get(story)
            else:
                profile = self._kept[story][1]
                self._kept.move_to_end(story)
            if profile is not None:
                found[story] = profile
        self._trim()
        return found

    def wrote(self, story: int, written: datetime, profile: StoryProfile) -> None:
        """The profile this process just wrote for a story, at ``written``: the story's
        next article finds it here, not in the store (a story a crawl grows is written by
        every article it places). Had the write been rolled back, the stored story's time
        differs, and `of` reads it again."""
        self._kept[story] = (written, profile)
        self._kept.move_to_end(story)
        self._trim()

    def _trim(self) -> None:
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)


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
    """Recompute every signature, relation and story.

    Articles are replayed in publication order (else first seen), ties broken by
    their text, not in crawl order: two crawls of the same articles, in whatever
    order they met them, end in the same stories.
    """
    clear_lineage(session)
    linker = Linker(CandidateIndex())
    order = sorted(iter_linkable(session), key=replay_order)
    for article in order:
        linker.link(session, article.id)
    return len(order), count_relations(session)


def link_unlinked(
    session: Session, outlets: Collection[str] | None = None, run_id: int | None = None
) -> list[int]:
    """Link the articles a crawl stored but did not get to link (it was interrupted
    or killed between the two); returns their ids.

    Run before the next crawl of their outlets, so its candidate index has them;
    replayed in the same order as `relink_all`, against everything already linked.
    """
    ids = unlinked_articles(session, outlets)
    if not ids:
        return []
    linker = Linker.from_store(session)
    order = sorted(linkable_articles(session, ids), key=replay_order)
    for article in order:
        linker.link(session, article.id, run_id)
    return [article.id for article in order]


def stored_signature(row: StoredSignature) -> DocSignature:
    """The candidate signature of a stored row (its article's date read alongside)."""
    return DocSignature(
        row.minhash, tuple(row.anchor_keys), row.language or "und", row.terms, row.when
    )


def replay_order(article: LinkableArticle) -> tuple[datetime, str, str]:
    """Publication order (else first seen), ties broken by the text, not the crawl order."""
    return (when(article)[0], article.title, article.text)
