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
from collections.abc import Iterable, Sequence

# --- markup rules -------------------------------------------------------------------------

#: Elements dropped whatever their attributes: captions and pictures never carry article prose.
FURNITURE_TAGS: frozenset[str] = frozenset({"figure", "figcaption", "picture", "aside"})

#: Parts of a class or id (split on ``-`` and ``_``) that mark an element as page furniture.
FURNITURE_NAME_PARTS: frozenset[str] = frozenset(
    {
        # captions and credits
        "caption",
        "figcaption",
        "credit",
        "credits",
        "photocredit",
        # ads
        "ad",
        "ads",
        "adv",
        "advert",
        "advertisement",
        "advertising",
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
        "more",
        "trending",
        "popular",
        "mostread",
        # share, newsletter, cookie prompts
        "share",
        "sharing",
        "social",
        "newsletter",
        "subscribe",
        "subscription",
        "signup",
        "cookie",
        "cookies",
        "consent",
        "gdpr",
        "paywall",
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


def is_furniture(tag: str, class_and_id: str) -> bool:
    """Whether an element is page furniture judged by its tag and its class/id names.

    Name *parts* are compared, not substrings, so ``header`` or ``thread`` never match ``ad``.
    """
    if tag in PROTECTED_TAGS:
        return False
    if tag in FURNITURE_TAGS:
        return True
    parts = _NAME_SPLIT.split(class_and_id.lower())
    return any(part in FURNITURE_NAME_PARTS for part in parts)


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

#: Whole-line furniture: share/newsletter/cookie prompts and copyright footers, per language.
FURNITURE_LINES: tuple[str, ...] = (
    r"^(?:share|share this(?: article| story)?|tweet|email|print|copy link|comments?)$",
    r"sign up (?:for|to) (?:our|the)\b.*newsletter",
    r"subscribe to (?:our|the)\b.*newsletter",
    r"\bwe use cookies\b",
    r"\bthis (?:web)?site uses cookies\b",
    r"^accept (?:all )?cookies$",
    r"^follow us on\b",
    r"^all rights reserved\b",
    r"^(?:©|\(c\)|copyright ©?)\s*\d{4}",  # en
    r"\butilizziamo (?:i )?cookie\b",
    r"\bquesto sito utilizza (?:i )?cookie\b",
    r"^iscriviti alla (?:nostra )?newsletter\b",
    r"^riproduzione riservata\b",  # it
    r"\bмы используем (?:файлы )?cookie",
    r"^подпишитесь на\b",
    r"^поделиться$",  # ru
    r"نستخدم ملفات تعريف الارتباط",
    r"^اشترك في النشرة",
    r"^شارك$",  # ar
    r"本网站使用\s*cookie",
    r"^分享到",
    r"^订阅",  # zh
    r"\bnous utilisons des cookies\b",
    r"^abonnez-vous à (?:notre|la) newsletter\b",
    r"^partager$",  # fr
    r"\bwir verwenden cookies\b",
    r"^abonnieren sie (?:unseren|den) newsletter\b",
    r"^teilen$",  # de
    r"\butilizamos cookies\b",
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
    r"发布时间|publié|veröffentlicht|publicado|نشر في|تاريخ النشر)\s*[:：]?\s*"
)
_WEEKDAY = r"(?:[^\W\d_]{3,12}\.?,?\s+)?"
_DATE = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\d{1,2}[./]\d{1,2}[./]\d{2,4}"
    r"|\d{1,2}\s+[^\W\d_]{3,12}\.?\s+\d{4}"
    r"|[^\W\d_]{3,12}\.?\s+\d{1,2},?\s+\d{4}"
    r"|\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)"
)
_TIME = r"(?:,?\s*(?:at\s+)?\d{1,2}[:.]\d{2}(?:\s*[AaPp]\.?[Mm]\.?)?(?:\s*[A-Z]{2,5})?)?"
DATELINE_ONLY = re.compile(rf"^(?:{_DATE_LABEL})?{_WEEKDAY}{_DATE}{_TIME}$", re.IGNORECASE)
DATELINE_PREFIX = re.compile(rf"^{_DATE_LABEL}{_DATE}{_TIME}\s+(?=\S)", re.IGNORECASE)

#: Punctuation after which a fused ad label is stripped: the label must follow a sentence end.
_SENTENCE_END = r"[.!?…。！？»”\"')\]]"

#: A trailing block of related links is cut when every line after its start is this short.
TRAILING_BLOCK_MAX_WORDS = 12


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
_ENDS_SENTENCE = re.compile(rf"{_SENTENCE_END}\s*$")
_RELATED = _compile_any(RELATED_LINK_STARTS, prefix="^")
_FURNITURE = _compile_any(FURNITURE_LINES)
_CAPTION = _compile_any(CAPTION_LINES)
_WORD = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|\w+")
_LOOSE_PUNCT = re.compile(r"[^\w\s]")


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


def strip_ad_suffix(paragraph: str) -> str:
    """Remove an ad label fused to the end of a paragraph ("...state media.اضافة اعلان")."""
    return _AD_SUFFIX.sub("", paragraph)


def is_noise_line(line: str) -> bool:
    """Whether a whole paragraph is an ad label, a caption/credit or a share/cookie prompt."""
    return bool(_AD_LINE.match(line) or _CAPTION.search(line) or _FURNITURE.search(line))


def is_related_link(line: str) -> bool:
    return bool(_RELATED.match(line))


def _link_like(line: str) -> bool:
    return word_count(line) <= TRAILING_BLOCK_MAX_WORDS and not _ENDS_SENTENCE.search(line)


def _cut_trailing_related(paragraphs: list[str]) -> list[str]:
    """Drop related-link lines; from one that starts a block of short lines, drop the rest too.

    A footer like "Read more Region and World / Jordan News" is a link list, not prose: once
    a related-link line is followed only by link-like lines (short, no closing punctuation),
    nothing after it belongs to the story.
    """
    kept: list[str] = []
    for index, line in enumerate(paragraphs):
        if not is_related_link(line):
            kept.append(line)
            continue
        rest = paragraphs[index + 1 :]
        if all(_link_like(after) for after in rest):
            break
    return kept


def _drop_leading_title_and_dateline(paragraphs: list[str], title: str) -> list[str]:
    """Remove headline repeats and a dateline at the start of the body (seeds 000 and 001)."""
    key = _loose(title) if title else ""
    start = 0
    while start < len(paragraphs):
        line = paragraphs[start]
        if (key and _loose(line) == key) or DATELINE_ONLY.match(line):
            start += 1
            continue
        break
    body = paragraphs[start:]
    if body:
        body[0] = DATELINE_PREFIX.sub("", body[0])
    return body


def clean_paragraphs(paragraphs: Sequence[str], title: str = "") -> list[str]:
    """Apply every text rule to extracted paragraphs, keeping their order.

    Whitespace inside each paragraph is collapsed; empty paragraphs and exact repeats of an
    earlier paragraph are dropped.
    """
    lines = [collapse_whitespace(strip_ad_suffix(collapse_whitespace(p))) for p in paragraphs]
    lines = [line for line in lines if line and not is_noise_line(line)]
    lines = _drop_leading_title_and_dateline(lines, title)
    lines = _cut_trailing_related(lines)
    seen: set[str] = set()
    unique: list[str] = []
    for line in lines:
        if line and line not in seen:
            seen.add(line)
            unique.append(line)
    return unique
