"""The outlet registry: ``Outlet`` records, loading, merging, validation.

Outlets are data, not code: the built-in ``crawler/outlets.toml`` ships with
the package and users add or override entries in their own files of the same
schema (``--outlets PATH`` or ``NEWSMON_OUTLETS``) without touching the
package.  Each file holds one ``[outlet.NAME]`` table per outlet; the table
key is the outlet's name, so TOML itself rejects two entries of one name in
one file.  A later file's table for an existing name is merged field by field
over the earlier one (lists are replaced, not extended), so a user can change
just ``lookback_days`` of a built-in outlet.

Validation reports every problem at once, one sentence each naming the file,
the entry and the field and saying what to write instead, because a user
fixing a config file should not have to iterate error by error.

:func:`check_outlet` reads an entry's listings the way a crawl would (robots.txt
first, the same parsers and URL rules) and reports what each gave, so a user
can verify an entry from their own machine without storing anything.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

from protego import Protego

from crawler.discovery import (
    DiscoveryError,
    Link,
    Listing,
    homepage_hints,
    parse_feed,
    parse_sitemap,
    robots_sitemaps,
    section_links,
)
from crawler.urls import amp_to_canonical, canonicalize, host_of, same_site

__all__ = [
    "ENV_VAR",
    "STATUSES",
    "ListingCheck",
    "ListingUnavailable",
    "Outlet",
    "OutletConfigError",
    "append_outlet",
    "check_outlet",
    "draft_outlet",
    "load_registry",
    "outlet_to_toml",
    "registry_paths_from_env",
]

ENV_VAR = "NEWSMON_OUTLETS"
#: What the registry knows about crawling an outlet: ``ok``; ``paywalled`` (crawled,
#: but many articles give only a teaser); ``blocked`` (the outlet refuses crawlers:
#: bot walls, IP blocks, robots.txt aimed at crawler user agents) and
#: ``terms_forbid`` (its terms of use forbid automated collection), both skipped
#: unless the user forces them.
STATUSES = ("ok", "blocked", "paywalled", "terms_forbid")
_SKIPPED_STATUSES = frozenset({"blocked", "terms_forbid"})
_MAX_CRAWL_DELAY = 3600.0
_MAX_CONCURRENCY = 16
_BUILTIN_LABEL = "the built-in registry (crawler/outlets.toml)"


class OutletConfigError(ValueError):
    """One or more bad outlet entries; ``problems`` holds one sentence per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True, slots=True)
class Outlet:
    """One news outlet and how to discover its articles."""

    name: str
    title: str
    homepage: str
    languages: tuple[str, ...]
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] = ()
    article_patterns: tuple[str, ...] = ()
    exclude_patterns: tuple[str, ...] = ()
    lookback_days: int = 7
    spider: str | None = None
    robots: bool = True
    status: str = "ok"
    status_note: str = ""
    crawl_delay: float | None = None
    concurrency: int | None = None

    def crawl_refusal(self) -> str | None:
        """Why a crawl skips this outlet unless forced (its status), or None if it may go."""
        if self.status not in _SKIPPED_STATUSES:
            return None
        why = f" ({self.status_note})" if self.status_note else ""
        return (
            f'{self.name} is marked "{self.status}" in the outlet registry{why}; it is '
            "skipped unless you pass --force (or set its status in your outlets file)."
        )

    def is_article_url(self, url: str) -> bool:
        """Whether a canonical same-site URL may be an article by this outlet's URL rules.

        A site's front page is never an article, whatever the patterns say.
        """
        if urlsplit(url).path in ("", "/"):
            return False
        if any(re.search(pattern, url) for pattern in self.exclude_patterns):
            return False
        return not self.article_patterns or any(
            re.search(pattern, url) for pattern in self.article_patterns
        )


