"""Health rules, as a table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tracker.health import assess

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("failures", "days_silent", "stale_after", "expected"),
    [
        (0, 0, 7, "ok"),
        (1, 0, 7, "degraded"),
        (2, 0, None, "degraded"),
        (3, 0, None, "broken"),
        (9, 0, None, "broken"),
        (0, 8, 7, "degraded"),
        (0, 6, 7, "ok"),
        (0, 400, None, "ok"),  # a source that rarely brings new items is never "stale"
    ],
)
def test_health_table(failures: int, days_silent: int, stale_after: int | None,
                      expected: str) -> None:
    health, reason = assess(failures_in_a_row=failures, last_error="layout changed",
                            last_new_item=NOW - timedelta(days=days_silent), now=NOW,
                            stale_after_days=stale_after)
    assert health == expected
    if failures:
        assert "layout changed" in reason
