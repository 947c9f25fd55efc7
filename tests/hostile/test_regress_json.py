"""Regression tests for the defects the fuzzing found in the JSON parsers and date helpers.

Each test names the defect it pins: before the fix the parser raised something other than
LayoutChanged (RecursionError, a bare ValueError, Malformed, OverflowError), or returned a
record the store could not write (a lone surrogate: the run's whole transaction failed).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from sources import coe_treaties as coe
from sources import kz_adilet as adilet
from sources import kz_akorda as akorda
from sources import kz_epetition as epetition
from sources import kz_govkz as govkz
from sources import kz_parliament as parliament
from sources._json import loads
from sources.generic import parse_date
from sources.generic_feed import FeedSource
from sources.generic_json import JsonSource
from sources.un_upr import UnUpr
from tests.conftest import fixture_text
from tests.hostile.mutations import storable
from tests.sources.test_generic_parse import GOVKZ
from tracker.errors import LayoutChanged
from tracker.fetch import FetchStats
from tracker.models import Record
from tracker.store import Store

API = "https://mazhilis.parlam.kz/api/core/draft-laws/2101/"
DOCS = "https://www.gov.kz/api/v1/public/content-manager/documents?projects=adilet"
PETITION = "https://epetition.kz/api/public/v1/petitions/2380"
UPR = "https://upr-info-database.uwazi.io/api/search"
COE = "https://conventions-api.coe.int/api/signatures"

JSON_PARSERS: dict[str, Callable[[str], Any]] = {
    "kz_parliament (json_of)": lambda t: parliament.KzParliament.parse(t, API),
    "kz_govkz (json_of)": lambda t: govkz.KzGovkz.parse(t, DOCS),
    "kz_epetition": lambda t: epetition.KzEpetition.parse(t, PETITION),
    "coe_treaties": lambda t: coe.CoeTreaties.parse(t, COE),
    "un_upr": lambda t: UnUpr.parse(t, UPR),
    "generic json": lambda t: JsonSource.parse_configured("govkz", GOVKZ, t, ""),
}


@pytest.mark.parametrize("name", list(JSON_PARSERS))
def test_json_nested_too_deeply_is_a_layout_change(name: str) -> None:
    """Defect: json.loads raises RecursionError (not ValueError) past ~1,000 levels."""
    with pytest.raises(LayoutChanged, match="JSON"):
        JSON_PARSERS[name]("[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize("name", ["coe_treaties", "un_upr"])
def test_a_5000_digit_number_is_a_layout_change(name: str) -> None:
    """Defect: these caught only JSONDecodeError; int() limits raise a plain ValueError."""
    with pytest.raises(LayoutChanged, match="JSON"):
        JSON_PARSERS[name]("[" + "9" * 5000 + "]")


def _with_surrogates(name: str) -> str:
    """A fixture whose titles carry JSON escapes of lone surrogates."""
    text = {
        "kz_parliament (json_of)": fixture_text("kz_parliament", "draft_law_2101.json"),
        "kz_govkz (json_of)": fixture_text("kz_govkz", "documents_adilet_p1.json"),
        "kz_epetition": fixture_text("kz_epetition", "detail_2380.json"),
        "coe_treaties": fixture_text("coe_treaties", "signatures_210.json"),
        "un_upr": fixture_text("un_upr", "api_search_p1.json"),
        "generic json": fixture_text("generic", "govkz_documents.json"),
    }[name]
    field = {"coe_treaties": "LibPaysOrga", "un_upr": "value"}.get(name, "title")
    return text.replace(f'"{field}": "', f'"{field}": "\\ud800 \\udfff x \\ud83d\\ude00 ')


@pytest.mark.parametrize("name", list(JSON_PARSERS))
def test_lone_surrogate_escapes_become_replacement_characters(name: str) -> None:
    """Defect: "\\ud800" parsed into a str no UTF-8 text can hold; the store's write of the
    run failed. Now U+FFFD, as the fetcher does for bad bytes; a real pair stays an emoji."""
    records = JSON_PARSERS[name](_with_surrogates(name))
    assert records
    for record in records:
        storable(record)
    text = json.dumps([r.title for r in records], ensure_ascii=False)
    assert "\ufffd \ufffd x 😀" in text or name == "coe_treaties"


def test_records_with_lone_surrogates_reach_the_store(tmp_path: Any) -> None:
    """The end of that path: the parsed records are stored and read back."""
    store = Store.open(f"sqlite:///{tmp_path / 't.db'}")
    records = JSON_PARSERS["kz_govkz (json_of)"](_with_surrogates("kz_govkz (json_of)"))
    run_id = store.start_run("kz_govkz")
    store.finish_run(run_id, "kz_govkz", [r.__class__(**{**r.__dict__, "evidence": "e" * 64})
                                          for r in records], FetchStats(), ok=True,
                     not_modified=0, errors=[], warnings=[])
    assert any("\ufffd" in d["title"] for d in store.documents())
    store.close()


def test_loads_scrubs_keys_and_any_depth() -> None:
    deep = '{"\\udc00": ' + '[' * 500 + '"\\ud800"' + ']' * 500 + '}'
    data = loads(deep)
    key = next(iter(data))
    assert key == "\ufffd"
    value = data[key]
    for _ in range(500):
        value = value[0]
    assert value == "\ufffd"
    assert loads('"\\ud83d\\ude00"') == "😀" and loads('{"a": [1, "b"]}') == {"a": [1, "b"]}


def _upr_row(**metadata: Any) -> str:
    base = {"recommendation": [{"value": "124.3 Adopt a law (Samplia);"}],
            "state_under_review": [{"label": "Kazakhstan"}]}
    return json.dumps({"rows": [{"sharedId": "r1", "metadata": {**base, **metadata}}]})


@pytest.mark.parametrize(("text", "where"), [
    (json.dumps({"rows": [{"metadata": {}}]}), "rows[0]"),
    (json.dumps([{"AnnotationId": "a1"}]), "[0]"),
    (_upr_row(cycle=[{"label": "Cycle " + "3" * 5000}]), "rows[0]"),
])
def test_upr_saved_file_with_a_malformed_item_is_a_layout_change(text: str, where: str) -> None:
    """Defect: UnUpr.parse (tracker parse) let Malformed — and int()'s ValueError for a
    5,000-digit cycle — escape as a traceback."""
    with pytest.raises(LayoutChanged) as caught:
        UnUpr.parse(text, UPR)
    assert caught.value.selector == where and len(str(caught.value)) < 400


# -- dates at the ends of datetime's range (OverflowError) ------------------------------------


def _rss(pub_date: str, link: str) -> str:
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><item><title>T</title>'
            f"<link>{link}</link><pubDate>{pub_date}</pubDate></item></channel></rss>")


@pytest.mark.parametrize("pub_date", ["Fri, 31 Dec 9999 23:00:00 -0500",
                                      "Mon, 99999999999999999999 Jan 2026 00:00:00 GMT"])
def test_rss_dates_out_of_range_are_no_date(pub_date: str) -> None:
    """Defect: OverflowError from parsedate_to_datetime / astimezone in both feed readers."""
    (act,) = adilet.parse_rss(_rss(pub_date, "https://old.adilet.zan.kz/rus/docs/K1"),
                              "https://old.adilet.zan.kz/rus/docs/rss")
    assert act.details["published"] is None
    (item,) = akorda.parse_rss(_rss(pub_date, "https://www.akorda.kz/ru/news-1"),
                               "https://www.akorda.kz/ru/rss")
    assert item.created is None


def test_petition_date_out_of_range_is_a_layout_change() -> None:
    detail = json.loads(fixture_text("kz_epetition", "detail_2380.json"))
    detail["applyDate"] = "9999-12-31T23:59:59-12:00"
    with pytest.raises(LayoutChanged, match="applyDate"):
        epetition.KzEpetition.parse(json.dumps(detail), PETITION)


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00",
                                   "Mon, 99999999999999999999 Jan 2026 00:00:00 GMT"])
def test_generic_date_out_of_range_is_a_layout_change(value: str) -> None:
    with pytest.raises(LayoutChanged, match=r"range|neither"):
        parse_date(value, None, "item > date", "https://example.kz/feed")
    feed = _rss(value, "https://example.kz/a")
    with pytest.raises(LayoutChanged, match=r"range|neither"):
        FeedSource.parse_configured("feed", {"url": "https://example.kz/feed"}, feed, "")


# -- XML declarations the feed reader refused with a ValueError --------------------------------


@pytest.mark.parametrize("junk", ["\ufeff\ufeff", " \ufeff", "\n\ufeff\n"])
def test_feed_after_several_boms_is_read(junk: str) -> None:
    """Defect: only one BOM was stripped before the declaration; lxml then refused a str
    with an encoding declaration by raising ValueError."""
    feed = fixture_text("generic", "akorda_rss.xml")
    assert feed.startswith("<?xml")
    expected = FeedSource.parse_configured("f", {"url": "https://www.akorda.kz/ru/rss"}, feed, "")
    got = FeedSource.parse_configured("f", {"url": "https://www.akorda.kz/ru/rss"}, junk + feed,
                                      "")
    assert [r.external_id for r in got] == [r.external_id for r in expected]


def test_feed_text_lxml_refuses_is_a_layout_change() -> None:
    """Defect: a declaration the stripping regex misses (no ``?>``) made lxml raise
    ValueError, which the feed reader did not catch."""
    with pytest.raises(LayoutChanged, match="not well-formed"):
        FeedSource.parse_configured("f", {"url": "https://x.kz/rss"},
                                    "<?xml version='1.0' encoding='utf-8'><rss/>", "")


def test_storable_rejects_what_the_store_cannot_write() -> None:
    """The fuzz tests' record check would have caught the surrogate defect."""
    with pytest.raises(UnicodeEncodeError):
        storable(Record("s", "1", "bad \ud800", "https://x"))
