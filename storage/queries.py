"""Everything newsmon reads from and writes to the store.

Every function takes the caller's Session and never commits: the crawl
pipeline, the CLI and the scheduler decide where their transactions end.
User input only ever reaches SQL as bound parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import (
    Integer,
    Select,
    and_,
    bindparam,
    false,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import ColumnElement

from storage.db import inserted_id
from storage.fts import (
    fts_available,
    fts_problems,
    match_query,
    needs_like,
    pg_search_clause,
    search_terms,
    segment_query,
    segmented_available,
)
from storage.models import (
    ARTICLES,
    URLS,
    Article,
    ArticleUrlRow,
    CrawlRun,
    Lineage,
    Outlet,
    SkippedPageRow,
    utcnow,
)
from storage.records import (
    ArticleDetail,
    ArticleRecord,
    ArticleSummary,
    ArticleUrl,
    RunStatus,
    RunSummary,
    RunTrigger,
    SkippedPage,
    StoreOutcome,
    UpdateOutcome,
    UrlKind,
)

_T = TypeVar("_T")

# A concurrent writer can win a unique-key race at most once per key we touch
# (the URLs, the content key, the outlet name), so a few attempts always settle.
_RACE_ATTEMPTS = 4


def _retry_on_race(session: Session, attempt: Callable[[], _T]) -> _T:
    """Run `attempt` in a savepoint, re-running it if another writer won a race.

    After an IntegrityError the savepoint is rolled back, so the next attempt
    looks the key up again and finds the other writer's row instead.
    """
    for _ in range(_RACE_ATTEMPTS - 1):
        try:
            with session.begin_nested():
                return attempt()
        except IntegrityError:
            continue
    with session.begin_nested():
        return attempt()


# --- outlets -------------------------------------------------------------------------


def ensure_outlet(
    session: Session, name: str, title: str, homepage: str, languages: Sequence[str]
) -> int:
    """Insert or refresh an outlet row and return its id."""

    def attempt() -> int:
        outlet = session.scalar(select(Outlet).where(Outlet.name == name))
        if outlet is None:
            outlet = Outlet(name=name, title=title, homepage=homepage, languages=list(languages))
            session.add(outlet)
        else:
            outlet.title, outlet.homepage, outlet.languages = title, homepage, list(languages)
        session.flush()
        return outlet.id

    return _retry_on_race(session, attempt)


def _outlet_id(session: Session, name: str) -> int:
    found = session.scalar(select(Outlet.id).where(Outlet.name == name))
    if found is not None:
        return found
    # An outlet that reaches storage unregistered still gets its articles kept;
    # ensure_outlet fills in its details when the registry next syncs.
    return ensure_outlet(session, name, title=name, homepage="", languages=())


def count_by_outlet(session: Session) -> dict[str, int]:
    """Stored articles per outlet, including outlets with none, by name."""
    rows = session.execute(
        select(Outlet.name, func.count(Article.id))
        .outerjoin(Article, Article.outlet_id == Outlet.id)
        .group_by(Outlet.name)
    )
    # Sorted here: a server's collation may order "a_b" after "ab"; SQLite never does.
    return dict(sorted(rows, key=lambda row: row[0]))


# --- articles: writing ---------------------------------------------------------------


def known_url(session: Session, url: str) -> int | None:
    """The article a URL (canonical, alias or syndicated copy) belongs to, if any."""
    return session.scalar(select(ArticleUrlRow.article_id).where(ArticleUrlRow.url == url))


def store_article(
    session: Session, record: ArticleRecord, outlet_id: int | None = None
) -> StoreOutcome:
    """Store an article unless its URL or its exact text is already known.

    A known URL (canonical or fetched) gives `duplicate_url` and records the
    other URL as an alias; a known content key from another URL gives
    `duplicate_text` and records the URLs as syndicated copies of the original.
    ``outlet_id`` is the id of ``record.outlet`` when the caller knows it (the crawl
    registers its outlets first), else it is looked up.
    """
    if outlet_id is None:
        outlet_id = _outlet_id(session, record.outlet)
    return _retry_on_race(session, lambda: _store_once(session, record, outlet_id))


def _store_once(session: Session, record: ArticleRecord, outlet_id: int) -> StoreOutcome:
    urls = list(dict.fromkeys((record.url, record.fetched_url)))
    known = _known_urls(session, urls)
    if known:
        article_id, match_kind = known.get(record.url) or known[record.fetched_url]
        kind: UrlKind = "syndicated" if match_kind == "syndicated" else "alias"
        _add_urls(session, record, outlet_id, article_id, [u for u in urls if u not in known], kind)
        return StoreOutcome("duplicate_url", article_id)

    found = _article_with_key(session, record.content_key)
    if found is not None:
        original, published = found
        if record.published is not None and (published is None or record.published < published):
            _take_over(session, record, outlet_id, original, urls)
            return StoreOutcome("duplicate_text", original, redated=True)
        _add_urls(session, record, outlet_id, original, urls, "syndicated")
        return StoreOutcome("duplicate_text", original)

    # Core statements, not ORM objects: the crawl stores every article through here, and
    # the unit of work's bookkeeping cost more CPU than the two INSERTs themselves.
    # The values go as parameters of one Core INSERT on the table, not into the statement:
    # building a statement around them cost as much CPU as running it (and an ORM entity
    # would take the ORM's bulk path).
    article_id = inserted_id(
        session.execute(
            insert(ARTICLES),
            {
                **_page_values(record, outlet_id),
                "text": record.text,
                "language": record.language,
                "extractor_version": record.extractor_version,
                "content_key": record.content_key,
            },
        )
    )
    _add_own_urls(session, record, outlet_id, article_id, urls)
    return StoreOutcome("stored", article_id)


def _page_values(record: ArticleRecord, outlet_id: int) -> dict[str, Any]:
    """The columns of an article that belong to the page it was stored from, not its text."""
    return {
        "outlet_id": outlet_id,
        "url": record.url,
        "title": record.title,
        "published": record.published,
        "authors": list(record.authors),
        "topic_score": record.topic_score,
        "raw_html": record.raw_html,
        "fetched_at": record.fetched_at,
        "run_id": record.run_id,
        "listed_modified": record.listed_modified,
        "last_checked_at": record.fetched_at,
    }


def _take_over(
    session: Session, record: ArticleRecord, outlet_id: int, article_id: int, urls: Sequence[str]
) -> None:
    """Make a copy published before the stored page the page an article stands for.

    Of verbatim copies on several outlets the store keeps one text, and its page
    says who published it and when: that must be the first publisher, whichever
    copy the crawl happened to fetch first. The stored page's URLs become
    syndicated copies, the new page's outlet, URL, title and date the article's;
    the article keeps its id, relations and first-seen time. Its run becomes this
    one, so the run settles the article's story with its new date.
    """
    session.execute(
        update(ArticleUrlRow)
        .where(ArticleUrlRow.article_id == article_id, ArticleUrlRow.kind != "syndicated")
        .values(kind="syndicated")
    )
    session.execute(
        update(Article).where(Article.id == article_id).values(_page_values(record, outlet_id))
    )
    _add_own_urls(session, record, outlet_id, article_id, urls)


def _add_own_urls(
    session: Session, record: ArticleRecord, outlet_id: int, article_id: int, urls: Sequence[str]
) -> None:
    """The URLs of the page an article stands for: its canonical URL, then the one fetched."""
    _add_urls(session, record, outlet_id, article_id, urls[:1], "canonical")
    _add_urls(session, record, outlet_id, article_id, urls[1:], "alias")


def _known_urls(session: Session, urls: Sequence[str]) -> dict[str, tuple[int, str]]:
    """The article and kind of each of these URLs that is already known."""
    rows = session.execute(_lookups().urls, {"urls": list(urls)})
    return {url: (article_id, kind) for url, article_id, kind in rows}


def _article_with_key(session: Session, content_key: str) -> tuple[int, datetime | None] | None:
    """The article with this text, and when its page was published."""
    found = session.execute(_lookups().content_key, {"key": content_key}).first()
    return None if found is None else (int(found[0]), found[1])


@dataclass(frozen=True)
class _Lookups:
    """What storing an article looks up every time, built once with its values as
    parameters (building a statement costs about as much CPU as running it)."""

    urls: Executable
    content_key: Executable


@cache
def _lookups() -> _Lookups:
    return _Lookups(
        urls=select(URLS.c.url, URLS.c.article_id, URLS.c.kind).where(
            URLS.c.url.in_(bindparam("urls", expanding=True))
        ),
        content_key=select(ARTICLES.c.id, ARTICLES.c.published).where(
            ARTICLES.c.content_key == bindparam("key")
        ),
    )


def _add_urls(
    session: Session,
    record: ArticleRecord,
    outlet_id: int,
    article_id: int,
    urls: Sequence[str],
    kind: UrlKind,
) -> None:
    if not urls:
        return
    session.execute(
        insert(URLS),
        [
            {
                "url": url,
                "article_id": article_id,
                "outlet_id": outlet_id,
                "kind": kind,
                "first_seen": record.fetched_at,
                "run_id": record.run_id,
            }
            for url in urls
        ],
    )


def update_extraction(
    session: Session,
    article_id: int,
    *,
    title: str,
    text: str,
    published: datetime | None,
    authors: Sequence[str],
    language: str | None,
    extractor_version: str,
    topic_score: float,
    content_key: str,
) -> UpdateOutcome:
    """Replace an article's extracted fields (for `newsmon reextract`).

    Raises LookupError for an unknown id.
    """

    def attempt() -> UpdateOutcome:
        article = session.get(Article, article_id)
        if article is None:
            raise LookupError(f"No article with id {article_id}.")
        if content_key != article.content_key:
            other = session.scalar(
                select(Article.id).where(
                    Article.content_key == content_key, Article.id != article_id
                )
            )
            if other is not None:
                return UpdateOutcome("duplicate_text", other)
        new_values = {
            "title": title,
            "text": text,
            "published": published,
            "authors": list(authors),
            "language": language,
            "extractor_version": extractor_version,
            "topic_score": topic_score,
            "content_key": content_key,
        }
        if all(getattr(article, key) == value for key, value in new_values.items()):
            return UpdateOutcome("unchanged", article_id)
        for key, value in new_values.items():
            setattr(article, key, value)
        session.flush()
        return UpdateOutcome("updated", article_id)

    return _retry_on_race(session, attempt)


# --- articles: reading ---------------------------------------------------------------


@dataclass(frozen=True)
class ArticleFilter:
    """Which articles `list_articles` and `count_articles` take (None: any)."""

    outlet: str | None = None
    since: datetime | None = None
    language: str | None = None
    search: str | None = None
    min_score: float | None = None
    story: int | None = None


def list_articles(
    session: Session,
    *,
    outlet: str | None = None,
    since: datetime | None = None,
    language: str | None = None,
    search: str | None = None,
    min_score: float | None = None,
    story: int | None = None,
    limit: int = 50,
) -> list[ArticleSummary]:
    """Newest first (by publication date, else first sighting), filtered.

    `search` finds articles containing every whitespace-separated term in the
    title or text (word prefixes with SQLite FTS5 and PostgreSQL text search,
    substrings elsewhere and for scripts written without spaces); text that
    holds nothing searchable finds nothing. `since` is the publication time, or
    the first sighting for an undated article. `story` keeps the members of one story.
    """
    filters = ArticleFilter(outlet, since, language, search, min_score, story)
    query = _articles_matching(session, filters)
    query = query.order_by(
        func.coalesce(Article.published, Article.first_seen).desc(), Article.id.desc()
    ).limit(limit)
    return [_summary(article) for article in session.scalars(query)]


def count_articles(session: Session, filters: ArticleFilter) -> int:
    """How many articles `list_articles` would list with these filters and no limit."""
    query = _articles_matching(session, filters)
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def _articles_matching(session: Session, filters: ArticleFilter) -> Select[Article]:
    """The articles the filters take (none when the search holds nothing searchable)."""
    query = select(Article).join(Article.outlet)
    if filters.outlet is not None:
        query = query.where(Outlet.name == filters.outlet)
    if filters.language is not None:
        query = query.where(Article.language == filters.language)
    if filters.min_score is not None:
        query = query.where(Article.topic_score >= filters.min_score)
    if filters.since is not None:
        query = query.where(
            or_(
                Article.published >= filters.since,
                and_(Article.published.is_(None), Article.first_seen >= filters.since),
            )
        )
    if filters.story is not None:
        query = query.join(Lineage, Lineage.article_id == Article.id).where(
            Lineage.story_id == filters.story
        )
    if filters.search is not None:
        query = query.where(article_search(session, filters.search))
    return query


def article_search(session: Session, search: str) -> ColumnElement[bool]:
    """The articles `list_articles` finds for ``search`` (nothing when it holds no word)."""
    terms = search_terms(search)
    return _search_clause(session, terms) if terms else false()


def iter_article_texts(session: Session, batch_size: int = 500) -> Iterator[tuple[int, str, float]]:
    """Every article's id, seed text (title, blank line, text) and stored topic score."""
    query = select(Article.id, Article.title, Article.text, Article.topic_score).order_by(
        Article.id
    )
    for article_id, title, body, score in session.execute(
        query.execution_options(yield_per=batch_size)
    ):
        yield article_id, f"{title}\n\n{body}", float(score)


