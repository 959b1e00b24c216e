"""Serving a `Web` on loopback: one ThreadingHTTPServer per outlet, each on its own 127.0.0.x.

Linux routes all of 127.0.0.0/8 to the loopback interface, so giving every outlet its own
address makes each one a distinct host, and allowed-domain checks in the crawler meet the same
situation they meet on the real web. The server behaves like a real news site where it matters
to a crawler: ETag/Last-Modified with 304 answers, HEAD, gzip, robots.txt and 404s.
"""

from __future__ import annotations

import gzip
import hashlib
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import quote, unquote, urlsplit

from demoweb.build import lookback_days, not_found_page
from demoweb.faults import CLIENT_GONE, Fault
from demoweb.model import OutletSite, Resource, Web, placeholder_origin

TEXT_TYPES = ("text/", "application/xml", "application/rss", "application/atom", "application/js")
GZIP_MIN_BYTES = 512


class RequestRecord(NamedTuple):
    host: str
    method: str
    path: str  # as requested, query string included
    status: int
    size: int  # body bytes sent (after compression)
    user_agent: str = ""
    at: float = 0.0  # time.monotonic() when the request was answered


class RequestLog:
    """Thread-safe record of every request, so tests can count what a crawl fetched."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def append(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def count(
        self,
        *,
        host: str | None = None,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
    ) -> int:
        """Requests matching every given field; `path` compares without the query string."""
        return sum(
            1
            for r in self.records()
            if (host is None or r.host == host)
            and (method is None or r.method == method)
            and (path is None or r.path.split("?", 1)[0] == path)
            and (status is None or r.status == status)
        )

    def by_status(self) -> Counter[int]:
        return Counter(r.status for r in self.records())

    def bytes_sent(self) -> int:
        return sum(r.size for r in self.records())


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest()[:20] + '"'


def http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def not_modified(headers: Any, etag: str, last_modified: datetime | None) -> bool:
    """RFC 9110 precedence: If-None-Match decides when present, else If-Modified-Since."""
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag in tags
    since = headers.get("If-Modified-Since")
    if since and last_modified is not None:
        try:
            stamp = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        return last_modified.replace(microsecond=0) <= stamp
    return False


class _State:
    """What all outlet servers share: the current web, origin map, and the request log."""

    def __init__(self, web: Web) -> None:
        self.lock = threading.Lock()
        self.web = web
        self.origins: dict[str, str] = {}
        self.log = RequestLog()

    def localise(self, body: bytes) -> bytes:
        for name, origin in self.origins.items():
            body = body.replace(placeholder_origin(name).encode(), origin.encode())
        return body

    def answer(self, outlet: str, raw_path: str, headers: Any) -> Answer:
        return self.render(self.resource(outlet, raw_path), headers)

    def resource(self, outlet: str, raw_path: str) -> Resource:
        with self.lock:
            site = self.web.outlet(outlet)
        path = urlsplit(raw_path).path or "/"
        res = site.resources.get(path) or site.resources.get(quote(unquote(path)))
        return res or not_found_page()

    def render(self, res: Resource, headers: Any) -> Answer:
        textual = res.content_type.startswith(TEXT_TYPES)
        body = self.localise(res.body) if textual else res.body
        out = [(k, self.localise(v.encode()).decode()) for k, v in res.headers]
        if res.status != 200:
            return Answer(res.status, out, body)
        etag = etag_of(body)
        out.append(("ETag", etag))
        if res.last_modified is not None:
            out.append(("Last-Modified", http_date(res.last_modified)))
        if not_modified(headers, etag, res.last_modified):
            return Answer(304, [(k, v) for k, v in out if k in ("ETag", "Last-Modified")], b"")
        if textual:
            out.append(("Vary", "Accept-Encoding"))
            accepts = headers.get("Accept-Encoding", "")
            if "gzip" in accepts and len(body) >= GZIP_MIN_BYTES:
                body = gzip.compress(body, compresslevel=5, mtime=0)
                out.append(("Content-Encoding", "gzip"))
        return Answer(200, out, body)


class _Handler(BaseHTTPRequestHandler):
    server: _OutletServer
    protocol_version = "HTTP/1.1"
    server_version = "newsmon-demoweb/1"
    # Headers and body go out in separate writes; with Nagle on, the last segment waits
    # for the client's delayed ACK (~40 ms a page), which no real web server does.
    disable_nagle_algorithm = True

    def _respond(self, send_body: bool) -> None:
        state = self.server.state
        res = state.resource(self.server.outlet, self.path)
        if isinstance(res, Fault):
            done = res.perform(self)
            if not isinstance(done, Resource):
                self._log(done.status, done.size)
                return
            res = done
        answer = state.render(res, self.headers)
        # Logged before the answer leaves, so a client that has its answer finds it counted.
        self._log(answer.status, len(answer.body) if send_body else 0)
        self.send_response(answer.status)
        for key, value in answer.headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if send_body:
            self.wfile.write(answer.body)

    def _log(self, status: int, size: int) -> None:
        agent = self.headers.get("User-Agent", "")
        record = RequestRecord(
            self.server.ip, self.command, self.path, status, size, agent, time.monotonic()
        )
        self.server.state.log.append(record)

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and the demo display their own summaries."""


