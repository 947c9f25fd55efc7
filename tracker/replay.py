"""A small local HTTP server that replays pages: used by the demo, the tests and bench/.

It listens on 127.0.0.1 only, supports ETag / If-None-Match and Last-Modified /
If-Modified-Since, scripted sequences (e.g. 503 then 200), optional latency, a request log,
and it stops by itself: after ``max_requests`` requests or ``lifetime`` seconds.

A reply can also inject transport faults (tests/faults/ and bench/fault_matrix.py): a stall
before answering, a body cut short of its Content-Length and ended by FIN or by a TCP reset,
a body without Content-Length, a body trickled a few bytes at a time, and a huge body
generated lazily (never held in memory).
"""

from __future__ import annotations

import hashlib
import socket
import ssl
import struct
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

_PIECE = 64 * 1024


@dataclass(frozen=True)
class Reply:
    """One scripted response."""

    body: bytes
    status: int = 200
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "text/html; charset=utf-8"),)
    etag: bool = True
    last_modified: str | None = None
    # -- fault injection ----------------------------------------------------------------
    #: Seconds to wait before answering at all (a stalled server: the client's read timeout).
    stall: float = 0.0
    #: Bytes of filler generated lazily after ``body`` (a huge body never held in memory).
    filler: int = 0
    #: Send only this many body bytes of those Content-Length announces, then end the
    #: connection: ``cut = "close"`` (an orderly FIN) or ``"reset"`` (a TCP RST).
    cut_after: int | None = None
    cut: Literal["close", "reset"] = "close"
    #: False: no Content-Length header; the body ends when the connection closes.
    send_length: bool = True
    #: Send the body ``drip_bytes`` at a time, ``drip`` seconds apart (a trickling server).
    drip: float = 0.0
    drip_bytes: int = 1

    @property
    def size(self) -> int:
        """The full body length (``body`` plus filler), as Content-Length announces it."""
        return len(self.body) + self.filler


@dataclass
class Logged:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]
    status: int
    method: str = "GET"
    body: bytes = b""
    #: Body bytes actually sent (less than announced when the client hung up, or on a cut).
    body_sent: int = 0


@dataclass
class _Route:
    replies: list[Reply] = field(default_factory=list)

    def next(self) -> Reply:
        # A sequence is consumed in order; its last reply then repeats.
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


