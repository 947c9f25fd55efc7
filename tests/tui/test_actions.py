"""Actions: the form validates inline and saves; private fields stay hidden until revealed
and show [locked] when sealed without a passphrase."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.tui.conftest import cells, drive, make_app, settle
from tests.tui.seed import STAFF
from tracker.store import Store
from tracker.store.schema import action_history, action_links, actions
from tui.messages import OpenDocument


def error_of(form: Any, name: str) -> str:
    """The inline message under a form field."""
    return str(form.query_one(f"#err-{name}").content.plain)


async def type_into(pilot: Any, form: Any, name: str, text: str) -> None:
    """Replace a field's text (as pasting would: one change event)."""
    form.query_one(f"#{name}").value = text
    await settle(pilot, 1)


def test_action_form_validates_inline_then_saves(seeded: tuple[Store, dict[str, int]]) -> None:
    store, ids = seeded

    async def scenario() -> None:
        app = make_app(store)
        async with app.run_test(size=(120, 50)) as pilot:
            await settle(pilot)
            await pilot.press("a")
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            form: Any = app.screen
            assert type(form).__name__ == "ActionFormScreen"
            assert form.query_one("#date").value == "2026-11-12"  # the (fixed) clock
            form.query_one("#date").focus()
            await pilot.press("ctrl+u", *"2026-13-01")  # typed, as a person would
            await settle(pilot, 1)
            assert error_of(form, "date") == "⚠ not a real date"
            await type_into(pilot, form, "date", "12.11.2026")
            assert error_of(form, "date") == "⚠ use YYYY-MM-DD, e.g. 2026-11-16"
            await type_into(pilot, form, "date", "2026-11-12")
            assert error_of(form, "date") == ""
            await type_into(pilot, form, "follow_up", "2026-11-0")
            assert error_of(form, "follow_up") == ""  # not nagged while typing
            await type_into(pilot, form, "follow_up", "2026-11-01")
            assert "before the action's date" in error_of(form, "follow_up")
            await type_into(pilot, form, "follow_up", "2026-11-20")
            await type_into(pilot, form, "document", "kz_legalacts:nope")
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert error_of(form, "type").startswith("⚠ choose a type")
            form.query_one("#type").value = "public_comment"
            await settle(pilot, 1)
            assert error_of(form, "type") == ""
            await type_into(pilot, form, "summary", "Комментарий к статье 5")
            assert form.query_one("#summary").password  # hidden while typing
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert error_of(form, "document") == "⚠ no such document"
            assert type(app.screen).__name__ == "ActionFormScreen"
            await type_into(pilot, form, "document", "kz_legalacts:16000300")
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert type(app.screen).__name__ == "ActionsScreen"
            rows = cells(app.screen.query_one("#actions"))
            assert any(r[2] == "public_comment" and r[6] == "2026-11-20" for r in rows)
        with store.engine.connect() as conn:
            saved = conn.execute(select(actions).where(actions.c.type == "public_comment")).one()
            linked = conn.execute(select(action_links).where(
                action_links.c.action_id == saved.id)).all()
            history = conn.execute(select(action_history).where(
                action_history.c.action_id == saved.id)).one()
        assert (saved.date, saved.follow_up, saved.staff, saved.status) == (
            "2026-11-12", "2026-11-20", STAFF, "open")
        assert saved.summary == "Комментарий к статье 5" and saved.sealed == 0
        assert [(r.kind, r.target) for r in linked] == [("document", str(ids["women"]))]
        assert history.author == STAFF

    drive(scenario)


def test_new_action_from_a_document_is_prefilled(seeded: tuple[Store, dict[str, int]]) -> None:
    store, ids = seeded

    async def scenario() -> None:
        app = make_app(store)
        async with app.run_test(size=(120, 50)) as pilot:
            await settle(pilot)
            app.post_message(OpenDocument(ids["women"]))
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            form: Any = app.screen
            assert form.query_one("#document").value == "kz_legalacts:16000300"
            assert form.query_one("#goal").value == "domestic-violence"
            form.query_one("#type").value = "letter"
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert error_of(form, "summary") == "⚠ summary is required"
            await type_into(pilot, form, "summary", "Письмо в Мажилис")
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert type(app.screen).__name__ == "DocumentScreen"
            text = app.screen.query_one("#doc-actions").content.plain
            assert "letter" in text and "meeting" in text

    drive(scenario)


