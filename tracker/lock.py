"""Exactly one scheduler per database: a lock row with a heartbeat.

Why a row in the database and not a file in the home: what must never run twice is whatever
sends mail and advances watermarks, and those live in the database. Two homes (two laptops,
or a laptop and a server) may point at the same PostgreSQL database; a file lock in each home
would let both schedulers send every digest. For SQLite the database is in the home anyway,
so the row also gives "one per home".

The row says who holds the lock (pid, host, since) and when it last proved alive
(``heartbeat_at``). A lock is stale, and is taken over, when its holder ran on this host and
that pid is gone, or when its heartbeat is older than ``stale_after``. Take-over is a
compare-and-swap on the holder's random token, so two contenders can never both win.

The table is created on first use (``create_all``); it belongs in a numbered migration.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Column, Engine, MetaData, String, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

lock_metadata = MetaData()

scheduler_lock = Table(
    "scheduler_lock",
    lock_metadata,
    Column("name", String(64), primary_key=True),
    Column("token", String(64), nullable=False),
    Column("pid", String(16), nullable=False),
    Column("host", String(255), nullable=False),
    Column("since", String(32), nullable=False),
    Column("heartbeat_at", String(32), nullable=False),
)

LOCK_NAME = "scheduler"
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Holder:
    """Who holds the scheduler lock."""

    pid: int
    host: str
    since: str
    heartbeat_at: str

    def describe(self) -> str:
        """``pid 4242 on host "office-pc" since 2026-11-12T08:00:00+00:00``."""
        return (f"pid {self.pid} on host {self.host!r} since {self.since} "
                f"(last heartbeat {self.heartbeat_at})")

    def __str__(self) -> str:
        return self.describe()


class LockHeld(Exception):
    """Another scheduler holds the lock."""

    def __init__(self, holder: Holder) -> None:
        super().__init__(f"another scheduler is running: {holder.describe()}")
        self.holder = holder


def _now() -> datetime:
    return datetime.now(UTC)


def ensure_table(engine: Engine) -> None:
    """Create the lock table if it is missing (until it moves into a migration)."""
    lock_metadata.create_all(engine, checkfirst=True)


def pid_alive(pid: int) -> bool:
    """True if a process with this pid exists on this machine."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_stale(holder: Holder, now: datetime, stale_after: timedelta,
             *, host: str | None = None) -> bool:
    """A holder is stale when its process is gone from this host, or it stopped beating."""
    if holder.host == (host or socket.gethostname()) and not pid_alive(holder.pid):
        return True
    try:
        beat = datetime.fromisoformat(holder.heartbeat_at)
    except ValueError:
        return True
    return now - beat > stale_after


def _holder(row: Any) -> Holder:
    return Holder(int(row.pid), str(row.host), str(row.since), str(row.heartbeat_at))


def lock_holder(settings_or_engine: Any) -> Holder | None:
    """Who holds the scheduler lock, or None (cheap: one primary-key read).

    Accepts the tracker's ``Settings`` (a short-lived engine is opened on its database) or
    an open SQLAlchemy ``Engine``; for the dashboard."""
    if isinstance(settings_or_engine, Engine):
        return _read(settings_or_engine)
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    url = make_url(settings_or_engine.database_url)
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    engine = create_engine(url)
    try:
        return _read(engine)
    finally:
        engine.dispose()


def _read(engine: Engine) -> Holder | None:
    from sqlalchemy import inspect

    with engine.connect() as conn:
        if not inspect(conn).has_table("scheduler_lock"):
            return None
        row = conn.execute(select(scheduler_lock).where(
            scheduler_lock.c.name == LOCK_NAME)).first()
    return _holder(row) if row else None


class SchedulerLock:
    """The lock of one scheduler process. ``acquire`` raises :class:`LockHeld`."""

    def __init__(self, engine: Engine, *, stale_after: timedelta = timedelta(minutes=10),
                 clock: Clock = _now, pid: int | None = None, host: str | None = None) -> None:
        self.engine = engine
        self.stale_after = stale_after
        self.clock = clock
        self.pid = os.getpid() if pid is None else pid
        self.host = host or socket.gethostname()
        self.token = secrets.token_hex(16)
        self.recovered: Holder | None = None  # the stale holder taken over, if any
        self._beat_stop = threading.Event()
        self._beat_thread: threading.Thread | None = None

    def acquire(self) -> None:
        """Take the lock, recovering a stale one; LockHeld if a live scheduler has it."""
        ensure_table(self.engine)
        now = self.clock().isoformat()
        mine = {"name": LOCK_NAME, "token": self.token, "pid": str(self.pid),
                "host": self.host, "since": now, "heartbeat_at": now}
        for _attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(scheduler_lock).values(**mine))
                return
            except IntegrityError:
                pass
            with self.engine.begin() as conn:
                row = conn.execute(select(scheduler_lock).where(
                    scheduler_lock.c.name == LOCK_NAME)).first()
                if row is None:
                    continue  # released meanwhile: try to insert again
                holder = _holder(row)
                if not is_stale(holder, self.clock(), self.stale_after, host=self.host):
                    raise LockHeld(holder)
                # Compare-and-swap on the stale holder's token: one contender wins.
                taken = conn.execute(
                    update(scheduler_lock)
                    .where(scheduler_lock.c.name == LOCK_NAME,
                           scheduler_lock.c.token == row.token)
                    .values(**mine)
                ).rowcount
            if taken == 1:
                self.recovered = holder
                return
        current = _read(self.engine)
        if current is None:
            raise RuntimeError("could not take the scheduler lock")
        raise LockHeld(current)

    def heartbeat(self) -> bool:
        """Prove we are alive; False if the lock is no longer ours (taken over as stale)."""
        with self.engine.begin() as conn:
            count = conn.execute(
                update(scheduler_lock)
                .where(scheduler_lock.c.name == LOCK_NAME, scheduler_lock.c.token == self.token)
                .values(heartbeat_at=self.clock().isoformat())
            ).rowcount
        return count == 1

    def release(self) -> None:
        """Give the lock up (only if it is still ours)."""
        self.stop_heartbeat()
        with self.engine.begin() as conn:
            conn.execute(delete(scheduler_lock).where(
                scheduler_lock.c.name == LOCK_NAME, scheduler_lock.c.token == self.token))

    def start_heartbeat(self, on_lost: Callable[[], None], interval: float | None = None) -> None:
        """Beat in a background thread; call ``on_lost`` (once) if the lock is lost."""
        period = interval or max(5.0, self.stale_after.total_seconds() / 5)

        def beat() -> None:
            while not self._beat_stop.wait(period):
                try:
                    ok = self.heartbeat()
                except Exception:  # the database is briefly unavailable: try again later
                    continue
                if not ok:
                    on_lost()
                    return

        self._beat_thread = threading.Thread(target=beat, name="tracker-lock-heartbeat",
                                             daemon=True)
        self._beat_thread.start()

    def stop_heartbeat(self) -> None:
        """Stop the heartbeat thread (idempotent)."""
        self._beat_stop.set()
        if self._beat_thread is not None and self._beat_thread is not threading.current_thread():
            self._beat_thread.join(timeout=5)
        self._beat_thread = None

    def __enter__(self) -> SchedulerLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
