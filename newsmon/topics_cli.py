"""`newsmon topics ...`: see, check and apply the topic a crawl keeps articles for.

A topic is a file of concepts in several languages, each on a side the topic
declares (see `crawler/topic.toml`); a crawl uses `$NEWSMON_TOPIC` or the
built-in one. These commands are thin: loading, scoring and storing live in
`crawler.topic` and `storage.queries`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crawler.topic import ENV_VAR, EVERY_SIDE, Topic, load_topic
from newsmon.common import DbOption, console, store
from newsmon.render import Col, fit_table
from storage.queries import iter_article_texts, set_topic_scores

topics_app = typer.Typer(
    help="The topic a crawl keeps articles for: show it, check a topic file, re-score the store."
)

TopicFile = Annotated[
    Path | None,
    typer.Argument(help=f"A topic file (default: ${ENV_VAR}, else the built-in topic)."),
]


def _describe(topic: Topic) -> str:
    sides = " AND ".join(topic.required)
    boost = f"; mentions of {' or '.join(topic.boost)} raise the score" if topic.boost else ""
    return (
        f"{topic.name}: an article must mention {sides}{boost}; kept from score "
        f"{topic.threshold:.2f}; languages {', '.join(sorted(topic.languages)) or 'any'}."
    )


@topics_app.command("show")
def show(path: TopicFile = None) -> None:
    """The topic's sides and concepts, with how many spellings each concept has."""
    topic = load_topic(path)
    console.print(_describe(topic))
    rows = [
        [
            concept.name,
            "every required side" if concept.side in EVERY_SIDE else concept.side,
            f"{concept.weight:g}",
            str(len(concept.uncased) + len(concept.cased)),
        ]
        for concept in topic.concepts
    ]
    columns = [Col("concept"), Col("side"), Col("weight", justify="right")]
    columns.append(Col("spellings", justify="right"))
    console.print(fit_table(columns, rows, console.width))


@topics_app.command("check")
def check(path: Annotated[Path, typer.Argument(help="The topic file to check.")]) -> None:
    """Check a topic file: every mistake at once, or how to use it."""
    topic = load_topic(path)
    console.print(f"{path} is a valid topic. {_describe(topic)}")
    console.print(
        f"Crawl with it: `{ENV_VAR}={path} newsmon crawl`; re-score the stored articles: "
        f"`newsmon topics apply {path}`."
    )


@topics_app.command("apply")
def apply(path: TopicFile = None, db: DbOption = None) -> None:
    """Re-score every stored article with the topic (after you changed it).

    Nothing is deleted: an article that now scores below the threshold stays, with
    its new score, so changing the topic back restores it.
    """
    topic = load_topic(path)
    scores: dict[int, float] = {}
    changed = 0
    with store(db, write=True) as session:
        for article_id, text, old in iter_article_texts(session):
            scores[article_id] = topic.score(text).score
            changed += abs(scores[article_id] - old) > 1e-9
        set_topic_scores(session, scores)
        session.commit()
    kept = sum(topic.is_relevant(score) for score in scores.values())
    console.print(
        f"Scored {len(scores)} article(s) for {topic.name}: {kept} at or above "
        f"{topic.threshold:.2f}, {len(scores) - kept} below; {changed} score(s) changed. "
        "`newsmon articles --min-score` lists those that reach a score."
    )
