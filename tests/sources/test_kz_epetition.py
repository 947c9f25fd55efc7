"""kz_epetition parsers over the synthetic fixtures (no saved epetition.kz JSON exists)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sources.kz_epetition import (
    DEFAULT_MILESTONES,
    Item,
    KzEpetition,
    iso_date,
    milestone,
    parse_detail,
    parse_short,
    thin_record,
)
from tests.conftest import fixture_text
from tracker.errors import ConfigError, LayoutChanged

API = "https://epetition.kz/api/public/v1/petitions"
SHORT_URL = f"{API}/short?size=21&page=0"
LGBT_TITLE = "Мы против открытой и скрытой пропаганды ЛГБТ в РК!"


def detail(petition_id: str, **changes: Any) -> str:
    data = json.loads(fixture_text("kz_epetition", f"detail_{petition_id}.json"))
    data.update(changes)
    return json.dumps(data, ensure_ascii=False)


def test_short_pages() -> None:
    page0 = parse_short(fixture_text("kz_epetition", "short_page0.json"), SHORT_URL)
    assert page0.last is False
    assert [(i.id, i.signers, i.created) for i in page0.items] == [
        ("2417", 812, "2026-10-05"),
        # 21:40 UTC is already the next day in Kazakhstan (UTC+5).
        ("2409", 24870, "2026-09-29"),
        ("2398", 1530, "2026-09-20"),
    ]
    page1 = parse_short(fixture_text("kz_epetition", "short_page1.json"), SHORT_URL)
    assert page1.last is True
    assert page1.items[1] == Item("1042", LGBT_TITLE, 50412, "2024-05-20")
    assert page1.items[0].created == "2026-09-02"  # no offset: the date as written


def test_short_page_without_content_is_a_layout_change() -> None:
    with pytest.raises(LayoutChanged, match="'content'"):
        parse_short(fixture_text("kz_epetition", "short_no_content.json"), SHORT_URL)


@pytest.mark.parametrize(("body", "match"), [
    ('{"content": [{"title": "x"}], "last": true}', r"content\[0\]\.id"),
    ('{"content": [{"id": true, "title": "x"}]}', r"content\[0\]\.id"),
    ('{"content": [{"id": 5, "title": "  "}]}', r"content\[0\]\.title"),
    ('{"content": [{"id": 5, "title": "x", "applyDate": 1714000000000}]}', "applyDate"),
    ('{"content": {"id": 5}}', "'content'"),
    ("<html><body>Service unavailable</body></html>", "not JSON"),
    ("[]", "'content'"),
])
def test_short_page_shape_errors(body: str, match: str) -> None:
    with pytest.raises(LayoutChanged, match=match):
        parse_short(body, SHORT_URL)


def test_detail_open_petition() -> None:
    item = Item("2409", "Ввести уголовную ответственность за бытовое насилие", 24870,
                "2026-09-29")
    record = parse_detail(detail("2409"), f"{API}/2409", "2409", item)
    assert (record.external_id, record.kind, record.stage, record.status_raw) == (
        "2409", "petition", "unknown", None)
    assert record.url == "https://epetition.kz/petition/2409"
    assert record.agency == "Министерство внутренних дел Республики Казахстан"
    assert (record.created, record.language) == ("2026-09-29", "ru")
    assert record.details == {
        "signers_milestone": 10_000, "counters": {"views": 90211}, "required": 50000,
        "required_reached": False, "lang": "ru",
    }


def test_detail_decision_kept_verbatim_and_mapped_only_by_option() -> None:
    text = detail("1042")
    unmapped = parse_detail(text, f"{API}/1042", "1042")
    assert (unmapped.stage, unmapped.status_raw) == ("unknown", "SYNTHETIC_PARTLY_UPHELD")
    assert unmapped.details["decision"] == {
        "decision": "SYNTHETIC_PARTLY_UPHELD",
        "syntheticDecisionMessageRu": "Синтетический текст решения (не с сайта).",
        "syntheticDecisionMessageKk": "Синтетикалық шешім мәтіні (сайттан емес).",
    }
    assert unmapped.details["required_reached"] is True
    assert unmapped.details["signers_milestone"] == 50_000
    assert unmapped.created is None  # no list item and no applyDate in this detail
    mapped = parse_detail(text, f"{API}/1042", "1042",
                          decision_stages={" synthetic_partly_upheld ": "supported"})
    assert (mapped.stage, mapped.status_raw) == ("supported", "SYNTHETIC_PARTLY_UPHELD")


def test_detail_structured_decision_and_odd_types_are_kept_not_guessed() -> None:
    text = detail("2398", decision={"code": 3, "text": "x"}, organization={"id": 7},
                  lang="KZ", applyDate="2026-09-20T10:00:00Z")
    record = parse_detail(text, f"{API}/2398", "2398")
    assert record.status_raw == '{"code": 3, "text": "x"}'
    assert record.agency is None and record.details["organization"] == {"id": 7}
    assert record.language is None and record.details["lang"] == "KZ"
    assert record.created == "2026-09-20"  # from the detail when no list item is given
    assert record.details["required_reached"] is True  # 1530 of a required 1000


def test_detail_hostile_title_stays_plain_text() -> None:
    hostile = "<script>alert(1)</script>\x1b[2J  Петиция\n"
    record = parse_detail(detail("2417", title=hostile), f"{API}/2417", "2417")
    assert record.title == "<script>alert(1)</script>\x1b[2J Петиция"


@pytest.mark.parametrize(("changes", "match"), [
    ({"title": None}, "'title'"),
    ({"signersCount": "812"}, "'signersCount'"),
    ({"signersCount": None}, "'signersCount'"),
])
def test_detail_shape_errors(changes: dict[str, Any], match: str) -> None:
    with pytest.raises(LayoutChanged, match=match):
        parse_detail(detail("2417", **changes), f"{API}/2417", "2417")


def test_detail_missing_optional_counters() -> None:
    data = json.loads(detail("2417"))
    for key in ("requiredCount", "viewersCount", "organization", "lang", "decision"):
        del data[key]
    record = parse_detail(json.dumps(data), f"{API}/2417", "2417")
    assert record.details == {"signers_milestone": 0}
    assert record.agency is None and record.stage == "unknown"


def test_thin_record_from_the_list() -> None:
    item = parse_short(fixture_text("kz_epetition", "short_page1.json"), SHORT_URL).items[1]
    record = thin_record(item, SHORT_URL)
    assert (record.external_id, record.title, record.created, record.stage) == (
        "1042", LGBT_TITLE, "2024-05-20", "unknown")
    assert record.details == {"signers_milestone": 50_000}
    assert record.agency is None


@pytest.mark.parametrize(("signers", "expected"), [
    (0, 0), (999, 0), (1000, 1000), (24_999, 10_000), (25_000, 25_000), (1_000_000, 50_000),
])
def test_milestone(signers: int, expected: int) -> None:
    assert milestone(signers, DEFAULT_MILESTONES) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-09-20", "2026-09-20"),
    ("2026-09-20T19:00:00.000+00:00", "2026-09-21"),
    ("2026-09-20T18:59:59Z", "2026-09-20"),
    ("2026-09-20T23:30:00", "2026-09-20"),
    (None, None),
])
def test_iso_date(value: Any, expected: str | None) -> None:
    assert iso_date(value, SHORT_URL, "applyDate") == expected


@pytest.mark.parametrize("value", ["20.09.2026", 1726790400000, "2026-13-01"])
def test_iso_date_other_formats_are_a_layout_change(value: Any) -> None:
    with pytest.raises(LayoutChanged, match="applyDate"):
        iso_date(value, SHORT_URL, "applyDate")


def test_parse_dispatches_on_url() -> None:
    listed = KzEpetition.parse(fixture_text("kz_epetition", "short_page0.json"), SHORT_URL)
    assert [r.external_id for r in listed] == ["2417", "2409", "2398"]
    [one] = KzEpetition.parse(detail("1042"), f"{API}/1042")
    assert one.external_id == "1042" and one.status_raw == "SYNTHETIC_PARTLY_UPHELD"


@pytest.mark.parametrize(("options", "message"), [
    ({"size": 0}, "size"),
    ({"size": True}, "size"),
    ({"max_pages": 101}, "max_pages"),
    ({"max_details": "5"}, "max_details"),
    ({"tracked": "1042"}, "tracked"),
    ({"tracked": [""]}, "tracked"),
    ({"decision_stages": {"X": "approved"}}, "decision_stages"),
    ({"signer_milestones": [0]}, "signer_milestones"),
    ({"signer_milestones": []}, "signer_milestones"),
    ({"language": "ru"}, "unknown key"),
])
def test_bad_options(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        KzEpetition.check_options(options, "[sources.kz_epetition]")


def test_good_options() -> None:
    KzEpetition.check_options(
        {"size": 50, "max_pages": 2, "max_details": 10, "tracked": [1042, "2409"],
         "decision_stages": {"SYNTHETIC": "rejected"}, "signer_milestones": [100, 50_000]},
        "[sources.kz_epetition]")
