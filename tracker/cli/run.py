"""`tracker run`: the scheduler daemon (or `--once` for cron and tests)."""

from __future__ import annotations

import logging
import logging.handlers
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from tracker.cli.app import cli, echo_json, get_app
from tracker.config import Settings
from tracker.lock import LockHeld, SchedulerLock
from tracker.runner import recover_interrupted_runs
from tracker.store import Store
from tracker.textsafe import terminal_safe

if TYPE_CHECKING:  # the scheduler (APScheduler) and mail are loaded only by `tracker run`
    from tracker.scheduling import Runtime

log = logging.getLogger("tracker.run")
LOG_NAME = "tracker.log"


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files are created owner-only (0600), rotated ones included:
    logs name sources, recipients and errors."""

    def _open(self):  # type: ignore[no-untyped-def]
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.chmod(self.baseFilename, 0o600)
        return os.fdopen(fd, self.mode.replace("w", "a"), encoding=self.encoding)


@contextmanager
def logging_to(home: Path, verbose: bool) -> Iterator[Path]:
    """Log to stderr and to ``home/logs/tracker.log`` (1 MB × 5, 0600) while inside."""
    folder = home / "logs"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / LOG_NAME
    form = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    to_file = PrivateRotatingFileHandler(path, maxBytes=1_000_000, backupCount=5,
                                         encoding="utf-8")
    to_err = logging.StreamHandler(sys.stderr)
    for handler in (to_file, to_err):
        handler.setFormatter(form)
    to_err.setLevel(logging.DEBUG if verbose else logging.INFO)
    loggers = [logging.getLogger("tracker"), logging.getLogger("apscheduler")]
    before = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(to_file)
        lg.addHandler(to_err)
        lg.setLevel(logging.INFO if not verbose else logging.DEBUG)
    logging.getLogger("apscheduler").setLevel(logging.WARNING if not verbose else logging.INFO)
    try:
        yield path
    finally:
        for lg, level in zip(loggers, before, strict=True):
            lg.removeHandler(to_file)
            lg.removeHandler(to_err)
            lg.setLevel(level)
        to_file.close()


def build_runtime(settings: Settings, store: Store) -> Runtime:
    """The scheduler's runtime for this home (config checked before anything runs)."""
    from tracker.alerts import mail_context
    from tracker.scheduling import Runtime, job_specs

    ctx = mail_context(settings, store)
    where = str(settings.home / "tracker.toml")
    return Runtime(settings, store, ctx, job_specs(settings, ctx.mail, where))


@contextmanager
def stop_on_signals(runtime: Runtime) -> Iterator[None]:
    """SIGINT/SIGTERM ask the scheduler to stop after the running job; a second SIGINT
    interrupts at once (the store's transaction then rolls back whole)."""
    seen = {"n": 0}

    def handle(signum: int, _frame: FrameType | None) -> None:
        seen["n"] += 1
        if seen["n"] > 1 and signum == signal.SIGINT:
            raise KeyboardInterrupt
        log.info("received %s: stopping after the running job", signal.Signals(signum).name)
        runtime.stop.set()

    previous = {s: signal.signal(s, handle) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


@cli.command()
@click.option("--once", is_flag=True, help="Run every due job once and exit (for cron).")
@click.option("--json", "as_json", is_flag=True, help="With --once: print the results as JSON.")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.pass_context
def run(ctx: click.Context, once: bool, as_json: bool, verbose: bool) -> int:
    """Run the scheduler: sources on their schedules, digests and alerts by email."""
    from tracker.scheduling import run_daemon

    app = get_app(ctx)
    settings = app.settings()
    store = app.store()
    runtime = build_runtime(settings, store)
    stale = timedelta(minutes=runtime.mail.schedule.lock_stale_minutes)
    lock = SchedulerLock(store.engine, stale_after=stale)
    try:
        lock.acquire()
    except LockHeld as exc:
        click.echo(f"tracker: {exc}; not starting a second one", err=True)
        return 1
    with logging_to(settings.home, verbose) as logfile, stop_on_signals(runtime):
        try:
            if lock.recovered is not None:
                log.warning("took over a stale scheduler lock from %s",
                            lock.recovered.describe())
            # We hold the lock: any run still "running" belongs to a process that died.
            recover_interrupted_runs(settings, store)
            if once:
                return _once(runtime, as_json)
            log.info("scheduler started (pid %d); log file %s", os.getpid(), logfile)

            def lost() -> None:
                log.error("the scheduler lock was taken over by another process: stopping")
                runtime.stop.set()

            lock.start_heartbeat(lost)
            run_daemon(runtime, on_ready=lambda _s: log.info("scheduler ready"))
            log.info("scheduler stopped")
            return 0
        finally:
            lock.release()


def _once(runtime: Runtime, as_json: bool) -> int:
    from tracker.scheduling import run_once

    results = run_once(runtime)
    if as_json:
        echo_json([{"job": r.job_id, "action": r.action, "ok": r.ok, "detail": r.detail,
                    "next_run": r.next_run.isoformat() if r.next_run else None}
                   for r in results])
    else:
        for r in results:
            state = r.action if r.ok else f"{r.action} (FAILED)"
            nxt = f" — next {r.next_run:%Y-%m-%d %H:%M %Z}" if r.next_run else ""
            detail = f": {terminal_safe(r.detail)}" if r.detail else ""
            click.echo(f"{r.job_id}: {state}{detail}{nxt}")
    return 0 if all(r.ok for r in results) else 1
