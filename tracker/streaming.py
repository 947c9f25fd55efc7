"""Streamed downloads for very large responses (the ~360 MB UHRI export).

Everything the polite fetcher does before the first body byte still applies — robots.txt,
per-host pacing, a conditional request, redirects (robots.txt checked per hop), retries on
network errors, 429 and 5xx honouring Retry-After, every attempt logged — but the body is
not capped and not archived whole: the source reads it incrementally and archives only
what it kept (``keep``), with the size and sha256 of the full body in the archived headers,
so the evidence still identifies exactly what was downloaded. A download that outlives
``Fetcher.max_stream_duration`` fails, so a trickling server cannot hold a run forever.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import httpx

from tracker.errors import FetchError

if TYPE_CHECKING:
    from tracker.fetch import Fetcher


class StreamedBody:
    """A streamed response: ``read(n)`` (file-like, for ijson) and ``keep(payload)``."""

    def __init__(self, fetcher: Fetcher, url: str, response: httpx.Response | None,
                 overridden: bool, deadline: float | None = None) -> None:
        self.url = url
        self._deadline = deadline
        self.status = 304 if response is None else response.status_code
        self.not_modified = self.status == 304
        self._fetcher, self._response, self._overridden = fetcher, response, overridden
        self._chunks: Iterator[bytes] = (
            iter(()) if response is None or self.not_modified else response.iter_bytes()
        )
        self._buffer = b""
        self._hash = hashlib.sha256()
        self.bytes_read = 0
        self.kept: str | None = None

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left with -1); FetchError if the connection dies."""
        try:
            while size < 0 or len(self._buffer) < size:
                chunk = next(self._chunks, b"")
                if not chunk:
                    break
                self._hash.update(chunk)
                self.bytes_read += len(chunk)
                self._buffer += chunk
                if self._deadline is not None and time.monotonic() > self._deadline:
                    raise FetchError(
                        f"download took longer than {self._fetcher.max_stream_duration:g} s "
                        f"({self.bytes_read} bytes read): the server trickles its body",
                        url=self.url)
        except httpx.HTTPError as exc:
            raise FetchError(f"stream broken after {self.bytes_read} bytes: {exc!r}",
                             url=self.url) from exc
        if size < 0:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out

    def keep(self, payload: bytes) -> str:
        """Archive ``payload`` (what the source kept of the body) as this response's evidence;
        log the fetch and count the bytes read. Returns the sha256."""
        assert self._response is not None
        headers = [(k.lower(), v) for k, v in self._response.headers.items()]
        headers += [("x-tracker-digest-of", self.url),
                    ("x-tracker-body-sha256", self._hash.hexdigest()),
                    ("x-tracker-body-bytes", str(self.bytes_read))]
        sha = self._fetcher.archive.put(self.status, headers, payload)
        self._fetcher.record_exchange(self.url, self.status, sha, self.bytes_read,
                                      self._overridden)
        self.kept = sha
        return sha


@contextmanager
def open_stream(
    fetcher: Fetcher,
    url: str,
    *,
    conditional: bool = True,
    headers: Mapping[str, str] | None = None,
    allow_paths: tuple[str, ...] = (),
) -> Iterator[StreamedBody]:
    """GET ``url`` as a stream (see the module docstring). Validators are registered only
    when the source kept something (i.e. read the body through)."""
    from tracker.fetch import (
        _MAX_REDIRECTS,
        certificate_message,
        certificate_rejected,
        retry_after_seconds,
    )

    current = url
    for _ in range(_MAX_REDIRECTS + 1):
        overridden = fetcher.check_robots(current, allow_paths)
        request_headers = dict(headers or {})
        if conditional and fetcher.validators is not None:
            known = fetcher.validators.validators_for(current)
            if known and known[0]:
                request_headers["If-None-Match"] = known[0]
            if known and known[1]:
                request_headers["If-Modified-Since"] = known[1]
        attempts = fetcher.settings.retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                with fetcher.open_response(current, request_headers) as response:
                    status = response.status_code
                    location = response.headers.get("location")
                    if status in (301, 302, 303, 307, 308) and location:
                        fetcher.record_exchange(current, status, None, 0, overridden)
                        target = urljoin(current, location)
                        if urlsplit(target).netloc != urlsplit(current).netloc:
                            fetcher.stats.host_redirects.append((current, target))
                        current = target
                        break
                    if status == 429 or status >= 500:
                        fetcher.record_exchange(current, status, None, 0, overridden,
                                                f"HTTP {status}")
                        if last:
                            raise FetchError(f"HTTP {status} after {attempts} attempts",
                                             url=current, status=status)
                        wait = retry_after_seconds(response.headers.get("retry-after"))
                        limit = fetcher.settings.max_retry_after
                        if wait is not None and wait > limit:
                            raise FetchError(
                                f"HTTP {status}: server asks to wait {wait:.0f} s (more than "
                                f"max_retry_after = {limit:.0f} s)", url=current, status=status)
                        fetcher.sleep(wait if wait is not None
                                      else fetcher.settings.backoff * 2**attempt)
                        continue
                    if status >= 300 and status != 304:
                        fetcher.record_exchange(current, status, None, 0, overridden,
                                                f"HTTP {status}")
                        raise FetchError(f"HTTP {status}", url=current, status=status)
                    deadline = time.monotonic() + fetcher.max_stream_duration
                    body = StreamedBody(fetcher, current, response, overridden, deadline)
                    if body.not_modified:
                        fetcher.record_exchange(current, 304, None, 0, overridden)
                    yield body
                    etag, modified = response.headers.get("etag"), response.headers.get(
                        "last-modified")
                    if body.kept and (etag or modified):
                        fetcher.stats.new_validators[current] = (etag, modified, body.kept)
                    return
            except httpx.TransportError as exc:
                fetcher.record_exchange(current, None, None, 0, overridden, repr(exc))
                if certificate_rejected(exc):
                    raise FetchError(certificate_message(exc), url=current) from exc
                if last:
                    raise FetchError(f"network error: {exc!r}", url=current) from exc
                fetcher.sleep(fetcher.settings.backoff * 2**attempt)
        else:
            raise FetchError(f"no answer after {attempts} attempts", url=current)
    raise FetchError(f"more than {_MAX_REDIRECTS} redirects", url=url)
