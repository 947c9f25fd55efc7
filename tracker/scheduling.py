"""The scheduler (APScheduler 3.x — the only module that uses it): jobs, triggers, due-ness.

Jobs (``source:<key>``, ``alerts``, ``digest:<email>``) persist their next run time in the
store's database (``SQLAlchemyJobStore``), computed by their trigger from the time they
last ran. **Due** at ``now``: that time is ``<= now`` (missed runs coalesce into the latest),
or the job never ran; **missed** instead when the latest scheduled time is older than the
grace time (it then waits for its next time). ``run --once`` applies this rule with the
clock it is given; the daemon gets it from APScheduler (``coalesce``, ``misfire_grace_time``).
Running ``--once`` twice in a row runs nothing the second time. See docs/daemon.md.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from tracker.alerts import MailContext, send_alerts, send_digest, send_health_alerts
from tracker.archive import Archive
from tracker.catalog import all_sources, enabled_sources
from tracker.config import Settings
from tracker.errors import ConfigError
from tracker.fetch import Fetcher, RobotsCache
from tracker.mailconfig import WEEKDAYS, MailSettings, SourceSchedule
from tracker.runner import recover_interrupted_runs, run_source
from tracker.store import Store
from tracker.store import digests as sd

log = logging.getLogger(__name__)
JOBS_TABLE = "apscheduler_jobs"
_MAX_STEPS = 100_000


class WindowTrigger(BaseTrigger):  # type: ignore[misc]
    """Wraps an interval or cron trigger: adds up to ``jitter`` seconds and moves fire times
    that fall outside the office-hours window to the window's next opening."""

    def __init__(self, inner: Any, window: tuple[time, time] | None, days: Sequence[str],
                 timezone: tzinfo, jitter: float = 0.0) -> None:
        self.inner = inner
        self.window = window
        self.days = tuple(WEEKDAYS.index(d) for d in days)
        self.timezone = timezone
        self.jitter = jitter

    def clamp(self, when: datetime) -> datetime:
        """``when`` if inside the window, else the window's next opening."""
        if self.window is None:
            return when
        start, end = self.window
        local = when.astimezone(self.timezone)
        for _ in range(8):
            if local.weekday() in self.days:
                if start <= local.time() < end:
                    return local
                if local.time() < start:
                    return _at(local, start, self.timezone)
            local = _at(local + timedelta(days=1), start, self.timezone)
        return local

    def get_next_fire_time(self, previous_fire_time: datetime | None,
                           now: datetime) -> datetime | None:
        """The inner trigger's next time, moved into the window, plus jitter."""
        nxt = self.inner.get_next_fire_time(previous_fire_time, now)
        return None if nxt is None else self._jittered(self.clamp(nxt))

    def _jittered(self, when: datetime) -> datetime:
        room = self.jitter
        if self.window is not None and room:
            end = _at(when.astimezone(self.timezone), self.window[1], self.timezone)
            room = min(room, max(0.0, (end - when).total_seconds() - 1))
        return when + timedelta(seconds=random.uniform(0, room)) if room else when

    def first(self, now: datetime, *, jitter: bool) -> datetime:
        """When a job that never ran should first run: now (inside the window)."""
        when = self.clamp(now)
        return self._jittered(when) if jitter else when

    def __str__(self) -> str:
        window = "any time" if self.window is None else (
            f"{self.window[0]:%H:%M}-{self.window[1]:%H:%M} "
            + ",".join(WEEKDAYS[d] for d in self.days))
        return f"{self.inner}; jitter {self.jitter:g}s; {window}"


def _at(day: datetime, at: time, tz: tzinfo) -> datetime:
    return datetime.combine(day.date(), at, tzinfo=tz)


@dataclass(frozen=True)
class JobSpec:
    """One job as the config defines it; ``signature`` changes when its schedule does."""

    id: str
    kind: str  # source | alerts | digest
    target: str
    trigger: Any
    signature: str


