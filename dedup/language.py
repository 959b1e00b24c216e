"""Offline language identification: scripts first, then stopwords.

Only the choice between "same language" and "cross-lingual" comparison rests
on this, so a cheap guess over the covered languages (en, it, ru, zh, ar, fr,
de, es) is enough and no model has to be shipped or downloaded.
"""

from __future__ import annotations

import re

STOPWORDS_BY_LANGUAGE: dict[str, frozenset[str]] = {
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
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language; "und" when nothing tells."""
    sample = text[:4000]
    counts = {
        "zh": len(_HAN.findall(sample)),
        "ru": len(_CYRILLIC.findall(sample)),
        "ar": len(_ARABIC.findall(sample)),
        "latin": len(_LATIN.findall(sample)),
    }
    script = max(counts, key=lambda name: counts[name])
    if counts[script] == 0:
        return "und"
    if script != "latin":
        return script
    words = [word.casefold() for word in _WORD.findall(sample)]
    scores = {
        lang: sum(word in stop for word in words) for lang, stop in STOPWORDS_BY_LANGUAGE.items()
    }
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] > 0 else "und"
