"""The dashboard's read models and pure helpers, table-tested (no Textual needed)."""

from __future__ import annotations

import pytest

from tests.tui.seed import GOALS, STAFF, TODAY
from tracker.store import Store
from tracker.views import (
    DocFilter,
    document_detail,
    get_watermark,
    goal_summaries,
    latest_event_id,
    mark_read,
    news_tone,
    parse_filter,
    resolve_document_ref,
    set_triage,
    source_states,
    staff_name,
    today_view,
)
from tui.actions_adapter import ActionDraft, validate
from tui.render import highlight, plain, term_prefixes

PASSED = ("stage_changed", {"stage": "public_discussion"}, {"stage": "passed"})
REJECTED = ("rejected", {"stage": "parliament"}, {"stage": "rejected"})


@pytest.mark.parametrize(("stance", "event", "tone"), [
    ("support", PASSED, "good"),
    ("oppose", PASSED, "bad"),
    ("watch", PASSED, "neutral"),
    ("support", REJECTED, "bad"),
    ("oppose", REJECTED, "good"),
    ("oppose", ("new", None, {"stage": "public_discussion"}), "neutral"),  # a draft: new
    ("oppose", ("new", None, {"stage": "parliament"}), "bad"),
    ("support", ("first_reading", {"stage": "parliament"}, {"stage": "first_reading"}), "good"),
    ("support", ("stage_changed", {"stage": "passed"}, {"stage": "parliament"}), "neutral"),
    ("oppose", ("repealed", {"stage": "in_force"}, {"stage": "repealed"}), "good"),
    ("support", ("matched", None, {"goal": "sogi", "score": 0.5}), "neutral"),
    ("support", ("deadline_changed", "2026-11-16", "2026-11-23"), "neutral"),
    ("support", ("counters_changed", {"comments": 1}, {"comments": 2}), "neutral"),
])
def test_news_tone(stance: str, event: tuple[str, object, object], tone: str) -> None:
    assert news_tone(stance, *event) == tone


@pytest.mark.parametrize(("text", "expected"), [
    ("", DocFilter()),
    ("насилие  закон", DocFilter(words=("насилие", "закон"))),
    ("goal:sogi stage:passed", DocFilter(goal="sogi", stage="passed")),
    ("triage:new source:kz_adilet deadline:7",
     DocFilter(triage="new", source="kz_adilet", deadline_days=7)),
    ("sort:deadline", DocFilter(sort="deadline", descending=False)),
    ("sort:-deadline", DocFilter(sort="deadline", descending=True)),
    ("sort:+changed", DocFilter(sort="changed", descending=False)),
    ("sort:nonsense deadline:soon", DocFilter()),
    ("http://x.kz note:1", DocFilter(words=("http://x.kz", "note:1"))),
])
def test_parse_filter(text: str, expected: DocFilter) -> None:
    assert parse_filter(text) == expected


def test_staff_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_STAFF", " aigerim ")
    assert staff_name() == "aigerim"
    monkeypatch.delenv("TRACKER_STAFF")
    assert staff_name()


def test_watermark_never_moves_back(seeded: tuple[Store, dict[str, int]]) -> None:
    store, _ids = seeded
    assert get_watermark(store.engine, STAFF) == 0
    assert mark_read(store, STAFF, 5) == 5
    assert mark_read(store, STAFF, 3) == 5
    assert get_watermark(store.engine, STAFF) == 5
    assert get_watermark(store.engine, "dana") == 0  # per staff member
    view = today_view(store.engine, STAFF, GOALS, TODAY)
    assert view.since_id == 5 and view.new_count == latest_event_id(store.engine) - 5


def test_today_bounds_and_follow_ups_are_per_staff(seeded: tuple[Store, dict[str, int]]) -> None:
    store, _ids = seeded
    assert today_view(store.engine, "dana", GOALS, TODAY).follow_ups == ()
    view = today_view(store.engine, STAFF, GOALS, TODAY)
    assert [f.days for f in view.follow_ups] == [-2]
    assert [d.days_left for d in view.deadlines] == [1, 4]


