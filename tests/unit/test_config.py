"""tracker.toml validation: one clear message naming the file, the key and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.catalog import load_home_settings
from tracker.config import init_home, resolve_home
from tracker.errors import ConfigError


def load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    (tmp_path / "tracker.toml").write_text(text, encoding="utf-8")
    return load_home_settings(tmp_path)


def test_defaults_file_is_valid(tmp_path: Path) -> None:
    init_home(tmp_path / "home")
    settings = load_home_settings(tmp_path / "home")
    assert settings.fetch.min_interval == 1.0
    assert settings.source("kz_legalacts").base_url == "https://legalacts.egov.kz"
    assert settings.database_url.endswith("home/tracker.db")


def test_contract_keys(tmp_path: Path) -> None:
    settings = load(tmp_path, """
[fetch]
min_interval = 2.5
proxy = "socks5://127.0.0.1:9050"
[sources.kz_legalacts]
enabled = false
base_url = "http://127.0.0.1:8000"
""")
    assert settings.fetch.min_interval == 2.5
    assert settings.fetch.proxy == "socks5://127.0.0.1:9050"
    assert settings.source("kz_legalacts").enabled is False
    assert settings.source("kz_legalacts").base_url == "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[fetch]\nmin_intervl = 1\n", "[fetch] unknown key 'min_intervl'"),
        ("[fetch]\nmin_interval = \"fast\"\n", "[fetch] min_interval: expected a number"),
        ("[fetch]\nmin_interval = -1\n", "[fetch] min_interval: must be >= 0.0"),
        ("[fetch]\nproxy = \"ftp://x\"\n", "proxy: scheme must be"),
        ("[sources.nope]\nenabled = true\n", "[sources.nope] unknown source 'nope'"),
        ("[sources.kz_legalacts]\nenabled = \"yes\"\n", "enabled: expected true or false"),
        ("[sources.kz_legalacts]\nbase_url = \"legalacts\"\n", "base_url: not an http(s) URL"),
        ("[sources.kz_legalacts]\nmax_pages = 0\n", "max_pages: a positive integer"),
        ("[sources.kz_legalacts]\nfoo = 1\n", "unknown key 'foo' for source 'kz_legalacts'"),
        ("[sources.kz_legalacts]\nrobots_override = { paths = [\"/npa/view\"] }\n",
         "robots_override.reason: a written reason"),
        ("colour = \"red\"\n", "unknown key 'colour'"),
        ("[fetch\n", "tracker.toml: "),
    ],
)
def test_bad_config_is_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    line = str(info.value)
    assert message in line
    assert str(tmp_path / "tracker.toml") in line
    assert "\n" not in line


def test_home_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_HOME", str(tmp_path / "env"))
    assert resolve_home(str(tmp_path / "flag")) == tmp_path / "env"
    monkeypatch.delenv("TRACKER_HOME")
    assert resolve_home(str(tmp_path / "flag")) == tmp_path / "flag"
    assert "advocacy-tracker" in str(resolve_home(None))


def test_home_and_config_are_owner_only(tmp_path: Path) -> None:
    home = tmp_path / "home"
    init_home(home)
    assert home.stat().st_mode & 0o777 == 0o700
    assert (home / "tracker.toml").stat().st_mode & 0o777 == 0o600
