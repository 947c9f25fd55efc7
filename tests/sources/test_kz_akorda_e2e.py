"""kz_akorda end to end: a real HTTP server on 127.0.0.1, the real fetcher, archive and store."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sources.base import registry
from tests.conftest import fast_fetch_table, fixture_text, write_home
from tracker.archive import Archive
from tracker.catalog import load_home_settings
from tracker.config import Settings
from tracker.models import RunSummary
from tracker.replay import ReplayServer, Reply
from tracker.runner import run_source
from tracker.store import Store

KEY = "kz_akorda"
RSS = "/ru/rss"
LIST = "/ru/legal_acts"
ROBOTS = "User-agent: *\nDisallow: /admin\n"
RSS_TYPE = (("Content-Type", "application/rss+xml; charset=utf-8"),)

Setup = tuple[Settings, Store, Any]


def home_for(home: Path, base_url: str, extra: str = "") -> Settings:
    """A home whose only enabled source is kz_akorda at ``base_url`` (no real site reached)."""
    others = "".join(f"[sources.{k}]\nenabled = false\n" for k in registry() if k != KEY)
    write_home(home, fast_fetch_table() + others
               + f'[sources.{KEY}]\nbase_url = "{base_url}"\n{extra}\n')
    return load_home_settings(home)


def serve(server: ReplayServer, rss: str | None = "rss_ru.xml",
          acts: str = "legal_acts_ru.html") -> None:
    """Robots, feed and list; ``rss=None`` leaves the feed unrouted (the server answers 404)."""
    server.set("/robots.txt", ROBOTS)
    if rss is not None:
        server.set(RSS, Reply(fixture_text(KEY, rss).encode(), headers=RSS_TYPE))
    server.set(LIST, fixture_text(KEY, acts))


@pytest.fixture
def setup(tmp_path: Path, replay: ReplayServer, store_url: str,
          make_fetcher: Any) -> Iterator[Setup]:
    settings = home_for(tmp_path / "home", replay.base_url)
    settings = dataclasses.replace(settings, database_url=store_url)
    store = Store.open(store_url)
    yield settings, store, make_fetcher(settings, store)
    store.close()


def scrape(setup: Setup) -> RunSummary:
    settings, store, fetcher = setup
    return run_source(KEY, settings=settings, store=store, fetcher=fetcher)


def docs(setup: Setup) -> dict[str, dict[str, Any]]:
    return {d["external_id"]: d for d in setup[1].documents(source=KEY)}


def stored_state(store: Store) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Documents and their events (a failed run adds a health event, which is no document's)."""
    return store.documents(), [e for e in store.events() if e["document_id"] is not None]


def test_first_run_inserts_feed_and_list(setup: Setup, replay: ReplayServer) -> None:
    serve(replay)
    summary = scrape(setup)
    assert summary.status == "ok", summary.errors
    assert (summary.inserted, summary.events, summary.warnings) == (6, 6, ())
    stored = docs(setup)
    signed = stored["3012345"]
    assert (signed["kind"], signed["stage"]) == ("announcement", "signed")
    # Feed links are absolute (kept as written); the relative one is resolved on the server.
    assert signed["url"] == ("https://www.akorda.kz/ru/glava-gosudarstva-podpisal-zakon-"
                             "po-voprosam-arhivnogo-dela-3012345")
    assert stored["2990777"]["url"] == (
        f"{replay.base_url}/ru/glava-gosudarstva-podpisal-zakony-2990777")
    assert signed["details"]["signed_law_title"].endswith(
        "архивного дела и ограничения распространения противоправного контента")
    assert stored["3012301"]["stage"] == "unknown"
    act = stored["legal_acts/decrees/ob-utverzhdenii-plana-deystviy-v-oblasti-prav-cheloveka"]
    assert (act["kind"], act["stage"], act["created"]) == ("legal_act", "signed", "2023-12-08")
    # Every event points at the archived response it was parsed from.
    archive = Archive(setup[0].archive_dir)
    for event in stored_state(setup[1])[1]:
        body = archive.get(event["evidence"]).body.decode()
        assert event["external_id"].rsplit("/", 1)[-1] in body


