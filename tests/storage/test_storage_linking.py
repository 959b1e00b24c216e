"""Linking stored articles one at a time, in the order a crawl meets them.

A crawl rarely meets the original first: the spun copy on a fast aggregator is
often fetched before the outlet that published it. Whatever the order, the
family source must end up the earliest published member, and relinking the
whole store must give the same lineage.
"""

from __future__ import annotations

import gc
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import storage.lineage
from crawler.context import YOUNG_COLLECTION_EVERY, CrawlContext
from crawler.linking import Found, Linker, rejudge, relink_all
from crawler.settling import settle
from dedup.candidates import CandidateIndex
from dedup.lineage import StoryProfile
from dedup.verdict import DERIVED
from storage.db import make_engine, session_factory, upgrade
from storage.lineage import misdirected_articles, run_articles, stories_of, story_heads
from storage.models import Article, Lineage, Relation, Story
from storage.queries import ensure_outlet, start_run, store_article
from storage.records import ArticleRecord, StoreOutcome
from storage.views import StoryFilter, list_story_items
from tests.conftest import run_cli

SEEDS = Path(__file__).parents[1] / "data" / "pairs" / "seeds"
REAL_STORIES = Path(__file__).parents[1] / "data" / "real" / "stories_basil_dev.jsonl"
PUBLISHED = datetime(2022, 6, 15, 12, tzinfo=UTC)
# Publication order of the seeds: CNN's original (000) first, its copies later.
HOURS = {"000": 0, "002": 1, "003": 2, "001": 5, "004": 9}
LANGUAGES = {"004": "it"}


def _store_seeds(
    session: Session,
    make_record: Callable[..., ArticleRecord],
    order: Callable[[int], int] = lambda hours: -hours,
) -> dict[str, int]:
    """Store the seeds, by default in the reverse of their publication order."""
    ids = {}
    for path in sorted(SEEDS.glob("*.txt"), key=lambda p: order(HOURS[p.name[:3]])):
        ids[path.name[:3]] = _store_seed_file(session, make_record, path)
    session.commit()
    return ids


def _store_seed_file(
    session: Session,
    make_record: Callable[..., ArticleRecord],
    path: Path,
    run_id: int | None = None,
) -> int:
    """Store one seed as its own outlet's article, published at its hour."""
    seed = path.name[:3]
    title, _, text = path.read_text("utf-8").partition("\n\n")
    outlet = f"outlet{seed}"
    ensure_outlet(session, outlet, outlet, f"https://{outlet}.example/", ["en"])
    record = make_record(
        outlet=outlet,
        url=f"https://{outlet}.example/2022/06/15/xi-putin",
        title=title,
        text=text,
        language=LANGUAGES.get(seed, "en"),
        published=PUBLISHED + timedelta(hours=HOURS[seed]),
        run_id=run_id,
    )
    article_id = store_article(session, record).article_id
    assert article_id is not None
    return article_id


def _lineage(session: Session, ids: dict[str, int]) -> dict[str, tuple[int | None, str | None]]:
    seed_of = {v: k for k, v in ids.items()}
    rows = session.scalars(select(Lineage).where(Lineage.article_id.in_(ids.values())))
    return {
        seed_of[row.article_id]: (
            row.story_id,
            seed_of.get(row.source_id) if row.source_id is not None else None,
        )
        for row in rows
    }


@pytest.fixture
def linked(
    session: Session, make_record: Callable[..., ArticleRecord]
) -> tuple[Session, dict[str, int]]:
    ids = _store_seeds(session, make_record)
    linker = Linker(CandidateIndex())
    for article_id in sorted(ids.values()):  # the crawl order: latest published first
        linker.link(session, article_id)
        session.commit()
    return session, ids


def test_the_original_becomes_the_source_though_it_was_linked_last(
    linked: tuple[Session, dict[str, int]],
) -> None:
    session, ids = linked
    lineage = _lineage(session, ids)
    assert lineage["000"][1] is None  # the source has none
    assert lineage["001"][1] == "000"
    assert lineage["004"][1] == "000"
    assert lineage["002"][1] is None  # own reports, no source
    assert lineage["003"][1] is None
    # One event: the family and the wire reports meet through a strong same_story link.
    assert len({story for story, _ in lineage.values()}) == 1
    assert lineage["000"][0] is not None


