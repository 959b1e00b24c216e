"""The offline demo news web: a realistic mini web of fictional outlets served on 127.0.0.0/8.

`build_web(day)` builds it (pure, in memory; day 2 is the same web one day later, with
`Web.changes` saying what changed), `serve(web)` serves it with one loopback address per
outlet, `build_bulk_site(n, seed)` makes the large generated site the benchmarks crawl.
"""

from demoweb.build import WINDOW_START, build_web, lookback_days
from demoweb.bulk import build_bulk_site
from demoweb.model import (
    Changes,
    Edit,
    OutletSite,
    PageInfo,
    Relation,
    Resource,
    Role,
    Web,
    placeholder_origin,
)
from demoweb.seeds import SEED_PAGES, SeedExpectation, expected_seed
from demoweb.server import RequestLog, RequestRecord, RunningWeb, serve

__all__ = [
    "SEED_PAGES",
    "WINDOW_START",
    "Changes",
    "Edit",
    "OutletSite",
    "PageInfo",
    "Relation",
    "RequestLog",
    "RequestRecord",
    "Resource",
    "Role",
    "RunningWeb",
    "SeedExpectation",
    "Web",
    "build_bulk_site",
    "build_web",
    "expected_seed",
    "lookback_days",
    "placeholder_origin",
    "serve",
]
