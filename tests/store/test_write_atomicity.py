"""Read-check-write steps are atomic on SQLite: a write transaction takes the write lock
before its first read (``BEGIN IMMEDIATE``), so two staff editing one action while the
scheduler holds a long transaction cannot both be told "saved"."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

from sqlalchemy import select

from tracker.actions import ActionDraft, edit_action, record_action
from tracker.seal import open_vault
from tracker.store import Store
from tracker.store.actions import ConcurrentEdit
from tracker.store.schema import action_history, actions

GOALS = ("civic-space",)


def test_two_edits_behind_a_held_write_lock_do_not_both_save(tmp_path: Path) -> None:
    path = tmp_path / "tracker.db"
    store = Store.open(f"sqlite:///{path}")
    vault = open_vault(store, None)
    action_id = record_action(store, ActionDraft(
        type="meeting", date="2026-11-20", staff="aigerim", summary="original",
        goals=GOALS), vault, goal_ids=GOALS)
    # A third connection holds the write lock, as the scheduler's store transaction does.
    blocker = sqlite3.connect(path, isolation_level=None, timeout=30)
    blocker.execute("BEGIN IMMEDIATE")
    outcome: dict[str, str] = {}

    def edit(who: str) -> None:
        try:
            edit_action(store, action_id, {"summary": f"edited by {who}"}, vault, author=who,
                        goal_ids=GOALS)
            outcome[who] = "saved"
        except ConcurrentEdit:
            outcome[who] = "refused"

    threads = [threading.Thread(target=edit, args=(who,)) for who in ("aigerim", "dana")]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # both editors have read the action and wait for the lock
    blocker.execute("COMMIT")
    blocker.close()
    for thread in threads:
        thread.join(timeout=60)
    with store.engine.connect() as conn:
        final = conn.execute(select(actions.c.summary).where(actions.c.id == action_id)).scalar()
        history = [json.loads(r.changes)["summary"] for r in conn.execute(
            select(action_history).where(action_history.c.action_id == action_id)
            .order_by(action_history.c.id))]
    store.close()
    assert sorted(outcome.values()) == ["refused", "saved"]
    winner = next(who for who, result in outcome.items() if result == "saved")
    assert final == f"edited by {winner}"
    # The history tells one consistent story: no edit recorded against a stale value.
    assert history == [[None, "original"], ["original", f"edited by {winner}"]]
