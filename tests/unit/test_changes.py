"""merge() and diff(): which events a change of a stored document produces (table tests)."""

from __future__ import annotations

from typing import Any

import pytest

from tracker.changes import diff, merge
from tracker.models import Record

COUNTERS = {"comments": 1, "likes": 0, "dislikes": 0, "views": 10, "accepted": 0, "rejected": 0}


def record(**changes: Any) -> Record:
    base: dict[str, Any] = {
        "source": "kz_legalacts", "external_id": "1", "title": "Проект", "url": "u",
        "kind": "draft", "stage": "public_discussion", "status_raw": "На публичном обсуждении",
        "doc_type": "Проект Закона", "created": "2026-10-01", "discussion_until": "2026-10-15",
        "agency": "МВД", "language": "ru", "details": {"counters": dict(COUNTERS)},
    }
    base.update(changes)
    return Record(**base)


def stored(rec: Record) -> dict[str, Any]:
    return {name: getattr(rec, name) for name in (
        "title", "url", "kind", "stage", "status_raw", "doc_type", "created",
        "discussion_until", "agency", "language", "details")}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, []),
        ({"stage": "discussion_closed", "status_raw": "Архив"}, ["stage_changed"]),
        ({"stage": "withdrawn", "status_raw": "x"}, ["withdrawn"]),
        ({"stage": "signed", "status_raw": "подписан Главой государства"}, ["signed"]),
        ({"stage": "repealed", "status_raw": "Утративший силу"}, ["repealed"]),
        ({"discussion_until": "2026-10-20"}, ["deadline_changed"]),
        ({"details": {"counters": {**COUNTERS, "comments": 5}}}, ["counters_changed"]),
        # Views alone change on every visit: stored, but not an event.
        ({"details": {"counters": {**COUNTERS, "views": 99}}}, []),
        ({"title": "Проект (новая редакция)"}, ["title_changed"]),
        ({"agency": "Минюст"}, ["details_changed"]),
        # Where a record was seen (a search snippet) is context, not a change of the act.
        ({"details": {"counters": COUNTERS, "snippet": "другой фрагмент"}}, []),
        ({"stage": "discussion_closed", "status_raw": "Архив", "discussion_until": "2026-10-18"},
         ["stage_changed", "deadline_changed"]),
    ],
)
def test_diff_table(change: dict[str, Any], expected: list[str]) -> None:
    old = record()
    new = merge(stored(old), record(**change))
    assert [e.type for e in diff(stored(old), new)] == expected


def test_new_document_is_one_new_event() -> None:
    events = diff(None, record())
    assert [e.type for e in events] == ["new"]
    assert events[0].new["discussion_until"] == "2026-10-15"


def test_deadline_change_carries_old_and_new_dates() -> None:
    event = diff(stored(record()), record(discussion_until="2026-10-22"))[0]
    assert (event.old, event.new) == ("2026-10-15", "2026-10-22")


def test_merge_keeps_what_a_thin_record_did_not_see() -> None:
    thin = record(stage="unknown", status_raw=None, agency=None, details={"snippet": "x"})
    merged = merge(stored(record()), thin)
    assert merged.stage == "public_discussion"
    assert merged.status_raw == "На публичном обсуждении"
    assert merged.agency == "МВД"
    assert merged.details == {"counters": COUNTERS, "snippet": "x"}
    assert merged.discussion_until == "2026-10-15"


def test_a_card_that_lost_its_deadline_reports_it() -> None:
    merged = merge(stored(record()), record(discussion_until=None))
    assert merged.discussion_until is None
    assert [e.type for e in diff(stored(record()), merged)] == ["deadline_changed"]


def test_content_hash_ignores_evidence() -> None:
    assert record(evidence="a" * 64).content_hash() == record(evidence="b" * 64).content_hash()
    assert record().content_hash() != record(title="other").content_hash()


def test_an_act_amended_again_is_an_amended_event() -> None:
    act = record(stage="amended", status_raw="Обновленный", details={"modified": "2025-01-10",
                                                                     "history_entries": 12})
    again = record(stage="amended", status_raw="Обновленный",
                   details={"modified": "2026-11-01", "history_entries": 13})
    events = diff(stored(act), merge(stored(act), again))
    assert [e.type for e in events] == ["amended"]
    assert events[0].old == {"history_entries": 12, "modified": "2025-01-10"}
    assert events[0].new == {"history_entries": 13, "modified": "2026-11-01"}


def test_first_time_a_history_count_is_seen_is_not_an_amendment() -> None:
    act = record(stage="in_force", details={})
    seen = record(stage="in_force", details={"history_entries": 3})
    assert [e.type for e in diff(stored(act), merge(stored(act), seen))] == ["details_changed"]


def test_new_wording_of_the_same_milestone_stage_is_not_a_second_milestone() -> None:
    read = record(stage="first_reading", status_raw="одобрен в первом чтении")
    reworded = record(stage="first_reading", status_raw="Одобрен в первом чтении (повторно)")
    assert [e.type for e in diff(stored(read), reworded)] == ["stage_changed"]
