"""newsmon's pages in Datasette: stories, one story, one article, the daily report.

A Datasette plugin (entry point group ``datasette``), so plain ``datasette newsmon.db``
shows them once newsmon is installed, and `newsmon serve` opens the same view.
Datasette's own tables, facets, SQL and JSON API stay underneath; this plugin
only adds pages, hides newsmon's internal tables from the listing, makes long or
encoded cells readable, and points Datasette's search of ``articles`` at the
segmented index so that Chinese, Japanese and Thai words are found.

Every page is a thin adapter: it opens the store read-only, calls one function of
`storage.views` (or `newsmon.report`) in a worker thread, and renders a template
from ``templates/``. No SQL here and none in the templates.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from datasette import hookimpl
from datasette.utils import escape_fts
from datasette.utils.asgi import NotFound, Response
from datasette.views.index import IndexView
from markupsafe import Markup, escape
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from newsmon.report import ReportError, build_report
from newsmon.story_svg import copy_graph_svg, timeline_svg
from storage.fts import (
    SEG_FUNCTION,
    SEG_TABLE,
    match_query,
    needs_like,
    search_terms,
    segment,
    segment_query,
)
from storage.views import (
    StoryFilter,
    StoryOrder,
    article_view,
    filter_choices,
    list_story_items,
    story_view,
    to_jsonable,
)

_T = TypeVar("_T")

PREFIX = "/-/newsmon"
PAGE_SIZE = 50
HIDDEN_TABLES = ("apscheduler_jobs", "alembic_version", "article_signatures", SEG_TABLE)
"""Bookkeeping a reader of the store never needs: the scheduler's jobs, the schema version,
the candidate-search signatures, and the segmented search index (searched, not read)."""
LONG_TEXT = 240
"""Characters of a long text shown in a table cell; the row's page shows all of it."""
LONG_COLUMNS = {
    "articles": ("text",),
    "article_versions": ("text", "diff"),
    "crawl_runs": ("stats",),
}
LABEL_COLUMNS = {"outlets": "name", "articles": "title", "stories": "title"}


# --- the store ---------------------------------------------------------------------------


def _store_path(datasette: Any) -> Path | None:
    """The newsmon store among the served databases: the one named in the plugin's
    configuration, else the first file that has newsmon's stories table."""
    config = datasette.plugin_config("newsmon") or {}
    for name, db in datasette.databases.items():
        if db.path is None or name == "_internal":
            continue
        if config.get("database") in (None, name) and _is_store(db.path):
            return Path(db.path)
    return None


def _is_store(path: str) -> bool:
    with closing(_connect(Path(path))) as connection:
        found = connection.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
            "('stories', 'lineage', 'articles')"
        ).fetchone()
    return bool(found and found[0] == 3)


def _connect(path: Path) -> sqlite3.Connection:
    # Read-only: the web view never changes the store, and never takes a lock a crawl waits on.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)


@contextmanager
def _session(path: Path) -> Iterator[Session]:
    engine = create_engine("sqlite://", creator=lambda: _connect(path), poolclass=NullPool)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


async def _read(datasette: Any, work: Callable[[Session], _T]) -> _T:
    """Run one view function on the store in a worker thread (SQLAlchemy is synchronous)."""
    path = _store_path(datasette)
    if path is None:
        raise NotFound(
            "No newsmon store is open here; start it with `newsmon serve --db sqlite:///FILE`."
        )

    def run() -> _T:
        with _session(path) as session:
            return work(session)

    return await asyncio.to_thread(run)


async def _page(datasette: Any, request: Any, template: str, context: dict[str, Any]) -> Response:
    path = _store_path(datasette)
    database = next(
        (name for name, db in datasette.databases.items() if path and db.path == str(path)),
        None,
    )
    html = await datasette.render_template(
        template, {**context, "newsmon_db": database, "prefix": PREFIX}, request=request
    )
    return Response.html(html)


