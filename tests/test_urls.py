"""URL canonicalisation, AMP mapping and the fetch/SSRF check."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.urls import (
    amp_to_canonical,
    canonicalize,
    fetch_refusal,
    host_of,
    is_fetchable,
    listed_url,
    same_site,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "HTTP://WWW.Example.COM:80/a%7eb/c?b=2&utm_source=x&a=1&fbclid=3#frag",
            "http://www.example.com/a~b/c?a=1&b=2",
        ),
        ("https://Ex.com:443", "https://ex.com/"),
        ("https://ex.com:8443/x", "https://ex.com:8443/x"),
        (
            "https://ex.com/p?gclid=1&mc_cid=2&ocid=3&cmpid=4&ref=5&__twitter_impression=true",
            "https://ex.com/p",
        ),
        ("https://ex.com/p?at_medium=x&utm_campaign=y&id=7", "https://ex.com/p?id=7"),
        ("https://ex.com/a b/ä", "https://ex.com/a%20b/%C3%A4"),
        ("  https://ex.com/index.html  ", "https://ex.com/index.html"),
        ("http://[::1]:80/x", "http://[::1]/x"),
        ("mailto:someone@example.com", "mailto:someone@example.com"),
        ("http://ex.com:99999/x", "http://ex.com:99999/x"),
    ],
)
def test_canonicalize_examples(url: str, expected: str) -> None:
    assert canonicalize(url) == expected


def test_canonicalize_keeps_article_identifiers() -> None:
    assert canonicalize("https://ex.com/news?id=5&uid=6&source_id=7") == (
        "https://ex.com/news?id=5&source_id=7&uid=6"
    )


_TRACKING = ["utm_source", "utm_medium", "fbclid", "gclid", "mc_cid", "ocid", "ref", "cmpid"]
_hosts = st.from_regex(r"\A[a-z][a-z0-9-]{0,10}(\.[a-z][a-z0-9-]{0,10}){1,3}\Z")
_segments = st.lists(st.text(min_size=0, max_size=8), max_size=4)
_params = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(_TRACKING), st.from_regex(r"\A[a-z]{1,6}\Z")),
        st.text(max_size=6),
    ),
    max_size=5,
)


@st.composite
def _urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    host = draw(_hosts)
    if draw(st.booleans()):
        host = host.upper()
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    path = "/".join(draw(_segments))
    query = "&".join(f"{k}={v}" for k, v in draw(_params))
    fragment = draw(st.text(max_size=5))
    return f"{scheme}://{host}{port}/{path}?{query}#{fragment}"


@given(_urls())
def test_canonicalize_properties(url: str) -> None:
    once = canonicalize(url)
    assert canonicalize(once) == once
    assert urlsplit(once).hostname == urlsplit(url).hostname
    assert "#" not in once
    names = {name for name, _ in parse_qsl(urlsplit(once).query, keep_blank_values=True)}
    assert not names & set(_TRACKING)


@given(st.text(max_size=60))
def test_canonicalize_is_total_and_idempotent(text: str) -> None:
    once = canonicalize(text)
    assert canonicalize(once) == once


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://amp.example.com/world/story", "https://example.com/world/story"),
        (
            "https://www.aljazeera.com/amp/news/2022/6/15/x",
            "https://www.aljazeera.com/news/2022/6/15/x",
        ),
        ("https://ex.com/story/amp", "https://ex.com/story"),
        ("https://ex.com/story/amp/", "https://ex.com/story/"),
        ("https://ex.com/story.amp", "https://ex.com/story"),
        ("https://ex.com/a/index.amp.html", "https://ex.com/a/index.html"),
        ("https://ex.com/a?amp=1&id=3", "https://ex.com/a?id=3"),
        ("https://ex.com/a?outputType=amp", "https://ex.com/a"),
        (
            "https://www-ex-com.cdn.ampproject.org/c/s/www.ex.com/a/b?x=1",
            "https://www.ex.com/a/b?x=1",
        ),
    ],
)
def test_amp_to_canonical(url: str, expected: str) -> None:
    assert amp_to_canonical(url) == expected


@pytest.mark.parametrize(
    "url", ["https://ex.com/a/b", "https://ex.com/example-amplifier", "ftp://amp.ex.com/x"]
)
def test_amp_to_canonical_leaves_other_urls(url: str) -> None:
    assert amp_to_canonical(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "data:text/html,<script>",
        "javascript:alert(1)",
        "ftp://ex.com/x",
        "http:///nohost",
        "http://ex.com:99999/",
        "http://127.0.0.1/",
        "http://127.0.0.3:8000/x",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://0.0.0.0/",
        "http://localhost:8000/",
        "http://intranet.localhost/",
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[fd00:ec2::254]/",
    ],
)
def test_refused_by_default(url: str) -> None:
    assert not is_fetchable(url)
    refusal = fetch_refusal(url)
    assert refusal is not None
    assert refusal.endswith(".")


@pytest.mark.parametrize("url", ["https://edition.cnn.com/2022/06/15/x", "http://8.8.8.8/"])
def test_public_urls_are_fetchable(url: str) -> None:
    assert is_fetchable(url)
    assert fetch_refusal(url) is None


def test_allow_private_opens_loopback_but_never_metadata() -> None:
    assert is_fetchable("http://127.0.0.3:8000/feed.xml", allow_private=True)
    assert is_fetchable("http://localhost:8000/", allow_private=True)
    assert not is_fetchable("http://169.254.169.254/", allow_private=True)
    assert not is_fetchable("http://[fd00:ec2::254]/", allow_private=True)
    assert not is_fetchable("file:///etc/passwd", allow_private=True)


def test_same_site() -> None:
    assert same_site("https://edition.cnn.com/x", ["cnn.com"])
    assert same_site("https://CNN.com./x", ["cnn.com"])
    assert not same_site("https://evilcnn.com/x", ["cnn.com"])
    assert not same_site("https://cnn.com.evil.org/x", ["cnn.com"])
    assert same_site("http://127.0.0.3:8123/a", ["127.0.0.3"])
    assert not same_site("http://127.0.0.4:8123/a", ["127.0.0.3"])
    assert not same_site("http://x.127.0.0.3/a", ["127.0.0.3"])
    assert same_site("http://[::1]:8000/a", ["[::1]"])
    assert not same_site("not a url", ["cnn.com"])


def test_host_of() -> None:
    assert host_of("https://WWW.Ex.com.:8080/x") == "www.ex.com"
    assert host_of("/relative") is None


LISTING = "https://news.example.com/feeds/world.xml"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/2022/06/15/a", ("https://news.example.com/2022/06/15/a", None)),
        ("b.html#top", ("https://news.example.com/feeds/b.html", None)),
        ("//cdn.example.org/x", ("https://cdn.example.org/x", None)),
        (
            "\n   https://news.example.com/a-long-\n      address\t\n  ",
            ("https://news.example.com/a-long-address", None),
        ),
        ("\x00\x1f https://news.example.com/x \x01", ("https://news.example.com/x", None)),
        ("https://news.example.com/a b", ("https://news.example.com/a b", None)),
        ("https://news.example.com/a\x00b", (None, "control_characters")),
        ("https://news.example.com/\x1b[31m", (None, "control_characters")),
        ("https://news.example.com/\ufffd.xml", (None, "invalid_characters")),
        ("javascript:alert(1)", (None, "not_http")),
        ("file:///etc/passwd", (None, "not_http")),
        ("mailto:desk@example.com", (None, "not_http")),
        ("http://[::1/x", (None, "malformed")),
        ("https://news.example.com:99999/x", (None, "malformed")),
        ("   ", (None, "empty")),
        (None, (None, "empty")),
    ],
)
def test_listed_url(raw: str | None, expected: tuple[str | None, str | None]) -> None:
    assert tuple(listed_url(raw, LISTING)) == expected


@given(st.text(max_size=60))
def test_listed_url_is_total_and_keeps_only_http(raw: str) -> None:
    url, drop = listed_url(raw, LISTING)
    assert (url is None) != (drop is None)
    if url is not None:
        assert urlsplit(url).scheme in ("http", "https")
        assert not any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url)