def _store_an_earlier_copy(
    session: Session, make_record: Callable[..., ArticleRecord], article_id: int
) -> None:
    """A verbatim copy of a stored article (the Italian seed), published an hour before
    every seed: it takes the article's place and re-dates it."""
    stored = session.get(Article, article_id)
    assert stored is not None
    ensure_outlet(session, "early", "early", "https://early.example/", ["it"])
    copy = make_record(
        outlet="early",
        url="https://early.example/2022/06/15/xi-putin",
        title=stored.title,
        text=stored.text,
        language="it",
        published=PUBLISHED - timedelta(hours=1),
    )
    assert store_article(session, copy) == StoreOutcome("duplicate_text", article_id, redated=True)


def test_a_copy_published_first_turns_its_articles_pairs_round(
    linked: tuple[Session, dict[str, int]], make_record: Callable[..., ArticleRecord]
) -> None:
    """An Italian translation stored as following CNN's original turns out to have a
    verbatim copy published an hour before it: the Italian text is then the source, and
    every pair's evidence must read from it (it→en), not from the stale order."""
    session, ids = linked
    _store_an_earlier_copy(session, make_record, ids["004"])
    rejudge(session, ids["004"])
    session.commit()
    pairs = session.execute(
        select(Relation.article_id, Relation.related_id, Relation.relation, Relation.evidence)
    ).all()
    touching = [p for p in pairs if ids["004"] in (p.article_id, p.related_id)]
    assert touching
    for later, earlier, relation, evidence in touching:
        assert earlier == ids["004"] == evidence["a_id"], (later, earlier, relation)
    assert ("translation", ["it", "en"]) in [
        (relation, evidence.get("language_pair")) for *_, relation, evidence in touching
    ]
    lineage = _lineage(session, ids)
    assert lineage["004"][1] is None
    assert lineage["000"][1] == "004"


def test_db_check_finds_pairs_a_stopped_crawl_left_in_the_old_order_and_repair_turns_them(
    linked: tuple[Session, dict[str, int]],
    make_record: Callable[..., ArticleRecord],
    db_path: Path,
) -> None:
    """A crawl killed between re-dating an article and judging its pairs again leaves
    relations that read from the later article: the check names them, the repair judges
    them again."""
    session, ids = linked
    assert misdirected_articles(session) == []
    _store_an_earlier_copy(session, make_record, ids["004"])
    session.commit()
    assert misdirected_articles(session) == [ids["004"]]
    session.commit()  # the commands below need the store to themselves
    url = f"sqlite:///{db_path}"
    check = run_cli("db", "check", "--db", url)
    assert check.returncode == 1
    assert "judged in the old order" in check.stderr
    repair = run_cli("db", "check", "--repair", "--db", url)
    assert repair.returncode == 0, repair.stderr
    assert "1 re-dated article(s) judged again" in repair.stdout
    session.expire_all()
    assert misdirected_articles(session) == []
    assert _lineage(session, ids)["000"][1] == "004"


def test_a_story_opens_with_its_first_published_member(
    linked: tuple[Session, dict[str, int]],
) -> None:
    session, ids = linked
    for story in session.scalars(select(Story)):
        members = set(
            session.scalars(select(Lineage.article_id).where(Lineage.story_id == story.id))
        )
        seeds = {k for k, v in ids.items() if v in members}
        assert story.first_article_id == ids[min(seeds, key=HOURS.__getitem__)]


def _stories(session: Session, ids: dict[str, int]) -> set[frozenset[str]]:
    """The seeds' stories as sets of seed names (story ids differ from store to store)."""
    by_story: dict[int | None, set[str]] = {}
    for seed, (story, _) in _lineage(session, ids).items():
        by_story.setdefault(story, set()).add(seed)
    return {frozenset(members) for members in by_story.values()}