def job_specs(settings: Settings, mail: MailSettings, where: str = "tracker.toml"
              ) -> list[JobSpec]:
    """Every job of this configuration, in the order ``--once`` runs them: sources first,
    then alerts, then digests (so a digest includes what the scrape just found)."""
    s = mail.schedule
    tz = ZoneInfo(s.timezone)
    known = all_sources(settings)
    for key in s.sources:
        if key not in known:
            raise ConfigError(f"{where}: [schedule.sources.{key}] unknown source {key!r} "
                              f"(known: {', '.join(sorted(known))})")
    specs: list[JobSpec] = []
    for key in enabled_sources(settings):
        own = s.sources.get(key, SourceSchedule())
        if own.cron:
            inner: Any = CronTrigger.from_crontab(own.cron, timezone=tz)
            how = f"cron {own.cron!r}"
        else:
            minutes = own.interval_minutes or s.interval_minutes
            inner = IntervalTrigger(minutes=minutes, timezone=tz)
            how = f"every {minutes} min"
        jitter = (s.jitter_minutes if own.jitter_minutes is None else own.jitter_minutes) * 60
        window = s.office_hours if own.office_hours_only else None
        trigger = WindowTrigger(inner, window, s.office_days, tz, jitter)
        hours = "any time" if window is None else \
            f"{window[0]:%H:%M}-{window[1]:%H:%M} {','.join(s.office_days)}"
        specs.append(JobSpec(f"source:{key}", "source", key, trigger,
                             f"{how}; jitter {jitter // 60} min; {hours}; {s.timezone}"))
    if mail.smtp is not None and mail.recipients:
        specs.append(JobSpec("alerts", "alerts", "", IntervalTrigger(
            minutes=mail.alerts.check_minutes, timezone=tz),
            f"every {mail.alerts.check_minutes} min"))
        for r in mail.recipients:
            dow = r.weekday if r.frequency == "weekly" else "*"
            trigger = CronTrigger(day_of_week=dow, hour=r.send_at.hour,
                                  minute=r.send_at.minute, timezone=tz)
            specs.append(JobSpec(f"digest:{r.email.lower()}", "digest", r.email, trigger,
                                 f"{r.frequency} at {r.send_at:%H:%M}"
                                 f"{' on ' + r.weekday if r.frequency == 'weekly' else ''}; "
                                 f"{s.timezone}"))
    return specs


# -- what a job does ------------------------------------------------------------------------------


@dataclass
class Runtime:
    """What jobs need while the scheduler runs (set once per process)."""

    settings: Settings
    store: Store
    mail_ctx: MailContext
    specs: list[JobSpec]
    stop: threading.Event = field(default_factory=threading.Event)
    #: The source jobs' fetchers, one per thread that ran one (thread ident → fetcher).
    _fetchers: dict[int, Fetcher] = field(default_factory=dict, repr=False)
    _fetcher_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    #: robots.txt rules shared by those fetchers: each site's is read once per process and
    #: day (RFC 9309 §2.4), not before every source (which doubled a cycle's requests).
    _robots: RobotsCache = field(default_factory=RobotsCache, repr=False)

    def fetcher(self) -> Fetcher:
        """The calling thread's fetcher for source jobs, kept for its later jobs so that
        connections stay open. A Fetcher is not thread-safe (a run's counts, the pacing
        clock, connection pools), so a job never shares one with a job running at the same
        moment in another thread (APScheduler's workers, ``run --once``'s caller); the
        fetchers share the robots.txt rules."""
        thread = threading.get_ident()
        with self._fetcher_lock:
            fetcher = self._fetchers.get(thread)
            if fetcher is None:
                fetcher = self._fetchers[thread] = Fetcher(
                    self.settings.fetch, Archive(self.settings.archive_dir), self.store,
                    robots=self._robots)
            return fetcher

    def close_fetcher(self) -> None:
        """Close every source job fetcher's connections (at scheduler shutdown, when no job
        runs any more); a later job gets a new fetcher."""
        with self._fetcher_lock:
            fetchers = list(self._fetchers.values())
            self._fetchers.clear()
        for fetcher in fetchers:
            fetcher.close()

    @property
    def mail(self) -> MailSettings:
        """The mail and schedule settings."""
        return self.mail_ctx.mail


_RUNTIME: Runtime | None = None


def install(runtime: Runtime | None) -> None:
    """Make ``runtime`` the one jobs run with (APScheduler calls jobs by name)."""
    global _RUNTIME
    _RUNTIME = runtime


@dataclass(frozen=True)
class JobResult:
    """What one job did: ran (ok or not), missed (past its grace time), or is waiting."""

    job_id: str
    action: str  # ran | missed | waiting | error
    ok: bool = True
    detail: str = ""
    next_run: datetime | None = None