def set_topic_scores(session: Session, scores: Mapping[int, float]) -> None:
    """Store new topic scores (a topic changed); the caller commits."""
    session.execute(
        update(Article),
        [{"id": article_id, "topic_score": score} for article_id, score in scores.items()],
    )


def article_languages(session: Session) -> dict[str, int]:
    """Stored articles per language code (articles of unknown language left out)."""
    rows = session.execute(
        select(Article.language, func.count(Article.id))
        .where(Article.language.is_not(None))
        .group_by(Article.language)
    )
    return {str(lang): int(n) for lang, n in sorted(rows, key=lambda row: str(row[0]))}


def _search_clause(session: Session, terms: list[str]) -> ColumnElement[bool]:
    if session.get_bind().dialect.name == "postgresql" and not needs_like(terms):
        return pg_search_clause(terms)
    if segmented_available(session):
        # The index Datasette's search uses too (newsmon.web), so both find the same.
        matching = (
            text("SELECT rowid FROM articles_fts_seg WHERE articles_fts_seg MATCH :fts_query")
            .bindparams(fts_query=match_query([segment_query(term) for term in terms]))
            .columns(rowid=Integer)
        )
        return Article.id.in_(matching)
    if fts_available(session) and not needs_like(terms):
        matching = (
            text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH :fts_query")
            .bindparams(fts_query=match_query(terms))
            .columns(rowid=Integer)
        )
        return Article.id.in_(matching)
    return and_(
        *(
            or_(
                Article.title.icontains(term, autoescape=True),
                Article.text.icontains(term, autoescape=True),
            )
            for term in terms
        )
    )


