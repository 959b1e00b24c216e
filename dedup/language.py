"""Offline language identification: scripts first, then stopwords.

Only the choice between "same language" and "cross-lingual" comparison rests
on this, so a cheap guess over the covered languages (en, it, ru, zh, ar, fr,
de, es) is enough and no model has to be shipped or downloaded.
"""

from __future__ import annotations

import re
from collections import Counter

STOPWORDS_BY_LANGUAGE: dict[str, frozenset[str]] = {
    "pt": frozenset(
        [
            "de",
            "que",
            "não",
            "uma",
            "com",
            "para",
            "os",
            "no",
            "se",
            "na",
            "por",
            "mais",
            "as",
            "dos",
            "ao",
        ]
    ),
    "en": frozenset(
        [
            "the",
            "of",
            "and",
            "to",
            "in",
            "is",
            "that",
            "for",
            "on",
            "with",
            "as",
            "was",
            "by",
            "at",
            "from",
            "it",
            "his",
            "has",
            "have",
            "said",
            "its",
            "were",
            "this",
            "which",
            "be",
            "an",
            "are",
            "not",
            "but",
            "their",
            "they",
            "who",
            "after",
        ]
    ),
    "it": frozenset(
        [
            "il",
            "lo",
            "la",
            "gli",
            "le",
            "di",
            "del",
            "della",
            "dei",
            "delle",
            "che",
            "è",
            "per",
            "con",
            "una",
            "un",
            "non",
            "sono",
            "ha",
            "alla",
            "nel",
            "nella",
            "dal",
            "dalla",
            "anche",
            "più",
            "ma",
            "come",
            "questo",
            "suo",
            "sua",
            "tra",
        ]
    ),
    "fr": frozenset(
        [
            "le",
            "la",
            "les",
            "des",
            "du",
            "de",
            "et",
            "est",
            "une",
            "un",
            "que",
            "qui",
            "pour",
            "dans",
            "sur",
            "pas",
            "avec",
            "au",
            "aux",
            "ce",
            "cette",
            "il",
            "elle",
            "ont",
            "été",
            "par",
            "sont",
            "son",
            "sa",
            "ses",
            "mais",
        ]
    ),
    "de": frozenset(
        [
            "der",
            "die",
            "das",
            "und",
            "ist",
            "nicht",
            "ein",
            "eine",
            "mit",
            "den",
            "dem",
            "des",
            "von",
            "zu",
            "auf",
            "für",
            "im",
            "sich",
            "auch",
            "sie",
            "wie",
            "bei",
            "aus",
            "hat",
            "wurde",
            "nach",
            "dass",
        ]
    ),
    "es": frozenset(
        [
            "el",
            "la",
            "los",
            "las",
            "de",
            "del",
            "y",
            "que",
            "en",
            "un",
            "una",
            "por",
            "con",
            "para",
            "es",
            "se",
            "su",
            "sus",
            "al",
            "lo",
            "como",
            "más",
            "pero",
            "ha",
            "fue",
            "sobre",
            "entre",
            "este",
        ]
    ),
}
_WORD = re.compile(r"[^\W\d_]+")

# Unicode ranges of the scripts that identify a language (or a family) by themselves.
SCRIPT_RANGES: tuple[tuple[str, str], ...] = (
    ("arabic", "\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff"),
    ("cyrillic", "\u0400-\u04ff"),
    ("kana", "\u3040-\u30ff"),
    ("han", "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"),
    ("hangul", "\uac00-\ud7af"),
    ("latin", "A-Za-z\u00c0-\u024f"),
)
_SCRIPT_PATTERNS = {name: re.compile(f"[{chars}]") for name, chars in SCRIPT_RANGES}
_LANGUAGE_OF_SCRIPT = {"arabic": "ar", "cyrillic": "ru", "hangul": "ko", "han": "zh", "kana": "ja"}


def dominant_script(text: str) -> str | None:
    """The script most letters are in; Japanese (kana among the Han) counts as `kana`."""
    counts = {name: len(pattern.findall(text)) for name, pattern in _SCRIPT_PATTERNS.items()}
    if counts["kana"] and counts["kana"] * 10 >= counts["han"]:
        return "kana"
    script, count = max(counts.items(), key=lambda item: item[1])
    return script if count else None


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language; "und" when nothing tells.

    The script decides for non-Latin text; Latin text is told apart by its
    frequent short words. Offline and model-free on purpose.
    """
    sample = text[:4000]
    script = dominant_script(sample)
    if script is None:
        return "und"
    if script != "latin":
        return _LANGUAGE_OF_SCRIPT.get(script, "und")
    words = Counter(word.casefold() for word in _WORD.findall(sample))
    scores = {
        lang: sum(words[word] for word in stop) for lang, stop in STOPWORDS_BY_LANGUAGE.items()
    }
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] > 0 else "und"
