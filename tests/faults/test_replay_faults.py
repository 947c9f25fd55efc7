"""The replay server's fault injection, seen from a plain HTTP client (httpx, no fetcher):
each Reply option produces exactly the symptom the matrix relies on."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from tracker.replay import ReplayServer, Reply

BODY = b"<html>" + "Закон".encode() * 200 + b"</html>"


def get(server: ReplayServer, path: str, timeout: float = 2.0) -> httpx.Response:
    with httpx.Client(timeout=timeout) as client:
        return client.get(f"{server.base_url}{path}")


def test_a_stall_is_a_read_timeout(replay: ReplayServer) -> None:
    replay.set("/p", Reply(BODY, stall=1.0))
    with pytest.raises(httpx.ReadTimeout):
        get(replay, "/p", timeout=0.2)
    assert [e.status for e in replay.requests_to("/p")] == [200]


def test_a_cut_with_fin_is_an_incomplete_body(replay: ReplayServer) -> None:
    replay.set("/p", Reply(BODY, cut_after=100))
    with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
        get(replay, "/p")
    assert replay.requests_to("/p")[0].body_sent == 100


def test_a_cut_with_reset_is_a_connection_reset(replay: ReplayServer) -> None:
    replay.set("/p", Reply(BODY, cut_after=100, cut="reset"))
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        get(replay, "/p")


def test_without_length_the_body_ends_with_the_connection(replay: ReplayServer) -> None:
    replay.set("/whole", Reply(BODY, send_length=False))
    replay.set("/cut", Reply(BODY, send_length=False, cut_after=100))
    whole = get(replay, "/whole")
    assert "content-length" not in whole.headers and whole.content == BODY
    assert get(replay, "/cut").content == BODY[:100]  # looks complete to the client


def test_a_drip_sends_a_few_bytes_at_a_time(replay: ReplayServer) -> None:
    replay.set("/p", Reply(b"x" * 40, drip=0.05, drip_bytes=10))
    started = time.monotonic()
    assert get(replay, "/p").content == b"x" * 40
    assert time.monotonic() - started >= 0.15  # three pauses between four pieces


def test_filler_is_generated_lazily_and_announced(replay: ReplayServer) -> None:
    replay.set("/big", Reply(b"{", filler=3_000_000))
    with httpx.Client() as client, client.stream("GET", f"{replay.base_url}/big") as response:
        assert response.headers["content-length"] == "3000001"
        received = sum(len(chunk) for chunk in response.iter_bytes())
    assert received == 3_000_001
    assert replay.requests_to("/big")[0].body_sent == 3_000_001


def test_a_client_hanging_up_is_counted_not_raised(replay: ReplayServer) -> None:
    replay.set("/big", Reply(b"", filler=50_000_000))
    with httpx.Client() as client, client.stream("GET", f"{replay.base_url}/big") as response:
        next(response.iter_bytes())
    time.sleep(0.2)
    sent = replay.requests_to("/big")[0].body_sent
    assert 0 < sent < 50_000_000
    replay.set("/p", "still serving")
    assert get(replay, "/p").text == "still serving"


def test_stop_ends_a_stall_at_once() -> None:
    server = ReplayServer(max_requests=10, lifetime=30).start()
    server.set("/p", Reply(BODY, stall=30.0))
    failure: list[BaseException] = []

    def fetch() -> None:
        try:
            get(server, "/p", timeout=10.0)
        except httpx.HTTPError as exc:
            failure.append(exc)

    worker = threading.Thread(target=fetch)
    worker.start()
    time.sleep(0.2)
    started = time.monotonic()
    server.stop()
    worker.join(5.0)
    assert not worker.is_alive() and failure
    assert time.monotonic() - started < 2.0


def test_reply_at_shows_what_a_route_serves(replay: ReplayServer) -> None:
    replay.set("/p", Reply(BODY, status=503), "ok")
    current = replay.reply_at("/p?")
    assert current is not None and current.status == 503
    assert replay.reply_at("/nowhere") is None
