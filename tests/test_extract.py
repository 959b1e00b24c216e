"""Unit tests for crawler.extract: seed noise removal, decoding, refusals and robustness."""

from __future__ import annotations

import difflib
import re
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler import boilerplate
from crawler import extract as extract_module
from crawler.extract import EXTRACTOR_VERSION, Extracted, Skipped, decode_html, extract
from tests.extraction_eval import (
    SEED_CASES,
    SeedCase,
    seed_clean_body,
    seed_noise,
    seed_page,
    seed_title,
)

RUSSIAN = (
    "Президент России Владимир Путин провёл телефонный разговор с Председателем КНР "
    "Си Цзиньпином. Стороны обсудили ход двустороннего сотрудничества в торговле, энергетике "
    "и транспорте, а также договорились продолжить тесную координацию на международных "
    "площадках, включая ООН и ШОС."
)
CHINESE = (
    "国家主席习近平同俄罗斯总统普京通电话。两国元首就双边关系和共同关心的国际和地区问题交换意见。"
    "习近平指出，今年以来，面对全球动荡变革，中俄关系保持良好发展势头。中方愿同俄方继续在涉及主权、"
    "安全等核心利益和重大关切问题上相互支持，密切两国战略协作。"
)
ITALIAN = (
    "La Cina sosterrà la Russia su questioni di sicurezza: è quanto ha detto Xi Jinping a "
    "Vladimir Putin nel giorno del suo compleanno, mercoledì, durante una telefonata in cui i due "
    "leader hanno ribadito la volontà di approfondire la cooperazione perché le relazioni "
    "sono già ottime."
)


def page(body: str, *, lang: str = "en", charset: str = "utf-8", head: str = "") -> str:
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="{charset}">'
        f"<title>Xi and Putin talk</title>{head}</head><body><article>"
        f"<h1>Xi and Putin talk</h1>{body}</article></body></html>"
    )


def paragraphs(text: str, times: int = 3) -> str:
    """The text as the first paragraph, then numbered copies (trafilatura drops exact repeats)."""
    return f"<p>{text}</p>" + "".join(f"<p>{n}. {text}</p>" for n in range(1, times))


@pytest.mark.parametrize("case", SEED_CASES, ids=lambda c: c.stem[:3])
def test_seed_noise_is_removed(case: SeedCase) -> None:
    result = extract(seed_page(case).encode("utf-8"), case.url)
    assert isinstance(result, Extracted), result
    clean = "\n\n".join(seed_clean_body(case))
    similarity = difflib.SequenceMatcher(None, result.text, clean, autojunk=False).ratio()
    assert similarity >= 0.95
    assert not [noise for noise in seed_noise(case) if noise in result.text]
    assert result.title == seed_title(case)
    assert result.seed_text == f"{result.title}\n\n{result.text}"
    assert result.language == case.language
    assert result.published == datetime.fromisoformat(case.published)


def test_extracted_carries_metadata_and_version() -> None:
    head = (
        '<link rel="canonical" href="/world/xi-putin"><meta name="author" content="By Ann Lee">'
        '<meta name="description" content="The two leaders spoke.">'
        '<meta property="article:published_time" content="2022-06-15T18:00:00+03:00">'
    )
    result = extract(page(paragraphs(ITALIAN.replace("è", "e")), head=head), "https://ex.com/a?x=1")
    assert isinstance(result, Extracted), result
    assert result.canonical_url == "https://ex.com/world/xi-putin"
    assert result.authors == ("Ann Lee",)
    assert result.description == "The two leaders spoke."
    assert result.published == datetime(2022, 6, 15, 15, 0, tzinfo=UTC)
    assert result.extractor_version == EXTRACTOR_VERSION
    assert "trafilatura/" in EXTRACTOR_VERSION


@pytest.mark.parametrize(
    ("text", "codec", "declared", "lang"),
    [
        (RUSSIAN, "cp1251", "utf-8", "ru"),  # cp1251 served with a UTF-8 label
        (RUSSIAN, "cp1251", "windows-1252", "ru"),  # ... or with a Latin label
        (CHINESE, "gb18030", "utf-8", "zh"),
        (CHINESE, "gb18030", "gb2312", "zh"),
        (ITALIAN, "latin-1", "utf-8", "it"),  # Latin-1 Italian served as UTF-8
    ],
)
def test_mislabelled_encodings_are_decoded(text: str, codec: str, declared: str, lang: str) -> None:
    raw = page(paragraphs(text), lang=lang, charset=declared).encode(codec)
    result = extract(raw, "https://ex.com/a")
    assert isinstance(result, Extracted), result
    assert text[:40] in result.text
    assert result.language == lang


