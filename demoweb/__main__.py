"""`python -m demoweb`: serve the demo web in the foreground for manual browsing."""

from __future__ import annotations

import argparse
import threading

from demoweb.build import build_web
from demoweb.bulk import build_bulk_site
from demoweb.model import Web
from demoweb.server import RunningWeb, serve


def _print_changes(web: Web, running: RunningWeb) -> None:
    """On a later day, list what changed overnight so a visitor knows where to look."""
    changes = web.changes
    lines = [("new", p) for p in changes.new if p.kind == "article"]
    lines += [("edited", p) for p in changes.edited if p.kind == "article"]
    lines += [("removed", p) for p in changes.removed if p.kind == "article"]
    print(f"Changes on day {web.day}:")
    for label, page in lines:
        source = page.derived_from
        lineage = f"  ({page.relation} of {running.url(*source)})" if source else ""
        print(f"  {label:8} {running.url(page.outlet, page.path)}{lineage}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demoweb", description=__doc__)
    parser.add_argument(
        "--day",
        type=int,
        choices=(1, 2),
        default=1,
        help="demo day to serve: 1 (default) or 2, the same web one day later",
    )
    parser.add_argument(
        "--port-base",
        type=int,
        default=8080,
        help="port shared by all outlets, each on its own 127.0.0.x (0 = any free port)",
    )
    parser.add_argument(
        "--bulk", type=int, metavar="N", help="serve the generated benchmark site with N articles"
    )
    args = parser.parse_args(argv)
    web = build_bulk_site(args.bulk) if args.bulk else build_web(args.day)
    with serve(web, port=args.port_base) as running:
        for site in web.outlets:
            print(f"{site.name:20} {running.base_url(site.name)}/   {site.title}")
        if web.day > 1:
            _print_changes(web, running)
        print("Serving; press Ctrl-C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("Stopped.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
