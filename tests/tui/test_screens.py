"""Goals, Help and the command palette."""

from __future__ import annotations

from typing import Any

from tests.tui.conftest import cells, drive, make_app, settle
from tracker.store import Store
from tui.screens.help import bindings_of, key_label


def test_goals_screen_counts_and_opens_documents(seeded: tuple[Store, dict[str, int]]) -> None:
    store, ids = seeded

    async def scenario() -> None:
        app = make_app(store)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(pilot)
            await pilot.press("g")
            await settle(pilot)
            rows = cells(app.screen.query_one("#goals"))
            assert [r[1][:12] for r in rows] == ["Criminalise ", "SOGI: agains", "Civic space"]
            dv = rows[0]
            assert (dv[2], dv[3], dv[4]) == ("support", "3", "0")
            assert "public_discussion 1" in dv[6] and "first_reading 1" in dv[6]
            await pilot.press("down", "enter")
            await settle(pilot)
            screen: Any = app.screen
            assert type(screen).__name__ == "DocumentsScreen"
            assert screen.query_one("#filter").value == "goal:sogi"
            assert [r[-1] for r in cells(screen.query_one("#docs"))] == [str(ids["archives"])]

    drive(scenario)


def test_help_lists_every_key_and_the_palette_every_main_action(
    seeded: tuple[Store, dict[str, int]],
) -> None:
    store, _ids = seeded

    async def scenario() -> None:
        app = make_app(store)
        async with app.run_test(size=(120, 60)) as pilot:
            await settle(pilot)
            await pilot.press("question_mark")
            await settle(pilot)
            text = app.screen.query_one("#help-text").content.plain
            from tui.screens.action_form import ActionFormScreen
            from tui.screens.actions import ActionsScreen
            from tui.screens.detail import DocumentScreen
            from tui.screens.documents import DocumentsScreen
            from tui.screens.sources import SourcesScreen
            from tui.screens.today import TodayScreen

            for cls in (type(app), TodayScreen, DocumentsScreen, DocumentScreen,
                        ActionsScreen, ActionFormScreen, SourcesScreen):
                for binding in bindings_of(cls):
                    assert f"{key_label(binding):<14}{binding.description}" in text
            titles = {c.title for c in app.get_system_commands(app.screen)}
            assert {"Today", "Mark today as read", "Goals", "Documents", "Search documents",
                    "Record an action", "Actions and follow-ups", "Run a source now",
                    "Help", "Refresh"} <= titles
            await pilot.press("slash")
            await settle(pilot)
            assert type(app.screen).__name__ == "DocumentsScreen"
            assert app.focused is not None and app.focused.id == "filter"

    drive(scenario)


def test_palette_marks_today_read(seeded: tuple[Store, dict[str, int]]) -> None:
    from tracker.views import get_watermark, latest_event_id
    store, _ids = seeded

    async def scenario() -> None:
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("d")
            await settle(pilot)
            command = next(c for c in app.get_system_commands(app.screen)
                           if c.title == "Mark today as read")
            await command.callback()
            await settle(pilot)
            assert type(app.screen).__name__ == "TodayScreen"
        assert get_watermark(store.engine, "aigerim") == latest_event_id(store.engine)

    drive(scenario)


def test_mode_key_returns_from_a_document(seeded: tuple[Store, dict[str, int]]) -> None:
    from tui.messages import OpenDocument

    store, ids = seeded

    async def scenario() -> None:
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.post_message(OpenDocument(ids["women"]))
            await settle(pilot)
            await pilot.press("n")  # the action form is open: mode keys do nothing
            await settle(pilot)
            app.screen.query_one("#sensitive").focus()
            await pilot.press("t")
            assert type(app.screen).__name__ == "ActionFormScreen"
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("t")
            await settle(pilot)
            assert type(app.screen).__name__ == "TodayScreen"

    drive(scenario)


def test_schedule_state_in_header_and_stopped_on_quit(
    seeded: tuple[Store, dict[str, int]],
) -> None:
    from tui.scheduler import ScheduleState

    store, _ids = seeded
    stopped: list[bool] = []

    def starter(_settings: object) -> ScheduleState:
        return ScheduleState("in-process", "schedule: running here while open (no daemon)",
                             lambda: stopped.append(True))

    def broken(_settings: object) -> ScheduleState:
        raise RuntimeError("scheduler exploded")

    async def scenario() -> None:
        app = make_app(store, schedule=starter)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert "running here while open" in app.sub_title
        assert stopped == [True]
        app = make_app(store, schedule=broken)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            messages = [n.message for n in app._notifications]
            assert any("scheduler exploded" in m for m in messages)
            assert type(app.screen).__name__ == "TodayScreen"  # the dashboard still works

    drive(scenario)
