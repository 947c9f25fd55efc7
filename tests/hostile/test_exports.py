"""Hostile strings through the files people open elsewhere: `tracker report` (md, csv, html),
`tracker actions export` (csv, json), `tracker upr report` (md, csv) and `tracker calendar`
(ICS), all through tracker.cli.main on a store seeded through the real API.

Spreadsheets must not run a formula, Markdown must not grow links, headings or table cells,
HTML must not gain a tag, and an iCalendar file must keep its lines (CRLF, folded at 75
octets, no injected property) — while every value stays readable as written.
"""

from __future__ import annotations

import csv
import io
import json
import re
from html import escape
from pathlib import Path

import pytest
from icalendar import Calendar

from tests.conftest import write_home
from tests.hostile.strings import HOSTILE, HOSTILE_URLS, forbidden_in, short, visible
from tests.hostile.test_mail import _Tags
from tests.store.test_actions import put_doc, put_match, put_stage_event, record
from tracker.cli import main
from tracker.seal import open_vault
from tracker.store import Store

FORMULA = ("=", "+", "-", "@")
REPORT_TAGS = {"html", "head", "meta", "title", "body", "h1", "h2", "h3", "p", "ul", "li",
               "strong"}
ICS_PROPERTIES = {"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION", "URL",
                  "CATEGORIES", "TRANSP"}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Per hostile string: a matched draft with a deadline in March 2026 and a stage change,
    an action about it with hostile counterpart, summary and outcome, and a UPR
    recommendation of cycle 3 with a hostile text, state and position."""
    path = write_home(tmp_path_factory.mktemp("exports") / "home", "")
    store = Store.open(f"sqlite:///{path / 'tracker.db'}")
    vault = open_vault(store, None)
    for i, text in enumerate(HOSTILE):
        doc = put_doc(store, "kz_legalacts", f"r{i}", text, stage="public_discussion",
                      discussion_until=f"2026-03-{10 + i % 18:02d}",
                      url=HOSTILE_URLS[i % len(HOSTILE_URLS)] if i % 2 else
                      f"https://legalacts.egov.kz/npa/view?id={i}")
        put_match(store, doc, "domestic-violence")
        put_stage_event(store, doc, "kz_legalacts", "drafting", "public_discussion",
                        "2026-02-01T06:00:00+00:00")
        record(store, vault, date="2026-02-02", documents=(doc,), follow_up="2026-03-20",
               counterpart_person=text[:300], counterpart_institution=text[:300],
               summary=text[:20_000], outcome=text[:20_000], next_step=text[:500])
        put_doc(store, "un_upr", f"A/HRC/43/10:1.{i}", text, kind="recommendation",
                status_raw=text[:200], details={"cycle": 3, "paragraph": f"1.{i}",
                                                "recommending_states": [text[:200], "Samplia"]})
    store.close()
    return path


def run(home: Path, argv: list[str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> str:
    """``tracker --home HOME argv`` (exit 0); its standard output."""
    for name in ("TRACKER_HOME", "TRACKER_DATABASE_URL", "TRACKER_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("tracker.seal._keyring_passphrase", lambda: None)
    with pytest.raises(SystemExit) as info:
        main(["--home", str(home), *argv])
    out, err = capsys.readouterr()
    assert info.value.code in (0, None), err
    return out


def unescape_md(text: str) -> str:
    """Markdown's backslash escapes undone, white space collapsed: what a reader sees."""
    return " ".join(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text).split())


def check_csv(text: str, required: int) -> list[list[str]]:
    """No cell a spreadsheet would run; no forbidden character; ``required`` rows at least."""
    csv.field_size_limit(10_000_000)  # the 1 MB titles
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) > required
    for row in rows:
        for cell in row:
            risky = cell.startswith("\t") or cell.lstrip().startswith(FORMULA)
            assert not risky or cell.startswith("'"), cell[:80]
            assert forbidden_in(cell) == [], cell[:80]
    return rows


REPORT = ["report", "--from", "2026-01-01", "--to", "2026-03-31", "--today", "2026-03-15",
          "--names"]