def execute_job(job_id: str) -> tuple[bool, str]:
    """Run one job now (APScheduler's entry point; also used by ``--once``)."""
    rt = _RUNTIME
    if rt is None:
        raise RuntimeError("scheduler runtime not installed")
    spec = next((s for s in rt.specs if s.id == job_id), None)
    if spec is None:
        return True, "job no longer configured"
    if spec.kind == "source":
        return _run_source_job(rt, spec.target)
    ctx = rt.mail_ctx
    if spec.kind == "alerts":
        # A digest prepared but not sent (a crash, a refused connection) goes out now,
        # not a day later; then the alerts.
        outcomes = [send_digest(ctx, r) for r in rt.mail.recipients
                    if sd.pending_digest(ctx.store, r.email) is not None]
        outcomes += send_alerts(ctx)
    else:
        recipient = rt.mail.recipient(spec.target)
        if recipient is None:
            return True, "recipient no longer configured"
        outcomes = [send_digest(ctx, recipient)]
    failed = [o for o in outcomes if o.status == "failed"]
    detail = "; ".join(f"{o.kind} {o.recipient}: {o.status}" + (f" ({o.error})" if o.error
                                                                 else "") for o in outcomes)
    return not failed, detail or "nothing to send"


def _run_source_job(rt: Runtime, key: str) -> tuple[bool, str]:
    """Run one source with this worker thread's long-lived fetcher (``Runtime.fetcher``:
    open connections and robots.txt rules carry over from earlier jobs)."""
    settings = rt.settings
    summary = run_source(key, settings=settings, store=rt.store, fetcher=rt.fetcher(),
                         goals=list(rt.mail_ctx.goals))  # type: ignore[arg-type]
    detail = (f"{summary.status}: {summary.inserted} new, {summary.updated} updated, "
              f"{summary.events} events" + (f"; {summary.errors[0]}" if summary.errors else ""))
    if rt.mail.smtp is not None and rt.mail.recipients:
        # A source that just broke or recovered is worth telling at once, not in an hour.
        outcomes = send_health_alerts(rt.mail_ctx)
        detail += "".join(f"; health alert {o.recipient}: {o.status}" for o in outcomes)
    return summary.status == "ok", detail


# -- the job store and due-ness -------------------------------------------------------------------


class TrackerScheduler(BackgroundScheduler):  # type: ignore[misc]
    """A BackgroundScheduler that can be made *passive*: it then never processes jobs.

    APScheduler 3 processes due jobs one last time while shutting down (after the executor
    stopped), which would move persisted next run times on without running the jobs;
    ``--once`` and the daemon's shutdown set ``passive`` so that cannot happen."""

    passive = False

    def _process_jobs(self) -> float | None:
        if self.passive:
            return None
        result: float | None = super()._process_jobs()
        return result

    def close(self) -> None:
        """Shut down without processing anything more (waits for a running job)."""
        self.passive = True
        self.shutdown(wait=True)


def make_scheduler(store: Store, mail: MailSettings) -> TrackerScheduler:
    """A scheduler on the store's database: one worker (sources share a database and are
    polite to the same sites), coalescing, with the configured grace time."""
    return TrackerScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=store.engine, tablename=JOBS_TABLE)},
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": mail.schedule.misfire_grace_minutes * 60},
        timezone=ZoneInfo(mail.schedule.timezone),
    )


def first_run(spec: JobSpec, now: datetime, *, jitter: bool) -> datetime:
    """When a job never run before first runs: now (sources: inside the window)."""
    if isinstance(spec.trigger, WindowTrigger):
        return spec.trigger.first(now, jitter=jitter)
    return now


def sync_jobs(scheduler: TrackerScheduler, specs: Sequence[JobSpec], now: datetime, *,
              jitter: bool) -> None:
    """Make the job store match the config, KEEPING the persisted next run time of every job
    whose schedule did not change (so missed runs are still seen after a restart)."""
    existing = {job.id: job for job in scheduler.get_jobs()}
    for spec in specs:
        job = existing.get(spec.id)
        if job is not None and job.name == spec.signature and job.next_run_time is not None:
            continue
        if job is None:
            when = first_run(spec, now, jitter=jitter)
        else:  # the schedule changed: start it afresh from now
            when = spec.trigger.get_next_fire_time(None, now) or first_run(spec, now,
                                                                           jitter=jitter)
        scheduler.add_job(execute_job, trigger=spec.trigger, args=[spec.id], id=spec.id,
                          name=spec.signature, replace_existing=True, next_run_time=when)
    wanted = {s.id for s in specs}
    for job_id in existing:
        if job_id not in wanted:
            scheduler.remove_job(job_id)


def decide(trigger: Any, next_run: datetime, now: datetime, grace: timedelta
           ) -> tuple[str, datetime | None, datetime]:
    """(run | missed | waiting, the scheduled time it stands for, the next run after it).
    Scheduled times between ``next_run`` and ``now`` coalesce into the latest one."""
    if next_run > now:
        return "waiting", None, next_run
    latest = next_run
    for _ in range(_MAX_STEPS):
        following = trigger.get_next_fire_time(latest, now)
        if following is None or following > now:
            break
        latest = following
    after = trigger.get_next_fire_time(latest, now)
    while after is not None and after <= now:
        after = trigger.get_next_fire_time(after, now)
    action = "missed" if now - latest > grace else "run"
    return action, latest, after or now + timedelta(days=3650)


