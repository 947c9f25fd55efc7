"""Helpers shared by the UN / CoE source tests, with tests of their own.

* Builders of UPR Info (Uwazi) search responses and UHRI export records in the documented
  shapes (../shared/SOURCES.md §8.1-8.2), filled at test time from the REAL Kazakhstan
  recommendations in ../shared/upr-samples/ (read in place, never copied).
* Homes with one source enabled and every other registered source disabled.
* ``StreamingBound``: a prototype of the ``Fetcher.stream`` API that ``un_upr`` expects from
  the core (robots.txt, pacing, conditional request, archive only what the source keeps).
"""

from __future__ import annotations

import csv
import hashlib
import json
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from sources.base import registry
from tests.conftest import fast_fetch_table, write_home
from tests.shared_data import shared_dir
from tracker.catalog import load_home_settings
from tracker.config import Settings
from tracker.errors import FetchError
from tracker.fetch import BoundFetcher, FetchEntry, Fetcher, FetchResult, utcnow_iso

KAZ_STATE_ID = "kaz0synthetic0state"
STATES_TEMPLATE = "5d8cdec361cde0408222d3ec"
KAZ_CSV = "upr-samples/upr-kazakhstan-cycles1-2-recommendations.csv"
ROBOTS = "User-agent: *\nAllow: /\n"


def source_home(home: Path, key: str, base_url: str, options: str = "",
                database_url: str | None = None) -> Settings:
    """A home where only source ``key`` runs (at ``base_url``, with ``options``)."""
    others = "".join(f"[sources.{k}]\nenabled = false\n" for k in registry() if k != key)
    write_home(home, fast_fetch_table() + others
               + f'[sources.{key}]\nbase_url = "{base_url}"\n{options}\n')
    settings = load_home_settings(home)
    if database_url:
        settings = Settings(settings.home, database_url, settings.fetch, settings.sources)
    return settings


# -- UPR Info (Uwazi) shapes ---------------------------------------------------------------

def states_target(state: str = "Kazakhstan") -> str:
    """The request that resolves the state's entity id (States template, quoted term)."""
    return "/api/search?" + urlencode({
        "types": json.dumps([STATES_TEMPLATE]), "searchTerm": f'"{state}"', "limit": "30",
        "from": "0", "language": "en"})


def search_target(filters: Mapping[str, Any], limit: int, offset: int,
                  term: str | None = None) -> str:
    """One page of the recommendations search, as the API contract spells it."""
    params = {"filters": json.dumps(filters, separators=(",", ":"), sort_keys=True),
              "limit": str(limit), "from": str(offset), "language": "en"}
    if term:
        params["searchTerm"] = term
    return "/api/search?" + urlencode(params)


def kaz_filters(**extra: Any) -> dict[str, Any]:
    """The filters the source sends for Kazakhstan."""
    return {"state_under_review": {"values": [KAZ_STATE_ID]}, **extra}


def _label(value: str, label: str) -> dict[str, str]:
    return {"value": value, "label": label}


def api_row(row: Mapping[str, str], *, with_paragraph: bool = False) -> dict[str, Any]:
    """A UPR Info recommendation row built from one CSV row (real text and position)."""
    shared = "upr-" + hashlib.sha1(
        f"{row['document_symbol']}:{row['paragraph']}".encode()).hexdigest()[:12]
    text = row["recommendation"]
    if with_paragraph:
        text = f"{row['paragraph']} {text}"
    states = [s for s in row["recommending_states"].split("; ") if s]
    return {
        "_id": "id-" + shared, "sharedId": shared, "title": shared, "language": "en",
        "template": "5d8ce04361cde0408222e9a8", "published": True,
        "metadata": {
            "recommendation": [{"value": text}],
            "state_under_review": [_label(KAZ_STATE_ID, row["state_under_review"])],
            "recommending_state": [_label("st-" + s, s) for s in states],
            "response": [_label("resp-" + row["position"], row["position"])],
            "issues": [],
            "cycle": [_label("cyc-" + row["cycle"], f"Cycle {row['cycle']}")],
            "session": [_label("ses-" + row["upr_session"], row["upr_session"])],
        },
    }


