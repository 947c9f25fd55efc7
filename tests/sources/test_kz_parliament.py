"""kz_parliament parsers and options, on the synthetic fixtures (SOURCES.md §3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sources.kz_parliament import (
    FIELDS,
    STATUS_STAGES,
    KzParliament,
    parse_draft_law,
    parse_draft_law_list,
    parse_senate_page,
    stage_for,
    stage_table,
)
from tests.conftest import fixture_text, write_home
from tracker.catalog import load_home_settings
from tracker.errors import ConfigError, LayoutChanged

API = "https://mazhilis.parlam.kz/api/core/draft-laws/"
SENATE = "https://senate.parlam.kz/ru-RU/lawProjects/index?p=1"


def text(name: str) -> str:
    return fixture_text("kz_parliament", name)


def test_list_page_gives_count_and_ids_as_text() -> None:
    listing = parse_draft_law_list(text("draft_laws_offset0.json"), API + "?limit=2&offset=0")
    assert listing.count == 3
    assert listing.ids == ["2101", "2102"]


def test_list_with_renamed_result_key_is_a_layout_change() -> None:
    with pytest.raises(LayoutChanged) as caught:
        parse_draft_law_list(text("draft_laws_renamed_result.json"), API)
    assert caught.value.selector == "result" and caught.value.url == API


def test_html_where_json_was_expected_is_a_layout_change() -> None:
    with pytest.raises(LayoutChanged, match="not JSON"):
        parse_draft_law_list("<!doctype html><app-root></app-root>", API)


def test_detail_record_fields() -> None:
    url = API + "2101/"
    record = parse_draft_law(text("draft_law_2101.json"), url)
    assert record.external_id == "mazhilis:2101"
    assert record.title.startswith("О внесении изменений и дополнений в некоторые")
    assert record.url == url and record.kind == "bill"
    assert (record.stage, record.status_raw) == ("first_reading", "Одобрен в первом чтении")
    # http:// file links are upgraded to https (SOURCES.md §3.2).
    assert record.details == {
        "chamber": "mazhilis",
        "documents": ["https://mazhilis.parlam.kz/media/draft-laws/2101/proekt.docx"],
    }


def test_relative_document_link_is_made_absolute() -> None:
    record = parse_draft_law(text("draft_law_2101_second_reading.json"), API + "2101/")
    assert record.details["documents"][1] == (
        "https://mazhilis.parlam.kz/media/draft-laws/2101/zakluchenie.pdf")
    assert record.stage == "second_reading"


def test_unmapped_status_is_kept_verbatim_with_stage_unknown() -> None:
    record = parse_draft_law(text("draft_law_2103_unmapped.json"), API + "2103/")
    assert record.stage == "unknown"
    assert record.status_raw == "На рассмотрении рабочей группы"


def test_nested_status_is_a_layout_change_unless_the_field_path_is_configured() -> None:
    body = text("draft_law_2101_nested_status.json")
    with pytest.raises(LayoutChanged) as caught:
        parse_draft_law(body, API + "2101/")
    assert caught.value.selector == "status"
    fields = {**FIELDS, "status": "status.name"}
    assert parse_draft_law(body, API + "2101/", fields).stage == "first_reading"


def test_missing_title_names_the_key() -> None:
    with pytest.raises(LayoutChanged) as caught:
        parse_draft_law('{"id": 1, "status": "x", "documents": []}', API + "1/")
    assert caught.value.selector == "title"


@pytest.mark.parametrize(("raw", "stage"), [
    ("Законопроект внесён в Мажилис", "parliament"),
    ("внесен Правительством", "parliament"),  # ё and е are the same letter here
    ("ОДОБРЕН В ПЕРВОМ ЧТЕНИИ", "first_reading"),
    ("Принят Мажилисом и направлен в Сенат", "second_reading"),
    ("Сенат одобрил", "upper_chamber"),
    ("Сенат не одобрил", "returned"),  # the longer wording wins over «одобрил»
    ("Подписан Главой государства", "signed"),
    ("Рассматривается", "unknown"),
    ("", "unknown"),
    (None, "unknown"),
])
def test_documented_wording_maps_to_stages(raw: str | None, stage: str) -> None:
    assert stage_for(raw, STATUS_STAGES) == stage


def test_configured_wording_overrides_and_extends_the_defaults() -> None:
    stages = stage_table({"на рассмотрении": "parliament", "Одобрил": "passed",
                          "ВНЕСЕН": "drafting"})
    assert stage_for("На рассмотрении рабочей группы", stages) == "parliament"
    assert stage_for("Сенат одобрил", stages) == "passed"  # case differs, still replaces
    assert stage_for("Законопроект внесён", stages) == "drafting"  # ё/е differ, too
    assert stage_for("Сенат не одобрил", stages) == "returned"


def test_senate_rows() -> None:
    records = parse_senate_page(text("senate_p1.html"), SENATE)
    assert [r.external_id for r in records] == ["senate:7101", "senate:7102"]
    first, second = records
    assert first.url == "https://senate.parlam.kz/ru-RU/lawProjects/details/7101"
    assert first.title.endswith("по вопросам обеспечения прав женщин и безопасности детей")
    assert (first.stage, first.status_raw, first.created) == ("upper_chamber", None, "2024-02-21")
    assert first.details == {"chamber": "senate", "number": "1",
                             "registration_number": "318-С", "decision_date": "2024-04-11"}
    assert second.details["decision_date"] is None  # not decided yet: empty cell


def test_senate_empty_table_is_no_rows_and_parse_says_layout_changed() -> None:
    assert parse_senate_page(text("senate_empty.html"), SENATE) == []
    with pytest.raises(LayoutChanged, match="lawProjects/details"):
        KzParliament.parse(text("senate_table_removed.html"), SENATE)


def test_senate_bad_date_is_a_layout_change() -> None:
    with pytest.raises(LayoutChanged, match="registered"):
        parse_senate_page(text("senate_bad_date.html"), SENATE)


def test_parse_dispatches_detail_list_and_html() -> None:
    assert [r.external_id for r in KzParliament.parse(text("draft_law_2102.json"),
                                                      API + "2102/")] == ["mazhilis:2102"]
    # A list whose items carry only ids cannot become bills: says which key is missing.
    with pytest.raises(LayoutChanged) as caught:
        KzParliament.parse(text("draft_laws_offset0.json"), API)
    assert caught.value.selector == "result[0].title"
    assert len(KzParliament.parse(text("senate_p2.html"), SENATE)) == 1


def load(tmp_path: Path, table: str) -> None:
    write_home(tmp_path, f"[sources.kz_parliament]\n{table}\n")
    load_home_settings(tmp_path)


@pytest.mark.parametrize(("table", "key"), [
    ("mazhilis = false\nsenate = false", "at least one"),
    ("mazhilis = 1", "mazhilis"),
    ('detail_path = "/api/core/draft-laws/"', "detail_path"),
    ('list_path = "api/core/draft-laws/"', "list_path"),
    ("page_size = 0", "page_size"),
    ("max_pages = true", "max_pages"),
    ('fields = { state = "status" }', "fields.state"),
    ('status_stages = { "одобрил" = "approved" }', "status_stages.одобрил"),
    ('senate_stage = "senate"', "senate_stage"),
    ('senate_base_url = "senate.parlam.kz"', "senate_base_url"),
    ("pages = 3", "'pages'"),
])
def test_bad_options_name_the_key(tmp_path: Path, table: str, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        load(tmp_path, table)


def test_good_options_load(tmp_path: Path) -> None:
    load(tmp_path, 'senate = false\npage_size = 50\nfields = { status = "status.name" }\n'
                   'status_stages = { "принят Курултаем" = "passed" }')