def test_unchanged_second_run_is_conditional_and_silent(
        setup: Setup, replay: ReplayServer) -> None:
    serve(replay)
    scrape(setup)
    before = stored_state(setup[1])
    replay.log.clear()
    summary = scrape(setup)
    assert summary.status == "ok", summary.errors
    assert (summary.inserted, summary.updated, summary.events) == (0, 0, 0)
    assert summary.not_modified == 2
    assert [e.status for e in replay.requests_to(RSS) + replay.requests_to(LIST)] == [304, 304]
    assert stored_state(setup[1]) == before


def test_new_signature_and_retitled_news_emit_the_right_events(
        setup: Setup, replay: ReplayServer) -> None:
    serve(replay)
    scrape(setup)
    last_id = setup[1].events()[-1]["id"]
    serve(replay, rss="rss_ru_modified.xml")
    summary = scrape(setup)
    assert summary.status == "ok", summary.errors
    got = sorted((e["type"], e["external_id"]) for e in setup[1].events(since_id=last_id))
    assert got == [("new", "3020001"), ("title_changed", "3012301")]
    new = docs(setup)["3020001"]
    assert new["stage"] == "signed"
    assert new["details"]["signed_law_title"] == (
        "О внесении изменений в Закон Республики Казахстан «О профилактике бытового насилия»")
    assert summary.not_modified == 1  # the list page answered 304


def test_list_layout_change_is_an_error_and_keeps_stored_data(
        setup: Setup, replay: ReplayServer) -> None:
    serve(replay)
    scrape(setup)
    before = stored_state(setup[1])
    serve(replay, acts="legal_acts_no_list.html")
    summary = scrape(setup)
    assert summary.status == "error"
    assert "layout changed" in summary.errors[0] and "h3 > a[href]" in summary.errors[0]
    assert stored_state(setup[1]) == before
    assert setup[1].last_runs()[KEY]["status"] == "error"


def test_feed_layout_change_is_an_error_and_keeps_stored_data(
        setup: Setup, replay: ReplayServer) -> None:
    serve(replay)
    scrape(setup)
    before = stored_state(setup[1])
    serve(replay, rss="rss_atom_instead.xml")
    summary = scrape(setup)
    assert summary.status == "error"
    assert "rss > channel" in summary.errors[0]
    assert stored_state(setup[1]) == before
    # The failure is loud: the source's health changed, as an event of its own.
    assert setup[1].events()[-1]["type"] == "health_changed"


def test_feed_404_is_an_error(setup: Setup, replay: ReplayServer) -> None:
    serve(replay, rss=None)
    summary = scrape(setup)
    assert summary.status == "error"
    assert "HTTP 404" in summary.errors[0] and RSS in summary.errors[0]
    assert setup[1].documents() == []
    assert replay.requests_to(LIST) == []  # the run stops at the failed feed


def test_hostile_titles_are_stored_as_plain_text(setup: Setup, replay: ReplayServer) -> None:
    serve(replay, rss="rss_hostile.xml")
    summary = scrape(setup)
    assert summary.status == "ok", summary.errors
    stored = docs(setup)
    assert stored["3000001"]["title"] == "Bomb &d; and file &secret; end"
    assert stored["3000002"]["title"] == (
        "<script>alert(1)</script> <img src=x onerror=alert(2)> новости")


def test_feed_only_and_duplicates_across_feed_and_list(
        tmp_path: Path, replay: ReplayServer, make_fetcher: Any) -> None:
    serve(replay)
    # The list links to an announcement the feed already has, with another title.
    replay.set(LIST, fixture_text(KEY, "legal_acts_ru.html").replace(
        "/ru/legal_acts/decrees/o-naznachenii-synthetic-2990001",
        "/ru/glava-gosudarstva-podpisal-zakon-po-voprosam-arhivnogo-dela-3012345"))
    settings = home_for(tmp_path / "home", replay.base_url)
    store = Store.open(settings.database_url)
    summary = run_source(KEY, settings=settings, store=store,
                         fetcher=make_fetcher(settings, store))
    assert summary.inserted == 5 and summary.events == 5
    assert docs((settings, store, None))["3012345"]["title"].startswith("Глава государства")
    store.close()
    feed_only = home_for(tmp_path / "home2", replay.base_url, 'legal_acts_path = ""')
    store = Store.open(feed_only.database_url)
    replay.log.clear()
    summary = run_source(KEY, settings=feed_only, store=store,
                         fetcher=make_fetcher(feed_only, store))
    assert summary.inserted == 3 and replay.requests_to(LIST) == []
    store.close()
