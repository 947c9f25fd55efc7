"""UPR vocabularies: positions, theme labels across cycles, recommending states."""

from __future__ import annotations

import csv

import pytest

from tests.shared_data import shared_dir
from tracker.upr.vocab import (
    clean_label,
    clean_labels,
    normalise_position,
    normalise_states,
    theme_groups,
    theme_key,
)


@pytest.mark.parametrize(("raw", "stage", "kind"), [
    ("Supported", "supported", "supported"),
    ("  supported ", "supported", "supported"),
    ("Noted", "noted", "noted"),
    ("Not Supported", "noted", "not_supported"),
    ("Supported (considered already implemented)", "supported", "already_implemented"),
    ("Supported (in process of implementation)", "supported", "in_process"),
    ("Supported/Noted", "supported", "partially_supported"),
    ("Supported / Noted", "supported", "partially_supported"),
    ("Under consideration", "unknown", "pending"),
    ("The following recommendations will be examined by Kazakhstan", "unknown", "pending"),
    ("The recommendations below did not enjoy the support of Kazakhstan and have been noted",
     "noted", "noted"),
    ("The following recommendations enjoy the support of Kazakhstan, which considers that "
     "they are already implemented", "supported", "already_implemented"),
    ("The following recommendations enjoy the support of Kazakhstan, which considers that "
     "they are in the process of implementation", "supported", "in_process"),
])
def test_positions_map_to_one_enum(raw: str, stage: str, kind: str) -> None:
    position = normalise_position(raw)
    assert position is not None
    assert (position.stage, position.kind) == (stage, kind)


def test_unknown_position_is_none_and_configurable() -> None:
    assert normalise_position("Accepted in part, maybe") is None
    assert normalise_position("") is None and normalise_position(None) is None
    configured = normalise_position("accepted in part, maybe",
                                    {"Accepted in part, maybe": "supported"})
    assert configured is not None and configured.stage == "supported"


def test_every_position_in_the_real_files_is_mapped() -> None:
    root = shared_dir() / "upr-samples"
    for name in ("upr-kazakhstan-cycles1-2-recommendations.csv",
                 "upr-slovenia-thematic-lists-cycles2-4.csv"):
        with (root / name).open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                position = normalise_position(row["position"])
                assert position is not None, row["position"]
                expected = "noted" if row["position"] == "Noted" else "supported"
                assert position.stage == expected


def test_theme_labels_are_cleaned() -> None:
    assert clean_label("D29 Domestic violence") == "Domestic violence"
    assert clean_label("  Participation of women in political & public life ") == (
        "Participation of women in political & public life")
    assert clean_label("Budget &resources (for human rights implementation)") == (
        "Budget & resources (for human rights implementation)")
    assert theme_key("B31 Equality & non-discrimination") == theme_key(
        "Equality and non-discrimination")
    assert clean_labels(["women", "Women", "girls"]) == ["women", "girls"]


def test_domestic_violence_is_one_group_across_cycles() -> None:
    # The same recommendation, labelled by three cycles (upr-samples/README.md).
    for label in ("D29 Domestic violence", "Domestic violence", "Violence against women",
                  "F13 Violence against women", "Sexual & gender-based violence"):
        assert "gender-based-violence" in theme_groups([label])
    assert "lgbti" in theme_groups(
        ["G2 Lesbian, gay, bisexual and transgender and intersex persons (LGBTI)"])
    assert "lgbti" in theme_groups(
        ["lesbian, gay, bisexual, transgender and intersex persons (LGBTI)"])
    assert "civil-society" in theme_groups(
        ["Cooperation and meaningful consultation with civil society & participation"])
    assert theme_groups(["Right to education"]) == []


def test_gold_rules_of_the_labelled_slovenia_set_hold() -> None:
    """The README's gold-label rules: 63 violence rows, 36 LGBTI rows, 7 civil society."""
    path = shared_dir() / "upr-samples/upr-slovenia-thematic-lists-cycles2-4.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    counts = {"gender-based-violence": 0, "lgbti": 0, "civil-society": 0}
    for row in rows:
        themes = [t for t in row["themes"].split(" | ") if t]
        persons = [p for p in row["affected_persons"].split(" | ") if p]
        if "gender-based-violence" in theme_groups(themes):
            counts["gender-based-violence"] += 1
        if "lgbti" in theme_groups(persons + themes):
            counts["lgbti"] += 1
        if "civil-society" in theme_groups(themes + persons):
            counts["civil-society"] += 1
    assert counts == {"gender-based-violence": 63, "lgbti": 36, "civil-society": 7}


def test_states_are_normalised_and_treaty_tokens_separated() -> None:
    got = normalise_states("CEDAW; Chile")
    assert (got.states, got.other) == (["Chile"], ["CEDAW"])
    got = normalise_states(["Iran (Islamic republic of)", "Islamic Republic of Iran",
                            "Bolivarian Republic of Venezuela", "Turkey", "Türkiye",
                            "ICCPR-OP 2", "OP-ICESCR", "No. 189", "the former Yugoslav "
                            "Republic of Macedonia", "Kingdom of the Netherlands"])
    assert got.states == ["Iran (Islamic Republic of)", "Venezuela (Bolivarian Republic of)",
                          "Türkiye", "North Macedonia", "Netherlands (Kingdom of the)"]
    assert got.other == ["ICCPR-OP 2", "OP-ICESCR", "No. 189"]


def test_real_recommending_states_leave_only_states() -> None:
    path = shared_dir() / "upr-samples/upr-kazakhstan-cycles1-2-recommendations.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    others: set[str] = set()
    states: set[str] = set()
    for row in rows:
        got = normalise_states(row["recommending_states"])
        others.update(got.other)
        states.update(got.states)
    assert others == {"CEDAW", "CRPD", "ICCPR-OP 2", "ICRMW", "OP-ICESCR"}
    iran = {s for s in states if "Iran" in s}
    assert iran == {"Iran (Islamic Republic of)"}
    assert "Democratic People's Republic of Korea" in states
    chile = next(r for r in rows if r["paragraph"] == "124.42")
    assert normalise_states(chile["recommending_states"]).states == ["Chile"]
