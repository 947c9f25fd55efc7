"""The document screen: reasons with highlighted terms, the timeline across linked
documents, triage persisted, the official page, hostile titles shown literally."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from tests.tui.conftest import cells, drive, make_app, settle, shown
from tests.tui.seed import HOSTILE, STAFF
from tracker.store import Store
from tracker.store.schema import events, matches
from tui.messages import OpenDocument
from tui.render import HIGHLIGHT


async def open_document(app: Any, pilot: Any, doc_id: int) -> Any:
    """Open a document the way Enter on a row does."""
    app.post_message(OpenDocument(doc_id))
    return await shown(pilot, "DocumentScreen")


def highlighted(text: Any) -> list[str]:
    """The substrings of a Text styled as highlights."""
    return [text.plain[s.start:s.end] for s in text.spans if str(s.style) == HIGHLIGHT]


def test_opening_from_documents_shows_reasons_and_timeline(
    seeded: tuple[Store, dict[str, int]],
) -> None:
    store, ids = seeded

    async def scenario() -> None:
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("slash", *"source:kz_parliament", "enter")
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            screen: Any = app.screen
            assert type(screen).__name__ == "DocumentScreen"
            assert screen.document_id == ids["bill"]
            head = screen.query_one("#doc-head").content.plain
            assert "stage first_reading" in head
            assert "kz_parliament" in head
            reasons = screen.query_one("#reasons").content
            assert "…обеспечения прав женщин и безопасности детей»" in reasons.plain
            assert highlighted(reasons) == ["прав", "женщин", "безопасности", "детей"]
            timeline = cells(screen.query_one("#timeline"))
            # The same act on legalacts (linked automatically) is in the timeline, with the
            # evidence hash of the page each event was seen in.
            assert {r[1] for r in timeline} == {"kz_legalacts", "kz_parliament"}
            assert timeline[-1][3:5] == ["parliament → first_reading", "411411411411"]
            related = cells(screen.query_one("#related"))
            assert related[0][0].startswith("same act (auto")
            await pilot.press("escape")
            await settle(pilot)
            assert type(app.screen).__name__ == "DocumentsScreen"

    drive(scenario)


def test_confirm_and_dismiss_are_persisted(seeded: tuple[Store, dict[str, int]]) -> None:
    store, ids = seeded

    async def scenario() -> None:
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            screen = await open_document(app, pilot, ids["women"])
            screen.query_one("#matches").focus()
            await pilot.press("c")
            await settle(pilot)
            assert cells(screen.query_one("#matches"))[0][3:5] == ["confirmed", STAFF]
            screen = await open_document(app, pilot, ids["hostile"])
            await pilot.press("x")
            await settle(pilot)
        with store.engine.connect() as conn:
            rows = {r.document_id: r for r in conn.execute(select(matches))}
            staff_events = conn.execute(
                select(events).where(events.c.author.is_not(None))).all()
        assert (rows[ids["women"]].triage, rows[ids["women"]].triaged_by) == ("confirmed", STAFF)
        assert rows[ids["women"]].triaged_at
        assert (rows[ids["hostile"]].triage, rows[ids["hostile"]].triaged_by) == (
            "dismissed", STAFF)
        assert rows[ids["bill"]].triage == "new"
        assert [(e.type, json.loads(e.new)["triage"], e.author) for e in staff_events] == [
            ("triage_changed", "confirmed", STAFF), ("triage_changed", "dismissed", STAFF)]

    drive(scenario)


def test_dismissed_match_leaves_today(seeded: tuple[Store, dict[str, int]]) -> None:
    store, ids = seeded

    async def scenario() -> None:
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert any("Взломано" in r[3] for r in cells(app.screen.query_one("#news")))
            await open_document(app, pilot, ids["hostile"])
            await pilot.press("x", "escape")
            await settle(pilot)
            news = cells(app.screen.query_one("#news"))
            hostile = [r for r in news if "Взломано" in r[3]]
            assert hostile and all(r[0] in ("no goal", "") for r in hostile)

    drive(scenario)


def test_hostile_title_is_shown_literally(seeded: tuple[Store, dict[str, int]]) -> None:
    store, ids = seeded
    # The ESC and BEL characters are removed; everything else shows as typed.
    literal = ("[bold]Взломано[/bold] [link=https://evil.example]нажми[/link] [31mКРАСНЫЙ[0m "
               "бытовое насилие")

    async def scenario() -> None:
        app = make_app(store)
        async with app.run_test(size=(160, 50)) as pilot:
            await settle(pilot)
            await pilot.press("d")
            await settle(pilot)
            row = app.screen.query_one("#docs").get_row(str(ids["hostile"]))
            title = row[0]
            assert title.plain.startswith(literal[:55])
            assert not title.spans and not title.style  # no markup was interpreted
            assert "\x1b" not in title.plain and "\x07" not in title.plain
            screen = await open_document(app, pilot, ids["hostile"])
            head = screen.query_one("#doc-head").content
            assert head.plain.startswith(literal + "\n")
            assert all(str(s.style) in ("bold", "dim", "") for s in head.spans)
            reasons = screen.query_one("#reasons").content
            assert "[link=https://evil.example]" in reasons.plain
            assert highlighted(reasons) == ["бытовое", "насилие"]
            svg = app.export_screenshot().replace("&#160;", " ")
            assert "[bold]Взломано[/bold]" in svg
            assert "\x1b" not in svg and "evil.example" in svg
        assert HOSTILE.startswith("[bold]")

    drive(scenario)


def test_official_page_over_ssh_is_copied_not_launched(
    seeded: tuple[Store, dict[str, int]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, ids = seeded
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.2 5000 10.0.0.1 22")
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url, new=0: opened.append(url))

    async def scenario() -> None:
        app = make_app(store)
        copied: list[str] = []
        app.copy_to_clipboard = copied.append
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await open_document(app, pilot, ids["women"])
            await pilot.press("b")
            await settle(pilot)
        assert copied == ["https://example.invalid/kz_legalacts/16000300"]
        assert opened == []

    drive(scenario)


def test_official_page_opens_in_the_desktop_browser(
    seeded: tuple[Store, dict[str, int]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, ids = seeded
    monkeypatch.setenv("DISPLAY", ":0")
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url, new=0: opened.append(url))

    async def scenario() -> None:
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await open_document(app, pilot, ids["women"])
            await pilot.press("b")
            await settle(pilot)
        assert opened == ["https://example.invalid/kz_legalacts/16000300"]

    drive(scenario)