class _OutletServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, ip: str, port: int, outlet: str, state: _State) -> None:
        self.ip, self.outlet, self.state = ip, outlet, state
        super().__init__((ip, port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up mid-answer (a crawler refusing a huge page) is not a server error."""
        if not isinstance(sys.exc_info()[1], CLIENT_GONE):
            super().handle_error(request, client_address)


class RunningWeb:
    """A web being served; use through `serve(web)`."""

    def __init__(self, state: _State, servers: dict[str, _OutletServer]) -> None:
        self._state = state
        self._servers = servers

    @property
    def web(self) -> Web:
        with self._state.lock:
            return self._state.web

    @property
    def request_log(self) -> RequestLog:
        return self._state.log

    def base_url(self, outlet: str) -> str:
        return self._state.origins[outlet]

    def url(self, outlet: str, path: str) -> str:
        return self.base_url(outlet) + path

    def ip(self, outlet: str) -> str:
        return self._servers[outlet].ip

    def replace(self, web: Web) -> None:
        """Swap the content served (e.g. day 2) while keeping every outlet's address."""
        if sorted(web.outlet_names()) != sorted(self._servers):
            raise ValueError(
                "A replacement web must have the same outlets as the one being served."
            )
        with self._state.lock:
            self._state.web = web

    def outlet_entries(self) -> list[dict[str, Any]]:
        """One dict per outlet with exactly the fields of `crawler.outlets.Outlet`."""
        entries = []
        for site in self.web.outlets:
            base = self.base_url(site.name)
            entries.append(
                {
                    "name": site.name,
                    "title": site.title,
                    "homepage": base + "/",
                    "languages": list(site.languages),
                    "feeds": [base + p for p in site.feeds],
                    "sitemaps": [base + p for p in site.sitemaps],
                    "sections": [base + p for p in site.sections],
                    "allowed_domains": [site.ip],
                    "article_patterns": list(site.article_patterns),
                    "exclude_patterns": list(site.exclude_patterns),
                    "lookback_days": lookback_days(),
                    "spider": None,
                    "robots": True,
                }
            )
        return entries


def _bind(site: OutletSite, port: int, state: _State) -> _OutletServer:
    try:
        return _OutletServer(site.ip, port, site.name, state)
    except OSError as error:
        raise OSError(
            f"Cannot serve demo outlet {site.name} on {site.ip}:{port} ({error.strerror}); "
            "free that port or choose another port base."
        ) from error


@contextmanager
def serve(web: Web, port: int = 0) -> Iterator[RunningWeb]:
    """Serve every outlet of `web` on its own loopback address until the block exits.

    `port=0` lets the OS pick a free port per outlet; a fixed port is shared by all outlets
    (they differ by address), which gives stable URLs for manual browsing.
    """
    state = _State(web)
    servers: dict[str, _OutletServer] = {}
    running: list[tuple[_OutletServer, threading.Thread]] = []
    try:
        for site in web.outlets:
            server = _bind(site, port, state)
            servers[site.name] = server
            state.origins[site.name] = f"http://{site.ip}:{server.server_address[1]}"
        for name, server in servers.items():
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"demoweb-{name}"
            )
            thread.daemon = True
            thread.start()
            running.append((server, thread))
        yield RunningWeb(state, servers)
    finally:
        for server, thread in running:
            server.shutdown()
            thread.join(timeout=5)
        for server in servers.values():
            server.server_close()
