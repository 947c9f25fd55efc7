"""kz_epetition end to end: a real HTTP server on 127.0.0.1, the real fetcher, archive and store."""

from __future__ import annotations

import dataclasses
import json
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

KEY = "kz_epetition"
API = "/api/public/v1/petitions"
PAGE0 = f"{API}/short?size=3&page=0"
PAGE1 = f"{API}/short?size=3&page=1"
IDS = ("2417", "2409", "2398", "2380", "1042")
JSON_TYPE = (("Content-Type", "application/json"),)
OPTIONS = 'size = 3\nmax_pages = 3\ndecision_stages = { "SYNTHETIC_UPHELD" = "supported" }\n'

Setup = tuple[Settings, Store, Any]


def home_for(home: Path, base_url: str, extra: str = OPTIONS) -> Settings:
    """A home whose only enabled source is kz_epetition at ``base_url``."""
    others = "".join(f"[sources.{k}]\nenabled = false\n" for k in registry() if k != KEY)
    write_home(home, fast_fetch_table() + others
               + f'[sources.{KEY}]\nbase_url = "{base_url}"\n{extra}\n')
    return load_home_settings(home)


def body(name: str, **changes: Any) -> Reply:
    data = json.loads(fixture_text(KEY, name))
    data.update(changes)
    return Reply(json.dumps(data, ensure_ascii=False).encode(), headers=JSON_TYPE)


def serve(server: ReplayServer) -> None:
    server.set("/robots.txt", "User-agent: *\nDisallow: /admin\n")
    server.set(PAGE0, body("short_page0.json"))
    server.set(PAGE1, body("short_page1.json"))
    for petition_id in IDS:
        server.set(f"{API}/{petition_id}", body(f"detail_{petition_id}.json"))


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


def docs(store: Store) -> dict[str, dict[str, Any]]:
    return {d["external_id"]: d for d in store.documents(source=KEY)}


def doc_events(store: Store, since_id: int = 0) -> list[dict[str, Any]]:
    """Events of documents (a failed run also adds a health event, which is no document's)."""
    return [e for e in store.events(since_id=since_id) if e["document_id"] is not None]


def test_first_run_reads_both_pages_and_every_detail(setup: Setup, replay: ReplayServer) -> None:
    serve(replay)
    summary = scrape(setup)
    assert summary.status == "ok", summary.errors
    assert (summary.inserted, summary.events) == (5, 5)
    assert summary.warnings == ("unmapped decision 'SYNTHETIC_PARTLY_UPHELD' "
                                "(add it to decision_stages)",)
    assert len(replay.requests_to(f"{API}/short")) == 2  # page 1 says last: true
    stored = docs(setup[1])
    lgbt = stored["1042"]
    assert lgbt["title"] == "Мы против открытой и скрытой пропаганды ЛГБТ в РК!"
    assert lgbt["url"] == f"{replay.base_url}/petition/1042"
    assert (lgbt["stage"], lgbt["status_raw"]) == ("unknown", "SYNTHETIC_PARTLY_UPHELD")
    assert lgbt["agency"] == "Министерство культуры и информации Республики Казахстан"
    assert lgbt["created"] == "2024-05-20"
    assert lgbt["details"]["required_reached"] is True
    assert stored["2409"]["details"]["signers_milestone"] == 10_000
    # Every event's evidence is the archived detail it came from.
    archive = Archive(setup[0].archive_dir)
    for event in doc_events(setup[1]):
        detail = json.loads(archive.get(event["evidence"]).body)
        assert detail["title"] == stored[event["external_id"]]["title"]


def test_unchanged_second_run_emits_nothing(setup: Setup, replay: ReplayServer) -> None:
    serve(replay)
    scrape(setup)
    before = (setup[1].documents(), doc_events(setup[1]))
    replay.log.clear()
    summary = scrape(setup)
    assert summary.status == "ok", summary.errors
    assert (summary.inserted, summary.updated, summary.events) == (0, 0, 0)
    # Page 0 holds no new petition: paging stops there; its three details answer 304.
    assert [e.path for e in replay.requests_to(f"{API}/short")] == [PAGE0]
    assert sorted(e.status for e in replay.log if "/short" not in e.path) == [304, 304, 304]
    assert summary.not_modified == 3
    assert (setup[1].documents(), doc_events(setup[1])) == before