def sealed_action(store: Store, monkeypatch: pytest.MonkeyPatch) -> int:
    """Seal the store with a passphrase and record a sensitive action; then forget the
    passphrase (as on a laptop where it is not set)."""
    from tracker.actions import ActionDraft as Draft
    from tracker.actions import record_action
    from tracker.seal import open_vault

    monkeypatch.setenv("TRACKER_PASSPHRASE", "correct horse battery staple")
    vault = open_vault(store)
    action_id = record_action(store, Draft(
        type="meeting", date="2026-11-05", staff="dana", summary=SECRET,
        counterpart_person="Депутат Тайная", sensitive=True, goals=("sogi",)), vault,
        goal_ids={"sogi"})
    monkeypatch.delenv("TRACKER_PASSPHRASE")
    return action_id


SECRET = "Встреча о поправках (конфиденциально)"


def test_private_fields_hidden_until_revealed_and_locked_when_sealed(
    seeded: tuple[Store, dict[str, int]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, ids = seeded
    sealed_action(store, monkeypatch)
    with store.engine.connect() as conn:
        stored = conn.execute(select(actions.c.summary).where(actions.c.staff == "dana")).scalar()
    assert stored.startswith("seal1:")  # what a seized laptop holds

    async def scenario() -> None:
        app = make_app(store)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(pilot)
            await pilot.press("a")
            await settle(pilot)
            screen: Any = app.screen
            summaries = [r[8] for r in cells(screen.query_one("#actions"))]
            assert summaries == ["•••• (v to reveal)", "•••• (v to reveal)"]
            assert "[locked]" in screen.query_one("#actions-status").content.plain
            await pilot.press("v")
            await settle(pilot)
            summaries = [r[8] for r in cells(screen.query_one("#actions"))]
            assert summaries == ["[locked]", "[locked]"]  # the seal covers every action
            assert stored not in app.export_screenshot()
            await pilot.press("v")
            await settle(pilot)
            assert [r[8] for r in cells(screen.query_one("#actions"))][1].startswith("••••")
            app.post_message(OpenDocument(ids["women"]))
            await settle(pilot)
            text = app.screen.query_one("#doc-actions").content.plain
            assert "Депутат" not in text and "•••• (v to reveal)" in text
            await pilot.press("v")
            await settle(pilot)
            assert "person: [locked]" in app.screen.query_one("#doc-actions").content.plain

    drive(scenario)


def test_with_the_passphrase_reveal_shows_the_text(
    seeded: tuple[Store, dict[str, int]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, _ids = seeded
    sealed_action(store, monkeypatch)
    monkeypatch.setenv("TRACKER_PASSPHRASE", "correct horse battery staple")

    async def scenario() -> None:
        app = make_app(store)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(pilot)
            await pilot.press("a")
            await settle(pilot)
            assert SECRET not in app.export_screenshot()  # hidden until revealed
            await pilot.press("v")
            await settle(pilot)
            summaries = [r[8] for r in cells(app.screen.query_one("#actions"))]
            assert summaries == [SECRET, "Обсудили поправки о бытовом насилии"]

    drive(scenario)


def test_editing_while_locked_is_refused_in_the_form(
    seeded: tuple[Store, dict[str, int]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, _ids = seeded
    action_id = sealed_action(store, monkeypatch)

    async def scenario() -> None:
        app = make_app(store)
        async with app.run_test(size=(120, 50)) as pilot:
            await settle(pilot)
            await pilot.press("a")
            await settle(pilot)
            await pilot.press("enter")  # the newest action: the sealed one
            await settle(pilot)
            form: Any = app.screen
            assert form.query_one("#summary").disabled
            assert form.query_one("#summary").value == "[locked]"
            form.query_one("#status").value = "done"
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert "no passphrase" in error_of(form, "form")
            assert type(app.screen).__name__ == "ActionFormScreen"
        with store.engine.connect() as conn:
            row = conn.execute(select(actions).where(actions.c.id == action_id)).one()
        assert (row.status, row.sealed) == ("open", 1) and row.summary.startswith("seal1:")

    drive(scenario)
