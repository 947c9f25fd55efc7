"""kz_adilet end to end against a local replay: tracked acts, searches, RSS, faults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sources.base import registry
from tests.conftest import FIXTURES, fast_fetch_table, write_home
from tests.shared_data import shared_dir
from tracker.catalog import load_home_settings
from tracker.replay import ReplayServer
from tracker.runner import run_source
from tracker.store import Store

ADILET = FIXTURES / "kz_adilet"
ACT = "/rus/docs/K1500000375"
SEARCH = "/rus/search/docs/fulltext=%D0%B7%D0%B0%D1%80%D0%BF%D0%BB%D0%B0%D1%82%D0%B0" \
         "&sort_field=dl&sort_desc=true&pagesize=50&page=1"


def adilet_home(tmp_path: Path, base_url: str, tracked: str = '["K1500000375"]') -> Any:
    others = "".join(f"[sources.{k}]\nenabled = false\n" for k in registry() if k != "kz_adilet")
    write_home(tmp_path / "home", fast_fetch_table() + others + f"""
[sources.kz_adilet]
base_url = "{base_url}"
tracked = {tracked}
searches = ["зарплата"]
languages = ["rus"]
""")
    return load_home_settings(tmp_path / "home")


def serve(replay: ReplayServer, history: str | None = None) -> None:
    real = shared_dir() / "kz-samples/adilet-old"
    replay.set("/robots.txt", "User-agent: *\nDisallow: /api/\n")
    replay.set(ACT, (real / "doc_K1500000375_rus.header.excerpt.html").read_bytes())
    replay.set(ACT + "/info", (ADILET / "info_K1500000375_rus.html").read_bytes())
    replay.set(ACT + "/history",
               history or (ADILET / "history_K1500000375_rus.html").read_text("utf-8"))
    replay.set(SEARCH, (real / "search_fulltext-zarplata_rus_p1.excerpt.html").read_bytes())
    replay.set("/rus/docs/rss", (ADILET / "rss_rus_docs.xml").read_bytes())


def run(settings: Any, store: Store, make_fetcher: Any) -> Any:
    return run_source("kz_adilet", settings=settings, store=store,
                      fetcher=make_fetcher(settings, store))


def test_tracked_search_rss_then_unchanged_then_amended(
        tmp_path: Path, replay: ReplayServer, make_fetcher: Any) -> None:
    serve(replay)
    settings = adilet_home(tmp_path, replay.base_url)
    store = Store.open(settings.database_url)
    first = run(settings, store, make_fetcher)
    assert first.status == "ok", first.errors
    docs = {d["external_id"]: d for d in store.documents()}
    act = docs["K1500000375"]
    assert act["stage"] == "in_force" and act["details"]["status_class"] == "err"
    assert act["details"]["history_entries"] == 3
    assert act["created"] == "2015-10-29"
    assert {"Z090000214_", "K2600000000"} <= set(docs)  # from the RSS feed
    assert first.inserted == len(docs) >= 5

    second = run(settings, store, make_fetcher)
    assert second.status == "ok" and second.events == 0 and second.not_modified >= 3

    # A fourth amending law appears in the act's history: an `amended` event.
    history = (ADILET / "history_K1500000375_rus.html").read_text("utf-8").replace(
        "</table>", "<tr><td>4</td><td>Синтетическая запись 4</td><td>Закон, Парламент</td>"
                    "<td></td><td>20.11.2026</td><td>Действующий</td></tr></table>")
    serve(replay, history)
    last = store.events()[-1]["id"]
    third = run(settings, store, make_fetcher)
    assert third.status == "ok"
    events = store.events(since_id=last)
    assert [(e["type"], e["external_id"]) for e in events] == [("amended", "K1500000375")]
    assert events[0]["new"] == {"history_entries": 4}
    store.close()


def test_tracked_act_404_is_a_warning_not_silence(
        tmp_path: Path, replay: ReplayServer, make_fetcher: Any) -> None:
    serve(replay)
    settings = adilet_home(tmp_path, replay.base_url, tracked='["K1500000375", "Z9900000001"]')
    store = Store.open(settings.database_url)
    summary = run(settings, store, make_fetcher)
    assert summary.status == "ok"
    assert any("Z9900000001" in w and "404" in w for w in summary.warnings)
    assert store.last_runs()["kz_adilet"]["warnings"] == list(summary.warnings)
    store.close()


def test_new_host_shell_is_no_content(tmp_path: Path, replay: ReplayServer,
                                      make_fetcher: Any) -> None:
    serve(replay)
    shell = shared_dir() / "kz-samples/adilet-new/act_Z1300000094_spa-shell_2026-09-16.html"
    replay.set(ACT, shell.read_bytes())
    settings = adilet_home(tmp_path, replay.base_url)
    store = Store.open(settings.database_url)
    summary = run(settings, store, make_fetcher)
    assert summary.status == "error"
    assert "no content" in summary.errors[0]
    store.close()


def test_timeout_is_reported(tmp_path: Path, make_fetcher: Any) -> None:
    with ReplayServer(latency=1.0, max_requests=20, lifetime=30) as slow:
        serve(slow)
        home = adilet_home(tmp_path, slow.base_url)
        (home.home / "tracker.toml").write_text(
            (home.home / "tracker.toml").read_text("utf-8").replace(
                "[fetch]\n", "[fetch]\ntimeout = 0.2\n"), "utf-8")
        settings = load_home_settings(home.home)
        store = Store.open(settings.database_url)
        summary = run(settings, store, make_fetcher)
        assert summary.status == "error"
        assert "network error" in summary.errors[0] and "Timeout" in summary.errors[0]
        store.close()


def test_robots_of_the_host_are_obeyed(tmp_path: Path, replay: ReplayServer,
                                       make_fetcher: Any) -> None:
    serve(replay)
    replay.set("/robots.txt", "User-agent: *\nDisallow: /rus/search\n")
    settings = adilet_home(tmp_path, replay.base_url)
    store = Store.open(settings.database_url)
    summary = run(settings, store, make_fetcher)
    assert summary.status == "error" and "robots.txt disallows" in summary.errors[0]
    assert not [e for e in replay.log if "/search/" in e.path]
    store.close()