def test_relinking_keeps_every_family_and_is_repeatable(
    linked: tuple[Session, dict[str, int]],
) -> None:
    """Relink replays the store in publication order, not in the order the crawl met it:
    families come out the same, and a second relink changes nothing."""
    session, ids = linked
    before = _lineage(session, ids)
    relink_all(session)
    session.commit()
    after = _lineage(session, ids)
    assert {seed: source for seed, (_, source) in after.items()} == {
        seed: source for seed, (_, source) in before.items()
    }
    stories = _stories(session, ids)
    relink_all(session)
    session.commit()
    assert _stories(session, ids) == stories


def test_relink_reaches_the_same_stories_whatever_order_the_crawl_stored_them_in(
    linked: tuple[Session, dict[str, int]],
    make_record: Callable[..., ArticleRecord],
    tmp_path: Path,
) -> None:
    session, ids = linked
    relink_all(session)
    session.commit()
    engine = make_engine(f"sqlite:///{tmp_path / 'other-order.db'}")
    upgrade(engine)
    with session_factory(engine)() as other:
        other_ids = _store_seeds(other, make_record, order=lambda hours: hours)
        relink_all(other)
        other.commit()
        assert _stories(other, other_ids) == _stories(session, ids)
    engine.dispose()


@pytest.mark.parametrize(
    "crawl_order",
    [
        # Three of the 46 orders (of 120) whose crawl-order stories differ from relink's.
        ("001", "003", "004", "000", "002"),
        ("004", "000", "001", "003", "002"),
        ("003", "000", "002", "004", "001"),
        ("000", "002", "003", "001", "004"),  # publication order
    ],
)
def test_a_settled_run_has_relinks_stories_whatever_order_it_linked_them_in(
    session: Session,
    make_record: Callable[..., ArticleRecord],
    tmp_path: Path,
    crawl_order: tuple[str, ...],
) -> None:
    """The crawl places articles in the order it meets them; settling the run places them
    again in publication order, as `relink` would, keeping the relations it found."""
    run_id = start_run(session, ["seeds"], "manual")
    paths = {path.name[:3]: path for path in SEEDS.glob("*.txt")}
    ids = {
        seed: _store_seed_file(session, make_record, paths[seed], run_id) for seed in crawl_order
    }
    session.commit()
    linker = Linker(CandidateIndex())
    for seed in crawl_order:
        linker.link(session, ids[seed], run_id)
        session.commit()
    settle(session, linker, run_articles(session, run_id))
    session.commit()
    settled = _stories(session, ids)

    engine = make_engine(f"sqlite:///{tmp_path / 'relinked.db'}")
    upgrade(engine)
    with session_factory(engine)() as other:
        other_ids = _store_seeds(other, make_record)
        relink_all(other)
        other.commit()
        assert settled == _stories(other, other_ids)
    engine.dispose()
    # Every story left has members and opens with its first published one.
    for story in session.scalars(select(Story)):
        assert story.first_article_id is not None
        assert session.scalar(select(Lineage.article_id).where(Lineage.story_id == story.id))


