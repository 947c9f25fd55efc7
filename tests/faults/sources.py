"""Each coded source's healthy replay, for the fault matrix.

Every spec reuses the source's own end-to-end test helpers (its ``serve`` function, its
option constants): the pages a source requests and the options its home needs are written in
one place only. ``entry`` is the first page the source reads after robots.txt — the route the
matrix turns faulty — and ``layout_changed`` a 200 answer in the same format whose anchors are
gone (the source's own "redesigned" fixture where there is one).

``un_upr[export]`` is un_upr with ``export_url`` set, faulted at the export: the one page
read through the streamed download (tracker/streaming.py) rather than the capped GET.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sources.un_treaty_deadlines import CALENDAR_PATH
from tests.conftest import DRAFT_LAWS, fixture_text
from tests.sources import (
    test_kz_adilet_e2e as adilet,
)
from tests.sources import (
    test_kz_akorda_e2e as akorda,
)
from tests.sources import (
    test_kz_epetition_e2e as epetition,
)
from tests.sources import (
    test_kz_govkz_e2e as govkz,
)
from tests.sources import (
    test_kz_legalacts_e2e as legalacts,
)
from tests.sources import (
    test_kz_parliament_e2e as parliament,
)
from tests.sources import (
    test_un_upr_e2e as upr,
)
from tests.sources.test_coe_treaties import API as COE_API
from tests.sources.test_coe_treaties import CHART as COE_CHART
from tests.sources.test_coe_treaties import JSON as COE_JSON
from tests.sources.test_coe_treaties import setup_server as coe_setup
from tests.sources.test_coe_treaties import signatures as coe_signatures
from tests.sources.test_un_shapes import ROBOTS as UN_ROBOTS
from tests.sources.test_un_shapes import fixture_bytes, states_target
from tracker.replay import ReplayServer, Reply

HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=utf-8"
XML = "application/rss+xml; charset=utf-8"


@dataclass(frozen=True)
class SourceSpec:
    """How to serve one source healthy, configure it, and where its faults go."""

    key: str
    #: Routes every healthy page on ``server`` (robots.txt included).
    serve: Callable[[ReplayServer], None]
    #: The lines of its ``[sources.<key>]`` table besides ``base_url`` (given the base URL).
    options: Callable[[str], str]
    #: The route (path?query) the faults are injected at: the first page after robots.txt.
    entry: str
    #: The entry's healthy Content-Type (its charset is what the charset faults alter).
    content_type: str
    #: A 200 body at ``entry`` in the same format, without the anchors the parser needs.
    layout_changed: bytes
    method: str = "GET"
    #: The matrix row's name when one source has several specs (default: the key).
    label: str = ""

    @property
    def name(self) -> str:
        """The matrix row: ``label`` or the source key."""
        return self.label or self.key


def _no_options(_base_url: str) -> str:
    return ""


def _serve_coe(server: ReplayServer) -> None:
    coe_setup(server, "synthetic-key-1")
    server.set(COE_API, Reply(coe_signatures().encode(), headers=COE_JSON))


def _serve_calendar(server: ReplayServer) -> None:
    server.set("/robots.txt", UN_ROBOTS)
    server.set(CALENDAR_PATH, fixture_bytes("un_treaty_deadlines", "master_calendar.html"))


def _serve_upr(server: ReplayServer) -> None:
    upr.serve(server)


def _serve_upr_export(server: ReplayServer) -> None:
    upr.serve(server)
    server.set(EXPORT, Reply(upr.EXPORT.read_bytes(), headers=upr.JSON))


EXPORT = "/export.json"

SPECS: dict[str, SourceSpec] = {spec.name: spec for spec in (
    SourceSpec(
        "kz_legalacts", legalacts.serve_three_pages,
        lambda _: f"search_terms = []\nqueries = {DRAFT_LAWS}\n",
        legalacts.P1, HTML,
        fixture_text("kz_legalacts", "list_cards_removed.html").encode(),
    ),
    SourceSpec(
        "kz_adilet", adilet.serve,
        lambda _: 'tracked = ["K1500000375"]\nsearches = ["зарплата"]\nlanguages = ["rus"]\n',
        adilet.ACT, HTML,
        "<html><body><div class='new-portal'><h2>Әділет</h2></div></body></html>".encode(),
    ),
    SourceSpec(
        "kz_parliament", parliament.serve,
        lambda base: f'senate_base_url = "{base}"\npage_size = 2\nsenate_max_pages = 5\n',
        parliament.LIST0, "application/json",
        fixture_text("kz_parliament", "draft_laws_renamed_result.json").encode(),
    ),
    SourceSpec(
        "kz_govkz", govkz.serve,
        lambda _: 'projects = ["adilet"]\npage_size = 3\nmax_pages = 3\n',
        "/graphql", "application/json;charset=UTF-8",
        fixture_text("kz_govkz", "news_wrong_shape.json").encode(), method="POST",
    ),
    SourceSpec(
        "kz_akorda", akorda.serve, _no_options, akorda.RSS, XML,
        fixture_text("kz_akorda", "rss_atom_instead.xml").encode(),
    ),
    SourceSpec(
        "kz_epetition", epetition.serve, lambda _: epetition.OPTIONS,
        epetition.PAGE0, "application/json",
        fixture_text("kz_epetition", "short_no_content.json").encode(),
    ),
    SourceSpec(
        "un_upr", _serve_upr, lambda _: "page_size = 2\n", states_target(), JSON,
        b'{"results": [], "total": 0}',
    ),
    SourceSpec(
        "un_upr", _serve_upr_export,
        lambda base: f'page_size = 2\nexport_url = "{base}{EXPORT}"\n', EXPORT, JSON,
        b'{"records": []}', label="un_upr[export]",
    ),
    SourceSpec(
        "coe_treaties", _serve_coe, _no_options, COE_CHART, HTML,
        b"<html><body>You need to enable JavaScript to run this app.</body></html>",
    ),
    SourceSpec(
        "un_treaty_deadlines", _serve_calendar, _no_options, CALENDAR_PATH, HTML,
        b"<html><body><h1>Master calendar</h1><p>Moved to the new portal.</p></body></html>",
    ),
)}
