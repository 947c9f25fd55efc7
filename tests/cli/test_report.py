"""`tracker report` on a known data set, and `tracker calendar` through the entry point."""

from __future__ import annotations

import csv
import io
import re
import stat
from pathlib import Path

import pytest
from icalendar import Calendar

from tests.conftest import write_home
from tests.store.test_actions import put_doc, put_match, put_stage_event, record
from tracker.cli import main
from tracker.reports import pseudonym, pseudonym_secret
from tracker.seal import open_vault
from tracker.store import Store

PERSON = "Айгерим Сапарова"
SECRET_SUMMARY = "Informal talk about the SOGI clause"


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
    """Q1 2026 for two goals; 'today' in the tests is 2026-03-25."""
    path = write_home(tmp_path / "home", "")
    store = Store.open(f"sqlite:///{path / 'tracker.db'}")
    met = put_doc(store, "kz_legalacts", "500", "О кризисных центрах <script>alert(1)</script>",
                  discussion_until="2026-02-10", stage="discussion_closed",
                  details={"counters": {"comments": 40, "accepted": 2, "rejected": 5}})
    missed = put_doc(store, "kz_legalacts", "501", "О профилактике правонарушений",
                     discussion_until="2026-03-01")
    still_open = put_doc(store, "kz_legalacts", "502", "Об охранных предписаниях",
                         discussion_until="2026-03-30")
    later = put_doc(store, "kz_legalacts", "503", "Об архивном деле",
                    discussion_until="2026-05-01")
    for doc in (met, missed, still_open):
        put_match(store, doc, "domestic-violence")
    put_match(store, later, "sogi")
    hidden = put_doc(store, "kz_legalacts", "504", "HIDDEN-DOC-TITLE",
                     discussion_until="2026-03-20")
    put_stage_event(store, hidden, "kz_legalacts", "drafting", "public_discussion",
                    "2026-03-01T06:00:00+00:00")
    put_stage_event(store, met, "kz_legalacts", "public_discussion", "discussion_closed",
                    "2026-02-11T06:00:00+00:00")
    put_stage_event(store, missed, "kz_legalacts", "drafting", "public_discussion",
                    "2025-12-01T06:00:00+00:00")  # before the period
    vault = open_vault(store, None)
    record(store, vault, type="public_comment", date="2026-02-05", documents=(met,),
           card_id="500", comment_text="Пункт 5", counterpart_person=None,
           counterpart_institution="Ministry of Labour", summary="Comment on crisis centres")
    record(store, vault, date="2026-03-02", counterpart_person=PERSON,
           counterpart_institution="Mazhilis", summary="=cmd|' /C calc'!A0",
           outcome="Promised to table an amendment")
    record(store, vault, date="2026-03-09", counterpart_person=f"  {PERSON.upper()} ",
           counterpart_institution="Mazhilis", summary="Second meeting")
    record(store, vault, date="2026-03-15", type="meeting", sensitive=True,
           counterpart_person="Secret Person", counterpart_institution="Akimat",
           summary=SECRET_SUMMARY, goals=("sogi",), documents=(hidden,))
    record(store, vault, date="2025-11-01", summary="OUTSIDE-THE-PERIOD")
    store.close()
    return path


