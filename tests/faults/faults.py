"""The faults of the matrix, what each must lead to, and the checks of an outcome.

Every fault is injected at the source's first page after robots.txt (``SourceSpec.entry``),
or at its whole host (refused connections, invalid TLS). The expectation says whether the
run must fail or succeed, what its first error must say, and how many requests the faulty
route may get; ``check`` adds what holds for every case: the run is quick, the source's
health tells the error, the bystander source is untouched, nothing stored before changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from tests.faults.harness import (
    MAX_BYTES,
    MAX_DURATION,
    MAX_RETRY_AFTER,
    RETRIES,
    TIMEOUT,
    Context,
    Injector,
    Outcome,
    refused_port,
    self_signed_context,
)
from tracker.replay import ReplayServer, Reply

ATTEMPTS = RETRIES + 1
#: Every faulted run must end within this many seconds (the slowest: three read timeouts).
TIME_LIMIT = 6.0
BIG = 50_000_000
#: What a server may push at a client that refuses a 50 MB body: the local socket buffers
#: take a few MB before the server notices; "downloaded" would be all 50.
BIG_SENT_LIMIT = BIG // 2
#: Requests a faulted run may make to its site in all (the largest healthy run makes ~10).
MAX_SITE_REQUESTS = 20
BLOCKED = (b"<html><body><h1>403 Forbidden</h1><p>Your request was blocked by the web "
           b"application firewall.</p></body></html>")
MOVED = "<html><body><h1>Портал переехал</h1><p>Войдите через eGov ID.</p></body></html>"


@dataclass(frozen=True)
class Expect:
    """What a faulted run must show."""

    #: "error", "ok", or "either" (a body that looks complete may parse: then nothing stored
    #: may change, which every case checks anyway).
    status: str = "error"
    #: Substrings the first error (or, for an "ok" run, some warning) must contain.
    says: tuple[str, ...] = ()
    #: Requests the faulty route must get (None: not checked, e.g. nothing listens).
    entry_requests: int | None = 1
    #: Fetch-log rows of the faulted run (attempts at a host that never answers).
    logged_attempts: int | None = None
    #: Waits the fetcher must have asked for (Retry-After honoured), in order.
    waits: tuple[float, ...] | None = None
    #: Body bytes the server may send at the faulty route / the run may read in all
    #: (None: not checked — a streamed export is read whole by design).
    max_sent: int | None = BIG_SENT_LIMIT
    max_read: int | None = 2 * MAX_BYTES


@dataclass(frozen=True)
class Fault:
    """One fault: its name, its injector, its default expectation, per-source exceptions."""

    name: str
    inject: Injector
    expect: Expect
    overrides: dict[str, Expect] = field(default_factory=dict)

    def expectation(self, key: str) -> Expect:
        """What this fault must lead to for source ``key``."""
        return self.overrides.get(key, self.expect)


def _healthy(ctx: Context) -> Reply:
    reply = ctx.server.reply_at(ctx.spec.entry)
    assert reply is not None, f"{ctx.spec.key}: entry {ctx.spec.entry} is not served"
    return reply


def at_entry(make: Callable[[Context, Reply], Reply]) -> Injector:
    """An injector that replaces the entry's reply by ``make(ctx, healthy reply)``; fault
    replies carry no ETag, so a conditional request cannot turn them into a 304."""
    def inject(ctx: Context) -> None:
        ctx.server.set(ctx.spec.entry, replace(make(ctx, _healthy(ctx)), etag=False,
                                               last_modified=None))
    return inject


def _refused(ctx: Context) -> None:
    ctx.base_url = ctx.stack.enter_context(refused_port())


def _invalid_tls(ctx: Context) -> None:
    tls = ReplayServer(tls=self_signed_context(ctx.workdir), max_requests=100, lifetime=60)
    ctx.spec.serve(ctx.stack.enter_context(tls))
    ctx.base_url = tls.base_url


def _other_host(ctx: Context) -> None:
    elsewhere = ctx.stack.enter_context(ReplayServer(max_requests=100, lifetime=60))
    elsewhere.set("/robots.txt", "User-agent: *\nAllow: /\n")
    elsewhere.set("/login", MOVED)
    ctx.server.set(ctx.spec.entry, Reply(b"", status=302, etag=False, headers=(
        ("Location", f"{elsewhere.base_url}/login"),)))
    ctx.other_host = urlsplit(elsewhere.base_url).netloc


def _with_content_type(reply: Reply, value: str) -> Reply:
    headers = tuple((k, v) for k, v in reply.headers if k.lower() != "content-type")
    return replace(reply, headers=(*headers, ("Content-Type", value)))


def _charset_wrong(_ctx: Context, healthy: Reply) -> Reply:
    media = dict(healthy.headers).get("Content-Type", "text/html").split(";")[0]
    return _with_content_type(healthy, f"{media}; charset=windows-1251")


def _charset_missing(_ctx: Context, healthy: Reply) -> Reply:
    media = dict(healthy.headers).get("Content-Type", "text/html").split(";")[0]
    return _with_content_type(healthy, media)


def _legacy_labelled_utf8(_ctx: Context, healthy: Reply) -> Reply:
    """The same page in windows-1251 (Kazakh letters, absent from it, as character
    references or JSON escapes), still labelled UTF-8."""
    media = dict(healthy.headers).get("Content-Type", "text/html").split(";")[0]
    pattern = "\\u{:04x}" if "json" in media else "&#{};"
    text = healthy.body.decode("utf-8")
    legacy = "".join(c if _in_cp1251(c) else pattern.format(ord(c)) for c in text)
    body = legacy.encode("cp1251")
    return _with_content_type(replace(healthy, body=body), f"{media}; charset=utf-8")


def _in_cp1251(char: str) -> bool:
    try:
        char.encode("cp1251")
    except UnicodeEncodeError:
        return False
    return True


RETRIED = Expect(entry_requests=ATTEMPTS)
#: The POST (GraphQL) route of kz_govkz follows no redirect: the 302 itself is the error.
NO_REDIRECT_FOR_POST = {"kz_govkz": Expect(says=("HTTP 302 to", "POST follows no redirect"))}
HOST_DOWN = Expect(says=("robots.txt unreachable",), entry_requests=None,
                   logged_attempts=ATTEMPTS)
#: The streamed export is consumed by the source: a body that breaks is not re-requested
#: (what was read before the break is kept), and its size is not capped (~360 MB live).
EXPORT = "un_upr[export]"
STREAM_BROKEN = Expect(says=("UHRI export truncated",))
STREAM_WHOLE = Expect(says=("UHRI export truncated",), max_sent=None, max_read=None)
#: Pages with no byte outside ASCII read the same in any charset: nothing to mislabel.
ASCII_ENTRY = Expect(status="ok")

def _no_fault(_ctx: Context) -> None:
    """The control row: the healthy site, read again."""


FAULTS: tuple[Fault, ...] = (
    Fault("none (control)", _no_fault, Expect(status="ok")),
    Fault("connection refused", _refused,
          replace(HOST_DOWN, says=(*HOST_DOWN.says, "ConnectError"))),
    Fault("reset mid-body",
          at_entry(lambda _c, h: replace(h, cut_after=h.size // 2, cut="reset")),
          replace(RETRIED, says=("network error",)), {EXPORT: STREAM_BROKEN}),
    Fault("read timeout", at_entry(lambda _c, h: replace(h, stall=TIMEOUT * 4)),
          replace(RETRIED, says=("network error", "Timeout"))),
    Fault("trickling body",
          at_entry(lambda _c, h: replace(h, filler=BIG, send_length=False, drip=TIMEOUT / 5,
                                         drip_bytes=64)),
          Expect(says=(f"took longer than {MAX_DURATION:g} s",)),
          {EXPORT: replace(STREAM_BROKEN, says=("UHRI export truncated", "took longer than"))}),
    Fault("HTTP 500", at_entry(lambda _c, _h: Reply(b"Internal Server Error", status=500)),
          replace(RETRIED, says=(f"HTTP 500 after {ATTEMPTS} attempts",))),
    Fault("503 Retry-After: 1",
          at_entry(lambda _c, _h: Reply(b"busy", status=503, headers=(("Retry-After", "1"),))),
          replace(RETRIED, says=(f"HTTP 503 after {ATTEMPTS} attempts",),
                  waits=(1.0,) * RETRIES)),
    Fault("503 Retry-After: 3600",
          at_entry(lambda _c, _h: Reply(b"busy", status=503,
                                        headers=(("Retry-After", "3600"),))),
          Expect(says=("server asks to wait 3600 s",))),
    Fault("HTTP 429", at_entry(lambda _c, _h: Reply(b"Too Many Requests", status=429)),
          replace(RETRIED, says=(f"HTTP 429 after {ATTEMPTS} attempts",))),
    Fault("HTTP 404", at_entry(lambda _c, _h: Reply(b"Not Found", status=404)),
          Expect(says=("HTTP 404",)),
          # A tracked act that disappears is a warning: the searches and the feed still run.
          {"kz_adilet": Expect(status="ok", says=("tracked act K1500000375: HTTP 404",))}),
    Fault("403 blocked", at_entry(lambda _c, _h: Reply(BLOCKED, status=403)),
          Expect(says=("HTTP 403",))),
    Fault("truncated body", at_entry(lambda _c, h: replace(h, cut_after=h.size // 2)),
          replace(RETRIED, says=("network error", "without sending complete message body")),
          {EXPORT: replace(STREAM_BROKEN, says=("UHRI export truncated",
                                                "without sending complete message body"))}),
    Fault("truncated, no length",
          at_entry(lambda _c, h: replace(h, cut_after=h.size // 2, send_length=False)),
          # A body that ends with its connection looks complete: a parser may notice (an
          # error) or read what is there (nothing stored may change either way).
          Expect(status="either"), {EXPORT: STREAM_BROKEN}),
    Fault("charset: UTF-8 labelled cp1251", at_entry(_charset_wrong), Expect(status="ok")),
    Fault("charset: cp1251 labelled UTF-8", at_entry(_legacy_labelled_utf8),
          Expect(says=("body is not valid UTF-8",)),
          {key: ASCII_ENTRY for key in ("kz_parliament", "un_upr", EXPORT, "coe_treaties",
                                        "un_treaty_deadlines")}),
    Fault("charset missing", at_entry(_charset_missing), Expect(status="ok")),
    Fault("empty 200", at_entry(lambda _c, h: replace(h, body=b"")),
          Expect(says=("HTTP 200 with an empty body",)),
          {EXPORT: STREAM_BROKEN}),
    Fault("layout changed", at_entry(lambda c, h: replace(h, body=c.spec.layout_changed)),
          Expect(says=("layout changed",))),
    Fault("50 MB body", at_entry(lambda _c, h: replace(h, body=b"", filler=BIG)),
          Expect(says=(f"larger than max_bytes = {MAX_BYTES}", "not downloaded")),
          {EXPORT: STREAM_WHOLE}),
    Fault("50 MB body, no length",
          at_entry(lambda _c, h: replace(h, body=b"", filler=BIG, send_length=False)),
          Expect(says=(f"larger than max_bytes = {MAX_BYTES}",)),
          {EXPORT: STREAM_WHOLE}),
    Fault("redirect loop",
          at_entry(lambda c, _h: Reply(b"", status=302, headers=(("Location", c.spec.entry),))),
          Expect(says=("more than 5 redirects",), entry_requests=6), NO_REDIRECT_FOR_POST),
    Fault("redirect to another host", _other_host,
          Expect(says=("redirected to another host", "{other_host}")),
          NO_REDIRECT_FOR_POST),
    Fault("invalid TLS", _invalid_tls,
          # Retrying cannot help: the same certificate comes back.
          replace(HOST_DOWN, logged_attempts=1,
                  says=(*HOST_DOWN.says, "TLS certificate rejected, not retried",
                        "CERTIFICATE_VERIFY_FAILED"))),
)
FAULT_NAMES = tuple(f.name for f in FAULTS)
BY_NAME = {f.name: f for f in FAULTS}

#: Cases that fail for a known defect, with the defect. The tests mark them
#: xfail(strict=True): a fix makes them pass, and the entry must go. Empty: the two defects
#: the matrix found (un_upr theme groups recomputed when the export was not read in full;
#: a legalacts page cut short wiping counters) are fixed, with regression cases in
#: test_regressions.py and tests/sources/test_kz_legalacts.py.
KNOWN_DEFECTS: dict[tuple[str, str], str] = {}


def check(outcome: Outcome, expect: Expect) -> list[str]:
    """Every way ``outcome`` falls short of ``expect`` and of the matrix-wide rules."""
    problems = []
    says = [s.replace("{other_host}", outcome.other_host) for s in expect.says]
    if expect.status not in ("either", outcome.status):
        problems.append(f"status {outcome.status!r}, expected {expect.status!r} "
                        f"(errors {outcome.errors}, warnings {outcome.warnings})")
    if outcome.status == "error":
        first = outcome.errors[0] if outcome.errors else ""
        problems += [f"error does not say {s!r}: {first!r}" for s in says if s not in first]
        if outcome.health != "degraded" or not first or first not in outcome.health_reason:
            problems.append(f"health {outcome.health!r} ({outcome.health_reason!r}) does not "
                            "report the error")
    else:
        problems += [f"no warning says {s!r}: {outcome.warnings}" for s in says
                     if not any(s in w for w in outcome.warnings)]
        if outcome.health != "ok":
            problems.append(f"health {outcome.health!r}: {outcome.health_reason}")
    if expect.entry_requests is not None and outcome.entry_requests != expect.entry_requests:
        problems.append(f"{outcome.entry_requests} requests at the faulty page, expected "
                        f"{expect.entry_requests}")
    if expect.logged_attempts is not None and len(outcome.fetch_log) != expect.logged_attempts:
        problems.append(f"{len(outcome.fetch_log)} attempts logged, expected "
                        f"{expect.logged_attempts}")
    if expect.waits is not None and tuple(w for w in outcome.waits if w >= 0.5) != expect.waits:
        problems.append(f"waits {outcome.waits}, expected {expect.waits} (Retry-After)")
    if outcome.server_requests > MAX_SITE_REQUESTS:
        problems.append(f"{outcome.server_requests} requests to the site in all")
    if sum(outcome.waits) > RETRIES * MAX_RETRY_AFTER:
        problems.append(f"waited {sum(outcome.waits):.1f} s in all")
    if outcome.seconds > TIME_LIMIT:
        problems.append(f"the faulted run took {outcome.seconds:.1f} s")
    if expect.max_sent is not None and outcome.entry_body_sent > expect.max_sent:
        problems.append(f"{outcome.entry_body_sent} body bytes sent at the faulty page")
    read = sum(int(row["bytes"] or 0) for row in outcome.fetch_log)
    if expect.max_read is not None and read > expect.max_read:
        problems.append(f"the faulted run read {read} bytes")
    if outcome.bystander_status != "ok" or outcome.bystander_health != "ok":
        problems.append(f"bystander {outcome.bystander}: {outcome.bystander_status} "
                        f"{outcome.bystander_errors} health {outcome.bystander_health}")
    problems += [f"stored data changed: {c}" for c in outcome.stored_changes]
    problems += [f"archived file lost or altered: {name}" for name in outcome.archive_lost]
    return problems
