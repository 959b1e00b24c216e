"""Language-independent anchors: names, numbers, dates and quotes.

A translation rewords every sentence but keeps who, how many and when, in
roughly the same order; a different report of the same event shares some of
them in a different order; an unrelated article shares only the names every
article on the topic mentions. Anchors are therefore the common currency of
cross-lingual candidate keys and verdicts. They are strings with a type
prefix: ``e:`` entity (built-in alias table), ``n:`` number (scale words
applied, so "147 billion" and "1470亿" agree), ``d:`` month-day, ``m:`` month,
``w:`` weekday. Input is folded text (see `dedup.normalize`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from itertools import compress, count
from operator import itemgetter

import ahocorasick

_MONTH_WORDS: dict[int, tuple[str, ...]] = {
    1: ("january", "jan", "gennaio", "janvier", "januar", "enero", "январ", "يناير"),
    2: ("february", "feb", "febbraio", "février", "februar", "febrero", "феврал", "فبراير"),
    3: ("march", "marzo", "mars", "märz", "март", "مارس"),
    4: ("april", "apr", "aprile", "avril", "abril", "апрел", "أبريل", "ابريل"),
    5: ("may", "maggio", "mai", "mayo", "мая", "май", "мае", "مايو"),
    6: ("june", "jun", "giugno", "juin", "juni", "junio", "июн", "يونيو"),
    7: ("july", "jul", "luglio", "juillet", "juli", "julio", "июл", "يوليو"),
    8: ("august", "aug", "agosto", "août", "август", "أغسطس"),
    9: ("september", "sept", "settembre", "septembre", "septiembre", "сентябр", "سبتمبر"),
    10: ("october", "oct", "ottobre", "octobre", "oktober", "octubre", "октябр", "أكتوبر"),
    11: ("november", "nov", "novembre", "noviembre", "ноябр", "نوفمبر"),
    12: ("december", "dec", "dicembre", "décembre", "dezember", "diciembre", "декабр", "ديسمبر"),
}
# Month names that are also ordinary words count only next to a day number.
_AMBIGUOUS_MONTHS = frozenset({"may", "march", "mars", "mai", "mayo", "май", "jan", "mar"})
_WEEKDAY_WORDS: dict[int, tuple[str, ...]] = {
    1: ("monday", "lunedì", "lundi", "montag", "lunes", "понедельник", "星期一", "周一", "الاثنين"),
    2: (
        "tuesday",
        "martedì",
        "mardi",
        "dienstag",
        "martes",
        "вторник",
        "星期二",
        "周二",
        "الثلاثاء",
    ),
    3: (
        "wednesday",
        "mercoledì",
        "mercredi",
        "mittwoch",
        "miércoles",
        "среда",
        "среду",
        "星期三",
        "周三",
        "الأربعاء",
    ),
    4: (
        "thursday",
        "giovedì",
        "jeudi",
        "donnerstag",
        "jueves",
        "четверг",
        "星期四",
        "周四",
        "الخميس",
    ),
    5: ("friday", "venerdì", "vendredi", "freitag", "viernes", "пятниц", "星期五", "周五"),
    6: ("saturday", "sabato", "samedi", "samstag", "sábado", "суббот", "星期六", "周六", "السبت"),
    7: ("sunday", "domenica", "dimanche", "sonntag", "domingo", "воскресень", "星期日", "周日"),
}
_SCALES: tuple[tuple[float, str], ...] = (
    (1e12, r"trillion|trilioni|trillion|billones|триллион\w*|трлн|万亿|تريليون"),
    (1e9, r"billion|bn|miliard\w*|milliard\w*|mil millones|миллиард\w*|млрд|مليار\w*"),
    (1e8, r"亿"),
    (1e6, r"million\w*|mln|milion\w*|millones|миллион\w*|млн|مليون\w*"),
    (1e4, r"万"),
    (1e3, r"thousand|mila|mille|tausend|тысяч\w*|тыс|ألف|千"),
)
_SCALE_AFTER = re.compile(
    r"\s*(?:de\s+)?(?:("
    + ")|(".join(pattern for _, pattern in _SCALES)
    + r"))(?![^\W\d_\u3400-\u9fff])"
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[^\W\d_\u3400-\u9fff]+(?:['’.-][^\W\d_\u3400-\u9fff]+)*")
_WORD_SPLIT = re.compile(f"({_WORD.pattern})")
_QUOTE = re.compile(
    r"“([^”“]{8,400})”|«([^»«]{8,400})»|„([^“„]{8,400})“|‘([^’‘]{8,400})’"
    r"|\"([^\"]{8,400})\"|「([^」]{4,400})」"
)
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫", "01234567890123456789.")
# Where none occurs, a search is a tenth of the cost of `str.translate`, which looks up
# every character of the text.
_ARABIC_DIGIT = re.compile("[٠-٩۰-۹٫]")
_ARABIC_CLITICS = "وبلف"

ENTITY_WEIGHTS = {"common": 0.25, "specific": 1.0}
"""Common names (China, Putin) barely tell one event from another; specific ones do."""
TYPE_WEIGHTS = {"n": 1.5, "d": 2.0, "m": 0.5, "w": 0.5}


@dataclass(frozen=True)
class _AliasTable:
    exact: dict[str, list[tuple[tuple[str, ...], str]]]
    prefix: dict[str, list[tuple[tuple[str, ...], str]]]
    han: re.Pattern[str]
    han_names: dict[str, str]
    weights: dict[str, float]


@cache
def _aliases() -> _AliasTable:
    raw = tomllib.loads(resources.files("dedup").joinpath("aliases.toml").read_text("utf-8"))
    exact: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    prefix: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    han_names: dict[str, str] = {}
    weights: dict[str, float] = {}
    for kind, table in raw.items():
        for name, variants in table.items():
            anchor = f"e:{name}"
            weights[anchor] = ENTITY_WEIGHTS[kind]
            for variant in variants:
                if re.search(r"[\u3400-\u9fff]", variant):
                    han_names[variant] = anchor
                    continue
                words = tuple(variant.split())
                exact.setdefault(words[0], []).append((words, anchor))
                if len(words[0]) >= 4:
                    prefix.setdefault(words[0], []).append((words, anchor))
    han = re.compile("|".join(sorted(map(re.escape, han_names), key=len, reverse=True)))
    for entries in (*exact.values(), *prefix.values()):
        entries.sort(key=lambda entry: len(entry[0]), reverse=True)
    return _AliasTable(exact, prefix, han, han_names, weights)


def _word_forms(word: str) -> list[str]:
    forms = [word]
    if word[:1] in _ARABIC_CLITICS and len(word) > 3:
        forms.append(word[1:])
    return forms


def _word_matches(variant_word: str, word: str) -> bool:
    if word == variant_word:
        return True
    return (
        len(variant_word) >= 4
        and word.startswith(variant_word)
        and len(word) - len(variant_word) <= 4
    )


@lru_cache(maxsize=1 << 16)
def _entries(word: str) -> tuple[tuple[tuple[str, ...], str], ...]:
    """Alias entries whose first word matches `word` (exactly, by stem, or after a clitic)."""
    table = _aliases()
    found: list[tuple[tuple[str, ...], str]] = []
    for form in _word_forms(word):
        found.extend(table.exact.get(form, ()))
        for k in range(len(form) - 1, max(3, len(form) - 5), -1):
            found.extend(table.prefix.get(form[:k], ()))
    found.sort(key=lambda entry: len(entry[0]), reverse=True)
    return tuple(found)


def _lookup(words: list[str], start: int) -> tuple[str, int] | None:
    for variant, anchor in _entries(words[start]):
        if len(variant) == 1:  # the longest variant left: nothing more to match
            return anchor, 1
        tail = words[start + 1 : start + len(variant)]
        if len(tail) == len(variant) - 1 and all(
            _word_matches(v, w) for v, w in zip(variant[1:], tail, strict=True)
        ):
            return anchor, len(variant)
    return None


@cache
def _name_starts() -> frozenset[str]:
    """The first four letters (or fewer: all) of every alias's first word: a word that
    starts otherwise, clitic or not, has no alias entry (`_entries`), so most words of a
    text are ruled out by one set lookup."""
    table = _aliases()
    return frozenset(word[:4] for word in (*table.exact, *table.prefix))


_ASCII_WORD_SPLIT = re.compile(r"([a-zA-Z]++(?:['’.-][a-zA-Z]++)*+)")
"""`_WORD_SPLIT` for a text whose letters and digits are all ASCII: the same parts, split
about twice as fast (a range of letters where `_WORD` checks each character's category)."""
_NON_ASCII_WORD_CHAR = re.compile(r"[^\W\x00-\x7f]")
_HEAD = itemgetter(slice(None, 4))


def _entities(text: str) -> list[tuple[int, str]]:
    table = _aliases()
    starts = _name_starts()
    # Words and the text between them alternate: [gap, word, gap, word, ..., gap].
    candidates: Iterable[int]
    if text.isascii() or not _NON_ASCII_WORD_CHAR.search(text):
        # No letter beyond ASCII (curly quotes and dashes are no letters): no Han name, no
        # Arabic clitic, and each word's first four letters are looked up without a
        # Python step per word, most of an English paragraph's entity scan.
        found: list[tuple[int, str]] = []
        parts = _ASCII_WORD_SPLIT.split(text)
        words = parts[1::2]
        candidates = compress(count(), map(starts.__contains__, map(_HEAD, words)))
    else:
        found = [(m.start(), table.han_names[m.group()]) for m in table.han.finditer(text)]
        parts = _WORD_SPLIT.split(text)
        words = parts[1::2]
        candidates = [
            i
            for i, word in enumerate(words)
            if word[:4] in starts or (word[:1] in _ARABIC_CLITICS and word[1:5] in starts)
        ]
    offset, counted, free = 0, 0, 0  # text before part `counted`; the first word not taken
    for i in candidates:
        if i < free:
            continue
        hit = _lookup(words, i)
        if hit is None:
            continue
        offset += sum(map(len, parts[counted : 2 * i + 1]))
        counted = 2 * i + 1
        found.append((offset, hit[0]))
        free = i + hit[1]
    return found


_MONTH_BY_WORD = {word: month for month, words in _MONTH_WORDS.items() for word in words}
_WEEKDAY_BY_WORD = {word: day for day, words in _WEEKDAY_WORDS.items() for word in words}


# Month and weekday names count at the start of a run of letters that follows no letter
# (short stems such as июн, jun must not swallow longer words, hence a bounded tail). One
# Aho–Corasick pass finds every place a name occurs, about 15 in a 7,500-character page;
# an alternation of 150 names cost the regex engine a try at every character, and a
# lookup per word a Python step for each of its 1,200 words.
_LETTER = re.compile(r"[^\W\d_]")
_LETTER_RUN = re.compile(r"[^\W\d_]+")
_MONTH_LENGTHS = sorted({len(word) for word in _MONTH_BY_WORD}, reverse=True)
_WEEKDAY_LENGTHS = sorted({len(word) for word in _WEEKDAY_BY_WORD}, reverse=True)
MONTH_TAIL = 6
"""Letters a month stem may carry (июн|я, sept|ember)."""
_HAN_MONTH = re.compile(r"(\d{1,2})月(?:(\d{1,2})[日号])?")


@cache
def _date_words() -> ahocorasick.Automaton:
    """An automaton over every month and weekday name; a hit's value is the name's length."""
    automaton = ahocorasick.Automaton()
    for word in (*_MONTH_BY_WORD, *_WEEKDAY_BY_WORD):
        automaton.add_word(word, len(word))
    automaton.make_automaton()
    return automaton


def _date_word_runs(text: str) -> list[tuple[int, str]]:
    """Runs of letters that start with a month or weekday name, with their offsets."""
    runs = []
    for start in dict.fromkeys(end + 1 - length for end, length in _date_words().iter(text)):
        if start and _LETTER.match(text, start - 1):
            continue  # inside a word
        run = _LETTER_RUN.match(text, start)
        if run:
            runs.append((start, run.group()))
    return runs


def _longest_prefix(run: str, words: dict[str, int], lengths: list[int]) -> str | None:
    """The longest of ``words`` that ``run`` starts with (``lengths``: theirs, longest first)."""
    for length in lengths:
        if length <= len(run) and run[:length] in words:
            return run[:length]
    return None


def _dates(text: str) -> tuple[list[tuple[int, str]], list[tuple[int, int]]]:
    """Month-day anchors, month anchors and weekday anchors, plus the spans they use."""
    found: list[tuple[int, str]] = []
    spans: list[tuple[int, int]] = []
    if "月" in text:
        for m in _HAN_MONTH.finditer(text):
            month = int(m.group(1))
            if 1 <= month <= 12:
                anchor = f"d:{month:02d}-{int(m.group(2)):02d}" if m.group(2) else f"m:{month:02d}"
                found.append((m.start(), anchor))
                spans.append(m.span())
    for start, word in _date_word_runs(text):
        weekday = _longest_prefix(word, _WEEKDAY_BY_WORD, _WEEKDAY_LENGTHS)
        if weekday is not None:
            found.append((start, f"w:{_WEEKDAY_BY_WORD[weekday]}"))
        stem = _longest_prefix(word, _MONTH_BY_WORD, _MONTH_LENGTHS)
        if stem is None:
            continue
        tail = word[len(stem) : len(stem) + MONTH_TAIL]
        if len(stem) < 4 and (len(tail) > 2 or (stem.isascii() and tail)):
            continue
        end = start + len(stem) + len(tail)
        month = _MONTH_BY_WORD[stem]
        before = re.search(
            r"(?<!\d)(\d{1,2})(?:st|nd|rd|th|er|-?го|\.)?\s+(?:de\s+)?$",
            text[max(0, start - 12) : start],
        )
        after = re.match(r"\s+(\d{1,2})(?:st|nd|rd|th)?(?!\d)", text[end : end + 8])
        if before and 1 <= int(before.group(1)) <= 31:
            found.append((start, f"d:{month:02d}-{int(before.group(1)):02d}"))
            spans.append((start - len(before.group()), end))
        elif after and 1 <= int(after.group(1)) <= 31:
            found.append((start, f"d:{month:02d}-{int(after.group(1)):02d}"))
            spans.append((start, end + after.end()))
        elif stem not in _AMBIGUOUS_MONTHS and len(tail) <= 3:
            found.append((start, f"m:{month:02d}"))
    return found, spans


def _number_value(digits: str) -> float:
    if digits.isdecimal():  # no separator: most numbers, read without splitting
        return float(digits)
    groups = re.split(r"[.,]", digits)
    if len(groups) > 1 and all(len(g) == 3 for g in groups[1:]):
        return float("".join(groups))
    if len(groups) == 2:
        return float(f"{groups[0]}.{groups[1]}")
    return float("".join(groups))


def _numbers(text: str, taken: list[tuple[int, int]]) -> list[tuple[int, str]]:
    found = []
    for m in _NUMBER.finditer(text):
        if taken and any(start <= m.start() < end for start, end in taken):
            continue
        value = _number_value(m.group())
        scale = _SCALE_AFTER.match(text, m.end())
        if scale:
            value *= next(
                factor for (factor, _), group in zip(_SCALES, scale.groups(), strict=True) if group
            )
        found.append((m.start(), f"n:{value:.6g}"))
    return found


def paragraph_anchors(paragraph: str) -> list[str]:
    """Anchors of one folded paragraph in reading order."""
    text = paragraph.translate(_ARABIC_DIGITS) if _ARABIC_DIGIT.search(paragraph) else paragraph
    dates, spans = _dates(text)
    found = _entities(text) + dates + _numbers(text, spans)
    found.sort()
    return [anchor for _, anchor in found]


def anchor_weight(anchor: str) -> float:
    """How much sharing this anchor says that two texts report one thing."""
    if anchor.startswith("e:"):
        return _aliases().weights.get(anchor, 1.0)
    return TYPE_WEIGHTS[anchor[0]]


def quotes(paragraph: str) -> list[str]:
    """Quoted passages of at least three words, whitespace-collapsed."""
    found = []
    for m in _QUOTE.finditer(paragraph):
        quote = " ".join(next(g for g in m.groups() if g).split())
        if len(quote.split()) >= 3 or re.search(r"[\u3400-\u9fff]", quote):
            found.append(quote)
    return found
