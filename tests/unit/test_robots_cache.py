"""robots.txt rules shared by every fetcher of one owner (the daemon's worker threads): a site's
robots.txt is read once for all of them, at most once at a time, and again after ROBOTS_TTL;
a failed read (5xx, unreachable = disallow) is never remembered; a 4xx stays "allow all";
each source's robots_override still applies only to that source."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tracker import fetch
from tracker.archive import Archive
from tracker.config import FetchSettings
from tracker.errors import FetchError, RobotsDisallowed
from tracker.fetch import Fetcher, RobotsCache
from tracker.replay import ReplayServer, Reply


def make(tmp_path: Path, robots: RobotsCache | None, archive: str = "archive") -> Fetcher:
    settings = FetchSettings(min_interval=0.0, retries=0, backoff=0.0)
    return Fetcher(settings, Archive(tmp_path / archive), robots=robots,
                   sleep=lambda _seconds: None)


def test_fetchers_sharing_a_cache_read_robots_once(tmp_path: Path,
                                                   replay: ReplayServer) -> None:
    replay.set("/robots.txt", "User-agent: *\nDisallow: /private\n")
    replay.set("/a", "a")
    replay.set("/b", "b")
    shared = RobotsCache()
    with make(tmp_path, shared) as one, make(tmp_path, shared) as two:
        assert one.get(f"{replay.base_url}/a").text == "a"
        assert two.get(f"{replay.base_url}/b").text == "b"
        with pytest.raises(RobotsDisallowed):
            two.get(f"{replay.base_url}/private/x")
    assert len(replay.requests_to("/robots.txt")) == 1
    # The request is counted (and logged) by the fetcher that made it, once.
    assert (one.stats.requests, two.stats.requests) == (2, 1)


def test_fetchers_without_a_shared_cache_stay_apart(tmp_path: Path,
                                                    replay: ReplayServer) -> None:
    """The default: each fetcher has its own rules (a test's server, a one-off check)."""
    replay.set("/robots.txt", "User-agent: *\nAllow: /\n")
    replay.set("/a", "a")
    with make(tmp_path, None) as one, make(tmp_path, None) as two:
        one.get(f"{replay.base_url}/a")
        two.get(f"{replay.base_url}/a")
    assert len(replay.requests_to("/robots.txt")) == 2


def test_an_override_stays_with_its_source(tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/robots.txt", "User-agent: *\nDisallow: /view\n")
    replay.set("/view/1", "one")
    shared = RobotsCache()
    with make(tmp_path, shared) as overriding, make(tmp_path, shared) as plain:
        assert overriding.get(f"{replay.base_url}/view/1", allow_paths=("/view",)).text == "one"
        assert overriding.stats.log[-1].robots_override is True
        with pytest.raises(RobotsDisallowed):
            plain.get(f"{replay.base_url}/view/1")
    assert len(replay.requests_to("/robots.txt")) == 1
    assert len(replay.requests_to("/view/1")) == 1


def test_a_4xx_robots_is_remembered_as_allow_all(tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/robots.txt", Reply(b"gone", status=404))
    replay.set("/a", "a")
    shared = RobotsCache()
    with make(tmp_path, shared) as one, make(tmp_path, shared) as two:
        assert one.get(f"{replay.base_url}/a").text == "a"
        assert two.get(f"{replay.base_url}/a").text == "a"
    assert len(replay.requests_to("/robots.txt")) == 1


def test_a_failed_robots_read_is_not_remembered(tmp_path: Path, replay: ReplayServer) -> None:
    """5xx = complete disallow for now; the next fetch asks again (the site may be back)."""
    replay.set("/robots.txt", Reply(b"down", status=503), "User-agent: *\nAllow: /\n")
    replay.set("/a", "a")
    shared = RobotsCache()
    with make(tmp_path, shared) as one, make(tmp_path, shared) as two:
        with pytest.raises(FetchError, match=r"robots\.txt unreachable, not crawling: HTTP 503"):
            one.get(f"{replay.base_url}/a")
        assert not replay.requests_to("/a")
        assert two.get(f"{replay.base_url}/a").text == "a"
    assert [e.status for e in replay.requests_to("/robots.txt")] == [503, 200]


def test_unreachable_robots_is_not_remembered(tmp_path: Path) -> None:
    shared = RobotsCache()
    with ReplayServer(max_requests=50, lifetime=30) as server:
        base = server.base_url
    # The server is gone: nothing listens on its port any more.
    with make(tmp_path, shared) as one, pytest.raises(FetchError, match="unreachable"):
        one.get(f"{base}/a")
    assert len(shared) == 0


def test_rules_expire_after_their_time_to_live(tmp_path: Path, replay: ReplayServer,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    replay.set("/robots.txt", "User-agent: *\nAllow: /\n", "User-agent: *\nDisallow: /\n")
    replay.set("/a", "a")
    shared = RobotsCache()
    with make(tmp_path, shared) as one:
        one.get(f"{replay.base_url}/a")
        one.get(f"{replay.base_url}/a")
        assert len(replay.requests_to("/robots.txt")) == 1
        monkeypatch.setattr(fetch, "ROBOTS_TTL", -1.0)  # RFC 9309 §2.4: at most 24 hours
        with pytest.raises(RobotsDisallowed):
            one.get(f"{replay.base_url}/a")
    assert len(replay.requests_to("/robots.txt")) == 2


def test_clear_forgets_every_site(tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/robots.txt", "User-agent: *\nAllow: /\n")
    replay.set("/a", "a")
    shared = RobotsCache()
    with make(tmp_path, shared) as one:
        one.get(f"{replay.base_url}/a")
        assert len(shared) == 1
        shared.clear()
        assert len(shared) == 0
        one.get(f"{replay.base_url}/a")
    assert len(replay.requests_to("/robots.txt")) == 2


def test_threads_asking_at_once_read_robots_once(tmp_path: Path, replay: ReplayServer) -> None:
    """Worker threads that miss at the same moment wait for the one read under way."""
    replay.set("/robots.txt", Reply(b"User-agent: *\nAllow: /\n", stall=0.4))
    replay.set("/a", "a")
    shared = RobotsCache()
    # Own archives: Archive.put's temporary name is per process, not per thread, so two
    # threads storing the same bytes at once into one archive would collide.
    fetchers = [make(tmp_path, shared, f"archive{n}") for n in range(4)]
    start = threading.Barrier(len(fetchers))
    texts: list[str | None] = []
    failures: list[BaseException] = []

    def work(fetcher: Fetcher) -> None:
        start.wait(timeout=10)
        try:
            texts.append(fetcher.get(f"{replay.base_url}/a").text)
        except BaseException as exc:  # surfaced by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(f,)) for f in fetchers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for fetcher in fetchers:
        fetcher.close()
    assert not failures
    assert texts == ["a"] * 4
    assert len(replay.requests_to("/robots.txt")) == 1
