"""kz_parliament end to end: the replay server on 127.0.0.1, the real fetcher, archive, store."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sources.base import registry
from tests.conftest import fixture_text, write_home
from tracker.archive import Archive
from tracker.catalog import load_home_settings
from tracker.config import Settings
from tracker.models import RunSummary
from tracker.replay import ReplayServer, Reply
from tracker.runner import run_source
from tracker.store import Store

KEY = "kz_parliament"
LIST0 = "/api/core/draft-laws/?limit=2&offset=0"
LIST2 = "/api/core/draft-laws/?limit=2&offset=2"
SENATE = "/ru-RU/lawProjects/index"
JSON = (("Content-Type", "application/json"),)
FETCH = "[fetch]\nmin_interval = 0.0\nretries = 0\nbackoff = 0.01\ntimeout = 0.4\n"


def json_reply(name: str) -> Reply:
    return Reply(fixture_text("kz_parliament", name).encode(), headers=JSON)


def detail(bill_id: str) -> str:
    return f"/api/core/draft-laws/{bill_id}/"


def serve(replay: ReplayServer) -> None:
    replay.set("/robots.txt", "User-agent: *\nDisallow: /admin/\n")
    replay.set(LIST0, json_reply("draft_laws_offset0.json"))
    replay.set(LIST2, json_reply("draft_laws_offset2.json"))
    replay.set(detail("2101"), json_reply("draft_law_2101.json"))
    replay.set(detail("2102"), json_reply("draft_law_2102.json"))
    replay.set(detail("2103"), json_reply("draft_law_2103_unmapped.json"))
    replay.set(f"{SENATE}?p=1", fixture_text("kz_parliament", "senate_p1.html"))
    replay.set(f"{SENATE}?p=2", fixture_text("kz_parliament", "senate_p2.html"))
    # Past the end the site is assumed to repeat its last page: the crawler must stop there.
    replay.set(f"{SENATE}?p=3", fixture_text("kz_parliament", "senate_p2.html"))


@pytest.fixture
def setup(tmp_path: Path, replay: ReplayServer, store_url: str,
          make_fetcher: Any) -> Iterator[tuple[Settings, Store, Any]]:
    others = "".join(f"[sources.{k}]\nenabled = false\n" for k in registry() if k != KEY)
    write_home(tmp_path / "home", FETCH + others + f"""
