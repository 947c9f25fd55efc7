"""`tracker scrape` (run by cron or the daemon many times a day) starts without loading what
only other commands need: the scheduler, the calendar export, mail, the dashboard."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("apscheduler", "icalendar", "textual", "tui", "tracker.scheduling",
         "tracker.calendar_export", "tracker.alerts", "tracker.views", "aiosmtpd")


def test_importing_the_command_line_leaves_heavy_modules_unloaded() -> None:
    probe = ("import sys, tracker.cli\n"
             f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.strip() == "[]"


def test_every_command_is_still_registered() -> None:
    from tracker.cli import cli

    assert {"scrape", "run", "digest", "calendar", "report", "dashboard", "actions"} <= set(
        cli.commands)
