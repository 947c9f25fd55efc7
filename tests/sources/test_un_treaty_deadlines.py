"""un_treaty_deadlines: the treaty bodies' master calendar (synthetic, built from
SOURCES.md §8.6) → deadline documents whose due date is ``discussion_until``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sources.un_treaty_deadlines import (
    CALENDAR_PATH,
    UnTreatyDeadlines,
    parse_calendar,
    parse_due,
)
from tests.sources.test_un_shapes import ROBOTS, fixture_bytes, source_home
from tracker.errors import ConfigError, LayoutChanged
from tracker.replay import ReplayServer
from tracker.runner import run_source
from tracker.store import Store


def page(name: str = "master_calendar.html") -> str:
    return fixture_bytes("un_treaty_deadlines", name).decode()


def test_due_dates() -> None:
    assert parse_due("01 Nov 2027") == "2027-11-01"
    assert parse_due("1 November 2027") == "2027-11-01"
    assert parse_due("1\xa0Nov\xa02027") == "2027-11-01"
    assert parse_due("31 Feb 2027") is None
    assert parse_due("not yet set") is None


def test_kazakhstan_rows_become_deadline_documents() -> None:
    records, warnings = parse_calendar(page(), "https://tb/cal")
    assert warnings == []
    by_id = {r.external_id: r for r in records}
    assert set(by_id) == {"Kazakhstan:CEDAW:State party's report", "Kazakhstan:CCPR:List of issues"}
    cedaw = by_id["Kazakhstan:CEDAW:State party's report"]
    assert (cedaw.kind, cedaw.discussion_until, cedaw.agency) == ("deadline", "2027-11-01",
                                                                  "CEDAW")
    assert cedaw.title == "CEDAW: State party's report — Kazakhstan"
    only_cedaw, _ = parse_calendar(page(), "u", treaties=("cedaw",))
    assert [r.agency for r in only_cedaw] == ["CEDAW"]
    others, _ = parse_calendar(page(), "u", countries=("Examplia",))
    assert [r.discussion_until for r in others] == ["2027-02-01"]


def test_unreadable_dates_warn_and_a_missing_table_is_a_layout_change() -> None:
    html = page().replace("30 Jun 2027", "31 Jun 2027")
    _, warnings = parse_calendar(html, "u")
    assert warnings and "'31 Jun 2027'" in warnings[0]
    with pytest.raises(LayoutChanged, match="td cells"):
        parse_calendar("<html><body><p>Sessions</p></body></html>", "u")
    with pytest.raises(LayoutChanged, match="due date"):
        parse_calendar("<table><tr><td>a</td><td>b</td><td>c</td><td>d</td><td>1 Foo 2027</td>"
                       "</tr></table>", "u")


def test_column_order_is_an_option() -> None:
    html = ("<table><tr><td>01 Nov 2027</td><td>CEDAW</td><td>Kazakhstan</td><td>Asia</td>"
            "<td>State party's report</td></tr></table>")
    records, _ = parse_calendar(html, "u", columns=("due", "treaty", "country", "region",
                                                    "document"))
    assert records[0].external_id == "Kazakhstan:CEDAW:State party's report"
    with pytest.raises(ConfigError, match="columns"):
        UnTreatyDeadlines.check_options({"columns": ["due", "country"]}, "[sources.x]")


def test_end_to_end_deadline_moves_are_events(tmp_path: Path, replay: ReplayServer,
                                              store_url: str, make_fetcher: Any) -> None:
    replay.set("/robots.txt", ROBOTS)
    replay.set(CALENDAR_PATH, page())
    settings = source_home(tmp_path / "home", "un_treaty_deadlines", replay.base_url,
                           database_url=store_url)
    store = Store.open(store_url)
    fetcher = make_fetcher(settings, store)
    summary = run_source("un_treaty_deadlines", settings=settings, store=store,
                         fetcher=fetcher)
    assert summary.status == "ok", summary.errors
    assert summary.inserted == 2
    # Unchanged page: 304, nothing new, not an empty result.
    again = run_source("un_treaty_deadlines", settings=settings, store=store, fetcher=fetcher)
    assert (again.status, again.not_modified, again.events) == ("ok", 1, 0)
    last = store.events()[-1]["id"]
    replay.set(CALENDAR_PATH, page("master_calendar_moved.html"))
    moved = run_source("un_treaty_deadlines", settings=settings, store=store, fetcher=fetcher)
    assert moved.status == "ok"
    events = store.events(since_id=last)
    assert [(e["type"], e["old"], e["new"]) for e in events] == [
        ("deadline_changed", "2027-11-01", "2028-05-01")]
    # The CCPR row left the calendar: its document is kept as it was.
    docs = {d["external_id"]: d for d in store.documents()}
    assert docs["Kazakhstan:CCPR:List of issues"]["discussion_until"] == "2027-03-15"
    store.close()


def test_no_kazakhstan_row_is_not_an_error(tmp_path: Path, replay: ReplayServer,
                                           make_fetcher: Any) -> None:
    replay.set("/robots.txt", ROBOTS)
    replay.set(CALENDAR_PATH, page().replace("Kazakhstan", "Examplia"))
    settings = source_home(tmp_path / "home", "un_treaty_deadlines", replay.base_url)
    store = Store.open(settings.database_url)
    summary = run_source("un_treaty_deadlines", settings=settings, store=store,
                         fetcher=make_fetcher(settings, store))
    assert summary.status == "ok" and summary.inserted == 0
    store.close()
