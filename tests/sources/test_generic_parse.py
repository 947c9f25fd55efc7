"""Config-defined sources: the pure parsers of the feed, html and json types."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import pytest

from sources.generic_feed import FEED_ANCHOR, FeedSource
from sources.generic_html import HtmlSource, html_spec, parse_html
from sources.generic_json import JsonSource, json_spec
from tests.conftest import fixture_text
from tracker.errors import LayoutChanged
from tracker.fetch import decode_body
from tracker.replay import ReplayServer

AKORDA = "https://www.akorda.kz/ru/rss"
SENATE: dict[str, Any] = {
    "url": "/ru-RU/lawProjects/index",
    "item": "table.table-lawprojects tbody tr",
    "fields": {"id": "td:nth-of-type(2)", "title": "td:nth-of-type(1) a",
               "url": "td:nth-of-type(1) a@href", "date": "td:nth-of-type(3)"},
    "date_format": "%d.%m.%Y",
    "next": "ul.pagination li.next a",
}
NEWS_URL = "https://www.adilet.gov.kz/ru/news"
NEWS: dict[str, Any] = {
    "url": NEWS_URL,
    "item": "article.news-item",
    "fields": {"id": "@data-id", "title": "h3 a", "url": "h3 a@href", "date": "time@datetime",
               "status": "span.status", "agency": ".author", "text": "p.lead"},
    "status_stages": {"На публичном обсуждении": "public_discussion",
                      "Архив": "discussion_closed"},
}
MAZHILIS: dict[str, Any] = {
    "url": "https://mazhilis.parlam.kz/api/core/draft-laws/?limit=2",
    "items": "result",
    "fields": {"id": "id", "title": "title", "status": "status", "date": "registered_at",
               "agency": "initiator.name", "url": "documents.0.document_url"},
    "status_stages": {"Одобрен в первом чтении": "first_reading"},
    "page_param": "offset", "start": 0, "page_step": 2,
}
GOVKZ_URL = "https://www.gov.kz/api/v1/public/content-manager/documents?projects=adilet"
GOVKZ: dict[str, Any] = {
    "url": GOVKZ_URL,
    "fields": {"id": "id", "title": "title", "date": "created_date",
               "agency": "gosorgan.items.0.project_name", "url": "full_text.0.document",
               "text": "activities.items.0.title"},
}


def feed(text: str, **options: Any) -> list[Any]:
    return FeedSource.parse_configured("my_feed", {"url": AKORDA, **options}, text, "")


def html(text: str, options: dict[str, Any], url: str = "") -> list[Any]:
    return HtmlSource.parse_configured("my_html", options, text, url)


def json_records(text: str, options: dict[str, Any]) -> list[Any]:
    return JsonSource.parse_configured("my_json", options, text, "")


# -- feed ----------------------------------------------------------------------------------


def test_rss_items_from_the_standard_elements() -> None:
    first, second = feed(fixture_text("generic", "akorda_rss.xml"), language="ru")
    assert first.source == "my_feed" and first.kind == "document" and first.language == "ru"
    assert first.external_id == "akorda-483750"  # guid
    assert first.url == ("https://www.akorda.kz/ru/"
                         "glava-gosudarstva-podpisal-zakon-o-pravah-zhenschin-483750")
    assert first.created == "2024-04-16"  # 20:30 GMT is the next day in Astana (UTC+5)
    assert first.details == {"description": "Глава государства подписал Закон Республики "
                                            "Казахстан."}
    assert first.stage == "unknown" and first.status_raw is None
    # No guid: the (absolute) link is the id.
    assert second.external_id == second.url == (
        "https://www.akorda.kz/ru/glava-gosudarstva-provel-soveschanie-483751")
    assert second.created == "2024-04-16"


def test_atom_entries_alternate_link_published_date_and_html_text() -> None:
    first, second = FeedSource.parse_configured(
        "atom", {"url": "https://example.kz/feed.atom", "fields": {"agency": "author"}},
        fixture_text("generic", "atom.xml"), "")
    assert first.external_id == "tag:example.kz,2026:news-17"
    assert first.url == "https://example.kz/ru/news/17"  # rel=alternate, not the enclosure
    assert first.title == "Заключение по проекту закона «О профилактике бытового насилия»"
    assert first.created == "2026-09-19"  # published (23:30Z), not updated
    assert first.agency == "Комиссия по правам человека"
    assert first.details == {"description": "Комиссия опубликовала заключение."}
    assert second.created == "2026-09-01"  # no published: updated
    assert second.details == {"description": "Ежемесячный отчёт."}  # content
    assert second.agency is None


def test_rss_1_0_rdf_is_detected() -> None:
    text = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://example.kz/"><title>t</title></channel>
  <item rdf:about="https://example.kz/1"><title>Первый</title><link>https://example.kz/1</link>
    <dc:date>2026-09-01T10:00:00+05:00</dc:date></item>
</rdf:RDF>"""
    (record,) = feed(text)
    assert (record.external_id, record.title, record.created) == (
        "https://example.kz/1", "Первый", "2026-09-01")


