"""Weigh each cleaning rule on the real dev pages: gold words it removes against boilerplate.

A rule earns its place when the words it drops from the text it is given (trafilatura's fast
run, continued and gap-filled: ``crawler.extract.Runs.first``) are mostly boilerplate by the
gold's own judgement.  Words are counted as bags, as the eval scores
them: a dropped word is article text when the gold holds it more often than the kept text
and the drops already counted do (so dropping the second copy of a repeated paragraph costs
nothing unless the gold repeats it too).  Only the dev part is read; the test part stays out
of all tuning.

    python -m tests.cleaning_audit
"""

from __future__ import annotations

from collections import Counter, defaultdict

from crawler import boilerplate
from crawler.extract import Furniture, Runs, decode_html, parse_html
from tests.realpages import bag, load_split


def audit(split: str = "dev") -> dict[str, list[int]]:
    """Per rule: [gold words removed, boilerplate words removed, pages it fired on]."""
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for page in load_split(split):
        if not page.gold:  # a snippet-only page cannot tell article words from boilerplate
            continue
        tree = parse_html(decode_html(page.body) or "")
        if tree is None:
            continue
        raw = Runs(tree, page.url).first()
        cleaned = boilerplate.clean_paragraphs(raw, "", Furniture.of(tree).rule)
        uncovered = bag(page.gold) - bag(" ".join(cleaned.kept))
        fired = set()
        for rule, line in cleaned.removed:
            words = bag(line)
            needed: Counter[str] = words & uncovered
            uncovered -= needed
            tally[rule][0] += needed.total()
            tally[rule][1] += words.total() - needed.total()
            fired.add(rule)
        for rule in fired:
            tally[rule][2] += 1
    return dict(tally)


def main() -> None:
    tally = audit()
    print(f"{'rule':<28}{'gold words':>12}{'boilerplate':>12}{'pages':>7}  verdict")
    for rule, (gold, noise, pages) in sorted(tally.items(), key=lambda kv: kv[1][0] - kv[1][1]):
        verdict = "keep" if noise > gold else "unmeasured" if not noise + gold else "DROP"
        print(f"{rule:<28}{gold:>12}{noise:>12}{pages:>7}  {verdict}")


if __name__ == "__main__":
    main()
