"""Regression tests: a link urllib refuses ("Invalid IPv6 URL" for an unbalanced ``[`` in
the host) made every parser crash with ValueError. Now each treats it as it treats a missing
link: a required link is LayoutChanged, an optional one is skipped or kept as written, and a
``--url`` given to `tracker parse` is a UsageError.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sources import kz_adilet as adilet
from sources import kz_akorda as akorda
from sources import kz_govkz as govkz
from sources import kz_parliament as parliament
from sources.generic_feed import FeedSource
from sources.generic_html import HtmlSource, html_spec, parse_html
from sources.kz_epetition import KzEpetition
from sources.kz_legalacts import KzLegalacts
from tests.conftest import fixture_text
from tests.sources.test_generic_parse import NEWS, SENATE
from tracker.errors import LayoutChanged, UsageError

BAD = "http://[evil"


def _rss(link: str) -> str:
    return f"<rss><channel><item><title>T</title><link>{link}</link></item></channel></rss>"


REQUIRED: dict[str, Callable[[], Any]] = {
    "kz_legalacts card": lambda: KzLegalacts.parse(
        fixture_text("kz_legalacts", "list_types629_p1.html").replace(
            'href="/npa/view?id=16100100"', f'href="{BAD}/npa/view?id=16100100"'),
        "https://legalacts.egov.kz/list"),
    "kz_adilet search result": lambda: adilet.parse_search_results(
        "<div class='serp'><div class='post_holder'><h4 class='post_header'>"
        f"<a href='{BAD}/rus/docs/K1'>x</a></h4></div></div>",
        "https://old.adilet.zan.kz/rus/search/docs/fulltext=x"),
    "kz_adilet feed": lambda: adilet.parse_rss(_rss(f"{BAD}/rus/docs/K1"),
                                               "https://old.adilet.zan.kz/rus/docs/rss"),
    "kz_akorda feed": lambda: akorda.parse_rss(_rss(f"{BAD}/ru/news-1"),
                                               "https://www.akorda.kz/ru/rss"),
    "kz_akorda list": lambda: akorda.parse_legal_acts(
        f"<h3><a href='{BAD}/ru/legal_acts/a/1'>t</a></h3><h5>12 января 2022 года</h5>",
        "https://www.akorda.kz/ru/legal_acts"),
    "Senate row": lambda: parliament.parse_senate_page(
        f"<table><tr><td><a href='{BAD}/lawProjects/details/1'>t</a></td><td>1</td>"
        "<td>01.01.2020</td><td>2</td><td></td></tr></table>", "https://senate.parlam.kz/"),
}


@pytest.mark.parametrize("name", list(REQUIRED))
def test_a_required_link_urllib_refuses_is_a_layout_change(name: str) -> None:
    with pytest.raises(LayoutChanged):
        REQUIRED[name]()


def test_optional_links_urllib_refuses_are_kept_as_written_or_dropped() -> None:
    page = fixture_text("kz_legalacts", "list_types629_p1.html").replace(
        'href="/application/downloadnpa?id=16100101"', f'href="{BAD}/downloadnpa?id=1"')
    first = KzLegalacts.parse(page, "https://legalacts.egov.kz/list")[0]
    assert first.details["download_id"] is None
    bill = parliament.parse_draft_law(
        f'{{"id": 1, "title": "t", "status": null, "documents": [{{"document_url": "{BAD}"}}]}}',
        "https://mazhilis.parlam.kz/api/core/draft-laws/1/")
    assert bill.details["documents"] == ["https://[evil"]  # kept (http → https as usual)
    (doc,) = govkz.parse_documents(f'[{{"id": 1, "title": "t", "full_text": '
                                   f'[{{"document": "{BAD}/a.pdf"}}]}}]',
                                   "https://www.gov.kz/api", "adilet")
    assert doc.details["files"] == [f"{BAD}/a.pdf"]
    (news,) = HtmlSource.parse_configured(
        "n", NEWS, f"<article class='news-item'><h3><a href='{BAD}/a'>t</a></h3></article>", "")
    assert news.url == news.external_id == f"{BAD}/a"
    (item,) = FeedSource.parse_configured("f", {"url": "https://x.kz/rss"}, _rss(BAD), "")
    assert item.url == BAD
    senate = fixture_text("generic", "senate_p1.html").replace(
        'class="next"><a href="', f'class="next"><a href="{BAD}')
    records, next_url = parse_html("s", html_spec(SENATE, "[sources.s]"), senate,
                                   "https://senate.parlam.kz/ru-RU/lawProjects/index")
    assert records and next_url is None


@pytest.mark.parametrize("parse", [
    lambda: adilet.KzAdilet.parse("<p>x</p>", BAD),
    lambda: govkz.KzGovkz.parse("[]", f"{BAD}/x?projects=adilet"),
    lambda: KzEpetition.parse("{}", f"{BAD}/api/public/v1/petitions/1"),
    lambda: HtmlSource.parse_configured("n", NEWS, "<p>x</p>", BAD),
], ids=["KzAdilet", "KzGovkz", "KzEpetition", "html parse_configured"])
def test_a_parse_url_urllib_refuses_is_a_usage_error(parse: Callable[[], Any]) -> None:
    with pytest.raises(UsageError, match="not a"):
        parse()