def test_a_settled_run_has_relinks_stories_on_real_reports_met_in_crawl_order(
    session: Session, make_record: Callable[..., ArticleRecord]
) -> None:
    """BASIL's dev stories (three outlets' reports of each event), all published on one
    day (a busy day, where placement depends most on order), stored and linked in a shuffled
    order as a crawl meets pages: settling gives exactly the stories that relink (every
    verdict again, in publication order) gives."""
    rows = [json.loads(line) for line in REAL_STORIES.read_text("utf-8").splitlines()]
    minute = {row["id"]: n for n, row in enumerate(rows)}  # published in the file's order
    random.Random(7).shuffle(rows)
    run_id = start_run(session, ["basil"], "manual")
    ensure_outlet(session, "basil", "basil", "https://basil.example/", ["en"])
    ids = []
    for number, row in enumerate(rows):
        title, _, text = row["text"].partition("\n\n")
        record = make_record(
            outlet="basil",
            url=f"https://basil.example/{number}",
            title=title,
            text=text,
            published=PUBLISHED + timedelta(minutes=minute[row["id"]]),
            run_id=run_id,
        )
        stored = store_article(session, record).article_id
        assert stored is not None
        ids.append(stored)
    session.commit()
    linker = Linker(CandidateIndex())
    for article_id in ids:
        linker.link(session, article_id, run_id)
        session.commit()
    crawled = storage.lineage.stories_of(session, ids)
    settle(session, linker, run_articles(session, run_id))
    session.commit()
    settled = storage.lineage.stories_of(session, ids)
    relink_all(session)
    session.commit()
    relinked = storage.lineage.stories_of(session, ids)

    def partition(stories: dict[int, int]) -> set[frozenset[int]]:
        groups: dict[int, set[int]] = {}
        for article, story in stories.items():
            groups.setdefault(story, set()).add(article)
        return {frozenset(g) for g in groups.values()}

    assert partition(settled) == partition(relinked)
    assert partition(crawled) != partition(relinked)  # the crawl order mattered


def test_stories_can_be_listed_by_size(linked: tuple[Session, dict[str, int]]) -> None:
    session, ids = linked
    sizes = sorted(len(s) for s in _stories(session, ids))
    biggest = list_story_items(session, StoryFilter(min_size=sizes[-1]))
    assert [s.size for s in biggest] == [sizes[-1]]
    assert list_story_items(session, StoryFilter(min_size=sizes[-1] + 1)) == []
    assert len(list_story_items(session)) == len(sizes)
    assert [s.size for s in list_story_items(session, order="biggest")] == sizes[::-1]


def _store_seed(context: CrawlContext, make_record: Callable[..., ArticleRecord], seed: str) -> int:
    """Store one seed through a crawl's context."""
    (path,) = SEEDS.glob(f"{seed}*.txt")
    with context.transaction() as session:
        return _store_seed_file(session, make_record, path)


def _link(context: CrawlContext, article_id: int) -> list[Found]:
    """What the store pipeline does: the crawl's index, brought up to date, links it."""
    with context.transaction() as session:
        return context.linker_for(session).link(session, article_id)


def test_the_crawl_spares_the_cyclic_collector_until_it_ends(
    db_path: Path, make_record: Callable[..., ArticleRecord]
) -> None:
    """The index read from the store lives as long as the crawl: frozen out of the cyclic
    collector (whose full collections would walk it again and again) once built, and young
    collections come less often; both as before once the crawl closes."""
    before = gc.get_threshold()
    context = CrawlContext(f"sqlite:///{db_path}")
    try:
        _link(context, _store_seed(context, make_record, "000"))
        with context.transaction() as session:
            index = context.linker_for(session).index
        assert all(tracked is not index for tracked in gc.get_objects())
        assert gc.get_threshold() == (YOUNG_COLLECTION_EVERY, *before[1:])
    finally:
        context.close()
    assert any(tracked is index for tracked in gc.get_objects())
    assert gc.get_threshold() == before


def test_articles_linked_by_a_concurrent_crawl_become_candidates(
    db_path: Path, make_record: Callable[..., ArticleRecord]
) -> None:
    """Two crawls of different outlets write one store, each with its own candidate index
    (two processes): the copy our crawl stores must find the original theirs linked after
    our index was built."""
    url = f"sqlite:///{db_path}"
    ours, theirs = CrawlContext(url), CrawlContext(url)
    try:
        with ours.transaction() as session:
            ours.linker_for(session)  # our crawl starts on an empty store
        original = _store_seed(theirs, make_record, "000")
        _link(theirs, original)
        copy = _store_seed(ours, make_record, "001")
        found = _link(ours, copy)
        assert [(f.other_id, f.relation in DERIVED) for f in found] == [(original, True)]
        with ours.transaction() as session:
            assert _lineage(session, {"000": original, "001": copy})["001"][1] == "000"
    finally:
        ours.close()
        theirs.close()


