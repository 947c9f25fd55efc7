"""The scheduler's source jobs share one fetcher: a site's robots.txt is read once per
process (it was read before every source, doubling the requests of a cycle), and it is read
again after its time to live."""

from __future__ import annotations

from pathlib import Path

import pytest

from sources.base import registry
from tracker import fetch
from tracker.cli import main
from tracker.replay import ReplayServer

PAGE = ("<html><body><ul>{}</ul></body></html>")
ITEM = "<li data-id='{0}'><a href='/doc/{0}'>Проект приказа № {0}</a></li>"


def write_home(tmp_path: Path, base_url: str, sources: int) -> Path:
    home = tmp_path / "home"
    home.mkdir(parents=True)
    disabled = "".join(f"[sources.{key}]\nenabled = false\n\n" for key in registry())
    pages = "".join(f"""
[sources.page{n}]
type = "html"
url = "{base_url}/list/{n}"
item = "li"
fields = {{ id = "@data-id", title = "a", url = "a@href" }}
""" for n in range(sources))
    (home / "tracker.toml").write_text(
        f"{disabled}[fetch]\nmin_interval = 0.0\nretries = 0\n{pages}\n"
        "[schedule]\noffice_hours = \"\"\njitter_minutes = 0\n", encoding="utf-8")
    return home


def run_once(home: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--home", str(home), "run", "--once", "--json"])
    assert info.value.code in (0, None)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACKER_HOME", raising=False)
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)


def test_robots_is_read_once_for_all_sources_of_a_site(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    with ReplayServer(max_requests=200, lifetime=60) as server:
        server.set("/robots.txt", "User-agent: *\nDisallow: /private\n")
        for n in range(4):
            server.set(f"/list/{n}", PAGE.format(ITEM.format(n)))
        home = write_home(tmp_path, server.base_url, 4)
        run_once(home)
        assert len(server.requests_to("/robots.txt")) == 1
        assert all(len(server.requests_to(f"/list/{n}")) == 1 for n in range(4))
        # Past its time to live, robots.txt is read again (RFC 9309: at most 24 hours).
        monkeypatch.setattr(fetch, "ROBOTS_TTL", -1.0)
        server.log.clear()
        run_once(write_home(tmp_path / "second", server.base_url, 4))  # every job due again
        assert len(server.requests_to("/robots.txt")) == 4
