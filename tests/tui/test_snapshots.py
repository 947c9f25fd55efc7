"""SVG snapshots of the main screens (pytest-textual-snapshot), made deterministic: a fixed
clock for the views, fixed store timestamps, a fixed terminal size, workers awaited.

Update after an intended change of the look: ``pytest tests/tui/test_snapshots.py
--snapshot-update``; the SVGs in ``__snapshots__/`` double as the README's screenshots."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.tui.conftest import make_app, settle, shown
from tests.tui.seed import seed
from tracker.store import Store
from tui.messages import OpenDocument

pytest.importorskip("pytest_textual_snapshot")

FROZEN = "2026-11-10T08:00:00+00:00"
SIZE = (120, 40)


@pytest.fixture
def frozen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Store, Any]]:
    """The seeded store with every stored timestamp fixed."""
    for module in ("tracker.store.store", "tracker.store.links"):
        monkeypatch.setattr(f"{module}.utcnow_iso", lambda: FROZEN)
    for name in ("TRACKER_PASSPHRASE", "SSH_CONNECTION", "SSH_TTY"):
        monkeypatch.delenv(name, raising=False)
    store, ids = seed(tmp_path / "snap.db")
    yield store, ids
    store.close()


def test_today(frozen: tuple[Store, Any], snap_compare: Any) -> None:
    store, _ids = frozen
    async def today(pilot: Any) -> None:
        await shown(pilot, "TodayScreen")

    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=today)


def test_document(frozen: tuple[Store, Any], snap_compare: Any) -> None:
    store, ids = frozen

    async def open_women(pilot: Any) -> None:
        await shown(pilot, "TodayScreen")
        pilot.app.post_message(OpenDocument(ids["women"]))
        await shown(pilot, "DocumentScreen")

    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=open_women)


def test_documents_filtered(frozen: tuple[Store, Any], snap_compare: Any) -> None:
    store, _ids = frozen

    async def search(pilot: Any) -> None:
        await shown(pilot, "TodayScreen")
        await pilot.press("slash", *"закон")
        screen = await shown(pilot, "DocumentsScreen")
        while screen.loaded is None or screen.loaded.request != screen.request:
            await settle(pilot, 1)  # until the answer to the last key is on screen

    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=search)


def test_action_form_with_errors(frozen: tuple[Store, Any], snap_compare: Any) -> None:
    store, _ids = frozen

    async def form(pilot: Any) -> None:
        await shown(pilot, "TodayScreen")
        await pilot.press("a")
        await shown(pilot, "ActionsScreen")
        await pilot.press("n")
        await settle(pilot)
        pilot.app.screen.query_one("#follow_up").value = "2026-11-01"
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert snap_compare(make_app(store), terminal_size=(120, 45), run_before=form)