def _summary(article: Article) -> ArticleSummary:
    return ArticleSummary(
        id=article.id,
        outlet=article.outlet.name,
        url=article.url,
        title=article.title,
        published=article.published,
        language=article.language,
        topic_score=article.topic_score,
        first_seen=article.first_seen,
    )


def get_article(session: Session, article_id: int) -> ArticleDetail | None:
    # populate_existing: the session may hold this article with a URL list loaded before
    # a syndicated copy was recorded.
    article = session.scalar(
        select(Article)
        .where(Article.id == article_id)
        .options(selectinload(Article.urls))
        .execution_options(populate_existing=True)
    )
    return None if article is None else _detail(article)


def iter_articles(
    session: Session,
    *,
    batch_size: int = 200,
    outlet: str | None = None,
    since: datetime | None = None,
    language: str | None = None,
    story: int | None = None,
) -> Iterator[ArticleDetail]:
    """Every article by id (or those of an outlet, language, story, or since a time),
    fetched in batches so exports of any size stay small."""
    after = 0
    while True:
        filters = ArticleFilter(outlet=outlet, since=since, language=language, story=story)
        batch = session.scalars(
            _articles_matching(session, filters)
            .where(Article.id > after)
            .order_by(Article.id)
            .limit(batch_size)
            .options(selectinload(Article.urls))
        ).all()
        if not batch:
            return
        for article in batch:
            yield _detail(article)
        after = batch[-1].id


