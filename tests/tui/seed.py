"""A small store for dashboard tests, seeded through the real store API (matches and
actions, which have no store API yet, through SQLAlchemy Core)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from tracker.fetch import FetchStats
from tracker.models import Record
from tracker.store import Store
from tracker.store.schema import action_links, actions, matches
from tracker.views import GoalInfo

TODAY = date(2026, 11, 12)
STAFF = "aigerim"
WOMEN = ("О внесении изменений и дополнений в некоторые законодательные акты Республики "
         "Казахстан по вопросам обеспечения прав женщин и безопасности детей")
ARCHIVES = ("О внесении изменений и дополнений в некоторые законодательные акты Республики "
            "Казахстан по вопросам архивного дела и ограничения распространения "
            "противоправного контента")
HOSTILE = ("[bold]Взломано[/bold] [link=https://evil.example]нажми[/link] "
           "\x1b[31mКРАСНЫЙ\x1b[0m\x07 бытовое насилие")
GOALS = (
    GoalInfo("domestic-violence", "Criminalise domestic violence", "support", 1),
    GoalInfo("sogi", "SOGI: against the 'propaganda' ban", "oppose", 1),
    GoalInfo("civic-space", "Civic space", "watch", 3),
)


def run(store: Store, source: str, *records: Record) -> None:
    """One successful run of ``source`` bringing these records."""
    run_id = store.start_run(source)
    store.finish_run(run_id, source, list(records), FetchStats(), ok=True, not_modified=0,
                     errors=[], warnings=[])


def rec(source: str, external_id: str, title: str, **extra: Any) -> Record:
    """A record with a fake evidence hash."""
    return Record(source=source, external_id=external_id, title=title,
                  url=f"https://example.invalid/{source}/{external_id}",
                  evidence=(external_id * 64)[:64], **extra)


def add_match(store: Store, doc_id: int, goal: str, reasons: list[dict[str, str]],
              score: float = 0.8) -> int:
    """A match row as the matching engine will write it."""
    with store.engine.begin() as conn:
        result = conn.execute(matches.insert().values(
            document_id=doc_id, goal_id=goal, score=score, reasons=json.dumps(reasons),
            active=1, triage="new", matched_at="2026-11-10T08:00:00+00:00"))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])


def seed(path: Path) -> tuple[Store, dict[str, int]]:
    """The test store: linked bills, a stance-bad move, a hostile title, an overdue
    follow-up, a broken source. Returns the store and document ids by name."""
    store = Store.open(f"sqlite:///{path}")
    run(store, "kz_legalacts",
        rec("kz_legalacts", "16000300", WOMEN, stage="public_discussion",
            discussion_until="2026-11-16", agency="Министерство внутренних дел РК",
            status_raw="На публичном обсуждении"),
        rec("kz_legalacts", "16000220", ARCHIVES, stage="public_discussion",
            discussion_until="2026-11-30"),
        rec("kz_legalacts", "16000250", "Об утверждении предельных тарифов на электроэнергию",
            stage="public_discussion", discussion_until="2026-11-13"),
        rec("kz_legalacts", "16000999", HOSTILE, stage="drafting"))
    run(store, "kz_parliament",
        rec("kz_parliament", "411", f"Проект Закона Республики Казахстан «{WOMEN}»",
            stage="parliament", kind="bill"))
    ids = {name: store.document_id(source, ext) or 0 for name, source, ext in (
        ("women", "kz_legalacts", "16000300"), ("archives", "kz_legalacts", "16000220"),
        ("energy", "kz_legalacts", "16000250"), ("hostile", "kz_legalacts", "16000999"),
        ("bill", "kz_parliament", "411"))}
    ids["m_women"] = add_match(store, ids["women"], "domestic-violence", [
        {"field": "title", "term": '"прав женщин и безопасности детей"',
         "snippet": "…по вопросам обеспечения прав женщин и безопасности детей"}])
    ids["m_bill"] = add_match(store, ids["bill"], "domestic-violence", [
        {"field": "title", "term": '"прав женщин и безопасности детей"',
         "snippet": "…обеспечения прав женщин и безопасности детей»"}])
    ids["m_archives"] = add_match(store, ids["archives"], "sogi", [
        {"field": "text", "term": "NEAR/5(пропаганд*, (нетрадиционн* OR ЛГБТ))",
         "snippet": "запрет пропаганды нетрадиционной сексуальной ориентации [bold]"}])
    ids["m_hostile"] = add_match(store, ids["hostile"], "domestic-violence", [
        {"field": "title", "term": '"бытовое насилие"', "snippet": HOSTILE}])
    # A week later: the archives law moves forward (bad news for an `oppose` goal), the
    # bill passes its first reading (good news for a `support` goal).
    run(store, "kz_legalacts", rec("kz_legalacts", "16000220", ARCHIVES, stage="passed",
                                   discussion_until="2026-11-30"))
    run(store, "kz_parliament",
        rec("kz_parliament", "411", f"Проект Закона Республики Казахстан «{WOMEN}»",
            stage="first_reading", kind="bill"))
    store.set_health("kz_adilet", "broken", "failed 3 runs in a row; last error: [red]boom")
    with store.engine.begin() as conn:
        result = conn.execute(actions.insert().values(
            type="meeting", date="2026-11-03", staff=STAFF,
            counterpart_person="Депутат Секретова", counterpart_institution="Мажилис",
            summary="Обсудили поправки о бытовом насилии", next_step="Отправить письмо",
            follow_up="2026-11-10", status="open", sensitivity="sensitive", sealed=0,
            created_at="2026-11-03T10:00:00+00:00", updated_at="2026-11-03T10:00:00+00:00"))
        key = result.inserted_primary_key
        assert key is not None
        ids["action"] = int(key[0])
        conn.execute(action_links.insert().values(action_id=ids["action"], kind="document",
                                                  target=str(ids["women"])))
    return store, ids
