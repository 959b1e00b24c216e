"""Daily re-crawls: APScheduler jobs that run each crawl in a child process."""
