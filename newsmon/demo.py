"""`newsmon demo`: serve the bundled offline news web on loopback and crawl it.

This is the whole product on one machine with no network: the same spiders,
pipelines and store as a real crawl, pointed at demo outlets on 127.0.0.x.
"""

from __future__ import annotations

from pathlib import Path

from crawler.outlets import Outlet, append_outlet, outlet_from_table
from demoweb import RunningWeb


def demo_outlets(web: RunningWeb) -> list[Outlet]:
    return [outlet_from_table(entry, "the demo web") for entry in web.outlet_entries()]


def write_outlets_file(outlets: list[Outlet], path: Path) -> Path:
    """The demo outlets as a registry file, for crawls run in a child process."""
    path.unlink(missing_ok=True)
    for outlet in outlets:
        append_outlet(path, outlet)
    return path
