"""A small local HTTP server that replays pages: used by the demo, the tests and bench/.

It listens on 127.0.0.1 only, supports ETag / If-None-Match and Last-Modified /
If-Modified-Since, scripted sequences (e.g. 503 then 200), optional latency, a request log,
and it stops by itself: after ``max_requests`` requests or ``lifetime`` seconds.
"""

from __future__ import annotations

import hashlib
import ssl
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Reply:
    """One scripted response."""

    body: bytes
    status: int = 200
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "text/html; charset=utf-8"),)
    etag: bool = True
    last_modified: str | None = None


@dataclass
class Logged:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]
    status: int
    method: str = "GET"
    body: bytes = b""


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
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
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
        """Stop serving (idempotent)."""
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
        self.log.append(
            Logged(handler.path, dict(handler.headers.items()), status, method, request_body)
        )
        handler.send_response(status)
        for name, value in headers:
            handler.send_header(name, value)
        if etag and status in (200, 304):
            handler.send_header("ETag", etag)
        if reply.last_modified and status in (200, 304):
            handler.send_header("Last-Modified", reply.last_modified)
        body = b"" if status == 304 else reply.body
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server._respond(self)

            def do_POST(self) -> None:
                server._respond(self, "POST")

            def log_message(self, format: str, *args: object) -> None:
                """Silence the default stderr access log."""

        return Handler
