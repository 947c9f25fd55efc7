"""Regression tests for the hangs and crashes found in the HTML and feed parsers.

Hangs first: each input is sized so the old code took tens of seconds (the time measured
before the fix is in each docstring) while the fixed code takes milliseconds, and the test
allows a wide margin. A regression therefore fails after a bounded wait, never hangs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from sources import kz_adilet as adilet
from sources import kz_akorda as akorda
from sources import kz_govkz as govkz
from sources import kz_parliament as parliament
from sources import un_treaty_deadlines as deadlines
from sources._guards import nesting_depths
from sources.base import soup_of
from sources.generic_html import HtmlSource
from sources.kz_legalacts import KzLegalacts, parse_list_page
from tests.conftest import fixture_text
from tests.sources.test_generic_parse import NEWS
from tracker.errors import LayoutChanged, NoContent

LEGALACTS = "https://legalacts.egov.kz/list"
SEARCH = "https://old.adilet.zan.kz/rus/search/docs/fulltext=x"


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """The body must finish within ``seconds`` (checked after it ends)."""
    start = time.perf_counter()
    yield
    took = time.perf_counter() - start
    assert took < seconds, f"took {took:.1f} s (limit {seconds} s)"


def _layout_changed(parse: Callable[[], Any], *words: str) -> None:
    with pytest.raises(LayoutChanged) as caught:
        parse()
    for word in words:
        assert word in str(caught.value)


# -- catastrophic regular expressions ----------------------------------------------------------


def test_page_opening_with_many_comments_is_refused_quickly() -> None:
    """kz_adilet._RSS_START backtracked exponentially over leading comments (26: 14.5 s
    before the fix; each further comment doubled it)."""
    with within(1.0):
        _layout_changed(lambda: adilet.KzAdilet.parse("<!---->" * 26 + "<p>x</p>",
                                                      "file:///saved.html"))


def test_unclosed_div_tags_do_not_stall_the_spa_shell_check() -> None:
    """kz_adilet.detect_spa_shell's ``<div[^>]*`` scan was quadratic (these 50 KB: 8.5 s;
    100 KB: 72 s)."""
    with within(1.0):
        adilet.detect_spa_shell("<div " * 10_000, SEARCH)
    shell = '<div id="root"></div><!--SEO_BODY-->'
    with pytest.raises(NoContent):
        adilet.detect_spa_shell(shell, SEARCH)


def test_news_body_of_unclosed_brackets_is_stripped_quickly() -> None:
    """kz_govkz._TAG (``<[^>]*>``) was quadratic on unclosed ``<`` (these 100 KB: 9.7 s)."""
    body = "<p>Начало</p>" + "<" * 100_000
    news = f'{{"data": {{"news": [{{"id": 1, "title": "T", "body": "{body}"}}]}}}}'
    with within(1.0):
        (record,) = govkz.parse_news(news, "https://www.gov.kz/graphql", "adilet")
    assert record.details["description"].startswith("Начало <<<")


def test_title_of_many_quoted_spans_is_read_quickly() -> None:
    """kz_akorda.law_titles searched the whole prefix before every «…» span (these 80 KB:
    25 s; 160 KB: 108 s). The signed law's title is still found."""
    title = "Глава государства подписал Закон «О браке» " + "закон «а» " * 8000
    feed = (f'<rss version="2.0"><channel><item><title>{title}</title>'
            "<link>https://www.akorda.kz/ru/news-1</link></item></channel></rss>")
    with within(2.0):
        (item,) = akorda.parse_rss(feed, "https://www.akorda.kz/ru/rss")
    assert item.stage == "signed" and item.details["signed_law_title"] == "О браке"
    assert akorda.law_titles("Заңына «Неке» қол қойды; Закон «О браке», Закон «О браке»") \
        == ["О браке"]
    assert akorda.law_titles("«Неке және отбасы туралы» Қазақстан Республикасының Заңына") \
        == ["Неке және отбасы туралы"]


def test_senate_row_of_thousands_of_linked_cells_is_read_in_linear_time() -> None:
    """kz_parliament.parse_senate_page looked each cell up in its row per link (this 250 KB
    row: 8.2 s; 1.2 MB: 342 s)."""
    cell = '<td><a href="/ru-RU/lawProjects/details/{}">01.01.2020</a></td>'
    row = "".join(cell.format(i) for i in range(4000))
    with within(4.0):
        _layout_changed(lambda: parliament.parse_senate_page(
            f"<table><tr>{row}</tr></table>", "https://senate.parlam.kz/"), "td × 5")


# -- entries nested inside each other ----------------------------------------------------------

CARD = ("<div class='contentlist'><h3><a href='/npa/view?id={}'>t</a></h3>"
        "<div class='info'><strong>Статус:</strong> Архив</div>")


def test_nested_legalacts_cards_are_a_layout_change() -> None:
    """500 cards each inside the previous one: 13.6 s before (228 KB: 180 s), and the outer
    cards borrowed the inner ones' counters."""
    page = "<div class='maincontent'>" + "".join(CARD.format(i) for i in range(500))
    with within(2.0):
        _layout_changed(lambda: KzLegalacts.parse(page, LEGALACTS), "div.contentlist",
                        "nested 499 deep")
    siblings = "<div class='maincontent'>" + "</div>".join(CARD.format(i) for i in range(3))
    pager = "</div><script>$('#pager').twbsPagination({totalPages: 1});</script>"
    assert [r.external_id for r in KzLegalacts.parse(siblings + pager, LEGALACTS)] == \
        ["0", "1", "2"]


