"""kz_legalacts end to end: a real HTTP server on 127.0.0.1, the real fetcher, archive and store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import fixture_text, legalacts_home
from tests.shared_data import shared_dir
from tracker.archive import Archive
from tracker.config import Settings
from tracker.replay import ReplayServer, Reply
from tracker.runner import run_source
from tracker.store import Store

P1 = "/list?types[0]=629"
P2 = "/list?types[0]=629&page=2"
P3 = "/list?types[0]=629&page=3"
ROBOTS = "User-agent: *\nDisallow: /npa/view\nDisallow: /application\n"


def serve_three_pages(server: ReplayServer, first: str = "list_types629_p1.html") -> None:
    server.set("/robots.txt", ROBOTS)
    server.set(P1, fixture_text("kz_legalacts", first))
    server.set(P2, fixture_text("kz_legalacts", "list_types629_p2.html"))
    server.set(P3, fixture_text("kz_legalacts", "list_types629_p3.html"))


@pytest.fixture
def setup(tmp_path: Path, replay: ReplayServer, store_url: str,
          make_fetcher: Any) -> tuple[Settings, Store, Any]:
    settings = legalacts_home(tmp_path / "home", replay.base_url)
    settings = type(settings)(settings.home, store_url, settings.fetch, settings.sources)
    store = Store.open(store_url)
    fetcher = make_fetcher(settings, store)
    yield settings, store, fetcher
    store.close()


def scrape(setup: tuple[Settings, Store, Any]):  # type: ignore[no-untyped-def]
    settings, store, fetcher = setup
    return run_source("kz_legalacts", settings=settings, store=store, fetcher=fetcher)


def test_first_scrape_inserts_every_card(setup: Any, replay: ReplayServer) -> None:
    serve_three_pages(replay)
    summary = scrape(setup)
    assert summary.status == "ok", summary.errors
    assert (summary.inserted, summary.updated, summary.unchanged) == (12, 0, 0)
    assert summary.events == 12
    docs = setup[1].documents(source="kz_legalacts")
    assert len(docs) == 12
    assert all(d["url"].startswith(replay.base_url + "/npa/view?id=") for d in docs)
    # The language cookie is sent on every list request (the site answers in Kazakh without it).
    assert all(e.headers.get("Cookie") == "egovLang=ru" for e in replay.requests_to("/list"))
    # Every event points at an archived response that holds the page it came from.
    archive = Archive(setup[0].archive_dir)
    for event in setup[1].events():
        stored = archive.get(event["evidence"])
        assert stored.status == 200
        assert event["external_id"].encode() in stored.body


def test_second_scrape_is_conditional_and_silent(setup: Any, replay: ReplayServer) -> None:
    serve_three_pages(replay)
    scrape(setup)
    events_before = len(setup[1].events())
    replay.log.clear()
    summary = scrape(setup)
    assert summary.status == "ok"
    assert summary.events == 0 and summary.inserted == 0 and summary.updated == 0
    assert len(setup[1].events()) == events_before
    list_requests = replay.requests_to("/list")
    # Page 1 answers 304, so paging stops there: one request, conditional.
    assert len(list_requests) == 1
    assert "If-None-Match" in list_requests[0].headers
    assert list_requests[0].status == 304
    assert summary.not_modified == 1


def test_same_content_twice_without_validators_changes_nothing(
        setup: Any, replay: ReplayServer) -> None:
    replay.set("/robots.txt", ROBOTS)
    for target, name in ((P1, "list_types629_p1.html"), (P2, "list_types629_p2.html"),
                         (P3, "list_types629_p3.html")):
        replay.set(target, Reply(fixture_text("kz_legalacts", name).encode(), etag=False))
    scrape(setup)
    before = (setup[1].documents(), setup[1].count("events"))
    summary = scrape(setup)
    assert summary.status == "ok"
    assert summary.unchanged == 5 and summary.inserted == 0 and summary.events == 0
    assert (setup[1].documents(), setup[1].count("events")) == before


def test_modified_page_emits_exactly_the_right_events(setup: Any, replay: ReplayServer) -> None:
    serve_three_pages(replay)
    scrape(setup)
    last_id = setup[1].events()[-1]["id"]
    replay.set(P1, fixture_text("kz_legalacts", "list_types629_p1_modified.html"))
    summary = scrape(setup)
    assert summary.status == "ok"
    new_events = setup[1].events(since_id=last_id)
    got = sorted((e["type"], e["external_id"]) for e in new_events)
    assert got == [("counters_changed", "16100086"), ("deadline_changed", "16100093"),
                   ("stage_changed", "16100100")]
    by_type = {e["type"]: e for e in new_events}
    assert by_type["stage_changed"]["old"] == {"stage": "public_discussion",
                                               "status_raw": "На публичном обсуждении"}
    assert by_type["stage_changed"]["new"] == {"stage": "discussion_closed", "status_raw": "Архив"}
    assert (by_type["deadline_changed"]["old"], by_type["deadline_changed"]["new"]) == (
        "2026-10-29", "2026-11-05")
    assert by_type["counters_changed"]["new"]["comments"] == 7
    # Evidence: the modified page as archived, not the first one.
    archive = Archive(setup[0].archive_dir)
    modified_body = archive.get(by_type["stage_changed"]["evidence"]).body.decode()
    assert "05/11/2026" in modified_body
    assert summary.updated == 3 and summary.unchanged == 2


def test_503_then_200_is_retried(setup: Any, replay: ReplayServer) -> None:
    serve_three_pages(replay)
    replay.set(P1, Reply(b"busy", status=503, headers=(("Retry-After", "0"),)),
               fixture_text("kz_legalacts", "list_types629_p1.html"))
    summary = scrape(setup)
    assert summary.status == "ok"
    assert [e.status for e in replay.requests_to("/list")][:2] == [503, 200]
    assert summary.inserted == 12


def test_robots_disallow_is_obeyed(setup: Any, replay: ReplayServer) -> None:
    serve_three_pages(replay)
    replay.set("/robots.txt", "User-agent: *\nDisallow: /list\n")
    summary = scrape(setup)
    assert summary.status == "error"
    assert "robots.txt disallows" in summary.errors[0]
    assert replay.requests_to("/list") == []
    assert setup[1].documents() == []


def test_cards_removed_records_layout_changed_and_keeps_data(
        setup: Any, replay: ReplayServer) -> None:
    serve_three_pages(replay)
    scrape(setup)
    before_docs = setup[1].documents()
    before_events = setup[1].count("events")
    replay.set(P1, fixture_text("kz_legalacts", "list_cards_removed.html"))
    summary = scrape(setup)
    assert summary.status == "error"
    assert "layout changed" in summary.errors[0] and "div.contentlist" in summary.errors[0]
    assert setup[1].documents() == before_docs
    # No document event; one event saying the source's health changed.
    assert setup[1].count("events") == before_events + 1
    health = setup[1].events()[-1]
    assert health["type"] == "health_changed" and health["external_id"] is None
    assert (health["old"], health["new"]["health"]) == ({"health": "ok"}, "degraded")
    assert "div.contentlist" in health["new"]["reason"]
    last = setup[1].last_runs()["kz_legalacts"]
    assert last["status"] == "error" and "div.contentlist" in last["errors"][0]
    # A failed run saves no validators: had it saved the broken page's ETag, the next run
    # would get a 304 and pass silently. It must re-read the page and fail again.
    replay.log.clear()
    assert scrape(setup).status == "error"
    assert replay.requests_to("/list")[0].status == 200
    # Still degraded: no second health event. A third failure in a row: broken.
    assert setup[1].count("events") == before_events + 1
    scrape(setup)
    assert setup[1].events()[-1]["new"]["health"] == "broken"
    assert setup[1].health()["kz_legalacts"]["health"] == "broken"


def test_real_saved_page_through_the_server(
        tmp_path: Path, replay: ReplayServer, make_fetcher: Any) -> None:
    real = shared_dir() / "kz-samples/legalacts/list_status-IN_ARCHIVE_page1.excerpt.html"
    replay.set("/robots.txt", ROBOTS)
    replay.set("/list?status=IN_ARCHIVE", real.read_bytes())
    replay.set("/list?status=IN_ARCHIVE&page=2",
               fixture_text("kz_legalacts", "list_types629_p3.html"))
    settings = legalacts_home(
        tmp_path / "home", replay.base_url,
        queries='[ { name = "archive", params = { status = "IN_ARCHIVE" }, max_pages = 2, '
                'stop_when_known = false } ]')
    store = Store.open(settings.database_url)
    summary = run_source("kz_legalacts", settings=settings, store=store,
                         fetcher=make_fetcher(settings, store))
    assert summary.status == "ok", summary.errors
    # totalPages is 29852, so page 2 is read too (max_pages = 2): 5 real + 2 synthetic cards.
    assert summary.inserted == 7
    stored = {d["external_id"]: d for d in store.documents()}
    assert stored["15906353"]["discussion_until"] == "2026-09-14"
    assert stored["15906353"]["details"]["counters"]["rejected"] == 12
    store.close()