[sources.{KEY}]
base_url = "{replay.base_url}"
senate_base_url = "{replay.base_url}"
page_size = 2
senate_max_pages = 5
""")
    loaded = load_home_settings(tmp_path / "home")
    settings = Settings(loaded.home, store_url, loaded.fetch, loaded.sources)
    store = Store.open(store_url)
    yield settings, store, make_fetcher(settings, store)
    store.close()


def doc_events(store: Store, since_id: int = 0) -> list[dict[str, Any]]:
    """Events about documents (the runner also logs source-health changes, with no document)."""
    return [e for e in store.events(since_id=since_id) if e["external_id"] is not None]


def scrape(setup: tuple[Settings, Store, Any]) -> RunSummary:
    settings, store, fetcher = setup
    return run_source(KEY, settings=settings, store=store, fetcher=fetcher)


def test_first_run_inserts_every_bill_with_raw_json_as_evidence(
        setup: Any, replay: ReplayServer) -> None:
    serve(replay)
    summary = scrape(setup)
    assert summary.status == "ok", summary.errors
    assert (summary.inserted, summary.events) == (6, 6)
    docs = {d["external_id"]: d for d in setup[1].documents(source=KEY)}
    assert sorted(docs) == ["mazhilis:2101", "mazhilis:2102", "mazhilis:2103",
                            "senate:7101", "senate:7102", "senate:7103"]
    assert (docs["mazhilis:2101"]["stage"], docs["mazhilis:2102"]["stage"]) == (
        "first_reading", "signed")
    assert docs["senate:7103"]["url"] == f"{replay.base_url}/ru-RU/lawProjects/details/7103"
    # Senate paging stopped at the repeated page 3 (senate_max_pages = 5): no page 4 request.
    assert [e.path for e in replay.requests_to(SENATE)] == [f"{SENATE}?p={n}" for n in (1, 2, 3)]
    archive = Archive(setup[0].archive_dir)
    for event in doc_events(setup[1]):
        body = archive.get(event["evidence"]).body.decode()
        number = event["external_id"].split(":")[1]
        if event["external_id"].startswith("mazhilis:"):
            assert f'"id": {number}' in body  # the bill's own raw JSON
        else:
            assert f"lawProjects/details/{number}" in body


def test_unknown_status_is_kept_verbatim_warned_and_stage_unknown(
        setup: Any, replay: ReplayServer) -> None:
    serve(replay)
    summary = scrape(setup)
    assert summary.status == "ok"
    stored = {d["external_id"]: d for d in setup[1].documents(source=KEY)}["mazhilis:2103"]
    assert (stored["stage"], stored["status_raw"]) == ("unknown", "На рассмотрении рабочей группы")
    assert len(summary.warnings) == 1
    assert "'На рассмотрении рабочей группы'" in summary.warnings[0]
    assert "status_stages" in summary.warnings[0]
    assert setup[1].last_runs()[KEY]["warnings"] == list(summary.warnings)


def test_second_unchanged_run_emits_nothing(setup: Any, replay: ReplayServer) -> None:
    serve(replay)
    scrape(setup)
    events_before = setup[1].events()
    replay.log.clear()
    summary = scrape(setup)
    assert summary.status == "ok", summary.errors
    assert (summary.inserted, summary.updated, summary.events) == (0, 0, 0)
    assert setup[1].events() == events_before
    # The list is always re-read in full (statuses live in the details) ...
    lists = [e for e in replay.requests_to("/api/core/draft-laws/") if "limit=" in e.path]
    assert lists and all("If-None-Match" not in e.headers for e in lists)
    # ... and so are the few Senate pages (the end of the list is found by their content),
    # while unchanged details answer 304.
    assert all("If-None-Match" not in e.headers for e in replay.requests_to(SENATE))
    assert [e.status for e in replay.requests_to(detail("2101"))] == [304]
    assert summary.not_modified == 3
    assert summary.unchanged == 3


def test_status_change_emits_the_milestone_with_its_evidence(
        setup: Any, replay: ReplayServer) -> None:
    serve(replay)
    scrape(setup)
    last = setup[1].events()[-1]["id"]
    replay.set(detail("2101"), json_reply("draft_law_2101_second_reading.json"))
    replay.set(f"{SENATE}?p=1", fixture_text("kz_parliament", "senate_p1_decided.html"))
    summary = scrape(setup)
    assert summary.status == "ok", summary.errors
    got = sorted((e["type"], e["external_id"]) for e in doc_events(setup[1], last))
    assert got == [("details_changed", "mazhilis:2101"), ("details_changed", "senate:7102"),
                   ("second_reading", "mazhilis:2101")]
    by_type = {(e["type"], e["external_id"]): e for e in doc_events(setup[1], last)}
    reading = by_type[("second_reading", "mazhilis:2101")]
    assert reading["old"] == {"stage": "first_reading", "status_raw": "Одобрен в первом чтении"}
    assert reading["new"] == {"stage": "second_reading", "status_raw": "Принят Мажилисом"}
    assert "Принят Мажилисом" in Archive(setup[0].archive_dir).get(
        reading["evidence"]).body.decode()
    assert by_type[("details_changed", "senate:7102")]["new"] == {"decision_date": "2025-06-19"}
    assert summary.updated == 2


def test_list_layout_change_is_an_error_and_keeps_stored_data(
        setup: Any, replay: ReplayServer) -> None:
    serve(replay)
    scrape(setup)
    before = (setup[1].documents(), doc_events(setup[1]))
    replay.set(LIST0, json_reply("draft_laws_renamed_result.json"))
    summary = scrape(setup)
    assert summary.status == "error"
    assert "layout changed" in summary.errors[0] and "'result'" in summary.errors[0]
    assert LIST0.split("?")[0] in summary.errors[0]
    assert (setup[1].documents(), doc_events(setup[1])) == before


def test_senate_table_removed_fails_the_run_but_keeps_mazhilis_records(
        setup: Any, replay: ReplayServer) -> None:
    serve(replay)
    scrape(setup)
    last = setup[1].events()[-1]["id"]
    replay.set(detail("2101"), json_reply("draft_law_2101_second_reading.json"))
    replay.set(f"{SENATE}?p=1", fixture_text("kz_parliament", "senate_table_removed.html"))
    summary = scrape(setup)
    assert summary.status == "error"
    assert "lawProjects/details" in summary.errors[0] and "?p=1" in summary.errors[0]
    # The Mazhilis part had completed: its change is stored; no Senate record was touched.
    assert {e["type"] for e in doc_events(setup[1], last)} == {"second_reading",
                                                                 "details_changed"}
    assert len(setup[1].documents(source=KEY)) == 6


def test_timeout_is_a_run_error(setup: Any, replay: ReplayServer) -> None:
    serve(replay)
    assert scrape(setup).status == "ok"
    before = setup[1].documents()
    replay.latency = 1.0  # [fetch] timeout = 0.4
    summary = scrape(setup)
    assert summary.status == "error"
    assert "network error" in summary.errors[0] and "Timeout" in summary.errors[0]
    assert setup[1].documents() == before
    # Let the delayed reply meet its closed connection now, inside the test (the server
    # reports that broken pipe on stderr, which pytest then captures).
    time.sleep(replay.latency)


def test_list_404_is_a_run_error(setup: Any, replay: ReplayServer) -> None:
    serve(replay)
    replay.set(LIST0, Reply(b'{"detail": "Not found."}', status=404, headers=JSON))
    summary = scrape(setup)
    assert summary.status == "error"
    assert summary.errors[0].startswith("HTTP 404") and LIST0 in summary.errors[0]
    assert setup[1].documents() == []


def test_detail_404_is_warned_and_the_other_bills_are_stored(
        setup: Any, replay: ReplayServer) -> None:
    serve(replay)
    replay.set(detail("2102"), Reply(b'{"detail": "Not found."}', status=404, headers=JSON))
    summary = scrape(setup)
    assert summary.status == "ok", summary.errors
    ids = {d["external_id"] for d in setup[1].documents(source=KEY)}
    assert "mazhilis:2102" not in ids and {"mazhilis:2101", "mazhilis:2103"} <= ids
    assert any("2102: HTTP 404" in w for w in summary.warnings)


def test_senate_only(tmp_path: Path, replay: ReplayServer, make_fetcher: Any) -> None:
    serve(replay)
    # A 404 past page 1 is taken as the end of the list, not as a failure.
    replay.set(f"{SENATE}?p=3", Reply(b"not found", status=404))
    others = "".join(f"[sources.{k}]\nenabled = false\n" for k in registry() if k != KEY)
    write_home(tmp_path / "home", FETCH + others + f"""
