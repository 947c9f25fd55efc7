"""The polite fetcher against a real local server: retries, robots, caps, charsets, pacing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.archive import Archive
from tracker.config import FetchSettings
from tracker.errors import FetchError, RobotsDisallowed
from tracker.fetch import Fetcher, decode_body, retry_after_seconds
from tracker.replay import ReplayServer, Reply


class RecordingSleep:
    """Collects the delays the fetcher asks for (so back-off is checked, not waited)."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def make(tmp_path: Path, sleep: RecordingSleep | None = None, **overrides: object) -> Fetcher:
    values: dict[str, object] = {"min_interval": 0.0, "retries": 2, "backoff": 0.5}
    values.update(overrides)
    settings = FetchSettings(**values)  # type: ignore[arg-type]
    return Fetcher(settings, Archive(tmp_path / "archive"), sleep=sleep or RecordingSleep())


def test_retries_5xx_with_exponential_backoff(tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/p", Reply(b"x", status=502), Reply(b"x", status=500), "ok")
    sleep = RecordingSleep()
    with make(tmp_path, sleep) as fetcher:
        result = fetcher.get(f"{replay.base_url}/p")
    assert result.text == "ok"
    assert [e.status for e in replay.requests_to("/p")] == [502, 500, 200]
    assert sleep.calls == [0.5, 1.0]


def test_gives_up_after_retries(tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/p", Reply(b"down", status=503))
    with make(tmp_path) as fetcher, pytest.raises(FetchError, match="HTTP 503 after 3 attempts"):
        fetcher.get(f"{replay.base_url}/p")
    assert len(replay.requests_to("/p")) == 3


def test_honours_retry_after(tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/p", Reply(b"slow down", status=429, headers=(("Retry-After", "7"),)), "ok")
    sleep = RecordingSleep()
    with make(tmp_path, sleep) as fetcher:
        assert fetcher.get(f"{replay.base_url}/p").text == "ok"
    assert sleep.calls == [7.0]


def test_refuses_an_excessive_retry_after(tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/p", Reply(b"", status=429, headers=(("Retry-After", "3600"),)))
    with make(tmp_path, max_retry_after=60.0) as fetcher, \
            pytest.raises(FetchError, match="asks to wait 3600 s"):
        fetcher.get(f"{replay.base_url}/p")
    assert len(replay.requests_to("/p")) == 1


def test_no_retry_on_404(tmp_path: Path, replay: ReplayServer) -> None:
    with make(tmp_path) as fetcher, pytest.raises(FetchError) as info:
        fetcher.get(f"{replay.base_url}/missing")
    assert info.value.status == 404
    assert len(replay.requests_to("/missing")) == 1


def test_network_error_is_retried_then_reported(tmp_path: Path) -> None:
    sleep = RecordingSleep()
    # Port 9 on loopback: nothing listens, the connection is refused at once.
    with make(tmp_path, sleep, retries=1) as fetcher, pytest.raises(FetchError, match="network"):
        fetcher.get("http://127.0.0.1:9/x")
    assert sleep.calls == [0.5]
    assert [e.error is not None for e in fetcher.stats.log] == [True, True]


def test_robots_disallow_and_explicit_override(tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/robots.txt", "User-agent: *\nDisallow: /npa/view\n")
    replay.set("/npa/view?id=1", "card")
    with make(tmp_path) as fetcher:
        with pytest.raises(RobotsDisallowed):
            fetcher.get(f"{replay.base_url}/npa/view?id=1")
        assert replay.requests_to("/npa/view") == []
        result = fetcher.bound(("/npa/view",)).get(f"{replay.base_url}/npa/view?id=1")
    assert result.text == "card"
    assert fetcher.stats.log[-1].robots_override is True


def test_robots_404_allows_everything(tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/p", "ok")
    with make(tmp_path) as fetcher:
        assert fetcher.get(f"{replay.base_url}/p").text == "ok"


def test_robots_unreachable_means_no_crawl(tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/robots.txt", Reply(b"", status=500))
    replay.set("/p", "ok")
    with make(tmp_path, retries=0) as fetcher, pytest.raises(FetchError, match=r"robots\.txt"):
        fetcher.get(f"{replay.base_url}/p")
    assert replay.requests_to("/p") == []


def test_redirect_target_is_checked_against_robots(tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/robots.txt", "User-agent: *\nDisallow: /private\n")
    replay.set("/go", Reply(b"", status=302, headers=(("Location", "/private/x"),)))
    with make(tmp_path) as fetcher, pytest.raises(RobotsDisallowed):
        fetcher.get(f"{replay.base_url}/go")
    assert replay.requests_to("/private/x") == []


def test_size_cap(tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/big", b"x" * 5000)
    with make(tmp_path, max_bytes=1000) as fetcher, pytest.raises(FetchError, match="max_bytes"):
        fetcher.get(f"{replay.base_url}/big")


def test_conditional_request_and_304(tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/p", "page")

    class Known:
        def __init__(self) -> None:
            self.etag: str | None = None

        def validators_for(self, url: str) -> tuple[str | None, str | None] | None:
            return (self.etag, None) if self.etag else None

    known = Known()
    with make(tmp_path) as fetcher:
        fetcher.validators = known
        first = fetcher.get(f"{replay.base_url}/p")
        etag = fetcher.stats.new_validators[first.url][0]
        known.etag = etag
        second = fetcher.get(f"{replay.base_url}/p")
    assert not first.not_modified and second.not_modified and second.text is None
    assert replay.requests_to("/p")[1].headers["If-None-Match"] == etag


def test_every_response_is_archived(tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/p", Reply(b"busy", status=503), "fine")
    with make(tmp_path) as fetcher:
        fetcher.get(f"{replay.base_url}/p")
    archive = Archive(tmp_path / "archive")
    statuses = sorted(archive.get(e.sha256).status for e in fetcher.stats.log if e.sha256)
    assert statuses == [200, 404, 503]  # the robots.txt 404 is evidence too


def test_pacing_between_requests_to_one_host(tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/robots.txt", "User-agent: *\nAllow: /\n")
    replay.set("/a", "a")
    sleep = RecordingSleep()
    with make(tmp_path, sleep, min_interval=5.0) as fetcher:
        fetcher.get(f"{replay.base_url}/a")
        fetcher.get(f"{replay.base_url}/a")
    # robots.txt, /a, /a: two waits of almost the full interval.
    assert len(sleep.calls) == 2 and all(4.0 < s <= 5.0 for s in sleep.calls)


def test_user_agent_is_browser_like_and_names_the_tracker(
        tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/p", "ok")
    with make(tmp_path) as fetcher:
        fetcher.get(f"{replay.base_url}/p")
    agent = replay.requests_to("/p")[0].headers["User-Agent"]
    assert agent.startswith("Mozilla/5.0") and "advocacy-tracker" in agent


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ("Закон".encode("cp1251"), "text/html; charset=windows-1251", "Закон"),
        (b'<meta charset="windows-1251">' + "Закон".encode("cp1251"), None, "Закон"),
        (b'<?xml version="1.0" encoding="koi8-r"?>' + "Закон".encode("koi8_r"), None,
         "Закон"),
        ("Закон".encode(), "text/html", "Закон"),
        ("Закон".encode(), "text/html; charset=no-such-charset", "Закон"),
    ],
)
def test_charset_detection(body: bytes, content_type: str | None, expected: str) -> None:
    assert decode_body(body, content_type).endswith(expected)


def test_retry_after_http_date() -> None:
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after_seconds("soon") is None


def test_post_json_is_archived_and_paced(tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/graphql", Reply(b'{"data": {"news": []}}', status=503), '{"data": {"news": []}}')
    with make(tmp_path) as fetcher:
        result = fetcher.post_json(f"{replay.base_url}/graphql", {"query": "{ news { id } }"})
    assert result.text == '{"data": {"news": []}}'
    posts = replay.requests_to("/graphql")
    assert [p.status for p in posts] == [503, 200]
    assert posts[0].headers["Content-Type"] == "application/json"
    assert posts[0].body == b'{"query": "{ news { id } }"}'