def test_http_encoding_hint_and_bom_are_honoured() -> None:
    raw = page(paragraphs(RUSSIAN), lang="ru", charset="koi8-r").encode("cp1251")
    assert RUSSIAN[:30] in (decode_html(raw, "windows-1251") or "")
    bom = b"\xef\xbb\xbf" + page(paragraphs(ITALIAN), charset="latin-1").encode("utf-8")
    assert ITALIAN[:60] in (decode_html(bom) or "")


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3 1 0 obj",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"<html>\x00\x01\x02\x03</html>",
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00",
    ],
)
def test_binary_input_is_skipped(data: bytes) -> None:
    result = extract(data)
    assert isinstance(result, Skipped)
    assert result.reason == "binary"


@pytest.mark.parametrize("data", [b"", b"   \n ", "", "<html><body></body></html>"])
def test_empty_page_is_skipped(data: bytes | str) -> None:
    result = extract(data)
    assert isinstance(result, Skipped)
    assert result.reason == "empty"


def test_short_page_is_skipped_and_the_minimum_is_configurable() -> None:
    html = page("<p>Xi and Putin spoke by phone on Wednesday about trade and security.</p>")
    result = extract(html)
    assert isinstance(result, Skipped)
    assert result.reason == "too_short"
    assert isinstance(extract(html, min_words=5), Extracted)


FLASH = (
    "<p>MOSCOW, June 15. /TASS/. Russian President Vladimir Putin and Chinese President Xi "
    "Jinping have held phone talks, the Kremlin press service said.</p>"
)
DATED = '<meta property="article:published_time" content="2022-06-15T10:01:00+03:00">'


@pytest.mark.parametrize(
    ("head", "kept"),
    [
        ('<meta property="og:type" content="article">' + DATED, True),
        (
            '<script type="application/ld+json">{"@type": "NewsArticle", '
            '"datePublished": "2022-06-15T10:01:00+03:00"}</script>',
            True,
        ),
        ('<meta property="og:type" content="article">', False),  # not dated: any CMS page
        (DATED, False),  # dated, but not said to be an article
    ],
)
def test_a_wire_flash_is_kept_when_the_page_declares_a_dated_article(head: str, kept: bool) -> None:
    result = extract(page(FLASH, head=head))
    if kept:
        assert isinstance(result, Extracted), result
        assert result.text.startswith("MOSCOW, June 15. /TASS/.")
    else:
        assert isinstance(result, Skipped)
        assert result.reason == "too_short"
        assert result.detail == "26 words, fewer than 50"  # the longest run: with the headline


def test_a_dated_article_shorter_than_a_flash_is_still_too_short() -> None:
    head = '<meta property="og:type" content="article">' + DATED
    result = extract(page("<p>Putin and Xi hold phone talks, the Kremlin says.</p>", head=head))
    assert isinstance(result, Skipped)
    assert result.detail == "9 words, fewer than 15"


def test_chinese_length_counts_characters() -> None:
    assert boilerplate.word_count("习近平同普京通电话") == 9
    assert boilerplate.word_count("Xi called Putin") == 3
    assert isinstance(extract(page(f"<p>{CHINESE}</p>", lang="zh")), Extracted)


