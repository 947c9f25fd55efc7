"""Matching wired to the store: matches recorded with reasons, triage kept, goal edits."""

from __future__ import annotations

from pathlib import Path

from tests.store.test_links import ARCHIVES, WOMEN, put
from tracker.matching import make_goal
from tracker.matchrun import match_documents, rematch_if_goals_changed
from tracker.store import Store
from tracker.store.matches import matches_of, set_triage

DV = make_goal("domestic-violence", '"бытового насилия" OR "прав женщин"', stance="support")
SOGI = make_goal("sogi", '"противоправного контента"', stance="oppose")


def test_matches_are_recorded_with_reasons_and_events(store_url: str) -> None:
    store = Store.open(store_url)
    women = put(store, "kz_legalacts", "1", WOMEN)
    archives = put(store, "kz_legalacts", "2", ARCHIVES)
    changes = match_documents(store, [DV, SOGI], [women, archives])
    assert changes.gained == {women: ["domestic-violence"], archives: ["sogi"]}
    with store.engine.connect() as conn:
        (row,) = matches_of(conn, women)
    assert row["triage"] == "new" and row["active"] == 1
    assert row["reasons"][0]["field"] == "title"
    assert "прав женщин" in row["reasons"][0]["snippet"]
    matched = [e for e in store.events() if e["type"] == "matched"]
    assert {(e["document_id"], e["new"]["goal"]) for e in matched} == {
        (women, "domestic-violence"), (archives, "sogi")}
    # Matching again changes nothing and adds no event.
    assert match_documents(store, [DV, SOGI], [women, archives]).counts == (0, 0)
    assert len([e for e in store.events() if e["type"] == "matched"]) == 2
    store.close()


def test_triage_survives_rematching_and_goal_edits(store_url: str) -> None:
    store = Store.open(store_url)
    women = put(store, "kz_legalacts", "1", WOMEN)
    match_documents(store, [DV], [women])
    with store.write() as conn:
        assert set_triage(conn, women, "domestic-violence", "dismissed", "aigerim") == "new"
    # The goal is edited so it no longer matches, then edited back.
    narrowed = make_goal("domestic-violence", '"бытового насилия"', stance="support")
    lost = rematch_if_goals_changed(store, [narrowed])
    assert lost is not None and lost.lost == {women: ["domestic-violence"]}
    regained = rematch_if_goals_changed(store, [DV])
    assert regained is not None and regained.gained == {women: ["domestic-violence"]}
    with store.engine.connect() as conn:
        (row,) = matches_of(conn, women)
    assert (row["triage"], row["triaged_by"], row["active"]) == ("dismissed", "aigerim", 1)
    assert rematch_if_goals_changed(store, [DV]) is None  # unchanged goals: no work
    store.close()


def test_default_goals_match_the_real_titles(tmp_path: Path) -> None:
    from tracker.matching import load_goals

    goals = load_goals()
    store = Store.open(f"sqlite:///{tmp_path / 't.db'}")
    women = put(store, "kz_legalacts", "1", WOMEN)
    tax = put(store, "kz_legalacts", "2", "О внесении изменений и дополнений в Налоговый кодекс")
    changes = match_documents(store, goals, [women, tax])
    assert "domestic-violence" in changes.gained[women]
    assert tax not in changes.gained
    store.close()