def run_once(rt: Runtime, now: datetime | None = None,
             clock: Callable[[], datetime] | None = None) -> list[JobResult]:
    """Run every due job once, persist each job's next run time, and return what happened.
    ``now`` decides due-ness (a controlled clock in tests); ``clock`` times the next runs."""
    clock = clock or (lambda: datetime.now(UTC))
    now = now or clock()
    grace = timedelta(minutes=rt.mail.schedule.misfire_grace_minutes)
    install(rt)
    scheduler = make_scheduler(rt.store, rt.mail)
    scheduler.passive = True  # this process decides what runs, with the clock it was given
    scheduler.start(paused=True)
    results: list[JobResult] = []
    try:
        sync_jobs(scheduler, rt.specs, now, jitter=False)
        for spec in rt.specs:
            if rt.stop.is_set():
                break
            job = scheduler.get_job(spec.id)
            action, scheduled, after = decide(job.trigger, job.next_run_time, now, grace)
            if action == "waiting":
                results.append(JobResult(spec.id, "waiting", next_run=after))
                continue
            if action == "missed":
                log.warning("job %s missed its run at %s (grace %s): next at %s", spec.id,
                            scheduled, grace, after)
                job.modify(next_run_time=after)
                results.append(JobResult(spec.id, "missed", True, f"was due {scheduled}",
                                         after))
                continue
            try:
                ok, detail = execute_job(spec.id)
            except Exception as exc:  # a broken job must not stop the others; retried
                log.exception("job %s failed", spec.id)
                results.append(JobResult(spec.id, "error", False, f"{type(exc).__name__}: "
                                                                  f"{exc}"))
                continue
            job.modify(next_run_time=after)
            results.append(JobResult(spec.id, "ran", ok, detail, after))
    finally:
        scheduler.close()
        rt.close_fetcher()
        install(None)
    return results


def run_daemon(rt: Runtime, on_ready: Callable[[TrackerScheduler], None] | None = None
               ) -> None:
    """Run the scheduler until ``rt.stop`` is set; then wait for the running job to finish
    (its store transaction commits or rolls back whole) and return."""
    install(rt)
    scheduler = make_scheduler(rt.store, rt.mail)

    def listen(event: Any) -> None:
        if event.code == EVENT_JOB_MISSED:
            log.warning("job %s missed its run at %s (past the grace time); it runs at its "
                        "next time", event.job_id, event.scheduled_run_time)
        else:
            log.error("job %s failed: %s", event.job_id, event.exception)

    scheduler.add_listener(listen, EVENT_JOB_MISSED | EVENT_JOB_ERROR)
    scheduler.start(paused=True)
    try:
        sync_jobs(scheduler, rt.specs, datetime.now(UTC), jitter=True)
        for job in scheduler.get_jobs():
            log.info("job %s (%s): next run %s", job.id, job.name, job.next_run_time)
        scheduler.resume()
        if on_ready is not None:
            on_ready(scheduler)
        while not rt.stop.wait(1.0):
            pass
        log.info("stopping: waiting for the running job to finish")
    finally:
        scheduler.close()
        rt.close_fetcher()
        install(None)


def start_in_process(settings: Settings) -> Callable[[], None]:
    """Run the schedule in a background thread of this process (the dashboard does, when no
    daemon holds the lock). Takes the lock (``LockHeld`` if a daemon got it first); returns
    ``stop()``, which waits for the running job, releases the lock and closes the store."""
    from tracker.alerts import mail_context
    from tracker.lock import SchedulerLock

    store = Store.open(settings.database_url)
    try:
        ctx = mail_context(settings, store)
        rt = Runtime(settings, store, ctx,
                     job_specs(settings, ctx.mail, str(settings.home / "tracker.toml")))
        lock = SchedulerLock(store.engine, stale_after=timedelta(
            minutes=ctx.mail.schedule.lock_stale_minutes))
        lock.acquire()
        recover_interrupted_runs(settings, store)  # runs a dead process left "running"
    except BaseException:
        store.close()
        raise
    lock.start_heartbeat(rt.stop.set)
    thread = threading.Thread(target=run_daemon, args=(rt,), name="tracker-scheduler",
                              daemon=True)
    thread.start()

    def stop() -> None:
        rt.stop.set()
        thread.join()
        lock.release()
        store.close()

    return stop
