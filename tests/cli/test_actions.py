"""`tracker actions …` through the entry point: add, list, show, edit, done, export, seal;
bad input (exit 2, nothing recorded); prompts on a terminal; the passphrase."""

from __future__ import annotations

import csv
import io
import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import write_home
from tests.store.test_actions import put_doc
from tracker.cli import main
from tracker.cli.app import cli
from tracker.store import Store


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TRACKER_HOME", "TRACKER_DATABASE_URL", "TRACKER_PASSPHRASE", "TRACKER_STAFF"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("tracker.seal._keyring_passphrase", lambda: None)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A home with two stored documents: a legalacts card with counters, and a bill."""
    path = write_home(tmp_path / "home", "")
    store = Store.open(f"sqlite:///{path / 'tracker.db'}")
    put_doc(store, "kz_legalacts", "15908401", "Проект приказа о кризисных центрах",
            details={"counters": {"comments": 18, "accepted": 3, "rejected": 9}},
            discussion_until="2026-03-15")
    put_doc(store, "kz_parliament", "411", "О правах женщин и безопасности детей")
    store.close()
    return path


def listed(home: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> list[dict[str, object]]:
    code, out, err = run(["--home", str(home), "actions", "list", "--json", *extra], capsys)
    assert code == 0, err
    result: list[dict[str, object]] = json.loads(out)
    return result


ADD = ["actions", "add", "--type", "meeting", "--date", "2026-03-02", "--summary",
       "Met the working group", "--document", "kz_parliament:411", "--goal",
       "domestic-violence", "--counterpart", "Ержан Т.", "--institution", "Mazhilis",
       "--follow-up", "2026-03-16", "--staff", "aigerim"]


def test_add_list_show_edit_done(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--home", str(home), *ADD, "--json"], capsys)
    assert code == 0
    added = json.loads(out)
    assert added["documents"] == ["kz_parliament:411"]
    assert (added["goals"], added["staff"], added["counterpart_person"]) == (
        ["domestic-violence"], "aigerim", "Ержан Т.")
    assert [a["id"] for a in listed(home, capsys, "--goal", "domestic-violence")] == [
        added["id"]]
    assert listed(home, capsys, "--type", "letter") == []
    assert len(listed(home, capsys, "--document", "kz_parliament:411")) == 1
    code, out, _ = run(["--home", str(home), "actions", "edit", str(added["id"]), "--summary",
                        "Met the working group twice", "--clear", "follow-up", "--staff",
                        "dana"], capsys)
    assert code == 0 and "changed follow_up, summary" in out
    code, out, _ = run(["--home", str(home), "actions", "done", str(added["id"]),
                        "--outcome", "Amendment tabled", "--staff", "dana"], capsys)
    assert code == 0
    code, out, _ = run(["--home", str(home), "actions", "show", str(added["id"]), "--json"],
                       capsys)
    shown = json.loads(out)
    assert (shown["status"], shown["outcome"], shown["follow_up"]) == (
        "done", "Amendment tabled", None)
    assert [h["author"] for h in shown["history"]] == ["aigerim", "dana", "dana"]
    assert shown["history"][1]["changes"]["summary"] == [
        "Met the working group", "Met the working group twice"]
    assert shown["history"][2]["changes"]["status"] == ["open", "done"]


def test_staff_defaults_to_the_environment(home: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_STAFF", "saule")
    argv = [a for a in ADD if a not in ("--staff", "aigerim")]
    code, _, _ = run(["--home", str(home), *argv], capsys)
    assert code == 0
    assert [a["staff"] for a in listed(home, capsys)] == ["saule"]


@pytest.mark.parametrize(("change", "message"), [
    ({"--document": "kz_parliament:999"}, "no document 'kz_parliament:999' in the store"),
    ({"--document": "no-colon"}, "expected SOURCE:EXTERNAL_ID"),
    ({"--date": "02.03.2026"}, "--date: expected a date YYYY-MM-DD"),
    ({"--follow-up": "2026-02-30"}, "--follow-up: expected a date"),
    ({"--type": "lunch"}, "--type: unknown value 'lunch'"),
    ({"--goal": "lgbt"}, "--goal: unknown goal 'lgbt'"),
    ({"--summary": ""}, "--summary is required"),
])
def test_bad_input_exits_2_and_records_nothing(home: Path, change: dict[str, str],
                                               message: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    argv = list(ADD)
    for flag, value in change.items():
        argv[argv.index(flag) + 1] = value
    code, _, err = run(["--home", str(home), *argv], capsys)
    assert code == 2 and message in err and err.count("\n") == 1
    assert listed(home, capsys) == []


def test_missing_fields_without_a_terminal(home: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["--home", str(home), "actions", "add", "--goal", "sogi"], capsys)
    assert code == 2 and "--type is required" in err and "--summary is required" in err
    code, _, err = run(["--home", str(home), "actions", "add", "--type", "call",
                        "--summary", "x", "--comment-text", "t"], capsys)
    assert code == 2 and "only for --type public_comment" in err and "at least one" in err
    assert listed(home, capsys) == []


def test_public_comment_shows_the_answer(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--home", str(home), "actions", "add", "--type", "public_comment",
                        "--summary", "Comment on crisis centres", "--card-id", "15908401",
                        "--comment-text", "Пункт 5 нарушает...", "--goal", "domestic-violence",
                        "--json"], capsys)
    assert code == 0
    added = json.loads(out)
    assert added["documents"] == ["kz_legalacts:15908401"]
    assert added["answer"]["accepted"] == 3 and added["answer"]["rejected"] == 9
    assert added["comment_text"] == "Пункт 5 нарушает..."


def test_due_follow_ups_with_a_fixed_today(home: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    for follow in ("2026-03-05", "2026-03-10", "2026-03-20"):
        argv = list(ADD)
        argv[argv.index("--follow-up") + 1] = follow
        assert run(["--home", str(home), *argv], capsys)[0] == 0
    due = listed(home, capsys, "--due", "--today", "2026-03-10")
    assert [a["follow_up"] for a in due] == ["2026-03-05", "2026-03-10"]
    due = listed(home, capsys, "--due", "--within", "10", "--today", "2026-03-10")
    assert [a["follow_up"] for a in due] == ["2026-03-05", "2026-03-10", "2026-03-20"]


def test_export_is_owner_only_and_csv_safe(home: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    argv = list(ADD)
    argv[argv.index("--summary") + 1] = "=HYPERLINK(\"http://evil\")"
    assert run(["--home", str(home), *argv], capsys)[0] == 0
    target = tmp_path / "export.csv"
    code, _, _ = run(["--home", str(home), "actions", "export", "--format", "csv",
                      "--output", str(target)], capsys)
    assert code == 0 and stat.S_IMODE(target.stat().st_mode) == 0o600
    (row,) = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert row["summary"] == "'=HYPERLINK(\"http://evil\")"
    assert row["documents"] == "kz_parliament:411" and row["counterpart_person"] == "Ержан Т."
    code, out, _ = run(["--home", str(home), "actions", "export", "--format", "json"], capsys)
    assert code == 0 and json.loads(out)[0]["summary"] == "=HYPERLINK(\"http://evil\")"


def test_prompts_on_a_terminal(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tracker.cli.actions.interactive", lambda: True)
    answers = "\n".join([
        "letter",            # type
        "03.03.2026",        # a bad date: asked again
        "2026-03-03",
        "Letter to the ministry",
        "kz_parliament:999",  # an unknown document: asked again
        "kz_parliament:411",
        "",                  # goals
        "Ministry of Labour", "", "", "",  # institution, person, outcome, next step
        "2026-03-31",        # follow-up
        "n",                 # sensitive?
    ]) + "\n"
    result = CliRunner().invoke(cli, ["--home", str(home), "actions", "add", "--staff", "a"],
                                input=answers)
    assert result.exit_code == 0, result.output
    assert "recorded action 1" in result.output
    assert "no document 'kz_parliament:999'" in result.output
    store = Store.open(f"sqlite:///{home / 'tracker.db'}")
    from tracker.actions import get_action
    from tracker.seal import open_vault

    action = get_action(store, 1, open_vault(store, None))
    store.close()
    assert action is not None
    assert (action.type, action.date, action.summary, action.follow_up) == (
        "letter", "2026-03-03", "Letter to the ministry", "2026-03-31")
    assert action.counterpart_institution == "Ministry of Labour"
    assert action.counterpart_person is None and not action.sensitive


def test_passphrase_seals_and_locks(home: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_PASSPHRASE", "the office passphrase")
    code, _, err = run(["--home", str(home), *ADD], capsys)
    assert code == 0 and "sealing enabled" in err
    assert listed(home, capsys)[0]["summary"] == "Met the working group"
    monkeypatch.delenv("TRACKER_PASSPHRASE")
    (shown,) = listed(home, capsys)
    assert (shown["summary"], shown["counterpart_person"]) == ("[locked]", "[locked]")
    assert shown["counterpart_institution"] == "Mazhilis"
    code, _, err = run(["--home", str(home), *ADD], capsys)
    assert code == 2 and "no passphrase is available" in err and err.count("\n") == 1
    code, _, err = run(["--home", str(home), "actions", "done", "1"], capsys)
    assert code == 2 and "no passphrase" in err
    monkeypatch.setenv("TRACKER_PASSPHRASE", "a wrong passphrase")
    code, _, err = run(["--home", str(home), "actions", "list"], capsys)
    assert code == 2 and "wrong passphrase (from TRACKER_PASSPHRASE)" in err
    code, _, err = run(["--home", str(home), *ADD], capsys)
    assert code == 2 and "wrong passphrase" in err
    monkeypatch.setenv("TRACKER_PASSPHRASE", "the office passphrase")
    (still,) = listed(home, capsys)
    assert (still["status"], still["summary"]) == ("open", "Met the working group")


def test_seal_command_seals_existing_actions(home: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(["--home", str(home), *ADD], capsys)[0] == 0
    code, _, err = run(["--home", str(home), "actions", "seal"], capsys)
    assert code == 2 and "no passphrase" in err
    monkeypatch.setenv("TRACKER_PASSPHRASE", "pw for the seal")
    code, out, _ = run(["--home", str(home), "actions", "seal"], capsys)
    assert code == 0 and "1 existing actions encrypted" in out
    code, out, _ = run(["--home", str(home), "actions", "seal"], capsys)
    assert code == 0 and "already sealed" in out
    monkeypatch.delenv("TRACKER_PASSPHRASE")
    assert listed(home, capsys)[0]["summary"] == "[locked]"