def test_report_markdown(home: Path, capsys: pytest.CaptureFixture[str],
                         monkeypatch: pytest.MonkeyPatch) -> None:
    text = run(home, [*REPORT, "--format", "md"], capsys, monkeypatch)
    assert forbidden_in(text) == []
    for line in text.split("\n"):
        if line.startswith("#"):
            assert line.startswith(("# Advocacy report", "## ", "### ")), line[:80]
            assert "fake heading" not in line
    for pattern in (r"(?<!\\)\]\(", r"(?<!\\)<", r"(?<!\\)!\[", r"(?<!\\)\|", r"(?<!\\)&"):
        assert not re.search(pattern, text), pattern
    seen = unescape_md(text)
    for value in short():
        assert visible(value)[:60] in seen, value


def test_report_csv(home: Path, capsys: pytest.CaptureFixture[str],
                    monkeypatch: pytest.MonkeyPatch) -> None:
    rows = check_csv(run(home, [*REPORT, "--format", "csv"], capsys, monkeypatch), len(HOSTILE))
    cells = [cell for row in rows for cell in row]
    for value in short():
        assert any(" ".join(value.split())[:40].strip() in " ".join(c.split()) or
                   visible(value)[:40] in " ".join(c.split()) for c in cells), value


def test_report_html(home: Path, capsys: pytest.CaptureFixture[str],
                     monkeypatch: pytest.MonkeyPatch) -> None:
    page = run(home, [*REPORT, "--format", "html"], capsys, monkeypatch)
    assert forbidden_in(page) == []
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    tags = _Tags()
    tags.feed(page)
    assert tags.tags <= REPORT_TAGS, tags.tags - REPORT_TAGS
    assert not [name for name, _ in tags.attributes if name.startswith("on")]
    flat = " ".join(page.split())
    for value in short():
        assert escape(visible(value)[:40], quote=True) in flat, value


def test_actions_export_csv_and_json(home: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "actions.csv"
    run(home, ["actions", "export", "--format", "csv", "--output", str(out)], capsys,
        monkeypatch)
    check_csv(out.read_text(encoding="utf-8"), len(HOSTILE))
    text = run(home, ["actions", "export", "--format", "json"], capsys, monkeypatch)
    exported = {action["id"]: action for action in json.loads(text)}
    assert len(exported) == len(HOSTILE)
    for number, value in enumerate(HOSTILE, 1):  # recorded in this order: ids 1, 2, …
        assert exported[number]["summary"] == value[:20_000].strip()
    assert "\x1b" not in text and "\x00" not in text  # JSON escapes C0 controls


def test_upr_report_markdown_table(home: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    text = run(home, ["upr", "report", "--cycle", "3", "--format", "md"], capsys, monkeypatch)
    assert forbidden_in(text) == []
    # Markdown ends lines at \n only (str.splitlines would also split at U+2028).
    rows = [line for line in text.split("\n") if line.startswith("| ")]
    assert len(rows) == 1 + len(HOSTILE)  # the header, then one line per recommendation
    for row in rows:
        assert row.endswith(" |")
        assert len(re.findall(r"(?<!\\)\|", row)) == 7, row[:120]
    assert not re.search(r"<(?!br>)", text.replace("&lt;", "").replace("&gt;", ""))


def test_upr_report_csv(home: Path, capsys: pytest.CaptureFixture[str],
                        monkeypatch: pytest.MonkeyPatch) -> None:
    text = run(home, ["upr", "report", "--cycle", "3", "--format", "csv"], capsys, monkeypatch)
    assert len(check_csv(text, len(HOSTILE))) == 1 + len(HOSTILE)


def test_calendar_file(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                       monkeypatch: pytest.MonkeyPatch) -> None:
    ics = tmp_path / "cal.ics"
    run(home, ["calendar", "--ics", str(ics), "--all", "--from", "2026-01-01"], capsys,
        monkeypatch)
    data = ics.read_bytes()
    assert len(data) < 1_000_000  # two 1 MB titles, cut
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r" not in data.replace(b"\r\n", b"")
    for line in data.split(b"\r\n"):
        assert len(line) <= 75, line[:80]
    assert forbidden_in(data.replace(b"\r\n", b"\n").decode("utf-8")) == []
    events = Calendar.from_ical(data).walk("VEVENT")
    assert len(events) == 2 * len(HOSTILE)  # each deadline, each follow-up
    summaries = set()
    for event in events:
        assert set(event) <= ICS_PROPERTIES, set(event) - ICS_PROPERTIES
        url = str(event.get("URL", "https://ok"))
        assert re.fullmatch(r"https?://[^\s\x00-\x1f\x7f-\x9f]+", url), url
        summaries.add(str(event["SUMMARY"]))
    for value in short():
        assert f"Comment deadline: {visible(value)}"[:200] in summaries, value
