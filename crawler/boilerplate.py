"""Cleaning rules that trafilatura lacks, kept as data so a new outlet or language is one line.

trafilatura finds the main text well but leaves behind what news sites glue into it: photo
captions and credits, ad labels (even fused to the end of a paragraph, as in seed 003),
"Read more" related-link lines, share/newsletter/cookie prompts, the headline repeated as the
first paragraph and a dateline before it.  The rules here work on two levels:

* markup: class/id name parts that mark an element as furniture (``is_furniture``) — the
  extractor drops those elements before trafilatura sees the page;
* text: line patterns applied to the extracted paragraphs (``clean_paragraphs``).

Everything is stdlib and pure so the rules can be tested without any HTML library.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

# --- markup rules -------------------------------------------------------------------------

#: Elements dropped whatever their attributes: captions and pictures never carry article prose.
#: (``figure`` was dropped after the real-page audit, ``python -m tests.cleaning_audit``: on
#: real pages it wraps pull quotes and embedded text as often as photos.)
FURNITURE_TAGS: frozenset[str] = frozenset({"figcaption", "picture", "aside"})

#: Parts of a class or id (split on ``-`` and ``_``) that mark an element as page furniture.
#: The real-page audit removed the parts that dropped more article text than boilerplate
#: (``ad``, ``advertisement``, ``advertising``, ``more``, ``credit``, ``social``,
#: ``paywall``): real
#: sites put them on article wrappers, and trafilatura already drops true ad slots.
FURNITURE_NAME_PARTS: frozenset[str] = frozenset(
    {
        # captions and credits
        "caption",
        "figcaption",
        "credits",
        "photocredit",
        # ads
        "ads",
        "adv",
        "advert",
        "adslot",
        "adunit",
        "dfp",
        "gpt",
        "sponsor",
        "sponsored",
        "promo",
        "banner",
        "outbrain",
        "taboola",
        # related links and recirculation
        "related",
        "recirc",
        "readmore",
        "recommended",
        "recommendations",
        "trending",
        "popular",
        "mostread",
        # share, newsletter, cookie prompts
        "share",
        "sharing",
        "newsletter",
        "subscribe",
        "subscription",
        "signup",
        "cookie",
        "cookies",
        "consent",
        "gdpr",
        # comments, breadcrumbs, tags
        "comment",
        "comments",
        "disqus",
        "breadcrumb",
        "breadcrumbs",
        "tags",
    }
)

#: Tags that hold the whole article; a stray furniture class on them must not drop the page.
PROTECTED_TAGS: frozenset[str] = frozenset({"html", "body", "main", "article"})

_NAME_SPLIT = re.compile(r"[-_\s]+")


@lru_cache(maxsize=8192)
def names_furniture(class_or_id: str) -> bool:
    """The cheap first test of ``furniture_rule``: whether a class/id names furniture (cached:
    a site repeats the same few hundred class names on every page)."""
    return not FURNITURE_NAME_PARTS.isdisjoint(_NAME_SPLIT.split(class_or_id.lower()))


def furniture_rule(tag: str, class_and_id: str) -> str | None:
    """The rule that marks an element as page furniture (``tag:figure``, ``class:share``), or
    None; naming the rule lets the real-page audit weigh each one on its own.

    Name *parts* are compared, not substrings, so ``header`` or ``thread`` never match ``ad``.
    """
    if tag in PROTECTED_TAGS:
        return None
    if tag in FURNITURE_TAGS:
        return f"tag:{tag}"
    for part in _NAME_SPLIT.split(class_and_id.lower()):
        if part in FURNITURE_NAME_PARTS:
            return f"class:{part}"
    return None


# --- text rules ---------------------------------------------------------------------------

#: Ad labels that sites print above or inside ad slots, per language.
AD_LABELS: tuple[str, ...] = (
    "اضافة اعلان",
    "إضافة إعلان",
    "إعلان",
    "اعلان",  # ar
    "Advertisement",
    "ADVERTISEMENT",
    "Advertising",
    "Sponsored",
    "Sponsored content",  # en
    "Pubblicità",
    "PUBBLICITÀ",  # it
    "Реклама",
    "РЕКЛАМА",  # ru
    "广告",  # zh
    "Anzeige",
    "ANZEIGE",
    "Werbung",  # de
    "Publicité",
    "PUBLICITÉ",  # fr
    "Publicidad",
    "PUBLICIDAD",  # es
)

#: Share-button labels that a "click to tweet" quote box runs into the quote it shares
#: ("…the 'space-time continuum.'Click To Tweet"), matched case-insensitively after a
#: sentence end; the quote is the article's (``crawler.extract`` keeps such a link's text).
SHARE_LABELS: tuple[str, ...] = ("Click to tweet", "Tweet this")

#: Starts of related-link lines ("Read more: ..."), per language; matched case-insensitively.
RELATED_LINK_STARTS: tuple[str, ...] = (
    r"read more\b",
    r"read also\b",
    r"also read\b",
    r"see also\b",
    r"related\s*:",
    r"related (?:stories|articles|coverage|content)\b",
    r"more on this\b",
    r"more from\b",
    r"recommended\s*:",
    r"watch\s*:",  # en
    r"leggi anche\b",
    r"leggi (?:di più|tutto)\b",
    r"potrebbe interessarti\b",  # it
    r"читайте также\b",
    r"читайте еще\b",
    r"смотрите также\b",
    r"подробнее\s*:",  # ru
    r"اقرأ أيضا",
    r"اقرأ ايضا",
    r"اقرأ المزيد",
    r"اقرأ أيضًا",  # ar
    r"相关阅读",
    r"相关新闻",
    r"延伸阅读",
    r"推荐阅读",  # zh
    r"lire aussi\b",
    r"à lire aussi\b",
    r"lire la suite\b",  # fr
    r"lesen sie auch\b",
    r"mehr zum thema\b",
    r"auch interessant\b",  # de
    r"lee también\b",
    r"lea también\b",
    r"te puede interesar\b",
    r"más información\s*:",  # es
)

#: Whole-line furniture: share/newsletter/cookie prompts and reading times, per language.
#: (Copyright lines were dropped after the real-page audit: gold bodies keep an outlet's
#: closing copyright line, and trafilatura already leaves page footers out.)
FURNITURE_LINES: tuple[str, ...] = (
    r"^(?:share|share this(?: article| story)?|tweet|email|print|copy link|comments?)$",
    r"sign up (?:for|to) (?:our|the)\b.*newsletter",
    r"subscribe to\b.{0,60}\bnewsletters?\b",
    r"^(?:\d+\s*min(?:ute)?s?\.?\s+read|(?:estimated )?read(?:ing)? time\s*[:：]?\s*\d+\s*\w*)$",
    r"\bwe use cookies\b",
    r"\bthis (?:web)?site uses cookies\b",
    r"^accept (?:all )?cookies$",
    r"^follow us on\b",  # en
    r"\butilizziamo (?:i )?cookie\b",
    r"\bquesto sito utilizza (?:i )?cookie\b",
    r"^iscriviti alla (?:nostra )?newsletter\b",
    r"^tempo di lettura\s*[:：]?\s*\d+",  # it
    r"\bмы используем (?:файлы )?cookie",
    r"^подпишитесь на\b",
    r"^время чтения\s*[:：]?\s*\d+",
    r"^поделиться$",  # ru
    r"نستخدم ملفات تعريف الارتباط",
    r"^اشترك في النشرة",
    r"^شارك$",  # ar
    r"本网站使用\s*cookie",
    r"^分享到",
    r"^订阅",  # zh
    r"\bnous utilisons des cookies\b",
    r"^temps de lecture\s*[:：]?\s*\d+",
    r"^abonnez-vous à (?:notre|la) newsletter\b",
    r"^partager$",  # fr
    r"\bwir verwenden cookies\b",
    r"^lesezeit\s*[:：]?\s*\d+",
    r"^abonnieren sie (?:unseren|den) newsletter\b",
    r"^teilen$",  # de
    r"\butilizamos cookies\b",
    r"^tiempo de lectura\s*[:：]?\s*\d+",
    r"^tempo de leitura\s*[:：]?\s*\d+",  # pt
    r"^suscríbete\b",
    r"^compartir$",  # es
)

#: Caption and photo-credit lines: a credit in brackets at the end, or a bare credit line.
CAPTION_LINES: tuple[str, ...] = (
    r"[(\[]\s*(?:file(?: photos?)?|photos?|photograph|image|pictures?|credit|foto|фото|"
    r"صورة|图)\s*:[^)\]]*[)\]]\s*\.?$",
    r"\((?:[\w .'-]+/)?(?:AP|AFP|EPA|Reuters|Xinhua|TASS|ANSA|Getty Images|VCG|Sputnik|CFP|"
    r"CGTN|Kremlin|RIA Novosti)(?: Photo)?/[^)]*\)\s*\.?$",
    r"^(?:photo|photograph|image|credit|foto|фото|图片来源|图片|صورة)\s*[:：]\s*\S.{0,80}$",
    r"\b(?:photos?|photograph|foto|фото)\s*:\s*[\w .,/&'-]{2,40}$",  # "... 2024. Photo: Xinhua"
    # source attributions closing wire stories ("Source: News Agencies")
    r"^(?:source|sources|fonte|источник|المصدر|来源|quelle|fuente)\s*[:：]\s*\S.{0,60}$",
)

#: Datelines that sites print as the first body line, optionally labelled.
_DATE_LABEL = (
    r"(?:date|published|updated|posted|pubblicato|aggiornato|опубликовано|обновлено|"
    r"发布时间|publié|veröffentlicht|publicado|نشر في|تاريخ النشر)(?:\s+on)?\s*[:：]?\s*"
)
_WEEKDAY = r"(?:[^\W\d_]{3,12}\.?,?\s+)?"
_DATE = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\d{1,2}[./]\d{1,2}[./]\d{2,4}"
    r"|\d{1,2}\s+[^\W\d_]{3,12}\.?\s+\d{4}"
    r"|[^\W\d_]{3,12}\.?\s+\d{1,2},?\s+\d{4}"
    r"|\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)"
)
_TIME = (
    r"(?:,?\s*(?:[-–|]\s*)?(?:at\s+)?\d{1,2}[:.]\d{2}(?:\s*[AaPp]\.?[Mm]\.?)?(?:\s*[A-Z]{2,5})?)?"
)
DATELINE_ONLY = re.compile(rf"^(?:{_DATE_LABEL})?{_WEEKDAY}{_DATE}{_TIME}$", re.IGNORECASE)
DATELINE_PREFIX = re.compile(rf"^{_DATE_LABEL}{_DATE}{_TIME}\s+(?=\S)", re.IGNORECASE)

#: Punctuation after which a fused ad label is stripped: the label must follow a sentence end.
_SENTENCE_END = r"[.!?…。！？»”\"')\]]"


def _compile_any(patterns: Iterable[str], *, prefix: str = "") -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{prefix}{p})" for p in patterns), re.IGNORECASE)


_AD_LINE = re.compile(
    "^(?:" + "|".join(re.escape(label) for label in AD_LABELS) + r")\s*[:.]?$", re.IGNORECASE
)
_AD_SUFFIX = re.compile(
    rf"(?<={_SENTENCE_END})\s*(?:"
    + "|".join(re.escape(label) for label in sorted(AD_LABELS, key=len, reverse=True))
    + r")\s*$"
)
_SHARE_SUFFIX = re.compile(
    rf"(?<={_SENTENCE_END})\s*(?:"
    + "|".join(re.escape(label) for label in SHARE_LABELS)
    + r")\W*$",
    re.IGNORECASE,
)
#: Labels stripped from the end of a paragraph, each under the rule the audit weighs.
_FUSED_LABELS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("suffix:ad_label", _AD_SUFFIX),
    ("suffix:share", _SHARE_SUFFIX),
)
#: A fused label is looked for in this many characters at a paragraph's end: the longest
#: label with the sentence end, a space and a few marks around it.  Searching only the tail
#: spares each prose paragraph a scan of every position.
_LABEL_TAIL = max(map(len, (*AD_LABELS, *SHARE_LABELS))) + 8
_RELATED = _compile_any(RELATED_LINK_STARTS, prefix="^")
_FURNITURE_START = _compile_any(p for p in FURNITURE_LINES if p.startswith("^"))
_FURNITURE_ANYWHERE = _compile_any(p for p in FURNITURE_LINES if not p.startswith("^"))
#: Every FURNITURE_LINES pattern not anchored at the line start names cookies or a newsletter
#: (a test holds new patterns to this).  Looking for these words first spares a regex scan of
#: every prose paragraph, which cost more than trafilatura's own fast run on long articles.
PROMPT_WORDS: tuple[str, ...] = ("cookie", "newsletter", "ملفات تعريف الارتباط")
_CAPTION_START = _compile_any(p for p in CAPTION_LINES if p.startswith("^"))
_CAPTION_ANYWHERE = _compile_any(p for p in CAPTION_LINES if not p.startswith("^"))
#: Every CAPTION_LINES pattern not anchored at the line start needs a colon ("Photo: ...") or
#: a closing bracket ("(AP Photo/...)") (a test holds new patterns to this).  Looking for them
#: first spares most prose paragraphs a case-insensitive scan that tries every alternative
#: at every character: the costliest line rule on long articles.
CREDIT_MARKS: tuple[str, ...] = (":", ")")
_WORD = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|\w+")
_LOOSE_PUNCT = re.compile(r"[^\w\s]")


def _none(_line: str) -> None:
    return None


def word_count(text: str) -> int:
    """Words in ``text``; each Chinese/Japanese character counts as one, as those scripts have
    no spaces and a character carries roughly a word's worth of content."""
    return len(_WORD.findall(text))