def api_pages(rows: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    """``{rows, totalRows}`` pages of ``size`` rows, then one empty page."""
    pages = [{"rows": rows[i:i + size], "totalRows": len(rows)}
             for i in range(0, len(rows), size)]
    return [*pages, {"rows": [], "totalRows": len(rows)}]


def serve_api(replay: Any, rows: list[dict[str, Any]], size: int,
              filters: Mapping[str, Any] | None = None) -> None:
    """Serve robots.txt, the States lookup and every search page."""
    replay.set("/robots.txt", ROBOTS)
    replay.set(states_target(), fixture_bytes("un_upr", "api_states.json"))
    for index, page in enumerate(api_pages(rows, size)):
        replay.set(search_target(filters or kaz_filters(), size, index * size),
                   json.dumps(page, ensure_ascii=False).encode())


# -- UHRI export shape --------------------------------------------------------------------

def export_record(row: Mapping[str, str]) -> dict[str, Any]:
    """A UHRI export record built from one CSV row: HTML text starting with the paragraph."""
    key = f"{row['document_symbol']}:{row['paragraph']}"
    return {
        "AnnotationId": str(uuid.uuid5(uuid.NAMESPACE_URL, key)),
        "Text": f"<p>{row['paragraph']}&nbsp;{row['recommendation']}</p>",
        "Symbol": row["document_symbol"],
        "DocumentId": str(uuid.uuid5(uuid.NAMESPACE_URL, row["document_symbol"])),
        "Body": "- UPR", "Countries": [row["state_under_review"]],
        "Themes": [], "AffectedPersons": [], "Sdgs": [], "Regions": ["Asia-Pacific States"],
        "AnnotationType": "- Recommendations",
        "PublicationDate": f"{row['review_date']}T00:00:00",
        "UprCycle": row["cycle"],
        "UprRecommendingCountry": [s for s in row["recommending_states"].split("; ") if s],
    }


def noise_records() -> list[dict[str, Any]]:
    """Export records that must be filtered out (another body, another state)."""
    return json.loads(fixture_bytes("un_upr", "export_small.json"))[5:7]  # type: ignore[no-any-return]


def kazakhstan_rows() -> list[dict[str, str]]:
    """The 322 real cycle 1-2 recommendations (skips without ../shared)."""
    with (shared_dir() / KAZ_CSV).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def fixture_bytes(source: str, name: str) -> bytes:
    """A synthetic fixture of this project, as bytes."""
    return (Path(__file__).parent / "fixtures" / source / name).read_bytes()


# -- a prototype of the proposed Fetcher.stream -------------------------------------------

class _Body:
    """A streamed body: ``read(n)`` for ijson, ``keep(payload)`` archives a digest."""

    def __init__(self, fetcher: Fetcher, url: str, response: httpx.Response | None,
                 overridden: bool) -> None:
        self.url = url
        self.not_modified = response is None or response.status_code == 304
        self._fetcher, self._response, self._overridden = fetcher, response, overridden
        self._chunks: Iterator[bytes] = iter(()) if response is None else response.iter_raw()
        self._buffer = b""
        self._hash = hashlib.sha256()
        self.bytes_read = 0
        self.kept: str | None = None

    def read(self, size: int = -1) -> bytes:
        try:
            while size < 0 or len(self._buffer) < size:
                chunk = next(self._chunks, b"")
                if not chunk:
                    break
                self._hash.update(chunk)
                self.bytes_read += len(chunk)
                self._buffer += chunk
        except httpx.HTTPError as exc:
            raise FetchError(f"stream broken: {exc!r}", url=self.url) from exc
        out, self._buffer = ((self._buffer, b"") if size < 0
                             else (self._buffer[:size], self._buffer[size:]))
        return out

    def keep(self, payload: bytes) -> str:
        assert self._response is not None
        headers = [(k.lower(), v) for k, v in self._response.headers.items()]
        headers += [("x-tracker-digest-of", self.url),
                    ("x-tracker-body-sha256", self._hash.hexdigest()),
                    ("x-tracker-body-bytes", str(self.bytes_read))]
        sha = self._fetcher.archive.put(self._response.status_code, headers, payload)
        stats = self._fetcher.stats
        stats.bytes += self.bytes_read
        stats.log.append(FetchEntry(self.url, self._response.status_code, sha, utcnow_iso(),
                                    self.bytes_read, self._overridden))
        self.kept = sha
        return sha


class StreamingBound:
    """A bound fetcher with ``stream`` (prototype of the core change asked for in
    docs/upr.md): robots.txt and pacing as for ``get``; no size cap; the body is not
    archived, only what the source passes to ``keep``."""

    def __init__(self, fetcher: Fetcher, allow_paths: tuple[str, ...] = ()) -> None:
        self._fetcher = fetcher
        self._allow = allow_paths
        self._inner = BoundFetcher(fetcher, allow_paths)

    def get(self, url: str, *, conditional: bool = True,
            headers: Mapping[str, str] | None = None) -> FetchResult:
        return self._inner.get(url, conditional=conditional, headers=headers)

    def post_json(self, url: str, payload: Any, *,
                  headers: Mapping[str, str] | None = None) -> FetchResult:
        return self._inner.post_json(url, payload, headers=headers)

    @contextmanager
    def stream(self, url: str, *, conditional: bool = True,
               headers: Mapping[str, str] | None = None) -> Iterator[_Body]:
        fetcher = self._fetcher
        overridden = fetcher._check_robots(url, self._allow)
        host = urlsplit(url).netloc
        fetcher._pace(host)
        request_headers = dict(headers or {})
        known = fetcher.validators.validators_for(url) if (
            conditional and fetcher.validators is not None) else None
        if known and known[0]:
            request_headers["If-None-Match"] = known[0]
        fetcher.stats.requests += 1
        with fetcher._client_for(host).stream("GET", url, headers=request_headers) as response:
            if response.status_code >= 400:
                raise FetchError(f"HTTP {response.status_code}", url=url,
                                 status=response.status_code)
            body = _Body(fetcher, url, response, overridden)
            yield body
            etag = response.headers.get("etag")
            if etag and body.kept:
                fetcher.stats.new_validators[url] = (etag, None, body.kept)


# -- tests of the helpers ------------------------------------------------------------------

def test_builders_follow_the_documented_shapes() -> None:
    rows = kazakhstan_rows()
    assert len(rows) == 322
    record = export_record(rows[0])
    assert set(record) >= {"AnnotationId", "Text", "Symbol", "Body", "Countries", "UprCycle"}
    assert record["Text"].startswith(f"<p>{rows[0]['paragraph']}&nbsp;")
    row = api_row(rows[0])
    assert set(row["metadata"]) >= {"recommendation", "state_under_review", "response",
                                    "recommending_state", "cycle"}
    pages = api_pages([row] * 5, 2)
    assert [len(p["rows"]) for p in pages] == [2, 2, 1, 0]
    assert all(p["totalRows"] == 5 for p in pages)
