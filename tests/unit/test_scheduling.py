"""The scheduler: office-hours window and jitter, due-ness and misfires with a controlled
clock, persistence across restarts, and APScheduler's own misfire handling in the daemon."""

from __future__ import annotations

import threading
import time as systime
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from sources.base import registry
from tests.conftest import write_home
from tests.test_mail_support import WOMEN, context, mail_settings, put, smtp_server
from tracker.catalog import load_home_settings
from tracker.mailconfig import MailSettings
from tracker.scheduling import (
    Runtime,
    WindowTrigger,
    decide,
    job_specs,
    make_scheduler,
    run_daemon,
    run_once,
    sync_jobs,
)
from tracker.store import Store

ALMATY = ZoneInfo("Asia/Almaty")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=ALMATY)  # type: ignore[misc]


def window_trigger(jitter: float = 0.0) -> WindowTrigger:
    inner = IntervalTrigger(hours=2, timezone=ALMATY)
    return WindowTrigger(inner, (time(9), time(19)), WEEKDAYS, ALMATY, jitter)


@pytest.mark.parametrize(("when", "expected"), [
    (local(2026, 11, 12, 10, 30), local(2026, 11, 12, 10, 30)),  # Thursday, inside
    (local(2026, 11, 12, 7, 0), local(2026, 11, 12, 9, 0)),  # before opening
    (local(2026, 11, 12, 19, 0), local(2026, 11, 13, 9, 0)),  # at closing: next morning
    (local(2026, 11, 13, 23, 0), local(2026, 11, 16, 9, 0)),  # Friday night → Monday
    (local(2026, 11, 14, 12, 0), local(2026, 11, 16, 9, 0)),  # Saturday → Monday
])
def test_window_moves_fire_times_into_office_hours(when: datetime, expected: datetime) -> None:
    assert window_trigger().clamp(when) == expected


def test_jitter_is_random_but_stays_inside_the_window() -> None:
    trigger = window_trigger(jitter=3600)
    prev = local(2026, 11, 12, 16, 30)  # next: 18:30, with at most 30 minutes of room
    times = {trigger.get_next_fire_time(prev, prev) for _ in range(50)}
    assert len(times) > 1
    for t in times:
        assert t is not None and local(2026, 11, 12, 18, 30) <= t < local(2026, 11, 12, 19, 0)


def test_decide_coalesces_and_applies_the_grace_time() -> None:
    daily = CronTrigger(hour=8, minute=0, timezone=ALMATY)
    grace = timedelta(hours=6)
    due = local(2026, 11, 12, 8, 0)
    assert decide(daily, due, local(2026, 11, 12, 7, 59), grace) == ("waiting", None, due)
    action, scheduled, after = decide(daily, due, local(2026, 11, 12, 13, 0), grace)
    assert (action, scheduled, after) == ("run", due, local(2026, 11, 13, 8, 0))
    # Off for three days, back at 09:00: the three missed runs coalesce into today's one.
    action, scheduled, after = decide(daily, due, local(2026, 11, 15, 9, 0), grace)
    assert (action, scheduled, after) == ("run", local(2026, 11, 15, 8, 0),
                                          local(2026, 11, 16, 8, 0))
    # Back at 15:00: today's 08:00 is 7 h old, past the grace time: missed, next tomorrow.
    action, scheduled, after = decide(daily, due, local(2026, 11, 15, 15, 0), grace)
    assert (action, scheduled, after) == ("missed", local(2026, 11, 15, 8, 0),
                                          local(2026, 11, 16, 8, 0))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    yield opened
    opened.close()


def runtime(tmp_path: Path, store: Store, mail: MailSettings, now: datetime) -> Runtime:
    """A runtime whose sources are all disabled (no network), mail to the local server."""
    others = "".join(f"[sources.{key}]\nenabled = false\n" for key in registry())
    settings = load_home_settings(write_home(tmp_path / "home", others))
    ctx = context(store, mail, now=now)
    return Runtime(settings, store, ctx, job_specs(settings, mail))


