"""Optional webhook: POST each scheduled run's report as JSON to a URL of the user's.

Configured per installation with NEWSMON_WEBHOOK_URL. A webhook that is down
must not fail the crawl, so errors are logged, never raised.
"""

from __future__ import annotations

import logging
import os
import urllib.error
import urllib.request

logger = logging.getLogger(__name__)

ENV_VAR = "NEWSMON_WEBHOOK_URL"


def webhook_url() -> str | None:
    url = os.environ.get(ENV_VAR, "").strip()
    if url and not url.startswith(("http://", "https://")):
        logger.warning("%s=%r is not an http(s) URL; no report is sent.", ENV_VAR, url)
        return None
    return url or None


def post_report(body: bytes, run_id: int, url: str, timeout: float = 10.0) -> bool:
    """Send the run's report (`newsmon report RUN --format json`); returns whether the
    receiver accepted it (2xx)."""
    request = urllib.request.Request(  # noqa: S310 - the user's own configured http(s) URL
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "newsmon-webhook"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status: int = response.status
            return 200 <= status < 300
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        logger.warning("webhook %s did not take the report of run %d: %s", url, run_id, exc)
        return False
