"""Actions in the store on SQLite and PostgreSQL: round trips, history, filters, follow-up
views with a fixed clock, sealing (and what stays on disk), the government's answer."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tracker.actions import (
    ActionDraft,
    action_history,
    due_follow_ups,
    edit_action,
    get_action,
    government_answer,
    list_actions,
    record_action,
)
from tracker.errors import UsageError
from tracker.fetch import FetchStats
from tracker.models import Record
from tracker.seal import LOCKED, SealError, Vault, create_seal, ensure_seal, open_vault
from tracker.store import Store
from tracker.store import actions as sa
from tracker.store.schema import action_history as history_table
from tracker.store.schema import actions as actions_table
from tracker.store.schema import events, matches

GOALS = ("domestic-violence", "sogi", "civic-space")
FAST = {"memory_cost": 64, "iterations": 1, "lanes": 1}
NOW = "2026-03-10T09:00:00+00:00"


# -- seeding helpers (also used by the CLI, report and calendar tests) ----------------------

def put_doc(store: Store, source: str, external_id: str, title: str, **extra: Any) -> int:
    """Store a document the way a source run does; return its id."""
    values: dict[str, Any] = {"source": source, "external_id": external_id, "title": title,
                              "url": f"https://example.invalid/{source}/{external_id}",
                              "evidence": "e" * 64, **extra}
    run_id = store.start_run(source)
    store.finish_run(run_id, source, [Record(**values)], FetchStats(), ok=True,
                     not_modified=0, errors=[], warnings=[])
    doc_id = store.document_id(source, external_id)
    assert doc_id is not None
    return doc_id


def put_match(store: Store, doc_id: int, goal: str, *, triage: str = "new",
              active: int = 1) -> None:
    """A match row as the matcher (and staff triage) would leave it."""
    with store._write() as conn:
        conn.execute(matches.insert().values(
            document_id=doc_id, goal_id=goal, score=1.0, reasons="[]", active=active,
            triage=triage, matched_at=NOW))


def put_stage_event(store: Store, doc_id: int, source: str, old: str, new: str,
                    observed_at: str) -> None:
    """A stage change observed at a chosen time."""
    with store._write() as conn:
        conn.execute(events.insert().values(
            source=source, document_id=doc_id, type="stage_changed",
            old=json.dumps({"stage": old, "status_raw": old}),
            new=json.dumps({"stage": new, "status_raw": new}), observed_at=observed_at))


def fast_vault(store: Store, passphrase: str = "correct horse") -> Vault:
    """Seal the store with cheap KDF parameters (tests only) and return the open vault."""
    header, sealer = create_seal(passphrase, params=FAST)
    sa.install_seal(store, header.to_json(), sealer.seal, ("summary", "outcome", "next_step",
                                                           "counterpart_person", "comment_text"))
    return Vault(header=header, sealer=sealer)


def draft(**changes: Any) -> ActionDraft:
    """A valid draft with every field set; override what a test needs."""
    values: dict[str, Any] = {
        "type": "meeting", "date": "2026-03-02", "staff": "aigerim",
        "summary": "Discussed the domestic-violence article", "counterpart_person": "Ержан Т.",
        "counterpart_institution": "Mazhilis committee on legislation",
        "outcome": "Promised to table an amendment", "next_step": "Send our draft wording",
        "follow_up": "2026-03-16", "goals": ("domestic-violence",)}
    values.update(changes)
    return ActionDraft(**values)


def record(store: Store, vault: Vault, **changes: Any) -> int:
    return record_action(store, draft(**changes), vault, goal_ids=GOALS, now=NOW)


# -- tests -----------------------------------------------------------------------------------

def test_action_round_trip_with_links(store_url: str) -> None:
    store = Store.open(store_url)
    bill = put_doc(store, "kz_legalacts", "16000300", "О правах женщин", kind="draft")
    rec = put_doc(store, "un_upr", "R-145.12", "Criminalise domestic violence", kind="rec")
    vault = open_vault(store, None)
    action_id = record(store, vault, documents=(bill,), recommendations=(rec,),
                       goals=("domestic-violence", "sogi"))
    action = get_action(store, action_id, vault)
    assert action is not None
    assert (action.type, action.date, action.staff, action.status, action.sensitivity) == (
        "meeting", "2026-03-02", "aigerim", "open", "normal")
    assert action.counterpart_person == "Ержан Т."
    assert action.counterpart_institution == "Mazhilis committee on legislation"
    assert (action.summary, action.outcome, action.next_step) == (
        "Discussed the domestic-violence article", "Promised to table an amendment",
        "Send our draft wording")
    assert action.follow_up == "2026-03-16" and action.sealed is False
    assert action.documents == [bill] and action.recommendations == [rec]
    assert sorted(action.goals) == ["domestic-violence", "sogi"]
    assert action.created_at == NOW == action.updated_at
    (first,) = action_history(store, action_id, vault)
    assert first["author"] == "aigerim" and first["at"] == NOW
    assert first["changes"]["summary"] == [None, "Discussed the domestic-violence article"]
    assert first["changes"]["link:document"] == [[], [str(bill)]]
    store.close()


def test_sealed_round_trip_and_locked_reads(store_url: str) -> None:
    store = Store.open(store_url)
    vault = fast_vault(store)
    action_id = record(store, vault, comment_text=None)
    opened = get_action(store, action_id, vault)
    assert opened is not None and opened.sealed is True
    assert opened.summary == "Discussed the domestic-violence article"
    assert opened.counterpart_person == "Ержан Т."
    with store.engine.connect() as conn:
        raw = conn.execute(select(actions_table)).mappings().one()
    for name in ("summary", "outcome", "next_step", "counterpart_person"):
        assert str(raw[name]).startswith("seal1:")
    assert raw["counterpart_institution"] == "Mazhilis committee on legislation"
    locked = open_vault(store, None)
    assert locked.configured and not locked.unlocked
    shown = get_action(store, action_id, locked)
    assert shown is not None
    assert (shown.summary, shown.outcome, shown.next_step, shown.counterpart_person) == (
        LOCKED, LOCKED, LOCKED, LOCKED)
    assert shown.counterpart_institution == "Mazhilis committee on legislation"
    with pytest.raises(SealError, match="no passphrase is available"):
        record(store, locked)
    assert len(list_actions(store, locked)) == 1
    with pytest.raises(SealError, match="wrong passphrase"):
        open_vault(store, ("not the passphrase", "TRACKER_PASSPHRASE"))
    assert open_vault(store, ("correct horse", "test")).unlocked
    store.close()


def test_edits_keep_history_and_sealed_values_stay_sealed(store_url: str) -> None:
    store = Store.open(store_url)
    bill = put_doc(store, "kz_legalacts", "1", "Проект закона о бытовом насилии")
    vault = fast_vault(store)
    action_id = record(store, vault, documents=(bill,))
    changed = edit_action(
        store, action_id, {"summary": "Second meeting agreed", "follow_up": "2026-04-01",
                           "outcome": "Promised to table an amendment"},
        vault, author="dana", goal_ids=GOALS, add_links={"goal": ["civic-space"]},
        remove_links={"document": [str(bill)]}, now="2026-03-11T10:00:00+00:00")
    assert set(changed) == {"summary", "follow_up", "link:goal", "link:document"}
    entries = action_history(store, action_id, vault)
    assert [e["author"] for e in entries] == ["aigerim", "dana"]
    last = entries[-1]
    assert last["at"] == "2026-03-11T10:00:00+00:00"
    assert last["changes"]["summary"] == ["Discussed the domestic-violence article",
                                          "Second meeting agreed"]
    assert last["changes"]["follow_up"] == ["2026-03-16", "2026-04-01"]
    assert last["changes"]["link:goal"] == [["domestic-violence"],
                                            ["civic-space", "domestic-violence"]]
    assert last["changes"]["link:document"] == [[str(bill)], []]
    with store.engine.connect() as conn:
        raw = [json.loads(r) for r in conn.execute(select(history_table.c.changes))
               .scalars()]
    assert all(str(v).startswith("seal1:") for v in raw[-1]["summary"])
    assert "Second meeting agreed" not in json.dumps(raw, ensure_ascii=False)
    locked = action_history(store, action_id, open_vault(store, None))
    assert locked[-1]["changes"]["summary"] == [LOCKED, LOCKED]
    assert locked[-1]["changes"]["follow_up"] == ["2026-03-16", "2026-04-01"]
    with pytest.raises(UsageError, match="is before the action's date 2026-03-02"):
        edit_action(store, action_id, {"follow_up": "2026-03-01"}, vault, author="dana",
                    goal_ids=GOALS)
    with pytest.raises(UsageError, match="--date: expected a date"):
        edit_action(store, action_id, {"date": "yesterday"}, vault, author="dana",
                    goal_ids=GOALS)
    # Editing to the same values records nothing.
    assert edit_action(store, action_id, {"summary": "Second meeting agreed"}, vault,
                       author="dana", goal_ids=GOALS) == {}
    assert len(action_history(store, action_id, vault)) == 2
    store.close()


def test_concurrent_edit_is_refused(store_url: str) -> None:
    store = Store.open(store_url)
    vault = open_vault(store, None)
    action_id = record(store, vault)
    with pytest.raises(sa.ConcurrentEdit):
        sa.update_action(store, action_id, {"summary": "mine"}, author="x", now=NOW,
                         expected={"summary": "what I read before someone else saved"})
    action = get_action(store, action_id, vault)
    assert action is not None and action.summary == "Discussed the domestic-violence article"
    assert len(sa.history(store, action_id)) == 1
    store.close()


def test_filters(store_url: str) -> None:
    store = Store.open(store_url)
    matched = put_doc(store, "kz_legalacts", "10", "О противодействии дискриминации")
    dismissed = put_doc(store, "kz_legalacts", "11", "Об архивном деле")
    put_match(store, matched, "sogi")
    put_match(store, dismissed, "sogi", triage="dismissed")
    vault = open_vault(store, None)
    a = record(store, vault, goals=("sogi",), date="2026-01-05")
    b = record(store, vault, goals=(), documents=(matched,), date="2026-02-05", staff="dana",
               type="letter", follow_up=None)
    c = record(store, vault, goals=(), documents=(dismissed,), date="2026-03-05")
    d = record(store, vault, date="2026-04-05", follow_up="2026-04-20")
    edit_action(store, d, {"status": "done"}, vault, author="aigerim", goal_ids=GOALS)

    def ids(**kw: Any) -> list[int]:
        return [x.id for x in list_actions(store, vault, sa.ActionFilter(**kw))]

    assert ids() == [d, c, b, a]
    assert ids(goal="sogi") == [b, a]
    assert ids(document_id=matched) == [b]
    assert ids(staff="dana") == [b] and ids(type="letter") == [b]
    assert ids(date_from="2026-02-01", date_to="2026-03-05") == [c, b]
    assert ids(status="done") == [d]
    assert ids(open_follow_ups=True) == [c, a]
    store.close()


def test_due_follow_ups_with_a_fixed_clock(store_url: str) -> None:
    store = Store.open(store_url)
    vault = open_vault(store, None)
    overdue = record(store, vault, date="2026-01-10", follow_up="2026-03-01")
    today = record(store, vault, date="2026-01-10", follow_up="2026-03-10", staff="dana")
    soon = record(store, vault, date="2026-01-10", follow_up="2026-03-12")
    record(store, vault, date="2026-01-10", follow_up="2026-03-20")
    record(store, vault, date="2026-01-10", follow_up=None)
    closed = record(store, vault, date="2026-01-10", follow_up="2026-02-01")
    edit_action(store, closed, {"status": "done"}, vault, author="aigerim", goal_ids=GOALS)
    day = dt.date(2026, 3, 10)
    due = due_follow_ups(store, vault, today=day)
    assert [a.id for a in due] == [overdue, today]
    assert [a.days_to_follow_up(day) for a in due] == [-9, 0]
    assert [a.id for a in due_follow_ups(store, vault, today=day, within_days=2)] == [
        overdue, today, soon]
    assert [a.id for a in due_follow_ups(store, vault, today=day, staff="dana")] == [today]
    assert due_follow_ups(store, vault, today=dt.date(2026, 2, 28)) == []
    store.close()


def test_public_comment_shows_the_government_answer(store_url: str) -> None:
    store = Store.open(store_url)
    counters = {"comments": 18, "likes": 0, "dislikes": 1, "views": 3, "accepted": 2,
                "rejected": 9}
    card = put_doc(store, "kz_legalacts", "15908401", "Проект приказа",
                   details={"counters": counters}, discussion_until="2026-03-15")
    vault = open_vault(store, None)
    action_id = record(store, vault, type="public_comment", comment_text="Статья 3: ...",
                       card_id="15908401")
    action = get_action(store, action_id, vault)
    assert action is not None and action.card_id == "15908401"
    assert action.comment_text == "Статья 3: ..."
    assert action.documents == [card]  # the card in the store was linked as well
    answer = government_answer(store, action.card_id)
    assert answer is not None
    assert (answer["comments"], answer["accepted"], answer["rejected"]) == (18, 2, 9)
    assert government_answer(store, "999") is None
    store.close()


def test_sealing_existing_actions_and_a_wrong_passphrase(store_url: str) -> None:
    store = Store.open(store_url)
    plain = open_vault(store, None)
    action_id = record(store, plain)
    edit_action(store, action_id, {"outcome": "Refused to meet again"}, plain,
                author="dana", goal_ids=GOALS)
    pending = Vault(pending="s3cret passphrase")
    assert ensure_seal(store, pending) == 1
    assert pending.unlocked
    with store.engine.connect() as conn:
        row = conn.execute(select(actions_table)).mappings().one()
        hist = json.dumps([json.loads(h) for h in conn.execute(
            select(history_table.c.changes)).scalars()], ensure_ascii=False)
    assert row["sealed"] == 1 and str(row["outcome"]).startswith("seal1:")
    assert "Refused to meet again" not in hist and "Ержан" not in hist
    with pytest.raises(SealError, match="wrong passphrase"):
        open_vault(store, ("s3cret passphrasE", "TRACKER_PASSPHRASE"))
    with store.engine.connect() as conn:
        assert dict(conn.execute(select(actions_table)).mappings().one()) == dict(row)
    opened = get_action(store, action_id, open_vault(store, ("s3cret passphrase", "t")))
    assert opened is not None and opened.outcome == "Refused to meet again"
    entries = action_history(store, action_id, open_vault(store, ("s3cret passphrase", "t")))
    assert entries[-1]["changes"]["outcome"] == ["Promised to table an amendment",
                                                 "Refused to meet again"]
    store.close()


SECRETS = ("Ержан Тлеубеков", "встреча в кафе у метро", "UNIQUE-OUTCOME-7731",
           "NEXT-STEP-4410", "COMMENT-TEXT-9902")


def _file_bytes(db: Path) -> bytes:
    data = db.read_bytes()
    for suffix in ("-wal", "-journal"):
        extra = Path(str(db) + suffix)
        if extra.exists():
            data += extra.read_bytes()
    return data


@pytest.mark.parametrize("seal_first", [True, False])
def test_sealed_plaintext_is_nowhere_in_the_sqlite_files(tmp_path: Path,
                                                         seal_first: bool) -> None:
    db = tmp_path / "t.db"
    store = Store.open(f"sqlite:///{db}")
    vault = Vault(pending="a long passphrase") if seal_first else open_vault(store, None)
    if seal_first:
        ensure_seal(store, vault)
    action_id = record(store, vault, type="public_comment", counterpart_person=SECRETS[0],
                       summary=SECRETS[1], outcome=SECRETS[2], next_step=SECRETS[3],
                       comment_text=SECRETS[4], counterpart_institution="INSTITUTION-PLAIN")
    edit_action(store, action_id, {"summary": SECRETS[1] + " (2)"}, vault, author="x",
                goal_ids=GOALS)
    if not seal_first:  # plaintext was on disk: sealing must leave none of it behind
        assert SECRETS[2].encode() in _file_bytes(db)
        vault = Vault(pending="a long passphrase")
        ensure_seal(store, vault)
    # Scanned while the store is open (WAL in use, as on a laptop seized mid-session) and
    # after it is closed.
    while_open = _file_bytes(db)
    store.close()
    for data in (while_open, _file_bytes(db)):
        for secret in SECRETS:
            assert secret.encode("utf-8") not in data, secret
        assert b"INSTITUTION-PLAIN" in data  # the scan does see plain columns
    reopened = Store.open(f"sqlite:///{db}")
    action = get_action(reopened, action_id, open_vault(reopened, ("a long passphrase", "t")))
    assert action is not None and action.comment_text == SECRETS[4]
    reopened.close()
