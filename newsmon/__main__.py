"""`python -m newsmon` and the `newsmon` script.

Importing the CLI takes a second or two (Scrapy, SQLAlchemy, SciPy). A Ctrl-C
in that time must end the command quietly, and must not land inside a C
extension's initialisation, which turns it into "ImportError: initialization
failed" with a long traceback; so it is held back until the imports are done.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType


def run() -> None:
    held: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        held.append(signum)

    previous = signal.signal(signal.SIGINT, hold)
    from newsmon.cli import main

    signal.signal(signal.SIGINT, previous)
    if held:
        sys.stderr.write("Interrupted.\n")
        sys.exit(130)
    main()


if __name__ == "__main__":
    run()
