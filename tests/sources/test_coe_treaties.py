"""coe_treaties: the CETS 210 chart (synthetic, built from SOURCES.md §8.5), the token read
from the chart page and refreshed once on 401, Kazakhstan's state machine, events."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sources.coe_treaties import (
    CoeTreaties,
    Watched,
    parse_signatures,
    read_token,
    stage_of,
)
from tests.sources.test_un_shapes import ROBOTS, fixture_bytes, source_home
from tracker.errors import ConfigError, LayoutChanged
from tracker.replay import ReplayServer, Reply
from tracker.runner import run_source
from tracker.store import Store

CHART = "/en/web/conventions/full-list?module=signatures-by-treaty&treatynum=210"
API = "/WS_LFRConventions/api/signatures?numSTE=210&langue=ENG"
JSON = (("Content-Type", "application/json; charset=utf-8"),)
KAZ = (Watched("Kazakhstan", None, "2020-04-22"),)
TODAY = date(2026, 10, 1)


def chart_page(api_url: str, key: str) -> bytes:
    page = fixture_bytes("coe_treaties", "chart_page.html").decode()
    return page.replace("__API_URL__", api_url).replace("__API_KEY__", key).encode()


def signatures(name: str = "signatures_210.json") -> str:
    return fixture_bytes("coe_treaties", name).decode()


def test_rows_become_treaty_status_documents() -> None:
    records = {r.external_id: r for r in parse_signatures(
        signatures(), "https://x/api", watched=KAZ, today=TODAY)}
    assert records["CETS210:ALB"].stage == "in_force"
    assert records["CETS210:BUL"].stage == "signed"
    assert records["CETS210:TUR"].stage == "denounced"
    assert records["CETS210:TUR"].details["denunciation_effective"] == "2021-07-01"
    assert records["CETS210:UE"].stage == "in_force"
    assert records["CETS210:UE"].details["bucket"] == "organisation"
    # Ratified, entry into force still ahead: ratified, not in force.
    assert records["CETS210:XXA"].stage == "ratified"
    # Kazakhstan has no row: invited (Committee of Ministers, 22 April 2020).
    kaz = records["CETS210:Kazakhstan"]
    assert (kaz.stage, kaz.details["bucket"]) == ("invited", "absent")
    assert "invited 2020-04-22" in (kaz.status_raw or "")
    assert kaz.title == "CETS 210 (Istanbul Convention) — Kazakhstan"


def test_kazakhstan_accedes_without_signature() -> None:
    records = {r.external_id: r for r in parse_signatures(
        signatures("signatures_210_kazakhstan_acceded.json"), "u", watched=KAZ, today=TODAY)}
    kaz = records["CETS210:Kazakhstan"]  # its row (CodePays KAZ) keeps the pinned id
    assert (kaz.stage, kaz.details["bucket"], kaz.details["code"]) == (
        "acceded", "non_member", "KAZ")
    assert kaz.details["signature"] is None and kaz.details["consent"] == "2027-03-01"
    later = {r.external_id: r for r in parse_signatures(
        signatures("signatures_210_kazakhstan_acceded.json"), "u", watched=KAZ,
        today=date(2027, 8, 1))}
    assert later["CETS210:Kazakhstan"].stage == "in_force"


@pytest.mark.parametrize(("dates", "bucket", "invited", "stage"), [
    ({}, "non_member", None, "not_party"),
    ({}, "non_member", "2020-04-22", "invited"),
    ({"signature": "2011-05-11"}, "member", None, "signed"),
    ({"consent": "2014-01-01"}, "non_member", None, "acceded"),
    ({"signature": "2011-05-11", "consent": "2014-01-01"}, "member", None, "ratified"),
    ({"consent": "2014-01-01", "in_force": "2014-08-01"}, "member", None, "in_force"),
    ({"consent": "2014-01-01", "denunciation": "2021-03-20"}, "member", None, "denounced"),
])
def test_state_machine(dates: dict[str, str], bucket: str, invited: str | None,
                       stage: str) -> None:
    assert stage_of(dates, bucket, invited, TODAY) == stage


def test_layout_problems_name_the_key() -> None:
    with pytest.raises(LayoutChanged, match=r"window\.conventions_api_key"):
        read_token("<html>You need to enable JavaScript</html>", "u")
    with pytest.raises(LayoutChanged, match=r"\[members\]"):
        parse_signatures(json.dumps([[], []]), "u")
    with pytest.raises(LayoutChanged, match="DateSignature"):
        parse_signatures(json.dumps([[{"CodePays": "X", "DateSignature": "soon"}], [], []]),
                         "u")
    assert CoeTreaties.parse(signatures(), "u")[0].external_id == "CETS210:ALB"


@pytest.mark.parametrize(("options", "message"), [
    ({"treaty": 210}, "treaty"),
    ({"invitations": {"Kazakhstan": "22.04.2020"}}, "invitations.Kazakhstan"),
    ({"watch_states": "Kazakhstan"}, "watch_states"),
])
def test_bad_options(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        CoeTreaties.check_options(options, "[sources.coe_treaties]")


def setup_server(replay: ReplayServer, *keys: str) -> None:
    replay.set("/robots.txt", ROBOTS)
    api_url = f"{replay.base_url}/WS_LFRConventions/"
    replay.set(CHART, *[chart_page(api_url, key) for key in keys])


def test_end_to_end_token_and_events(tmp_path: Path, replay: ReplayServer, store_url: str,
                                     make_fetcher: Any) -> None:
    setup_server(replay, "synthetic-key-1")
    replay.set(API, Reply(signatures().encode(), headers=JSON))
    settings = source_home(tmp_path / "home", "coe_treaties", replay.base_url,
                           database_url=store_url)
    store = Store.open(store_url)
    fetcher = make_fetcher(settings, store)
    summary = run_source("coe_treaties", settings=settings, store=store, fetcher=fetcher)
    assert summary.status == "ok", summary.errors
    assert summary.inserted == 7  # 5 members, the EU, Kazakhstan (no row: invited)
    assert replay.requests_to("/WS_LFRConventions/api/signatures")[0].headers["token"] == (
        "synthetic-key-1")
    last = store.events()[-1]["id"]
    # Kazakhstan accedes and Armenia ratifies: each change is an event.
    replay.set(API, Reply(signatures("signatures_210_kazakhstan_acceded.json").encode(),
                          headers=JSON))
    summary = run_source("coe_treaties", settings=settings, store=store, fetcher=fetcher)
    assert summary.status == "ok" and summary.updated == 2
    changes = {e["external_id"]: e for e in store.events(since_id=last)
               if e["type"] == "stage_changed"}
    assert set(changes) == {"CETS210:Kazakhstan", "CETS210:ARM"}
    assert (changes["CETS210:Kazakhstan"]["old"]["stage"],
            changes["CETS210:Kazakhstan"]["new"]["stage"]) == ("invited", "acceded")
    assert changes["CETS210:ARM"]["new"]["stage"] == "ratified"
    store.close()


def test_expired_token_is_refreshed_once(tmp_path: Path, replay: ReplayServer,
                                         make_fetcher: Any) -> None:
    setup_server(replay, "old-key", "new-key")
    replay.set(API, Reply(b"Unauthorized", status=401),
               Reply(signatures().encode(), headers=JSON))
    settings = source_home(tmp_path / "home", "coe_treaties", replay.base_url)
    store = Store.open(settings.database_url)
    summary = run_source("coe_treaties", settings=settings, store=store,
                         fetcher=make_fetcher(settings, store))
    assert summary.status == "ok", summary.errors
    calls = replay.requests_to("/WS_LFRConventions/api/signatures")
    assert [(c.status, c.headers["token"]) for c in calls] == [(401, "old-key"),
                                                               (200, "new-key")]
    assert len(replay.requests_to("/en/web/conventions/full-list")) == 2
    store.close()


def test_second_401_is_an_error(tmp_path: Path, replay: ReplayServer,
                                make_fetcher: Any) -> None:
    setup_server(replay, "old-key", "new-key")
    replay.set(API, Reply(b"Unauthorized", status=401))
    settings = source_home(tmp_path / "home", "coe_treaties", replay.base_url)
    store = Store.open(settings.database_url)
    summary = run_source("coe_treaties", settings=settings, store=store,
                         fetcher=make_fetcher(settings, store))
    assert summary.status == "error" and "HTTP 401" in summary.errors[0]
    assert len(replay.requests_to("/WS_LFRConventions/api/signatures")) == 2
    assert store.documents() == []
    store.close()
