"""One engine per database URL per crawl process, migrated once.

Several spiders run in one crawl process and each has a store pipeline and a
run recorder; they share the engine (and so SQLite's connection settings)
instead of each opening and migrating the store again.
"""

from __future__ import annotations

from functools import lru_cache

from scrapy.settings import BaseSettings
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage.db import make_engine, session_factory, upgrade


@lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    engine = make_engine(url or None)
    upgrade(engine)
    return engine


def engine_for(settings: BaseSettings) -> Engine:
    return _engine(settings.get("NEWSMON_DB_URL", ""))


def sessions_for(settings: BaseSettings, *, write: bool = True) -> sessionmaker[Session]:
    return session_factory(engine_for(settings), write=write)
