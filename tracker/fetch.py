"""The polite HTTP client every source uses.

Per-host pacing, robots.txt (RFC 9309 via Protego) with explicit per-source overrides,
retries with exponential back-off on network errors, 429 and 5xx (honouring Retry-After),
no retry on other 4xx, conditional requests (ETag / Last-Modified → 304 = unchanged),
a response size cap (an announced Content-Length over it is refused before the body is
read), a deadline per exchange (a server that trickles its body cannot hold a run forever),
manual redirects (each hop is checked against robots.txt; a hop to another host is noted),
TLS always verified (with an optional extra CA bundle per host; a rejected certificate is
not retried), HTTP/SOCKS proxy, and
charset detection that never turns a page into mojibake silently: a UTF-8 body under a
wrong single-byte label is read as UTF-8, and a body that is not valid in its declared
multi-byte charset fails the fetch. An empty 2xx body is an error, not an empty page.
Every response, including 304s and errors, is archived and logged.
"""

from __future__ import annotations

import codecs
import email.utils
import functools
import json
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import certifi
import httpx
from protego import Protego

from tracker.archive import Archive
from tracker.config import FetchSettings
from tracker.errors import FetchError, RobotsDisallowed
from tracker.streaming import StreamedBody, open_stream

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.I)
_MAX_REDIRECTS = 5
#: The deadline of one exchange (connection to last body byte) is this many read timeouts,
#: and at least ``_MIN_DURATION`` seconds (a 20 MB page at ~70 KB/s with the defaults).
_DURATION_FACTOR = 10
_MIN_DURATION = 60.0
#: A body declared UTF-8 (or undeclared) with more invalid bytes than this share of its
#: non-ASCII bytes is in another encoding: failing beats storing replacement characters.
_MAX_INVALID_SHARE = 0.05
_MIN_INVALID_BYTES = 4
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


class ValidatorSource(Protocol):
    """Where the fetcher finds the ETag / Last-Modified last committed for a URL."""

    def validators_for(self, url: str) -> tuple[str | None, str | None] | None: ...


@dataclass(frozen=True)
class FetchResult:
    """One fetched page. ``text`` is None for a 304 (nothing new to parse)."""

    url: str
    status: int
    text: str | None
    sha256: str
    not_modified: bool
    headers: Mapping[str, str]


@dataclass(frozen=True)
class FetchEntry:
    """One HTTP exchange, for the store's fetch log."""

    url: str
    status: int | None
    sha256: str | None
    fetched_at: str
    bytes: int
    robots_override: bool = False
    error: str | None = None


@dataclass
class FetchStats:
    """Counters and pending state of one fetcher session (one source run)."""

    requests: int = 0
    bytes: int = 0
    log: list[FetchEntry] = field(default_factory=list)
    #: url → (etag, last_modified, sha256): saved by the runner only when the run succeeds.
    new_validators: dict[str, tuple[str | None, str | None, str]] = field(default_factory=dict)
    #: (from, to) of every redirect that left the host: the runner reports them.
    host_redirects: list[tuple[str, str]] = field(default_factory=list)


def utcnow_iso() -> str:
    """Current UTC time, ISO 8601 with seconds."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def declared_charset(body: bytes, content_type: str | None) -> str | None:
    """The charset the response declares: Content-Type, else <meta> / XML declaration."""
    if content_type:
        header = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", content_type, re.I)
        if header:
            return header.group(1)
    head = body[:4096]
    declared = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    return declared.group(1).decode("ascii") if declared else None


@functools.lru_cache(maxsize=256)
def _codec(name: str | None) -> str:
    """Python's codec name for a charset label; UTF-8 for none, an unknown one, or one that
    is not a usable text encoding.

    ``codecs.lookup`` also knows labels that ``bytes.decode`` cannot use on a web page:
    bytes-to-bytes codecs (base64, hex, zlib, uu), text-to-text ones (rot13), ``undefined``
    (always raises) and idna/punycode (no ``errors="replace"``). A hostile page declaring one
    must not make every fetch of it crash, so the label is probed once with a decode.
    """
    try:
        codec = codecs.lookup(name or "utf-8").name
        b"probe \xd0\x97 \xff".decode(codec, errors="replace")
    except (LookupError, UnicodeError, ValueError, TypeError):
        return "utf-8"
    return codec


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def body_codec(body: bytes, content_type: str | None) -> str:
    """The codec to read ``body`` with: a BOM, then the declared charset, then UTF-8 — except
    that a body with non-ASCII bytes that is valid UTF-8 is UTF-8 whatever a single-byte
    label says (a cp1251 or Latin-1 page is practically never valid UTF-8, while servers
    often mislabel UTF-8 pages with their default charset)."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return codec
    codec = _codec(declared_charset(body, content_type))
    if codec != "utf-8" and not codec.startswith(("utf-16", "utf-32")) \
            and not body.isascii() and _is_utf8(body):
        return "utf-8"
    return codec


