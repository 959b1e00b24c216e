"""`python -m demoweb`: serve the demo web in the foreground for manual browsing."""

from __future__ import annotations

import argparse
import threading

from demoweb.build import build_web
from demoweb.bulk import build_bulk_site
from demoweb.server import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demoweb", description=__doc__)
    parser.add_argument("--day", type=int, default=1, help="demo day to serve (default 1)")
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
        print("Serving; press Ctrl-C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("Stopped.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
