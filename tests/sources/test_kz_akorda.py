"""kz_akorda parsers over the synthetic fixtures (no saved akorda.kz response exists)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from sources.kz_akorda import (
    LIST_SELECTORS,
    KzAkorda,
    Rules,
    external_id,
    law_titles,
    parse_legal_acts,
    parse_rss,
    quoted_spans,
    ru_date,
)
from tests.conftest import fixture_text
from tracker.errors import ConfigError, LayoutChanged

RSS_URL = "https://www.akorda.kz/ru/rss"
LIST_URL = "https://www.akorda.kz/ru/legal_acts"
ARCHIVAL_LAW = (
    "О внесении изменений и дополнений в некоторые законодательные акты Республики Казахстан "
    "по вопросам архивного дела и ограничения распространения противоправного контента"
)
WOMEN_LAW = (
    "О внесении изменений и дополнений в некоторые законодательные акты Республики Казахстан "
    "по вопросам обеспечения прав женщин и безопасности детей"
)


def by_id(records: list[Any]) -> dict[str, Any]:
    return {r.external_id: r for r in records}


def test_rss_signature_news_and_plural_laws() -> None:
    records = parse_rss(fixture_text("kz_akorda", "rss_ru.xml"), RSS_URL)
    assert [r.external_id for r in records] == ["3012345", "3012301", "2990777"]
    found = by_id(records)
    signed = found["3012345"]
    assert (signed.kind, signed.stage, signed.status_raw) == (
        "announcement", "signed", "подписал Закон")
    assert signed.details["signed_law_title"] == ARCHIVAL_LAW
    assert "signed_law_titles" not in signed.details
    assert signed.created == "2025-12-30" and signed.language == "ru"
    assert signed.source == "kz_akorda"
    news = found["3012301"]
    assert (news.stage, news.status_raw) == ("unknown", None)
    assert "signed_law_title" not in news.details
    # 06:30 UTC is 11:30 in Kazakhstan: same day; escaped HTML in the description → text.
    assert news.created == "2025-12-29"
    assert news.details["description"] == "Synthetic news item."
    plural = found["2990777"]
    # A relative link is made absolute; the title names no law, the description names two.
    assert plural.url == "https://www.akorda.kz/ru/glava-gosudarstva-podpisal-zakony-2990777"
    assert plural.stage == "signed"
    assert plural.details["signed_law_title"] == WOMEN_LAW
    assert plural.details["signed_law_titles"][1].startswith(
        "О внесении изменений и дополнений в Кодекс Республики Казахстан об административных")


def test_rss_kazakh_signature_title_before_the_verb() -> None:
    records = by_id(parse_rss(fixture_text("kz_akorda", "rss_kk.xml"),
                              "https://www.akorda.kz/kz/rss"))
    signed = records["3012346"]
    assert signed.stage == "signed" and signed.language == "kk"
    assert signed.status_raw == "Заңына қол қойды"
    assert signed.details["signed_law_title"].startswith(
        "Қазақстан Республикасының кейбір заңнамалық актілеріне архив ісі")
    assert records["3012302"].stage == "unknown"


def test_rss_pubdate_converted_to_kazakhstan_date() -> None:
    xml = fixture_text("kz_akorda", "rss_ru.xml").replace(
        "Mon, 29 Dec 2025 06:30:00 +0000", "Mon, 29 Dec 2025 20:30:00 +0000")
    assert by_id(parse_rss(xml, RSS_URL))["3012301"].created == "2025-12-30"


def test_rss_hostile_feed_expands_nothing_and_keeps_markup_as_text() -> None:
    records = by_id(parse_rss(fixture_text("kz_akorda", "rss_hostile.xml"), RSS_URL))
    bomb = records["3000001"].title
    # The entity references are left as they are: not expanded, no file read.
    assert bomb == "Bomb &d; and file &secret; end"
    markup = records["3000002"].title
    assert markup == "<script>alert(1)</script> <img src=x onerror=alert(2)> новости"


@pytest.mark.parametrize("name", ["rss_atom_instead.xml", "legal_acts_ru.html"])
def test_rss_that_is_not_rss_is_a_layout_change(name: str) -> None:
    with pytest.raises(LayoutChanged, match="rss > channel"):
        parse_rss(fixture_text("kz_akorda", name), RSS_URL)


def test_rss_items_without_usable_links_is_a_layout_change() -> None:
    xml = ('<rss version="2.0"><channel><item><title>x</title><link>https://www.akorda.kz/'
           '</link></item></channel></rss>')
    with pytest.raises(LayoutChanged, match="item > link"):
        parse_rss(xml, RSS_URL)


def test_rss_empty_channel_is_empty_not_an_error() -> None:
    assert parse_rss('<rss version="2.0"><channel><title>x</title></channel></rss>',
                     RSS_URL) == []


def test_legal_acts_list() -> None:
    records = parse_legal_acts(fixture_text("kz_akorda", "legal_acts_ru.html"), LIST_URL)
    assert [r.external_id for r in records] == [
        "legal_acts/decrees/ob-utverzhdenii-plana-deystviy-v-oblasti-prav-cheloveka",
        "legal_acts/laws/o-vnesenii-izmeneniy-po-voprosam-obespecheniya-prav-zhenshchin",
        "2990001",
    ]
    decree, law, numeric = records
    assert decree.url == ("https://www.akorda.kz/ru/legal_acts/decrees/"
                          "ob-utverzhdenii-plana-deystviy-v-oblasti-prav-cheloveka")
    assert (decree.kind, decree.stage, decree.doc_type, decree.created) == (
        "legal_act", "signed", "decrees", "2023-12-08")
    assert "signed_law_title" not in decree.details  # a decree, not a law
    assert law.details["signed_law_title"] == WOMEN_LAW
    assert (law.created, law.doc_type) == ("2024-04-15", "laws")
    assert numeric.created == "2022-01-12"


def test_legal_acts_stage_and_selectors_are_configurable() -> None:
    html = fixture_text("kz_akorda", "legal_acts_no_list.html")
    rules = Rules(Rules.default().signature, legal_act_stage="unknown")
    records = parse_legal_acts(
        html, LIST_URL, {"link": "a.card__title[href]", "date": ""}, rules)
    assert [(r.external_id, r.stage, r.created) for r in records] == [
        ("legal_acts/decrees/synthetic", "unknown", None)]


def test_legal_acts_without_the_list_is_a_layout_change() -> None:
    with pytest.raises(LayoutChanged, match=r"h3 > a\[href\]"):
        parse_legal_acts(fixture_text("kz_akorda", "legal_acts_no_list.html"), LIST_URL)


def test_legal_acts_dates_out_of_step_or_unreadable_are_a_layout_change() -> None:
    html = fixture_text("kz_akorda", "legal_acts_ru.html")
    with pytest.raises(LayoutChanged, match="2 dates for 3 titles"):
        parse_legal_acts(html.replace("<h5>12 января 2022 года</h5>", "", 1), LIST_URL)
    with pytest.raises(LayoutChanged, match="unexpected date"):
        parse_legal_acts(html.replace("12 января 2022 года", "12.01.2022"), LIST_URL)


def test_legal_acts_hostile_title_stays_plain_text() -> None:
    html = fixture_text("kz_akorda", "legal_acts_ru.html").replace(
        "Указ Президента Республики Казахстан «О назначении»",
        "\x1b[2J&lt;script&gt;alert(1)&lt;/script&gt; Указ", 1)
    title = parse_legal_acts(html, LIST_URL)[2].title
    assert title == "\x1b[2J<script>alert(1)</script> Указ (synthetic)"


@pytest.mark.parametrize(("text", "expected"), [
    ("12 января 2022 года", "2022-01-12"),
    ("Опубликовано 1 мая 2025 года, 10:00", "2025-05-01"),
    ("31 февраля 2024 года", None),
    ("12.01.2022", None),
    ("12 january 2022", None),
])
def test_ru_date(text: str, expected: str | None) -> None:
    assert ru_date(text) == expected


@pytest.mark.parametrize(("url", "expected"), [
    ("https://www.akorda.kz/ru/glava-gosudarstva-podpisal-483750", "483750"),
    ("https://www.akorda.kz/ru/news/483750/", "483750"),
    ("https://www.akorda.kz/ru/legal_acts/decrees/o-merah", "legal_acts/decrees/o-merah"),
    ("https://www.akorda.kz/ru", "ru"),
    ("https://www.akorda.kz/", None),
])
def test_external_id(url: str, expected: str | None) -> None:
    assert external_id(url) == expected


def test_law_titles_nested_quotes_and_non_law_quotes() -> None:
    text = ("Глава государства подписал Закон Республики Казахстан «О внесении изменений в "
            "Закон Республики Казахстан «О профилактике бытового насилия»» и посетил  "
            "выставку «Не закон»")
    assert law_titles(text) == [
        "О внесении изменений в Закон Республики Казахстан «О профилактике бытового насилия»"]
    assert law_titles("Закон от 30 декабря 2025 года № 250-VIII «О  чём-то\nещё»") == [
        "О чём-то ещё"]
    assert law_titles("Указ «Об утверждении»") == []
    assert quoted_spans("«a «b» c» «unclosed") == [(0, 9)]


def test_signature_patterns_option_adds_forms() -> None:
    xml = fixture_text("kz_akorda", "rss_ru.xml").replace(
        "Глава государства провёл совещание", "Главой государства подписан Закон «О примере»")
    default = by_id(parse_rss(xml, RSS_URL))["3012301"]
    assert default.stage == "unknown"  # the passive form is not a default pattern
    rules = Rules((*Rules.default().signature, re.compile(r"подписан\s+закон", re.I)))
    custom = by_id(parse_rss(xml, RSS_URL, rules))["3012301"]
    assert custom.stage == "signed" and custom.details["signed_law_title"] == "О примере"


def test_parse_dispatches_on_content() -> None:
    assert len(KzAkorda.parse(fixture_text("kz_akorda", "rss_ru.xml"), RSS_URL)) == 3
    assert len(KzAkorda.parse(fixture_text("kz_akorda", "legal_acts_ru.html"), LIST_URL)) == 3


@pytest.mark.parametrize(("options", "message"), [
    ({"rss_path": "ru/rss"}, "rss_path"),
    ({"rss_path": "", "legal_acts_path": ""}, "cannot both be empty"),
    ({"selectors": {"title": "h3"}}, "selectors"),
    ({"selectors": {"link": "h3 >"}}, "invalid CSS"),
    ({"selectors": {"link": ""}}, "selectors.link"),
    ({"signature_patterns": ["("]}, "bad pattern"),
    ({"signature_patterns": []}, "signature_patterns"),
    ({"legal_act_stage": "signed_by_president"}, "legal_act_stage"),
    ({"max_pages": 2}, "unknown key"),
])
def test_bad_options(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        KzAkorda.check_options(options, "[sources.kz_akorda]")


def test_good_options() -> None:
    KzAkorda.check_options(
        {"rss_path": "", "selectors": {**LIST_SELECTORS, "date": ""},
         "signature_patterns": [r"подписан\s+закон"], "legal_act_stage": "unknown"},
        "[sources.kz_akorda]")