def test_detail_goals_sources_refs(seeded: tuple[Store, dict[str, int]]) -> None:
    store, ids = seeded
    assert document_detail(store.engine, 999_999) is None
    detail = document_detail(store.engine, ids["women"])
    assert detail is not None
    assert [r.document_id for r in detail.related] == [ids["bill"]]
    assert [a.type for a in detail.actions] == ["meeting"]
    set_triage(store, ids["m_archives"], "confirmed", STAFF)
    set_triage(store, ids["m_archives"], "confirmed", STAFF)  # no second event
    with pytest.raises(ValueError):
        set_triage(store, ids["m_archives"], "maybe", STAFF)
    summaries = {s.goal.id: s for s in goal_summaries(store.engine, GOALS, TODAY)}
    assert summaries["sogi"].by_triage == {"confirmed": 1}
    assert summaries["sogi"].by_stage == {"passed": 1}
    assert summaries["domestic-violence"].by_triage == {"new": 3}
    assert {s.source: s.health for s in source_states(store.engine, ["kz_akorda"])} == {
        "kz_adilet": "broken", "kz_akorda": "never run", "kz_legalacts": "unknown",
        "kz_parliament": "unknown"}
    assert resolve_document_ref(store.engine, "kz_legalacts:16000300") == ids["women"]
    assert resolve_document_ref(store.engine, f"#{ids['bill']}") == ids["bill"]
    assert resolve_document_ref(store.engine, "kz_legalacts:nope") is None


@pytest.mark.parametrize(("term", "snippet", "marked"), [
    ('"бытовое насилие"', "о бытовом насилии и побоях", ["бытовом", "насилии"]),
    ("дискриминац*", "Антидискриминационный закон; дискриминации", ["дискриминации"]),
    ("=ЛГБТ", "ЛГБТ-люди и ЛГБТК", ["ЛГБТ"]),
    ("NEAR/3(насилие, (женщин OR девочек))", "насилие в отношении женщин", ["насилие",
                                                                            "женщин"]),
    ('"тұрмыстық зорлық-зомбылық"', "тұрмыстық зорлық-зомбылыққа қарсы",
     ["тұрмыстық", "зорлық-зомбылыққа"]),
    ("title:ёлка", "Елка и ёлка", ["Елка", "ёлка"]),
    ('"прав женщин"', "правонарушениях прав женщинами", ["прав", "женщинами"]),
])
def test_highlight_marks_inflected_forms(term: str, snippet: str, marked: list[str]) -> None:
    text = highlight(snippet, [term])
    assert [text.plain[s.start:s.end] for s in text.spans] == marked


def test_render_is_never_markup() -> None:
    text = plain("[bold red]x[/] \x1b[2J\u202eevil")
    assert text.plain == "[bold red]x[/] [2Jevil" and not text.spans
    assert term_prefixes("a OR b AND NOT c") == []


@pytest.mark.parametrize(("draft", "problems"), [
    (ActionDraft(type="meeting", date="2026-11-12"), set()),
    (ActionDraft(type="brunch", date="2026-11-12"), {"type"}),
    (ActionDraft(type="call", date=""), {"date"}),
    (ActionDraft(type="call", date="2026-02-30"), {"date"}),
    (ActionDraft(type="call", date="2026-11-12", follow_up="tomorrow"), {"follow_up"}),
    (ActionDraft(type="call", date="2026-11-12", follow_up="2026-11-11"), {"follow_up"}),
    (ActionDraft(type="call", date="2026-11-12", document="just words"), {"document"}),
    (ActionDraft(type="call", date="2026-11-12", document="#12"), set()),
])
def test_action_validation(draft: ActionDraft, problems: set[str]) -> None:
    assert set(validate(draft)) == problems
