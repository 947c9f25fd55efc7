"""`tracker run --once` end to end: a local replay of the demo pages, the real scrape and
matcher, a real SMTP server on 127.0.0.1; then `digest --preview/--send`, and the lock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sources.base import registry
from tests.test_mail_support import parts, smtp_server
from tracker.cli import main
from tracker.demo.scenario import demo_config, serve_round
from tracker.lock import SchedulerLock
from tracker.replay import ReplayServer
from tracker.store import Store

AIGERIM, DANA = "aigerim@ngo.example", "dana@ngo.example"
GOALS = """
[[goal]]
id = "domestic-violence"
name = "Domestic violence"
stance = "support"
priority = 1
query = '''"прав женщин" OR "бытовое насилие"'''

[[goal]]
id = "civic-space"
name = "Civic space"
stance = "oppose"
priority = 2
query = '''"противоправного контента"'''
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No home or database from the developer's environment."""
    monkeypatch.delenv("TRACKER_HOME", raising=False)
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def make_home(tmp_path: Path, base_url: str, port: int) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    others = [key for key in registry() if key != "kz_legalacts"]
    (home / "tracker.toml").write_text(demo_config(base_url, others) + f"""
[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
from = "tracker@ngo.example"

[schedule]
office_hours = ""
jitter_minutes = 0

[[recipients]]
email = "{AIGERIM}"
goals = ["domestic-violence"]

[[recipients]]
email = "{DANA}"
goals = ["civic-space"]
""", encoding="utf-8")
    (home / "goals.toml").write_text(GOALS, encoding="utf-8")
    return home


@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    with ReplayServer(max_requests=500, lifetime=120) as server:
        serve_round(server, 1)
        yield server


def test_run_once_delivers_one_digest_per_recipient_then_nothing(
        tmp_path: Path, replay: ReplayServer, capsys: pytest.CaptureFixture[str]) -> None:
    with smtp_server() as (inbox, port):
        home = make_home(tmp_path, replay.base_url, port)
        code, out, err = run(["--home", str(home), "run", "--once", "--json"], capsys)
        assert code == 0, err
        results = {r["job"]: r for r in json.loads(out)}
        assert results["source:kz_legalacts"]["action"] == "ran"
        assert results["source:kz_legalacts"]["detail"].startswith("ok: 4 new")
        assert results[f"digest:{AIGERIM}"]["action"] == "ran"
        (a,), (d,) = inbox.to(AIGERIM), inbox.to(DANA)
        a_text, a_html = parts(a)
        d_text, _ = parts(d)
        assert "обеспечения прав женщин" in a_text and "архивного дела" not in a_text
        assert "архивного дела" in d_text and "прав женщин" not in d_text
        assert "энергетики" not in a_text + d_text  # matches no goal
        assert 'href="' + replay.base_url + '/npa/view?id=16000300"' in a_html
        # Again at once: nothing is due, nothing is sent.
        code, out, _ = run(["--home", str(home), "run", "--once", "--json"], capsys)
        assert code == 0
        assert {r["action"] for r in json.loads(out)} == {"waiting"}
        assert len(inbox.received) == 2
        # The daemon's log is in the home, owner-only.
        log = home / "logs" / "tracker.log"
        assert log.stat().st_mode & 0o777 == 0o600 and "digest for" in log.read_text()
        # A preview changes nothing; a manual send finds nothing new.
        code, out, _ = run(["--home", str(home), "digest", "--preview"], capsys)
        assert code == 0 and "(empty: would not be sent)" in out
        code, out, _ = run(["--home", str(home), "digest", "--send", "--json"], capsys)
        assert code == 0 and {o["status"] for o in json.loads(out)} == {"empty"}
        assert len(inbox.received) == 2


def test_preview_prints_without_sending(tmp_path: Path, replay: ReplayServer,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    with smtp_server() as (inbox, port):
        home = make_home(tmp_path, replay.base_url, port)
        assert run(["--home", str(home), "scrape", "kz_legalacts"], capsys)[0] == 0
        code, out, _ = run(["--home", str(home), "digest", "--preview", "--recipient", AIGERIM],
                           capsys)
        assert code == 0 and f"To: {AIGERIM}" in out and "прав женщин" in out
        assert DANA not in out
        code, out, _ = run(["--home", str(home), "digest", "--preview", "--html",
                            "--recipient", DANA], capsys)
        assert code == 0 and "<!DOCTYPE html>" in out and "архивного дела" in out
        assert inbox.received == []
        code, out, _ = run(["--home", str(home), "digest", "--send", "--recipient", DANA],
                           capsys)
        assert code == 0 and f"{DANA}: sent" in out
        assert len(inbox.to(DANA)) == 1 and inbox.to(AIGERIM) == []


@pytest.mark.parametrize(("argv", "message"), [
    (["digest"], "exactly one of --preview or --send"),
    (["digest", "--preview", "--send"], "exactly one of --preview or --send"),
    (["digest", "--preview", "--recipient", "nobody@ngo.example"], "not a configured recipient"),
])
def test_digest_usage_errors(tmp_path: Path, replay: ReplayServer, argv: list[str],
                             message: str, capsys: pytest.CaptureFixture[str]) -> None:
    home = make_home(tmp_path, replay.base_url, 2525)
    code, _, err = run(["--home", str(home), *argv], capsys)
    assert code == 2 and message in err and err.count("\n") == 1


def test_bad_mail_config_is_one_line_exit_2(tmp_path: Path, replay: ReplayServer,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    home = make_home(tmp_path, replay.base_url, 2525)
    text = (home / "tracker.toml").read_text(encoding="utf-8")
    (home / "tracker.toml").write_text(text.replace('goals = ["civic-space"]',
                                                    'goals = ["no-such-goal"]'), "utf-8")
    code, _, err = run(["--home", str(home), "run", "--once"], capsys)
    assert code == 2 and err.count("\n") == 1
    assert "tracker.toml" in err and "dana@ngo.example goals" in err and "no-such-goal" in err


def test_second_scheduler_is_refused_with_the_holder(tmp_path: Path, replay: ReplayServer,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    with smtp_server() as (inbox, port):
        home = make_home(tmp_path, replay.base_url, port)
        store = Store.open(f"sqlite:///{home / 'tracker.db'}")
        try:
            with SchedulerLock(store.engine) as held:
                code, _, err = run(["--home", str(home), "run", "--once"], capsys)
                assert code == 1 and f"pid {held.pid}" in err and held.host in err
                code, _, err = run(["--home", str(home), "digest", "--send"], capsys)
                assert code == 1 and "another scheduler is running" in err
            assert inbox.received == [] and replay.requests_to("/list") == []
        finally:
            store.close()
