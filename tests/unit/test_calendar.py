"""The iCalendar export, parsed back with the same library."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from icalendar import Calendar
from icalendar.prop import vCategory

from tests.store.test_actions import put_doc, put_match, record
from tracker.calendar_export import build_calendar, calendar_bytes
from tracker.seal import open_vault
from tracker.store import Store

NOW = dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.UTC)
SINCE = dt.date(2026, 3, 10)


def _seed(tmp_path: Path) -> Store:
    store = Store.open(f"sqlite:///{tmp_path / 't.db'}")
    matched = put_doc(store, "kz_legalacts", "100", "О правах женщин <b>и</b> детей",
                      discussion_until="2026-03-20")
    put_match(store, matched, "domestic-violence")
    dismissed = put_doc(store, "kz_legalacts", "101", "Об архивном деле",
                        discussion_until="2026-03-21")
    put_match(store, dismissed, "sogi", triage="dismissed")
    inactive = put_doc(store, "kz_legalacts", "102", "Old match", discussion_until="2026-03-22")
    put_match(store, inactive, "sogi", active=0)
    put_doc(store, "kz_legalacts", "103", "Unmatched draft", discussion_until="2026-03-23")
    past = put_doc(store, "kz_legalacts", "104", "Closed draft", discussion_until="2026-03-01")
    put_match(store, past, "domestic-violence")
    put_doc(store, "un_treaty_deadlines", "CEDAW-KAZ-2026", "CEDAW follow-up report due",
            kind="deadline", discussion_until="2026-06-30")
    put_doc(store, "un_treaty_deadlines", "CEDAW-session", "CEDAW session",
            kind="session", discussion_until="2026-07-01")
    vault = open_vault(store, None)
    record(store, vault, follow_up="2026-03-05", documents=(matched,),
           counterpart_institution="Mazhilis", summary="SUMMARY-SHOULD-NOT-LEAK",
           next_step="NEXT-STEP-SHOULD-NOT-LEAK", counterpart_person="PERSON-NOT-LEAK")
    record(store, vault, follow_up="2026-03-18", sensitive=True,
           counterpart_institution="KNB", type="call")
    record(store, vault, follow_up=None)
    return store


def _events(cal: Calendar) -> dict[str, dict[str, object]]:
    parsed = Calendar.from_ical(calendar_bytes(cal))
    out = {}
    for event in parsed.walk("VEVENT"):
        categories = event["categories"]
        assert isinstance(categories, vCategory)
        out[str(event["summary"])] = {
            "start": event.decoded("dtstart"), "end": event.decoded("dtend"),
            "uid": str(event["uid"]), "description": str(event.get("description", "")),
            "categories": [str(c) for c in categories.cats]}
    return out


def test_calendar_contents(tmp_path: Path) -> None:
    store = _seed(tmp_path)
    cal = build_calendar(store, open_vault(store, None), since=SINCE, now=NOW)
    events = _events(cal)
    assert set(events) == {
        "Comment deadline: О правах женщин <b>и</b> детей",
        "Treaty-body deadline: CEDAW follow-up report due",
        "Follow-up: meeting — Mazhilis",
        "Follow-up (action #2)",
    }
    comment = events["Comment deadline: О правах женщин <b>и</b> детей"]
    assert comment["start"] == dt.date(2026, 3, 20) and comment["end"] == dt.date(2026, 3, 21)
    assert comment["categories"] == ["comment-deadline"]
    treaty = events["Treaty-body deadline: CEDAW follow-up report due"]
    assert treaty["start"] == dt.date(2026, 6, 30)
    overdue = events["Follow-up: meeting — Mazhilis"]
    assert overdue["start"] == dt.date(2026, 3, 5)  # overdue follow-ups stay on the calendar
    assert "kz_legalacts:100" in str(overdue["description"])
    sensitive = events["Follow-up (action #2)"]
    assert "KNB" not in str(sensitive["description"]) and "call" not in str(sensitive)
    data = calendar_bytes(cal)
    for leak in (b"SUMMARY-SHOULD-NOT-LEAK", b"NEXT-STEP-SHOULD-NOT-LEAK", b"PERSON-NOT-LEAK",
                 b"KNB"):
        assert leak not in data
    store.close()


def test_all_documents_and_stable_uids(tmp_path: Path) -> None:
    store = _seed(tmp_path)
    vault = open_vault(store, None)
    first = _events(build_calendar(store, vault, since=SINCE, now=NOW, include_all=True))
    titles = {t for t in first if t.startswith("Comment deadline")}
    assert titles == {"Comment deadline: О правах женщин <b>и</b> детей",
                      "Comment deadline: Об архивном деле", "Comment deadline: Old match",
                      "Comment deadline: Unmatched draft"}
    later = _events(build_calendar(store, vault, since=SINCE, now=NOW + dt.timedelta(days=1),
                                   include_all=True))
    assert {t: e["uid"] for t, e in first.items()} == {t: e["uid"] for t, e in later.items()}
    assert len({e["uid"] for e in first.values()}) == len(first)
    earlier = _events(build_calendar(store, vault, since=dt.date(2026, 2, 1), now=NOW))
    assert "Comment deadline: Closed draft" in earlier
    store.close()