def route_key(target: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Path plus sorted decoded query, so `types%5B0%5D=629` equals `types[0]=629`."""
    parts = urlsplit(target)
    return parts.path or "/", tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))


class ReplayServer:
    """Serve scripted pages on 127.0.0.1; use as a context manager."""

    def __init__(
        self,
        *,
        latency: float = 0.0,
        max_requests: int = 100_000,
        lifetime: float = 600.0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.latency = latency
        self.max_requests = max_requests
        self.lifetime = lifetime
        self.log: list[Logged] = []
        self._routes: dict[tuple[str, tuple[tuple[str, str], ...]], _Route] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.scheme = "http"
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
            self.scheme = "https"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._timer = threading.Timer(lifetime, self.stop)
        self._timer.daemon = True

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        host, port = self._server.server_address[:2]
        return f"{self.scheme}://{host!s}:{port}"

    def set(self, target: str, *replies: Reply | bytes | str) -> None:
        """Serve ``replies`` (in order, the last repeating) at ``target`` (path?query)."""
        items = [r if isinstance(r, Reply) else Reply(r.encode() if isinstance(r, str) else r)
                 for r in replies]
        with self._lock:
            self._routes[route_key(target)] = _Route(items)

    def reply_at(self, target: str) -> Reply | None:
        """The reply ``target`` would get next (None when it is not routed)."""
        with self._lock:
            route = self._routes.get(route_key(target))
            return route.replies[0] if route else None

    def set_many(self, pages: Iterable[tuple[str, Reply | bytes | str]]) -> None:
        """Serve several single pages."""
        for target, reply in pages:
            self.set(target, reply)

    def requests_to(self, path: str) -> list[Logged]:
        """Logged requests whose path (without query) is ``path``."""
        return [entry for entry in self.log if urlsplit(entry.path).path == path]

    def start(self) -> ReplayServer:
        """Start serving in a background thread."""
        self._thread.start()
        self._timer.start()
        return self

    def stop(self) -> None:
        """Stop serving (idempotent); stalled and trickling replies end at once."""
        self._stopping.set()
        self._timer.cancel()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _respond(self, handler: BaseHTTPRequestHandler, method: str = "GET") -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        request_body = handler.rfile.read(length) if length else b""
        if self.latency:
            time.sleep(self.latency)
        with self._lock:
            route = self._routes.get(route_key(handler.path))
            reply = route.next() if route else Reply(b"not found", status=404)
            if len(self.log) >= self.max_requests:
                reply = Reply(b"request budget exhausted", status=503)
        headers = list(reply.headers)
        etag = f'"{hashlib.sha256(reply.body).hexdigest()[:16]}"' if reply.etag else None
        status = reply.status
        if status == 200 and (
            (etag and handler.headers.get("If-None-Match") == etag)
            or (reply.last_modified
                and handler.headers.get("If-Modified-Since") == reply.last_modified)
        ):
            status = 304
        entry = Logged(handler.path, dict(handler.headers.items()), status, method, request_body)
        self.log.append(entry)
        if reply.stall and self._stopping.wait(reply.stall):
            handler.close_connection = True
            return
        try:
            handler.send_response(status)
            for name, value in headers:
                handler.send_header(name, value)
            if etag and status in (200, 304):
                handler.send_header("ETag", etag)
            if reply.last_modified and status in (200, 304):
                handler.send_header("Last-Modified", reply.last_modified)
            size = 0 if status == 304 else reply.size
            if reply.send_length:
                handler.send_header("Content-Length", str(size))
            else:
                handler.send_header("Connection", "close")
            handler.end_headers()
            if status != 304 and not self._write_body(handler, reply, entry):
                handler.close_connection = True  # the server is stopping mid-trickle
                return
        except OSError:  # the client hung up (e.g. it refused a body over its size cap)
            handler.close_connection = True
            return
        if reply.cut_after is not None or not reply.send_length:
            handler.close_connection = True
            if reply.cut == "reset":
                # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
                handler.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                handler.connection.close()

    def _write_body(self, handler: BaseHTTPRequestHandler, reply: Reply, entry: Logged) -> bool:
        """Write the body (cut, trickled or generated as the reply says), counting bytes;
        False if the server stopped before it was all sent."""
        limit = reply.size if reply.cut_after is None else min(reply.cut_after, reply.size)
        piece = max(1, reply.drip_bytes) if reply.drip else _PIECE
        for chunk in _pieces(reply.body, reply.filler, limit, piece):
            if reply.drip and entry.body_sent and self._stopping.wait(reply.drip):
                return False
            handler.wfile.write(chunk)
            entry.body_sent += len(chunk)
        return True

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's
            # algorithm and the client's delayed ACK add ~40 ms to every exchange.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                server._respond(self)

            def do_POST(self) -> None:
                server._respond(self, "POST")

            def log_message(self, format: str, *args: object) -> None:
                """Silence the default stderr access log."""

        return Handler


class _QuietServer(ThreadingHTTPServer):
    """A threading server that does not print a traceback when a client hangs up (faults
    and refused bodies end connections abruptly on purpose)."""

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


def _pieces(body: bytes, filler: int, limit: int, piece: int) -> Iterator[bytes]:
    """The first ``limit`` bytes of ``body`` + ``filler`` spaces, ``piece`` bytes at a time."""
    sent = 0
    blank = b" " * piece
    while sent < limit:
        size = min(piece, limit - sent)
        chunk = body[sent:sent + size] if sent < len(body) else blank[:size]
        yield chunk
        sent += len(chunk)