def test_an_article_signed_late_by_another_crawl_is_not_skipped(
    db_path: Path, make_record: Callable[..., ArticleRecord]
) -> None:
    """Their article is stored before ours but signed after our index has read ours: the
    index reads on from the first article not yet signed, not from the newest it has."""
    url = f"sqlite:///{db_path}"
    ours, theirs = CrawlContext(url), CrawlContext(url)
    try:
        original = _store_seed(theirs, make_record, "000")  # their linking still to come
        _link(ours, _store_seed(ours, make_record, "003"))
        with ours.transaction() as session:
            ours.linker_for(session)  # our index has read our own signature
        _link(theirs, original)
        found = _link(ours, _store_seed(ours, make_record, "001"))
        assert original in {f.other_id for f in found}
    finally:
        ours.close()
        theirs.close()


def test_signatures_are_read_by_id_in_batches_in_store_order(
    linked: tuple[Session, dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    session, ids = linked
    monkeypatch.setattr(storage.lineage, "ID_BATCH", 2)
    wanted = sorted(ids.values(), reverse=True)[:4]
    found = [row.article_id for row in storage.lineage.iter_signatures(session, only=wanted)]
    assert found == sorted(wanted)


def test_a_linker_reads_again_the_profile_of_a_story_written_since(
    db_path: Path, make_record: Callable[..., ArticleRecord]
) -> None:
    """Placement reads its candidate stories' profiles; a linker keeps those it parsed
    (`crawler.linking.StoryProfiles`), and must read again one that another process (or
    this one) wrote since, else two crawls of one store would place against stale stories."""
    url = f"sqlite:///{db_path}"
    ours, theirs = CrawlContext(url), CrawlContext(url)
    try:
        for seed in ("000", "001", "002"):
            _link(ours, _store_seed(ours, make_record, seed))
        with ours.transaction() as session:
            (story,) = set(stories_of(session, ours.linker_for(session).indexed).values())
            heads = story_heads(session, [story], profiles=False)
            kept = ours.linker_for(session).profiles.of(session, heads)[story]
        # Their crawl links a report of the same event into the same story.
        _link(theirs, _store_seed(theirs, make_record, "003"))
        with ours.transaction() as session:
            assert story in stories_of(session, ours.linker_for(session).indexed).values()
            (stored,) = story_heads(session, [story]).values()
            assert stored.profile is not None
            now = StoryProfile.from_json(stored.profile)
            assert now != kept  # one more member
            heads = story_heads(session, [story], profiles=False)
            assert ours.linker_for(session).profiles.of(session, heads) == {story: now}
    finally:
        ours.close()
        theirs.close()


def test_a_linker_keeps_the_profile_it_wrote_without_reading_it_back(
    db_path: Path, make_record: Callable[..., ArticleRecord], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every article a crawl places rewrites its story's profile; the linker keeps what it
    wrote, stamped with the story's new time, so the story's next article reads no profile.
    A profile kept under another time than the store's (a write rolled back) is read again."""
    url = f"sqlite:///{db_path}"
    ours = CrawlContext(url)
    try:
        for seed in ("000", "001"):
            _link(ours, _store_seed(ours, make_record, seed))
        with ours.transaction() as session:
            linker = ours.linker_for(session)
            (story,) = set(stories_of(session, linker.indexed).values())
            (stored,) = story_heads(session, [story]).values()
            assert stored.profile is not None
            assert stored.written is not None
            heads = story_heads(session, [story], profiles=False)
            with monkeypatch.context() as patch:
                patch.setattr("crawler.linking.story_heads", _no_profile_read)
                kept = linker.profiles.of(session, heads)
            assert kept == {story: StoryProfile.from_json(stored.profile)}

            rolled_back = stored.written - timedelta(seconds=1)
            linker.profiles.wrote(story, rolled_back, StoryProfile({}, 9, None, None))
            assert linker.profiles.of(session, heads) == kept
    finally:
        ours.close()


def _no_profile_read(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("a profile this process wrote was read back from the store")