_FIELD_NAMES = tuple(f.name for f in fields(Outlet) if f.name != "name")
_URL_LIST_FIELDS = ("feeds", "sitemaps", "sections")
_PATTERN_FIELDS = ("article_patterns", "exclude_patterns")
_SLUG = re.compile(r"^[a-z0-9_]+$")
_DOTTED_PATH = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$")
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)
_MAX_LOOKBACK_DAYS = 3650
_MAX_NAME_LENGTH = 100
_ISO_639_1 = frozenset(
    """aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu
    cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho
    hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv
    kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr
    nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq
    sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh
    yi yo za zh zu""".split()  # noqa: SIM905 - a word list reads better than 184 quoted strings
)
_ISO_639_2 = {
    "ara": "ar", "chi": "zh", "zho": "zh", "deu": "de", "ger": "de", "eng": "en", "fra": "fr",
    "fre": "fr", "ita": "it", "jpn": "ja", "kor": "ko", "por": "pt", "rus": "ru", "spa": "es",
    "tur": "tr", "ukr": "uk",
}  # fmt: skip


# ------------------------------------------------------------------ validation


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Entry:
    """A raw outlet entry being merged: field values and the file each came from."""

    def __init__(self, name: str, source: str) -> None:
        self.name = name
        self.source = source
        self.values: dict[str, Any] = {}
        self.origins: dict[str, str] = {}

    def update(self, table: Mapping[str, Any], source: str) -> None:
        for key, value in table.items():
            self.values[key] = value
            self.origins[key] = source

    def where(self, field_name: str) -> str:
        source = self.origins.get(field_name, self.source)
        return f'In {source}, outlet "{self.name}" field "{field_name}"'


