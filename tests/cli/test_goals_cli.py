"""`tracker goals`, `tracker match`, `tracker triage` through the entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import run
from tests.store.test_links import WOMEN, put
from tracker.store import Store


@pytest.fixture(autouse=True)
def no_env_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACKER_HOME", raising=False)
    monkeypatch.setenv("TRACKER_STAFF", "aigerim")


def test_init_installs_editable_goals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    assert run(["--home", str(home), "init"], capsys)[0] == 0
    assert (home / "goals.toml").stat().st_mode & 0o777 == 0o600
    code, out, _ = run(["--home", str(home), "goals", "list", "--json"], capsys)
    ids = [g["id"] for g in json.loads(out)]
    assert ids[:6] == ["domestic-violence", "anti-discrimination", "sogi",
                       "istanbul-convention", "upr-follow-up", "civic-space"] or set(ids) >= {
        "domestic-violence", "anti-discrimination", "sogi", "istanbul-convention",
        "upr-follow-up", "civic-space"}
    code, out, _ = run(["--home", str(home), "goals", "check"], capsys)
    assert code == 0 and "all goals valid" in out


def test_goals_check_reports_file_line_column(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "goals.toml"
    bad.write_text('[[goal]]\nid = "x"\nname = "X"\nstance = "support"\npriority = 1\n'
                   'query = "насилие AND (побои"\n', encoding="utf-8")
    code, _, err = run(["--home", str(tmp_path / "home"), "goals", "check", "--goals", str(bad)],
                       capsys)
    assert code == 2
    first = err.splitlines()[0]
    assert first.startswith(f"{bad}:6:")


def test_goals_test_explains(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--home", str(tmp_path / "home"), "goals", "test", "domestic-violence",
                        "Законопроект о профилактике бытового насилия и охранных предписаниях"],
                       capsys)
    assert code == 0 and "насили" in out.casefold()


def test_match_jsonl_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [
        {"id": "a", "text": "Criminalize domestic violence and marital rape", "lang": "en"},
        {"id": "b", "title": "О внесении изменений в Налоговый кодекс", "text": "налоги"},
        {"id": "c", "text": "", "title": WOMEN, "labels": []},
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", "utf-8")
    code, out, _ = run(["--home", str(tmp_path / "home"), "match", "--input", str(path),
                        "--json"], capsys)
    assert code == 0
    rows = [json.loads(x) for x in out.splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", "c"]
    assert "domestic-violence" in {m["goal"] for m in rows[0]["matches"]}
    assert rows[1]["matches"] == []
    reason = rows[0]["matches"][0]["reasons"][0]
    assert set(reason) == {"field", "term", "snippet"}


def test_match_bad_line_names_it_and_prints_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "a", "text": "ok"}\n{"id": 7, "text": "x"}\n', encoding="utf-8")
    code, out, err = run(["--home", str(tmp_path / "home"), "match", "--input", str(path)],
                         capsys)
    assert code == 2 and out == ""
    assert f"{path}:2:" in err and err.count("\n") == 1


def test_triage_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    run(["--home", str(home), "init"], capsys)
    store = Store.open(f"sqlite:///{home / 'tracker.db'}")
    put(store, "kz_legalacts", "1", WOMEN)
    store.close()
    assert run(["--home", str(home), "goals", "rematch"], capsys)[0] == 0
    code, out, _ = run(["--home", str(home), "triage", "kz_legalacts:1", "domestic-violence",
                        "confirm"], capsys)
    assert code == 0 and "new → confirmed" in out
    code, _, err = run(["--home", str(home), "triage", "kz_legalacts:1", "civic-space",
                        "dismiss"], capsys)
    assert code == 2 and "no match for goal 'civic-space'" in err
