"""A crawl records its articles' verdicts in the order it prepared them, several in one write
transaction (`crawler.context.CrawlContext.writing`): the seeds are stored and prepared as
the store pipeline does, their verdicts come back out of order, and what is recorded, when,
and what a failure loses is checked on a real SQLite store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.context import CrawlContext, Turn
from crawler.linking import Linker, LinkJob, judge_job, texts_for
from dedup.verdict import Verdict
from storage.lineage import unlinked_articles
from storage.models import ArticleSignature, Relation
from storage.records import ArticleRecord
from tests.storage.test_storage_linking import SEEDS, _store_seed_file

# 000 is CNN's original; 001-003 copy or spin it, so each later seed has relatives.
ORDER = ("000", "001", "002", "003")


def _store_and_prepare(
    context: CrawlContext, make_record: Callable[..., ArticleRecord], seed: str
) -> tuple[LinkJob, Turn]:
    """What the store pipeline does with a new article: store it, read its candidates
    and index it, take its turn, in one write transaction."""
    (path,) = SEEDS.glob(f"{seed}*.txt")
    with context.writing() as session:
        article_id = _store_seed_file(session, make_record, path)
        job = context.linker_for(session).prepare(session, article_id)
    return job, context.take_turn()


def _judged(context: CrawlContext, job: LinkJob) -> list[tuple[int, Verdict]]:
    """The job's verdicts in this process, the candidates' texts read from the store."""
    with context.readers()() as session:
        return judge_job(job, lambda refs: texts_for(session, refs))


def _counts(context: CrawlContext) -> tuple[int, int]:
    """(signed articles, relations) committed so far."""
    with context.readers()() as session:
        signed = session.scalar(select(func.count()).select_from(ArticleSignature))
        relations = session.scalar(select(func.count()).select_from(Relation))
    return int(signed or 0), int(relations or 0)


def _crawl(db_path: Path, body: Callable[[CrawlContext], Awaitable[None]]) -> None:
    """Run ``body`` inside an event loop with a crawl context on the store, as a crawl does."""

    async def crawl() -> None:
        context = CrawlContext(f"sqlite:///{db_path}")
        try:
            await body(context)
        finally:
            context.close()

    asyncio.run(crawl())


def test_verdicts_wait_for_their_turn_then_share_a_transaction(
    db_path: Path, make_record: Callable[..., ArticleRecord]
) -> None:
    async def crawl(context: CrawlContext) -> None:
        turns = [_store_and_prepare(context, make_record, seed) for seed in ORDER]
        # The later articles' verdicts come back first: nothing is recorded before the
        # first article's, whatever transaction comes meanwhile.
        for job, turn in reversed(turns[1:]):
            context.turn_ready(turn, job, _judged(context, job))
        with context.writing():
            pass
        assert _counts(context) == (0, 0)
        assert not any(turn.done.done() for _, turn in turns)

        job, turn = turns[0]
        context.turn_ready(turn, job, _judged(context, job))
        with context.writing():
            pass  # a page stored now takes all four along
        found = [turn.done.result() for _, turn in turns]
        signed, relations = _counts(context)
        assert signed == len(ORDER)
        assert relations == sum(len(f) for f in found) > 0

    _crawl(db_path, crawl)


def test_ready_verdicts_get_a_transaction_of_their_own(
    db_path: Path, make_record: Callable[..., ArticleRecord]
) -> None:
    """With no further page to store, the last articles' verdicts are still recorded."""

    async def crawl(context: CrawlContext) -> None:
        turns = [_store_and_prepare(context, make_record, seed) for seed in ORDER[:2]]
        for job, turn in turns:
            context.turn_ready(turn, job, _judged(context, job))
        found = await asyncio.wait_for(asyncio.gather(*(t.done for _, t in turns)), 30)
        assert _counts(context) == (2, sum(len(f) for f in found))
        assert found[1]  # the copy found its original

    _crawl(db_path, crawl)


def test_a_verdict_that_cannot_be_recorded_loses_only_its_own_article_s_linking(
    db_path: Path, make_record: Callable[..., ArticleRecord], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def crawl(context: CrawlContext) -> None:
        turns = [_store_and_prepare(context, make_record, seed) for seed in ORDER]
        broken = turns[1][0].article.id
        record = Linker.record

        def record_or_fail(self: Linker, session: object, job: LinkJob, *args: object) -> object:
            if job.article.id == broken:
                raise ValueError("a verdict this store cannot take")
            return record(self, session, job, *args)  # type: ignore[arg-type]

        monkeypatch.setattr(Linker, "record", record_or_fail)
        for job, turn in turns:
            context.turn_ready(turn, job, _judged(context, job))
        with context.writing():
            pass
        with pytest.raises(ValueError, match="cannot take"):
            turns[1][1].done.result()
        assert all(turn.done.result() is not None for _, turn in turns[:1] + turns[2:])
        with context.readers()() as session:
            assert unlinked_articles(session) == [broken]  # the next run links it

    _crawl(db_path, crawl)


def test_a_transaction_that_fails_fails_the_turns_it_took_and_loses_no_article(
    db_path: Path, make_record: Callable[..., ArticleRecord]
) -> None:
    """The verdicts go with the transaction; their articles, committed before, stay
    stored and unsigned, for the next run to link."""

    async def crawl(context: CrawlContext) -> None:
        turns = [_store_and_prepare(context, make_record, seed) for seed in ORDER[:3]]
        for job, turn in turns:
            context.turn_ready(turn, job, _judged(context, job))
        with pytest.raises(RuntimeError, match="page"), context.writing():
            raise RuntimeError("the page in flight could not be written")
        for _, turn in turns:
            with pytest.raises(RuntimeError, match="page"):
                turn.done.result()
        assert _counts(context) == (0, 0)
        with context.readers()() as session:
            assert unlinked_articles(session) == sorted(job.article.id for job, _ in turns)

    _crawl(db_path, crawl)
