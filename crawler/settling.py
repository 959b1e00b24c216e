"""A crawl run's stories, settled in publication order once the run has linked its articles.

A crawl links articles in the order it fetches them, which is not the order they
were published. Story placement is online, so that order shows: a translation
fetched before its source opens a story of its own, and the source's family then
follows it there, away from the other reports of the event (the demo's seeds
ended in one story or in two, depending on which page came first). `newsmon
relink` replays the whole store in publication order; settling does the same for
what one run touched, at its end (an interrupted run too, and what `newsmon db
check --repair` or the next run links for it): every member of every story the
run's articles are in is placed again, in relink's order, by the same
`dedup.lineage.place`, from the relations already stored (no verdict is computed
again) and a candidate index filled in that order. On the same relations it
gives relink's stories exactly. What it cannot undo: the pairs a crawl judged
depend on what was indexed when. An article that a copy published earlier
re-dated (`storage.queries.store_article`) counts as the run's. Stories keep
their numbers where they keep most of their members, so `newsmon story N` still
finds yesterday's story.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping

from sqlalchemy.orm import Session

from crawler.linking import Linker, rejudge, replay_order, stored_signature
from dedup.candidates import CandidateIndex
from dedup.lineage import Article, StoryBook, StoryProfile, earliest
from storage.lineage import (
    Opener,
    drop_empty_stories,
    iter_signatures,
    linkable_articles,
    relation_edges,
    save_placement,
    stories_of,
    story_heads,
    story_members,
)


def settle(
    session: Session,
    linker: Linker,
    article_ids: Collection[int],
    redated: Collection[int] = (),
    run_id: int | None = None,
) -> int:
    """Place the stories of these articles (a run's) again, in publication order; returns
    how many articles were placed. The caller owns the session and commits.

    ``redated`` are articles a copy published earlier re-dated: their pairs are judged
    again in the new order first (`crawler.linking.rejudge`, recorded under ``run_id``),
    and their stories settled with the others.
    """
    for article_id in sorted(redated):
        rejudge(session, article_id, run_id)
    article_ids = [*article_ids, *redated]
    touched = set(stories_of(session, article_ids).values())
    if not touched:
        return 0
    members = story_members(session, touched)
    previous = stories_of(session, members)
    signatures = {
        row.article_id: stored_signature(row) for row in iter_signatures(session, only=members)
    }
    # An article stored but not linked yet keeps its place: the next run links it.
    articles = sorted(
        (a for a in linkable_articles(session, members) if a.id in signatures), key=replay_order
    )
    relatives: dict[int, list[tuple[int, str, float]]] = {}
    for e in relation_edges(session, members):
        relatives.setdefault(e.article_id, []).append((e.related_id, e.relation, e.score))
        relatives.setdefault(e.related_id, []).append((e.article_id, e.relation, e.score))
    # The candidates are looked up again as relink would meet them: in an index that holds
    # the articles outside these stories that any member could meet, and each member only
    # once its turn has come (a later one would crowd out the earlier ones it may join).
    outside_ids = {int(c) for a in articles for c in linker.index.query(signatures[a.id])}
    outside_ids |= relatives.keys()
    outside = stories_of(session, outside_ids - set(members))
    index = CandidateIndex()
    for row in iter_signatures(session, only=outside.keys()):
        index.add(str(row.article_id), stored_signature(row))
    heads = story_heads(session, set(outside.values()))

    book: StoryBook[int] = StoryBook(index.specificities, max(outside.values(), default=0) + 1)
    known: dict[int, list[int]] = {}
    for article_id, story in outside.items():
        known.setdefault(story, []).append(article_id)
    for story, head in heads.items():
        if head.profile is not None:
            book.know(story, StoryProfile.from_json(head.profile), known[story])
    for article in articles:
        sig = signatures[article.id]
        candidates = [int(c) for c in index.query(sig)]
        index.add(str(article.id), sig)
        own = StoryProfile.of(sig.terms, sig.when, sig.language)
        book.add(article.id, own, relatives.get(article.id, []), candidates)

    openers = {a.id: Opener(a.id, a.title, a.published, a.first_seen) for a in articles}
    taken: set[int] = set()
    for story, keys in sorted(book.members.items(), key=lambda item: (-len(item[1]), item[0])):
        settled = [k for k in keys if k in openers]
        if not settled:
            continue
        # A story that took in stories outside the run keeps the oldest of their numbers;
        # else the number most of its members had, if no larger story kept it already.
        absorbed = sorted({outside[k] for k in keys if k in outside})
        number = absorbed[0] if absorbed else _kept_number(settled, previous, taken)
        firsts = [openers[m] for m in settled]
        firsts += [o for s in absorbed if (o := heads[s].opener) is not None]
        first = earliest(Article(o.id, o.seen, o.published) for o in firsts)
        opener = next(o for o in firsts if o.id == first.id)
        profile = book.profiles[story].to_json()
        taken.add(save_placement(session, number, absorbed[1:], settled, opener, profile))
    drop_empty_stories(session, touched)
    return len(articles)


def _kept_number(
    settled: Collection[int], previous: Mapping[int, int], taken: Collection[int]
) -> int | None:
    """The story number most of these members had and no other story kept (None: new)."""
    for number, _ in Counter(previous[m] for m in settled).most_common():
        if number not in taken:
            return number
    return None
