"""The `newsmon` command line: a thin adapter over the crawler, the store and dedup.

Every command opens what it needs, calls one stage function and renders the
result. Errors a user can fix are printed as one sentence and exit 2; an
unexpected error exits 1 with a hint to rerun with NEWSMON_DEBUG=1.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from sqlalchemy.orm import Session

from crawler.discovery import DiscoveryError
from crawler.linking import Linker, link_unlinked
from crawler.outlets import (
    Got,
    ListingUnavailable,
    Outlet,
    OutletConfigError,
    append_outlet,
    check_outlet,
    draft_outlet,
    load_registry,
    registry_paths_from_env,
)
from crawler.pages import PageSkip
from crawler.settings import USER_AGENT
from crawler.settling import settle
from crawler.topic import TopicConfigError, load_topic
from newsmon import __version__, lineage_cli
from newsmon.common import (
    DbOption,
    OutletsFileOption,
    PublishedSince,
    SinceAlias,
    UserError,
    console,
    err,
    held_languages,
    known_outlet,
    language_code,
    migrated,
    since_option,
    store,
)
from newsmon.export import ExportFormat, export_articles
from newsmon.fetch import FetchError, fetch, web_address
from newsmon.render import (
    Col,
    fit_table,
    listing_checks_table,
    outlets_table,
    run_summary_table,
    summary_counts,
)
from newsmon.report import ReportError, build_report, to_json, to_markdown, to_terminal
from newsmon.runner import ABANDONED_RUN, CrawlOptions, Interrupted, run_crawl
from newsmon.schedule_cli import schedule_app
from newsmon.serve import serve
from newsmon.topics_cli import topics_app
from scheduler.lock import LockBusy, crawling, outlet_locks
from scheduler.service import ScheduleError
from storage import counters
from storage.db import StorageError, compact
from storage.lineage import lineage_of, misdirected_articles, unlinked_articles, unlinked_outlets
from storage.queries import (
    ArticleFilter,
    article_languages,
    article_raw_html,
    check_integrity,
    count_articles,
    finish_run,
    get_article,
    get_run,
    iter_articles,
    list_articles,
    list_runs,
    running_runs,
    update_extraction,
)
from storage.records import RunSummary, as_trigger
from storage.recrawl import outlets_in_backoff
from storage.views import with_lineage

if TYPE_CHECKING:
    from crawler.extract import Extracted

app = typer.Typer(
    help="newsmon: crawl news outlets, store deduplicated articles, follow how stories spread.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
outlets_app = typer.Typer(
    help="List the outlet registry, check an outlet's listings, or add an outlet to your file."
)
db_app = typer.Typer(help="Maintain the article store.")
app.add_typer(outlets_app, name="outlets")
app.add_typer(db_app, name="db")
app.add_typer(schedule_app, name="schedule")
app.add_typer(topics_app, name="topics")


def _print_version(wanted: bool) -> None:
    if wanted:
        console.print(f"newsmon {__version__}")
        raise typer.Exit


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """newsmon: crawl news outlets, store deduplicated articles, follow how stories spread."""


app.command("relate")(lineage_cli.relate_command)
app.command()(lineage_cli.rewrites)
app.command()(lineage_cli.stories)
app.command()(lineage_cli.story)
app.command()(lineage_cli.relink)
app.command()(serve)

# Configuration a crawl cannot start with: one sentence before anything is fetched.
CONFIG_ERRORS: tuple[type[Exception], ...] = (UserError, OutletConfigError, TopicConfigError)
USER_ERRORS: tuple[type[Exception], ...] = (
    *CONFIG_ERRORS,
    StorageError,
    DiscoveryError,
    FetchError,
    LockBusy,
    ScheduleError,
    ReportError,
)


def registry(files: list[Path] | None) -> dict[str, Outlet]:
    return load_registry([*(files or []), *registry_paths_from_env()])


# -- crawling ---------------------------------------------------------------


def _crawl_and_report(
    outlets: list[Outlet], options: CrawlOptions, run_id: int | None = None
) -> int:
    from newsmon.progress import CrawlProgress  # imports Scrapy signals; keep `--help` fast

    try:
        with CrawlProgress(console) as progress:
            run_id = run_crawl(outlets, options, on_crawler=progress.attach, run_id=run_id)
    except Interrupted as stop:
        err.print(
            f"Crawl {stop}; what was stored is kept, and the next crawl of these outlets "
            "completes it."
        )
        raise typer.Exit(stop.exit_code) from None
    with store(options.db_url) as session:
        run = get_run(session, run_id)
        assert run is not None
        console.print(run_summary_table(run_id, run.stats or {}, console.width))
        console.print(f"Run {run_id}: {run.status}" + (f" ({run.error})." if run.error else "."))
    if run.status == "failed":
        raise typer.Exit(1)
    return run_id


DEMO_PORT = 8765


@app.command()
def demo(
    db: DbOption = None,
    next_day: Annotated[
        bool,
        typer.Option("--next-day", help="Re-crawl the demo web as it looks one day later."),
    ] = False,
    port: Annotated[
        int, typer.Option(help="Port of the demo outlets (each outlet has its own 127.0.0.x).")
    ] = DEMO_PORT,
    keep_serving: Annotated[
        bool, typer.Option(help="Keep the demo web running after the crawl (Ctrl-C stops).")
    ] = False,
) -> None:
    """Serve the bundled offline news web on 127.0.0.1 and crawl all of it into the store."""
    import demoweb
    from newsmon.demo import demo_outlets, seed_lineage, write_outlets_file

    try:
        served = demoweb.serve(demoweb.build_web(1), port=port)
        web = served.__enter__()
    except OSError as exc:
        # demoweb names the outlet and address; the system's reason is on its cause.
        cause = exc.__cause__ if isinstance(exc.__cause__, OSError) else exc
        reason = cause.strerror or str(cause)
        raise UserError(
            f"Port {port} cannot be used on the demo addresses ({reason}); "
            f"pass --port with a free one, such as --port {port + 1}."
        ) from exc
    try:
        outlets = demo_outlets(web)
        console.print(
            f"Offline demo web: {len(outlets)} outlets on loopback, port {port} "
            f"({', '.join(web.base_url(o.name) for o in outlets[:3])}, ...)."
        )
        with store(db) as session:
            crawled_before = any(r.trigger == "demo" for r in list_runs(session, limit=1000))
        with tempfile.TemporaryDirectory() as folder:
            outlets_file = write_outlets_file(outlets, Path(folder) / "demo-outlets.toml")
            if not (next_day and crawled_before):
                console.rule("Day 1: 15 June 2022")
                _demo_crawl(db, outlets_file)
                with store(db) as session:
                    console.print(seed_lineage(session, web, console.width))
            if next_day:
                web.replace(demoweb.build_web(2))
                console.rule("Day 2: the same web one day later")
                _demo_crawl(db, outlets_file)
                with store(db) as session:
                    console.print(to_terminal(build_report(session, None, None), console.width))
        console.print(
            "Next: `newsmon articles`, `newsmon report`, `newsmon show ID`, "
            "`newsmon serve`" + ("." if next_day else ", `newsmon demo --next-day`.")
        )
        if keep_serving:
            console.print("Serving the demo web; press Ctrl-C to stop.")
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
    finally:
        served.__exit__(None, None, None)


def _settings(pairs: list[str]) -> dict[str, str]:
    """`--set NAME=VALUE` pairs; Scrapy converts the values where it reads them."""
    found = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UserError(
                f"--set {pair!r} is not NAME=VALUE; write it like --set DOWNLOAD_DELAY=2."
            )
        found[name.strip()] = value.strip()
    return found


def _demo_crawl(db: str | None, outlets_file: Path) -> None:
    """One crawl of the demo web in a child process: a reactor runs once per process."""
    from scheduler.jobs import child_env, crawl_command, describe_exit

    cmd = crawl_command([], [str(outlets_file)], trigger="demo", builtin=False, allow_private=True)
    code = _wait_through_interrupts(subprocess.Popen(cmd, env=child_env(db)))  # noqa: S603
    if code in (128 + signal.SIGINT, 128 + signal.SIGTERM):
        raise typer.Exit(code)  # the crawl printed its one line; the demo web stops with us
    if code != 0:
        raise UserError(f"The demo crawl ended with {describe_exit(code)}; see the messages above.")


def _wait_through_interrupts(child: subprocess.Popen[bytes]) -> int:
    """Wait for a child crawl, letting it handle Ctrl-C and SIGTERM itself.

    Ctrl-C reaches the whole process group, the child included; a SIGTERM sent to
    us alone is passed on. Either way we keep serving the demo web until the child
    has stored, linked and recorded what it had in flight, and return its exit status.
    """

    def forward(signum: int, frame: FrameType | None) -> None:
        child.send_signal(signum)

    previous = signal.signal(signal.SIGTERM, forward)
    try:
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                continue  # the child got the same Ctrl-C
    finally:
        signal.signal(signal.SIGTERM, previous)


@app.command()
def crawl(
    outlet: Annotated[
        list[str] | None,
        typer.Option("--outlet", "-o", help="Outlet name (repeatable; default: all)."),
    ] = None,
    db: DbOption = None,
    outlets_file: OutletsFileOption = None,
    no_builtin: Annotated[
        bool,
        typer.Option(
            "--no-builtin", help="Use only the --outlets files, not the built-in registry."
        ),
    ] = False,
    allow_private: Annotated[
        bool,
        typer.Option(
            "--allow-private", help="Allow loopback/private hosts (local test webs only)."
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Also crawl outlets the registry marks blocked or terms_forbid.",
        ),
    ] = False,
    trigger: Annotated[str, typer.Option(hidden=True)] = "manual",
    run_id: Annotated[int | None, typer.Option(hidden=True)] = None,
    workers: Annotated[
        int | None, typer.Option(help="Extraction worker processes (default 2; 0 = inline).")
    ] = None,
    log_level: Annotated[str, typer.Option(help="Scrapy log level.")] = "WARNING",
    setting: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="A Scrapy setting, NAME=VALUE (repeatable), e.g. DOWNLOAD_DELAY=2."
        ),
    ] = None,
) -> None:
    """Crawl outlets from the registry into the store."""
    extra = _settings(setting or [])
    if force:
        extra["NEWSMON_FORCE"] = "1"
    try:
        files = [*(outlets_file or []), *registry_paths_from_env()]
        known = load_registry(files, builtin=not no_builtin)
        names = outlet or sorted(known)
        unknown = [n for n in names if n not in known]
        if unknown:
            raise UserError(
                f"Unknown outlet(s) {', '.join(unknown)}; `newsmon outlets` lists the names."
            )
        names = _honour_status(known, names, named=bool(outlet), force=force)
        topic = extra.get("NEWSMON_TOPIC")
        load_topic(Path(topic) if topic else None)  # a bad topic file stops us before any fetch
    except CONFIG_ERRORS as exc:
        if run_id is not None:  # the scheduler opened a run for us: say why it failed
            with store(db, write=True) as session:
                finish_run(session, run_id, "failed", error=str(exc))
                session.commit()
        raise
    if as_trigger(trigger) == "scheduled":
        # An outlet that keeps failing rests (exponential back-off) instead of being hammered.
        with store(db) as session:
            resting = outlets_in_backoff(session, datetime.now(UTC))
        for name in [n for n in names if n in resting]:
            err.print(
                f"{name}: resting after repeated failures until {resting[name]:%Y-%m-%d %H:%M} UTC."
            )
        names = [n for n in names if n not in resting]
        if not names:
            console.print("Every outlet of this run is resting; nothing to crawl now.")
            if run_id is not None:
                with store(db, write=True) as session:
                    finish_run(session, run_id, "skipped", error="every outlet is resting")
                    session.commit()
            return
    options = CrawlOptions(
        db_url=db,
        outlet_files=files,
        builtin_outlets=not no_builtin,
        local_web=allow_private,
        trigger=as_trigger(trigger),
        extract_workers=workers,
        log_level=log_level,
        extra_settings=extra,
    )
    _crawl_and_report([known[n] for n in names], options, run_id)


def _honour_status(
    known: dict[str, Outlet], names: list[str], *, named: bool, force: bool
) -> list[str]:
    """Drop outlets marked blocked or terms_forbid, unless forced; one line says why.

    An outlet the user named with --outlet is a mistake worth stopping for; in a
    crawl of the whole registry it is skipped and the rest go ahead.
    """
    refusals = {n: r for n in names if (r := known[n].crawl_refusal()) is not None}
    if force or not refusals:
        return names
    if named:
        raise UserError(" ".join(refusals.values()))
    for refusal in refusals.values():
        err.print(f"Skipped: {refusal}")
    kept = [n for n in names if n not in refusals]
    if not kept:
        raise UserError("Every outlet of this crawl is skipped; pass --force to crawl them.")
    return kept


# -- the registry -------------------------------------------------------------


@outlets_app.callback(invoke_without_command=True)
def outlets_list(ctx: typer.Context, outlets_file: OutletsFileOption = None) -> None:
    """List the outlets newsmon knows (built-in plus your files)."""
    if ctx.invoked_subcommand is None:
        outlets = sorted(registry(outlets_file).values(), key=lambda o: o.name)
        console.print(outlets_table(outlets, console.width))


@outlets_app.command("add")
def outlets_add(
    url: str,
    file: Annotated[
        Path, typer.Option("--file", help="Outlets file to append the draft to.")
    ] = Path("outlets.toml"),
    name: Annotated[
        str | None,
        typer.Option(help="The outlet's registry name (default: from the host name)."),
    ] = None,
    allow_private: Annotated[bool, typer.Option("--allow-private", hidden=True)] = False,
) -> None:
    """Discover a site's feeds and sitemaps and append a draft entry to your outlets file."""
    url = web_address(url)
    taken = set(load_registry([file], builtin=False)) if file.exists() else set()
    if name is not None and name in taken:
        raise UserError(f'{file} already has an outlet "{name}"; pass another --name.')
    home = fetch(url, allow_private=allow_private)
    robots_url = home.url.split("/", 3)
    robots: bytes | None
    try:
        robots = fetch("/".join(robots_url[:3]) + "/robots.txt", allow_private=allow_private).body
    except FetchError:
        robots = None
    outlet = draft_outlet(home.url, home.body, robots)
    if name is not None:
        outlet = dataclasses.replace(outlet, name=name)
    elif outlet.name in taken:
        raise UserError(
            f'{file} already has an outlet "{outlet.name}"; edit that entry, or pass '
            "--name to add this site under another name."
        )
    append_outlet(file, outlet)
    load_registry([file], builtin=False)  # the draft must load; fail loudly now, not at crawl time
    console.print(
        f"Added draft outlet [bold]{outlet.name}[/] to {file}: "
        f"{len(outlet.feeds)} feed(s), {len(outlet.sitemaps)} sitemap(s). Review it, then "
        f"`newsmon crawl --outlets {file} --outlet {outlet.name}`."
    )