def _detail(article: Article) -> ArticleDetail:
    others = sorted(
        (row for row in article.urls if row.kind != "canonical"), key=lambda row: row.id
    )
    return ArticleDetail(
        id=article.id,
        outlet=article.outlet.name,
        url=article.url,
        title=article.title,
        text=article.text,
        published=article.published,
        authors=tuple(article.authors),
        language=article.language,
        extractor_version=article.extractor_version,
        topic_score=article.topic_score,
        content_key=article.content_key,
        fetched_at=article.fetched_at,
        first_seen=article.first_seen,
        run_id=article.run_id,
        other_urls=tuple(
            ArticleUrl(
                url=row.url, kind=row.kind, outlet=row.outlet.name, first_seen=row.first_seen
            )
            for row in others
        ),
    )


def article_raw_html(session: Session, article_id: int) -> bytes:
    """The page as fetched (decompressed); raises LookupError for an unknown id."""
    html = session.scalar(select(Article.raw_html).where(Article.id == article_id))
    if html is None:
        raise LookupError(f"No article with id {article_id}.")
    return html


# --- crawl runs and skipped pages -------------------------------------------------


def start_run(session: Session, outlets: Sequence[str], trigger: RunTrigger) -> int:
    run = CrawlRun(status="running", trigger=trigger, outlets=list(outlets), stats={})
    session.add(run)
    session.flush()
    return run.id


def _run(session: Session, run_id: int) -> CrawlRun:
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise LookupError(f"No crawl run with id {run_id}.")
    return run