def report(home: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    code, out, err = run(["--home", str(home), "report", "--from", "2026-01-01", "--to",
                          "2026-03-31", "--today", "2026-03-25", *extra], capsys)
    assert code == 0, err
    return out


def _secret(home: Path) -> bytes:
    store = Store.open(f"sqlite:///{home / 'tracker.db'}")
    secret = pseudonym_secret(store, open_vault(store, None))
    store.close()
    assert secret is not None
    return secret


def test_markdown_report_contents(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = report(home, capsys)
    dv, sogi = re.split(r"^## ", text, flags=re.M)[1:3]
    assert dv.startswith("Criminalise domestic violence") and sogi.startswith("Oppose")
    assert "Documents tracked: 3" in dv
    assert "Actions: meeting 2, public\\_comment 1" in dv
    assert "2026-02-11 kz\\_legalacts:500" in dv and "public\\_discussion → discussion\\_closed" \
        in dv
    assert "drafting → public" not in text  # the stage change before the period
    assert re.search(r"2026-02-10 kz\\_legalacts:500 .*: \*\*met\*\*", dv)
    assert re.search(r"2026-03-01 kz\\_legalacts:501 .*: \*\*missed\*\*", dv)
    assert re.search(r"2026-03-30 kz\\_legalacts:502 .*: \*\*open\*\*", dv)
    assert "Public comments submitted: 1" in dv and "2 accepted, 5 rejected" in dv
    code = pseudonym(_secret(home), PERSON)
    assert re.fullmatch(r"P-[0-9A-F]{4}", code)
    assert dv.count(f"Mazhilis, {code}") == 2  # the same person (case, spaces) → one code
    assert PERSON not in text and "Secret Person" not in text and "Akimat" not in text
    assert SECRET_SUMMARY not in text and "1 sensitive action(s), not described" in sogi
    assert "HIDDEN-DOC-TITLE" not in text  # nor what the sensitive action was about
    assert "Actions: meeting 1" in sogi  # counted
    assert "OUTSIDE-THE-PERIOD" not in text
    assert "<script>" not in text and "\\<script\\>" in text
    assert code in report(home, capsys)  # stable across reports


def test_names_and_sensitive_on_request(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = report(home, capsys, "--names", "--include-sensitive")
    assert PERSON in text and "Secret Person" in text and SECRET_SUMMARY in text
    assert "HIDDEN-DOC-TITLE" in text
    assert "not described" not in text and not re.search(r"P-[0-9A-F]{4}", text)


def test_one_goal_only(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = report(home, capsys, "--goal", "sogi")
    assert text.count("\n## ") == 1 and "(sogi)" in text and "domestic-violence" not in text
    assert "Documents tracked: 1" in text  # the matched draft (the action links no document)


def test_html_is_escaped_and_owner_only(home: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "q1.html"
    report(home, capsys, "--format", "html", "--output", str(target))
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    page = target.read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert PERSON not in page and SECRET_SUMMARY not in page
    assert pseudonym(_secret(home), PERSON) in page


def test_csv_is_spreadsheet_safe(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = list(csv.DictReader(io.StringIO(report(home, capsys, "--format", "csv"))))
    actions = [r for r in rows if r["record"] == "action"]
    assert {r["summary"] for r in actions} >= {"'=cmd|' /C calc'!A0", "Second meeting"}
    assert not any(r["summary"].startswith(("=", "+", "@")) for r in rows)
    (hidden,) = [r for r in rows if r["record"] == "sensitive_actions"]
    assert hidden["goal"] == "sogi" and hidden["detail"] == "1 not described"
    deadlines = {r["reference"]: r["status"] for r in rows if r["record"] == "deadline"}
    assert deadlines == {"kz_legalacts:500": "met", "kz_legalacts:501": "missed",
                         "kz_legalacts:502": "open"}


@pytest.mark.parametrize(("argv", "message"), [
    (["--from", "2026-04-01", "--to", "2026-03-01"], "is after --to"),
    (["--from", "01.01.2026", "--to", "2026-03-01"], "--from: expected a date"),
    (["--from", "2026-01-01", "--to", "2026-03-01", "--goal", "lgbt"], "unknown goal 'lgbt'"),
    (["--from", "2026-01-01", "--to", "2026-03-01", "--format", "pdf"], "'pdf'"),
])
def test_bad_report_options(home: Path, argv: list[str], message: str,
                            capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["--home", str(home), "report", *argv], capsys)
    assert code == 2 and message in err


def test_calendar_command(home: Path, tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "deadlines.ics"
    code, out, _ = run(["--home", str(home), "calendar", "--ics", str(target), "--today",
                        "2026-03-01"], capsys)
    assert code == 0 and stat.S_IMODE(target.stat().st_mode) == 0o600
    cal = Calendar.from_ical(target.read_bytes())
    assert f"wrote {len(cal.walk('VEVENT'))} events" in out
    events = {str(e["summary"]): e.decoded("dtstart") for e in cal.walk("VEVENT")}
    assert events["Comment deadline: Об охранных предписаниях"].isoformat() == "2026-03-30"
    assert "Comment deadline: Об архивном деле" in events
    assert not any("кризисных" in t for t in events)  # its deadline was before --today
    assert "Follow-up (action #4)" in events  # the sensitive one, titled generically


def test_sealed_database_keeps_codes_and_locks_without_passphrase(
        home: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    before = re.findall(r"Mazhilis, (P-[0-9A-F]{4})", report(home, capsys))
    assert len(before) == 2
    monkeypatch.setenv("TRACKER_PASSPHRASE", "office passphrase")
    assert run(["--home", str(home), "actions", "seal"], capsys)[0] == 0
    store = Store.open(f"sqlite:///{home / 'tracker.db'}")
    from tracker.store.actions import PSEUDONYM_KEY, get_meta

    assert str(get_meta(store, PSEUDONYM_KEY)).startswith("seal1:")
    store.close()
    assert re.findall(r"Mazhilis, (P-[0-9A-F]{4})", report(home, capsys)) == before
    monkeypatch.delenv("TRACKER_PASSPHRASE")
    text = report(home, capsys)
    assert "Mazhilis, \\[locked\\]" in text and not re.search(r"P-[0-9A-F]{4}", text)
    assert PERSON not in text