def test_feed_field_override_reads_another_element_and_maps_status() -> None:
    text = """<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><item>
      <title>Проект</title><link>/p/1</link><dc:creator>Минтруда</dc:creator>
      <category>На обсуждении</category></item></channel></rss>"""
    (record,) = feed(text, fields={"status": "category", "agency": "dc:creator"},
                     status_stages={"на обсуждении": "public_discussion"})
    assert (record.status_raw, record.stage) == ("На обсуждении", "public_discussion")
    assert record.agency == "Минтруда"
    assert record.url == "https://www.akorda.kz/p/1"


def test_feed_text_that_is_a_url_or_double_escaped() -> None:
    text = """<rss version="2.0"><channel>
      <item><title>A</title><link>/a</link><description>https://e.kz/x?a=1&amp;b=2</description></item>
      <item><title>B</title><link>/b</link><description>&lt;a href="https://e.kz/"&gt;Закон
        &lt;/a&gt; &amp;amp; приказ</description></item>
    </channel></rss>"""
    first, second = feed(text)
    assert first.details == {"description": "https://e.kz/x?a=1&b=2"}
    assert second.details == {"description": "Закон & приказ"}


def test_windows_1251_feed_decoded_by_the_fetcher_parses() -> None:
    body = ('<?xml version="1.0" encoding="windows-1251"?><rss version="2.0"><channel><item>'
            '<title>Закон подписан</title><link>https://example.kz/z</link></item></channel>'
            '</rss>').encode("cp1251")
    (record,) = feed(decode_body(body, "application/rss+xml"))
    assert record.title == "Закон подписан"


def test_billion_laughs_is_never_expanded() -> None:
    started = time.monotonic()
    try:
        records = feed(fixture_text("generic", "hostile_laughs.xml"))
    except LayoutChanged as exc:  # libxml2 refuses the amplification outright
        assert "not well-formed XML" in str(exc) and FEED_ANCHOR in str(exc)
    else:  # or keeps the reference unexpanded
        assert records[0].title == "Laughs &lol9; end"
    assert time.monotonic() - started < 2


def test_external_entities_are_neither_read_nor_fetched(replay: ReplayServer) -> None:
    replay.set("/xxe", "SECRET-FROM-THE-NETWORK")
    text = fixture_text("generic", "hostile_xxe.xml").replace(
        "NETWORK_URL", f"{replay.base_url}/xxe")
    (record,) = feed(text)
    assert record.title == "&greeting; из ленты"  # even internal entities stay unexpanded
    assert record.details == {"description": "file: &xxe; net: &net;"}
    assert replay.log == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (fixture_text("generic", "not_a_feed.html"), "not an RSS or Atom feed (root <html>)"),
        ("<rss><channel><item><title>x</title></item>", "not well-formed XML"),
        ('<rss version="2.0"></rss>', "no match for 'rss > channel'"),
        ('<rss version="2.0"><channel><title>t</title></channel></rss>',
         "'rss > channel > item' at https://www.akorda.kz/ru/rss: the feed has no entries"),
        ('<rss version="2.0"><channel><item><link>/a</link></item></channel></rss>',
         "'rss > channel > item > title' at https://www.akorda.kz/ru/rss: an item has no title"),
        ('<rss version="2.0"><channel><item><title>t</title><pubDate>вчера</pubDate></item>'
         '</channel></rss>', "date 'вчера' is neither ISO 8601 nor RFC 822 (set date_format)"),
    ],
)
def test_broken_feeds_are_layout_changes(text: str, message: str) -> None:
    with pytest.raises(LayoutChanged) as info:
        feed(text)
    assert message in str(info.value)