def add_run_stats(session: Session, run_id: int, outlet: str, counters: Mapping[str, Any]) -> None:
    """Record one outlet's counters as its spider closes; outlets of a run close one by one."""
    run = _run(session, run_id)
    run.stats = {**(run.stats or {}), outlet: dict(counters)}
    session.flush()


def finish_run(
    session: Session,
    run_id: int,
    status: RunStatus,
    stats: Mapping[str, Mapping[str, Any]] | None = None,
    error: str | None = None,
) -> None:
    """Close a run; ``stats`` replaces the per-outlet counters when given."""
    run = _run(session, run_id)
    run.status = status
    if stats is not None:
        run.stats = {outlet: dict(counters) for outlet, counters in stats.items()}
    run.error = error
    run.finished_at = utcnow()
    session.flush()


def list_runs(session: Session, limit: int = 20) -> list[RunSummary]:
    runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit))
    return [_run_summary(run) for run in runs]


def get_run(session: Session, run_id: int) -> RunSummary | None:
    run = session.get(CrawlRun, run_id)
    return None if run is None else _run_summary(run)


def _run_summary(run: CrawlRun) -> RunSummary:
    return RunSummary(
        id=run.id,
        started_at=run.started_at,
        finished_at=run.finished_at,
        status=run.status,
        trigger=run.trigger,
        outlets=tuple(run.outlets),
        stats=run.stats,
        error=run.error,
    )


def record_skip(session: Session, outlet: str, url: str, reason: str, run_id: int | None) -> None:
    """Remember that a fetched page was not stored, and why (e.g. `off_topic`)."""
    session.add(
        SkippedPageRow(url=url, outlet_id=_outlet_id(session, outlet), reason=reason, run_id=run_id)
    )
    session.flush()


def list_skipped(
    session: Session, *, run_id: int | None = None, outlet: str | None = None, limit: int = 50
) -> list[SkippedPage]:
    query = select(SkippedPageRow).join(SkippedPageRow.outlet)
    if run_id is not None:
        query = query.where(SkippedPageRow.run_id == run_id)
    if outlet is not None:
        query = query.where(Outlet.name == outlet)
    rows = session.scalars(query.order_by(SkippedPageRow.id.desc()).limit(limit))
    return [
        SkippedPage(
            id=row.id,
            outlet=row.outlet.name,
            url=row.url,
            reason=row.reason,
            run_id=row.run_id,
            seen_at=row.seen_at,
        )
        for row in rows
    ]


# --- health -------------------------------------------------------------------------


def check_integrity(session: Session) -> list[str]:
    """Problems found in the store, one sentence each; an empty list means healthy."""
    problems: list[str] = []
    if session.get_bind().dialect.name == "sqlite":
        problems += [
            f"SQLite integrity check: {message}"
            for message in session.scalars(text("PRAGMA integrity_check"))
            if message != "ok"
        ]
        problems += [
            f"{table} row {rowid} points to a missing {parent} row"
            for table, rowid, parent, _fk in session.execute(text("PRAGMA foreign_key_check"))
        ]
    problems += _url_problems(session)
    problems += fts_problems(session)
    return problems


def running_runs(session: Session) -> list[RunSummary]:
    """Runs not (yet) closed: crawling now, or left by a process that died."""
    runs = session.scalars(select(CrawlRun).where(CrawlRun.status == "running"))
    return [_run_summary(run) for run in runs]


def _url_problems(session: Session) -> list[str]:
    """Articles must have exactly one canonical URL row, equal to their own URL.

    An article without one was half-written (or its URL rows were lost), and
    duplicate detection would miss every later copy of it.
    """
    canonical = (
        select(
            ArticleUrlRow.article_id,
            func.count().label("n"),
            func.min(ArticleUrlRow.url).label("url"),
        )
        .where(ArticleUrlRow.kind == "canonical")
        .group_by(ArticleUrlRow.article_id)
        .subquery()
    )
    rows = session.execute(
        select(Article.id, Article.url, canonical.c.n, canonical.c.url)
        .outerjoin(canonical, canonical.c.article_id == Article.id)
        .where(or_(canonical.c.n.is_(None), canonical.c.n != 1, canonical.c.url != Article.url))
        .order_by(Article.id)
    )
    problems = []
    for article_id, url, count, canonical_url in rows:
        if count is None:
            problems.append(f"article {article_id} has no canonical URL row")
        elif count != 1:
            problems.append(f"article {article_id} has {count} canonical URL rows")
        else:
            problems.append(
                f"article {article_id} has URL {url} but its canonical row says {canonical_url}"
            )
    return problems
