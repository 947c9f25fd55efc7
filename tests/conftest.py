"""Shared fixtures: a replay server on 127.0.0.1, homes pointed at it, store URLs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from sources.base import registry
from tracker.archive import Archive
from tracker.catalog import load_home_settings
from tracker.config import Settings
from tracker.fetch import Fetcher
from tracker.replay import ReplayServer
from tracker.store import Store

FIXTURES = Path(__file__).parent / "sources" / "fixtures"


def fixture_text(source: str, name: str) -> str:
    """A synthetic fixture page of this project."""
    return (FIXTURES / source / name).read_text(encoding="utf-8")


@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    """A replay server that stops after the test (and by itself after 120 s / 2000 requests)."""
    with ReplayServer(max_requests=2000, lifetime=120) as server:
        yield server


def write_home(home: Path, body: str) -> Path:
    """Create a home folder holding ``body`` as tracker.toml."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "tracker.toml").write_text(body, encoding="utf-8")
    return home


def fast_fetch_table() -> str:
    """A [fetch] table for tests: no pacing, quick back-off."""
    return "[fetch]\nmin_interval = 0.0\nretries = 2\nbackoff = 0.01\n"


DRAFT_LAWS = '[ { name = "draft-laws", params = { "types[0]" = "629" }, max_pages = 5 } ]'


def legalacts_home(
    home: Path, base_url: str, extra: str = "", queries: str = DRAFT_LAWS
) -> Settings:
    """A home whose kz_legalacts source watches ``queries`` (draft laws) at ``base_url``;
    every other source is disabled (no test may reach a real site)."""
    others = "".join(
        f"[sources.{key}]\nenabled = false\n" for key in registry() if key != "kz_legalacts"
    )
    write_home(
        home,
        fast_fetch_table()
        + others
        + f"""
[sources.kz_legalacts]
base_url = "{base_url}"
search_terms = []
queries = {queries}
{extra}
""",
    )
    return load_home_settings(home)


@pytest.fixture
def make_fetcher() -> Iterator[object]:
    """Factory: a Fetcher for settings + store, closed after the test."""
    made: list[Fetcher] = []

    def build(settings: Settings, store: Store | None) -> Fetcher:
        fetcher = Fetcher(settings.fetch, Archive(settings.archive_dir), store)
        made.append(fetcher)
        return fetcher

    yield build
    for fetcher in made:
        fetcher.close()


def database_urls() -> list[str]:
    """SQLite always; PostgreSQL too when TRACKER_TEST_DATABASE_URL is set."""
    urls = ["sqlite"]
    if os.environ.get("TRACKER_TEST_DATABASE_URL"):
        urls.append("postgresql")
    return urls


@pytest.fixture(params=database_urls())
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL (each PostgreSQL test gets a clean schema)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    url = os.environ["TRACKER_TEST_DATABASE_URL"]
    _reset_postgres(url)
    yield url
    _reset_postgres(url)


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
