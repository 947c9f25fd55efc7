"""Helpers shared by the UN / CoE source tests, with tests of their own.

* Builders of UPR Info (Uwazi) search responses and UHRI export records in the documented
  shapes (../shared/SOURCES.md §8.1-8.2), filled at test time from the REAL Kazakhstan
  recommendations in ../shared/upr-samples/ (read in place, never copied).
* Homes with one source enabled and every other registered source disabled.
"""

from __future__ import annotations

import csv
import hashlib
import json
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sources.base import registry
from tests.conftest import fast_fetch_table, write_home
from tests.shared_data import shared_dir
from tracker.catalog import load_home_settings
from tracker.config import Settings

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
