"""The daemon's source jobs and their fetchers: one fetcher per worker thread (connections
kept open between jobs, counts never mixed between two runs at the same moment), robots.txt
rules shared by all of them, everything closed at shutdown."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sources.base import registry
from tracker.alerts import mail_context
from tracker.catalog import load_home_settings
from tracker.fetch import Fetcher
from tracker.replay import ReplayServer, Reply
from tracker.scheduling import Runtime, _run_source_job, job_specs
from tracker.store import Store

PAGE = ("<html><body><ul><li data-id='{0}'><a href='/doc/{0}'>Проект № {0}</a></li></ul>"
        "</body></html>")


def write_home(home: Path, base_url: str, sources: int) -> Path:
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
        f"{disabled}[fetch]\nmin_interval = 0.0\nretries = 0\n{pages}\n", encoding="utf-8")
    return home


@pytest.fixture
def runtime(tmp_path: Path, replay: ReplayServer, store_url: str) -> Iterator[Runtime]:
    settings = load_home_settings(write_home(tmp_path / "home", replay.base_url, 2))
    store = Store.open(store_url)
    ctx = mail_context(settings, store)
    rt = Runtime(settings, store, ctx, job_specs(settings, ctx.mail))
    yield rt
    rt.close_fetcher()
    store.close()


def in_threads(count: int, work: object) -> list[object]:
    """Run ``work(i)`` in ``count`` threads started together; their results in order."""
    start = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(i: int) -> None:
        start.wait(timeout=10)
        try:
            results[i] = work(i)  # type: ignore[operator]
        except BaseException as exc:  # surfaced by the caller's assertions
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_each_worker_thread_has_its_own_fetcher(runtime: Runtime) -> None:
    mine = runtime.fetcher()
    assert runtime.fetcher() is mine  # kept between jobs: connections stay open
    others = in_threads(2, lambda _i: runtime.fetcher())
    assert all(isinstance(f, Fetcher) for f in others)
    assert len({id(mine), *map(id, others)}) == 3


def test_jobs_running_at_once_keep_their_own_counts_and_read_robots_once(
        runtime: Runtime, replay: ReplayServer) -> None:
    replay.set("/robots.txt", Reply(b"User-agent: *\nDisallow: /private\n", stall=0.3))
    for n in range(2):
        replay.set(f"/list/{n}", Reply(PAGE.format(n).encode(), stall=0.3))
    outcomes = in_threads(2, lambda i: _run_source_job(runtime, f"page{i}"))
    assert [o[0] if isinstance(o, tuple) else o for o in outcomes] == [True, True]
    assert len(replay.requests_to("/robots.txt")) == 1
    # Each run's stored counts are its own: one page each, robots.txt in whichever read it.
    runs = runtime.store.last_runs()
    assert sorted(runs[f"page{i}"]["requests"] for i in range(2)) == [1, 2]
    for i in range(2):
        urls = {e["url"] for e in runtime.store.fetch_log(runs[f"page{i}"]["id"])}
        assert urls - {f"{replay.base_url}/robots.txt"} == {f"{replay.base_url}/list/{i}"}


def test_shutdown_closes_every_fetcher(runtime: Runtime, replay: ReplayServer) -> None:
    replay.set("/robots.txt", "User-agent: *\nAllow: /\n")
    replay.set("/list/0", PAGE.format(0))
    made = in_threads(2, lambda _i: runtime.fetcher())
    for fetcher in made:
        assert isinstance(fetcher, Fetcher)
        fetcher.get(f"{replay.base_url}/list/0", conditional=False)
        assert fetcher._clients  # a connection pool is open
    runtime.close_fetcher()
    assert all(not f._clients for f in made if isinstance(f, Fetcher))
    assert runtime.fetcher() not in made  # a later job starts afresh
