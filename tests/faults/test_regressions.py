"""Regression tests for the defects the fault matrix found in the fetcher, the streamed
download and the runner (one test or more per defect, named after it)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import legalacts_home
from tests.faults.harness import refused_port, self_signed_context
from tests.sources.test_kz_legalacts_e2e import P1, serve_three_pages
from tracker.archive import Archive
from tracker.config import FetchSettings
from tracker.errors import FetchError, RobotsDisallowed
from tracker.fetch import Fetcher, decode_body
from tracker.replay import ReplayServer, Reply
from tracker.runner import run_source
from tracker.store import Store

HTML = (("Content-Type", "text/html; charset=utf-8"),)
CYRILLIC = "<html><body><h1>Закон о профилактике бытового насилия</h1></body></html>"


class Waits:
    """Records the pauses the fetcher asks for instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def fetcher(tmp_path: Path, waits: Waits | None = None, *, max_duration: float | None = None,
            max_stream_duration: float = 3600.0, **values: Any) -> Fetcher:
    settings = FetchSettings(**{"min_interval": 0.0, "retries": 0, "backoff": 0.01,
                                "timeout": 2.0, **values})
    return Fetcher(settings, Archive(tmp_path / "archive"), sleep=waits or Waits(),
                   max_duration=max_duration, max_stream_duration=max_stream_duration)


# -- a trickling server held a run forever (httpx's timeout is per read) -------------------


