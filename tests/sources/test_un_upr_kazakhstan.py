"""Done when: all 322 of Kazakhstan's cycle 1-2 recommendations (the REAL texts and positions
in ../shared/upr-samples/, read in place) load through ``un_upr`` from a local replay, with
correct positions, and the report works for them.

The responses are built at test time in the documented shapes: UPR Info search pages carry
the text, recommending states and position (the CSV's position strings in ``response``); a
UHRI export file carries the text with its paragraph number and the WG report symbol.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.sources.test_un_shapes import (
    api_row,
    export_record,
    kazakhstan_rows,
    noise_records,
    serve_api,
    source_home,
)
from tracker.cli import main
from tracker.replay import ReplayServer
from tracker.runner import run_source
from tracker.store import Store

POSITIONS = {"Supported": 122, "Supported (considered already implemented)": 47,
             "Supported (in process of implementation)": 96, "Noted": 57}


def load(tmp_path: Path, replay: ReplayServer, make_fetcher: Any, *,
         export: bool = True) -> tuple[Any, Store, list[dict[str, str]]]:
    rows = kazakhstan_rows()
    serve_api(replay, [api_row(r) for r in rows], 100)
    options = "page_size = 100\n"
    if export:
        path = tmp_path / "export-full-en.json"
        records = noise_records() + [export_record(r) for r in rows]
        path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
        options += f'export_file = "{path}"\n'
    settings = source_home(tmp_path / "home", "un_upr", replay.base_url, options)
    store = Store.open(settings.database_url)
    summary = run_source("un_upr", settings=settings, store=store,
                         fetcher=make_fetcher(settings, store))
    assert summary.status == "ok", summary.errors
    assert summary.inserted == 322, summary
    assert summary.warnings == ()
    return settings, store, rows


def test_all_322_recommendations_load_with_correct_positions(
        tmp_path: Path, replay: ReplayServer, make_fetcher: Any) -> None:
    _, store, rows = load(tmp_path, replay, make_fetcher)
    docs = {d["external_id"]: d for d in store.documents(source="un_upr")}
    assert len(docs) == 322
    expected = {f"{r['document_symbol']}:{r['paragraph']}": r for r in rows}
    assert set(docs) == set(expected)
    assert Counter(d["status_raw"] for d in docs.values()) == POSITIONS
    assert Counter(d["stage"] for d in docs.values()) == {"supported": 265, "noted": 57}
    assert Counter(d["details"]["cycle"] for d in docs.values()) == {1: 128, 2: 194}
    for key, row in expected.items():
        doc = docs[key]
        assert doc["status_raw"] == row["position"]
        assert doc["title"] == row["recommendation"]
        assert doc["details"]["upr_info_id"] and doc["details"]["uhri_id"]
    chile = docs["A/HRC/28/10:124.42"]["details"]
    assert (chile["recommending_states"], chile["non_state_tokens"]) == (["Chile"], ["CEDAW"])
    assert docs["A/HRC/28/10:124.6"]["details"]["position_kind"] == "already_implemented"
    assert docs["A/HRC/28/10:125.52"]["details"]["position_kind"] == "in_process"
    assert docs["A/HRC/14/10:97.2"]["stage"] == "noted"
    # Four pages of 100 rows: the paging stops at totalRows without asking for a fifth.
    assert len([e for e in replay.requests_to("/api/search") if "filters" in e.path]) == 4
    store.close()


def test_upr_info_alone_also_gives_322_documents(
        tmp_path: Path, replay: ReplayServer, make_fetcher: Any) -> None:
    _, store, _ = load(tmp_path, replay, make_fetcher, export=False)
    docs = store.documents(source="un_upr")
    # Without the export (and no paragraph in UPR Info's text) the ids are UPR Info's own.
    assert all(d["external_id"].startswith("upr-info:") for d in docs)
    assert Counter(d["status_raw"] for d in docs) == POSITIONS
    store.close()


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_report_works_for_them(tmp_path: Path, replay: ReplayServer, make_fetcher: Any,
                               capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACKER_HOME", raising=False)
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    settings, store, _ = load(tmp_path, replay, make_fetcher)
    store.close()
    home = str(settings.home)
    code, out, _ = cli(["--home", home, "upr", "report", "--cycle", "2", "--format", "csv"],
                       capsys)
    assert code == 0
    table = list(csv.reader(io.StringIO(out)))
    assert len(table) == 1 + 194
    by_para = {row[0].split(" ", 1)[0]: row for row in table[1:]}
    canada = by_para["124.6"]
    assert canada[1:3] == ["Canada", "Supported (considered already implemented)"]
    assert "sexual orientation" in canada[0] and canada[4] == "not assessed"
    assert by_para["126.24"][1:3] == ["Spain", "Noted"]
    assert by_para["124.42"][1] == "Chile"
    code, out, _ = cli(["--home", home, "upr", "report", "--cycle", "1", "--format", "md"],
                       capsys)
    assert code == 0
    lines = [line for line in out.splitlines() if line.startswith("| 9")]
    assert len(lines) == 128
    assert any(line.startswith("| 97.2 ") and "| France | Noted |" in line for line in lines)


def test_goal_column_uses_the_matcher(tmp_path: Path, replay: ReplayServer,
                                      make_fetcher: Any) -> None:
    pytest.importorskip("tracker.matching")
    from tracker.store.upr import recommendations
    from tracker.upr.report import GoalResolver, build_rows

    _, store, _ = load(tmp_path, replay, make_fetcher)
    resolver = GoalResolver()
    assert resolver.method == "matcher + stored matches"
    rows = {r.recommendation.split(" ", 1)[0]: r
            for r in build_rows(recommendations(store, cycle=2), resolver)}
    # ../shared/LEGISLATION.md §8 case 5 (the matcher's own tests own the full list).
    assert "domestic-violence" in rows["125.52"].goals
    assert "sogi" in rows["126.24"].goals
    only_dv = build_rows(recommendations(store, cycle=2), resolver, goal="domestic-violence")
    assert "125.52" in {r.recommendation.split(" ", 1)[0] for r in only_dv}
    store.close()
