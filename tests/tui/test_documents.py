"""The Documents screen: search as you type (any case, ё/е), filters, sort, pages."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.tui.conftest import cells, drive, make_app, settle
from tests.tui.seed import TODAY, rec, run
from tracker.store import Store
from tracker.views import PAGE_SIZE, parse_filter
from tui.search import SearchIndex


async def documents(app: Any, pilot: Any, text: str) -> list[list[str]]:
    """Type ``text`` into the filter; the table's rows."""
    await pilot.press("d")
    await settle(pilot)
    await pilot.press("slash", *text)
    await settle(pilot)
    return cells(app.screen.query_one("#docs"))


def test_search_is_case_insensitive(seeded: tuple[Store, dict[str, int]]) -> None:
    store, ids = seeded

    async def scenario() -> None:
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            rows = await documents(app, pilot, "АРХИВНОГО")
            assert [r[-1] for r in rows] == [str(ids["archives"])]
            await pilot.press("ctrl+u", *"взломано")
            await settle(pilot)
            rows = cells(app.screen.query_one("#docs"))
            assert len(rows) == 1 and rows[0][0].startswith("[bold]Взломано")
            status = app.screen.query_one("#doc-status").content.plain
            assert status.startswith("1–1 of 1")

    drive(scenario)


def test_filters_and_sort(seeded: tuple[Store, dict[str, int]]) -> None:
    store, ids = seeded

    async def scenario() -> None:
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("d")
            await settle(pilot)
            app.screen.set_filter("goal:domestic-violence sort:deadline")
            await settle(pilot)
            rows = cells(app.screen.query_one("#docs"))
            # Soonest deadline first; documents without one last.
            assert [r[-1] for r in rows] == [str(ids["women"]), str(ids["hostile"]),
                                             str(ids["bill"])]
            app.screen.set_filter("goal:domestic-violence deadline:3")
            await settle(pilot)
            rows = cells(app.screen.query_one("#docs"))
            assert rows == [["No document matches.", "", "", "", "", "", ""]]
            app.screen.set_filter("deadline:3")
            await settle(pilot)
            rows = cells(app.screen.query_one("#docs"))
            assert [r[-1] for r in rows] == [str(ids["energy"])]
            app.screen.set_filter("triage:new source:kz_parliament")
            await settle(pilot)
            assert [r[-1] for r in cells(app.screen.query_one("#docs"))] == [str(ids["bill"])]

    drive(scenario)


def test_pages_and_header_sort(seeded: tuple[Store, dict[str, int]]) -> None:
    store, _ids = seeded
    run(store, "kz_govkz", *[rec("kz_govkz", f"n{i:03d}", f"Приказ номер {i:03d}",
                                 stage="drafting") for i in range(PAGE_SIZE + 5)])

    async def scenario() -> None:
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("d")
            await settle(pilot)
            screen: Any = app.screen
            assert screen.query_one("#docs").row_count == PAGE_SIZE
            await pilot.press("right_square_bracket")
            await settle(pilot)
            assert screen.query_one("#docs").row_count == PAGE_SIZE + 10 - PAGE_SIZE
            assert screen.query_one("#doc-status").content.plain.startswith(
                f"{PAGE_SIZE + 1}–{PAGE_SIZE + 10} of {PAGE_SIZE + 10}")
            await pilot.press("left_square_bracket")
            await settle(pilot)
            await pilot.click("#docs", offset=(2, 0))  # the "title" header: sort by title
            await settle(pilot)
            full = {str(d["id"]): d["title"] for d in store.documents()}
            titles = [full[r[-1]] for r in cells(screen.query_one("#docs"))]
            assert titles == sorted(titles, key=str.casefold)

    drive(scenario)


def test_index_refines_and_updates(seeded: tuple[Store, dict[str, int]]) -> None:
    store, ids = seeded
    index = SearchIndex()
    snapshot = index.refresh(store.engine)
    today = date(2026, 11, 12)
    assert snapshot.search(parse_filter("насил"), today)[0] == [ids["hostile"]]
    assert snapshot.search(parse_filter("насилие"), today)[0] == [ids["hostile"]]
    assert snapshot.search(parse_filter("Насилие 16000999"), today)[0] == [ids["hostile"]]
    assert snapshot.search(parse_filter("goal:sogi"), today)[0] == [ids["archives"]]
    assert snapshot.search(parse_filter("triage:confirmed"), today)[0] == []
    page, more, total = snapshot.search(parse_filter(""), today, limit=2)
    assert (len(page), more, total) == (2, True, 5)
    run(store, "kz_govkz", rec("kz_govkz", "x1", "Закон о ЖЕНЩИНАХ", stage="drafting"))
    snapshot = index.refresh(store.engine)
    assert len(snapshot.search(parse_filter("женщинах"), TODAY)[0]) == 1
