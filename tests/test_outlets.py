"""The outlet registry: built-in entries, user overrides, validation, drafting, TOML writing."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.outlets import (
    Outlet,
    OutletConfigError,
    append_outlet,
    draft_outlet,
    load_registry,
    outlet_to_toml,
    registry_paths_from_env,
)
from crawler.urls import same_site

REQUIRED = {
    "cnn", "aljazeera", "aljazeera_ar", "reuters", "apnews", "tass", "tass_en", "ria", "xinhua",
    "xinhua_en", "globaltimes", "cgtn", "chinadaily", "scmp", "moscowtimes", "kremlin",
    "mfa_china", "ansa", "jordannews", "lemonde", "dw", "elpais",
}  # fmt: skip


def test_builtin_registry() -> None:
    registry = load_registry()
    assert len(registry) >= 15
    assert set(registry) >= REQUIRED
    assert len({lang for outlet in registry.values() for lang in outlet.languages}) >= 5
    for name, outlet in registry.items():
        assert outlet.name == name
        assert outlet.feeds or outlet.sitemaps or outlet.sections, name
        for url in (outlet.homepage, *outlet.feeds, *outlet.sitemaps, *outlet.sections):
            assert same_site(url, outlet.allowed_domains), (name, url)
    assert registry["kremlin"].languages == ("ru", "en")
    assert registry["aljazeera_ar"].languages == ("ar",)


@pytest.mark.parametrize(
    ("name", "url", "expected"),
    [
        ("cnn", "https://edition.cnn.com/2022/06/15/asia/xi-putin-call-intl/index.html", True),
        ("cnn", "https://edition.cnn.com/videos/world/2022/06/15/x.cnn", False),
        ("cnn", "https://edition.cnn.com/world/asia", False),
        ("reuters", "https://www.reuters.com/world/china/xi-putin-2022-06-15/", True),
        ("tass", "https://tass.ru/politika/14927543", True),
        ("ria", "https://ria.ru/20220615/kitay-1795678123.html", True),
        ("dw", "https://www.dw.com/de/xi-und-putin/a-62144512", True),
    ],
)
def test_article_patterns(name: str, url: str, expected: bool) -> None:
    assert load_registry()[name].is_article_url(url) is expected


def test_no_article_pattern_means_every_url() -> None:
    outlet = Outlet("x", "X", "https://x.example/", ("en",), exclude_patterns=("/tag/",))
    assert outlet.is_article_url("https://x.example/anything")
    assert not outlet.is_article_url("https://x.example/tag/china")


def _write(tmp_path: Path, text: str, name: str = "outlets.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_partial_override_merges_fields(tmp_path: Path) -> None:
    user = _write(tmp_path, "[outlet.cnn]\nlookback_days = 2\n")
    registry = load_registry([user])
    builtin = load_registry()
    assert registry["cnn"].lookback_days == 2
    assert registry["cnn"].feeds == builtin["cnn"].feeds
    assert registry["tass"] == builtin["tass"]


def test_later_files_win_and_new_outlets_join(tmp_path: Path) -> None:
    first = _write(
        tmp_path,
        '[outlet.demo]\nhomepage = "http://127.0.0.3:8000/"\nlanguages = ["en"]\n'
        'feeds = ["http://127.0.0.3:8000/rss.xml"]\nlookback_days = 3\n',
        "a.toml",
    )
    second = _write(tmp_path, '[outlet.demo]\ntitle = "Demo"\nlookback_days = 4\n', "b.toml")
    registry = load_registry([first, second], builtin=False)
    assert list(registry) == ["demo"]
    demo = registry["demo"]
    assert (demo.title, demo.lookback_days, demo.allowed_domains) == ("Demo", 4, ("127.0.0.3",))
    assert demo.feeds == ("http://127.0.0.3:8000/rss.xml",)


def test_default_allowed_domain_drops_www(tmp_path: Path) -> None:
    user = _write(tmp_path, '[outlet.ex]\nhomepage = "https://www.ex.com/"\nlanguages = ["en"]\n')
    assert load_registry([user], builtin=False)["ex"].allowed_domains == ("ex.com",)


BAD = """
[outlet.good]
homepage = "https://good.example/"
languages = ["en"]

[outlet.typo]
homepage = "https://typo.example/"
languages = ["en"]
feed = ["https://typo.example/rss"]