[sources.{KEY}]
mazhilis = false
senate_base_url = "{replay.base_url}"
senate_stage = "parliament"
""")
    settings = load_home_settings(tmp_path / "home")
    store = Store.open(settings.database_url)
    summary = run_source(KEY, settings=settings, store=store,
                         fetcher=make_fetcher(settings, store))
    assert summary.status == "ok", summary.errors
    assert replay.requests_to("/api/core/draft-laws/") == []
    assert {d["stage"] for d in store.documents(source=KEY)} == {"parliament"}
    assert len(store.documents(source=KEY)) == 3
    store.close()


def test_configured_status_stages_map_the_unknown_wording(
        tmp_path: Path, replay: ReplayServer, make_fetcher: Any) -> None:
    serve(replay)
    others = "".join(f"[sources.{k}]\nenabled = false\n" for k in registry() if k != KEY)
    write_home(tmp_path / "home", FETCH + others + f"""
[sources.{KEY}]
base_url = "{replay.base_url}"
page_size = 2
senate = false
status_stages = {{ "На рассмотрении" = "parliament" }}
""")
    settings = load_home_settings(tmp_path / "home")
    store = Store.open(settings.database_url)
    summary = run_source(KEY, settings=settings, store=store,
                         fetcher=make_fetcher(settings, store))
    assert summary.status == "ok", summary.errors
    assert summary.warnings == ()
    stages = {d["external_id"]: d["stage"] for d in store.documents(source=KEY)}
    assert stages == {"mazhilis:2101": "first_reading", "mazhilis:2102": "signed",
                      "mazhilis:2103": "parliament"}
    assert replay.requests_to(SENATE) == []
    store.close()
