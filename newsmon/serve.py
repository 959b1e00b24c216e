"""`newsmon serve`: the researcher's view of a store in the browser (Datasette and newsmon's pages).

Datasette is what data journalists already use; newsmon adds its pages as a
plugin (`newsmon.web`), so `datasette newsmon.db` shows the same thing once
newsmon is installed. This command only finds the store, brings its schema up to
date (the view needs the segmented search index), and serves it on loopback.
"""

from __future__ import annotations

import contextlib
import socket
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from newsmon.common import DbOption, UserError, console, store
from storage.db import default_url

DEFAULT_PORT = 8001
HOST = "127.0.0.1"


def store_file(db: str | None) -> Path:
    """The SQLite file behind a store URL; Datasette reads SQLite files only."""
    url = make_url(db or default_url())
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise UserError(
            "The web view reads SQLite stores only; give --db sqlite:///FILE "
            "(copy a PostgreSQL store with `newsmon export` first)."
        )
    path = Path(url.database)
    if not path.is_file():
        raise UserError(
            f"No store at {path}; run `newsmon demo` or `newsmon crawl` first, or give --db."
        )
    return path


def serve(
    db: DbOption = None,
    port: Annotated[
        int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).", min=0, max=65535)
    ] = DEFAULT_PORT,
) -> None:
    """Open the store in the browser: stories, timelines, who copied whom, diffs (read-only)."""
    path = store_file(db)
    with store(db):  # migrates an older store: the view needs the segmented search index
        pass
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((HOST, port))
    except OSError as exc:
        listener.close()
        raise UserError(
            f"Port {port} on {HOST} is busy ({exc.strerror}); pass --port with a free one."
        ) from exc
    # Listening before Datasette starts: a browser opened on the printed address waits in
    # the backlog for the first page instead of being refused.
    listener.listen(128)
    bound = listener.getsockname()[1]
    console.print(
        f"newsmon view of {path} on http://{HOST}:{bound}/ (read-only; Ctrl-C stops).",
        highlight=False,
        soft_wrap=True,  # one line whatever the width: people and scripts copy the address
    )
    sys.stdout.flush()
    with contextlib.suppress(KeyboardInterrupt):
        _run(path, listener)


def _run(path: Path, listener: socket.socket) -> None:
    import asyncio

    import uvicorn
    from datasette.app import Datasette

    from newsmon.web import ensure_registered

    ensure_registered()
    datasette = Datasette([str(path)])
    asyncio.run(datasette.invoke_startup())
    config = uvicorn.Config(datasette.app(), log_level="warning", lifespan="on")
    uvicorn.Server(config).run(sockets=[listener])
