"""The CLI through its entry point: contracts, JSON shapes, bad input, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import fixture_text, legalacts_home, write_home
from tests.shared_data import shared_dir
from tracker.cli import main
from tracker.replay import ReplayServer


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


@pytest.fixture(autouse=True)
def no_env_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACKER_HOME", raising=False)
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)


def test_parse_real_page_json(capsys: pytest.CaptureFixture[str]) -> None:
    page = shared_dir() / "kz-samples/legalacts/list_status-IN_ARCHIVE_page1.excerpt.html"
    code, out, _ = run(["parse", "kz_legalacts", str(page), "--url",
                        "https://legalacts.egov.kz/list?status=IN_ARCHIVE", "--json"], capsys)
    assert code == 0
    cards = json.loads(out)
    assert [c["external_id"] for c in cards] == ["15908401", "15907944", "15906353",
                                                 "15904836", "15902831"]
    first = cards[0]
    for key in ("external_id", "title", "status_raw", "stage", "doc_type", "created",
                "discussion_until", "agency", "url", "counters"):
        assert key in first
    assert first["url"] == "https://legalacts.egov.kz/npa/view?id=15908401"
    assert first["created"] == "2026-09-10" and first["discussion_until"] == "2026-09-15"
    assert first["counters"] == {"comments": 18, "likes": 0, "dislikes": 1, "views": 378,
                                 "accepted": 0, "rejected": 9}
    assert first["stage"] == "discussion_closed" and first["doc_type"] == "Приказ"


def test_scrape_documents_events_sources(tmp_path: Path, replay: ReplayServer,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    legalacts_home(home, replay.base_url)
    replay.set("/robots.txt", "User-agent: *\nDisallow: /npa/view\n")
    replay.set("/list?types[0]=629",
               fixture_text("kz_legalacts", "list_no_deadline_no_counters.html"))
    code, out, _ = run(["--home", str(home), "scrape", "kz_legalacts", "--json"], capsys)
    assert code == 0
    summary = json.loads(out)[0]
    assert (summary["source"], summary["status"], summary["inserted"]) == ("kz_legalacts", "ok", 2)
    assert summary["requests"] == 2 and summary["bytes"] > 0

    code, out, _ = run(["--home", str(home), "documents", "--json"], capsys)
    docs = json.loads(out)
    assert code == 0 and len(docs) == 2
    for key in ("source", "external_id", "title", "stage", "status_raw", "discussion_until",
                "url"):
        assert key in docs[0]

    code, out, _ = run(["--home", str(home), "events", "--json"], capsys)
    events = [e for e in json.loads(out) if e["type"] == "new"]
    assert len(events) == 2
    for key in ("id", "type", "source", "external_id", "old", "new", "observed_at", "evidence"):
        assert key in events[0]
    assert len(events[0]["evidence"]) == 64
    code, out, _ = run(["--home", str(home), "events", "--since-id", str(events[0]["id"]),
                        "--json"], capsys)
    later = json.loads(out)
    assert later and all(e["id"] > events[0]["id"] for e in later)
    assert events[1]["id"] in [e["id"] for e in later]

    code, out, _ = run(["--home", str(home), "sources", "--json"], capsys)
    listed = {s["key"]: s for s in json.loads(out)}
    assert listed["kz_legalacts"]["health"] == "ok"
    assert listed["kz_legalacts"]["base_url"] == replay.base_url


def test_failed_scrape_exits_1_and_shows_health(tmp_path: Path, replay: ReplayServer,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    legalacts_home(home, replay.base_url)
    replay.set("/list?types[0]=629", fixture_text("kz_legalacts", "list_cards_removed.html"))
    code, out, _ = run(["--home", str(home), "scrape", "kz_legalacts"], capsys)
    assert code == 1
    assert "layout changed" in out
    code, out, _ = run(["--home", str(home), "sources", "--json"], capsys)
    item = {s["key"]: s for s in json.loads(out)}["kz_legalacts"]
    assert item["health"] == "degraded" and item["failures_in_a_row"] == 1
    assert "div.contentlist" in item["last_errors"][0]


def test_robots_override_is_shown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = write_home(tmp_path / "home", """
[sources.kz_legalacts]
withdrawn_list = true
robots_override = { paths = ["/application/withdraw"], reason = "Board decision: needed" }
""")
    _, out, _ = run(["--home", str(home), "sources", "--json"], capsys)
    item = {s["key"]: s for s in json.loads(out)}["kz_legalacts"]
    assert item["robots_overrides"] == {"paths": ["/application/withdraw"],
                                        "reason": "Board decision: needed"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["scrape", "no_such_source"], "unknown source 'no_such_source'"),
        (["documents", "--since", "22.11.2026"], "--since: expected YYYY-MM-DD"),
        (["events", "--since-id", "-3"], "--since-id"),
        (["frobnicate"], "No such command 'frobnicate'"),
        (["parse", "kz_legalacts", "/no/such/file.html"], "does not exist"),
    ],
)
def test_bad_arguments_are_one_line_exit_2(tmp_path: Path, argv: list[str], message: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--home", str(tmp_path / "home"), "init"], capsys)[0] == 0
    code, _, err = run(["--home", str(tmp_path / "home"), *argv], capsys)
    assert code == 2
    assert message in err
    assert err.startswith("tracker: error: ") and err.count("\n") == 1


def test_bad_config_is_one_line_exit_2(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    home = write_home(tmp_path / "home", "[fetch]\nmin_interval = \"soon\"\n")
    code, _, err = run(["--home", str(home), "documents"], capsys)
    assert code == 2
    assert err.count("\n") == 1
    assert "tracker.toml" in err and "min_interval" in err and "expected a number" in err


def test_parse_on_a_broken_page_is_a_clear_error(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "page.html"
    page.write_text(fixture_text("kz_legalacts", "list_cards_removed.html"), encoding="utf-8")
    code, _, err = run(["parse", "kz_legalacts", str(page)], capsys)
    assert code == 1 and "layout changed" in err and "div.contentlist" in err


def test_init_creates_private_home(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    code, out, _ = run(["--home", str(home), "init"], capsys)
    assert code == 0 and "created" in out
    assert (home / "tracker.toml").stat().st_mode & 0o777 == 0o600
    assert (home / "tracker.db").stat().st_mode & 0o777 == 0o600
    code, out, _ = run(["--home", str(home), "init"], capsys)
    assert "already exists" in out


def test_terminal_output_strips_escape_sequences(tmp_path: Path, replay: ReplayServer,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    legalacts_home(home, replay.base_url)
    hostile = fixture_text("kz_legalacts", "list_no_deadline_no_counters.html").replace(
        "О внесении", "\x1b[2J\x1b]0;pwned\x07О внесении", 1)
    replay.set("/list?types[0]=629", hostile)
    assert run(["--home", str(home), "scrape"], capsys)[0] == 0
    code, out, _ = run(["--home", str(home), "documents"], capsys)
    assert code == 0 and "\x1b" not in out and "\x07" not in out


def test_console_script_is_installed(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "tracker"
    if not exe.exists():
        pytest.skip("the tracker console script is not installed in this environment")
    env = {**os.environ, "TRACKER_HOME": str(tmp_path / "home")}
    done = subprocess.run([str(exe), "sources", "--json"], capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "kz_legalacts" in {s["key"] for s in json.loads(done.stdout)}


def test_demo_runs_the_pipeline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["demo", "--dir", str(tmp_path / "demo")], capsys)
    assert code == 0
    assert "round 2" in out and "synthetic demo data" in out
    code, out, _ = run(["--home", str(tmp_path / "demo"), "events", "--json"], capsys)
    events = json.loads(out)
    assert sorted(e["type"] for e in events if e["type"] != "matched") == [
        "counters_changed", "deadline_changed", "new", "new", "new", "new", "new",
        "stage_changed", "stage_changed"]
    # The demo matches against the default goals: both women's-rights drafts and the
    # archival-affairs / unlawful-content bill are found, the energy tariffs are not.
    matched = {(e["external_id"], e["new"]["goal"]) for e in events if e["type"] == "matched"}
    assert {("16000300", "domestic-violence"), ("16000410", "domestic-violence"),
            ("16000220", "sogi")} <= matched
    assert not any(doc == "16000250" for doc, _ in matched)
    deadline = next(e for e in events if e["type"] == "deadline_changed")
    assert (deadline["old"], deadline["new"]) == ("2026-11-16", "2026-11-23")


def test_sources_check_live(tmp_path: Path, replay: ReplayServer,
                            capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    legalacts_home(home, replay.base_url)
    replay.set("/robots.txt", "User-agent: *\nDisallow: /npa/view\n")
    replay.set("/list?types[0]=629", fixture_text("kz_legalacts", "list_types629_p1.html"))
    replay.set("/list?types[0]=629&page=2", fixture_text("kz_legalacts", "list_types629_p2.html"))
    code, out, _ = run(["--home", str(home), "sources", "check", "--live", "--json",
                        "--pages", "2"], capsys)
    assert code == 0
    result = json.loads(out)[0]
    assert (result["source"], result["ok"], result["items"]) == ("kz_legalacts", True, 10)
    assert len(replay.requests_to("/list")) == 2  # the budget
    # Nothing is stored by a check.
    assert json.loads(run(["--home", str(home), "documents", "--json"], capsys)[1]) == []

    replay.set("/list?types[0]=629", fixture_text("kz_legalacts", "list_cards_removed.html"))
    code, out, _ = run(["--home", str(home), "sources", "check", "--live", "--json"], capsys)
    result = json.loads(out)[0]
    assert code == 1 and result["ok"] is False and "div.contentlist" in result["message"]


def test_sources_check_needs_live(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["--home", str(tmp_path / "home"), "sources", "check"], capsys)
    assert code == 2 and "--live" in err


def test_demo_headless_mounts_the_dashboard(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["demo", "--dir", str(tmp_path / "demo"), "--headless"], capsys)
    assert code == 0, err
    assert "round 2" in out
