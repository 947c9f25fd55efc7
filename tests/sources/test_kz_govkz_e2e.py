"""kz_govkz end to end: the replay server on 127.0.0.1, the real fetcher, archive and store."""

from __future__ import annotations

import json
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

KEY = "kz_govkz"
DOCS = "/api/v1/public/content-manager/documents"
P1 = f"{DOCS}?projects=adilet&page=1&size=3&sort-by=created_date:DESC"
P2 = f"{DOCS}?projects=adilet&page=2&size=3&sort-by=created_date:DESC"
JSON = (("Content-Type", "application/json;charset=UTF-8"),)
FETCH = "[fetch]\nmin_interval = 0.0\nretries = 0\nbackoff = 0.01\ntimeout = 0.4\n"
MINJUST = "Министерство юстиции Республики Казахстан"


def reply(name: str, etag: bool = True) -> Reply:
    return Reply(fixture_text("kz_govkz", name).encode(), headers=JSON, etag=etag)


def serve(replay: ReplayServer, etag: bool = True) -> None:
    replay.set("/robots.txt", "User-agent: *\nDisallow: /admin/\n")
    replay.set(P1, reply("documents_adilet_p1.json", etag))
    replay.set(P2, reply("documents_adilet_p2.json", etag))
    replay.set("/graphql", reply("news_adilet.json"))


def home(tmp_path: Path, base_url: str, extra: str = "") -> Settings:
    others = "".join(f"[sources.{k}]\nenabled = false\n" for k in registry() if k != KEY)
    write_home(tmp_path / "home", FETCH + others + f"""
[sources.{KEY}]
base_url = "{base_url}"
projects = ["adilet"]
page_size = 3
max_pages = 3
{extra}
""")
    return load_home_settings(tmp_path / "home")


@pytest.fixture
def setup(tmp_path: Path, replay: ReplayServer, store_url: str,
          make_fetcher: Any) -> Iterator[tuple[Settings, Store, Any]]:
    loaded = home(tmp_path, replay.base_url)
    settings = Settings(loaded.home, store_url, loaded.fetch, loaded.sources)
    store = Store.open(store_url)
    yield settings, store, make_fetcher(settings, store)
    store.close()


def scrape(setup: tuple[Settings, Store, Any]) -> RunSummary:
    settings, store, fetcher = setup
    return run_source(KEY, settings=settings, store=store, fetcher=fetcher)


def doc_events(store: Store, since_id: int = 0) -> list[dict[str, Any]]:
    """Events about documents (the runner also logs source-health changes, with no document)."""
    return [e for e in store.events(since_id=since_id) if e["external_id"] is not None]


def test_first_run_inserts_documents_and_news(setup: Any, replay: ReplayServer) -> None:
    serve(replay)
    summary = scrape(setup)
    assert summary.status == "ok", summary.errors
    assert (summary.inserted, summary.events) == (6, 6)
    docs = {d["external_id"]: d for d in setup[1].documents(source=KEY)}
    assert sorted(docs) == ["doc:adilet:41007", "doc:adilet:90298", "doc:adilet:90305",
                            "doc:adilet:90311", "news:adilet:77101", "news:adilet:77120"]
    assert {d["agency"] for d in docs.values()} == {MINJUST}
    assert (docs["doc:adilet:90311"]["kind"], docs["news:adilet:77120"]["kind"]) == (
        "order", "news")
    # Page 1 was full (3 = size), so page 2 was read; page 2 was short, so paging stopped.
    assert [e.path for e in replay.requests_to(DOCS)] == [P1, P2]
    (post,) = replay.requests_to("/graphql")
    assert post.method == "POST"
    query = json.loads(post.body)["query"]
    assert 'news(projects: "eq:adilet", _lang: "ru", _page: 1, _size: 20' in query
    archive = Archive(setup[0].archive_dir)
    for event in doc_events(setup[1]):
        number = event["external_id"].rsplit(":", 1)[1]
        assert f'"id": {number}' in archive.get(event["evidence"]).body.decode()


def test_second_unchanged_run_is_conditional_and_silent(
        setup: Any, replay: ReplayServer) -> None:
    serve(replay)
    scrape(setup)
    before = setup[1].events()
    replay.log.clear()
    summary = scrape(setup)
    assert summary.status == "ok", summary.errors
    assert (summary.inserted, summary.updated, summary.events) == (0, 0, 0)
    assert setup[1].events() == before
    # Newest first: an unchanged page 1 (304) means nothing new, so page 2 is not read.
    assert [(e.path, e.status) for e in replay.requests_to(DOCS)] == [(P1, 304)]
    assert summary.not_modified == 1 and summary.unchanged == 2  # the two news items


