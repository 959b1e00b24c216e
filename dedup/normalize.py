"""Text normalisation shared by exact keys, shingling and the verdict.

Extracted pages of one article differ in noise that says nothing about
authorship: Unicode forms, casing, a date stamped in front of the first
paragraph, the title repeated as a first line, "Read more" footers and ad
labels pasted into paragraphs. Everything here removes such noise so that two
copies of one text normalise to one string, and so that later stages compare
wording rather than page furniture.

Input is the seed format: a title line, a blank line, then paragraphs
separated by blank lines (single newlines are tolerated as separators too).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
    "|gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|novembre|dicembre"
    "|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
    "|januar|februar|märz|juni|juli|oktober|dezember"
    "|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre"
    "|января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря"
)
_LABEL = (
    r"(?:date|dated|published|updated|posted|last updated|pubblicato|aggiornato|publié|mis à jour"
    r"|veröffentlicht|aktualisiert|publicado|actualizado|опубликовано|обновлено|发布时间|发布|更新"
    r"|تاريخ النشر|نشر)"
)
_TIME = r"(?:[,\s]+(?:at\s+)?\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:\s*(?:am|pm|gmt|utc|cet|msk|et))?)?"
_DATE = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}(?:t\d{2}:\d{2}(?::\d{2})?(?:z|[+-]\d{2}:?\d{2})?)?"
    r"|\d{1,2}[./]\d{1,2}[./]\d{2,4}"
    r"|\d{4}年\d{1,2}月\d{1,2}日"
    rf"|(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?\d{{1,2}}\.?\s+(?:de\s+)?(?:{_MONTHS})\.?,?\s+(?:de\s+)?\d{{4}}"
    rf"|(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
)
# A date, optionally labelled and followed by a time and a separator, at the very start.
_DATE_PREFIX = re.compile(rf"^\s*(?:{_LABEL}\s*:?\s*)?{_DATE}{_TIME}\s*(?:[-–—|:·,]\s*)?(?=\W|$)")

# Whole lines that pages append around articles; matched after casefolding.
_BOILERPLATE_LINE = re.compile(
    r"^(?:read more\b.*|read also\b.*|also read\b.*|related:.*|see also\b.*|more on this\b.*"
    r"|advertisement|sponsored(?: content)?|click here to .*|subscribe to .*|sign up for .*"
    r"|share this (?:article|story).*|follow us on .*|source: news agenc(?:y|ies)"
    r"|leggi anche\b.*|pubblicità|читайте также\b.*|реклама|lire aussi\b.*|publicité"
    r"|lesen sie auch\b.*|anzeige|werbung|lee también\b.*|publicidad|阅读更多.*|广告"
    r"|اقرأ أيضا.*|اقرأ أيضاً.*|إعلان|اعلان|اضافة اعلان)$"
)
# Ad labels that extraction glues onto the end of a paragraph.
_AD_LABEL = re.compile(r"\s*(?:اضافة اعلان|إضافة إعلان)\s*")
# The label's last word, in either spelling: where neither occurs the label cannot either,
# and a substring test spares the regex a try at every character of every text.
_AD_WORDS = ("اعلان", "إعلان")


def _fold(text: str) -> str:
    # casefold can leave decomposed or compatibility forms behind, hence NFKC on both sides.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def strip_date_prefix(line: str) -> str:
    """Remove every date stamp at the start of an already folded line."""
    while True:
        stripped = _DATE_PREFIX.sub("", line, count=1).strip()
        if stripped == line:
            return line
        line = stripped


def clean_lines(text: str) -> list[str]:
    """Folded, de-noised non-empty lines of a seed-format text, title first.

    The verdict needs paragraph structure, which `normalize_text` flattens; both
    share this one cleaning pass so that they never disagree on what is noise.
    """
    lines: list[str] = []
    title: str | None = None
    folded = _fold(text)
    has_ad = any(word in folded for word in _AD_WORDS)
    for raw in folded.split("\n"):
        # str.split() splits on exactly what the regex class \s matches, and a line holds no
        # newline: this collapses and strips the line's whitespace at a third of a regex's cost.
        line = " ".join((_AD_LABEL.sub(" ", raw) if has_ad else raw).split())
        if not line or _BOILERPLATE_LINE.match(line):
            continue
        if len(lines) < 2:
            # Date stamps sit in front of the title or of the first paragraph.
            line = strip_date_prefix(line)
            if not line:
                continue
        if title is None:
            title = line
        elif line == title or line == lines[-1]:
            continue
        lines.append(line)
    return lines


def normalize_text(text: str) -> str:
    """Folded one-line form of an article: the input of exact-duplicate keys.

    Applied to its own output it is a no-op: cleaning is repeated until nothing
    changes, because removing one stamp or label can expose another.
    """
    return normalize_lines(clean_lines(text))


def normalize_lines(lines: list[str]) -> str:
    """`normalize_text` of a text whose `clean_lines` are already known (saves a pass).

    The lines are joined with single spaces, and no whitespace needs collapsing again:
    `clean_lines` gives no empty line, and each is split on whitespace and joined with
    spaces (a date stamp cut from its start is stripped off with the space after it).
    Collapsing the joined text anyway, twice per round, was half of this function's cost.
    """
    current = " ".join(lines)
    while True:
        again = " ".join(clean_lines(current))
        if again == current:
            return current
        current = again


def content_key(text: str) -> str:
    """Hex sha256 of `normalize_text`: two articles with one key are exact duplicates."""
    return key_of_normalized(normalize_text(text))


def key_of_normalized(normalized: str) -> str:
    """`content_key` for text that already went through `normalize_text`."""
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()
