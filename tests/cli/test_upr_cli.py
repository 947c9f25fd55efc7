"""`tracker upr …` through the entry point: assess, relate, list, report; bad input → exit 2."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.sources.test_un_shapes import fixture_bytes, source_home
from tests.sources.test_un_upr_e2e import EXPORT, serve
from tracker.cli import main
from tracker.fetch import FetchStats
from tracker.models import Record
from tracker.replay import ReplayServer
from tracker.runner import run_source
from tracker.store import Store

REC = "un_upr:A/HRC/28/10:125.7"
BILL = "kz_legalacts:16100093"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


@pytest.fixture
def home(tmp_path: Path, replay: ReplayServer, make_fetcher: Any,
         monkeypatch: pytest.MonkeyPatch) -> str:
    """A home holding the six synthetic recommendations and one bill."""
    monkeypatch.delenv("TRACKER_HOME", raising=False)
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    monkeypatch.setenv("TRACKER_AUTHOR", "tester")
    serve(replay)
    settings = source_home(tmp_path / "home", "un_upr", replay.base_url,
                           f'page_size = 2\nexport_file = "{EXPORT}"')
    store = Store.open(settings.database_url)
    summary = run_source("un_upr", settings=settings, store=store,
                         fetcher=make_fetcher(settings, store))
    assert summary.status == "ok", summary.errors
    run_id = store.start_run("kz_legalacts")
    bill = Record(source="kz_legalacts", external_id="16100093",
                  title="О внесении изменений по вопросам | бытового насилия",
                  url="https://legalacts.egov.kz/npa/view?id=16100093", kind="draft",
                  stage="public_discussion", status_raw="На публичном обсуждении")
    store.finish_run(run_id, "kz_legalacts", [bill], FetchStats(), ok=True, not_modified=0,
                     errors=[], warnings=[])
    store.close()
    return str(settings.home)


def test_assess_relate_list_report(home: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--home", home, "upr", "assess", REC, "--status", "in_progress",
                        "--note", "Saltanat's law covers part of it"], capsys)
    assert code == 0 and "in_progress" in out
    code, out, _ = run(["--home", home, "upr", "assess", REC, "--status", "in_progress",
                        "--note", "Saltanat's law covers part of it"], capsys)
    assert code == 0 and "(unchanged)" in out
    code, out, _ = run(["--home", home, "upr", "relate", REC, BILL, "--kind", "implements"],
                       capsys)
    assert code == 0 and "implements" in out

    code, out, _ = run(["--home", home, "upr", "list", "--cycle", "2", "--json"], capsys)
    items = {i["external_id"]: i for i in json.loads(out)}
    assert code == 0 and len(items) == 6
    item = items["A/HRC/28/10:125.7"]
    assert item["assessment"]["status"] == "in_progress"
    assert item["assessment"]["author"] == "tester"
    assert item["relations"] == [{"kind": "implements", "source": "kz_legalacts",
                                  "external_id": "16100093", "stage": "public_discussion"}]
    assert item["position"] == "Supported"

    code, out, _ = run(["--home", home, "upr", "report", "--cycle", "2", "--format", "csv"],
                       capsys)
    table = list(csv.reader(io.StringIO(out)))
    assert code == 0 and len(table) == 7
    row = next(r for r in table if r[0].startswith("125.7 "))
    assert row[1:3] == ["Examplestan", "Supported"]
    assert row[4] == "in_progress — Saltanat's law covers part of it"
    assert row[5].startswith("implements: О внесении изменений") and row[5].endswith(
        "— public_discussion (На публичном обсуждении)")

    code, out, _ = run(["--home", home, "upr", "report", "--cycle", "2"], capsys)
    assert code == 0 and out.startswith("# UPR cycle 2\n")
    assert "вопросам \\| бытового" in out  # the pipe in the bill's title is escaped
    if importlib.util.find_spec("tracker.matching") is not None:
        code, out, _ = run(["--home", home, "upr", "report", "--cycle", "2", "--goal",
                            "domestic-violence"], capsys)
        assert code == 0 and out.startswith("# UPR cycle 2 — goal domestic-violence")
        assert "| 125.7 Criminalize domestic violence" in out
        assert "| 124.12 " not in out

    store = Store.open(f"sqlite:///{home}/tracker.db")
    changes = [e for e in store.events() if e["type"] == "assessment_changed"]
    assert [(e["author"], e["new"]["status"]) for e in changes] == [("tester", "in_progress")]
    store.close()


def test_report_to_a_file(home: str, tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "report.md"
    code, _, err = run(["--home", home, "upr", "report", "--cycle", "2", "--output",
                        str(target)], capsys)
    assert code == 0 and "6 rows written" in err
    assert target.read_text(encoding="utf-8").count("\n| ") == 7  # header + 6 rows


@pytest.mark.parametrize(("argv", "message"), [
    (["upr", "assess", REC, "--status", "done"], "'done' is not one of"),
    (["upr", "assess", BILL, "--status", "implemented"], "is not a UPR recommendation"),
    (["upr", "assess", "un_upr:A/HRC/99/1:1.1", "--status", "implemented"], "no document"),
    (["upr", "relate", REC, "kz_legalacts:nope", "--kind", "implements"], "no document"),
    (["upr", "relate", REC, BILL, "--kind", "supports"], "'supports' is not one of"),
    (["upr", "report", "--cycle", "2", "--goal", "world-peace"], "unknown goal"),
    (["upr", "report", "--cycle", "9"], "no recommendations of cycle 9"),
    (["upr", "report", "--cycle", "2", "--format", "pdf"], "'pdf' is not one of"),
    (["upr", "list", "--cycle", "zero"], "not a valid integer"),
])
def test_bad_input_is_one_line_and_exit_2(home: str, argv: list[str], message: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    if "world-peace" in argv:
        pytest.importorskip("tracker.matching")
    code, out, err = run(["--home", home, *argv], capsys)
    assert code == 2, (out, err)
    assert message in err and err.count("\n") == 1 and err.startswith("tracker: error:")


def test_fixture_files_are_marked_synthetic() -> None:
    for source in ("un_upr", "coe_treaties", "un_treaty_deadlines"):
        assert b"synthetic" in fixture_bytes(source, "README.md")