def collapse_whitespace(text: str) -> str:
    return " ".join(text.split())


def _loose(text: str) -> str:
    """A comparison key that ignores case, punctuation and spacing (for repeated titles)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return collapse_whitespace(_LOOSE_PUNCT.sub(" ", folded))


def strip_fused_labels(paragraph: str, removed: list[tuple[str, str]]) -> str:
    """Remove an ad label ("...state media.اضافة اعلان") or a share button's label ("...
    continuum.'Click To Tweet") fused to the end of a paragraph, noting each in ``removed``."""
    for rule, pattern in _FUSED_LABELS:
        match = pattern.search(paragraph, max(0, len(paragraph) - _LABEL_TAIL))
        if match is not None:
            removed.append((rule, match.group().strip()))
            paragraph = paragraph[: match.start()]
    return paragraph


def _is_prompt(line: str) -> bool:
    folded = line.casefold()
    return any(word in folded for word in PROMPT_WORDS) and bool(_FURNITURE_ANYWHERE.search(line))


def noise_rule(line: str) -> str | None:
    """Which line rule calls a whole paragraph noise: an ad label, a caption/credit, a
    share/cookie/newsletter prompt or reading time, a bare dateline; None for a paragraph
    that stays."""
    if _AD_LINE.match(line):
        return "line:ad_label"
    if _CAPTION_START.match(line) or (
        any(mark in line for mark in CREDIT_MARKS) and _CAPTION_ANYWHERE.search(line)
    ):
        return "line:caption"
    if _FURNITURE_START.match(line) or _is_prompt(line):
        return "line:furniture"
    if DATELINE_ONLY.match(line):
        return "line:dateline"
    return None