@outlets_app.command("check")
def outlets_check(
    name: str,
    outlets_file: OutletsFileOption = None,
    allow_private: Annotated[bool, typer.Option("--allow-private", hidden=True)] = False,
) -> None:
    """Fetch an outlet's listings now and show what each lists, and how new (stores nothing)."""
    known = registry(outlets_file)
    if name not in known:
        raise UserError(f"Unknown outlet {name}; `newsmon outlets` lists the names.")
    outlet = known[name]
    # The outlet's own politeness; a local test web is fetched at full speed, as crawls do.
    delay = 0.0 if allow_private else (outlet.crawl_delay or 1.0)

    def get(url: str) -> Got:
        try:
            page = fetch(url, allow_private=allow_private)
        except FetchError as exc:
            raise ListingUnavailable(str(exc)) from exc
        charset = f"text/plain; charset={page.encoding}" if page.encoding else None
        return Got(page.url, page.body, charset)

    if outlet.status != "ok":
        console.print(
            f"{name} is marked [bold]{outlet.status}[/] in the registry: {outlet.status_note}"
        )
    checks = check_outlet(outlet, get, user_agent=USER_AGENT, pause=lambda: time.sleep(delay))
    console.print(listing_checks_table(checks))
    read = [c for c in checks if c.error is None and c.kind != "robots"]
    articles = sum(c.articles for c in read)
    dates = [c.newest for c in read if c.newest is not None]
    newest = f"newest entry {max(dates):%Y-%m-%d %H:%M} UTC" if dates else "no dated entry"
    listings = sum(1 for c in checks if c.kind != "robots")
    console.print(
        f"{name}: {len(read)} of {listings} listing(s) read, {articles} article URL(s), {newest}."
    )
    if not articles:
        err.print(
            f"{name}: no listing gave an article URL a crawl would fetch; fix its feeds, "
            "sitemaps, sections or article_patterns in your outlets file."
        )
        raise typer.Exit(1)


