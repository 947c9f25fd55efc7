"""The schedule while the dashboard is open: a daemon's, an in-process one, or none.

:func:`start_schedule` asks `tracker.lock.lock_holder(settings)` who holds the scheduler
lock. With a daemon holding it the dashboard only reads (and writes staff data); with nobody
holding it, it runs the schedule in-process through
`tracker.scheduling.start_in_process(settings)`, which takes the lock and returns a callable
that stops the scheduler and releases the lock. Without those modules the header says the
schedule is off.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tracker.config import Settings


@dataclass(frozen=True)
class ScheduleState:
    """What the header says about the schedule, and how to stop an in-process one."""

    mode: str  # daemon | in-process | off
    text: str
    stop: Callable[[], None] | None = None


def _module(name: str) -> Any | None:
    """The module if it is installed (a missing module is expected; a broken one raises)."""
    return importlib.import_module(name) if importlib.util.find_spec(name) else None


def start_schedule(settings: Settings | None) -> ScheduleState:
    """Decide who runs the schedule while the dashboard is open (blocking: call it from a
    worker thread)."""
    if settings is None:
        return ScheduleState("off", "schedule: off")
    lock = _module("tracker.lock")
    if lock is None:
        return ScheduleState("off", "schedule: off (no scheduler installed)")
    holder = lock.lock_holder(settings)
    if holder:
        return _daemon(holder)
    scheduling = _module("tracker.scheduling")
    starter = getattr(scheduling, "start_in_process", None) if scheduling else None
    if starter is None:
        return ScheduleState("off", "schedule: off (no daemon running)")
    try:
        stop = starter(settings)
    except lock.LockHeld as exc:  # a daemon started between the check and now
        return _daemon(exc.holder)
    return ScheduleState("in-process", "schedule: running here while open (no daemon)", stop)


def _daemon(holder: Any) -> ScheduleState:
    pid = getattr(holder, "pid", None)
    host = getattr(holder, "host", None)
    where = f" (pid {pid} on {host})" if pid and host else f" ({holder})"
    return ScheduleState("daemon", f"schedule: run by the daemon{where}")
