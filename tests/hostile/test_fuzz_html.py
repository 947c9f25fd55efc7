"""Fuzzing the HTML parsers with mutated real and synthetic pages (see mutations.py).

Real pages: ``<shared>/kz-samples/legalacts`` and ``adilet-old``/``adilet-new`` (read in place);
the other sources have no saved real HTML, so their synthetic fixtures are the seeds.
bs4's advisory warnings (XML parsed as HTML, markup that looks like a URL) are printed, not
raised, in production; the suite turns warnings into errors, so they are ignored here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sources import kz_adilet as adilet
from sources import kz_akorda as akorda
from sources import kz_parliament as parliament
from sources import un_treaty_deadlines as deadlines
from sources.coe_treaties import read_token
from sources.generic_html import HtmlSource
from sources.kz_legalacts import KzLegalacts, parse_list_page
from tests.hostile.mutations import (
    ALLOWED,
    Op,
    check_parse,
    fuzz_settings,
    mutate,
    operations,
    seeds,
)
from tests.sources.test_generic_parse import NEWS, SENATE

pytestmark = [pytest.mark.filterwarnings("ignore::bs4.XMLParsedAsHTMLWarning"),
              pytest.mark.filterwarnings("ignore::bs4.MarkupResemblesLocatorWarning")]

LEGALACTS = "https://legalacts.egov.kz/list?status=IN_ARCHIVE"
ADILET = "https://old.adilet.zan.kz/rus"
SENATE_URL = "https://senate.parlam.kz/ru-RU/lawProjects/index?p=1"
AKORDA = "https://www.akorda.kz/ru/legal_acts"
CALENDAR = "https://tbinternet.ohchr.org/_layouts/15/TreatyBodyExternal/MasterCalendar.aspx"


@dataclass(frozen=True)
class Target:
    """A parser entry point and where its seed pages come from."""

    name: str
    parse: Callable[[str], Any]
    fixtures: tuple[str, ...]
    shared: tuple[str, ...] = ()


def _records(pair: tuple[list[Any], Any]) -> list[Any]:
    return pair[0]


def _each(*calls: Callable[[], Any]) -> list[Any]:
    """Run every call, so a later parser still runs when an earlier one refuses the page."""
    found: list[Any] = []
    for call in calls:
        try:
            found += _flatten(call())
        except ALLOWED as exc:
            assert str(exc).strip(), f"{type(exc).__name__} without a message"
    return found


TARGETS = [
    Target("KzLegalacts.parse", lambda t: KzLegalacts.parse(t, LEGALACTS),
           ("kz_legalacts",), ("legalacts",)),
    Target("kz_legalacts.parse_list_page",
           lambda t: parse_list_page(t, LEGALACTS, status_map={"Архив": "withdrawn"}).records,
           ("kz_legalacts",), ("legalacts",)),
    Target("KzAdilet.parse (search URL)",
           lambda t: adilet.KzAdilet.parse(t, f"{ADILET}/search/docs/fulltext=x&page=1"),
           ("kz_adilet",), ("adilet-old", "adilet-new")),
    Target("KzAdilet.parse (act URL)",
           lambda t: adilet.KzAdilet.parse(t, f"{ADILET}/docs/K1500000375"),
           ("kz_adilet",), ("adilet-old", "adilet-new")),
    Target("KzAdilet.parse (saved file name)",
           lambda t: adilet.KzAdilet.parse(t, "file:///tmp/page.html"),
           ("kz_adilet",), ("adilet-old",)),
    Target("kz_adilet.parse_document_header",
           lambda t: [adilet.parse_document_header(t, f"{ADILET}/docs/K1500000375")],
           ("kz_adilet",), ("adilet-old",)),
    Target("kz_adilet.parse_info / parse_history_count",
           lambda t: _each(lambda: adilet.parse_info(t, f"{ADILET}/docs/K1/info"),
                           lambda: adilet.parse_history_count(t, f"{ADILET}/docs/K1/history")),
           ("kz_adilet",), ("adilet-old",)),
    Target("kz_parliament.parse_senate_page / KzParliament.parse (HTML)",
           lambda t: _each(lambda: parliament.parse_senate_page(t, SENATE_URL),
                           lambda: parliament.KzParliament.parse(t, SENATE_URL)),
           ("kz_parliament", "generic")),
    Target("kz_akorda.parse_legal_acts / KzAkorda.parse",
           lambda t: _each(lambda: akorda.parse_legal_acts(t, AKORDA),
                           lambda: akorda.KzAkorda.parse(t, AKORDA)),
           ("kz_akorda",)),
    Target("un_treaty_deadlines.parse_calendar",
           lambda t: _records(deadlines.parse_calendar(t, CALENDAR, treaties=("CEDAW",))),
           ("un_treaty_deadlines",)),
    Target("coe_treaties.read_token", lambda t: read_token(t, "https://www.coe.int/x"),
           ("coe_treaties",)),
    Target("html parse_configured (Senate table)",
           lambda t: HtmlSource.parse_configured("senate", SENATE, t, "https://senate.parlam.kz"),
           ("generic", "kz_parliament")),
    Target("html parse_configured (news list)",
           lambda t: HtmlSource.parse_configured("news", NEWS, t, ""), ("generic",)),
]


def _flatten(result: Any) -> list[Any]:
    """Records out of whatever a target returns (tuples of lists, a dict, a count)."""
    if isinstance(result, tuple):
        return [r for part in result for r in _flatten(part)]
    return list(result) if isinstance(result, list) else []


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
@fuzz_settings(examples=60)
@given(data=st.data(), ops=operations())
def test_mutated_pages_give_records_or_a_clear_error(target: Target, data: st.DataObject,
                                                     ops: list[Op]) -> None:
    pages = seeds(target.fixtures, target.shared, suffixes=(".html", ".xml"))
    text = mutate(pages[data.draw(st.integers(0, len(pages) - 1), label="page")], ops)
    check_parse(lambda t: _flatten(target.parse(t)), text)


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_unmutated_seeds_parse_or_fail_clearly(target: Target) -> None:
    """The starting point of every mutation already follows the rule."""
    for page in seeds(target.fixtures, target.shared, suffixes=(".html", ".xml")):
        check_parse(lambda t: _flatten(target.parse(t)), page)