def test_empty_feed_allowed_when_may_be_empty() -> None:
    assert feed('<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>',
                may_be_empty=True) == []


# -- html ----------------------------------------------------------------------------------


def test_html_table_rows_attribute_selector_and_next_link() -> None:
    spec = html_spec(SENATE, "[sources.t]")
    url = "https://senate.parlam.kz/ru-RU/lawProjects/index"
    records, next_url = parse_html("senate", spec, fixture_text("generic", "senate_p1.html"), url)
    assert [r.external_id for r in records] == ["1201", "1198", "1190"]
    assert records[1].title == "О профилактике бытового насилия"
    assert records[1].url == "https://senate.parlam.kz/ru-RU/lawProjects/details/1198"
    assert records[1].created == "2026-08-28"
    assert next_url == "https://senate.parlam.kz/ru-RU/lawProjects/index?p=2"
    _, last = parse_html("senate", spec, fixture_text("generic", "senate_p2.html"), url)
    assert last is None


def test_html_item_attribute_status_stages_and_fallback_ids() -> None:
    spec = html_spec(NEWS, "[sources.t]")
    records, next_url = parse_html("news", spec, fixture_text("generic", "news_list.html"),
                                   NEWS_URL)
    first, second, third = records
    assert first.external_id == "n-501"  # "@data-id": an attribute of the item itself
    assert first.title == "Проект приказа о государственной регистрации нормативных правовых актов"
    assert first.url == "https://www.adilet.gov.kz/ru/news/501?lang=ru"
    assert first.created == "2026-09-20"  # time@datetime 22:10Z, read in UTC+5
    assert (first.stage, first.status_raw) == ("public_discussion", "На публичном обсуждении")
    assert first.agency == "Министерство юстиции"
    assert first.details == {"text": "Проект вынесен на публичное обсуждение до 4 октября."}
    # Unknown raw status: kept verbatim, stage unknown. Empty lead: no text.
    assert (second.stage, second.status_raw, second.details) == ("unknown", "Опубликовано", {})
    # No id: the item URL (made absolute); the status mapping ignores case and spaces.
    assert third.external_id == third.url == "https://www.adilet.gov.kz/ru/news/498"
    assert (third.stage, third.status_raw) == ("discussion_closed", "архив")
    assert next_url is None  # NEWS has no next selector


def test_html_without_id_or_url_hashes_the_title() -> None:
    page = "<ul><li class='e'><b>Заседание  рабочей группы</b></li></ul>"
    (record,) = html(page, {"url": "https://example.kz/e", "item": "li.e",
                            "fields": {"title": "b"}})
    assert record.title == "Заседание рабочей группы"
    assert record.external_id == hashlib.sha256("Заседание рабочей группы".encode()).hexdigest()
    assert record.url == "https://example.kz/e"


def test_html_item_itself_as_title_and_duplicates_once() -> None:
    page = "<p><a class='d' href='/d/1'>Один</a><a class='d' href='/d/1'>Один</a></p>"
    records = html(page, {"url": "https://example.kz/", "item": "a.d",
                          "fields": {"title": "", "url": "@href"}})
    assert [(r.external_id, r.title) for r in records] == [("https://example.kz/d/1", "Один")]


def test_html_relative_url_joins_base_url_given_to_parse() -> None:
    records = html(fixture_text("generic", "senate_p1.html"), SENATE, "https://senate.parlam.kz")
    assert records[0].url == "https://senate.parlam.kz/ru-RU/lawProjects/details/1201"


@pytest.mark.parametrize(
    ("page", "options", "message"),
    [
        ("<div class='x'></div>", {}, "no match for 'article.news-item' at "
                                      "https://www.adilet.gov.kz/ru/news: no item on the page"),
        ("<article class='news-item'><p>no heading</p></article>", {},
         "no match for 'article.news-item h3 a' at https://www.adilet.gov.kz/ru/news: "
         "an item has no title"),
        ("<article class='news-item'><h3><a>t</a></h3><time datetime='20.09.2026'></time>"
         "</article>", {"date_format": "%Y-%m-%d"},
         "no match for 'article.news-item time@datetime' at https://www.adilet.gov.kz/ru/news: "
         "date '20.09.2026' does not match date_format '%Y-%m-%d'"),
    ],
)
def test_html_layout_changes_name_the_selector(page: str, options: dict[str, Any],
                                               message: str) -> None:
    with pytest.raises(LayoutChanged) as info:
        html(page, {**NEWS, **options})
    assert str(info.value) == f"layout changed: {message}"


