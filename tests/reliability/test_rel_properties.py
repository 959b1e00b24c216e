"""Issue 6, property tests and fuzzing beyond what the unit suites already check.

Already covered elsewhere (not repeated here): ASCII URL canonicalisation idempotence and host
(`tests/test_urls.py`), `normalize_text` idempotence and the content key's indifference to spacing
and case (`tests/dedup/test_dedup_normalize.py`), the topic score's range (`tests/test_topic.py`),
character insertions into one page (`tests/test_extract.py`).  Added here: non-ASCII hosts and
paths, the key's stability under normalisation and Unicode compatibility forms, the topic
decision's independence from layout, and byte-level and structural fuzzing of extraction on
real demo pages.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from urllib.parse import urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.extract import Extracted, Skipped, extract
from crawler.topic import load_topic
from crawler.urls import canonicalize, fetch_refusal
from dedup.normalize import content_key, normalize_text
from demoweb import build_web
from demoweb.model import Role

_LABEL = st.text(
    alphabet="абвгдежзиклмнопрстуфхцчшщыэюя中国俄罗斯新闻aéèçñü0123456789", min_size=1, max_size=10
)
_PATH = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="#?"), max_size=20
)


@given(
    st.lists(_LABEL, min_size=1, max_size=3),
    st.sampled_from(["рф", "cn", "com", "中国"]),
    _PATH,
    st.sampled_from(["", "?b=2&a=1", "?utm_source=x&id=7", "?q=путин"]),
)
def test_canonicalising_international_urls_is_idempotent_and_keeps_the_host(
    labels: list[str], tld: str, path: str, query: str
) -> None:
    host = ".".join([*labels, tld])
    url = f"https://{host}/{path}{query}"
    once = canonicalize(url)
    assert canonicalize(once) == once
    canonical_host = urlsplit(once).hostname
    assert canonical_host is not None
    assert canonical_host == host.encode("idna").decode("ascii").lower()
    assert fetch_refusal(once) is None  # a public name stays fetchable after canonicalisation


@given(st.text(max_size=400))
def test_the_content_key_is_the_key_of_the_normalised_text(text: str) -> None:
    assert content_key(text) == content_key(normalize_text(text))


@given(st.text(alphabet="ABCxyzПутинСи习近平 \n\t.,", max_size=200))
def test_the_content_key_ignores_unicode_compatibility_forms(text: str) -> None:
    """Full-width letters, ligatures and the like are one text with their plain forms."""
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    assert content_key(wide) == content_key(unicodedata.normalize("NFKC", wide))
    assert content_key(wide) == content_key(text)


_WORDS = st.lists(
    st.sampled_from(
        [
            "Putin",
            "Xi Jinping",
            "Kremlin",
            "Beijing",
            "talks",
            "phone",
            "call",
            "rain",
            "football",
            "Путин",
            "Си",
            "习近平",
            "普京",
        ]
    ),
    max_size=30,
)


@given(_WORDS, st.sampled_from([" ", "\n", "\n\n", "  \t "]))
def test_the_topic_decision_does_not_depend_on_layout(words: list[str], gap: str) -> None:
    topic = load_topic()
    assert topic.score(gap.join(words)) == topic.score(" ".join(words))


@cache
def _demo_pages() -> tuple[bytes, ...]:
    web = build_web()
    pages = []
    for info in web.select(role=Role.ARTICLE)[:6]:
        pages.append(web.outlet(info.outlet).resources[info.path].body)
    return tuple(pages)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_byte_level_mutations_of_real_pages_never_crash_extraction(data: st.DataObject) -> None:
    page = bytearray(data.draw(st.sampled_from(_demo_pages())))
    for _ in range(data.draw(st.integers(min_value=1, max_value=40))):
        at = data.draw(st.integers(min_value=0, max_value=len(page) - 1))
        action = data.draw(st.sampled_from(["flip", "cut", "dup", "nul"]))
        if action == "flip":
            page[at] ^= data.draw(st.integers(min_value=1, max_value=255))
        elif action == "cut":
            del page[at : at + data.draw(st.integers(min_value=1, max_value=2000))]
        elif action == "dup":
            page[at:at] = page[at : at + data.draw(st.integers(min_value=1, max_value=2000))]
        else:
            page[at:at] = b"\x00"
        if not page:
            page = bytearray(b"<")
    result = extract(bytes(page), "https://example.com/news/1")
    assert isinstance(result, (Extracted, Skipped))
    if isinstance(result, Extracted):
        assert result.text.strip()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(min_value=1, max_value=20_000),
    st.sampled_from(["div", "b", "table", "p"]),
    st.sampled_from(["utf-8", "utf-16", "cp1251", "gb18030", "latin-1"]),
)
def test_deep_nesting_and_odd_encodings_never_crash_extraction(
    depth: int, tag: str, codec: str
) -> None:
    text = "Путин и Си провели переговоры. Putin and Xi held talks. " * 30
    html = f"<html><body>{f'<{tag}>' * depth}<p>{text}</p>{f'</{tag}>' * (depth // 2)}"
    result = extract(html.encode(codec, errors="replace"), "https://example.com/news/2")
    assert isinstance(result, (Extracted, Skipped))