def test_run_once_twice_runs_nothing_the_second_time_and_survives_restarts(
        tmp_path: Path, store: Store) -> None:
    put(store, "1", WOMEN)
    recipients = '[[recipients]]\nemail = "aigerim@ngo.example"\nsend_at = "08:00"\n'
    with smtp_server() as (inbox, port):
        mail = mail_settings(port, recipients=recipients)
        t0 = local(2026, 11, 12, 14, 0)

        def once(now: datetime) -> dict[str, str]:
            rt = runtime(tmp_path, store, mail, now)  # a fresh scheduler: as after a restart
            return {r.job_id: r.action for r in run_once(rt, now=now, clock=lambda: now)}

        assert once(t0) == {"alerts": "ran", "digest:aigerim@ngo.example": "ran"}
        assert len(inbox.to("aigerim@ngo.example")) == 1  # never run before: due at once
        assert once(t0 + timedelta(minutes=1)) == {"alerts": "waiting",
                                                   "digest:aigerim@ngo.example": "waiting"}
        # Next morning 09:30: the 08:00 digest is due (within the 6 h grace).
        put(store, "2", WOMEN + " (2)")
        result = once(local(2026, 11, 13, 9, 30))
        assert result["digest:aigerim@ngo.example"] == "ran"
        assert len(inbox.to("aigerim@ngo.example")) == 2
        # Off until 16:00 two days later: 08:00 was 8 h ago, past the grace: missed...
        put(store, "3", WOMEN + " (3)")
        result = once(local(2026, 11, 15, 16, 0))
        assert result["digest:aigerim@ngo.example"] == "missed"
        assert len(inbox.to("aigerim@ngo.example")) == 2
        # ...and the next morning's digest catches up (the watermark kept the gap).
        result = once(local(2026, 11, 16, 8, 5))
        assert result["digest:aigerim@ngo.example"] == "ran"
        assert "(3)" in inbox.to("aigerim@ngo.example")[2].get_body(("plain",)).get_content()


def test_changing_a_schedule_reschedules_the_job(tmp_path: Path, store: Store) -> None:
    with smtp_server() as (_inbox, port):
        t0 = local(2026, 11, 12, 14, 0)
        eight = '[[recipients]]\nemail = "a@ngo.example"\nsend_at = "08:00"\n'
        run_once(runtime(tmp_path, store, mail_settings(port, recipients=eight), t0), now=t0,
                 clock=lambda: t0)
        nine = '[[recipients]]\nemail = "a@ngo.example"\nsend_at = "21:00"\n'
        rt = runtime(tmp_path, store, mail_settings(port, recipients=nine), t0)
        results = {r.job_id: r for r in run_once(rt, now=t0, clock=lambda: t0)}
        assert results["digest:a@ngo.example"].next_run == local(2026, 11, 12, 21, 0)


def test_daemon_runs_a_missed_job_within_grace_and_skips_one_past_it(
        tmp_path: Path, store: Store) -> None:
    """APScheduler's own misfire rules after a restart, from persisted next run times."""
    put(store, "1", WOMEN)
    put(store, "2", "О запрете пропаганды нетрадиционной сексуальной ориентации")
    with smtp_server() as (inbox, port):
        mail = mail_settings(port, extra="misfire_grace_minutes = 60")
        now = datetime.now(UTC)
        rt = runtime(tmp_path, store, mail, now)
        scheduler = make_scheduler(store, mail)
        scheduler.passive = True
        scheduler.start(paused=True)

        sync_jobs(scheduler, rt.specs, now, jitter=False)
        # As if the daemon had been down: Aigerim's run was due 10 min ago, Dana's 2 h ago.
        scheduler.modify_job("digest:aigerim@ngo.example", next_run_time=now - timedelta(
            minutes=10))
        scheduler.modify_job("digest:dana@ngo.example", next_run_time=now - timedelta(hours=2))
        scheduler.modify_job("alerts", next_run_time=now + timedelta(hours=1))
        scheduler.close()

        thread = threading.Thread(target=run_daemon, args=(rt,), daemon=True)
        thread.start()
        deadline = systime.monotonic() + 15
        while not inbox.to("aigerim@ngo.example") and systime.monotonic() < deadline:
            systime.sleep(0.05)
        systime.sleep(0.5)
        rt.stop.set()
        thread.join(timeout=15)
        assert not thread.is_alive()
        assert len(inbox.to("aigerim@ngo.example")) == 1
        assert inbox.to("dana@ngo.example") == []  # missed: past the 60-minute grace
        check = make_scheduler(store, mail)
        check.passive = True
        check.start(paused=True)
        try:
            job = check.get_job("digest:dana@ngo.example")
            assert job.next_run_time > now  # rescheduled to its next time, not lost
        finally:
            check.close()


def test_in_process_schedule_for_the_dashboard_takes_and_releases_the_lock(
        tmp_path: Path) -> None:
    from tracker.lock import LockHeld, SchedulerLock, lock_holder
    from tracker.scheduling import start_in_process

    others = "".join(f"[sources.{key}]\nenabled = false\n" for key in registry())
    settings = load_home_settings(write_home(tmp_path / "home", others))
    stop = start_in_process(settings)
    try:
        holder = lock_holder(settings)
        import os

        assert holder is not None and holder.pid == os.getpid()
        assert f"pid {os.getpid()}" in str(holder)
        store = Store.open(settings.database_url)
        try:
            with pytest.raises(LockHeld):
                SchedulerLock(store.engine).acquire()
        finally:
            store.close()
    finally:
        stop()
    assert lock_holder(settings) is None
