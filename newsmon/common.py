"""What every `newsmon` command shares: consoles, the store, common options, user errors."""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, TextIO

import typer
from babel import Locale, UnknownLocaleError
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from storage.db import make_engine, session_factory, storage_errors, upgrade
from storage.queries import article_languages, count_by_outlet

# Piped output (grep, files) gets wide tables instead of 80-column truncation, unless
# COLUMNS says how wide the reader's screen is (rich reads it when no width is given).
PIPE_WIDTH = 200


def _width(stream: TextIO) -> int | None:
    return None if stream.isatty() or os.environ.get("COLUMNS", "").isdigit() else PIPE_WIDTH


console = Console(width=_width(sys.stdout))
err = Console(stderr=True, width=_width(sys.stderr))

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLAlchemy URL of the store (default: $NEWSMON_DB_URL or sqlite:///newsmon.db).",
    ),
]
OutletsFileOption = Annotated[
    list[Path] | None,
    typer.Option("--outlets", help="Extra outlet registry file(s), merged over the built-in one."),
]


class UserError(Exception):
    """Something the user can fix; the message says what to do."""


@contextmanager
def migrated(db: str | None) -> Iterator[Engine]:
    """The store's engine, its schema brought up to date, disposed of on leaving."""
    engine = make_engine(db)
    try:
        with storage_errors(engine):
            upgrade(engine)
        yield engine
    finally:
        engine.dispose()


@contextmanager
def store(db: str | None, *, write: bool = False) -> Iterator[Session]:
    """A migrated store and one session; the command commits what it changes.

    Read sessions never take SQLite's write lock, so listing and exporting
    never stall a crawl that is writing.
    """
    with (
        migrated(db) as engine,
        storage_errors(engine),
        session_factory(engine, write=write)() as session,
    ):
        yield session


_RELATIVE = re.compile(r"^(\d+)\s*([hdw])$")
_UNIT_HOURS = {"h": 1, "d": 24, "w": 24 * 7}


def parse_date(value: str | None, option: str, now: datetime | None = None) -> datetime | None:
    """A date option: ISO (2022-06-15, 2022-06-15T08:00), today, yesterday, or an age (7d, 12h, 2w).

    A date without a time zone is UTC; today and yesterday start at midnight UTC.
    """
    if value is None:
        return None
    now = now or datetime.now(UTC)
    word = value.strip().lower()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if word in ("today", "yesterday"):
        return midnight - timedelta(days=1 if word == "yesterday" else 0)
    relative = _RELATIVE.match(word)
    if relative:
        return now - timedelta(hours=int(relative.group(1)) * _UNIT_HOURS[relative.group(2)])
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise UserError(
            f"{option} {value!r} is not a date; write it like 2022-06-15, yesterday or 7d."
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def since_option(explicit: str | None, alias: str | None, option: str) -> datetime | None:
    """The explicit date option, or the older ``--since`` spelling kept for old scripts."""
    if explicit is not None and alias is not None:
        raise UserError(f"Give {option} once (--since is its older name).")
    return parse_date(explicit if explicit is not None else alias, option)


# The older `--since`: it meant publication time for articles and stories, crawl time for
# the report; the explicit names say which, and this one stays out of the help.
SinceAlias = Annotated[str | None, typer.Option("--since", hidden=True)]
PublishedSince = Annotated[
    str | None,
    typer.Option(
        help="Published on or after this date (2022-06-15, yesterday, 7d); undated "
        "articles count from when they were first crawled."
    ),
]


def known_outlet(session: Session, outlet: str | None) -> str | None:
    """``outlet`` when the store has it; otherwise say which outlets it has."""
    if outlet is None:
        return None
    names = list(count_by_outlet(session))
    if outlet not in names:
        close = difflib.get_close_matches(outlet, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UserError(f"No outlet {outlet!r} in the store{hint}; it holds {_listing(names)}.")
    return outlet


def language_code(session: Session, lang: str | None) -> str | None:
    """An ISO 639-1 code from a code or a language name (English or its own: russian, русский)."""
    if lang is None:
        return None
    held = article_languages(session)
    wanted = lang.strip().lower()
    if wanted in held:
        return wanted
    code = _language_names(held).get(wanted)
    if code is None and len(wanted) == 2 and wanted in Locale("en").languages:
        code = wanted  # a real code the store holds no article in: an empty list, not an error
    if code is None:
        raise UserError(f"--lang {lang!r} is not a language code or name; {held_languages(held)}.")
    return code


def held_languages(held: Mapping[str, int]) -> str:
    """Which languages the store has articles in, for a message."""
    names = [f"{c} ({Locale('en').languages.get(c, c)})" for c in held]
    return f"the store holds {_listing(names)}"


def _language_names(held: Mapping[str, int]) -> dict[str, str]:
    """Language names in English for every ISO 639-1 code, plus each held language's own."""
    names = {name.lower(): code for code, name in Locale("en").languages.items() if len(code) == 2}
    for code in held:
        with contextlib.suppress(ValueError, UnknownLocaleError):
            own = Locale.parse(code).get_language_name(code)
            if own:
                names[own.lower()] = code
    return names


def _listing(items: list[str]) -> str:
    return ", ".join(items) if items else "nothing yet"