def _json(data: Any) -> Response:
    return Response.json(to_jsonable(data), default=str)


# --- pages -------------------------------------------------------------------------------


def _parse_day(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _story_filter(request: Any) -> tuple[StoryFilter, StoryOrder, int]:
    args = request.args
    order: StoryOrder = "biggest" if args.get("order") == "biggest" else "newest"
    try:
        page = max(1, int(args.get("page") or 1))
    except ValueError:
        page = 1
    return (
        StoryFilter(
            since=_parse_day(args.get("since")),
            until=_parse_day(args.get("until")),
            outlet=args.get("outlet") or None,
            language=args.get("lang") or None,
            search=args.get("q") or None,
        ),
        order,
        page,
    )


async def stories_page(datasette: Any, request: Any) -> Response:
    if request.path in ("/", "/.json") and _store_path(datasette) is None:
        # Datasette serving other databases keeps its own front page.
        return await IndexView(datasette).dispatch_request(request)
    filters, order, page = _story_filter(request)

    def work(session: Session) -> tuple[Any, ...]:
        items = list_story_items(session, filters, order, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
        return items, filter_choices(session)

    items, (outlets, languages) = await _read(datasette, work)
    if request.url_vars.get("format") == "json":
        return _json(items[:PAGE_SIZE])
    return await _page(
        datasette,
        request,
        "newsmon_stories.html",
        {
            "stories": items[:PAGE_SIZE],
            "more": len(items) > PAGE_SIZE,
            "page": page,
            "args": request.args,
            "order": order,
            "outlets": outlets,
            "languages": languages,
        },
    )


async def story_page(datasette: Any, request: Any) -> Response:
    story_id = int(request.url_vars["id"])
    view = await _read(datasette, lambda session: story_view(session, story_id))
    if view is None:
        raise NotFound(f"No story {story_id}; the front page lists the stories.")
    fmt = request.url_vars.get("format")
    if fmt == "json":
        return _json(view)
    if fmt == "svg":
        return Response(timeline_svg(view, _article_link), content_type="image/svg+xml")
    return await _page(
        datasette,
        request,
        "newsmon_story.html",
        {
            "story": view,
            "members": {member.id: member for member in view.members},
            "timeline": Markup(timeline_svg(view, _article_link)),  # noqa: S704 (built by ElementTree)
            "graph": Markup(copy_graph_svg(view, _article_link)),  # noqa: S704
        },
    )


def _article_link(article_id: int) -> str:
    return f"{PREFIX}/article/{article_id}"


async def article_page(datasette: Any, request: Any) -> Response:
    article_id = int(request.url_vars["id"])
    view = await _read(datasette, lambda session: article_view(session, article_id))
    if view is None:
        raise NotFound(f"No article {article_id}.")
    if request.url_vars.get("format") == "json":
        return _json(view)
    return await _page(datasette, request, "newsmon_article.html", {"article": view})


async def report_page(datasette: Any, request: Any) -> Response:
    def work(session: Session) -> Any:
        try:
            return build_report(session, None, None)
        except ReportError as error:
            return str(error)

    report = await _read(datasette, work)
    if isinstance(report, str):
        return await _page(datasette, request, "newsmon_report.html", {"problem": report})
    if request.url_vars.get("format") == "json":
        return _json(report)
    return await _page(datasette, request, "newsmon_report.html", {"report": report})


# --- hooks -------------------------------------------------------------------------------


def ensure_registered() -> None:
    """Register this plugin with Datasette unless its entry point already did (an installed
    newsmon); a source checkout on PYTHONPATH has no entry point."""
    from datasette.plugins import pm

    if pm.get_plugin("newsmon") is None:
        pm.register(sys.modules[__name__], name="newsmon")


@hookimpl
def register_routes() -> list[tuple[str, Callable[..., Any]]]:
    return [
        # The front page: the same pattern as Datasette's own index, which it replaces.
        (r"^/(\.(?P<format>jsono?))?$", stories_page),
        (rf"^{PREFIX}/stories(\.(?P<format>json))?$", stories_page),
        (rf"^{PREFIX}/story/(?P<id>\d+)(\.(?P<format>json|svg))?$", story_page),
        (rf"^{PREFIX}/article/(?P<id>\d+)(\.(?P<format>json))?$", article_page),
        (rf"^{PREFIX}/report(\.(?P<format>json))?$", report_page),
    ]


@hookimpl
def get_metadata(datasette: Any) -> dict[str, Any]:
    """Per newsmon store: internal tables hidden, labels for foreign keys, and the
    segmented index as the search of ``articles``."""
    tables: dict[str, dict[str, Any]] = {name: {"hidden": True} for name in HIDDEN_TABLES}
    for table, column in LABEL_COLUMNS.items():
        tables.setdefault(table, {})["label_column"] = column
    tables["articles"] |= {"fts_table": SEG_TABLE, "fts_pk": "id", "sort_desc": "published"}
    tables["stories"]["sort_desc"] = "first_published"
    return {
        "title": "newsmon",
        "description": "Stories and who copied whom; the tables below hold every article.",
        "databases": {
            name: {"tables": tables}
            for name, db in datasette.databases.items()
            if db.path is not None and _has_segmented_index(db.path)
        },
    }


def _has_segmented_index(path: str) -> bool:
    try:
        with closing(_connect(Path(path))) as connection:
            found = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE name = ?", (SEG_TABLE,)
            ).fetchone()
    except sqlite3.Error:
        return False
    return found is not None


def search_query(query: str) -> str:
    """Datasette's search, made to find words of scripts written without spaces.

    Datasette quotes each term of a search (`escape_fts`). A search with Chinese,
    Japanese or Thai in it becomes exactly the query `newsmon articles --search`
    sends to the segmented index (`storage.fts.segment`): each term a prefix
    phrase of its character pairs, so 普京 inside a sentence is found by both.
    """
    if not needs_like([query]):
        return str(escape_fts(query))
    return match_query([segment_query(term) for term in search_terms(query)])


@hookimpl(trylast=True)
def prepare_connection(conn: sqlite3.Connection) -> None:
    # trylast: runs after Datasette's own escape_fts registration, so this one is used.
    conn.create_function("escape_fts", 1, search_query)
    # What the segmented index's triggers call, should a writing plugin change an article.
    conn.create_function(SEG_FUNCTION, 1, segment, deterministic=True)


@hookimpl
def render_cell(value: Any, column: str, table: str | None) -> Markup | None:
    """Readable cells: long texts cut short, authors as names, evidence as its summary."""
    if table is None:
        return None
    if column in LONG_COLUMNS.get(table, ()) and isinstance(value, str) and len(value) > LONG_TEXT:
        return Markup("{}… <em>({:,} characters)</em>").format(value[:LONG_TEXT], len(value))
    if table == "articles" and column == "authors" and isinstance(value, str):
        return escape(", ".join(_json_list(value)))
    if table == "articles" and column == "raw_html" and isinstance(value, bytes):
        return Markup(
            "<em>the page as fetched, compressed: {:,} bytes</em> "
            "(<code>newsmon show</code> prints its text)"
        ).format(len(value))
    if table == "relations" and column == "evidence" and isinstance(value, str):
        try:
            summary = json.loads(value).get("summary") or ""
        except (ValueError, AttributeError):
            return None
        return Markup("{} <em>(full evidence: the article pages)</em>").format(summary)
    return None


def _json_list(value: str) -> list[str]:
    try:
        data = json.loads(value)
    except ValueError:
        return [value]
    return [str(item) for item in data] if isinstance(data, list) else [value]


@hookimpl
def menu_links(datasette: Any) -> list[dict[str, str]]:
    return [
        {"href": datasette.urls.path("/"), "label": "Stories"},
        {"href": datasette.urls.path(f"{PREFIX}/report"), "label": "Daily report"},
    ]