# -- reading the store ----------------------------------------------------------


@app.command()
def articles(
    outlet: Annotated[
        str | None, typer.Option(help="Only this outlet (a name `newsmon outlets` lists).")
    ] = None,
    published_since: PublishedSince = None,
    since: SinceAlias = None,
    lang: Annotated[
        str | None, typer.Option(help="Only this language: a code (ru) or a name (Russian).")
    ] = None,
    search: Annotated[
        str | None, typer.Option(help="Full-text search in titles and texts.")
    ] = None,
    story: Annotated[int | None, typer.Option(help="Only the articles of this story.")] = None,
    min_score: Annotated[
        float | None,
        typer.Option(help="Only articles whose topic score is at least this (0 to 1).", min=0),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.", min=1)] = 50,
    db: DbOption = None,
) -> None:
    """List stored articles, newest first."""
    with store(db) as session:
        filters = ArticleFilter(
            outlet=known_outlet(session, outlet),
            since=since_option(published_since, since, "--published-since"),
            language=language_code(session, lang),
            search=search,
            min_score=min_score,
            story=story,
        )
        rows = list_articles(
            session,
            outlet=filters.outlet,
            since=filters.since,
            language=filters.language,
            search=filters.search,
            min_score=filters.min_score,
            story=filters.story,
            limit=limit,
        )
        total = count_articles(session, filters) if len(rows) == limit else len(rows)
        lineage = {row.id: lineage_of(session, row.id) for row in rows}
        held = article_languages(session)
    table_rows = []
    for row in rows:
        info = lineage[row.id]
        how = f"{info.source_relation} of #{info.source_id}" if info.source_id else ""
        if info.story_id is not None:
            how = f"{how}, story {info.story_id}".strip(", ")
        table_rows.append(
            [
                str(row.id),
                row.outlet,
                row.published.date().isoformat() if row.published else "",
                row.language or "",
                f"{row.topic_score:.2f}",
                row.title,
                how,
                row.url,
            ]
        )
    columns = [
        Col("id", justify="right"),
        Col("outlet"),
        Col("published", drop=1),
        Col("lang"),
        Col("score", drop=3, justify="right"),
        Col("title", flex=True, min_width=20, max_lines=3),
        Col("lineage", flex=True, max_lines=3),
        Col("url", drop=2),
    ]
    shown = f"{len(rows)} of {total} articles" if total > len(rows) else f"{total} article(s)"
    caption = (
        f"--limit {total} (or a filter) shows the rest; `newsmon show ID` prints one."
        if total > len(rows)
        else None
    )
    if not rows and filters.language is not None:
        caption = f"No article in {filters.language!r}; {held_languages(held)}."
    console.print(fit_table(columns, table_rows, console.width, title=shown, caption=caption))


@app.command()
def show(article_id: int, db: DbOption = None) -> None:
    """Print one article in the seed format (title line, blank line, paragraphs)."""
    with store(db) as session:
        article = get_article(session, article_id)
        if article is None:
            raise UserError(f"No article {article_id}; `newsmon articles` lists the ids.")
        lineage = lineage_of(session, article_id)
        err.print(
            f"[dim]#{article.id} {article.outlet} {article.url} "
            f"{article.published or ''} {article.language or ''}[/]"
        )
        if lineage.source_id is not None:
            err.print(
                f"[dim]{lineage.source_relation} of #{lineage.source_id} "
                f"(`newsmon rewrites {article.id}`)[/]"
            )
        if lineage.story_id is not None:
            err.print(
                f"[dim]part of story {lineage.story_id} (`newsmon story {lineage.story_id}`)[/]"
            )
        sys.stdout.write(article.seed_text + "\n")


@app.command("export")
def export_command(
    out: Annotated[Path, typer.Option("--out", help="Output file (jsonl, csv) or folder (txt).")],
    fmt: Annotated[ExportFormat, typer.Option("--format", help="jsonl, csv or txt.")] = "jsonl",
    story: Annotated[int | None, typer.Option(help="Only the articles of this story.")] = None,
    published_since: PublishedSince = None,
    since: SinceAlias = None,
    outlet: Annotated[
        str | None, typer.Option(help="Only this outlet (a name `newsmon outlets` lists).")
    ] = None,
    lang: Annotated[
        str | None, typer.Option(help="Only this language: a code (ru) or a name (Russian).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Write stored articles with their lineage (story, source, relation, score) to a file
    (jsonl, csv), or one text file per article (txt)."""
    if fmt == "txt" and out.exists() and not out.is_dir():
        raise UserError(
            f"{out} is a file; --format txt writes one file per article into a folder, "
            "so give --out a folder name."
        )
    if fmt != "txt" and out.is_dir():
        raise UserError(f"{out} is a folder; give --out a file name for --format {fmt}.")
    start = since_option(published_since, since, "--published-since")
    with store(db) as session:
        rows = iter_articles(
            session,
            outlet=known_outlet(session, outlet),
            since=start,
            language=language_code(session, lang),
            story=story,
        )
        count = export_articles(with_lineage(session, rows), fmt, out)
    console.print(f"Exported {count} article(s) to {out}.")


# -- extraction ---------------------------------------------------------------


def _html_files(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix.lower() in (".html", ".htm"))
        elif path.exists():
            yield path
        else:
            raise UserError(f"{path} does not exist; give HTML files or folders of them.")


@app.command("extract")
def extract_command(
    paths: Annotated[list[Path], typer.Argument(help="HTML files or folders.")],
    url: Annotated[
        str | None, typer.Option(help="The page's URL (resolves relative links).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="txt (seed format) or jsonl.")] = "txt",
) -> None:
    """Run the crawler's extraction on local HTML files, without crawling."""
    # Only this command extracts in the CLI's own process: trafilatura stays out of the others.
    from crawler.extract import Skipped, extract

    if fmt not in ("txt", "jsonl"):
        raise UserError(f"--format {fmt!r} is not supported; use txt or jsonl.")
    files = list(_html_files(paths))
    if not files:
        raise UserError(
            f"No .html or .htm file in {', '.join(map(str, paths))}; give HTML files or "
            "folders holding them."
        )
    for path in files:
        result = extract(path.read_bytes(), url)
        if isinstance(result, Skipped):
            err.print(f"{path}: skipped ({result.reason}) {result.detail}")
            if fmt == "jsonl":
                sys.stdout.write(json.dumps({"path": str(path), "skipped": result.reason}) + "\n")
            continue
        if fmt == "jsonl":
            sys.stdout.write(json.dumps(_extracted_json(path, result), ensure_ascii=False) + "\n")
        else:
            if len(files) > 1:
                sys.stdout.write(f"==> {path} <==\n")
            sys.stdout.write(result.seed_text + "\n")


def _extracted_json(path: Path, result: Extracted) -> dict[str, object]:
    return {
        "path": str(path),
        "title": result.title,
        "text": result.text,
        "published": result.published.isoformat() if result.published else None,
        "authors": list(result.authors),
        "language": result.language,
        "url": result.canonical_url,
    }


@app.command()
def reextract(db: DbOption = None) -> None:
    """Re-run extraction on every stored article's raw HTML (after an upgrade)."""
    from crawler.pages import rebuild_record

    counts = {"updated": 0, "unchanged": 0, "duplicate_text": 0, "kept": 0}
    with store(db, write=True) as session:
        for article in list(iter_articles(session)):
            result = rebuild_record(
                article.outlet,
                article.url,
                article_raw_html(session, article.id),
                article.fetched_at,
            )
            if isinstance(result, PageSkip):
                counts["kept"] += 1
                err.print(
                    f"#{article.id}: the new extraction skips it ({result.reason}); kept as it was."
                )
                continue
            outcome = update_extraction(
                session,
                article.id,
                title=result.title,
                text=result.text,
                published=result.published,
                authors=result.authors,
                language=result.language,
                extractor_version=result.extractor_version,
                topic_score=result.topic_score,
                content_key=result.content_key,
            )
            counts[outcome.status] += 1
            session.commit()
    console.print(
        f"Re-extracted {sum(counts.values())} article(s): {counts['updated']} changed, "
        f"{counts['unchanged']} unchanged, {counts['duplicate_text']} now identical to "
        f"another article (left as they were), {counts['kept']} kept because the new "
        "extraction skipped them."
    )


@app.command()
def record(
    url: str,
    outlet: Annotated[str, typer.Option(help="Registry name of the outlet the page belongs to.")],
    name: Annotated[
        str | None, typer.Option(help="Fixture file stem (default: from the URL).")
    ] = None,
    fixtures: Annotated[Path, typer.Option(help="Fixture folder.")] = Path(
        "tests/fixtures/outlets"
    ),
    outlets_file: OutletsFileOption = None,
    allow_private: Annotated[bool, typer.Option("--allow-private", hidden=True)] = False,
) -> None:
    """Record an article page as a test fixture for its outlet (HTML plus expected extraction)."""
    from newsmon.fixtures import FixtureError, write_fixture

    if outlet not in registry(outlets_file):
        raise UserError(
            f"Unknown outlet {outlet!r}; `newsmon outlets` lists the names (--outlets FILE "
            "adds yours)."
        )
    page = fetch(url, allow_private=allow_private)
    try:
        html_path = write_fixture(fixtures / outlet, page.url, page.body, name)
    except FixtureError as exc:
        raise UserError(f"{exc}.") from exc
    console.print(
        f"Recorded {html_path} and its .json; add must_not_contain snippets, then run "
        "`pytest tests/test_extraction_quality.py`."
    )


@app.command()
def runs(
    limit: Annotated[int, typer.Option(help="At most this many runs.", min=1)] = 20,
    db: DbOption = None,
) -> None:
    """List past crawl runs with their figures."""
    with store(db) as session:
        rows = list_runs(session, limit=limit)
    columns = [
        Col("id", justify="right"),
        Col("started (UTC)"),
        Col("status"),
        Col("trigger", drop=2),
        Col("outlets", drop=1, justify="right"),
        Col("fetched", justify="right"),
        Col("stored", justify="right"),
        Col("updated", drop=3, justify="right"),
        Col("failed", justify="right"),
        Col("reason", flex=True, max_lines=12),
    ]
    table_rows = []
    for run in rows:
        totals: dict[str, int] = {}
        for stats in (run.stats or {}).values():
            for heading, value in summary_counts(stats).items():
                totals[heading] = totals.get(heading, 0) + value
            totals["updated"] = totals.get("updated", 0) + counters.count(stats, counters.UPDATED)
        table_rows.append(
            [
                str(run.id),
                f"{run.started_at:%Y-%m-%d %H:%M}",
                run.status,
                run.trigger,
                str(len(run.outlets)),
                str(totals.get("fetched", 0)),
                str(totals.get("stored", 0)),
                str(totals.get("updated", 0)),
                str(totals.get("failed", 0)),
                run.error or "",
            ]
        )
    table = fit_table(columns, table_rows, console.width, title="Crawl runs")
    console.print(table)


@app.command()
def report(
    run_id: Annotated[int | None, typer.Argument(help="Crawl run (default: the latest).")] = None,
    crawled_since: Annotated[
        str | None,
        typer.Option(
            help="Everything crawled on or after this date (2022-06-15, yesterday, 7d), "
            "over all runs, instead of one run."
        ),
    ] = None,
    since: SinceAlias = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="text (a terminal's default), md (Markdown, the default into a pipe or file) "
            "or json.",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """What is new: articles, updates (with diffs), rewrites, stories, outlet health."""
    fmt = fmt or ("text" if sys.stdout.isatty() else "md")
    if fmt not in ("text", "md", "json"):
        raise UserError(f"--format {fmt!r} is not supported; use text, md or json.")
    start = since_option(crawled_since, since, "--crawled-since")
    if start is not None and run_id is not None:
        raise UserError("Give a run id or --crawled-since, not both.")
    with store(db) as session:
        built = build_report(session, run_id, start)
    if fmt == "text":
        console.print(to_terminal(built, console.width))
    else:
        sys.stdout.write(to_json(built) + "\n" if fmt == "json" else to_markdown(built))


@db_app.command("check")
def db_check(
    db: DbOption = None,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Link the articles an interrupted crawl left unlinked, judge again the pairs "
            "of articles it re-dated, and close the runs whose crawl process died.",
        ),
    ] = False,
) -> None:
    """Check the store: foreign keys, orphans, full-text index, unlinked articles, stale runs."""
    if repair:
        _repair(db)
    with store(db) as session:  # checking only reads: a read-only store can be checked
        problems = check_integrity(session)
        problems += [
            f"run {run.id} is still `running` but no process is crawling its outlets: its "
            "crawl process died; `newsmon db check --repair` records it as failed"
            for run in _abandoned_runs(session, db)
        ]
        unlinked = unlinked_articles(session)
        if unlinked:
            problems.append(
                f"{len(unlinked)} article(s) stored but not linked to their relatives "
                f"({_some(unlinked)}): "
                "a crawl was interrupted or ran without linking; the next crawl of their "
                "outlets or `newsmon db check --repair` links them"
            )
        misdirected = misdirected_articles(session)
        if misdirected:
            problems.append(
                f"{len(misdirected)} article(s) re-dated by a copy published earlier still have "
                f"relations judged in the old order ({_some(misdirected)}): their crawl stopped "
                "before judging them again; `newsmon db check --repair` does"
            )
    if problems:
        for problem in problems:
            err.print(f"[red]problem:[/] {problem}")
        raise typer.Exit(1)
    console.print("The store is consistent.")


@db_app.command("vacuum")
def db_vacuum(db: DbOption = None) -> None:
    """Give the store's free space back to the disk (SQLite), or VACUUM and ANALYZE it now
    (PostgreSQL). Safe while other commands read; waits for a running crawl's writes."""
    with migrated(db) as engine:
        sizes = compact(engine)
    if sizes is None:
        console.print("Vacuumed and analysed the database; the server reuses the space freed.")
        return
    before, after = sizes
    console.print(f"The store went from {_megabytes(before)} to {_megabytes(after)}.")


def _megabytes(size: int) -> str:
    return f"{size / 2**20:,.1f} MB"


def _some(ids: Sequence[int], shown: int = 5) -> str:
    """A few article ids, as a problem line names them."""
    return ", ".join(f"#{i}" for i in ids[:shown]) + (", ..." if len(ids) > shown else "")


def _abandoned_runs(session: Session, db: str | None) -> list[RunSummary]:
    """Runs left `running` by a process that died (it would hold its outlets' locks)."""
    return [run for run in running_runs(session) if not crawling(db, run.outlets)]


def _repair(db: str | None) -> None:
    """What an interrupted or killed crawl leaves behind, completed the way the next crawl would."""
    with store(db, write=True) as session:
        abandoned = _abandoned_runs(session, db)
        for run in abandoned:
            finish_run(session, run.id, "failed", error=ABANDONED_RUN)
        session.commit()
        outlets = unlinked_outlets(session)
    with outlet_locks(db, outlets), store(db, write=True) as session:
        linked = link_unlinked(session, outlets)
        misdirected = misdirected_articles(session)
        if linked or misdirected:
            settle(session, Linker.from_store(session), linked, misdirected)
        session.commit()
    console.print(
        f"Repaired: {len(abandoned)} run(s) closed as failed, {len(linked)} article(s) linked, "
        f"{len(misdirected)} re-dated article(s) judged again."
    )


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        # Ctrl-C outside a crawl (a crawl handles it itself, see `runner.StopOnSignal`).
        err.print("Interrupted.")
        sys.exit(130)
    except Interrupted as stop:
        err.print(f"Stopped: {stop}.")
        sys.exit(stop.exit_code)
    except USER_ERRORS as exc:
        # Escaped: messages quote URLs and pip extras like newsmon[postgres], not markup.
        err.print(f"[red]error:[/] {escape(str(exc))}")
        sys.exit(2)
    except Exception as exc:
        if os.environ.get("NEWSMON_DEBUG"):
            raise
        err.print(
            f"[red]newsmon hit an unexpected error:[/] {type(exc).__name__}: {exc}. "
            "Rerun with NEWSMON_DEBUG=1 for details and please report it."
        )
        sys.exit(1)