def test_paging_stops_at_the_first_page_of_known_ids(setup: Any, replay: ReplayServer) -> None:
    serve(replay, etag=False)  # no validators: the known ids must stop the paging
    scrape(setup)
    replay.log.clear()
    summary = scrape(setup)
    assert summary.status == "ok"
    assert [e.path for e in replay.requests_to(DOCS)] == [P1]
    assert summary.events == 0


def test_new_and_changed_documents(setup: Any, replay: ReplayServer) -> None:
    serve(replay)
    scrape(setup)
    last = setup[1].events()[-1]["id"]
    replay.set(P1, reply("documents_adilet_p1_new.json"))
    replay.set(P2, reply("documents_adilet_p2_after_new.json"))
    summary = scrape(setup)
    assert summary.status == "ok", summary.errors
    got = sorted((e["type"], e["external_id"]) for e in doc_events(setup[1], last))
    assert got == [("details_changed", "doc:adilet:90311"), ("new", "doc:adilet:90320")]
    changed = next(e for e in doc_events(setup[1], last) if e["type"] == "details_changed")
    assert changed["new"]["files"][-1].endswith("/uploads/2026/9/27/prikaz-812_kaz.pdf")
    assert len(changed["old"]["files"]) == 1
    # Page 1 held an unseen id, so page 2 was read too.
    assert [e.path for e in replay.requests_to(DOCS)][-2:] == [P1, P2]


def test_created_after_adds_the_documented_filter(
        tmp_path: Path, replay: ReplayServer, make_fetcher: Any) -> None:
    filtered = P1 + "&created_date=gt:2026-09-01T00:00:00"
    replay.set(filtered, reply("documents_adilet_p2.json"))
    replay.set("/graphql", reply("news_adilet.json"))
    settings = home(tmp_path, replay.base_url, 'created_after = "2026-09-01T00:00:00"')
    store = Store.open(settings.database_url)
    summary = run_source(KEY, settings=settings, store=store,
                         fetcher=make_fetcher(settings, store))
    assert summary.status == "ok", summary.errors
    (request,) = replay.requests_to(DOCS)
    assert "created_date=gt:2026-09-01T00:00:00" in request.path  # colons kept literal
    assert summary.inserted == 3
    store.close()


def test_wrong_json_shape_is_layout_changed_and_keeps_data(
        setup: Any, replay: ReplayServer) -> None:
    serve(replay)
    scrape(setup)
    before = (setup[1].documents(), doc_events(setup[1]))
    replay.set(P1, reply("documents_wrong_shape.json"))
    summary = scrape(setup)
    assert summary.status == "error"
    assert "layout changed" in summary.errors[0] and "JSON array" in summary.errors[0]
    assert "projects=adilet&page=1" in summary.errors[0]
    assert (setup[1].documents(), doc_events(setup[1])) == before


def test_missing_title_names_the_key_path(setup: Any, replay: ReplayServer) -> None:
    serve(replay)
    replay.set(P1, reply("documents_missing_title.json"))
    summary = scrape(setup)
    assert summary.status == "error" and "'[1].title'" in summary.errors[0]
    # The news read before the broken page is kept; no document of that page is.
    assert {d["kind"] for d in setup[1].documents(source=KEY)} == {"news"}


def test_graphql_errors_fail_the_run_and_keep_stored_data(
        setup: Any, replay: ReplayServer) -> None:
    serve(replay)
    scrape(setup)
    before = (setup[1].documents(), doc_events(setup[1]))
    replay.set("/graphql", reply("news_errors.json"))
    summary = scrape(setup)
    assert summary.status == "error"
    assert summary.errors[0].startswith("gov.kz GraphQL error for news of 'adilet': "
                                        'Cannot query field "body"')
    assert (setup[1].documents(), doc_events(setup[1])) == before
    assert setup[1].last_runs()[KEY]["status"] == "error"


def test_timeout_is_a_run_error(setup: Any, replay: ReplayServer) -> None:
    serve(replay, etag=False)
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


def test_404_is_a_run_error(setup: Any, replay: ReplayServer) -> None:
    serve(replay)
    replay.set(P1, Reply(b'{"message": "Not Found"}', status=404, headers=JSON))
    summary = scrape(setup)
    assert summary.status == "error"
    assert summary.errors[0].startswith("HTTP 404") and "projects=adilet" in summary.errors[0]
    assert {d["kind"] for d in setup[1].documents(source=KEY)} == {"news"}


def test_graphql_404_is_a_run_error(setup: Any, replay: ReplayServer) -> None:
    serve(replay)
    replay.set("/graphql", Reply(b"not found", status=404))
    summary = scrape(setup)
    assert summary.status == "error"
    assert summary.errors[0].startswith("HTTP 404") and "/graphql" in summary.errors[0]
    assert setup[1].documents() == []