def test_nested_adilet_results_are_a_layout_change() -> None:
    holder = ("<div class='post_holder'><h4 class='post_header'><a href='/rus/docs/K{}'>x</a>"
              "</h4><div class='serp'>")
    page = "<div class='serp'>" + "".join(holder.format(i) for i in range(300))
    with within(2.0):
        _layout_changed(lambda: adilet.parse_search_results(page, SEARCH), "nested")


def test_generic_items_nested_a_little_parse_and_deeply_are_refused() -> None:
    """An item selector may match nested entries (lists in lists); 1,000 nested items took
    46 s (54 KB) before the cap of 8."""
    item = "<article class='news-item' data-id='{0}'><h3><a href='/n/{0}'>News {0}</a></h3>"
    shallow = "".join(item.format(i) for i in range(3)) + "</article>" * 3
    records = HtmlSource.parse_configured("news", NEWS, shallow, "https://x.kz/")
    assert [r.external_id for r in records] == ["0", "1", "2"]
    deep = "".join(item.format(i) for i in range(1000))
    with within(2.0):
        _layout_changed(lambda: HtmlSource.parse_configured("news", NEWS, deep, ""),
                        "article.news-item", "nested 999 deep")


def test_calendar_in_a_layout_table_parses_and_nested_rows_are_refused() -> None:
    """Rows nested 2,000 deep took 20 s (150 KB); layout tables a few levels deep are fine."""
    calendar = fixture_text("un_treaty_deadlines", "master_calendar.html")
    wrapped = f"<table><tr><td><table><tr><td>{calendar}</td></tr></table></td></tr></table>"
    records, _ = deadlines.parse_calendar(wrapped, "https://x")
    assert {r.agency for r in records} == {"CEDAW", "CCPR"}
    row = "<table><tr><td>a</td><td>Kazakhstan</td><td>CEDAW</td><td>d</td><td>01 Nov 2027"
    with within(2.0):
        _layout_changed(lambda: deadlines.parse_calendar(row * 2000, "https://x"), "nested")


def test_nested_akorda_title_links_are_a_layout_change() -> None:
    """Nested links took 48 s for 248 KB (every link's text read its whole subtree)."""
    page = ("<h3><a href='/ru/legal_acts/x/{}'>t" * 1000).format(*range(1000)) + \
        "<h5>12 января 2022 года</h5>" * 1000
    with within(2.0):
        _layout_changed(lambda: akorda.parse_legal_acts(page, "https://www.akorda.kz/ru/x"),
                        "h3 > a[href]", "nested")


def test_nested_adilet_info_tables_are_a_layout_change() -> None:
    """300 tables nested in table#ethernatable: parse_info took 10 s (each row's cells were
    read at every level); the real rows are not nested."""
    page = fixture_text("kz_adilet", "info_K1500000375_rus.html")
    at = page.index("<tr", page.index("ethernatable"))
    nested = page[:at] + "<tr><td><table><tr><td>" * 300 + page[at:]
    url = "https://old.adilet.zan.kz/rus/docs/K1500000375/info"
    with within(2.0):
        _layout_changed(lambda: adilet.parse_info(nested, url), "nested 3")
        _layout_changed(lambda: adilet.parse_history_count(nested, url), "nested 3")
    assert adilet.parse_info(page, url)


def test_nesting_depths_counts_enclosing_entries_only() -> None:
    soup = soup_of("<ul><li id=a><ul><li id=b><ul><li id=c></li></ul></li></ul></li>"
                   "<li id=d></li></ul>")
    items = soup.select("li")
    assert [i["id"] for i in items] == ["a", "b", "c", "d"]
    assert nesting_depths(items) == [0, 1, 2, 0]
    assert nesting_depths(list(reversed(items))) == [0, 2, 1, 0]
    assert nesting_depths([]) == []


# -- numbers longer than int() reads (4,300 digits) --------------------------------------------


def test_legalacts_counters_and_page_count_of_5000_digits_are_no_number() -> None:
    """int() raised ValueError on the pager's totalPages and on the card counters."""
    page = fixture_text("kz_legalacts", "list_types629_p1.html")
    huge = "9" * 5000
    page = page.replace('<span class="icon5"></span>100', f'<span class="icon5"></span>{huge}')
    page = page.replace("totalPages: 3,", f"totalPages: {huge},")
    listing = parse_list_page(page, LEGALACTS)
    assert listing.total_pages is None
    assert listing.records[0].details["counters"]["views"] is None
    assert listing.records[0].details["counters"]["likes"] == 1


def test_adilet_hit_count_of_5000_digits_is_no_hit_count() -> None:
    page = fixture_text("kz_adilet", "search_rus_zero-hits.html").replace(
        "<strong>0</strong>", f"<strong>{'1' * 5000}</strong>")
    _layout_changed(lambda: adilet.parse_search_results(page, SEARCH), "no hit count")
