"""`tracker` / `tracker dashboard`, the demo entry point, running a source from the
Sources screen, and the import boundary (the core never loads Textual)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import legalacts_home
from tests.tui.conftest import cells, drive, make_app, settle
from tests.tui.seed import seed
from tracker.catalog import load_home_settings
from tracker.cli import main
from tracker.config import init_home
from tracker.demo.scenario import serve_round
from tracker.replay import ReplayServer
from tracker.store import Store
from tracker.store.schema import source_runs


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home whose store is seeded."""
    monkeypatch.delenv("TRACKER_HOME", raising=False)
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    home = tmp_path / "home"
    init_home(home)
    store, _ids = seed(home / "tracker.db")
    store.close()
    return home


def test_core_never_imports_textual() -> None:
    code = ("import sys, tracker.cli, tracker.views, tracker.cli.dashboard; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'tui')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_bare_tracker_without_a_terminal_prints_help(
    home: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_cli(["--home", str(home)], capsys)
    assert code == 0 and "Usage:" in out and "dashboard" in out


def test_dashboard_needs_a_terminal(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["--home", str(home), "dashboard"], capsys)
    assert code == 2 and "interactive terminal" in err


def test_dashboard_headless_mounts_and_exits(
    home: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run_cli(["--home", str(home), "dashboard", "--headless"], capsys)
    assert (code, err) == (0, "")


def test_demo_dashboard_says_it_is_a_demo(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui import app as tui_app

    titles: list[str] = []
    real_run = tui_app.TrackerApp.run

    def spy(self: Any, **options: Any) -> Any:
        titles.append(self.title)
        return real_run(self, **options)

    monkeypatch.setattr(tui_app.TrackerApp, "run", spy)
    settings = load_home_settings(home)
    assert tui_app.run_demo_dashboard(settings, headless=True) == 0
    assert "DEMO DATA" in titles[0]


def test_run_a_source_now_from_the_sources_screen(tmp_path: Path) -> None:
    with ReplayServer(max_requests=200, lifetime=60) as server:
        serve_round(server, 1)
        settings = legalacts_home(tmp_path / "home", server.base_url)
        store = Store.open(settings.database_url)

        async def scenario() -> None:
            app = make_app(store, settings=settings)
            async with app.run_test(size=(140, 40)) as pilot:
                await settle(pilot)
                await pilot.press("s")
                await settle(pilot)
                table = app.screen.query_one("#sources")
                assert [r[0] for r in cells(table)] == ["kz_legalacts"]
                assert cells(table)[0][1] == "never run"
                await pilot.press("r")
                for _ in range(100):  # the run is a worker; the UI keeps answering
                    await settle(pilot)
                    if cells(app.screen.query_one("#sources"))[0][4] == "ok":
                        break
                source, health, _since, _last, result, counts, *_ = cells(
                    app.screen.query_one("#sources"))[0]
                assert (source, health, result) == ("kz_legalacts", "ok", "ok")
                assert counts.startswith("+2 ")  # two draft laws inserted

        try:
            drive(scenario)
        finally:
            with store.engine.connect() as conn:
                runs = conn.execute(select(func.count()).select_from(source_runs)).scalar()
            store.close()
        assert runs == 1
