"""Config-defined sources (feed, html, json) end to end: tracker.toml → runner → real fetcher
against the replay server on 127.0.0.1 → archive → store → events."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
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

ROBOTS = "User-agent: *\nDisallow: /admin\n"


def generic_home(home: Path, tables: str) -> Settings:
    """A home whose only enabled sources are the config-defined ``tables``."""
    others = "".join(f"[sources.{key}]\nenabled = false\n" for key in registry())
    write_home(home, fast_fetch_table() + others + tables)
    return load_home_settings(home)


@dataclass(frozen=True)
class Scenario:
    """One config-defined source, the pages it reads, and what a change and a redesign do."""

    table: str  # the [sources.<name>] table; {base} is the replay server's URL
    content_type: str
    pages: dict[str, str]  # target → fixture
    first_ids: tuple[str, ...]
    modified: dict[str, str]
    changed_events: tuple[tuple[str, str], ...]  # (event type, external id)
    broken: dict[str, str]
    anchor: str  # what the LayoutChanged must name


SCENARIOS: dict[str, Scenario] = {
    "feed": Scenario(
        table='[sources.my_feed]\ntype = "feed"\nbase_url = "{base}"\nurl = "/ru/rss"\n'
              'language = "ru"\nkind = "news"\n',
        content_type="application/rss+xml; charset=utf-8",
        pages={"/ru/rss": "akorda_rss.xml"},
        first_ids=("akorda-483750", "{base}/ru/glava-gosudarstva-provel-soveschanie-483751"),
        modified={"/ru/rss": "akorda_rss_modified.xml"},
        # The edited description of akorda-483750 is context (details.description): no event.
        changed_events=(("new", "akorda-483790"),),
        broken={"/ru/rss": "not_a_feed.html"},
        anchor="rss > channel > item | feed > entry",
    ),
    "html": Scenario(
        table='[sources.my_html]\ntype = "html"\nbase_url = "{base}"\n'
              'url = "/ru-RU/lawProjects/index"\nitem = "table.table-lawprojects tbody tr"\n'
              'fields = { id = "td:nth-of-type(2)", title = "td:nth-of-type(1) a", '
              'url = "td:nth-of-type(1) a@href", date = "td:nth-of-type(3)" }\n'
              'date_format = "%d.%m.%Y"\nnext = "ul.pagination li.next a"\nmax_pages = 5\n',
        content_type="text/html; charset=utf-8",
        pages={"/ru-RU/lawProjects/index": "senate_p1.html",
               "/ru-RU/lawProjects/index?p=2": "senate_p2.html"},
        first_ids=("1201", "1198", "1190", "1185", "1179"),
        modified={"/ru-RU/lawProjects/index": "senate_p1_modified.html"},
        changed_events=(("title_changed", "1198"),),
        broken={"/ru-RU/lawProjects/index": "senate_redesigned.html"},
        anchor="table.table-lawprojects tbody tr",
    ),
    "json": Scenario(
        table='[sources.my_json]\ntype = "json"\nurl = "{base}/api/core/draft-laws/?limit=2"\n'
              'items = "result"\n'
              'fields = { id = "id", title = "title", status = "status", date = "registered_at", '
              'agency = "initiator.name" }\n'
              'page_param = "offset"\nstart = 0\npage_step = 2\nmax_pages = 10\n'
              'status_stages = { "Рассмотрение в рабочей группе" = "parliament", '
              '"Одобрен в первом чтении" = "first_reading", '
              '"Одобрен во втором чтении" = "second_reading" }\n',
        content_type="application/json",
        pages={"/api/core/draft-laws/?limit=2&offset=0": "mazhilis_offset0.json",
               "/api/core/draft-laws/?limit=2&offset=2": "mazhilis_offset2.json",
               "/api/core/draft-laws/?limit=2&offset=4": "mazhilis_offset4.json"},
        first_ids=("411", "409", "402"),
        modified={"/api/core/draft-laws/?limit=2&offset=0": "mazhilis_offset0_modified.json"},
        changed_events=(("second_reading", "411"),),
        broken={"/api/core/draft-laws/?limit=2&offset=0": "mazhilis_renamed.json"},
        anchor="'result'",
    ),
}
NAMES = {"feed": "my_feed", "html": "my_html", "json": "my_json"}


def serve(server: ReplayServer, scenario: Scenario, pages: dict[str, str]) -> None:
    server.set("/robots.txt", ROBOTS)
    for target, name in pages.items():
        body = fixture_text("generic", name).replace("{base}", server.base_url).encode()
        server.set(target, Reply(body, headers=(("Content-Type", scenario.content_type),)))


def document_events(store: Store) -> list[dict[str, Any]]:
    """Events about documents (a failed run may add a source-level health_changed event)."""
    return [e for e in store.events() if e["type"] != "health_changed"]


@dataclass
class Harness:
    kind: str
    scenario: Scenario
    settings: Settings
    store: Store
    fetcher: Any
    replay: ReplayServer

    @property
    def name(self) -> str:
        return NAMES[self.kind]

    def run(self) -> RunSummary:
        return run_source(self.name, settings=self.settings, store=self.store,
                          fetcher=self.fetcher)

    def page_requests(self) -> list[Any]:
        return [e for e in self.replay.log if not e.path.startswith("/robots.txt")]


@pytest.fixture(params=sorted(SCENARIOS))
def harness(request: pytest.FixtureRequest, tmp_path: Path, replay: ReplayServer,
            store_url: str, make_fetcher: Any) -> Iterator[Harness]:
    scenario = SCENARIOS[request.param]
    settings = generic_home(tmp_path / "home", scenario.table.replace("{base}", replay.base_url))
    settings = type(settings)(settings.home, store_url, settings.fetch, settings.sources)
    store = Store.open(store_url)
    serve(replay, scenario, scenario.pages)
    yield Harness(request.param, scenario, settings, store, make_fetcher(settings, store), replay)
    store.close()


def test_first_run_inserts_every_item(harness: Harness) -> None:
    summary = harness.run()
    assert summary.status == "ok", summary.errors
    expected = [i.replace("{base}", harness.replay.base_url) for i in harness.scenario.first_ids]
    assert summary.inserted == len(expected) and summary.events == len(expected)
    docs = harness.store.documents(source=harness.name)
    assert sorted(d["external_id"] for d in docs) == sorted(expected)
    assert all(d["url"].startswith(("http://", "https://")) for d in docs)
    assert {e["type"] for e in harness.store.events()} == {"new"}
    # Every event points at the archived response its item was read from.
    archive = Archive(harness.settings.archive_dir)
    titles = {d["external_id"]: d["title"] for d in docs}
    for event in harness.store.events():
        body = archive.get(event["evidence"]).body.decode()
        assert titles[event["external_id"]] in body
    # Every configured page was read once; nothing beyond them.
    targets = sorted(e.path for e in harness.page_requests())
    assert len(targets) == len(harness.scenario.pages)


def test_second_run_is_conditional_and_silent(harness: Harness) -> None:
    harness.run()
    events_before = harness.store.count("events")
    harness.replay.log.clear()
    summary = harness.run()
    assert summary.status == "ok", summary.errors
    assert (summary.inserted, summary.updated, summary.events) == (0, 0, 0)
    assert summary.not_modified == 1
    assert harness.store.count("events") == events_before
    requests = harness.page_requests()
    # The first page answers 304, so nothing else is read.
    assert len(requests) == 1
    assert "If-None-Match" in requests[0].headers and requests[0].status == 304


def test_changed_item_emits_the_right_event(harness: Harness) -> None:
    harness.run()
    last_id = harness.store.events()[-1]["id"]
    serve(harness.replay, harness.scenario, harness.scenario.modified)
    summary = harness.run()
    assert summary.status == "ok", summary.errors
    new_events = harness.store.events(since_id=last_id)
    assert sorted((e["type"], e["external_id"]) for e in new_events) == sorted(
        harness.scenario.changed_events)
    event = new_events[0]
    if harness.kind == "html":
        assert (event["old"], event["new"]) == ("О профилактике бытового насилия",
                                                "О профилактике бытового и семейного насилия")
    elif harness.kind == "json":
        assert event["old"] == {"stage": "first_reading", "status_raw": "Одобрен в первом чтении"}
        assert event["new"] == {"stage": "second_reading",
                                "status_raw": "Одобрен во втором чтении"}
    else:
        assert event["new"]["title"] == "Глава государства подписал Закон «Об архивном фонде и "\
                                        "архивах»"
    # The evidence is the modified response, not the first one.
    body = Archive(harness.settings.archive_dir).get(event["evidence"]).body.decode()
    modified = next(iter(harness.scenario.modified.values()))
    assert body == fixture_text("generic", modified).replace("{base}", harness.replay.base_url)


def test_layout_change_is_recorded_and_keeps_stored_data(harness: Harness) -> None:
    harness.run()
    before_docs = harness.store.documents()
    before_events = document_events(harness.store)
    serve(harness.replay, harness.scenario, harness.scenario.broken)
    summary = harness.run()
    assert summary.status == "error"
    assert "layout changed" in summary.errors[0] and harness.scenario.anchor in summary.errors[0]
    assert harness.store.documents() == before_docs
    assert document_events(harness.store) == before_events
    last = harness.store.last_runs()[harness.name]
    assert last["status"] == "error" and harness.scenario.anchor in last["errors"][0]
    # No validators were saved for the broken page: the next run reads it in full again.
    harness.replay.log.clear()
    assert harness.run().status == "error"
    assert harness.page_requests()[0].status == 200


def test_unmapped_status_is_kept_and_reported(tmp_path: Path, replay: ReplayServer,
                                              make_fetcher: Any) -> None:
    scenario = SCENARIOS["json"]
    settings = generic_home(tmp_path / "home", scenario.table.replace("{base}", replay.base_url))
    serve(replay, scenario, scenario.pages)
    store = Store.open(settings.database_url)
    summary = run_source("my_json", settings=settings, store=store,
                         fetcher=make_fetcher(settings, store))
    assert summary.status == "ok", summary.errors
    assert summary.warnings == ("unmapped status 'На доработке у инициатора' "
                                "(add it to status_stages)",)
    stored = {d["external_id"]: d for d in store.documents()}
    assert (stored["402"]["stage"], stored["402"]["status_raw"]) == (
        "unknown", "На доработке у инициатора")
    assert stored["411"]["stage"] == "first_reading"
    assert stored["409"]["agency"] == "Правительство Республики Казахстан"
    # Items without a URL of their own point at the first page, whatever page they were on.
    assert stored["402"]["url"] == f"{replay.base_url}/api/core/draft-laws/?limit=2"
    assert all(e.headers.get("Accept") == "application/json"
               for e in replay.requests_to("/api/core/draft-laws/"))
    store.close()


def test_relative_url_without_base_url_is_a_clear_run_error(
        tmp_path: Path, replay: ReplayServer, make_fetcher: Any) -> None:
    settings = generic_home(tmp_path / "home", '[sources.my_feed]\ntype = "feed"\nurl = "/rss"\n')
    store = Store.open(settings.database_url)
    summary = run_source("my_feed", settings=settings, store=store,
                         fetcher=make_fetcher(settings, store))
    assert summary.status == "error"
    assert summary.errors == ("[sources.my_feed] url: '/rss' is a path, but the source has no "
                              "base_url to join it to",)
    store.close()


def test_robots_disallow_is_obeyed(tmp_path: Path, replay: ReplayServer,
                                   make_fetcher: Any) -> None:
    scenario = SCENARIOS["html"]
    settings = generic_home(tmp_path / "home", scenario.table.replace("{base}", replay.base_url))
    serve(replay, scenario, scenario.pages)
    replay.set("/robots.txt", "User-agent: *\nDisallow: /ru-RU/lawProjects\n")
    store = Store.open(settings.database_url)
    summary = run_source("my_html", settings=settings, store=store,
                         fetcher=make_fetcher(settings, store))
    assert summary.status == "error" and "robots.txt disallows" in summary.errors[0]
    assert replay.requests_to("/ru-RU/lawProjects/index") == []
    store.close()


def test_may_be_empty_source_with_no_items_is_ok(tmp_path: Path, replay: ReplayServer,
                                                 make_fetcher: Any) -> None:
    settings = generic_home(
        tmp_path / "home",
        f'[sources.my_html]\ntype = "html"\nurl = "{replay.base_url}/calls"\n'
        'item = "li.call"\nfields = { title = "a" }\nmay_be_empty = true\n')
    replay.set("/calls", "<html><body><ul class='calls'></ul></body></html>")
    store = Store.open(settings.database_url)
    summary = run_source("my_html", settings=settings, store=store,
                         fetcher=make_fetcher(settings, store))
    assert summary.status == "ok", summary.errors
    store.close()