def test_html_empty_page_allowed_when_may_be_empty() -> None:
    assert html("<div></div>", {**NEWS, "may_be_empty": True}) == []


# -- json ----------------------------------------------------------------------------------


def test_json_items_path_nested_fields_and_status() -> None:
    first, second = json_records(fixture_text("generic", "mazhilis_offset0.json"), MAZHILIS)
    assert (first.external_id, second.external_id) == ("411", "409")  # numbers → text
    assert first.agency == "Депутаты Мажилиса"  # initiator.name
    assert first.url == "http://mazhilis.parlam.kz/media/draft-laws/411/proekt.docx"  # list index
    assert first.created == "2026-08-20"
    assert (first.stage, first.status_raw) == ("first_reading", "Одобрен в первом чтении")
    assert (second.stage, second.status_raw) == ("unknown", "Рассмотрение в рабочей группе")


def test_json_top_level_list_with_missing_nested_values() -> None:
    first, second = json_records(fixture_text("generic", "govkz_documents.json"), GOVKZ)
    assert first.url == "https://www.gov.kz/uploads/2026/9/25/prikaz-812.pdf"
    assert first.agency == "Министерство юстиции Республики Казахстан"
    assert first.created == "2026-09-26"  # 20:30 UTC is the next day in Astana
    assert first.details == {"text": "Нормативные правовые акты"}
    # Empty full_text and gosorgan lists: no URL of its own, no agency.
    assert second.url == GOVKZ_URL and second.agency is None
    assert second.created == "2021-03-02"


def test_json_deep_items_path() -> None:
    text = '{"data": {"results": [{"n": 7, "t": {"ru": "Петиция", "kk": "Петиция"}, ' \
           '"open": true}], "total": 1}}'
    (record,) = json_records(text, {"url": "https://e.kz/api", "items": "data.results",
                                    "fields": {"id": "n", "title": "t.ru", "status": "open"},
                                    "status_stages": {"true": "public_discussion"}})
    assert (record.external_id, record.title, record.stage, record.status_raw) == (
        "7", "Петиция", "public_discussion", "true")


def test_json_page_urls() -> None:
    spec = json_spec({**MAZHILIS, "url": "https://m.kz/api/?limit=2&offset=99"}, "[t]")
    assert spec.page_url("https://m.kz/api/?limit=2&offset=99", 1) == \
        "https://m.kz/api/?limit=2&offset=0"
    assert spec.page_url("https://m.kz/api/?limit=2", 3) == "https://m.kz/api/?limit=2&offset=4"
    plain = json_spec(GOVKZ, "[t]")
    assert plain.page_url(GOVKZ_URL, 1) == GOVKZ_URL and plain.max_pages == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (fixture_text("generic", "mazhilis_renamed.json"), "no match for 'result' at "
         "https://mazhilis.parlam.kz/api/core/draft-laws/?limit=2: no such key in the response"),
        ('{"result": {"id": 1}}', "'result' at https://mazhilis.parlam.kz/api/core/"
                                  "draft-laws/?limit=2: expected a list, found dict"),
        ('{"result": []}', "'result' at https://mazhilis.parlam.kz/api/core/draft-laws/?limit=2: "
                           "the item list is empty"),
        ("<html>Service unavailable</html>", "the response is not JSON"),
        ('{"result": [{"id": 1, "name": "renamed"}]}', "no match for 'result[].title' at "
         "https://mazhilis.parlam.kz/api/core/draft-laws/?limit=2: an item has no title"),
    ],
)
def test_json_layout_changes_name_the_path(text: str, message: str) -> None:
    with pytest.raises(LayoutChanged) as info:
        json_records(text, MAZHILIS)
    assert message in str(info.value)


def test_json_empty_list_allowed_when_may_be_empty() -> None:
    assert json_records('{"result": []}', {**MAZHILIS, "may_be_empty": True}) == []