def test_truncated_html_still_extracts() -> None:
    html = page(paragraphs(ITALIAN, 4), lang="it")
    result = extract(html[: len(html) * 3 // 4].encode("utf-8"))
    assert isinstance(result, Extracted), result
    assert ITALIAN[:50] in result.text


def test_listing_page_is_not_an_article() -> None:
    teasers = "".join(
        f'<div class="card"><h3><a href="/news/{n}">Xi and Putin headline number {n}</a></h3>'
        f"<p>Short teaser about the story {n}.</p></div>"
        for n in range(30)
    )
    html = (
        '<html lang="en"><head><meta property="og:type" content="website">'
        f"<title>World news</title></head><body><main>{teasers}</main></body></html>"
    )
    result = extract(html)
    assert isinstance(result, Skipped)
    assert result.reason == "not_article"


@pytest.mark.parametrize(
    "headings",
    [
        ["Recent posts", "Stocks", "Commodities", "Currencies", "Treasurys", "Market movers"],
        [f"Xi and Putin agree on trade number {n}" for n in range(6)],
    ],
    ids=["section-names", "related-headlines"],
)
def test_linked_headings_do_not_make_an_undeclared_article_a_listing(headings: list[str]) -> None:
    """A market blog post (CNBC, 2011): three prose paragraphs, then more words of short
    teasers, beside six linked headings; only a page declaring itself a listing is one."""
    teasers = "".join(
        f"<p>- Teaser {n} says the markets moved again today and readers asked why.</p>"
        for n in range(12)
    )
    links = "".join(f'<h2><a href="/s/{n}">{h}</a></h2>' for n, h in enumerate(headings))
    html = (
        '<html lang="it"><head><title>Xi and Putin talk</title></head><body>'
        f"<div class='post'>{paragraphs(ITALIAN, 3)}{teasers}</div><div>{links}</div>"
        "</body></html>"
    )
    assert isinstance(extract(html), Extracted)


def test_article_without_metadata_is_kept() -> None:
    html = (
        '<html><head><meta property="og:type" content="website"><title>x</title></head><body>'
        f"<div>{paragraphs(ITALIAN.replace('è', 'e'), 4)}</div></body></html>"
    )
    assert isinstance(extract(html), Extracted)


def test_language_falls_back_to_script_guess() -> None:
    result = extract(page(paragraphs(RUSSIAN), lang="en"))  # a template's wrong lang="en"
    assert isinstance(result, Extracted)
    assert result.language == "ru"
    arabic = "قال الرئيس الصيني شي جين بينغ إن العلاقات مع روسيا قوية وإن البلدين سيعززان " * 4
    body = f"<article><p>{arabic}</p><p>{arabic}.</p></article>"
    result = extract(f"<html><body>{body}</body></html>")
    assert isinstance(result, Extracted)
    assert result.language == "ar"


@pytest.mark.parametrize(
    ("line", "noise"),
    [
        ("Advertisement", True),
        ("اضافة اعلان", True),
        ("Реклама", True),
        ("广告", True),
        ("Smoke rises over the city [File: Aris Messinis/AFP]", True),
        ("Xi and Putin in Beijing, May 16, 2024. (Xinhua/Ju Peng)", True),
        ("We use cookies to improve your experience.", True),
        ("Sign up for our daily newsletter today", True),
        ("Get the latest updates. Subscribe to NJ.com’s newsletters.", True),
        ("Tempo de leitura: 2 minutos", True),
        ("posted on April 21, 2015, at 11:29 a.m.", True),
        ("November 20, 2019 - 11:28 AMT", True),
        ("Copyright 2019 Hawaii News Now. All rights reserved.", False),
        ("The Kremlin said the talks were warm and friendly.", False),
        ("Advertisement revenues at Chinese state media rose last year, the report said.", False),
    ],
)
def test_noise_lines(line: str, noise: bool) -> None:
    assert (boilerplate.noise_rule(line) is not None) is noise


def test_every_unanchored_furniture_pattern_is_gated_by_a_prompt_word() -> None:
    anywhere = [p for p in boilerplate.FURNITURE_LINES if not p.startswith("^")]
    assert anywhere
    ungated = [p for p in anywhere if not any(w in p for w in boilerplate.PROMPT_WORDS)]
    assert not ungated, f"patterns the PROMPT_WORDS pre-check would never reach: {ungated}"


def test_every_unanchored_caption_pattern_needs_a_credit_mark() -> None:
    anywhere = [p for p in boilerplate.CAPTION_LINES if not p.startswith("^")]
    assert anywhere
    # A mark inside a character class ([)\]]) may be absent from a matching line.
    outside_classes = [re.sub(r"\[(?:\\.|[^\]\\])*\]", "", p) for p in anywhere]
    ungated = [
        p
        for p, bare in zip(anywhere, outside_classes, strict=True)
        if ":" not in bare and "\\)" not in bare
    ]
    assert not ungated, f"patterns the CREDIT_MARKS pre-check would never reach: {ungated}"


def test_clean_paragraphs_rules() -> None:
    title = "Xi assures Putin of support"
    raw = [
        "Xi assures Putin of support",
        "16 June 2022",
        "date 2022-06-16 BEIJING — Xi assured Putin of support, state media said.اضافة اعلان",
        "Leggi anche: Xi e Putin, amici senza limiti",
        "The two leaders   also spoke about trade and energy cooperation in detail.",
        "The two leaders also spoke about trade and energy cooperation in detail.",
    ]
    cleaned = boilerplate.clean_paragraphs(raw, title)
    assert cleaned.kept == [
        "BEIJING — Xi assured Putin of support, state media said.",
        "The two leaders also spoke about trade and energy cooperation in detail.",
        "The two leaders also spoke about trade and energy cooperation in detail.",
    ]
    assert sorted(rule for rule, _line in cleaned.removed) == [
        "line:dateline",
        "line:related",
        "line:title",
        "suffix:ad_label",
    ]


def test_furniture_rules_and_the_safe_mode() -> None:
    raw = ["Xi and Putin spoke.", "Share this article", "Photo caption of the talks in Beijing"]
    captions = {"Photo caption of the talks in Beijing": "tag:figcaption"}
    cleaned = boilerplate.clean_paragraphs(raw, furniture=captions.get)
    assert cleaned.kept == ["Xi and Putin spoke."]
    assert boilerplate.clean_paragraphs(raw, furniture=captions.get, line_rules=False).kept == raw
    assert boilerplate.furniture_rule("div", "story-share-bar") == "class:share"
    assert boilerplate.furniture_rule("article", "share") is None
    assert boilerplate.furniture_rule("div", "ad-wrapper main") is None  # dropped by the audit


def test_a_caption_with_a_linked_credit_inside_a_paragraph_is_recognised() -> None:
    """trafilatura runs the caption's pieces together ("Beijing. (NASA/JPL-Caltech)"); the
    furniture text must be known in that spelling too, not only with the pieces spaced."""
    caption = (
        '<p><span class="wf_caption"><img src="/talks.jpg" alt="">'
        '<span>Xi and Putin during the call in Beijing. (<a href="/photo">NASA/JPL-Caltech</a>)'
        "</span></span></p>"
    )
    body = paragraphs(ITALIAN, 2) + caption + paragraphs(RUSSIAN, 2)
    result = extract(page(body))
    assert isinstance(result, Extracted), result
    assert "NASA/JPL-Caltech" not in result.text
    assert ITALIAN in result.text
    assert RUSSIAN in result.text


def test_read_more_inside_the_story_only_drops_its_line() -> None:
    long = "The two leaders agreed to expand cooperation in energy, finance and manufacturing " * 2
    kept = boilerplate.clean_paragraphs(["Intro text.", "READ MORE: Other story", long]).kept
    assert kept == ["Intro text.", long.strip()]


def test_a_furniture_class_on_the_article_wrapper_costs_nothing() -> None:
    body = paragraphs(ITALIAN, 4)
    plain = extract(page(body, lang="it"))
    wrapped = extract(page(f'<div class="related-content">{body}</div>', lang="it"))
    assert isinstance(plain, Extracted), plain
    assert isinstance(wrapped, Extracted), wrapped
    assert wrapped.text == plain.text


def test_a_dateline_cite_glued_to_the_first_word_is_spaced() -> None:
    lede = (
        "<p><cite>Hong Kong (CNN Business)</cite>A muddled view of trade talks weighed on "
        "investors, and <cite>Pravda</cite>'s editors said so.</p>"
    )
    result = extract(page(lede + paragraphs(ITALIAN)))
    assert isinstance(result, Extracted), result
    assert "Hong Kong (CNN Business) A muddled view" in result.text
    assert "Pravda's editors" in result.text


def test_a_hover_card_of_headlines_inside_a_sentence_is_dropped_and_the_sentence_kept() -> None:
    card = (
        '<span class="rollover-people"><a href="/people/xi">Xi Jinping</a>'
        '<span class="rollover-block"><span><img src="/xi.jpg" alt="">'
        '<a href="/people/xi">Xi Jinping</a>'
        '<a href="/a/1">Xi pledges support for Russia on security</a> '
        '<a href="/a/2">China and Russia expand their trade in energy</a> '
        '<a href="/a/3">Putin thanks Xi for the birthday greetings call</a>'
        '<a href="/people/xi">MORE</a></span></span></span>'
    )
    titles = (
        "<p>He said so in <em><a href='/b/1'>The Governance of China volume one</a> and "
        "<a href='/b/2'>The Governance of China volume two</a></em>, his two books.</p>"
    )
    lede = f"<p>President {card} told Vladimir Putin that China would support Russia.</p>"
    result = extract(page(lede + titles + paragraphs(ITALIAN)))
    assert isinstance(result, Extracted), result
    assert "President Xi Jinping told Vladimir Putin that China would support" in result.text
    assert "birthday greetings" not in result.text
    assert "MORE" not in result.text
    assert "The Governance of China volume one and The Governance" in result.text


def test_a_stray_nul_byte_does_not_make_a_page_binary() -> None:
    html = page(paragraphs(ITALIAN), lang="it").encode("utf-8")
    at = html.index(b"<p>") + 10
    result = extract(html[:at] + b"\x00" + html[at:])
    assert isinstance(result, Extracted), result
    assert "\x00" not in result.text


def test_a_page_the_fast_run_misses_falls_back_to_a_fuller_extractor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    html = page(paragraphs(ITALIAN), lang="it")
    real = extract_module.main_text
    calls: list[bool] = []

    def fast_run_finds_nothing(tree: object, url: str | None, **mode: bool) -> list[str]:
        calls.append(mode.get("fast", True))
        return [] if mode.get("fast", True) else real(tree, url, **mode)

    monkeypatch.setattr(extract_module, "main_text", fast_run_finds_nothing)
    result = extract(html)
    assert isinstance(result, Extracted), result
    assert ITALIAN[:40] in result.text
    assert calls == [True, False]


@pytest.mark.slow
def test_huge_page_does_not_crash() -> None:
    filler = "".join(f'<li><a href="/n/{n}">Navigation link {n}</a></li>' for n in range(50_000))
    html = page(f"<ul>{filler}</ul>{paragraphs(ITALIAN, 200)}", lang="it")
    assert len(html) > 2_000_000
    result = extract(html.encode("utf-8"))
    assert isinstance(result, (Extracted, Skipped))


def test_large_page_extracts() -> None:
    filler = "".join(f'<li><a href="/n/{n}">Navigation link {n}</a></li>' for n in range(3000))
    result = extract(page(f"<nav><ul>{filler}</ul></nav>{paragraphs(ITALIAN, 30)}", lang="it"))
    assert isinstance(result, Extracted), result
    assert ITALIAN[:50] in result.text


_BASE = page(paragraphs(ITALIAN, 3), lang="it")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.integers(min_value=0, max_value=len(_BASE)),
    insert=st.text(alphabet=st.sampled_from(list("<>/\"'=&;#!-[] \x00\x0bpdivs")), max_size=40),
    data=st.binary(max_size=64),
)
def test_mutated_html_never_raises(cut: int, insert: str, data: bytes) -> None:
    mutated = _BASE[:cut] + insert + _BASE[cut:]
    for variant in (mutated, mutated.encode("utf-8", "replace"), data + _BASE.encode()[cut:]):
        assert isinstance(extract(variant), (Extracted, Skipped))


# --- the first run: continued into the article's containers, gaps filled ---------------------

PROSE = [
    f"Paragraph {n} of the story says enough words to count as prose: the two leaders spoke "
    f"by telephone for an hour about trade, energy, security and the war, {n} officials said."
    for n in range(8)
]


def _tree(body: str) -> object:
    return extract_module.parse_html(f"<html><body>{body}</body></html>")


def test_the_parser_builds_trafilaturas_tree_without_a_python_call_per_element() -> None:
    import lxml.html
    from trafilatura.utils import load_html

    page = (
        '<?xml version="1.0" encoding="utf-8"?><html><body><!-- note --><form><input '
        'name="q"></form><p>One &amp; two</p></body></html>'
    )
    tree = extract_module.parse_html(page)
    theirs = load_html(page)
    assert tree is not None
    assert theirs is not None
    assert lxml.html.tostring(tree) == lxml.html.tostring(theirs)
    # every element is the plain class: lxml.html's own lookup (a Python method per element)
    # would make the form a FormElement and the input an InputElement
    assert {type(element) for element in tree.iter()} == {lxml.html.HtmlElement}
    assert type(next(theirs.iter("form"))) is not lxml.html.HtmlElement
    assert extract_module.parse_html("<p>only a fragment</p>") is None


def test_an_article_split_around_an_ad_is_continued_in_its_other_containers() -> None:
    tree = _tree(
        f'<div class="story-body"><p>{PROSE[0]}</p><p>{PROSE[1]}</p></div>'
        '<div class="ad-row"><p>Advertisement</p></div>'
        f'<div class="story-body"><p>{PROSE[2]}</p><p>© 2024 The Daily Example</p></div>'
        f'<div class="comment-body"><p>{PROSE[3]}</p></div>'
        f"<div><p>{PROSE[4]}</p></div>"
    )
    paragraphs = extract_module.PageParagraph.all_of(tree)
    found = extract_module.continue_article([PROSE[0], PROSE[1]], paragraphs)
    # the second body container's prose follows; its short copyright line, the ad label,
    # the comment and the paragraph of an unnamed container do not
    assert found == [PROSE[0], PROSE[1], PROSE[2]]


def test_a_lead_the_parser_pushed_out_of_its_paragraph_is_put_back_first() -> None:
    """``<p><div>related</div>LEAD</p>``: the parser closes the ``<p>`` at the ``<div>``, so
    the lead is the related box's tail, written straight into the article's container, and
    the extractor drops it with the box. It comes back, whole across its inline link, in
    its place; the box's own short lines, a loose line too short for prose and a loose run of
    linked headlines do not."""
    lead = f'SAN FRANCISCO (AP) — {PROSE[2][:80]} <a href="/apple">Apple Inc.</a> {PROSE[2][80:]}'
    headlines = " | ".join(
        f'<a href="/{n}">Leaders of the two countries meet again to talk about trade, part {n}</a>'
        for n in range(3)
    )
    tree = _tree(
        '<div class="bd"><p><div class="related"><ul><li><a href="/a">A chronology of the '
        f"talks</a></li></ul></div>{lead}</p><p>{PROSE[0]}</p>Photo: Reuters<p>{PROSE[1]}</p>"
        f"<div>Share</div>Read more: {headlines}</div>"
    )
    paragraphs = extract_module.PageParagraph.all_of(tree)
    found = extract_module.continue_article([PROSE[0], PROSE[1]], paragraphs)
    whole = f"SAN FRANCISCO (AP) — {PROSE[2][:80]} Apple Inc. {PROSE[2][80:]}"
    assert found == [" ".join(whole.split()), PROSE[0], PROSE[1]]


def test_a_paragraph_holds_only_the_text_a_reader_sees() -> None:
    """An embed's fallback markup (``<iframe>`` content, seen only as escaped tags), a
    script and a button are not the paragraph's text, so an embed between two paragraphs is
    not put back into the article as a line of markup."""
    embed = (
        '<p><iframe src="https://video.example/embed/1">&amp;lt;span class="bookmark"&amp;gt;'
        "</iframe><script>track()</script><button>Play</button></p>"
    )
    tree = _tree(f'<div class="story-body"><p>{PROSE[0]}</p>{embed}<p>{PROSE[1]}</p></div>')
    paragraphs = extract_module.PageParagraph.all_of(tree)
    assert [p.text for p in paragraphs] == [PROSE[0], PROSE[1]]
    found = extract_module.continue_article([PROSE[0], PROSE[1]], paragraphs)
    assert found == [PROSE[0], PROSE[1]]


def test_a_paragraph_the_extractor_skipped_inside_the_article_is_put_back_in_place() -> None:
    linked = 'The ministry published <a href="/report">its report</a> on trade on Monday.'
    tree = _tree(
        f'<div class="body"><p>By A. Reporter</p><p>{PROSE[0]}</p><p>{linked}</p>'
        f"<p>{PROSE[1]}</p><p>Share this story</p></div>"
    )
    paragraphs = extract_module.PageParagraph.all_of(tree)
    found = extract_module.continue_article([PROSE[0], PROSE[1]], paragraphs)
    # inside the stretch every paragraph comes back; before and after it only prose would
    assert found == [PROSE[0], "The ministry published its report on trade on Monday.", PROSE[1]]


def test_the_extractors_own_line_splits_and_entities_are_recognised_as_found() -> None:
    tree = _tree(
        f'<div class="body"><p>{PROSE[0][:60]}<br>{PROSE[0][60:]}</p>'
        f"<p>{PROSE[1].replace('officials', 'offi&shy;cials')}</p></div>"
    )
    paragraphs = extract_module.PageParagraph.all_of(tree)
    extracted = [PROSE[0][:60], PROSE[0][60:], PROSE[1]]
    assert extract_module.continue_article(extracted, paragraphs) == extracted


def test_gaps_are_filled_from_the_fuller_run_only_inside_the_article() -> None:
    a, b, c, d, e = PROSE[:5]
    fuller = ["Now watching", a, b, c, d, e, "Teaser of another story"]
    assert extract_module.fill_gaps([a, c, e], fuller) == [a, b, c, d, e]
    # runs that disagree about where the article is: the fuller run is plain trafilatura's
    assert extract_module.fill_gaps([a, b], [d, e]) == [d, e]
    assert extract_module.fill_gaps(["—"], [d, e]) == [d, e]


def test_in_page_links_are_not_other_stories_headlines() -> None:
    tree = _tree(
        '<ul class="toc"><li><a href="#life">Lifecycle of a task in the system</a></li></ul>'
        '<h2 id="life">Lifecycle of a task in the system</h2>'
        '<p><a href="/2024/other-story">Another story about the same summit talks</a></p>'
    )
    furniture = extract_module.Furniture.of(tree)
    assert furniture.rule("Lifecycle of a task in the system") is None
    assert furniture.rule("Another story about the same summit talks") == "link:whole_line"


#: A "click to tweet" quote box as the real-page dev corpus records it (Scrapinghub benchmark,
#: bigbrandsystem.com/business-focus, Social Warfare's markup): a link to a share form that
#: carries the quote, the quote in one span and the button's label run into it in another.
TWEETABLE = (
    "I'm here to tell you that the Laws of Physics apply to online business just like "
    "offline business."
)
CLICK_TO_TWEET = (
    '<div class="sw-tweet-clear"></div><a class="swp_CTT style1" '
    'href="https://twitter.com/share?text=I%27m+here+to+tell+you+that+the+Laws+of+Physics+apply'
    "+to+online+business+just+like+offline+business.&amp;via=pamelaiwilson&amp;url=https://"
    'www.bigbrandsystem.com/business-focus/" rel="nofollow noreferrer noopener" '
    f'target="_blank"><span class="sw-click-to-tweet"><span class="sw-ctt-text">{TWEETABLE}'
    '</span><span class="sw-ctt-btn">Click To Tweet<i class="sw swp_twitter_icon"></i></span>'
    "</span></a>"
)


def test_a_link_that_shares_its_own_words_is_a_quote_not_another_storys_headline() -> None:
    tree = _tree(
        CLICK_TO_TWEET + '<p><a href="/2018/other-story?ref=home">Another story about the '
        "same summit talks</a></p>"
    )
    furniture = extract_module.Furniture.of(tree)
    assert furniture.rule(f"{TWEETABLE}Click To Tweet") is None
    assert furniture.rule(f"{TWEETABLE} Click To Tweet") is None
    assert furniture.rule("Another story about the same summit talks") == "link:whole_line"


def test_a_click_to_tweet_quote_stays_in_the_article_without_its_button() -> None:
    """The whole stage on the dev page's markup: the quote is article text (the page's gold
    keeps it), the share button's label run into it is not."""
    body = "".join(f"<p>{p}</p>" for p in PROSE[:3]) + CLICK_TO_TWEET
    body += "".join(f"<p>{p}</p>" for p in PROSE[3:6])
    result = extract(page(body), "https://www.bigbrandsystem.com/business-focus/")
    assert isinstance(result, Extracted), result
    assert TWEETABLE in result.text.split("\n\n")
    assert "Tweet" not in result.text
    cleaned = boilerplate.clean_paragraphs([f"{TWEETABLE}Click To Tweet", "Tweet this: a poll"])
    assert cleaned.kept == [TWEETABLE, "Tweet this: a poll"]
    assert cleaned.removed == [("suffix:share", "Click To Tweet")]


def test_the_next_story_loaded_below_in_its_own_article_element_is_not_continued() -> None:
    tree = _tree(
        f'<article><div class="story-body"><p>{PROSE[0]}</p><p>{PROSE[1]}</p></div></article>'
        f'<article><div class="story-body"><p>{PROSE[2]}</p><p>{PROSE[3]}</p></div></article>'
    )
    paragraphs = extract_module.PageParagraph.all_of(tree)
    assert extract_module.continue_article([PROSE[0], PROSE[1]], paragraphs) == PROSE[:2]


def test_a_meta_author_naming_the_publisher_gives_way_to_the_pages_author_links() -> None:
    head = (
        '<meta name="author" content="Ediciones El Ejemplo">'
        '<meta property="og:site_name" content="EL EJEMPLO">'
    )
    byline = (
        '<p class="firma"><a rel="author" href="/autor/a">Ana Pérez</a> / '
        '<a rel="author" href="/autor/b">Luis Gómez</a></p>'
    )
    result = extract(page(byline + paragraphs(ITALIAN), lang="it", head=head))
    assert isinstance(result, Extracted), result
    assert result.authors == ("Ana Pérez", "Luis Gómez")
    person = extract(
        page(paragraphs(ITALIAN), lang="it", head='<meta name="author" content="Ana Pérez">')
    )
    assert isinstance(person, Extracted), person
    assert person.authors == ("Ana Pérez",)


def test_a_link_line_trafilatura_left_out_stays_out() -> None:
    read_also = '<a href="/related/1">あわせて読みたい: 中ロの貿易額が過去最高に</a>'
    tree = _tree(f'<div class="body"><p>{PROSE[0]}</p><p>{read_also}</p><p>{PROSE[1]}</p></div>')
    paragraphs = extract_module.PageParagraph.all_of(tree)
    assert extract_module.continue_article([PROSE[0], PROSE[1]], paragraphs) == PROSE[:2]


LEAD = (
    "Rescuers found a fifth victim four days after the landslide buried several houses in the "
    "village of Ask, and five people, two children among them, are still missing tonight."
)


@pytest.mark.parametrize(
    ("body", "kept", "summary", "found"),
    [
        # the page's summary printed right above the article's container: its lead
        (
            f'<div class="article__lead">{LEAD}</div>'
            f'<div class="article__body"><p>{PROSE[0]}</p><p>{PROSE[1]}</p></div>',
            [PROSE[0], PROSE[1]],
            LEAD,
            LEAD,
        ),
        # the same words in a card below the article are a teaser, not its lead
        (
            f'<div class="article__body"><p>{PROSE[0]}</p><p>{PROSE[1]}</p></div>'
            f'<div class="card">{LEAD}</div>',
            [PROSE[0], PROSE[1]],
            LEAD,
            None,
        ),
        # a lead the text already has is not added twice
        (
            f'<div class="lead">{LEAD}</div><div class="body"><p>{PROSE[0]}</p></div>',
            [LEAD, PROSE[0]],
            LEAD,
            None,
        ),
        # a one-line summary is not prose: left to trafilatura's judgement
        (
            f'<div class="lead">Landslide: fifth victim found</div><div><p>{PROSE[0]}</p></div>',
            [PROSE[0]],
            "Landslide: fifth victim found",
            None,
        ),
        # an element worded otherwise than the declared summary is not taken for it
        (
            f'<div class="lead">{LEAD} More soon.</div><div><p>{PROSE[0]}</p></div>',
            [PROSE[0]],
            LEAD,
            None,
        ),
    ],
)
def test_a_standfirst_printing_the_pages_summary_above_the_body_is_its_lead(
    body: str, kept: list[str], summary: str, found: str | None
) -> None:
    paragraphs = extract_module.PageParagraph.all_of(_tree(body))
    assert extract_module._standfirst(paragraphs, [summary], kept) == found


def test_a_standfirst_left_out_by_the_extractor_opens_the_article() -> None:
    """The whole stage: a lead in a container of its own above the body, which trafilatura's
    precise run leaves out, is put first when it is the page's declared description."""
    html = (
        "<!DOCTYPE html><html lang='en'><head><title>Fifth victim found</title>"
        f'<meta property="og:description" content="{LEAD}"></head><body>'
        "<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<div class='article'><h1>Fifth victim found</h1><div class='lead'>{LEAD}</div>"
        f"<div class='text'>{''.join(f'<p>{p}</p>' for p in PROSE[:6])}</div></div>"
        "<footer><p>© 2024 The Daily Example</p></footer></body></html>"
    )
    result = extract(html, "https://news.example/world/fifth-victim")
    assert isinstance(result, Extracted)
    assert result.text.split("\n\n")[0] == LEAD
    assert result.text.count(LEAD) == 1
