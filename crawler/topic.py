"""The topic relevance score: Sino-Russian diplomacy out of the box, any subject by file.

The topic is data (``crawler/topic.toml``, or a user file via
``NEWSMON_TOPIC``): concepts with multilingual variants, each on a side.
A topic names its required sides; a page must mention every one of them
(for the built-in topic, a China side *and* a Russia side: that is what
separates Sino-Russian coverage from the far larger streams of China-only and
Russia-only news). Boost sides (diplomacy) only raise the score. See the TOML
header for the term syntax and the scoring formula.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import ahocorasick

__all__ = [
    "ENV_VAR",
    "SIDES",
    "Concept",
    "Topic",
    "TopicConfigError",
    "TopicScore",
    "load_topic",
]

ENV_VAR = "NEWSMON_TOPIC"
#: The built-in topic's sides, the defaults of a file that names none.
SIDES = ("china", "russia", "both", "diplomacy")
REQUIRED_SIDES = ("china", "russia")
BOOST_SIDES = ("diplomacy",)
#: A concept on this side counts for every required side ("both" is its older name).
EVERY_SIDE = ("all", "both")

#: Scripts written without spaces between words, or with clitics glued to
#: words (Arabic), where word boundaries would miss most occurrences.
_UNSPACED = re.compile(
    r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff"  # Arabic
    r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"  # kana, CJK ideographs
)
_WORD_CHAR = re.compile(r"\w")
_ARABIC_MARKS = re.compile(r"[\u0640\u064b-\u065f\u0670]")
#: Scripts the lexicon covers; a title with letters of any other script cannot be judged.
_COVERED_SCRIPTS = ("LATIN", "CYRILLIC", "CJK", "ARABIC")


class TopicConfigError(ValueError):
    """A bad topic file; ``problems`` holds one sentence per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def _fold(text: str) -> str:
    """The normalisation applied to both text and terms before matching."""
    text = unicodedata.normalize("NFKC", text)
    return _ARABIC_MARKS.sub("", text.replace("ё", "е").replace("Ё", "Е"))


def _term_pattern(term: str, *, cased: bool) -> str:
    term = _fold(term.strip())
    if not cased:
        # Matched against casefolded text: cheaper than (?i:...) groups, which stop the
        # regex engine from scanning for a literal first character.
        term = term.casefold()
    body = r"\s+".join(
        re.escape(word[:-1]) + r"\w*" if word.endswith("*") else re.escape(word)
        for word in term.split()
    )
    if _UNSPACED.search(term):
        return body
    # The leading word boundary is checked in Python (see Concept.count): a
    # lookbehind at the start of every alternative defeats the regex engine's
    # first-character scan and makes scoring three times slower.
    return rf"{body}(?!\w)"


