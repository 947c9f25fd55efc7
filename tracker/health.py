"""Source health: ok → degraded → broken, from failures in a row and from silence.

A pure function so the rules are table-tested; the runner records the result, and the store
turns a change into one ``health_changed`` event.
"""

from __future__ import annotations

from datetime import datetime, timedelta


def assess(
    *,
    failures_in_a_row: int,
    last_error: str | None,
    last_new_item: datetime | None,
    now: datetime,
    stale_after_days: int | None,
    broken_after: int = 3,
) -> tuple[str, str]:
    """(health, reason). Failing ``broken_after`` runs in a row is ``broken``; one failure,
    or no new item for ``stale_after_days`` on a source that normally brings new items, is
    ``degraded``; otherwise ``ok``."""
    if failures_in_a_row >= broken_after:
        return "broken", f"failed {failures_in_a_row} runs in a row; last error: {last_error}"
    if failures_in_a_row > 0:
        return "degraded", f"last run failed: {last_error}"
    if stale_after_days and last_new_item is not None:
        silent = now - last_new_item
        if silent > timedelta(days=stale_after_days):
            return "degraded", (
                f"no new items for {silent.days} days (expected within {stale_after_days}); "
                "the site may have changed what it lists"
            )
    return "ok", "last run succeeded"
