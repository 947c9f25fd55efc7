"""un_upr end to end: a local HTTP server for UPR Info, a local export file (or a streamed
export over HTTP through the proposed fetcher API), the real runner and store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.sources.test_un_shapes import (
    ROBOTS,
    fixture_bytes,
    kaz_filters,
    search_target,
    source_home,
    states_target,
)
from tracker.archive import Archive
from tracker.fetch import Fetcher
from tracker.replay import ReplayServer, Reply
from tracker.runner import run_source
from tracker.store import Store

EXPORT = Path(__file__).parent / "fixtures" / "un_upr" / "export_small.json"
JSON = (("Content-Type", "application/json; charset=utf-8"),)


def serve(replay: ReplayServer, filters: dict[str, Any] | None = None, term: str | None = None,
          pages: tuple[bytes, ...] | None = None) -> None:
    replay.set("/robots.txt", ROBOTS)
    replay.set(states_target(), Reply(fixture_bytes("un_upr", "api_states.json"), headers=JSON))
    bodies = pages or tuple(fixture_bytes("un_upr", f"api_search_p{n}.json") for n in (1, 2, 3))
    for index, body in enumerate(bodies):
        replay.set(search_target(filters or kaz_filters(), 2, index * 2, term),
                   Reply(body, headers=JSON))


def home(tmp_path: Path, replay: ReplayServer, store_url: str | None = None,
         extra: str = "") -> Any:
    return source_home(tmp_path / "home", "un_upr", replay.base_url,
                       f"page_size = 2\n{extra}", database_url=store_url)


def run(settings: Any, store: Store, fetcher: Fetcher) -> Any:
    return run_source("un_upr", settings=settings, store=store, fetcher=fetcher)


def test_api_pages_and_export_file_give_one_document_each(
        tmp_path: Path, replay: ReplayServer, store_url: str, make_fetcher: Any) -> None:
    serve(replay)
    settings = home(tmp_path, replay, store_url, f'export_file = "{EXPORT}"')
    store = Store.open(store_url)
    summary = run(settings, store, make_fetcher(settings, store))
    assert summary.status == "ok", summary.errors
    # 5 UPR Info rows + 5 valid export records = 6 recommendations (4 seen in both).
    assert summary.inserted == 6 and summary.events == 6
    assert any("malformed-0001" in w and "Text" in w for w in summary.warnings)
    docs = {d["external_id"]: d for d in store.documents(source="un_upr")}
    assert sorted(docs) == ["A/HRC/28/10:124.12", "A/HRC/28/10:124.3", "A/HRC/28/10:125.7",
                            "A/HRC/28/10:126.20", "A/HRC/28/10:126.9", "upr-info:p3-1"]
    both = docs["A/HRC/28/10:126.9"]
    assert (both["stage"], both["status_raw"]) == ("noted", "Noted")
    assert both["details"]["upr_info_id"] == "p2-1"
    assert both["details"]["uhri_id"].endswith("000000000003")
    assert both["details"]["theme_groups"] == ["civil-society"]
    # Paging: from=0, 2, 4 with limit=2, then stop (offset 5 >= totalRows 5).
    searches = [e for e in replay.requests_to("/api/search") if "filters" in e.path]
    assert len(searches) == 3
    # Evidence: every event points at an archived API page holding the recommendation.
    archive = Archive(settings.archive_dir)
    for event in store.events():
        if event["external_id"] != "A/HRC/28/10:124.12":  # export-only from a local file
            assert archive.get(event["evidence"]).status == 200
    store.close()


def test_second_run_is_silent_and_a_position_change_is_an_event(
        tmp_path: Path, replay: ReplayServer, store_url: str, make_fetcher: Any) -> None:
    serve(replay)
    settings = home(tmp_path, replay, store_url, f'export_file = "{EXPORT}"')
    store = Store.open(store_url)
    fetcher = make_fetcher(settings, store)
    run(settings, store, fetcher)
    last = store.events()[-1]["id"]
    again = run(settings, store, fetcher)
    assert (again.status, again.events, again.unchanged) == ("ok", 0, 6)
    page = json.loads(fixture_bytes("un_upr", "api_search_p2.json"))
    page["rows"][0]["metadata"]["response"] = [{"value": "r", "label": "Supported"}]
    serve(replay, pages=(fixture_bytes("un_upr", "api_search_p1.json"),
                         json.dumps(page).encode(), fixture_bytes("un_upr", "api_search_p3.json")))
    changed = run(settings, store, fetcher)
    assert changed.status == "ok"
    events = store.events(since_id=last)
    got = [(e["type"], e["external_id"]) for e in events]
    assert ("stage_changed", "A/HRC/28/10:126.9") in got
    stage = next(e for e in events if e["type"] == "stage_changed")
    assert (stage["old"]["stage"], stage["new"]["stage"]) == ("noted", "supported")
    store.close()


def test_issues_use_full_thesaurus_ids_and_terms_are_quoted(
        tmp_path: Path, replay: ReplayServer, make_fetcher: Any) -> None:
    women = "6f1c3a52-8d0e-4b7e-9a57-2f4de1c0b911"
    filters = kaz_filters(issues={"values": [women]})
    serve(replay, filters=filters, term='"domestic violence"')
    replay.set("/api/thesauris", Reply(fixture_bytes("un_upr", "api_thesauri.json"),
                                       headers=JSON))
    settings = home(tmp_path, replay, extra='issues = ["Women\'s rights"]\n'
                                             'search_terms = ["domestic violence"]')
    store = Store.open(settings.database_url)
    summary = run(settings, store, make_fetcher(settings, store))
    assert summary.status == "ok", summary.errors
    assert summary.inserted == 5
    searches = [e.path for e in replay.requests_to("/api/search") if "filters" in e.path]
    assert len(searches) == 3
    assert all(women in s.replace("%22", '"').replace("%2D", "-") for s in searches)
    assert all("searchTerm=%22domestic+violence%22" in s for s in searches)
    store.close()


def test_unknown_issue_label_is_a_clear_error(
        tmp_path: Path, replay: ReplayServer, make_fetcher: Any) -> None:
    serve(replay)
    replay.set("/api/thesauris", Reply(fixture_bytes("un_upr", "api_thesauri.json"),
                                       headers=JSON))
    settings = home(tmp_path, replay, extra='issues = ["Right to lfe"]')
    store = Store.open(settings.database_url)
    summary = run(settings, store, make_fetcher(settings, store))
    assert summary.status == "error" and "no Issues value 'Right to lfe'" in summary.errors[0]
    store.close()


def test_truncated_export_fails_the_run_and_keeps_what_was_read(
        tmp_path: Path, replay: ReplayServer, make_fetcher: Any) -> None:
    serve(replay)
    data = EXPORT.read_bytes()
    cut = tmp_path / "export-cut.json"
    cut.write_bytes(data[: data.index(b"a0000001-0000-4000-8000-000000000003")])
    settings = home(tmp_path, replay, extra=f'export_file = "{cut}"')
    store = Store.open(settings.database_url)
    summary = run(settings, store, make_fetcher(settings, store))
    assert summary.status == "error"
    assert "UHRI export truncated" in summary.errors[0] and "after 2 records" in summary.errors[0]
    docs = {d["external_id"]: d for d in store.documents(source="un_upr")}
    # The two export records before the cut joined their UPR Info rows; p1-1 carries its
    # paragraph. The rows whose export records were cut off wait for a complete export
    # rather than being stored under a fallback id for good.
    assert sorted(docs) == ["A/HRC/28/10:124.3", "A/HRC/28/10:125.7"]
    assert "uhri_id" in docs["A/HRC/28/10:125.7"]["details"]
    assert any("left for the next complete export" in w for w in summary.warnings)
    # The next run with the whole export stores every recommendation under its real id.
    settings = home(tmp_path, replay, extra=f'export_file = "{EXPORT}"')
    complete = run(settings, store, make_fetcher(settings, store))
    assert complete.status == "ok" and complete.inserted == 4
    assert "A/HRC/28/10:126.9" in {d["external_id"] for d in store.documents()}
    store.close()


def test_empty_filter_result_warns_and_fails(
        tmp_path: Path, replay: ReplayServer, make_fetcher: Any) -> None:
    empty = json.dumps({"rows": [], "totalRows": 0}).encode()
    serve(replay, pages=(empty,))
    settings = home(tmp_path, replay)
    store = Store.open(settings.database_url)
    summary = run(settings, store, make_fetcher(settings, store))
    assert summary.status == "error" and "no records" in summary.errors[0]
    assert any("a filter id may be wrong" in w for w in summary.warnings)
    store.close()


def test_export_streamed_over_http_archives_only_what_was_kept(
        tmp_path: Path, replay: ReplayServer, make_fetcher: Any) -> None:
    serve(replay)
    replay.set("/export.json", Reply(EXPORT.read_bytes(), headers=JSON))
    settings = home(tmp_path, replay, extra=f'export_url = "{replay.base_url}/export.json"\n'
                                             'export_position_field = "UprPosition"')
    store = Store.open(settings.database_url)
    fetcher = make_fetcher(settings, store)
    summary = run(settings, store, fetcher)
    assert summary.status == "ok", summary.errors
    assert summary.inserted == 6
    export_only = store.document_id("un_upr", "A/HRC/28/10:124.12")
    assert export_only is not None
    event = store.events(document_ids=[export_only])[0]
    kept = Archive(settings.archive_dir).get(event["evidence"])
    records = json.loads(kept.body)
    # Only Kazakhstan's UPR records (incl. the malformed one) were archived, not the body.
    assert len(records) == 6
    assert {r["Body"] for r in records} == {"- UPR"}
    assert ("x-tracker-body-bytes", str(EXPORT.stat().st_size)) in kept.headers
    # Second run: the export answers 304 to the conditional request.
    replay.log.clear()
    again = run(settings, store, fetcher)
    assert again.status == "ok" and again.not_modified == 1
    assert replay.requests_to("/export.json")[0].status == 304
    store.close()


def test_export_streamed_and_cut_is_reported(
        tmp_path: Path, replay: ReplayServer, make_fetcher: Any) -> None:
    serve(replay)
    data = EXPORT.read_bytes()
    replay.set("/export.json", Reply(data[: len(data) // 2], headers=JSON))
    settings = home(tmp_path, replay, extra=f'export_url = "{replay.base_url}/export.json"')
    store = Store.open(settings.database_url)
    summary = run(settings, store, make_fetcher(settings, store))
    assert summary.status == "error" and "UHRI export truncated" in summary.errors[0]
    # Three records were complete before the cut (124.3, 125.7, 126.9): kept and joined.
    stored = {d["external_id"]: d for d in store.documents(source="un_upr")}
    assert sorted(stored) == ["A/HRC/28/10:124.3", "A/HRC/28/10:125.7", "A/HRC/28/10:126.9"]
    assert all("uhri_id" in d["details"] for d in stored.values())
    # A failed run saves no validator: the next run reads the whole export again.
    assert store.validators_for(f"{replay.base_url}/export.json") is None
    store.close()