def decode_body(body: bytes, content_type: str | None) -> str:
    """Text of a body (see ``body_codec``); undecodable bytes become U+FFFD."""
    return body.decode(body_codec(body, content_type), errors="replace")


def undecodable_share(body: bytes, codec: str) -> tuple[int, float]:
    """(invalid bytes, their share of the non-ASCII bytes) when reading ``body`` as UTF-8;
    (0, 0.0) for any other codec (single-byte codecs decode every byte)."""
    if codec not in ("utf-8", "utf-8-sig") or _is_utf8(body):
        return 0, 0.0
    non_ascii = len(body) - len(body.decode("ascii", errors="ignore"))
    valid = len(body.decode("utf-8", errors="ignore").encode("utf-8"))
    invalid = len(body) - valid
    return invalid, invalid / max(1, non_ascii)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Parse Retry-After (delta seconds or an HTTP date) into seconds from now."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = now if now is not None else time.time()
    return max(0.0, when.timestamp() - current)


#: Seconds a robots.txt is used before it is read again (RFC 9309 §2.4: at most 24 hours).
ROBOTS_TTL = 24 * 3600.0


class RobotsCache:
    """robots.txt rules per origin (scheme://host:port), shared by the fetchers of one owner
    (the daemon's worker threads) and safe to use from several threads.

    RFC 9309 §2.4 lets a crawler use a robots.txt for up to 24 hours (``ROBOTS_TTL``), so a
    process that runs many sources on one site reads it once, not before every source. Only
    an answer is remembered: rules (2xx) or "no rules, allow all" (4xx). A 5xx or an
    unreachable robots.txt means "disallow everything" *for now* (the loader raises), and the
    next fetch asks again, so a site that recovers is crawled again. A source's
    ``robots_override`` is not part of the rules: each fetch applies its own at check time.
    A miss is read by one thread per origin; threads missing at the same moment wait for
    that read instead of each asking the site.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: dict[str, tuple[float, Protego | None]] = {}
        self._loading: dict[str, threading.Lock] = {}

    def rules_for(self, origin: str, load: Callable[[str], Protego | None]) -> Protego | None:
        """The rules of ``origin`` (None = allow all), read with ``load(origin)`` when absent
        or older than ``ROBOTS_TTL``; an exception of ``load`` propagates, nothing
        remembered."""
        fresh = self._fresh(origin)
        if fresh is not None:
            return fresh[1]
        with self._lock:
            loading = self._loading.setdefault(origin, threading.Lock())
        with loading:
            fresh = self._fresh(origin)  # read by another thread while this one waited
            if fresh is not None:
                return fresh[1]
            rules = load(origin)
            with self._lock:
                self._rules[origin] = (time.monotonic(), rules)
            return rules

    def clear(self) -> None:
        """Forget every origin's rules (each is read again at its next fetch)."""
        with self._lock:
            self._rules.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._rules)

    def _fresh(self, origin: str) -> tuple[float, Protego | None] | None:
        # No lock for this read (every fetch makes it): a dict lookup is atomic in CPython,
        # and entries are only ever replaced whole.
        cached = self._rules.get(origin)
        # ROBOTS_TTL is read at each use (not bound at import): tests shorten it.
        if cached is None or time.monotonic() - cached[0] > ROBOTS_TTL:
            return None
        return cached


