"""The demo store seen through the view models: seed ids and a read session."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from crawler.linking import relink_all
from crawler.urls import canonicalize
from demoweb import SEED_PAGES
from storage.db import make_engine, session_factory
from storage.lineage import lineage_of
from storage.queries import known_url
from tests.conftest import CrawledStore


@dataclass(frozen=True)
class Seeds:
    """The five seed pages' article ids by stem ("000" … "004") and their story."""

    ids: dict[str, int]
    story: int


@pytest.fixture(scope="session")
def relinked(crawled: CrawledStore, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A copy of the crawled demo store, relinked: stories come out as a replay of the crawl
    in publication order, whatever order the outlets' pages arrived in (as `newsmon demo`
    shows them)."""
    copy = tmp_path_factory.mktemp("views") / "newsmon.db"
    with sqlite3.connect(crawled.db_path) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    url = f"sqlite:///{copy}"
    engine = make_engine(url)
    with session_factory(engine)() as session:
        relink_all(session)
        session.commit()
    engine.dispose()
    return url


@pytest.fixture
def demo_session(relinked: str) -> Iterator[Session]:
    engine = make_engine(relinked)
    with session_factory(engine, write=False)() as session:
        yield session
    engine.dispose()


@pytest.fixture
def seeds(crawled: CrawledStore, demo_session: Session) -> Seeds:
    ids = {}
    for stem, (outlet, path) in SEED_PAGES.items():
        found = known_url(demo_session, canonicalize(crawled.web.url(outlet, path)))
        assert found is not None, stem
        ids[stem[:3]] = found
    story = lineage_of(demo_session, ids["000"]).story_id
    assert story is not None
    return Seeds(ids, story)
