"""Run one fault-matrix case: seed a source healthy, make its site faulty, run it again.

A case, for source S and fault F (everything on 127.0.0.1):

1. S is served healthy by its own replay server, and a bystander source (kz_legalacts, or
   un_treaty_deadlines when S is kz_legalacts) by another. Both run once, through one
   fetcher, into a fresh SQLite store (once per source: every case starts from a copy of
   that home). That is the state "stored before".
2. The store is dumped (every table, rows sorted) and the archive listed.
3. F is injected: a faulty reply at S's first page, or S's base URL moved to a refused port
   or to an HTTPS server with a self-signed certificate.
4. S then the bystander run through one new fetcher (as in ``tracker scrape``), under a
   watchdog that stops S's server if the run outlives ``WATCHDOG`` seconds.
5. The outcome records what the store, the health table, the servers and the fetch log saw.
   ``tests/faults/faults.py`` says what each fault's outcome must be.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import inspect, text

from sources.base import registry
from tests.conftest import write_home
from tests.faults.sources import SPECS, SourceSpec
from tracker.archive import Archive
from tracker.catalog import load_home_settings
from tracker.config import Settings
from tracker.fetch import Fetcher
from tracker.replay import ReplayServer, route_key
from tracker.runner import run_source
from tracker.store import Store

TIMEOUT = 0.5
RETRIES = 2
BACKOFF = 0.01
MAX_RETRY_AFTER = 2.0
MAX_BYTES = 2_000_000
#: Deadline of one exchange / one streamed download (the fetcher's defaults: 60 s, 1 h).
MAX_DURATION = 1.0
#: A faulted run longer than this is stopped (its server is shut down) and fails the case.
WATCHDOG = 15.0
#: Rows a failing run adds by itself; everything else must be identical before and after.
RUN_TABLES = frozenset({"source_runs", "fetches", "source_health"})
#: Columns a *successful* run rewrites without changing anything stored: the time and the
#: evidence (archived response) with which it re-confirmed an HTTP validator.
REFRESHED = {"http_validators": frozenset({"updated_at", "sha256"})}

Dump = dict[str, list[dict[str, Any]]]


def fetch_table() -> str:
    """The matrix's [fetch] table: no pacing, short timeouts, two retries, tiny back-off."""
    return (f"[fetch]\nmin_interval = 0.0\ntimeout = {TIMEOUT}\nretries = {RETRIES}\n"
            f"backoff = {BACKOFF}\nmax_retry_after = {MAX_RETRY_AFTER}\n"
            f"max_bytes = {MAX_BYTES}\n")


def bystander_of(key: str) -> SourceSpec:
    """The healthy source that runs next to ``key`` in every case."""
    return SPECS["un_treaty_deadlines" if key == "kz_legalacts" else "kz_legalacts"]


def matrix_home(home: Path, sources: list[tuple[SourceSpec, str]]) -> Settings:
    """A home where exactly these sources run, each at its base URL."""
    bases = {spec.key: (spec, base) for spec, base in sources}
    tables = []
    for key in registry():
        if key not in bases:
            tables.append(f"[sources.{key}]\nenabled = false\n")
            continue
        spec, base = bases[key]
        tables.append(f'[sources.{key}]\nbase_url = "{base}"\n{spec.options(base)}')
    write_home(home, fetch_table() + "\n".join(tables))
    return load_home_settings(home)


# -- the store before and after --------------------------------------------------------------


def dump_store(store: Store) -> Dump:
    """Every table as a sorted list of rows, except what a run adds by itself: its run row,
    its fetch log, the source health table and ``health_changed`` events."""
    out: Dump = {}
    with store.engine.connect() as conn:
        for name in sorted(inspect(conn).get_table_names()):
            if name in RUN_TABLES:
                continue
            query = f'SELECT * FROM "{name}"'
            if name == "events":
                query += " WHERE type != 'health_changed'"
            rows = [dict(row._mapping) for row in conn.execute(text(query))]
            out[name] = sorted(rows, key=repr)
    return out