class Fetcher:
    """A polite HTTP session shared by the sources of one process.

    Not thread-safe (per-run counts, the pacing clock, connection pools): a process that runs
    sources in several threads gives each thread its own fetcher and lets them share one
    ``RobotsCache`` (``robots=``), as the daemon does (tracker/scheduling.py ``Runtime``).
    """

    def __init__(
        self,
        settings: FetchSettings,
        archive: Archive,
        validators: ValidatorSource | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        max_duration: float | None = None,
        max_stream_duration: float = 3600.0,
        robots: RobotsCache | None = None,
    ) -> None:
        self.settings = settings
        #: Deadline of one exchange in seconds, from the request to the last body byte.
        self.max_duration = max_duration if max_duration is not None else max(
            _MIN_DURATION, _DURATION_FACTOR * settings.timeout)
        #: Deadline of one streamed download (the ~360 MB UHRI export needs ~100 KB/s).
        self.max_stream_duration = max_stream_duration
        self.archive = archive
        self.validators = validators
        self.sleep = sleep
        self.stats = FetchStats()
        self._transport = transport
        self._clients: dict[str, httpx.Client] = {}
        self._last_request: dict[str, float] = {}
        #: robots.txt rules per origin, re-read after ROBOTS_TTL (a fetcher may live for days
        #: in the daemon). Private unless the owner passes one shared by its fetchers, so one
        #: owner's rules never leak into another's (a test's server, a one-off live check).
        self.robots = robots if robots is not None else RobotsCache()

    # -- public -----------------------------------------------------------------------

    def bound(self, allow_paths: tuple[str, ...] = ()) -> BoundFetcher:
        """A view of this fetcher for one source, with that source's robots overrides."""
        return BoundFetcher(self, allow_paths)

    def reset_stats(self) -> FetchStats:
        """Return the stats so far and start counting afresh (one run = one stats object)."""
        stats, self.stats = self.stats, FetchStats()
        return stats

    def get(
        self,
        url: str,
        *,
        conditional: bool = True,
        headers: Mapping[str, str] | None = None,
        allow_paths: tuple[str, ...] = (),
    ) -> FetchResult:
        """GET ``url`` politely; follow up to 5 redirects, each checked against robots.txt."""
        current = url
        for _ in range(_MAX_REDIRECTS + 1):
            overridden = self._check_robots(current, allow_paths)
            request_headers = dict(headers or {})
            if conditional and self.validators is not None:
                known = self.validators.validators_for(current)
                if known:
                    etag, last_modified = known
                    if etag:
                        request_headers["If-None-Match"] = etag
                    if last_modified:
                        request_headers["If-Modified-Since"] = last_modified
            status, resp_headers, body, sha = self._send_with_retries(
                current, request_headers, overridden
            )
            if status in (301, 302, 303, 307, 308) and "location" in resp_headers:
                target = urljoin(current, resp_headers["location"])
                if urlsplit(target).netloc != urlsplit(current).netloc:
                    self.stats.host_redirects.append((current, target))
                current = target
                continue
            if status == 304:
                return FetchResult(current, status, None, sha, True, resp_headers)
            if status >= 400:
                raise FetchError(f"HTTP {status}", url=current, status=status)
            text = _page_text(body, resp_headers, current, status)
            etag = resp_headers.get("etag")
            last_modified = resp_headers.get("last-modified")
            if etag or last_modified:
                self.stats.new_validators[current] = (etag, last_modified, sha)
            return FetchResult(current, status, text, sha, False, resp_headers)
        raise FetchError(f"more than {_MAX_REDIRECTS} redirects", url=url)

    def post_json(
        self,
        url: str,
        payload: Any,
        *,
        headers: Mapping[str, str] | None = None,
        allow_paths: tuple[str, ...] = (),
    ) -> FetchResult:
        """POST a JSON body (GraphQL and similar read-only APIs): robots, pacing, retries,
        size cap, deadline and archiving as for GET; no conditional request, and a redirect
        is an error naming its target (re-sending a POST elsewhere is never safe)."""
        overridden = self._check_robots(url, allow_paths)
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        request_headers = {"Content-Type": "application/json", **(headers or {})}
        status, resp_headers, content, sha = self._send_with_retries(
            url, request_headers, overridden, method="POST", body=body
        )
        if 300 <= status < 400 and "location" in resp_headers:
            raise FetchError(f"HTTP {status} to {urljoin(url, resp_headers['location'])} "
                             "(a POST follows no redirect)", url=url, status=status)
        if status >= 300:
            raise FetchError(f"HTTP {status}", url=url, status=status)
        text = _page_text(content, resp_headers, url, status)
        return FetchResult(url, status, text, sha, False, resp_headers)

    def stream(
        self,
        url: str,
        *,
        conditional: bool = True,
        headers: Mapping[str, str] | None = None,
        allow_paths: tuple[str, ...] = (),
    ) -> AbstractContextManager[StreamedBody]:
        """A streamed GET for very large bodies (see tracker/streaming.py)."""
        return open_stream(self, url, conditional=conditional, headers=headers,
                           allow_paths=allow_paths)

    def check_robots(self, url: str, allow_paths: tuple[str, ...]) -> bool:
        """Raise RobotsDisallowed unless allowed; True when an explicit override was used."""
        return self._check_robots(url, allow_paths)

    @contextmanager
    def open_response(self, url: str, headers: Mapping[str, str]) -> Iterator[httpx.Response]:
        """A paced, counted, streaming GET (the body is the caller's to read)."""
        netloc = urlsplit(url).netloc
        self._pace(netloc)
        self.stats.requests += 1
        with self._client_for(netloc).stream("GET", url, headers=dict(headers)) as response:
            yield response

    def record_exchange(self, url: str, status: int | None, sha: str | None, size: int,
                        overridden: bool, error: str | None = None) -> None:
        """Log an exchange made outside `get` (streams) and count its bytes."""
        self.stats.bytes += size
        self.stats.log.append(
            FetchEntry(url, status, sha, utcnow_iso(), size, overridden, error))

    def close(self) -> None:
        """Close every open connection."""
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- robots.txt ---------------------------------------------------------------------

    def _check_robots(self, url: str, allow_paths: tuple[str, ...]) -> bool:
        """Raise RobotsDisallowed unless allowed; True when an explicit override was used."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        rules = self.robots.rules_for(origin, self._load_robots)
        if rules is None or rules.can_fetch(url, self.settings.user_agent):
            return False
        path = parts.path or "/"
        if any(path.startswith(prefix) for prefix in allow_paths):
            return True
        raise RobotsDisallowed("robots.txt disallows this URL", url=url)

    def _load_robots(self, origin: str) -> Protego | None:
        """None = everything allowed (RFC 9309: a 4xx robots.txt means no rules)."""
        url = f"{origin}/robots.txt"
        try:
            status, headers, body, _ = self._send_with_retries(url, {}, False)
        except FetchError as exc:
            # RFC 9309 §2.3.1.4: unreachable robots.txt → assume complete disallow.
            why = str(exc).removesuffix(f" ({exc.url})")
            raise FetchError(f"robots.txt unreachable, not crawling: {why}", url=url) from exc
        if 400 <= status < 500:
            return None
        if status >= 300:
            raise FetchError(f"robots.txt answered HTTP {status}, not crawling", url=url)
        return Protego.parse(decode_body(body, headers.get("content-type")))

    # -- transport ----------------------------------------------------------------------

    def _client_for(self, netloc: str) -> httpx.Client:
        host = urlsplit(f"//{netloc}").hostname or netloc
        legacy = host in self.settings.legacy_tls_hosts
        key = host if host in self.settings.ca_bundles or legacy else ""
        if key not in self._clients:
            context = _tls_context(legacy, self.settings.ca_bundles.get(key))
            self._clients[key] = httpx.Client(
                verify=context,
                proxy=self.settings.proxy,
                timeout=self.settings.timeout,
                follow_redirects=False,
                headers={"User-Agent": self.settings.user_agent},
                transport=self._transport,
            )
        return self._clients[key]

    def _pace(self, host: str) -> None:
        last = self._last_request.get(host)
        if last is not None:
            wait = self.settings.min_interval - (time.monotonic() - last)
            if wait > 0:
                self.sleep(wait)
        self._last_request[host] = time.monotonic()

    def _send_with_retries(
        self,
        url: str,
        headers: Mapping[str, str],
        overridden: bool,
        *,
        method: str = "GET",
        body: bytes | None = None,
    ) -> tuple[int, dict[str, str], bytes, str]:
        host = urlsplit(url).netloc
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            self._pace(host)
            try:
                status, resp_headers, content = self._send_once(
                    host, url, headers, method, body, overridden)
            except httpx.TransportError as exc:
                self.stats.log.append(
                    FetchEntry(url, None, None, utcnow_iso(), 0, overridden, repr(exc))
                )
                if certificate_rejected(exc):
                    raise FetchError(certificate_message(exc), url=url) from exc
                if last:
                    raise FetchError(f"network error: {exc!r}", url=url) from exc
                self.sleep(self.settings.backoff * 2**attempt)
                continue
            header_list = list(resp_headers.items())
            sha = self.archive.put(status, header_list, content)
            self.stats.log.append(
                FetchEntry(url, status, sha, utcnow_iso(), len(content), overridden)
            )
            if status == 429 or status >= 500:
                if last:
                    raise FetchError(f"HTTP {status} after {attempts} attempts", url=url,
                                     status=status)
                wait = retry_after_seconds(resp_headers.get("retry-after"))
                if wait is not None and wait > self.settings.max_retry_after:
                    raise FetchError(
                        f"HTTP {status}: server asks to wait {wait:.0f} s "
                        f"(more than max_retry_after = {self.settings.max_retry_after:.0f} s)",
                        url=url, status=status,
                    )
                self.sleep(wait if wait is not None else self.settings.backoff * 2**attempt)
                continue
            return status, resp_headers, content, sha
        raise AssertionError("unreachable")

    def _send_once(
        self, host: str, url: str, headers: Mapping[str, str], method: str, body: bytes | None,
        overridden: bool,
    ) -> tuple[int, dict[str, str], bytes]:
        client = self._client_for(host)
        self.stats.requests += 1
        deadline = time.monotonic() + self.max_duration
        with client.stream(method, url, headers=dict(headers), content=body) as response:
            status = response.status_code
            chunks: list[bytes] = []
            size = 0

            def refuse(why: str) -> FetchError:
                # Refused mid-exchange: nothing archived, but the exchange is logged.
                self.stats.bytes += size
                self.stats.log.append(
                    FetchEntry(url, status, None, utcnow_iso(), size, overridden, why))
                return FetchError(why, url=url, status=status)

            announced = response.headers.get("content-length", "")
            if announced.isdigit() and int(announced) > self.settings.max_bytes:
                raise refuse(f"response larger than max_bytes = {self.settings.max_bytes} "
                             f"(Content-Length: {announced}); not downloaded")
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.settings.max_bytes:
                    raise refuse(f"response larger than max_bytes = {self.settings.max_bytes}")
                if time.monotonic() > deadline:
                    raise refuse(f"response took longer than {self.max_duration:g} s "
                                 f"({size} bytes read): the server trickles its body")
                chunks.append(chunk)
            self.stats.bytes += size
            resp_headers = {k.lower(): v for k, v in response.headers.items()}
            return status, resp_headers, b"".join(chunks)


def certificate_rejected(exc: BaseException) -> bool:
    """True when a transport error is a failed certificate verification: retrying cannot
    help (the same certificate comes back), so the fetcher does not."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def certificate_message(exc: BaseException) -> str:
    """The error of a rejected certificate, with what a user can do about it."""
    return (f"TLS certificate rejected, not retried: {exc!r} (an incomplete chain can be "
            "completed with [fetch] ca_bundles; anything else is the site's to fix)")