def is_related_link(line: str) -> bool:
    return bool(_RELATED.match(line))


@dataclass(frozen=True)
class Cleaned:
    """The paragraphs a cleaning keeps (and their words), and each one it drops with the rule
    that dropped it."""

    kept: list[str]
    removed: list[tuple[str, str]]
    words: int


def _drop_leading_title_and_dateline(
    paragraphs: list[str], title: str, removed: list[tuple[str, str]]
) -> list[str]:
    """Remove headline repeats and a dateline at the start of the body (seeds 000 and 001)."""
    key = _loose(title) if title else ""
    start = 0
    while start < len(paragraphs):
        line = paragraphs[start]
        if key and _loose(line) == key:
            removed.append(("line:title", line))
        elif DATELINE_ONLY.match(line):
            removed.append(("line:dateline", line))
        else:
            break
        start += 1
    body = paragraphs[start:]
    if body:
        body[0] = DATELINE_PREFIX.sub("", body[0])
    return body


def clean_paragraphs(
    paragraphs: Sequence[str],
    title: str = "",
    furniture: Callable[[str], str | None] = _none,
    *,
    line_rules: bool = True,
) -> Cleaned:
    """Apply the text rules to extracted paragraphs, keeping their order.

    ``furniture`` names the markup rule under which a paragraph is the text of a furniture
    element of the page (see ``crawler.extract``), or None.  Whitespace inside each paragraph
    is collapsed; empty paragraphs and a leading headline repeat or dateline are always
    dropped; without ``line_rules`` nothing else is.  Repeated paragraphs stay: the real-page
    audit found recipes and interviews that repeat lines far more often than copies to drop.
    """
    removed: list[tuple[str, str]] = []
    lines: list[str] = []
    for paragraph in paragraphs:
        line = collapse_whitespace(paragraph)
        if line_rules:
            line = collapse_whitespace(strip_fused_labels(line, removed))
        rule = (noise_rule(line) or furniture(line)) if line and line_rules else None
        if rule is None and line_rules and is_related_link(line):
            rule = "line:related"
        if rule is not None:
            removed.append((rule, line))
        elif line:
            lines.append(line)
    kept = _drop_leading_title_and_dateline(lines, title, removed)
    return Cleaned(kept, removed, word_count(" ".join(kept)))
