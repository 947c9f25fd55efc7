"""kz_adilet parsers over the real saved pages (read in place) and the synthetic fixtures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sources.kz_adilet import (
    DEFAULT_TRACKED,
    DOC_TITLE,
    RESULT_LINK,
    SERP,
    TABLE_ROWS,
    KzAdilet,
    detect_spa_shell,
    dmy_to_iso,
    parse_document_header,
    parse_history_count,
    parse_info,
    parse_rss,
    parse_search_results,
    prose_date,
)
from tests.shared_data import shared_dir
from tracker.errors import ConfigError, FetchError, LayoutChanged, NoContent, UsageError

FIXTURES = Path(__file__).parent / "fixtures" / "kz_adilet"
OLD = "https://old.adilet.zan.kz"
ZARPLATA = "%D0%B7%D0%B0%D1%80%D0%BF%D0%BB%D0%B0%D1%82%D0%B0"  # «зарплата», URL-quoted
SEARCH_URL = f"{OLD}/rus/search/docs/fulltext={ZARPLATA}&pagesize=10&page=1"
DOC_URL = f"{OLD}/rus/docs/K1500000375"
SHELL_URL = "https://adilet.zan.kz/rus/docs/Z1300000094"


def real(name: str) -> str:
    return (shared_dir() / "kz-samples" / name).read_text(encoding="utf-8")


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.fixture
def search_page() -> str:
    return real("adilet-old/search_fulltext-zarplata_rus_p1.excerpt.html")


@pytest.fixture
def doc_page() -> str:
    return real("adilet-old/doc_K1500000375_rus.header.excerpt.html")


@pytest.fixture
def shell_page() -> str:
    return real("adilet-new/act_Z1300000094_spa-shell_2026-09-16.html")


# -- real legacy search page --------------------------------------------------------------


def test_real_search_page_both_results(search_page: str) -> None:
    first, second = parse_search_results(search_page, SEARCH_URL)
    title = "Об организации и объемах общественных работ за счет средств местного бюджета"
    for record, ngr in ((first, "V11CB000106"), (second, "V10CL000110")):
        assert record.source == "kz_adilet"
        assert record.external_id == ngr
        assert record.title == title
        assert record.url == f"{OLD}/rus/docs/{ngr}"
        assert record.kind == "act"
        assert record.language == "ru"
        assert record.stage == "repealed"
        assert record.status_raw == "Утративший силу"
        assert record.details["status_class"] == "yts"
        assert "зарплата" in record.details["snippet"]
        assert "Утратило силу" in record.details["requisites"]
    req1, req2 = first.details["requisites"], second.details["requisites"]
    assert req1.startswith("Постановление акимата Айтекебийского района")
    assert "от 1 апреля 2011 года № 105" in req1 and req1.endswith("от 07 июля 2016 года № 125")
    assert req2.startswith("Постановление акимата Хромтауского района")
    assert "от 13 января 2010 года № 8" in req2 and req2.endswith("от 12 мая 2015 года № 149")
    # requisites and snippet stay apart; the adoption date is the first «от …» date
    assert "зарплата" not in req1 and "Постановление" not in first.details["snippet"]
    assert (first.details["adopted"], second.details["adopted"]) == ("2011-04-01", "2010-01-13")


def test_real_search_page_unknown_status_class_is_kept(search_page: str) -> None:
    page = search_page.replace("status status_yts", "status status_zzz", 1)
    first, second = parse_search_results(page, SEARCH_URL)
    assert (first.stage, first.details["status_class"]) == ("unknown", "zzz")
    assert first.status_raw == "Утративший силу"
    assert second.stage == "repealed"
    mapped = parse_search_results(page, SEARCH_URL, {"zzz": "repealed"})
    assert mapped[0].stage == "repealed"


def test_real_search_page_results_gone_but_hits_counted(search_page: str) -> None:
    page = search_page.replace('class="post_holder"', 'class="post-holder"')
    with pytest.raises(LayoutChanged) as err:
        parse_search_results(page, SEARCH_URL)
    assert err.value.selector == SERP and "211 hits" in str(err.value)


def test_real_search_page_result_without_link(search_page: str) -> None:
    page = search_page.replace('class="post_header"', 'class="post_title"', 1)
    with pytest.raises(LayoutChanged) as err:
        parse_search_results(page, SEARCH_URL)
    assert err.value.selector == RESULT_LINK


# -- real legacy document page ------------------------------------------------------------


def test_real_document_header(doc_page: str) -> None:
    record = parse_document_header(doc_page, DOC_URL)
    assert record.external_id == "K1500000375"
    assert record.title == "Предпринимательский кодекс Республики Казахстан"
    assert record.url == DOC_URL and record.language == "ru" and record.kind == "act"
    assert (record.stage, record.status_raw) == ("in_force", "Исправление ошибки")
    assert record.details["status_class"] == "err"
    assert record.details["requisites"] == (
        "Кодекс Республики Казахстан от 29 октября 2015 года № 375-V ЗРК."
    )
    assert record.details["adopted"] == "2015-10-29"
    assert set(record.details) == {"status_class", "requisites", "adopted"}


def test_real_document_saved_under_another_name(doc_page: str) -> None:
    """Without an act URL (``tracker parse FILE``) the selected tab names the act."""
    (record,) = KzAdilet.parse(doc_page, "saved-page.html")
    assert record.external_id == "K1500000375" and record.language == "ru"


def test_real_document_without_status_span_is_in_force(doc_page: str) -> None:
    page = doc_page.replace('<span class="status status_err">Исправление ошибки</span>', "")
    record = parse_document_header(page, DOC_URL)
    assert (record.stage, record.status_raw, record.details["status_class"]) == (
        "in_force",
        None,
        None,
    )


def test_real_document_without_title(doc_page: str) -> None:
    with pytest.raises(LayoutChanged) as err:
        parse_document_header(doc_page.replace("<h1>", "<h2>"), DOC_URL)
    assert err.value.selector == DOC_TITLE


def test_kazakh_document_language_from_url(doc_page: str) -> None:
    record = parse_document_header(doc_page, f"{OLD}/kaz/docs/K1500000375")
    assert record.language == "kk" and record.url == f"{OLD}/kaz/docs/K1500000375"


# -- the new host's JavaScript shell -------------------------------------------------------


@pytest.mark.parametrize(
    "parser",
    [
        parse_search_results,
        parse_document_header,
        parse_rss,
        parse_info,
        parse_history_count,
        KzAdilet.parse,
    ],
)
def test_real_spa_shell_is_no_content(shell_page: str, parser: Any) -> None:
    with pytest.raises(NoContent, match="no content"):
        parser(shell_page, SHELL_URL)


def test_legacy_pages_are_not_taken_for_the_shell(search_page: str, doc_page: str) -> None:
    detect_spa_shell(search_page, SEARCH_URL)
    detect_spa_shell(doc_page, DOC_URL)
    with_article = '<div id="root"></div><noscript>js</noscript><article><p>text</p></article>'
    detect_spa_shell(with_article, SHELL_URL)


# -- synthetic search pages ---------------------------------------------------------------


def test_kazakh_search_page() -> None:
    url = f"{OLD}/kaz/search/docs/fulltext=x&pagesize=50&page=1"
    law, code = parse_search_results(fixture("search_kaz_p1.html"), url)
    assert (law.external_id, law.language, law.url) == (
        "Z090000214_",
        "kk",
        f"{OLD}/kaz/docs/Z090000214_",
    )
    assert (law.stage, law.status_raw, law.details["status_class"]) == (
        "amended",
        "Жаңартылған",
        "upd",
    )
    assert law.details["adopted"] == "2009-12-04"
    assert "зорлық" in law.details["snippet"]
    assert (code.external_id, code.stage, code.status_raw) == ("K1400000235", "in_force", None)
    assert code.details["status_class"] is None
    assert code.details["adopted"] == "2014-07-05"
    assert "snippet" not in code.details


def test_zero_hits_is_an_empty_result() -> None:
    assert parse_search_results(fixture("search_rus_zero-hits.html"), SEARCH_URL) == []


def test_broken_layout_names_the_selector() -> None:
    with pytest.raises(LayoutChanged) as err:
        parse_search_results(fixture("search_rus_broken-layout.html"), SEARCH_URL)
    assert err.value.selector == SERP and "no hit count" in str(err.value)


# -- synthetic /info, /history and RSS ----------------------------------------------------


def test_info_page() -> None:
    info = parse_info(fixture("info_K1500000375_rus.html"), f"{DOC_URL}/info")
    assert info["Дата принятия акта"] == "2015-10-29"
    assert info["Дата изменения акта"] == "2026-09-01"
    assert info["Орган, принявший акт"] == "Парламент Республики Казахстан"
    assert info["Форма акта"] == "Кодекс"
    assert info['Дата официальной публикации в ИПС "Әділет"'] == "2015-11-05"


def test_info_without_table(doc_page: str) -> None:
    with pytest.raises(LayoutChanged) as err:
        parse_info(doc_page, f"{DOC_URL}/info")
    assert err.value.selector == TABLE_ROWS


def test_history_counts_data_rows_only() -> None:
    page = fixture("history_K1500000375_rus.html")
    assert parse_history_count(page, f"{DOC_URL}/history") == 3
    td_header = page.replace("<th>", "<td>").replace("</th>", "</td>")
    assert parse_history_count(td_header, f"{DOC_URL}/history") == 3
    with pytest.raises(LayoutChanged):
        parse_history_count(page.replace('id="ethernatable"', 'id="other"'), f"{DOC_URL}/history")


def test_rss_feed() -> None:
    records = parse_rss(fixture("rss_rus_docs.xml"), f"{OLD}/rus/docs/rss")
    assert [r.external_id for r in records] == ["Z090000214_", "K2600000000"]  # news item skipped
    law, constitution = records
    assert law.title == "О профилактике бытового насилия"
    assert law.url == f"{OLD}/rus/docs/Z090000214_" and law.language == "ru"
    assert law.details["published"] == "2026-09-29"  # 21:30 GMT is the next day in UTC+5
    assert (
        law.details["description"] == "Закон Республики Казахстан от 4 декабря 2009 года № 214-IV."
    )
    assert law.details["adopted"] == "2009-12-04"
    assert law.stage == "unknown"  # the feed says nothing about the status
    assert constitution.url == f"{OLD}/rus/docs/K2600000000"
    assert constitution.details == {"published": "2026-09-29"}


def test_rss_not_a_feed(doc_page: str) -> None:
    with pytest.raises(LayoutChanged) as err:
        parse_rss(doc_page, f"{OLD}/rus/docs/rss")
    assert err.value.selector == "rss > channel"
    news_only = '<rss version="2.0"><channel><item><link>/rus/news/1</link></item></channel></rss>'
    with pytest.raises(LayoutChanged):
        parse_rss(news_only, f"{OLD}/rus/docs/rss")


# -- dispatch and dates -------------------------------------------------------------------


def test_parse_dispatch(search_page: str) -> None:
    assert len(KzAdilet.parse(search_page, SEARCH_URL)) == 2
    assert len(KzAdilet.parse(search_page, "saved.html")) == 2  # recognised by content
    assert len(KzAdilet.parse(fixture("rss_rus_docs.xml"), f"{OLD}/rus/docs/rss")) == 2
    assert len(KzAdilet.parse(fixture("rss_rus_docs.xml"), "feed.xml")) == 2
    with pytest.raises(UsageError):
        KzAdilet.parse(fixture("info_K1500000375_rus.html"), f"{DOC_URL}/info")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Кодекс Республики Казахстан от 29 октября 2015 года № 375-V ЗРК.", "2015-10-29"),
        ("Закон от 07 июля 2016 года № 125", "2016-07-07"),
        ("Қазақстан Республикасының 2015 жылғы 29 қазандағы № 375-V ҚРЗ Кодексі.", "2015-10-29"),
        ("2024 жылғы 1 наурыздағы", "2024-03-01"),
        ("2011 жылғы 28 сәуірде тіркелді", "2011-04-28"),
        ("Зарегистрировано 28 апреля 2011 года; от 1 мая 2012 года", "2012-05-01"),  # «от» only
        ("2015 жылғы 29 қазандағы (от 1 мая 2012 года)", "2015-10-29"),  # first in the text
        ("от 31 февраля 2015 года; от 1 мая 2012 года", "2012-05-01"),  # first valid one
        ("от 31 февраля 2015 года", None),
        ("от 3 брюмера 2015 года", None),
        ("без даты", None),
    ],
)
def test_prose_date(text: str, expected: str | None) -> None:
    assert prose_date(text) == expected


def test_dmy_to_iso() -> None:
    assert dmy_to_iso("04.12.2009") == "2009-12-04"
    assert dmy_to_iso(" 4.12.2009 ") == "2009-12-04"
    assert dmy_to_iso("32.12.2009") is None
    assert dmy_to_iso("04.12.2009 г.") is None


# -- crawl ---------------------------------------------------------------------------------


@dataclass
class FakePage:
    url: str
    status: int
    text: str | None
    sha256: str
    not_modified: bool


@dataclass
class FakeHTTP:
    """Answers from a url → body map; listed urls answer 304 to conditional requests."""

    pages: Mapping[str, str]
    not_modified: set[str] = field(default_factory=set)
    calls: list[tuple[str, bool]] = field(default_factory=list)

    def get(
        self, url: str, *, conditional: bool = True, headers: Mapping[str, str] | None = None
    ) -> FakePage:
        self.calls.append((url, conditional))
        if url not in self.pages:
            raise FetchError("HTTP 404", url=url, status=404)
        if conditional and url in self.not_modified:
            return FakePage(url, 304, None, f"sha:{url}", True)
        return FakePage(url, 200, self.pages[url], f"sha:{url}", False)


QUERY_URL = (
    f"{OLD}/rus/search/docs/fulltext={ZARPLATA}&sort_field=dl&sort_desc=true&pagesize=50&page=1"
)


@pytest.fixture
def site(search_page: str, doc_page: str) -> dict[str, str]:
    rss = fixture("rss_rus_docs.xml").replace("Z090000214_", "K1500000375")  # a tracked act
    return {
        DOC_URL: doc_page,
        f"{DOC_URL}/info": fixture("info_K1500000375_rus.html"),
        f"{DOC_URL}/history": fixture("history_K1500000375_rus.html"),
        QUERY_URL: search_page,
        f"{OLD}/rus/docs/rss": rss,
    }


OPTIONS = {"tracked": ["K1500000375"], "searches": ["зарплата"], "languages": ["rus"]}


def test_crawl_merges_tracked_act_then_searches_then_rss(site: dict[str, str]) -> None:
    http = FakeHTTP(site)
    records = list(KzAdilet(http, options=OPTIONS).crawl())
    assert [url for url, _ in http.calls] == [
        DOC_URL,
        f"{DOC_URL}/info",
        f"{DOC_URL}/history",
        QUERY_URL,
        f"{OLD}/rus/docs/rss",
    ]
    ids = [r.external_id for r in records]
    assert ids == ["K1500000375", "V11CB000106", "V10CL000110", "K2600000000"]  # no duplicate
    act = records[0]
    assert act.details == {
        "status_class": "err",
        "requisites": "Кодекс Республики Казахстан от 29 октября 2015 года № 375-V ЗРК.",
        "adopted": "2015-10-29",
        "modified": "2026-09-01",
        "issuing_body": "Парламент Республики Казахстан",
        "history_entries": 3,
    }
    assert (act.stage, act.evidence) == ("in_force", f"sha:{DOC_URL}")
    assert records[1].evidence == f"sha:{QUERY_URL}"
    assert records[3].evidence == f"sha:{OLD}/rus/docs/rss"


def test_crawl_skips_unchanged_act_and_rebuilds_a_changed_one(site: dict[str, str]) -> None:
    tracked = {DOC_URL, f"{DOC_URL}/info", f"{DOC_URL}/history"}
    http = FakeHTTP(site, not_modified=set(tracked))
    source = KzAdilet(http, options={**OPTIONS, "searches": []})
    # the feed lists the unchanged tracked act too: it must not come back as a thin RSS record
    assert [r.external_id for r in source.crawl()] == ["K2600000000"]
    assert source.pages_not_modified == 3

    http = FakeHTTP(site, not_modified=tracked - {f"{DOC_URL}/history"})
    source = KzAdilet(http, options={**OPTIONS, "searches": [], "rss": False})
    (record,) = source.crawl()
    assert record.details["history_entries"] == 3 and record.details["modified"] == "2026-09-01"
    assert (DOC_URL, False) in http.calls and (f"{DOC_URL}/info", False) in http.calls
    assert source.pages_not_modified == 2


def test_crawl_warns_on_missing_act_and_unknown_status(site: dict[str, str]) -> None:
    site[QUERY_URL] = site[QUERY_URL].replace("status_yts", "status_zzz", 1)
    options = {**OPTIONS, "tracked": ["Z000000000_", "K1500000375"], "rss": False}
    source = KzAdilet(FakeHTTP(site), options=options)
    records = list(source.crawl())
    assert [r.external_id for r in records] == ["K1500000375", "V11CB000106", "V10CL000110"]
    assert any("Z000000000_" in w and "404" in w for w in source.warnings)
    assert any("status_zzz" in w for w in source.warnings)
    mapped = KzAdilet(FakeHTTP(site), options={**options, "status_stages": {"zzz": "repealed"}})
    assert [r.stage for r in mapped.crawl()][1] == "repealed"
    assert not any("status_zzz" in w for w in mapped.warnings)


def test_crawl_server_errors_are_not_swallowed(site: dict[str, str]) -> None:
    class Failing(FakeHTTP):
        def get(
            self, url: str, *, conditional: bool = True, headers: Mapping[str, str] | None = None
        ) -> FakePage:
            raise FetchError("HTTP 503", url=url, status=503)

    with pytest.raises(FetchError, match="503"):
        list(KzAdilet(Failing(site), options=OPTIONS).crawl())


def test_crawl_defaults(search_page: str) -> None:
    kaz_url = QUERY_URL.replace("/rus/", "/kaz/")
    http = FakeHTTP({QUERY_URL: search_page, kaz_url: search_page})
    source = KzAdilet(http, options={"searches": ["зарплата"]})
    assert source.base_url == OLD
    with pytest.raises(FetchError):  # the feed (on by default) 404s here: a real error
        list(source.crawl())
    requested = [url for url, _ in http.calls]
    default_acts = [f"{OLD}/rus/docs/{ngr}" for ngr in DEFAULT_TRACKED]
    assert [u for u in requested if u in default_acts] == default_acts
    assert requested[-3:] == [QUERY_URL, kaz_url, f"{OLD}/rus/docs/rss"]  # rus, kaz, feed
    assert len(source.warnings) == len(DEFAULT_TRACKED)  # each missing act warned, not fatal


def test_crawl_refuses_the_new_host() -> None:
    http = FakeHTTP({})
    with pytest.raises(ConfigError, match=r"https://old\.adilet\.zan\.kz"):
        list(KzAdilet(http, base_url="https://adilet.zan.kz").crawl())
    assert http.calls == []


def test_default_tracked_acts_come_from_legislation() -> None:
    assert {"Z090000214_", "K1400000226", "K1400000235", "K2600000000", "K950001000_"} <= set(
        DEFAULT_TRACKED
    )


@pytest.mark.parametrize(
    "options",
    [
        {"bogus": 1},
        {"rss": "yes"},
        {"languages": ["ru"]},
        {"searches": "зарплата"},
        {"tracked": ["z09"]},
        {"status_stages": {"stp": "gone"}},
        {"info_labels": {"signed": "Дата подписания"}},
    ],
)
def test_check_options_rejects(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        KzAdilet.check_options(options, "tracker.toml")


def test_check_options_accepts() -> None:
    KzAdilet.check_options(
        {
            "rss": False,
            "searches": ["бытовое насилие", "тұрмыстық зорлық-зомбылық"],
            "languages": ["rus", "kaz", "eng"],
            "tracked": ["Z090000214_", "V16UL003811"],
            "status_stages": {"stp": "repealed"},
            "info_labels": {"modified": "Дата изменения акта"},
        },
        "tracker.toml",
    )


def test_crawl_skips_known_acts_found_on_kazakh_pages() -> None:
    kaz_query = f"{OLD}/kaz/search/docs/fulltext=x&sort_field=dl&sort_desc=true&pagesize=50&page=1"
    http = FakeHTTP({kaz_query: fixture("search_kaz_p1.html")})
    options = {"tracked": [], "searches": ["x"], "languages": ["kaz"], "rss": False}
    fresh = KzAdilet(http, options=options, known_ids={"K1400000235"})
    assert [r.external_id for r in fresh.crawl()] == ["Z090000214_"]  # the unknown one only
