"""Build the labelled development set of the relation verdict.

Run ``python -m tests.dedup.make_pairs`` from the repository root; it rewrites
``tests/data/pairs/dev.jsonl`` deterministically (fixed seed) from the texts in
``tests/data/pairs/corpus.txt`` and the five seeds in ``tests/data/pairs/seeds``.
It does not import ``dedup``: labels come from how each pair was made, never
from the method under test.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "pairs"
SEED = 20240616

# Word swaps a spinning tool makes; applied to whole words, case kept.
SYNONYMS = {
    "said": ["stated", "noted", "declared"],
    "says": ["states", "notes"],
    "told": ["informed"],
    "arrived": ["landed"],
    "visit": ["trip"],
    "leaders": ["heads of state"],
    "talks": ["discussions"],
    "expected": ["anticipated"],
    "sign": ["conclude"],
    "statement": ["declaration"],
    "relations": ["ties"],
    "discuss": ["address"],
    "war": ["conflict"],
    "city": ["town"],
    "open": ["inaugurate"],
    "first": ["initial"],
    "trip": ["journey"],
    "earlier": ["previously"],
    "month": ["period"],
    "welcomed": ["greeted"],
    "ceremony": ["event"],
    "played": ["performed"],
    "chief": ["head"],
    "moving": ["progressing"],
    "final": ["definitive"],
    "carry": ["transport"],
    "almost": ["nearly"],
    "people": ["individuals"],
    "familiar": ["acquainted"],
    "seeking": ["pursuing"],
    "close": ["near"],
    "wants": ["wishes"],
    "small": ["minor"],
    "part": ["portion"],
    "ready": ["prepared"],
    "start": ["begin"],
    "soon": ["quickly"],
    "agreed": ["concurred"],
    "met": ["held talks with"],
    "counterpart": ["opposite number"],
    "discussed": ["debated"],
    "possible": ["potential"],
    "ways": ["means"],
    "according": ["as per"],
    "supported": ["backed"],
    "efforts": ["attempts"],
    "continue": ["carry on"],
    "also": ["additionally"],
    "work": ["labour"],
    "new": ["fresh"],
    "idea": ["concept"],
    "promoted": ["championed"],
    "held": ["conducted"],
    "meeting": ["gathering"],
    "praised": ["lauded"],
    "invited": ["asked"],
    "countries": ["nations"],
    "due": ["set"],
    "skipped": ["missed"],
    "sent": ["dispatched"],
    "began": ["started"],
    "include": ["comprise"],
    "aimed": ["intended"],
    "demonstrate": ["show"],
    "jointly": ["together"],
    "rejected": ["dismissed"],
    "rose": ["climbed"],
    "record": ["all-time high"],
    "showed": ["indicated"],
    "target": ["goal"],
    "jumped": ["surged"],
    "driven": ["propelled"],
    "grew": ["increased"],
    "largest": ["biggest"],
    "shipping": ["sending"],
    "payments": ["transactions"],
    "now": ["currently"],
    "rather": ["instead"],
    "stopped": ["ceased"],
    "accepting": ["taking"],
    "threatened": ["warned of"],
    "allows": ["enables"],
    "helps": ["assists"],
    "weeks": ["several weeks"],
    "charging": ["demanding"],
    "blamed": ["faulted"],
    "pressure": ["strain"],
    "struck": ["hit"],
    "injuring": ["hurting"],
    "warning": ["cautioning"],
    "risk": ["danger"],
    "higher": ["greater"],
    "cancelled": ["called off"],
    "cut": ["lowered"],
    "fell": ["dropped"],
    "expect": ["anticipate"],
    "reported": ["recorded"],
    "losses": ["damage"],
    "provide": ["supply"],
    "burned": ["been scorched"],
    "forced": ["driven"],
    "conditions": ["circumstances"],
    "won": ["claimed"],
    "beating": ["defeating"],
    "important": ["key"],
    "shrank": ["contracted"],
    "warned": ["cautioned"],
    "expanded": ["widened"],
    "widely": ["broadly"],
    "urged": ["pressed"],
    "breaking": ["smashing"],
    "ran": ["raced"],
    "intercepted": ["met"],
    "stayed": ["remained"],
    "threat": ["danger"],
    "growing": ["rising"],
    "monitor": ["watch"],
    "agreements": ["accords"],
    "exports": ["shipments"],
    "struggling": ["battling"],
    "tightened": ["stiffened"],
    "issue": ["matter"],
    "signed": ["inked"],
    "called": ["urged"],
    "stop": ["halt"],
    "discussion": ["debate"],
    "reform": ["overhaul"],
    "largely": ["mostly"],
    "country": ["nation"],
    "president": ["leader"],
    "after": ["following"],
    "before": ["ahead of"],
    "including": ["such as"],
    "about": ["around"],
    "between": ["among"],
    "would": ["will"],
    "which": ["that"],
    "while": ["whereas"],
    "since": ["ever since"],
    "time": ["occasion"],
    "during": ["throughout"],
    "against": ["versus"],
    "under": ["beneath"],
    "still": ["yet"],
    "many": ["numerous"],
    "year": ["twelve months"],
    "percent": ["per cent"],
    "two": ["both"],
    "more": ["over"],
    "than": ["compared with"],
    "most": ["the bulk of"],
    "some": ["certain"],
}
FILLERS = [
    "Officials said the details were still being finalised.",
    "The announcement drew wide attention in the region.",
    "Observers described the development as significant.",
]
BOILERPLATE = [
    "Advertisement",
    "Share this article on social media",
    "© 2024 Newswire. All rights reserved.",
    "Follow us on Telegram",
    "Read more: latest world news",
]
DATE_PREFIXES = [
    "16 June 2022 - ",
    "Published 2024-05-16 08:30 ",
    "date 2024-07-03 ",
    "July 25, 2024 | ",
    "12/01/2024 ",
]


@dataclass(frozen=True)
class Text:
    id: str
    lang: str
    kind: str
    text: str

    @property
    def title(self) -> str:
        return self.text.split("\n\n")[0]

    @property
    def paragraphs(self) -> list[str]:
        return self.text.split("\n\n")[1:]


def load_corpus(path: Path = DATA / "corpus.txt") -> dict[str, Text]:
    records: dict[str, Text] = {}
    header: list[str] | None = None
    lines: list[str] = []

    def flush() -> None:
        if header:
            body = "\n".join(lines).strip()
            body = re.sub(r"\n{3,}", "\n\n", body)
            records[header[0]] = Text(header[0], header[1], header[2], body)

    for line in path.read_text("utf-8").splitlines():
        if line.startswith("#") and header is None:
            continue
        if line.startswith("=== "):
            flush()
            header, lines = line[4:].split(), []
        else:
            lines.append(line)
    flush()
    return records


def join(title: str, paragraphs: list[str]) -> str:
    return "\n\n".join([title, *paragraphs])


def swap_synonyms(text: str, rng: random.Random, rate: float) -> str:
    def swap(match: re.Match[str]) -> str:
        word = match.group()
        choices = SYNONYMS.get(word.lower())
        if not choices or rng.random() > rate:
            return word
        new = rng.choice(choices)
        return new[0].upper() + new[1:] if word[0].isupper() else new

    return re.sub(r"[A-Za-z]+", swap, text)


def sentences(paragraph: str) -> list[str]:
    return re.split(r"(?<=[.!?\"”]) (?=[A-Z\"“])", paragraph)


def reorder(paragraphs: list[str], rng: random.Random) -> list[str]:
    out = []
    for paragraph in paragraphs:
        parts = sentences(paragraph)
        rng.shuffle(parts)
        out.append(" ".join(parts))
    if len(out) > 2:
        out[1], out[2] = out[2], out[1]
    return out


def light_edits(paragraphs: list[str], rng: random.Random) -> list[str]:
    out = []
    for paragraph in paragraphs:
        paragraph = re.sub(r"\b(the two|both) ", "the pair of ", paragraph, count=1)
        paragraph = paragraph.replace(" on Thursday", "").replace(" on Wednesday", "")
        parts = sentences(paragraph)
        if len(parts) > 1 and rng.random() < 0.5:
            parts.pop()
        out.append(" ".join(parts))
    return out


def spin(base: Text, rng: random.Random, extra: str) -> str:
    """A reworded copy: synonyms always, plus one named extra operation."""
    title = swap_synonyms(base.title, rng, 0.9)
    paragraphs = [swap_synonyms(p, rng, 0.9) for p in base.paragraphs]
    if extra == "reorder":
        paragraphs = reorder(paragraphs, rng)
    elif extra == "drop":
        del paragraphs[rng.randrange(1, len(paragraphs))]
    elif extra == "edits":
        paragraphs = light_edits(paragraphs, rng)
    elif extra == "add":
        paragraphs.insert(rng.randrange(1, len(paragraphs)), rng.choice(FILLERS))
    elif extra == "date_prefix":
        paragraphs[0] = rng.choice(DATE_PREFIXES) + paragraphs[0]
    elif extra == "repeated_title":
        paragraphs.insert(0, title)
    return join(title, paragraphs)


def near_duplicate(base: Text, rng: random.Random, kind: str) -> str:
    paragraphs = list(base.paragraphs)
    if kind == "trimmed":
        paragraphs.pop()
    elif kind == "boilerplate":
        paragraphs.insert(1, "Advertisement")
        paragraphs.extend([BOILERPLATE[2], rng.choice(BOILERPLATE[3:])])
    elif kind == "updated_figure":
        paragraphs = [
            re.sub(r"\d+", lambda m: str(int(m.group()) + 1), p, count=1) for p in paragraphs
        ]
    elif kind == "edited_sentence":
        index = rng.randrange(len(paragraphs))
        paragraphs[index] = paragraphs[index] + " " + rng.choice(FILLERS)
    return join(base.title, paragraphs)


def exact_variant(base: Text, rng: random.Random, kind: str) -> str:
    if kind == "whitespace":
        return "  " + base.text.replace(" ", "  ").replace("\n\n", "\n\n\n") + "\n  \n"
    if kind == "case":
        return join(base.title.upper(), [p.lower() for p in base.paragraphs])
    if kind == "unicode":
        fullwidth = str.maketrans("0123456789", "０１２３４５６７８９")
        return base.text.translate(fullwidth).replace(" ", "\u00a0", 5)
    if kind == "date_prefix":
        return join(base.title, [rng.choice(DATE_PREFIXES).strip(" -|"), *base.paragraphs])
    if kind == "repeated_title":
        return join(base.title, [base.title, *base.paragraphs])
    return base.text + "\n\nRead more Region and World"


def with_wire(base: Text, wire: list[str], position: int) -> str:
    paragraphs = list(base.paragraphs)
    for offset, passage in enumerate(wire):
        paragraphs.insert(min(position + offset, len(paragraphs)), passage)
    return join(base.title, paragraphs)


def build(rng: random.Random) -> list[dict[str, str]]:
    corpus = load_corpus()
    events = sorted({t.id[:3] for t in corpus.values() if t.id.startswith("e")})
    articles = [t for t in corpus.values() if t.kind == "article"]
    translations: dict[str, list[Text]] = {}
    for t in corpus.values():
        if t.kind == "translation":
            translations.setdefault(t.id.split(".")[0], []).append(t)
    pairs: list[dict[str, str]] = []

    def add(id_: str, a: str, b: str, relation: str, how: str) -> None:
        if rng.random() < 0.5:
            a, b = b, a
        pairs.append({"id": id_, "text_a": a, "text_b": b, "relation": relation, "how": how})

    exact_kinds = ["whitespace", "case", "unicode", "date_prefix", "repeated_title", "footer"]
    near_kinds = ["trimmed", "boilerplate", "updated_figure", "edited_sentence"]
    spin_kinds = ["reorder", "drop", "edits", "add", "date_prefix", "repeated_title"]
    for n, base in enumerate(articles):
        for kind in rng.sample(exact_kinds, 2):
            add(f"exact-{base.id}-{kind}", base.text, exact_variant(base, rng, kind), "exact", kind)
        for kind in rng.sample(near_kinds, 2):
            add(
                f"near-{base.id}-{kind}",
                base.text,
                near_duplicate(base, rng, kind),
                "near_duplicate",
                kind,
            )
        kinds = [spin_kinds[n % 6], spin_kinds[(n + 3) % 6]]
        spins = [spin(base, rng, kind) for kind in kinds]
        for kind, spun in zip(kinds, spins, strict=True):
            add(f"rewrite-{base.id}-{kind}", base.text, spun, "rewrite", f"synonyms+{kind}")

    for source_id, versions in sorted(translations.items()):
        source = corpus[source_id]
        for t in versions:
            add(f"translation-{t.id}", source.text, t.text, "translation", f"en-{t.lang}")
        for x, y in itertools.combinations(versions, 2):
            add(f"translation-{x.id}-{y.id}", x.text, y.text, "translation", f"{x.lang}-{y.lang}")
        for t in rng.sample(versions, 2):
            kind = rng.choice(["drop", "reorder", "edits"])
            add(
                f"translation-spin-{t.id}",
                spin(source, rng, kind),
                t.text,
                "translation",
                f"spun en ({kind}) vs {t.lang}",
            )

    for event in events:
        a, b, wire = (
            corpus[f"{event}a"],
            corpus[f"{event}b"],
            corpus[f"{event}w"].text.split("\n\n"),
        )
        add(f"story-{event}-plain", a.text, b.text, "same_story", "two reports, no shared passage")
        add(
            f"story-{event}-wire1",
            with_wire(a, wire[:1], 2),
            with_wire(b, wire[:1], 3),
            "same_story",
            "two reports sharing one wire paragraph",
        )
        add(
            f"story-{event}-wire2",
            with_wire(a, wire, 1),
            with_wire(b, wire, 2),
            "same_story",
            "two reports sharing two wire paragraphs",
        )
        add(
            f"story-{event}-spin",
            spin(a, rng, "edits"),
            with_wire(b, wire[1:], 1),
            "same_story",
            "spin of one report vs the other report",
        )
        for t in translations.get(a.id, []):
            add(
                f"story-{t.id}-{b.id}",
                t.text,
                b.text,
                "same_story",
                f"{t.lang} report vs en report",
            )

    unrelated: list[tuple[str, str, str, str]] = []
    for ex, ey in itertools.combinations(events, 2):
        unrelated.append((f"{ex}a", f"{ey}a", corpus[f"{ex}a"].text, corpus[f"{ey}a"].text))
        unrelated.append((f"{ex}b", f"{ey}a", corpus[f"{ex}b"].text, corpus[f"{ey}a"].text))
        for t in translations.get(f"{ex}a", [])[:1]:
            unrelated.append((t.id, f"{ey}b", t.text, corpus[f"{ey}b"].text))
    others = [t for t in articles if t.id.startswith("o")]
    for other in others:
        event = rng.choice(events)
        unrelated.append((other.id, f"{event}a", other.text, corpus[f"{event}a"].text))
    for ox, oy in itertools.combinations(others[:5], 2):
        unrelated.append((ox.id, oy.id, ox.text, oy.text))
    for x_id, y_id, x_text, y_text in rng.sample(unrelated, 64):
        add(f"unrelated-{x_id}-{y_id}", x_text, y_text, "unrelated", "different events")

    seeds = {p.name[:3]: p.read_text("utf-8") for p in sorted((DATA / "seeds").glob("*.txt"))}
    seed_labels = {
        ("000", "001"): "rewrite",
        ("000", "004"): "translation",
        ("001", "004"): "translation",
    }
    for sx, sy in itertools.combinations(sorted(seeds), 2):
        relation = seed_labels.get((sx, sy), "same_story")
        pairs.append(
            {
                "id": f"seed-{sx}-{sy}",
                "text_a": seeds[sx],
                "text_b": seeds[sy],
                "relation": relation,
                "how": "seed pages of the 2022-06-15 Xi-Putin call",
            }
        )
    return pairs


def main(write: Callable[[str], object] | None = None) -> None:
    pairs = build(random.Random(SEED))
    lines = "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pairs)
    (write or (DATA / "dev.jsonl").write_text)(lines)


if __name__ == "__main__":
    main()