def test_trickling_body_is_cut_at_the_deadline_and_not_retried(
        tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/slow", Reply(b"x" * 10_000, drip=0.05, drip_bytes=10, send_length=False))
    started = time.monotonic()
    with fetcher(tmp_path, max_duration=0.5, retries=2, timeout=0.3) as client, \
            pytest.raises(FetchError, match=r"took longer than 0\.5 s") as raised:
        client.get(f"{replay.base_url}/slow")
    assert time.monotonic() - started < 2.0
    assert len(replay.requests_to("/slow")) == 1
    (entry,) = [e for e in client.stats.log if e.url.endswith("/slow")]
    assert entry.status == 200 and entry.error is not None and "trickles" in entry.error
    assert raised.value.url.endswith("/slow")


def test_default_deadline_is_ten_read_timeouts_and_at_least_a_minute(tmp_path: Path) -> None:
    assert fetcher(tmp_path, timeout=30.0).max_duration == 300.0
    assert fetcher(tmp_path, timeout=1.0).max_duration == 60.0


def test_trickling_streamed_download_is_cut_at_its_deadline(
        tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/export.json", Reply(b"[" + b" " * 10_000 + b"]", drip=0.05, drip_bytes=10))
    started = time.monotonic()
    with fetcher(tmp_path, max_stream_duration=0.5) as client, \
            client.stream(f"{replay.base_url}/export.json") as body, \
            pytest.raises(FetchError, match=r"download took longer than 0\.5 s"):
        body.read()
    assert time.monotonic() - started < 2.0


# -- a UTF-8 page under a wrong single-byte label became mojibake, stored as events --------


def test_utf8_body_labelled_cp1251_is_read_as_utf8(tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/p", Reply(CYRILLIC.encode(),
                           headers=(("Content-Type", "text/html; charset=windows-1251"),)))
    with fetcher(tmp_path) as client:
        assert client.get(f"{replay.base_url}/p").text == CYRILLIC


@pytest.mark.parametrize(("body", "content_type"), [
    (CYRILLIC.encode(), "text/html; charset=iso-8859-1"),
    (b'<meta charset="windows-1251">' + CYRILLIC.encode(), None),
    ('<?xml version="1.0" encoding="koi8-r"?><t>Закон</t>'.encode(), "application/xml"),
])
def test_valid_utf8_wins_over_a_single_byte_label(body: bytes, content_type: str | None) -> None:
    assert decode_body(body, content_type) == body.decode("utf-8")


def test_real_single_byte_pages_and_boms_still_decode() -> None:
    assert decode_body("Закон".encode("cp1251"), "text/html; charset=windows-1251") == "Закон"
    assert decode_body(b"\xef\xbb\xbf" + "Закон".encode(), "text/html; charset=cp1251") == \
        "Закон"
    assert decode_body("Закон".encode("utf-16"), "text/plain; charset=utf-8") == "Закон"


# -- a legacy page labelled UTF-8 was stored as U+FFFD replacement characters ------------


def test_cp1251_body_labelled_utf8_fails_the_fetch(tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/p", Reply(CYRILLIC.encode("cp1251"), headers=HTML))
    with fetcher(tmp_path) as client, \
            pytest.raises(FetchError, match=r"body is not valid UTF-8 \(\d+ invalid bytes; "
                                            r"declared: utf-8\)"):
        client.get(f"{replay.base_url}/p")


def test_a_few_stray_bytes_in_a_utf8_page_are_tolerated(
        tmp_path: Path, replay: ReplayServer) -> None:
    page = CYRILLIC.encode() * 20 + b"\xff"
    replay.set("/p", Reply(page, headers=HTML))
    with fetcher(tmp_path) as client:
        text = client.get(f"{replay.base_url}/p").text
    assert text is not None and text.endswith("\ufffd") and text.count("\ufffd") == 1


# -- an empty 200 was reported as a layout change or "not JSON: ''" ----------------------


@pytest.mark.parametrize("body", [b"", b" \r\n\t"])
def test_empty_200_is_an_error_saying_so(tmp_path: Path, replay: ReplayServer,
                                         body: bytes) -> None:
    replay.set("/p", Reply(body))
    replay.set("/graphql", Reply(body, headers=(("Content-Type", "application/json"),)))
    with fetcher(tmp_path) as client:
        with pytest.raises(FetchError, match="HTTP 200 with an empty body") as raised:
            client.get(f"{replay.base_url}/p")
        assert raised.value.status == 200
        with pytest.raises(FetchError, match="HTTP 200 with an empty body"):
            client.post_json(f"{replay.base_url}/graphql", {"query": "{ news { id } }"})
    assert client.stats.new_validators == {}  # an empty page never becomes a 304 later


# -- a huge body was downloaded up to max_bytes, and the refusal was not logged ----------


def test_announced_oversized_body_is_refused_before_download(
        tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/big", Reply(b"", filler=50_000_000))
    with fetcher(tmp_path, max_bytes=1_000_000) as client, \
            pytest.raises(FetchError, match=r"Content-Length: 50000000\); not downloaded"):
        client.get(f"{replay.base_url}/big")
    (entry,) = [e for e in client.stats.log if e.url.endswith("/big")]
    assert (entry.status, entry.bytes, entry.sha256) == (200, 0, None)
    assert client.stats.bytes == sum(e.bytes for e in client.stats.log)
    assert entry.error is not None and "max_bytes" in entry.error
    assert replay.requests_to("/big")[0].body_sent < 50_000_000 // 2  # not downloaded


def test_unannounced_oversized_body_is_cut_and_logged(
        tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/big", Reply(b"", filler=50_000_000, send_length=False))
    with fetcher(tmp_path, max_bytes=1_000_000) as client, \
            pytest.raises(FetchError, match="larger than max_bytes = 1000000"):
        client.get(f"{replay.base_url}/big")
    (entry,) = [e for e in client.stats.log if e.url.endswith("/big")]
    assert 1_000_000 < entry.bytes < 1_200_000
    assert client.stats.bytes == sum(e.bytes for e in client.stats.log)


# -- a redirect to another host left an error naming a page nobody configured ------------


def test_redirect_to_another_host_is_named_in_the_error_and_warnings(
        tmp_path: Path, replay: ReplayServer, make_fetcher: Any) -> None:
    with ReplayServer(max_requests=50, lifetime=60) as elsewhere:
        elsewhere.set("/login", "<html><body>Войдите</body></html>")
        serve_three_pages(replay)
        replay.set(P1, Reply(b"", status=302,
                             headers=(("Location", f"{elsewhere.base_url}/login"),)))
        settings = legalacts_home(tmp_path / "home", replay.base_url)
        store = Store.open(settings.database_url)
        summary = run_source("kz_legalacts", settings=settings, store=store,
                             fetcher=make_fetcher(settings, store))
        note = f"redirected to another host: {elsewhere.base_url}/login"
        assert summary.status == "error"
        assert f"{elsewhere.base_url}/login" in summary.errors[0] and note in summary.errors[0]
        assert any(note in w for w in summary.warnings)
        assert note in store.health()["kz_legalacts"]["reason"]
        assert elsewhere.requests_to("/robots.txt")  # the other host's rules were asked
        store.close()


def test_post_redirect_error_names_its_target(tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/graphql", Reply(b"", status=307, headers=(("Location", "/v2/graphql"),)))
    with fetcher(tmp_path) as client, pytest.raises(
            FetchError, match=r"HTTP 307 to http://127\.0\.0\.1:\d+/v2/graphql \(a POST"):
        client.post_json(f"{replay.base_url}/graphql", {"query": "{ x }"})
    assert replay.requests_to("/v2/graphql") == []


# -- streamed downloads read a redirect's body as the export, ignored Retry-After, and
#    left failed attempts out of the fetch log -------------------------------------------


def test_stream_follows_redirects_checking_robots_per_hop(
        tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/robots.txt", "User-agent: *\nDisallow: /private\n")
    replay.set("/export.json", Reply(b"", status=302, headers=(("Location", "/blob/e.json"),)))
    replay.set("/blob/e.json", Reply(b"[1, 2]", headers=(("Content-Type", "application/json"),)))
    replay.set("/hidden.json", Reply(b"", status=302, headers=(("Location", "/private/e"),)))
    replay.set("/loop.json", Reply(b"", status=302, headers=(("Location", "/loop.json"),)))
    with fetcher(tmp_path) as client:
        with client.stream(f"{replay.base_url}/export.json") as body:
            assert (body.status, body.url, body.read()) == (
                200, f"{replay.base_url}/blob/e.json", b"[1, 2]")
        with pytest.raises(RobotsDisallowed), client.stream(f"{replay.base_url}/hidden.json"):
            pass
        with pytest.raises(FetchError, match="more than 5 redirects"), \
                client.stream(f"{replay.base_url}/loop.json"):
            pass
    assert replay.requests_to("/private/e") == []
    assert len(replay.requests_to("/loop.json")) == 6


def test_stream_honours_retry_after_and_refuses_an_excessive_one(
        tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/a.json", Reply(b"", status=503, headers=(("Retry-After", "7"),)), "[1]")
    replay.set("/b.json", Reply(b"", status=429, headers=(("Retry-After", "3600"),)))
    waits = Waits()
    with fetcher(tmp_path, waits, retries=2, max_retry_after=60.0) as client:
        with client.stream(f"{replay.base_url}/a.json") as body:
            assert body.read() == b"[1]"
        with pytest.raises(FetchError, match="server asks to wait 3600 s"), \
                client.stream(f"{replay.base_url}/b.json"):
            pass
    assert waits.calls == [7.0]
    assert len(replay.requests_to("/b.json")) == 1


def test_stream_logs_every_failed_attempt(tmp_path: Path, replay: ReplayServer) -> None:
    replay.set("/e.json", Reply(b"", status=502), Reply(b"", status=500))
    with fetcher(tmp_path, retries=1) as client, \
            pytest.raises(FetchError, match="HTTP 500 after 2 attempts"), \
            client.stream(f"{replay.base_url}/e.json"):
        pass
    logged = [(e.status, e.error) for e in client.stats.log if e.url.endswith("/e.json")]
    assert logged == [(502, "HTTP 502"), (500, "HTTP 500")]


# -- a rejected certificate was retried like a network error; robots.txt errors named
#    their URL twice ------------------------------------------------------------------------


def test_rejected_certificate_is_not_retried(tmp_path: Path) -> None:
    with ReplayServer(tls=self_signed_context(tmp_path), max_requests=10, lifetime=30) as tls:
        tls.set("/p", "secret")
        with fetcher(tmp_path, retries=2) as client:
            with pytest.raises(FetchError, match=r"robots\.txt unreachable, not crawling: TLS "
                                                 r"certificate rejected, not retried: .*"
                                                 r"CERTIFICATE_VERIFY_FAILED"):
                client.get(f"{tls.base_url}/p")
            with pytest.raises(FetchError, match="TLS certificate rejected, not retried"), \
                    client.stream(f"{tls.base_url}/p"):
                pass
    assert client.stats.requests == 2  # one handshake per call, none repeated
    assert len(client.stats.log) == 2


def test_robots_error_names_its_url_once(tmp_path: Path) -> None:
    with refused_port() as base, fetcher(tmp_path, retries=1) as client, \
            pytest.raises(FetchError) as raised:
        client.get(f"{base}/p")
    assert str(raised.value).count(f"{base}/robots.txt") == 1
    assert len(client.stats.log) == 2  # a refused connection is retried