[outlet.badurl]
homepage = "typo.example"
languages = ["en"]

[outlet.badregex]
homepage = "https://r.example/"
languages = ["en"]
article_patterns = ["/(unclosed"]

[outlet."Bad Name"]
homepage = "https://n.example/"
languages = ["en"]

[outlet.nohome]
languages = ["en"]

[outlet.wrongtype]
homepage = "https://w.example/"
languages = ["en"]
lookback_days = "seven"

[outlet.nolang]
homepage = "https://l.example/"
languages = []

[outlet.badlang]
homepage = "https://l.example/"
languages = ["eng"]

[outlet.stringlist]
homepage = "https://s.example/"
languages = "en"

[outlet.offsite]
homepage = "https://o.example/"
languages = ["en"]
feeds = ["https://feeds.elsewhere.example/rss"]

[outlet.domain]
homepage = "https://d.example/"
languages = ["en"]
allowed_domains = ["https://d.example/"]
"""


def test_bad_entries_get_one_sentence_each(tmp_path: Path) -> None:
    path = _write(tmp_path, BAD)
    with pytest.raises(OutletConfigError) as info:
        load_registry([path], builtin=False)
    problems = info.value.problems
    assert str(info.value) == "\n".join(problems)
    expected = {
        "typo": 'unknown field "feed"; did you mean "feeds"?',
        "badurl": "homepage",
        "badregex": "invalid regular expression",
        "Bad Name": "[outlet.bad_name]",
        "nohome": 'has no homepage; add a line such as homepage = "https://example.com/"',
        "wrongtype": "lookback_days = 7",
        "nolang": 'languages = ["en"]',
        "badlang": 'write "en"',
        "stringlist": "languages = ['en']",
        "offsite": 'add "feeds.elsewhere.example"',
        "domain": 'write just the host name, "d.example"',
    }
    assert len(problems) == len(expected)
    for name, fragment in expected.items():
        (line,) = [p for p in problems if f'"{name}"' in p]
        assert str(path) in line
        assert fragment in line, line
        assert line.endswith((".", "?"))
        assert line.count(". ") == 0 or "e.g. " in line
    assert not any('"good"' in p for p in problems)


def test_builtin_problem_is_attributed_to_the_user_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "[outlet.cnn]\nrobots = 'yes'\n")
    expected = f'In {path}, outlet "cnn" field "robots" must be true or false'
    with pytest.raises(OutletConfigError, match=re.escape(expected)):
        load_registry([path])


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[outlet.x\nhomepage = 1", "is not valid TOML"),
        ('[[outlet]]\nname = "x"\n', "write one [outlet.NAME] table per outlet"),
        ('[outlets.x]\nhomepage = "https://x.example/"\n', 'unknown top-level key "outlets"'),
        ('outlet.x = "https://x.example/"\n', "is a value, not a table"),
        (
            '[outlet.x]\nname = "x"\nhomepage = "https://x.example/"\nlanguages = ["en"]\n',
            "remove it, the name is the table key",
        ),
    ],
)
def test_file_level_errors(tmp_path: Path, text: str, fragment: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(OutletConfigError, match=re.escape(fragment)):
        load_registry([path], builtin=False)


def test_an_outlet_name_longer_than_its_database_column_is_refused(tmp_path: Path) -> None:
    """outlets.name is VARCHAR(100); PostgreSQL enforces that where SQLite would not."""
    name = "n" * 101
    path = _write(
        tmp_path, f'[outlet.{name}]\nhomepage = "https://x.example/"\nlanguages = ["en"]\n'
    )
    with pytest.raises(OutletConfigError, match="longer than 100 characters; shorten it"):
        load_registry([path], builtin=False)
    fits = _write(tmp_path, path.read_text().replace(name, "n" * 100), "fits.toml")
    assert "n" * 100 in load_registry([fits], builtin=False)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(OutletConfigError, match="does not exist; check the path"):
        load_registry([tmp_path / "nope.toml"])


def test_registry_paths_from_env(tmp_path: Path) -> None:
    value = os.pathsep.join([str(tmp_path / "a.toml"), "", str(tmp_path / "b.toml")])
    assert registry_paths_from_env({"NEWSMON_OUTLETS": value}) == [
        tmp_path / "a.toml",
        tmp_path / "b.toml",
    ]
    assert registry_paths_from_env({}) == []


def test_builtin_entries_round_trip_through_toml(tmp_path: Path) -> None:
    builtin = load_registry()
    path = _write(tmp_path, "".join(outlet_to_toml(o) + "\n" for o in builtin.values()))
    assert load_registry([path], builtin=False) == builtin


_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30
).filter(lambda s: s.strip() == s and s.strip())


@settings(max_examples=60, deadline=None)
@given(title=_text, exclude=st.lists(_text, max_size=3))
def test_toml_round_trip_escapes_anything(title: str, exclude: list[str]) -> None:
    patterns = tuple(re.escape(item) for item in exclude)
    outlet = Outlet(
        "any", title, "https://any.example/", ("en",), allowed_domains=("any.example",),
        exclude_patterns=patterns, lookback_days=9, spider="pkg.mod.Spider", robots=False,
    )  # fmt: skip
    table = tomllib.loads(outlet_to_toml(outlet))["outlet"]["any"]
    assert table["title"] == title
    assert tuple(table["exclude_patterns"]) == patterns


def test_append_outlet_creates_appends_and_refuses_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "outlets.toml"
    first = Outlet("one", 'A "quoted" \\ title', "https://one.example/", ("en", "fr"),
                   feeds=("https://one.example/rss",), article_patterns=(r"/\d{4}/",))  # fmt: skip
    second = Outlet("two", "Two", "http://127.0.0.5:8000/", ("ru",))
    append_outlet(path, first)
    append_outlet(path, second)
    registry = load_registry([path], builtin=False)
    assert registry["one"] == Outlet(**{**_fields(first), "allowed_domains": ("one.example",)})
    assert registry["two"].allowed_domains == ("127.0.0.5",)
    before = path.read_text(encoding="utf-8")
    with pytest.raises(OutletConfigError, match='already has an outlet "one"'):
        append_outlet(path, first)
    assert path.read_text(encoding="utf-8") == before


def test_append_outlet_refuses_an_invalid_outlet(tmp_path: Path) -> None:
    path = tmp_path / "outlets.toml"
    with pytest.raises(OutletConfigError, match="unknown language code"):
        append_outlet(path, Outlet("bad", "Bad", "https://bad.example/", ("english",)))
    assert not path.exists()


def _fields(outlet: Outlet) -> dict[str, object]:
    return {name: getattr(outlet, name) for name in Outlet.__dataclass_fields__}


HOMEPAGE = b"""<!doctype html><html lang="de-DE"><head><meta charset="utf-8">
<title>Tagesblatt | Nachrichten</title>
<link rel="alternate" type="application/rss+xml" title="Alle" href="/rss/alle.xml">
<link rel="alternate" type="application/atom+xml" href="https://feeds.feedhost.example/tb">
<link rel="stylesheet" href="/s.css">
</head><body><a href="/politik/">Politik</a></body></html>"""


def test_draft_outlet(tmp_path: Path) -> None:
    robots = b"User-agent: *\nDisallow:\nSitemap: https://www.tagesblatt.de/sitemap-news.xml\n"
    draft = draft_outlet("https://WWW.Tagesblatt.de/?utm_source=x", HOMEPAGE, robots)
    assert draft.name == "tagesblatt"
    assert draft.title == "Tagesblatt"
    assert draft.languages == ("de",)
    assert draft.homepage == "https://www.tagesblatt.de/"
    assert draft.feeds == (
        "https://www.tagesblatt.de/rss/alle.xml",
        "https://feeds.feedhost.example/tb",
    )
    assert draft.sitemaps == ("https://www.tagesblatt.de/sitemap-news.xml",)
    assert draft.allowed_domains == ("tagesblatt.de", "feeds.feedhost.example")
    path = tmp_path / "outlets.toml"
    append_outlet(path, draft)
    assert load_registry([path], builtin=False)["tagesblatt"] == draft


def test_draft_outlet_for_a_bare_page() -> None:
    draft = draft_outlet("http://127.0.0.7:8000/", b"", None)
    assert (draft.name, draft.title, draft.languages) == ("site_127_0_0_7", "127.0.0.7", ("en",))
    assert draft.feeds == draft.sitemaps == ()


def test_draft_outlet_rejects_a_non_url() -> None:
    with pytest.raises(OutletConfigError, match="not an absolute http"):
        draft_outlet("ftp://x.example/", b"", None)
