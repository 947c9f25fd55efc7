"""The scheduler lock: one holder, who holds it, stale locks recovered, take-over detected."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tracker.lock import LockHeld, SchedulerLock, lock_holder
from tracker.store import Store


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    yield opened
    opened.close()


class Clock:
    """A controlled clock."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 12, 3, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_second_scheduler_is_refused_and_told_who_holds_it(store: Store) -> None:
    assert lock_holder(store.engine) is None
    first = SchedulerLock(store.engine)
    first.acquire()
    with pytest.raises(LockHeld) as info:
        SchedulerLock(store.engine).acquire()
    holder = info.value.holder
    import os
    import socket

    assert holder.pid == os.getpid() and holder.host == socket.gethostname()
    assert f"pid {os.getpid()}" in str(info.value) and "since" in str(info.value)
    assert lock_holder(store.engine) == holder
    first.release()
    assert lock_holder(store.engine) is None
    second = SchedulerLock(store.engine)
    second.acquire()  # free again
    assert second.recovered is None
    second.release()


def test_lock_of_a_killed_process_on_this_host_is_recovered(store: Store) -> None:
    gone = SchedulerLock(store.engine, pid=dead_pid())
    gone.acquire()  # then "killed": never released
    mine = SchedulerLock(store.engine)
    mine.acquire()
    assert mine.recovered is not None and mine.recovered.pid == gone.pid
    assert gone.heartbeat() is False  # the old holder learns it lost the lock
    holder = lock_holder(store.engine)
    assert holder is not None and holder.pid == mine.pid
    mine.release()


def test_lock_on_another_host_is_recovered_only_after_its_heartbeat_stops(store: Store) -> None:
    clock = Clock()
    stale = timedelta(minutes=10)
    remote = SchedulerLock(store.engine, pid=1, host="server-elsewhere", clock=clock,
                           stale_after=stale)
    remote.acquire()
    clock.now += timedelta(minutes=9)
    assert remote.heartbeat() is True  # it keeps beating
    clock.now += timedelta(minutes=9)
    local = SchedulerLock(store.engine, clock=clock, stale_after=stale)
    with pytest.raises(LockHeld):
        local.acquire()  # 9 minutes since the last beat: alive
    clock.now += timedelta(minutes=2)
    local.acquire()  # 11 minutes: stale
    assert local.recovered is not None and local.recovered.host == "server-elsewhere"
    assert remote.heartbeat() is False
    remote.release()  # releasing a lost lock must not free the new holder's
    assert lock_holder(store.engine) is not None
    local.release()


def test_lock_holder_from_settings(tmp_path: object, store_url: str) -> None:
    from types import SimpleNamespace

    settings = SimpleNamespace(database_url=store_url)
    opened = Store.open(store_url)
    try:
        assert lock_holder(settings) is None
        with SchedulerLock(opened.engine):
            holder = lock_holder(settings)
            assert holder is not None and holder.pid > 0
        assert lock_holder(settings) is None
    finally:
        opened.close()
