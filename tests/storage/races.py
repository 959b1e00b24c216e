"""Two writers and a reader on one store at once: the race every backend must survive."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import Engine

from storage.db import make_engine, session_factory
from storage.queries import list_articles, store_article
from storage.records import ArticleRecord

ARTICLES_PER_WRITER = 40
STORED = ARTICLES_PER_WRITER // 2 + 2 * (ARTICLES_PER_WRITER // 2)
"""Articles stored in all: the shared half once, each writer's own half once."""


def race_two_writers_and_a_reader(
    url: str, engine: Engine, record_for: Callable[[str], ArticleRecord], search: str
) -> list[str]:
    """Two engines (as two processes would have) store overlapping articles while a
    third searches; returns every store outcome and raises the first error met.

    Both writers store the even-numbered keys: a race per URL and content key.
    """
    errors: list[BaseException] = []
    outcomes: list[str] = []
    start = threading.Barrier(3)

    def write(worker: int) -> None:
        own = make_engine(url)
        sessions = session_factory(own)
        try:
            start.wait()
            for n in range(ARTICLES_PER_WRITER):
                key = f"race-{n}" if n % 2 == 0 else f"race-{worker}-{n}"
                with sessions() as session:
                    outcomes.append(store_article(session, record_for(key)).status)
                    session.commit()
        except BaseException as error:  # re-raised below, in the test's thread
            errors.append(error)
        finally:
            own.dispose()

    def read() -> None:
        sessions = session_factory(engine, write=False)
        try:
            start.wait()
            for _ in range(ARTICLES_PER_WRITER):
                with sessions() as session:
                    list_articles(session, search=search)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in (1, 2)]
    threads.append(threading.Thread(target=read))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return outcomes
