"""Scrapy settings for newsmon.

Defaults are polite on purpose: a monitor revisits the same outlets every
day for years, so it identifies itself, obeys robots.txt and keeps per-host
load low. The offline demo and the tests relax delays and allow loopback
hosts explicitly (see ``newsmon.runner``), never by default.
"""

from __future__ import annotations

BOT_NAME = "newsmon"

SPIDER_LOADER_CLASS = "crawler.spiderloader.RegistrySpiderLoader"
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "newsmon/0.1 (news monitoring crawler; +https://github.com/newsmon/newsmon)"
ROBOTSTXT_OBEY = True

CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# A news page is a few hundred KB; anything far bigger is an attack or a mistake.
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.FetchGuardMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.RetryAfterMiddleware": 550,
}
# Longest Retry-After (seconds) newsmon waits before retrying a 429/503.
NEWSMON_RETRY_AFTER_MAX = 60

ITEM_PIPELINES = {
    "crawler.pipelines.ProcessPagePipeline": 100,
    "crawler.pipelines.StorePipeline": 500,
}

EXTENSIONS = {
    "crawler.context.OwnContext": 0,  # off when the runner hands the crawl its context
    "crawler.extensions.CrawlRunRecorder": 100,
}

# --- newsmon's own settings (all overridable with -s NAME=VALUE) ---
# SQLAlchemy URL of the store; empty means NEWSMON_DB_URL or ./newsmon.db.
NEWSMON_DB_URL = ""
# Extra outlet registry files merged over the built-in registry.
NEWSMON_OUTLETS: list[str] = []
# Whether the built-in registry is loaded at all (the offline demo turns it off).
NEWSMON_BUILTIN_OUTLETS = True
# Allow loopback and private addresses; only the offline demo and tests do this.
NEWSMON_ALLOW_PRIVATE = False
# Worker processes for extraction; 0 runs it inline in the crawl process.
NEWSMON_EXTRACT_WORKERS = 2
# Crawl-run row to report into; 0 makes the recorder open its own run.
NEWSMON_RUN_ID = 0
NEWSMON_RUN_TRIGGER = "manual"
# Link each new article to its copies, spins, translations and same-story reports.
NEWSMON_LINK = True
# Known articles younger than this many days are fetched again to catch edits.
NEWSMON_RECHECK_DAYS = 3
# Skip known URLs and ask feeds/sitemaps conditionally; off = crawl everything again.
NEWSMON_INCREMENTAL = True
# A page lost to a temporary failure (5xx, timeout, challenge...) is fetched again by a
# later run this many hours after, doubling with each attempt (3 attempts at most).
NEWSMON_RETRY_BACKOFF_HOURS = 1.0
# Topic definition file; empty means the built-in Sino-Russian diplomacy topic.
NEWSMON_TOPIC = ""