def _spellings(terms: list[str], *, cased: bool) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each term's literal head (its first word, without a trailing "*") and its pattern,
    longest term first, so that one occurrence counts once: 俄罗斯 before 俄."""
    ordered = sorted(terms, key=len, reverse=True)
    spellings = []
    for term in ordered:
        folded = _fold(term.strip())
        head = (folded if cased else folded.casefold()).split()[0].removesuffix("*")
        if head:
            spellings.append((head, re.compile(_term_pattern(term, cased=cased))))
    return tuple(spellings)


@dataclass(frozen=True, slots=True)
class Concept:
    """A named thing with its spellings, on one side of the topic."""

    name: str
    side: str
    weight: float
    uncased: tuple[tuple[str, re.Pattern[str]], ...]  # matched against casefolded text
    cased: tuple[tuple[str, re.Pattern[str]], ...]  # matched against the text as written

    @classmethod
    def build(
        cls, name: str, side: str, weight: float, terms: list[str], cased: list[str]
    ) -> Concept:
        return cls(
            name, side, weight, _spellings(terms, cased=False), _spellings(cased, cased=True)
        )


#: Per automaton key: the key's length and every (concept, rank, pattern) whose head it is.
_Entries = tuple[int, list[tuple[int, int, re.Pattern[str]]]]


class _Lexicon:
    """Every spelling of every concept, found in one pass over the text.

    An Aho–Corasick automaton (pyahocorasick) finds where any spelling's literal head occurs;
    only there is the spelling's own pattern tried, in the concept's longest-first order, so
    the matches are exactly those ``re.finditer`` over each concept's alternation would give,
    at a fraction of the cost of scanning the text once per concept and case.
    """

    def __init__(self, concepts: tuple[Concept, ...]) -> None:
        self.size = len(concepts)
        self.uncased = self._automaton([c.uncased for c in concepts])
        self.cased = self._automaton([c.cased for c in concepts])

    @staticmethod
    def _automaton(spellings: list[tuple[tuple[str, re.Pattern[str]], ...]]) -> Any:
        automaton = ahocorasick.Automaton()
        for index, concept in enumerate(spellings):
            for rank, (head, pattern) in enumerate(concept):
                entries: _Entries = automaton.get(head, (len(head), []))
                entries[1].append((index, rank, pattern))
                automaton.add_word(head, entries)
        if len(automaton):
            automaton.make_automaton()
            return automaton
        return None

    def starts(self, automaton: Any, text: str) -> list[set[int]]:
        """Per concept, where its spellings match at the start of a word (anywhere for
        CJK/Arabic spellings)."""
        found: list[list[tuple[int, int, re.Pattern[str]]]] = [[] for _ in range(self.size)]
        if automaton is not None:
            for end, (length, entries) in automaton.iter(text):
                for index, rank, pattern in entries:
                    found[index].append((end - length + 1, rank, pattern))
        result = []
        for candidates in found:
            # By place, then longest spelling first; no two share both, so the patterns
            # are never compared.
            candidates.sort()
            starts: set[int] = set()
            reach = 0
            for start, _rank, pattern in candidates:
                match = pattern.match(text, start) if start >= reach else None
                if match is None:
                    continue
                reach = max(match.end(), start + 1)
                if (
                    start == 0
                    or _UNSPACED.match(match.group())
                    or not _WORD_CHAR.match(text, start - 1)
                ):
                    starts.add(start)
            result.append(starts)
        return result


@dataclass(frozen=True, slots=True)
class TopicScore:
    """Relevance in [0, 1] and how often each concept matched (zero counts omitted)."""

    score: float
    matches: dict[str, int]


@dataclass(frozen=True, slots=True)
class Topic:
    """A compiled topic definition."""

    concepts: tuple[Concept, ...]
    lexicon: _Lexicon
    threshold: float
    languages: frozenset[str]
    pair_weight: float = 0.8
    diplomacy_weight: float = 0.2
    saturation: float = 2.0
    required: tuple[str, ...] = REQUIRED_SIDES
    boost: tuple[str, ...] = BOOST_SIDES
    name: str = "Sino-Russian diplomacy"

    def _matches(self, text: str) -> dict[str, int]:
        """Matches per concept; a cased spelling that the uncased ones also match at the
        same place (Xi Jinping) counts once."""
        folded = _fold(text)
        casefolded = folded.casefold()
        same_places = len(folded) == len(casefolded)
        uncased = self.lexicon.starts(self.lexicon.uncased, casefolded)
        cased = self.lexicon.starts(self.lexicon.cased, folded)
        counts = {}
        for concept, lower, written in zip(self.concepts, uncased, cased, strict=True):
            count = len(lower | written) if same_places else len(lower) + len(written)
            if count:
                counts[concept.name] = count
        return counts

    def score(self, text: str) -> TopicScore:
        """Score a text: every required side must be present for a non-zero score.

        The sides' saturated masses are combined by their geometric mean (for two
        sides, the square root of their product).
        """
        matches = self._matches(text)
        mass: dict[str, float] = {}
        for concept in self.concepts:
            side = "all" if concept.side in EVERY_SIDE else concept.side
            mass[side] = mass.get(side, 0.0) + concept.weight * matches.get(concept.name, 0)

        def saturate(x: float) -> float:
            return x / (x + self.saturation)

        every = mass.get("all", 0.0)
        pair = math.prod(saturate(mass.get(s, 0.0) + every) for s in self.required) ** (
            1 / len(self.required)
        )
        boost = sum(mass.get(s, 0.0) for s in self.boost)
        diplomacy = saturate(boost) if pair > 0 else 0.0
        total = self.pair_weight * pair + self.diplomacy_weight * diplomacy
        score = total / (self.pair_weight + self.diplomacy_weight)
        return TopicScore(score=min(1.0, max(0.0, score)), matches=matches)

    def is_relevant(self, score: TopicScore | float) -> bool:
        """The strict, post-extraction decision."""
        value = score.score if isinstance(score, TopicScore) else score
        return value >= self.threshold

    def title_may_be_relevant(self, title: str | None, language: str | None = None) -> bool:
        """The lenient pre-fetch check: False only when a title clearly says nothing.

        A title in a language or script the lexicon does not cover cannot be
        judged and passes; so does any title that mentions a concept of
        either side or a diplomacy term, since the article may name the
        other side.
        """
        if not title or not title.strip():
            return True
        if language and language.lower().replace("_", "-").split("-")[0] not in self.languages:
            return True
        for char in title:
            if char.isalpha() and not unicodedata.name(char, "").startswith(_COVERED_SCRIPTS):
                return True
        return bool(self._matches(title))


# --------------------------------------------------------------------- loading


def _number(
    table: Mapping[str, Any], key: str, default: float, where: str, problems: list[str]
) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        problems.append(f"{where} {key} must be a non-negative number, not {value!r}.")
        return default
    return float(value)


def _strings(table: Mapping[str, Any], key: str, where: str, problems: list[str]) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(
            f'{where} {key} must be a list of non-empty strings, e.g. {key} = ["Putin"].'
        )
        return []
    return value


def _build(document: Mapping[str, Any], source: str) -> Topic:
    problems: list[str] = []
    known = {"name", "languages", "threshold", "sides", "boost", "scoring", "concept"}
    problems += [
        f'In {source}, the top-level key "{key}" is unknown; use {", ".join(sorted(known))}.'
        for key in document
        if key not in known
    ]
    name = document.get("name", "Sino-Russian diplomacy" if "sides" not in document else source)
    if not isinstance(name, str) or not name.strip():
        problems.append(f'In {source}, name must be a non-empty string, e.g. name = "Iran talks".')
        name = source
    required = tuple(
        _strings(document, "sides", f"In {source},", problems) or REQUIRED_SIDES
        if "sides" in document
        else REQUIRED_SIDES
    )
    boost = tuple(
        _strings(document, "boost", f"In {source},", problems)
        if "boost" in document
        else (() if "sides" in document else BOOST_SIDES)
    )
    overlap = set(required) & set(boost) | (set(required) | set(boost)) & set(EVERY_SIDE)
    if overlap:
        problems.append(
            f"In {source}, a side is either required (sides) or a boost, and "
            f"{', '.join(EVERY_SIDE)} are reserved: {', '.join(sorted(overlap))}."
        )
    allowed = (*required, *boost, *EVERY_SIDE)
    threshold = _number(document, "threshold", 0.5, f"In {source},", problems)
    if threshold > 1:
        problems.append(f"In {source}, threshold must lie between 0 and 1, not {threshold}.")
    languages = _strings(document, "languages", f"In {source},", problems)
    scoring = document.get("scoring", {})
    if not isinstance(scoring, dict):
        problems.append(f"In {source}, scoring must be a [scoring] table.")
        scoring = {}
    where = f"In {source}, [scoring]"
    pair_weight = _number(scoring, "pair_weight", 0.8, where, problems)
    diplomacy_weight = _number(scoring, "diplomacy_weight", 0.2, where, problems)
    saturation = _number(scoring, "saturation", 2.0, where, problems)
    if pair_weight <= 0 or saturation <= 0:
        problems.append(f"{where} pair_weight and saturation must be greater than 0.")
    concepts = []
    tables = document.get("concept", {})
    if not isinstance(tables, dict) or not tables:
        problems.append(f"In {source}, define at least one [concept.NAME] table.")
        tables = {}
    for concept_name, table in tables.items():
        where = f"In {source}, [concept.{concept_name}]"
        if not isinstance(table, dict):
            problems.append(f"{where} must be a table with side, weight and terms.")
            continue
        unknown = set(table) - {"side", "weight", "terms", "cased"}
        if unknown:
            problems.append(
                f"{where} has unknown keys {sorted(unknown)}; use side, weight, terms and cased."
            )
        side = table.get("side")
        if side not in allowed:
            problems.append(
                f"{where} side must be one of {', '.join(allowed)}, not {side!r} (a topic "
                'declares its sides: sides = ["iran", "nuclear"], boost = ["talks"]).'
            )
        weight = _number(table, "weight", 1.0, where, problems)
        terms = _strings(table, "terms", where, problems)
        cased = _strings(table, "cased", where, problems)
        if not terms and not cased:
            problems.append(f'{where} has no terms; add terms = ["..."].')
        elif side in allowed:
            concepts.append(Concept.build(concept_name, str(side), weight, terms, cased))
    if problems:
        raise TopicConfigError(problems)
    return Topic(
        concepts=tuple(concepts),
        lexicon=_Lexicon(tuple(concepts)),
        threshold=threshold,
        languages=frozenset(languages),
        pair_weight=pair_weight,
        diplomacy_weight=diplomacy_weight,
        saturation=saturation,
        required=required,
        boost=boost,
        name=name.strip(),
    )


def load_topic(path: Path | None = None) -> Topic:
    """Load a topic file: ``path``, else ``$NEWSMON_TOPIC``, else the built-in one."""
    if path is None and os.environ.get(ENV_VAR):
        path = Path(os.environ[ENV_VAR])
    try:
        if path is None:
            source = "the built-in topic (crawler/topic.toml)"
            text = resources.files("crawler").joinpath("topic.toml").read_text(encoding="utf-8")
        else:
            source = str(path)
            text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TopicConfigError(
            [f"The topic file {path} cannot be read ({exc}); check the path in {ENV_VAR}."]
        ) from exc
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TopicConfigError(
            [f"{source} is not valid TOML ({exc}); fix the syntax there."]
        ) from exc
    return _build(document, source)
