"""un_upr parsing: export records, UPR Info rows, one document per recommendation, the
streaming export reader (truncation, malformed records), option validation."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest

from sources.un_upr import UnUpr, parse_saved, quoted, wg_reports
from tests.sources.test_un_shapes import api_row, export_record, fixture_bytes, kazakhstan_rows
from tracker.errors import ConfigError, LayoutChanged
from tracker.upr.combine import combine
from tracker.upr.export import scan_export, scan_export_file
from tracker.upr.parse import (
    Malformed,
    parse_api_row,
    parse_export_item,
    split_paragraph,
    strip_html,
    strip_trailing_parenthetical,
    text_key,
)

WG = {1: "A/HRC/14/10", 2: "A/HRC/28/10", 3: "A/HRC/43/10"}


def export_items() -> list[Any]:
    return json.loads(fixture_bytes("un_upr", "export_small.json"))  # type: ignore[no-any-return]


def api_rows() -> list[Any]:
    return [row for n in (1, 2, 3)
            for row in json.loads(fixture_bytes("un_upr", f"api_search_p{n}.json"))["rows"]]


def test_text_helpers() -> None:
    assert strip_html("<p>124.6&nbsp;Adopt <b>a</b>\n law</p>") == "124.6 Adopt a law"
    assert split_paragraph("124.6 Adopt a law") == ("124.6", "Adopt a law")
    assert split_paragraph("Adopt 12.5 laws") == (None, "Adopt 12.5 laws")
    assert strip_trailing_parenthetical("Ratify it (Iran (Islamic Republic of));") == "Ratify it"
    assert text_key("124.6 Adopt, a LAW (Canada);") == text_key("Adopt a law.")
    assert quoted("sexuality education") == '"sexuality education"'
    assert quoted('"already quoted"') == '"already quoted"'


def test_export_item_is_parsed_and_malformed_ones_name_the_key() -> None:
    items = export_items()
    rec = parse_export_item(items[0], state="Kazakhstan")
    assert (rec.raw_id, rec.symbol, rec.paragraph, rec.cycle) == (
        "a0000001-0000-4000-8000-000000000001", "A/HRC/28/10", "124.3", 2)
    assert rec.text.startswith("Adopt a law on equal treatment")
    assert rec.themes_raw[0] == " Equality & non-discrimination "  # raw kept verbatim
    with pytest.raises(Malformed, match="Text"):
        parse_export_item(items[3], state="Kazakhstan")
    with pytest.raises(Malformed, match="AnnotationId"):
        parse_export_item({"Text": "x"}, state="Kazakhstan")
    with pytest.raises(Malformed, match="Themes"):
        parse_export_item({**items[0], "Themes": "a" and [1]}, state="Kazakhstan")


def test_api_row_is_parsed() -> None:
    rec = parse_api_row(api_rows()[3])
    assert rec.raw_id == "p2-2" and rec.position_raw == "Not Supported"
    assert (rec.cycle, rec.session, rec.state) == (2, 20, "Kazakhstan")
    assert rec.states_raw == ["Examplestan", "Samplia"]
    assert parse_api_row(api_rows()[0]).paragraph == "124.3"
    with pytest.raises(Malformed, match="sharedId"):
        parse_api_row({"metadata": {}})
    with pytest.raises(Malformed, match="recommendation"):
        parse_api_row({"sharedId": "x", "metadata": {"response": [{"label": "Noted"}]}})


def test_one_document_per_recommendation_across_both_inputs() -> None:
    export = [parse_export_item(i, state="Kazakhstan") for i in export_items()
              if i["AnnotationId"] != "malformed-0001" and i["Body"] == "- UPR"
              and "Kazakhstan" in i["Countries"]]
    api = [parse_api_row(r) for r in api_rows()]
    got = combine(api, export, source="un_upr", wg_reports=WG)
    ids = [r.external_id for r in got.records]
    assert ids == ["A/HRC/28/10:124.3", "A/HRC/28/10:124.12", "A/HRC/28/10:125.7",
                   "A/HRC/28/10:126.9", "A/HRC/28/10:126.20", "upr-info:p3-1"]
    by_id = {r.external_id: r for r in got.records}
    joined = by_id["A/HRC/28/10:125.7"]
    assert joined.details["upr_info_id"] == "p1-2"
    assert joined.details["uhri_id"] == "a0000001-0000-4000-8000-000000000002"
    assert joined.stage == "supported" and joined.status_raw == "Supported"
    assert joined.details["theme_groups"] == ["gender-based-violence", "women"]
    assert joined.url == "https://docs.un.org/en/A/HRC/28/10"
    refused = by_id["A/HRC/28/10:126.20"]
    assert (refused.stage, refused.details["position_kind"]) == ("noted", "not_supported")
    assert "lgbti" in refused.details["theme_groups"]
    only_export = by_id["A/HRC/28/10:124.12"]
    assert only_export.stage == "unknown" and only_export.status_raw is None
    assert any("without a position" in w for w in got.warnings)


def test_ties_are_broken_by_recommending_state_and_ids_never_move() -> None:
    rows = [r for r in kazakhstan_rows() if r["recommendation"].startswith(
        "Abolish the death penalty (")]
    assert len(rows) == 4  # 125.42-125.45: one text, four states
    export = [parse_export_item(export_record(r), state="Kazakhstan") for r in rows]
    api = [parse_api_row(api_row(r)) for r in rows]
    got = combine(api, export, source="un_upr", wg_reports=WG)
    assert len(got.records) == 4
    for record in got.records:
        assert record.details["upr_info_id"] and record.details["uhri_id"]
        assert record.agency and record.agency in record.title  # "(Sweden);" matched Sweden's row
    # Stored earlier under a fallback id (UPR Info only, no paragraph): the id stays.
    fallback = f"upr-info:{api[0].raw_id}"
    again = combine(api, export, source="un_upr", wg_reports=WG, known_ids={fallback})
    assert fallback in [r.external_id for r in again.records]
    assert len(again.records) == 4


def test_unknown_position_warns_and_keeps_the_raw_value() -> None:
    row = dict(api_rows()[1])
    row["metadata"] = {**row["metadata"], "response": [{"label": "Accepted in part"}]}
    got = combine([parse_api_row(row)], [], source="un_upr", wg_reports=WG)
    assert got.records[0].stage == "unknown"
    assert got.records[0].status_raw == "Accepted in part"
    assert any("unmapped position 'Accepted in part'" in w for w in got.warnings)
    mapped = combine([parse_api_row(row)], [], source="un_upr", wg_reports=WG,
                     position_map={"accepted in part": "supported"})
    assert mapped.records[0].stage == "supported"


def test_scan_filters_by_state_and_body_and_reports_malformed() -> None:
    data = fixture_bytes("un_upr", "export_small.json")
    scan = scan_export(io.BytesIO(data), state="Kazakhstan")
    assert scan.scanned == 8 and scan.truncated is None
    assert [r["AnnotationId"][-1] for r in scan.records] == ["1", "2", "3", "1", "4", "7"]
    broken = json.loads(data)
    broken[6]["Countries"] = "Slovenia"
    scan = scan_export(io.BytesIO(json.dumps(broken).encode()), state="Kazakhstan")
    assert scan.malformed == 1 and "Countries" in (scan.malformed_warning() or "")
    assert len(scan.records) == 6


def test_truncated_stream_keeps_the_records_before_the_cut(tmp_path: Path) -> None:
    data = fixture_bytes("un_upr", "export_small.json")
    cut = data[: data.index(b"a0000001-0000-4000-8000-000000000003")]
    scan = scan_export(io.BytesIO(cut), state="Kazakhstan")
    assert scan.truncated and "after 2 records" in scan.truncated
    assert len(scan.records) == 2
    gz = tmp_path / "export.json.gz"
    gz.write_bytes(gzip.compress(data)[:-40])
    scan = scan_export_file(gz, state="Kazakhstan")
    assert scan.truncated is not None and "compressed stream cut" in scan.truncated


def test_parse_saved_response_and_export() -> None:
    records = parse_saved(fixture_bytes("un_upr", "api_search_p2.json").decode(), "saved.json")
    assert [r.external_id for r in records] == ["upr-info:p2-1", "upr-info:p2-2"]
    records = UnUpr.parse(json.dumps(export_items()[:3]), "export.json")
    assert records[0].external_id == "A/HRC/28/10:124.3"
    with pytest.raises(LayoutChanged):
        parse_saved('{"data": []}', "x")


@pytest.mark.parametrize(("options", "message"), [
    ({"wg_reports": {"3": "A/HRC/43/11"}}, "A/HRC/43/10, not A/HRC/43/11"),
    ({"wg_reports": {"4": "A/HRC/59"}}, "not cycle number"),
    ({"page_size": 0}, "page_size"),
    ({"search_terms": [""]}, "search_terms"),
    ({"position_map": {"Accepted": "yes"}}, "position_map"),
    ({"export_file": "/nonexistent/export.json"}, "export_file"),
    ({"export_url": "ftp://x"}, "export_url"),
    ({"colour": "red"}, "unknown key"),
])
def test_bad_options_fail_with_the_key(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        UnUpr.check_options(options, "[sources.un_upr]")


def test_cycle_four_symbol_is_configurable() -> None:
    got = wg_reports({"wg_reports": {"4": "A/HRC/59/10"}}, "x")
    assert got == {**WG, 4: "A/HRC/59/10"}
    assert wg_reports({"state": "Slovenia"}, "x") == {}
