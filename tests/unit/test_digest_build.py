"""Digest content from rows (pure): stance-aware wording, grouping by goal, filtering."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tracker.digests import build_digest, subject, tone
from tracker.matching import make_goal

GOALS = [make_goal("dv", "насилие", name="Domestic violence", stance="support", priority=1),
         make_goal("sogi", "пропаганда", name="SOGI", stance="oppose", priority=2),
         make_goal("watch", "закон", name="Watched", stance="watch", priority=3)]


@pytest.mark.parametrize(("stance", "event", "old", "new", "expected"), [
    ("support", "first_reading", "parliament", "first_reading", "good"),
    ("oppose", "first_reading", "parliament", "first_reading", "bad"),
    ("watch", "first_reading", "parliament", "first_reading", "neutral"),
    ("support", "signed", "passed", "signed", "good"),
    ("oppose", "signed", "passed", "signed", "bad"),
    ("support", "withdrawn", "public_discussion", "withdrawn", "bad"),
    ("oppose", "withdrawn", "public_discussion", "withdrawn", "good"),
    ("oppose", "rejected", "first_reading", "rejected", "good"),
    ("oppose", "returned", "upper_chamber", "returned", "good"),
    ("support", "repealed", "in_force", "repealed", "bad"),
    ("oppose", "stage_changed", "drafting", "government", "bad"),
    ("oppose", "stage_changed", "public_discussion", "discussion_closed", "neutral"),
    ("support", "stage_changed", "first_reading", "parliament", "neutral"),  # moved back
])
def test_tone_follows_the_stance(stance: str, event: str, old: str, new: str,
                                 expected: str) -> None:
    assert tone(stance, event, {"stage": old}, {"stage": new, "status_raw": "x"}) == expected


def test_amended_again_without_a_stage_is_neutral() -> None:
    assert tone("oppose", "amended", {"modified": "a"}, {"modified": "b"}) == "neutral"


def doc(doc_id: int, goal: str, title: str) -> dict[str, Any]:
    return {"goal_id": goal, "document_id": doc_id, "title": title, "url": f"https://x/{doc_id}",
            "source": "kz_legalacts", "external_id": str(doc_id), "stage": "public_discussion",
            "discussion_until": None}


def event(event_id: int, doc_id: int | None, kind: str, old: Any = None,
          new: Any = None) -> dict[str, Any]:
    return {"id": event_id, "document_id": doc_id, "type": kind, "old": old, "new": new,
            "event_source": "kz_legalacts", "observed_at": "2026-11-12T03:00:00+00:00"}


def build(follows: list[str] | None, **extra: Any):  # type: ignore[no-untyped-def]
    matches = [doc(1, "dv", "о насилии"), doc(2, "sogi", "о пропаганде"),
               doc(2, "watch", "о пропаганде")]
    events = [event(10, 1, "new", None, {"stage": "public_discussion"}),
              event(11, 2, "first_reading", {"stage": "parliament"},
                    {"stage": "first_reading", "status_raw": "Одобрен"}),
              event(12, 3, "new"),  # an unmatched document
              event(13, None, "health_changed", {"health": "ok"},
                    {"health": "broken", "reason": "layout changed"})]
    args: dict[str, Any] = {
        "recipient": "a@x", "goals": GOALS, "follows": follows, "events": events,
        "matches": matches, "deadlines": [], "follow_ups": [], "today": date(2026, 11, 12),
        "from_event": 9, "to_event": 13, **extra}
    return build_digest(**args)


def test_sections_are_per_followed_goal_in_priority_order() -> None:
    digest = build(None)
    assert [s.goal_id for s in digest.goals] == ["dv", "sogi", "watch"]
    dv, sogi, watch = digest.goals
    assert [i.document_id for i in dv.new] == [1] and dv.changed == []
    assert [c.tone for c in sogi.changed[0].changes] == ["bad"]
    assert [c.tone for c in watch.changed[0].changes] == ["neutral"]
    assert digest.counts == {"new": 1, "changes": 2, "deadlines": 0, "follow_ups": 0,
                             "health": 1}
    only = build(["dv"])
    assert [s.goal_id for s in only.goals] == ["dv"]
    assert [h.new for h in only.health] == ["broken"]  # source health goes to everyone


def test_matched_event_counts_only_for_its_goal() -> None:
    matches = [doc(5, "dv", "t"), doc(5, "sogi", "t")]
    digest = build_digest(
        recipient="a@x", goals=GOALS, follows=None, matches=matches, deadlines=[],
        events=[event(20, 5, "matched", None, {"goal": "sogi", "score": 1.0})],
        follow_ups=[], today=date(2026, 11, 12), from_event=19, to_event=20)
    assert [s.goal_id for s in digest.goals] == ["sogi"]


def test_max_items_cuts_and_counts_the_rest() -> None:
    matches = [doc(i, "dv", f"doc {i}") for i in range(1, 8)]
    events = [event(100 + i, i, "new") for i in range(1, 8)]
    digest = build_digest(recipient="a@x", goals=GOALS, follows=["dv"], events=events,
                          matches=matches, deadlines=[], follow_ups=[],
                          today=date(2026, 11, 12), from_event=0, to_event=200, max_items=3)
    assert len(digest.goals[0].new) == 3 and digest.goals[0].more == 4
    assert digest.counts["new"] == 7


def test_follow_up_notes_only_when_allowed_and_never_sealed() -> None:
    row = {"id": 1, "type": "meeting", "follow_up": "2026-11-10", "summary": "s",
           "next_step": "n", "sealed": 0, "documents": []}
    sealed = {**row, "id": 2, "sealed": 1}
    common: dict[str, Any] = {"recipient": "a@x", "goals": GOALS, "follows": None,
                              "events": [], "matches": [], "deadlines": [],
                              "today": date(2026, 11, 12), "from_event": 0, "to_event": 0}
    off = build_digest(follow_ups=[row], **common)
    assert off.follow_ups[0].note is None and off.follow_ups[0].overdue_days == 2
    on = build_digest(follow_ups=[row, sealed], action_notes=True, **common)
    assert [f.note for f in on.follow_ups] == ["n — s", None]


def test_empty_and_subject() -> None:
    empty = build_digest(recipient="a@x", goals=GOALS, follows=None, events=[], matches=[],
                         deadlines=[], follow_ups=[], today=date(2026, 11, 12), from_event=5,
                         to_event=5)
    assert empty.is_empty
    assert subject(empty, "[t]") == "[t] digest 2026-11-12: nothing new"
    assert subject(build(None), "") == "digest 2026-11-12: 1 new, 2 changes, 1 source changes"