def _url_problem(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return f"must be an absolute http(s) URL, not {_show(value)}"
    try:
        parts = urlsplit(value)
        _ = parts.port
    except ValueError:
        return f"holds the malformed URL {_show(value)}"
    if parts.scheme not in ("http", "https") or not parts.hostname or value != value.strip():
        return f"holds {_show(value)}, which is not an absolute http(s) URL"
    return None


def _language_fix(code: str) -> str:
    lowered = code.strip().lower().replace("_", "-")
    guess = _ISO_639_2.get(lowered) or lowered.split("-")[0]
    if guess in _ISO_639_1:
        return f'write "{guess}"'
    return 'write a two-letter ISO 639-1 code such as "en", "ru" or "zh"'


def _domain_fix(value: str) -> str:
    host = host_of(value) if "://" in value else None
    if host:
        return f'write just the host name, "{host}"'
    return 'write a bare host name such as "example.com" or an IP address such as "127.0.0.3"'


def _is_domain(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return bool(_HOSTNAME.match(value))
    return True


def _string_list(entry: _Entry, key: str, problems: list[str]) -> tuple[str, ...] | None:
    value = entry.values.get(key, [])
    example = {
        "languages": '["en"]',
        "allowed_domains": '["example.com"]',
        "article_patterns": "['/\\d{4}/\\d{2}/\\d{2}/']",
        "exclude_patterns": "['/video/']",
    }.get(key, '["https://example.com/rss.xml"]')
    if isinstance(value, str):
        problems.append(f"{entry.where(key)} must be a list; write {key} = [{_show(value)}].")
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        problems.append(
            f"{entry.where(key)} must be a list of strings, not {_show(value)}; "
            f"write for example {key} = {example}."
        )
        return None
    return tuple(value)


def _check_lists(entry: _Entry, problems: list[str]) -> dict[str, tuple[str, ...]]:
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("languages", "allowed_domains", *_URL_LIST_FIELDS, *_PATTERN_FIELDS):
        items = _string_list(entry, key, problems)
        if items is None:
            continue
        lists[key] = items
        for item in items:
            if key in _URL_LIST_FIELDS and (problem := _url_problem(item)):
                problems.append(
                    f"{entry.where(key)} {problem}; write a full address such as "
                    '"https://example.com/rss.xml".'
                )
            elif key in _PATTERN_FIELDS:
                try:
                    re.compile(item)
                except re.error as exc:
                    problems.append(
                        f"{entry.where(key)} holds the invalid regular expression {_show(item)} "
                        f"({exc}); fix it or escape special characters with a backslash."
                    )
            elif key == "languages" and item not in _ISO_639_1:
                problems.append(
                    f"{entry.where(key)} holds the unknown language code {_show(item)}; "
                    f"{_language_fix(item)}."
                )
            elif key == "allowed_domains" and not _is_domain(item):
                problems.append(
                    f"{entry.where(key)} holds {_show(item)}, which is not a host name; "
                    f"{_domain_fix(item)}."
                )
    if "languages" in lists and not lists["languages"]:
        problems.append(
            f"{entry.where('languages')} is empty; list the languages the outlet publishes in, "
            'for example languages = ["en"].'
        )
    return lists


def _default_domains(homepage: str) -> tuple[str, ...]:
    host = host_of(homepage) or ""
    return (host.removeprefix("www."),) if host.count(".") >= 2 else (host,)


def _check_scalars(entry: _Entry, problems: list[str]) -> dict[str, Any]:
    values = entry.values
    scalars: dict[str, Any] = {}
    title = values.get("title", entry.name)
    if not isinstance(title, str) or not title.strip():
        problems.append(
            f"{entry.where('title')} must be a non-empty string, not {_show(title)}; "
            'write for example title = "Example News".'
        )
    scalars["title"] = title
    if "homepage" not in values:
        problems.append(
            f'In {entry.source}, outlet "{entry.name}" has no homepage; add a line such as '
            'homepage = "https://example.com/".'
        )
    elif problem := _url_problem(values["homepage"]):
        problems.append(
            f"{entry.where('homepage')} {problem}; write a full address such as "
            '"https://example.com/".'
        )
    else:
        scalars["homepage"] = values["homepage"]
    lookback = values.get("lookback_days", 7)
    if isinstance(lookback, bool) or not isinstance(lookback, int):
        problems.append(
            f"{entry.where('lookback_days')} must be a whole number of days, not "
            f"{_show(lookback)}; write for example lookback_days = 7."
        )
    elif not 1 <= lookback <= _MAX_LOOKBACK_DAYS:
        problems.append(
            f"{entry.where('lookback_days')} is {lookback}; write a number of days between 1 "
            f"and {_MAX_LOOKBACK_DAYS}."
        )
    scalars["lookback_days"] = lookback
    spider = values.get("spider")
    if spider is not None and (not isinstance(spider, str) or not _DOTTED_PATH.match(spider)):
        problems.append(
            f"{entry.where('spider')} must be the dotted path of a spider class, not "
            f'{_show(spider)}; write for example spider = "mypackage.spiders.MySpider".'
        )
    scalars["spider"] = spider
    robots = values.get("robots", True)
    if not isinstance(robots, bool):
        problems.append(
            f"{entry.where('robots')} must be true or false, not {_show(robots)}; "
            "write robots = true to obey robots.txt."
        )
    scalars["robots"] = robots
    _check_politeness(entry, problems, scalars)
    return scalars


def _check_politeness(entry: _Entry, problems: list[str], scalars: dict[str, Any]) -> None:
    """``status``, ``status_note``, ``crawl_delay`` and ``concurrency``: how to treat the outlet."""
    values = entry.values
    status = values.get("status", "ok")
    if status not in STATUSES:
        close = difflib.get_close_matches(str(status), STATUSES, n=1, cutoff=0.5)
        hint = f'did you mean "{close[0]}"? ' if close else ""
        problems.append(
            f"{entry.where('status')} is {_show(status)}; {hint}write one of "
            + ", ".join(f'"{s}"' for s in STATUSES)
            + "."
        )
    scalars["status"] = status
    note = values.get("status_note", "")
    if not isinstance(note, str):
        problems.append(
            f"{entry.where('status_note')} must be a string, not {_show(note)}; write for "
            'example status_note = "robots.txt blocks crawlers".'
        )
    scalars["status_note"] = note.strip() if isinstance(note, str) else note
    delay = values.get("crawl_delay")
    if delay is not None and (
        isinstance(delay, bool)
        or not isinstance(delay, int | float)
        or not 0 <= delay <= _MAX_CRAWL_DELAY
    ):
        problems.append(
            f"{entry.where('crawl_delay')} is {_show(delay)}; write a number of seconds "
            f"between 0 and {_MAX_CRAWL_DELAY:g}, for example crawl_delay = 10."
        )
    scalars["crawl_delay"] = float(delay) if isinstance(delay, int | float) else delay
    concurrency = values.get("concurrency")
    if concurrency is not None and (
        isinstance(concurrency, bool)
        or not isinstance(concurrency, int)
        or not 1 <= concurrency <= _MAX_CONCURRENCY
    ):
        problems.append(
            f"{entry.where('concurrency')} is {_show(concurrency)}; write a whole number of "
            f"parallel requests between 1 and {_MAX_CONCURRENCY}, for example concurrency = 1."
        )
    scalars["concurrency"] = concurrency


def _validate(entry: _Entry) -> tuple[Outlet | None, list[str]]:
    problems: list[str] = []
    if not _SLUG.match(entry.name):
        slug = re.sub(r"[^a-z0-9_]+", "_", entry.name.lower()).strip("_") or "my_outlet"
        problems.append(
            f'In {entry.source}, the outlet name "{entry.name}" is not a slug of lower-case '
            f"letters, digits and underscores; name the table [outlet.{slug}] instead."
        )
    elif len(entry.name) > _MAX_NAME_LENGTH:
        # outlets.name is VARCHAR(100): SQLite would store a longer one, PostgreSQL refuses it.
        problems.append(
            f'In {entry.source}, the outlet name "{entry.name[:40]}..." is longer than '
            f"{_MAX_NAME_LENGTH} characters; shorten it."
        )
    for key in entry.values:
        if key in _FIELD_NAMES:
            continue
        if key == "name":
            problems.append(
                f'In {entry.origins[key]}, outlet "{entry.name}" has a "name" field; remove it, '
                "the name is the table key in [outlet.NAME]."
            )
            continue
        close = difflib.get_close_matches(key, _FIELD_NAMES, n=1, cutoff=0.6)
        hint = (
            f'did you mean "{close[0]}"?'
            if close
            else "valid fields are " + ", ".join(_FIELD_NAMES) + "."
        )
        problems.append(
            f'In {entry.origins[key]}, outlet "{entry.name}" has the unknown field "{key}"; {hint}'
        )
    scalars = _check_scalars(entry, problems)
    lists = _check_lists(entry, problems)
    homepage = scalars.get("homepage")
    domains = lists.get("allowed_domains") or (_default_domains(homepage) if homepage else ())
    if not all(_is_domain(domain) for domain in domains):
        domains = ()  # already reported; checking URLs against them would only add noise
    for key in ("homepage", *_URL_LIST_FIELDS):
        urls = [homepage] if key == "homepage" else lists.get(key, ())
        for url in urls:
            if url and domains and not same_site(url, domains):
                problems.append(
                    f"{entry.where(key)} holds {url}, which is outside allowed_domains "
                    f'{list(domains)}; add "{host_of(url)}" (or a parent domain) to '
                    "allowed_domains."
                )
    if problems:
        return None, problems
    outlet = Outlet(
        name=entry.name,
        title=scalars["title"].strip(),
        homepage=scalars["homepage"],
        languages=lists["languages"],
        feeds=lists["feeds"],
        sitemaps=lists["sitemaps"],
        sections=lists["sections"],
        allowed_domains=tuple(d.lower() for d in domains),
        article_patterns=lists["article_patterns"],
        exclude_patterns=lists["exclude_patterns"],
        lookback_days=scalars["lookback_days"],
        spider=scalars["spider"],
        robots=scalars["robots"],
        status=scalars["status"],
        status_note=scalars["status_note"],
        crawl_delay=scalars["crawl_delay"],
        concurrency=scalars["concurrency"],
    )
    return outlet, []


# --------------------------------------------------------------------- loading


def _read_tables(text: str, source: str) -> tuple[dict[str, Any], list[str]]:
    """The ``[outlet.NAME]`` tables of one file, or the sentences saying why not."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return {}, [f"{source} is not valid TOML ({exc}); fix the syntax there."]
    problems = []
    for key in document:
        if key != "outlet":
            problems.append(
                f'{source} has the unknown top-level key "{key}"; put each outlet in a table '
                "named [outlet.NAME]."
            )
    outlets = document.get("outlet", {})
    if isinstance(outlets, list):
        return {}, [
            *problems,
            f"{source} uses [[outlet]] arrays; write one [outlet.NAME] table per outlet instead.",
        ]
    tables: dict[str, Any] = {}
    for name, table in outlets.items():
        if isinstance(table, dict):
            tables[name] = table
        else:
            problems.append(
                f'In {source}, "outlet.{name}" is a value, not a table; write it as a '
                f"[outlet.{name}] table with homepage, languages and feeds lines."
            )
    return tables, problems


def _read_file(path: Path) -> tuple[str | None, list[str]]:
    try:
        return path.read_text(encoding="utf-8"), []
    except FileNotFoundError:
        return None, [
            f"The outlets file {path} does not exist; check the path given with --outlets "
            f"or {ENV_VAR}."
        ]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [f"The outlets file {path} cannot be read ({exc}); check it is UTF-8 text."]


def _builtin_text() -> str:
    return resources.files("crawler").joinpath("outlets.toml").read_text(encoding="utf-8")


def registry_paths_from_env(environ: Mapping[str, str] | None = None) -> list[Path]:
    """User outlet files named by ``NEWSMON_OUTLETS`` (``os.pathsep``-separated)."""
    value = (os.environ if environ is None else environ).get(ENV_VAR, "")
    return [Path(part) for part in value.split(os.pathsep) if part.strip()]


def outlet_from_table(table: Mapping[str, Any], source: str = "<code>") -> Outlet:
    """Validate one outlet given as a mapping (as generated code, e.g. the demo web, has it)."""
    values = {k: v for k, v in table.items() if k != "name" and v is not None}
    entry = _Entry(str(table.get("name", "")), source)
    entry.update(values, source)
    outlet, problems = _validate(entry)
    if problems or outlet is None:
        raise OutletConfigError(problems)
    return outlet


def load_registry(paths: Sequence[Path] = (), *, builtin: bool = True) -> dict[str, Outlet]:
    """Merge the built-in registry with user files, later ones winning, and validate.

    Environment variables are the caller's business (see
    :func:`registry_paths_from_env`), which keeps this function pure.
    Raises :class:`OutletConfigError` listing every problem found.
    """
    sources: list[tuple[str, str]] = [(_BUILTIN_LABEL, _builtin_text())] if builtin else []
    problems: list[str] = []
    for path in paths:
        text, read_problems = _read_file(Path(path))
        problems += read_problems
        if text is not None:
            sources.append((str(path), text))
    entries: dict[str, _Entry] = {}
    for source, text in sources:
        tables, file_problems = _read_tables(text, source)
        problems += file_problems
        for name, table in tables.items():
            entries.setdefault(name, _Entry(name, source)).update(table, source)
    registry: dict[str, Outlet] = {}
    for name, entry in entries.items():
        outlet, entry_problems = _validate(entry)
        problems += entry_problems
        if outlet is not None:
            registry[name] = outlet
    if problems:
        raise OutletConfigError(problems)
    return registry


# --------------------------------------------------------------- TOML writing

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _toml_string(value: str) -> str:
    """A TOML string: literal quotes when nothing needs escaping (readable regexes)."""
    needs_escape = any(ch == "'" or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value)
    if not needs_escape:
        return f"'{value}'"
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_list(values: Iterable[str]) -> str:
    items = [_toml_string(value) for value in values]
    if sum(len(item) + 2 for item in items) <= 80:
        return "[" + ", ".join(items) + "]"
    return "[\n" + "".join(f"    {item},\n" for item in items) + "]"


def outlet_to_toml(outlet: Outlet) -> str:
    """One ``[outlet.NAME]`` table that :func:`load_registry` reads back as ``outlet``.

    Every field is written, so the table is a complete definition even when
    it lands in a file merged over the built-in registry.  ``None`` (no
    spider, no politeness of its own) has no TOML spelling and is omitted.
    """
    lines = [f"[outlet.{outlet.name}]"]
    for key in _FIELD_NAMES:
        value = getattr(outlet, key)
        if isinstance(value, tuple):
            lines.append(f"{key} = {_toml_list(value)}")
        elif isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, int | float):
            lines.append(f"{key} = {value!r}")
        elif isinstance(value, str):
            lines.append(f"{key} = {_toml_string(value)}")
    return "\n".join(lines) + "\n"


_NEW_FILE_HEADER = (
    "# newsmon outlets file: one [outlet.NAME] table per outlet, merged over the\n"
    "# built-in registry (a table for an existing name overrides just its fields).\n"
)


def append_outlet(path: Path, outlet: Outlet) -> None:
    """Append ``outlet`` to a user outlets file, creating it if needed.

    The new file content is parsed and validated before it replaces the old
    one atomically, so a failure never leaves a half-written file.
    """
    path = Path(path)
    if path.exists():
        text, problems = _read_file(path)
        if text is None:
            raise OutletConfigError(problems)
    else:
        text = _NEW_FILE_HEADER
    tables, problems = _read_tables(text, str(path))
    if problems:
        raise OutletConfigError(problems)
    if outlet.name in tables:
        raise OutletConfigError(
            [f'{path} already has an outlet "{outlet.name}"; edit that entry or pick another name.']
        )
    new_text = f"{text.rstrip()}\n\n{outlet_to_toml(outlet)}".lstrip()
    entry = _Entry(outlet.name, str(path))
    entry.update(_read_tables(new_text, str(path))[0][outlet.name], str(path))
    problems = _validate(entry)[1]
    if problems:
        raise OutletConfigError(problems)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as handle:
        handle.write(new_text)
    os.replace(handle.name, path)


# -------------------------------------------------------------------- drafting

_PUBLIC_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "gov", "edu", "ac", "or", "ne"})


def _slug_for(host: str) -> str:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        labels = host.removeprefix("www.").split(".")
        if len(labels) > 1:
            labels = labels[:-1]
        if len(labels) > 1 and labels[-1] in _PUBLIC_SECOND_LEVEL:
            labels = labels[:-1]
        slug = re.sub(r"[^a-z0-9_]+", "_", "_".join(labels).lower()).strip("_")
        return slug or "outlet"
    return "site_" + re.sub(r"[^0-9a-z]+", "_", host)


_TITLE_SEPARATORS = re.compile(r"\s+[-|–—:·]\s+")


def draft_outlet(homepage_url: str, homepage_html: bytes, robots_txt: bytes | None) -> Outlet:
    """A draft registry entry from a homepage and its robots.txt.

    Feeds come from the page's ``<link rel="alternate">`` declarations and
    sitemaps from robots.txt ``Sitemap:`` lines; name, title and language are
    guessed from the host, ``og:site_name``/``<title>`` and ``<html lang>``
    (English when the page does not say).  The draft has no article patterns:
    every same-site URL may be an article until the user narrows it.
    """
    homepage = canonicalize(homepage_url)
    host = host_of(homepage)
    if _url_problem(homepage) or not host:
        raise OutletConfigError(
            [f"{homepage_url!r} is not an absolute http(s) URL; give the outlet's homepage."]
        )
    hints = homepage_hints(homepage_html, homepage)
    sitemaps = (
        [child.url for child in robots_sitemaps(robots_txt, homepage).children]
        if robots_txt
        else []
    )
    domains = list(_default_domains(homepage))
    for url in [*hints.feeds, *sitemaps]:
        extra = host_of(url)
        if extra and not same_site(url, domains):
            domains.append(extra)
    title = hints.site_name or (
        _TITLE_SEPARATORS.split(hints.title)[0].strip() if hints.title else None
    )
    language = hints.language if hints.language in _ISO_639_1 else "en"
    entry = _Entry(_slug_for(host), "the drafted entry")
    entry.update(
        {
            "title": title or host,
            "homepage": homepage,
            "languages": [language],
            "feeds": hints.feeds,
            "sitemaps": sitemaps,
            "allowed_domains": domains,
        },
        "the drafted entry",
    )
    outlet, problems = _validate(entry)
    if outlet is None:
        raise OutletConfigError(problems)
    return outlet


# -------------------------------------------------------------------- checking

CheckKind = Literal["feed", "sitemap", "section", "robots"]
#: Child sitemaps of an index read by a check: the newest few say whether it is alive.
_CHECK_CHILDREN = 3


class ListingUnavailable(Exception):
    """A listing could not be fetched; the message says why (HTTP status, network)."""


@dataclass(frozen=True, slots=True)
class Got:
    """One fetched listing as :func:`check_outlet` needs it."""

    url: str
    body: bytes
    content_type: str | None


@dataclass(frozen=True, slots=True)
class ListingCheck:
    """What one listing of an outlet gave when checked.

    ``links`` are the usable URLs listed, ``articles`` those the outlet's
    article rules accept (what a crawl would fetch), ``children`` the child
    sitemaps an index or robots.txt names; ``error`` is set instead when the
    listing could not be fetched, read or was disallowed by robots.txt.
    """

    kind: CheckKind
    url: str
    error: str | None = None
    links: int = 0
    articles: int = 0
    children: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    newest: datetime | None = None


def _newest(links: Iterable[Link]) -> datetime | None:
    dates = [link.published for link in links if link.published is not None]
    return max(dates) if dates else None


def _summarise(outlet: Outlet, kind: CheckKind, url: str, listing: Listing) -> ListingCheck:
    articles = sum(
        1
        for link in listing.links
        if same_site(link.url, outlet.allowed_domains)
        and outlet.is_article_url(canonicalize(amp_to_canonical(link.url) or link.url))
    )
    return ListingCheck(
        kind,
        url,
        links=len(listing.links),
        articles=articles,
        children=len(listing.children),
        dropped=dict(listing.dropped),
        newest=_newest(listing.links) or _newest(listing.children),
    )


def _parse(kind: CheckKind, got: Got) -> Listing:
    if kind == "feed":
        return parse_feed(got.body, got.url, got.content_type)
    if kind == "sitemap":
        return parse_sitemap(got.body, got.url, got.content_type)
    if kind == "robots":
        return robots_sitemaps(got.body, got.url)
    return section_links(got.body, got.url)


def check_outlet(
    outlet: Outlet,
    get: Callable[[str], Got],
    *,
    user_agent: str,
    pause: Callable[[], None] = lambda: None,
) -> list[ListingCheck]:
    """Fetch an outlet's listings as a crawl would and say what each gave; store nothing.

    robots.txt is read first (unless the entry says ``robots = false``): a
    listing it disallows is reported, not fetched, and when the entry names
    no sitemaps its ``Sitemap:`` lines are checked, as a crawl uses them.  A
    sitemap index is followed to its newest few children only.  ``get``
    fetches one URL (raising :class:`ListingUnavailable`), ``pause`` waits
    between two requests (the outlet's politeness).
    """
    robots_url = urljoin(outlet.homepage, "/robots.txt")
    robots: Protego | None = None
    checks: list[ListingCheck] = []
    queue: list[tuple[CheckKind, str]] = [
        *(("feed", url) for url in outlet.feeds),
        *(("sitemap", url) for url in outlet.sitemaps),
        *(("section", url) for url in outlet.sections),
    ]
    first = True

    def fetch(url: str) -> Got:
        nonlocal first
        if not first:
            pause()
        first = False
        return get(url)

    if outlet.robots or not outlet.sitemaps:
        try:
            got = fetch(robots_url)
        except ListingUnavailable as exc:
            # No robots.txt (or none readable) allows everything, as Scrapy reads it.
            note = f"not read, so nothing is disallowed: {exc}"
            checks.append(ListingCheck("robots", robots_url, error=note))
        else:
            text = got.body.decode("utf-8", errors="replace")
            robots = Protego.parse(text) if outlet.robots else None
            announced = robots_sitemaps(got.body, got.url)
            checks.append(_summarise(outlet, "robots", robots_url, announced))
            if not outlet.sitemaps:
                queue += [("sitemap", child.url) for child in announced.children]
    seen: set[str] = set()
    while queue:
        kind, url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        if not same_site(url, outlet.allowed_domains):
            checks.append(ListingCheck(kind, url, error="outside allowed_domains (not crawled)"))
            continue
        if robots is not None and not robots.can_fetch(url, user_agent):
            checks.append(ListingCheck(kind, url, error="disallowed by robots.txt"))
            continue
        try:
            listing = _parse(kind, fetch(url))
        except (ListingUnavailable, DiscoveryError) as exc:
            checks.append(ListingCheck(kind, url, error=str(exc)))
            continue
        checks.append(_summarise(outlet, kind, url, listing))
        children = sorted(
            listing.children,
            key=lambda child: child.published.timestamp() if child.published else 0.0,
            reverse=True,
        )
        queue[0:0] = [("sitemap", child.url) for child in children[:_CHECK_CHILDREN]]
    return checks