@functools.lru_cache(maxsize=32)
def _tls_context(legacy: bool, extra_ca: str | None) -> ssl.SSLContext:
    """A verifying client context (built once per process: loading the CA bundle costs
    ~0.15 s of CPU, and every scheduled job opens a fetcher)."""
    context = ssl.create_default_context(cafile=certifi.where())
    if legacy:
        # Accept the legacy key sizes this host offers; verification stays on.
        context.set_ciphers("DEFAULT:@SECLEVEL=1")
    if extra_ca:
        # Extra intermediate(s) for a host that serves an incomplete chain
        # (old.adilet.zan.kz): verification stays on, we only add trust anchors.
        context.load_verify_locations(cafile=extra_ca)
    return context


def _page_text(body: bytes, headers: Mapping[str, str], url: str, status: int) -> str:
    """The text of a 2xx page; FetchError for an empty body or one not in its charset."""
    if not body or body.isspace():
        raise FetchError(f"HTTP {status} with an empty body", url=url, status=status)
    content_type = headers.get("content-type")
    codec = body_codec(body, content_type)
    invalid, share = undecodable_share(body, codec)
    if invalid >= _MIN_INVALID_BYTES and share > _MAX_INVALID_SHARE:
        declared = declared_charset(body, content_type) or "no charset (UTF-8 assumed)"
        raise FetchError(
            f"body is not valid UTF-8 ({invalid} invalid bytes; declared: {declared}): "
            "the server mislabels a legacy encoding", url=url, status=status)
    return body.decode(codec, errors="replace")


class BoundFetcher:
    """The fetcher as one source sees it (its robots overrides applied to every request)."""

    def __init__(self, fetcher: Fetcher, allow_paths: tuple[str, ...]) -> None:
        self._fetcher = fetcher
        self._allow_paths = allow_paths

    def get(
        self, url: str, *, conditional: bool = True, headers: Mapping[str, str] | None = None
    ) -> FetchResult:
        """GET with this source's robots overrides."""
        return self._fetcher.get(
            url, conditional=conditional, headers=headers, allow_paths=self._allow_paths
        )

    def stream(
        self, url: str, *, conditional: bool = True, headers: Mapping[str, str] | None = None
    ) -> AbstractContextManager[StreamedBody]:
        """A streamed GET with this source's robots overrides."""
        return self._fetcher.stream(url, conditional=conditional, headers=headers,
                                    allow_paths=self._allow_paths)

    def post_json(
        self, url: str, payload: Any, *, headers: Mapping[str, str] | None = None
    ) -> FetchResult:
        """POST JSON with this source's robots overrides."""
        return self._fetcher.post_json(
            url, payload, headers=headers, allow_paths=self._allow_paths
        )