def test_changes_emit_only_meaningful_events(setup: Setup, replay: ReplayServer) -> None:
    serve(replay)
    scrape(setup)
    last_id = setup[1].events()[-1]["id"]
    # 2417: a few more signers and views, no milestone crossed → stored, no event.
    replay.set(f"{API}/2417", body("detail_2417.json", signersCount=900, viewersCount=4000))
    # 2409: crosses 25 000 signers → one details_changed event.
    replay.set(f"{API}/2409", body("detail_2409.json", signersCount=25_100))
    # 2398: a decision (mapped in the options) → stage change + the decision details.
    replay.set(f"{API}/2398", body("detail_2398.json", decision="SYNTHETIC_UPHELD"))
    summary = scrape(setup)
    assert summary.status == "ok", summary.errors
    assert summary.updated == 3
    got = sorted((e["type"], e["external_id"]) for e in doc_events(setup[1], last_id))
    assert got == [("details_changed", "2398"), ("details_changed", "2409"),
                   ("stage_changed", "2398")]
    by_key = {(e["type"], e["external_id"]): e for e in doc_events(setup[1], last_id)}
    assert by_key[("details_changed", "2409")]["old"] == {"signers_milestone": 10_000}
    assert by_key[("details_changed", "2409")]["new"] == {"signers_milestone": 25_000}
    assert by_key[("stage_changed", "2398")]["new"] == {"stage": "supported",
                                                       "status_raw": "SYNTHETIC_UPHELD"}
    assert by_key[("details_changed", "2398")]["new"] == {
        "decision": {"decision": "SYNTHETIC_UPHELD"}}
    assert docs(setup[1])["2417"]["details"]["counters"] == {"views": 4000}


def test_list_without_content_is_an_error_and_keeps_stored_data(
        setup: Setup, replay: ReplayServer) -> None:
    serve(replay)
    scrape(setup)
    before = (setup[1].documents(), doc_events(setup[1]))
    replay.set(PAGE0, body("short_no_content.json"))
    summary = scrape(setup)
    assert summary.status == "error"
    assert "layout changed" in summary.errors[0] and "'content'" in summary.errors[0]
    assert (setup[1].documents(), doc_events(setup[1])) == before
    assert setup[1].last_runs()[KEY]["status"] == "error"


def test_list_404_is_an_error(setup: Setup, replay: ReplayServer) -> None:
    replay.set("/robots.txt", "User-agent: *\nDisallow: /admin\n")  # nothing else routed
    summary = scrape(setup)
    assert summary.status == "error"
    assert "HTTP 404" in summary.errors[0] and "/short" in summary.errors[0]
    assert setup[1].documents() == []


def test_detail_404_is_a_warning_and_a_new_petition_is_kept_from_the_list(
        setup: Setup, replay: ReplayServer) -> None:
    serve(replay)
    replay.set(f"{API}/2380", Reply(b'{"status": 404}', status=404, headers=JSON_TYPE))
    summary = scrape(setup)
    assert summary.status == "ok", summary.errors
    assert "petition 2380: detail answered HTTP 404" in summary.warnings
    thin = docs(setup[1])["2380"]
    assert thin["agency"] is None and thin["details"] == {"signers_milestone": 0}
    assert summary.inserted == 5


def test_hostile_title_is_stored_as_plain_text(setup: Setup, replay: ReplayServer) -> None:
    serve(replay)
    hostile = "<img src=x onerror=alert(1)>\x1b]0;pwned\x07 Петиция &amp; &lt;b&gt;"
    replay.set(f"{API}/2417", body("detail_2417.json", title=hostile))
    assert scrape(setup).status == "ok"
    assert docs(setup[1])["2417"]["title"] == hostile


def test_detail_budget_and_tracked_petitions(
        tmp_path: Path, replay: ReplayServer, make_fetcher: Any) -> None:
    serve(replay)
    replay.set(f"{API}/777", body("detail_2380.json", title="Tracked, no longer listed"))
    settings = home_for(tmp_path / "home", replay.base_url,
                        'size = 3\nmax_pages = 1\nmax_details = 2\ntracked = [777]\n')
    store = Store.open(settings.database_url)
    summary = run_source(KEY, settings=settings, store=store,
                         fetcher=make_fetcher(settings, store))
    assert summary.status == "ok", summary.errors
    details_read = [e.path for e in replay.log if e.path.startswith(f"{API}/") and
                    "/short" not in e.path]
    # One request is kept for the tracked petition: 2417 gets a detail, 2409 and 2398 not.
    assert details_read == [f"{API}/2417", f"{API}/777"]
    assert summary.inserted == 4
    assert any("2 new petitions stored from the list only" in w for w in summary.warnings)
    assert docs(store)["777"]["title"] == "Tracked, no longer listed"
    store.close()
