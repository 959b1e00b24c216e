"""One-off HTTP GETs for commands that look at a single page outside a crawl.

`newsmon outlets add` and `newsmon record` need one homepage or one article,
not a crawl; they still send newsmon's user agent, cap the size and refuse
addresses a crawl would refuse.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from crawler.settings import DOWNLOAD_MAXSIZE, USER_AGENT
from crawler.urls import is_fetchable


class FetchError(Exception):
    """A page could not be fetched; the message says why and what to try."""


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int
    body: bytes
    encoding: str | None


def web_address(url: str) -> str:
    """What a user typed as a site's address: `www.example.com` means its https:// page."""
    typed = url.strip()
    parts = urlsplit(typed)
    if parts.scheme in ("http", "https") and parts.hostname:
        return typed
    if "://" not in typed and "." in typed.split("/", 1)[0] and " " not in typed:
        return "https://" + typed
    raise FetchError(f"{url!r} is not a web address; write it like https://www.example-news.com/.")


def _check(url: str, allow_private: bool) -> None:
    if not is_fetchable(url, allow_private=allow_private):
        raise FetchError(
            f"Refusing to fetch {url}: only public http(s) addresses are allowed "
            "(pass --allow-private for a local test server)."
        )


class _GuardedRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect must pass the same address check as the first URL."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        _check(newurl, self.allow_private)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str, *, allow_private: bool = False, timeout: float = 20.0) -> Fetched:
    _check(url, allow_private)
    opener = urllib.request.build_opener(_GuardedRedirects(allow_private))
    # _check above admits only http(s) URLs to public hosts.
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read(DOWNLOAD_MAXSIZE + 1)
            if len(body) > DOWNLOAD_MAXSIZE:
                raise FetchError(f"{url} is larger than {DOWNLOAD_MAXSIZE} bytes; not a news page.")
            return Fetched(
                response.geturl(), response.status, body, response.headers.get_content_charset()
            )
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{url} answered HTTP {exc.code}; check the address.") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(
            f"Could not reach {url} ({reason}); check the address and network."
        ) from exc
