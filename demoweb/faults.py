"""Server misbehaviour the reliability tests need: resources that answer badly at the HTTP or TCP
level (a connection reset, a body that never ends, a lying Content-Length, a stall, a server
that fails a few times before it recovers).

A `Fault` is a `Resource`, so it sits in an outlet's resource map like any page; the server
hands the request to `Fault.perform` instead of rendering it.  `perform` either writes to the
socket itself and returns what it did (for the request log), or returns an ordinary `Resource`
for the server to render as usual (how `Flaky` recovers).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import NamedTuple

from demoweb.model import Resource

HTML = "text/html; charset=utf-8"
_CHUNK = 64 * 1024
#: A client that never hangs up still gets cut off here, so a broken crawler cannot fill memory
#: or keep a test server thread busy forever.
ENDLESS_CAP_BYTES = 1024 * 1024 * 1024
#: Errors a client causes by hanging up mid-answer; a misbehaving server must shrug them off.
CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


class Performed(NamedTuple):
    """What a fault did, for the request log: the status sent (0 if none) and body bytes."""

    status: int
    size: int


@dataclass(frozen=True)
class Fault(Resource):
    """A resource that misbehaves; subclasses say how."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = (("Content-Type", HTML),)
    body: bytes = b""

    def perform(self, handler: BaseHTTPRequestHandler) -> Performed | Resource:
        raise NotImplementedError


def _start(
    handler: BaseHTTPRequestHandler, status: int, headers: tuple[tuple[str, str], ...]
) -> None:
    handler.send_response(status)
    for key, value in headers:
        handler.send_header(key, value)


def _chunk_frame(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _hang_up(handler: BaseHTTPRequestHandler) -> None:
    handler.close_connection = True
    try:
        handler.wfile.flush()
        handler.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


@dataclass(frozen=True)
class ConnectionReset(Fault):
    """Read the request, then reset the TCP connection (RST, not FIN) without answering."""

    def perform(self, handler: BaseHTTPRequestHandler) -> Performed:
        handler.close_connection = True
        linger = struct.pack("ii", 1, 0)  # SO_LINGER on with a zero timeout: close() sends RST
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        handler.connection.close()
        return Performed(0, 0)


@dataclass(frozen=True)
class EndlessChunked(Fault):
    """A chunked body that never ends (until the client hangs up or ENDLESS_CAP_BYTES)."""

    chunk: bytes = b"<p>" + b"Putin Xi talks never end. " * 2000 + b"</p>\n"

    def perform(self, handler: BaseHTTPRequestHandler) -> Performed:
        _start(handler, self.status, (*self.headers, ("Transfer-Encoding", "chunked")))
        handler.end_headers()
        sent = 0
        frame = _chunk_frame(self.chunk)
        try:
            handler.wfile.write(_chunk_frame(b"<!DOCTYPE html><html><body>"))
            while sent < ENDLESS_CAP_BYTES:
                handler.wfile.write(frame)
                sent += len(self.chunk)
        except CLIENT_GONE:
            pass
        _hang_up(handler)
        return Performed(self.status, sent)


@dataclass(frozen=True)
class Huge(Fault):
    """An honest but enormous answer: Content-Length `size`, the body streamed in chunks so the
    test process never holds it in memory."""

    size: int = 50 * 1024 * 1024
    filler: bytes = b"<p>Putin and Xi met again. </p>\n"

    def perform(self, handler: BaseHTTPRequestHandler) -> Performed:
        _start(handler, self.status, (*self.headers, ("Content-Length", str(self.size))))
        handler.end_headers()
        block = (self.filler * (_CHUNK // len(self.filler) + 1))[:_CHUNK]
        sent = 0
        try:
            while sent < self.size:
                part = block[: self.size - sent]
                handler.wfile.write(part)
                sent += len(part)
        except CLIENT_GONE:
            _hang_up(handler)
        return Performed(self.status, sent)


@dataclass(frozen=True)
class ShortBody(Fault):
    """Promise `claimed` bytes in Content-Length, send only `body`, then close: a truncated
    transfer, which a client must not mistake for a complete page."""

    claimed: int = 100_000

    def perform(self, handler: BaseHTTPRequestHandler) -> Performed:
        _start(handler, self.status, (*self.headers, ("Content-Length", str(self.claimed))))
        handler.end_headers()
        with contextlib.suppress(*CLIENT_GONE):
            handler.wfile.write(self.body)
        _hang_up(handler)
        return Performed(self.status, len(self.body))


@dataclass(frozen=True)
class Stall(Fault):
    """Accept the request and say nothing for `seconds`, then hang up: a server that times out."""

    seconds: float = 30.0

    def perform(self, handler: BaseHTTPRequestHandler) -> Performed:
        deadline = time.monotonic() + self.seconds
        while time.monotonic() < deadline:
            time.sleep(0.05)
        _hang_up(handler)
        return Performed(0, 0)


class _Counter:
    """Requests seen so far; shared by the server's handler threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen = 0

    def next(self) -> int:
        with self._lock:
            self._seen += 1
            return self._seen


@dataclass(frozen=True)
class Flaky(Fault):
    """Fail the first `failures` requests with `status` (and `fault_headers`, e.g. Retry-After),
    then answer with `then` for good: a server that recovers, which retries must ride out."""

    failures: int = 1
    fault_headers: tuple[tuple[str, str], ...] = ()
    then: Resource | None = None
    _counter: _Counter = field(default_factory=_Counter, compare=False, repr=False)

    def perform(self, handler: BaseHTTPRequestHandler) -> Resource:
        if self._counter.next() <= self.failures or self.then is None:
            body = f"<html><body><h1>Error {self.status}</h1></body></html>".encode()
            return Resource(self.status, (*self.headers, *self.fault_headers), body)
        return self.then


@dataclass(frozen=True)
class Late(Fault):
    """Answer with `then` after `seconds`: a slow listing, which a crawl meets after the
    outlet's quicker pages (the order its listings answer in is not the order it asked)."""

    seconds: float = 2.0
    then: Resource | None = None

    def perform(self, handler: BaseHTTPRequestHandler) -> Resource:
        time.sleep(self.seconds)
        assert self.then is not None, "a Late answer needs the resource it delays"
        return self.then
