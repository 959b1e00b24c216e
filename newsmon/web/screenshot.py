"""A screenshot of a story page, for the README: `python -m newsmon.web.screenshot`.

It runs `newsmon serve` on a free loopback port and has Debian's headless
`chromium` photograph the page, so the picture always shows what the view
really draws from the store (by default the demo's biggest story).
"""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from newsmon.common import store
from storage.views import list_story_items


class ScreenshotError(Exception):
    """What stopped the screenshot, in one sentence saying what to do."""


def biggest_story(db: str | None) -> int:
    with store(db) as session:
        found = list_story_items(session, order="biggest", limit=1)
    if not found:
        raise ScreenshotError("The store has no story; run `newsmon demo` first.")
    return found[0].id


def screenshot(db: str, story: int, out: Path, width: int = 1280, height: int = 1500) -> Path:
    chromium = shutil.which("chromium")
    if chromium is None:
        raise ScreenshotError("Debian's chromium is not installed; apt-get install chromium.")
    server = subprocess.Popen(  # noqa: S603 (our own command line)
        [sys.executable, "-m", "newsmon", "serve", "--db", db, "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        found = re.search(r"http://127\.0\.0\.1:\d+/", server.stdout.readline())
        if found is None:
            raise ScreenshotError("`newsmon serve` did not start; run it alone to see why.")
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run(  # noqa: S603
                [
                    chromium,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    "--hide-scrollbars",
                    f"--user-data-dir={profile}",
                    f"--window-size={width},{height}",
                    f"--screenshot={out.resolve()}",
                    f"{found.group()}-/newsmon/story/{story}",
                ],
                capture_output=True,
                timeout=120,
                check=True,
            )
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite:///newsmon.db", help="the store (SQLite URL)")
    parser.add_argument("--story", type=int, help="story id (default: the biggest)")
    parser.add_argument("--out", type=Path, default=Path("docs/story-page.png"))
    args = parser.parse_args(argv)
    try:
        story = args.story if args.story is not None else biggest_story(args.db)
        written = screenshot(args.db, story, args.out)
    except (ScreenshotError, subprocess.SubprocessError) as error:
        sys.stderr.write(f"error: {error}\n")
        sys.exit(2)
    sys.stdout.write(f"Wrote {written} (story {story}).\n")


if __name__ == "__main__":
    main()