def without(dump: Dump, columns: dict[str, frozenset[str]]) -> Dump:
    """The dump with these columns of these tables left out."""
    return {name: [{k: v for k, v in row.items() if k not in columns.get(name, ())}
                   for row in rows] for name, rows in dump.items()}


def dump_difference(before: Dump, after: Dump) -> list[str]:
    """What changed between two dumps, one line per table (empty: nothing)."""
    problems = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name, []), after.get(name, [])
        if old != new:
            lost = [r for r in old if r not in new]
            added = [r for r in new if r not in old]
            problems.append(f"{name}: {len(lost)} rows lost or altered, {len(added)} added "
                            f"(e.g. {(lost or added)[0]!r:.200})")
    return problems


def archive_listing(archive_dir: Path) -> dict[str, int]:
    """Archived files and their sizes."""
    if not archive_dir.exists():
        return {}
    return {str(p.relative_to(archive_dir)): p.stat().st_size
            for p in archive_dir.rglob("*.gz")}


# -- places a fault can send the source ------------------------------------------------------


def self_signed_context(folder: Path) -> ssl.SSLContext:
    """A server context with a self-signed certificate for 127.0.0.1 (trusted by nobody)."""
    now = dt.datetime.now(dt.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    chain = folder / "self-signed.pem"
    chain.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    return context


@contextmanager
def refused_port() -> Iterator[str]:
    """``http://127.0.0.1:<port>`` where a socket is bound but never listens: every
    connection attempt is refused, and no other process can take the port meanwhile."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


# -- seeded state, shared by every case of a source -----------------------------------------


@dataclass
class Seed:
    """One source and its bystander, served healthy, and a home where both ran once."""

    spec: SourceSpec
    bystander: SourceSpec
    server: ReplayServer
    healthy: ReplayServer
    template: Path
    #: Set when a watchdog had to stop ``server``: the seed is rebuilt for the next case.
    broken: bool = False

    def close(self) -> None:
        """Stop both servers."""
        self.server.stop()
        self.healthy.stop()


class Seeds:
    """Seeded homes by spec name, built on first use (a context manager: stops servers).

    Seeding costs two runs and a migration; copying the seeded home costs a millisecond, so
    every case of a source starts from a copy of the same state, served by the same servers
    (the stored validators name their URLs)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._seeds: dict[str, Seed] = {}

    def __enter__(self) -> Seeds:
        return self

    def __exit__(self, *exc: object) -> None:
        for seed in self._seeds.values():
            seed.close()

    def get(self, name: str) -> Seed:
        """The seed of spec ``name``, (re)built if needed; SeedError if a healthy run fails."""
        seed = self._seeds.get(name)
        if seed is None or seed.broken:
            if seed is not None:
                seed.close()
            seed = self._seeds[name] = self._build(SPECS[name])
        return seed

    def _build(self, spec: SourceSpec) -> Seed:
        other = bystander_of(spec.key)
        server = ReplayServer(max_requests=100_000, lifetime=900).start()
        healthy = ReplayServer(max_requests=100_000, lifetime=900).start()
        seed = Seed(spec, other, server, healthy, self.folder / f"seed-{id(server)}")
        spec.serve(server)
        other.serve(healthy)
        settings = matrix_home(seed.template, [(spec, server.base_url),
                                               (other, healthy.base_url)])
        store = Store.open(settings.database_url)
        try:
            with Fetcher(settings.fetch, Archive(settings.archive_dir), store) as fetcher:
                for source in (spec.key, other.key):
                    summary = run_source(source, settings=settings, store=store,
                                         fetcher=fetcher)
                    if summary.status != "ok":
                        seed.close()
                        raise SeedError(f"seed run of {source} failed: {summary.errors}")
        finally:
            store.close()
        return seed


class SeedError(Exception):
    """A source failed on its healthy pages: the matrix cannot say anything about it."""


# -- one case ----------------------------------------------------------------------------------


@dataclass
class Context:
    """What a fault's injector may use."""

    spec: SourceSpec
    server: ReplayServer
    stack: ExitStack
    workdir: Path
    #: The faulted source's base URL for the faulted run (a fault may move it).
    base_url: str = ""
    #: host:port a fault redirects to (the error must name it).
    other_host: str = ""


@dataclass
class Outcome:
    """Everything the checks look at, for one source × fault."""

    name: str
    fault: str
    status: str = "not run"
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    health: str | None = None
    health_reason: str = ""
    #: Requests the faulted source's server saw at the entry route / in all, in the faulted run.
    entry_requests: int = 0
    server_requests: int = 0
    #: Bytes of body the server sent at the entry route (a refused huge body stays small).
    entry_body_sent: int = 0
    #: HTTP exchanges (attempts included) the faulted run logged, and the waits it asked for.
    fetch_log: list[dict[str, Any]] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    seconds: float = 0.0
    bystander: str = ""
    bystander_status: str = "not run"
    bystander_errors: tuple[str, ...] = ()
    bystander_health: str | None = None
    stored_changes: list[str] = field(default_factory=list)
    archive_lost: list[str] = field(default_factory=list)
    other_host: str = ""


Injector = Callable[[Context], None]


def run_case(seeds: Seeds, name: str, fault_name: str, inject: Injector,
             workdir: Path) -> Outcome:
    """From a copy of spec ``name``'s seeded home: inject the fault, run both sources,
    observe."""
    seed = seeds.get(name)
    spec, other, server = seed.spec, seed.bystander, seed.server
    key = spec.key
    spec.serve(server)  # undo the previous case's fault
    home = workdir / "home"
    shutil.copytree(seed.template, home)
    outcome = Outcome(name, fault_name, bystander=other.key)
    with ExitStack() as stack:
        settings = load_home_settings(home)
        store = Store.open(settings.database_url)
        stack.callback(store.close)
        before = dump_store(store)
        archived = archive_listing(settings.archive_dir)
        context = Context(spec, server, stack, workdir, server.base_url)
        inject(context)
        outcome.other_host = context.other_host
        if context.base_url != server.base_url:
            settings = matrix_home(home, [(spec, context.base_url),
                                          (other, seed.healthy.base_url)])
        mark = len(server.log)
        waits: list[float] = []

        def wait(seconds: float) -> None:
            # The waits asked for are recorded (Retry-After, back-off) and kept short, so a
            # 503 asking for a 1 s pause costs the matrix nothing.
            waits.append(seconds)
            time.sleep(min(seconds, 0.01))

        def stop_hung_server() -> None:
            seed.broken = True
            server.stop()

        watchdog = threading.Timer(WATCHDOG, stop_hung_server)
        watchdog.daemon = True
        watchdog.start()
        started = time.monotonic()
        try:
            with Fetcher(settings.fetch, Archive(settings.archive_dir), store, sleep=wait,
                         max_duration=MAX_DURATION,
                         max_stream_duration=MAX_DURATION) as fetcher:
                summary = run_source(key, settings=settings, store=store, fetcher=fetcher)
                outcome.seconds = time.monotonic() - started
                side = run_source(other.key, settings=settings, store=store, fetcher=fetcher)
        finally:
            watchdog.cancel()
        entries = server.log[mark:]
        at_entry = [e for e in entries if route_key(e.path) == route_key(spec.entry)]
        outcome.status, outcome.errors = summary.status, summary.errors
        outcome.warnings = summary.warnings
        outcome.entry_requests = len(at_entry)
        outcome.entry_body_sent = sum(e.body_sent for e in at_entry)
        outcome.server_requests = len(entries)
        outcome.fetch_log = store.fetch_log(summary.run_id)
        outcome.waits = waits
        health = store.health()
        outcome.health = health.get(key, {}).get("health")
        outcome.health_reason = health.get(key, {}).get("reason", "")
        outcome.bystander_status, outcome.bystander_errors = side.status, side.errors
        outcome.bystander_health = health.get(other.key, {}).get("health")
        after = dump_store(store)
        if summary.status == "ok":  # a successful run refreshes its validators' evidence
            before, after = without(before, REFRESHED), without(after, REFRESHED)
        outcome.stored_changes = dump_difference(before, after)
        now = archive_listing(settings.archive_dir)
        outcome.archive_lost = [name for name, size in archived.items() if now.get(name) != size]
    return outcome
