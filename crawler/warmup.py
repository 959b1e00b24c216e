"""Preloaded by the crawl's fork server (`crawler.context.WORKER_MODULES`): loads the page
stage's tables for the crawl's languages before the workers are forked from it.

The workers then share one copy of each language's word list (up to 125 MB and half a
second of CPU apiece) instead of each loading its own on its first page in that language.
The languages come in the fork server's environment (`crawler.pages.WARM_LANGUAGES`, set by
`crawler.context.CrawlContext.expect_languages`); importing this module anywhere else, where
that variable is not set, does nothing.
"""

from __future__ import annotations

import contextlib
import gc
import os

from crawler.pages import WARM_LANGUAGES, warm

if os.environ.get(WARM_LANGUAGES):
    # Only a head start: an error here would kill the fork server and every worker with it,
    # where a worker without the tables loads each on its first page in that language.
    with contextlib.suppress(Exception):
        warm(os.environ[WARM_LANGUAGES].split(","))
    # Out of the workers' cyclic collections: a collection writes to every object it
    # scans, and a written page is a worker's private copy instead of a shared one.
    gc.freeze()
