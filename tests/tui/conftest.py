"""Fixtures for the dashboard tests: a seeded store in a temp dir, the app on it, a Pilot
helper that waits for workers (tests never sleep on the clock)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.tui.seed import GOALS, STAFF, TODAY, seed
from tracker.store import Store


@pytest.fixture
def seeded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Store, dict[str, int]]]:
    """The seeded store and its document ids; no passphrase, no SSH, no display."""
    for name in ("TRACKER_PASSPHRASE", "TRACKER_STAFF", "SSH_CONNECTION", "SSH_TTY"):
        monkeypatch.delenv(name, raising=False)
    store, ids = seed(tmp_path / "dash.db")
    yield store, ids
    store.close()


TIMEOUT = 60.0


def drive(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run an async Pilot scenario to the end, bounded in time (no async plugin needed)."""
    async def bounded() -> None:
        await asyncio.wait_for(scenario(), TIMEOUT)

    asyncio.run(bounded())


def make_app(store: Store, **options: Any) -> Any:
    """The dashboard on ``store`` with a fixed clock, no polling timer, no scheduler."""
    from tui.app import TrackerApp

    settings: dict[str, Any] = {"goals": GOALS, "staff": STAFF, "today": lambda: TODAY,
                                "poll_seconds": 0, "schedule": None}
    settings.update(options)
    return TrackerApp(store, **settings)


async def settle(pilot: Any, rounds: int = 3) -> None:
    """Let workers finish and their messages be handled (handlers may start workers)."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def shown(pilot: Any, screen: str, generation: int = 1) -> Any:
    """Wait until ``screen`` is on top and has shown its data (``generation`` times)."""
    for _ in range(2000):
        await settle(pilot, 1)
        current = pilot.app.screen
        if type(current).__name__ == screen and getattr(current, "generation", 0) >= generation:
            await settle(pilot, 1)
            return current
    raise AssertionError(f"{screen} never showed its data")


def cells(table: Any) -> list[list[str]]:
    """A DataTable's rows as plain strings."""
    return [[getattr(c, "plain", str(c)) for c in table.get_row_at(i)]
            for i in range(table.row_count)]
