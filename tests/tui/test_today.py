"""The Today view: news by goal with stance, deadlines, moves, follow-ups, broken sources;
the watermark moves only when the user marks the view read."""

from __future__ import annotations

from typing import Any

from tests.tui.conftest import cells, drive, make_app, settle
from tests.tui.seed import ARCHIVES, STAFF, rec, run
from tracker.store import Store
from tracker.views import get_watermark, latest_event_id


def test_today_shows_the_morning_view(seeded: tuple[Store, dict[str, int]]) -> None:
    async def scenario() -> None:
        store, _ids = seeded
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            screen: Any = app.screen
            assert type(screen).__name__ == "TodayScreen"
            news = cells(screen.query_one("#news"))
            # Grouped by goal (priority order), good and bad news told apart by stance.
            assert news[0][0].startswith("Criminalise domestic violence")
            # One row per goal and document: the latest change, and how many more.
            first_reading = next(r for r in news if "first_reading" in r[2])
            assert first_reading[2] == "parliament → first_reading (+1)"
            assert first_reading[1] == "▲ good"  # a supported bill moved forward
            passed = next(r for r in news if "passed" in r[2])
            assert passed[1] == "▼ bad"  # an opposed law moved forward
            assert passed[3] == "…по вопросам архивного дела и ограничения распространения п…"
            assert any(r[0] == "no goal" for r in news)
            deadlines = cells(screen.query_one("#deadlines"))
            assert [r[0] for r in deadlines] == ["1 day", "4 days"]  # soonest first
            assert deadlines[1][2] == "domestic-violence"
            assert "Мажилис" in cells(screen.query_one("#followups"))[0][3]
            assert cells(screen.query_one("#followups"))[0][0] == "overdue 2 d"
            moved = cells(screen.query_one("#moved"))
            assert {r[0] for r in moved} == {"domestic-violence", "sogi"}
            broken = cells(screen.query_one("#broken"))
            assert [r[0] for r in broken] == ["kz_adilet"]
            assert broken[0][3].endswith("[red]boom")  # shown literally, not as markup

    drive(scenario)


def test_watermark_advances_only_on_mark_read(
    seeded: tuple[Store, dict[str, int]],
) -> None:
    async def scenario() -> None:
        store, _ids = seeded
        latest = latest_event_id(store.engine)
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert get_watermark(store.engine, STAFF) == 0  # opening is not reading
            assert app.screen.view.new_count == latest
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert app.screen.view.new_count == latest  # still new on the next visit
            # An event arriving after the view was read stays new after "mark read".
            run(store, "kz_legalacts", rec("kz_legalacts", "16000220", ARCHIVES, stage="signed",
                                           discussion_until="2026-11-30"))
            await pilot.press("m")
            await settle(pilot)
            assert get_watermark(store.engine, STAFF) == latest
            assert app.screen.view.new_count == latest_event_id(store.engine) - latest == 1
            assert "signed" in cells(app.screen.query_one("#moved"))[0][2]

    drive(scenario)


def test_daemon_writes_refresh_the_view(seeded: tuple[Store, dict[str, int]]) -> None:
    async def scenario() -> None:
        store, _ids = seeded
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            before = app.screen.generation
            app.poll_event_log()  # what the 5 s timer does
            await settle(pilot)
            assert app.screen.generation == before  # nothing new: no reload
            run(store, "kz_parliament", rec("kz_parliament", "77", "Новый законопроект о насилии",
                                            stage="parliament"))
            app.poll_event_log()
            await settle(pilot)
            assert app.screen.generation == before + 1
            assert any("Новый законопроект" in r[3] for r in cells(app.screen.query_one("#news")))

    drive(scenario)


def test_enter_on_a_deadline_opens_the_document(
    seeded: tuple[Store, dict[str, int]],
) -> None:
    async def scenario() -> None:
        store, ids = seeded
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.screen.query_one("#deadlines").focus()
            await pilot.press("down", "enter")
            await settle(pilot)
            assert type(app.screen).__name__ == "DocumentScreen"
            assert app.screen.document_id == ids["women"]

    drive(scenario)
