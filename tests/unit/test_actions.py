"""Action validation, goal ids, staff name (pure, no database)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tracker.actions import (
    DEFAULT_GOAL_IDS,
    Action,
    ActionDraft,
    default_staff,
    draft_problems,
    known_goal_ids,
    parse_date,
    validate_draft,
)
from tracker.errors import UsageError
from tracker.matching.goals import default_goals_path

GOALS = frozenset(DEFAULT_GOAL_IDS)


def make(**changes: Any) -> ActionDraft:
    values: dict[str, Any] = {"type": "meeting", "date": "2026-03-02", "staff": "aigerim",
                              "summary": "Met the rapporteur", "goals": ("sogi",)}
    values.update(changes)
    return ActionDraft(**values)


def test_a_valid_draft_passes() -> None:
    validate_draft(make(), GOALS)
    validate_draft(make(type="public_comment", comment_text="text", card_id="15908401",
                        goals=(), documents=(3,)), GOALS)


@pytest.mark.parametrize(("changes", "message"), [
    ({"type": "lunch"}, "--type: unknown value 'lunch'"),
    ({"type": ""}, "--type is required"),
    ({"date": "02.03.2026"}, "--date: expected a date YYYY-MM-DD, got '02.03.2026'"),
    ({"date": "2026-02-30"}, "--date: expected a date YYYY-MM-DD"),
    ({"follow_up": "tomorrow"}, "--follow-up: expected a date"),
    ({"follow_up": "2026-03-01"}, "--follow-up 2026-03-01 is before the action's date"),
    ({"summary": "  "}, "--summary is required"),
    ({"goals": ()}, "at least one --document, --goal or --recommendation"),
    ({"goals": ("lgbt",)}, "--goal: unknown goal 'lgbt'"),
    ({"comment_text": "x"}, "only for --type public_comment"),
    ({"type": "public_comment", "card_id": "abc"}, "--card-id: expected the digits"),
    ({"summary": "x" * 20_001}, "--summary: longer than"),
])
def test_bad_drafts_give_one_line(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError) as info:
        validate_draft(make(**changes), GOALS)
    text = str(info.value)
    assert message in text and "\n" not in text and text.endswith("nothing was recorded")


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(UsageError) as info:
        validate_draft(make(type="lunch", date="yesterday", goals=("nope",)), GOALS)
    text = str(info.value)
    assert "--type" in text and "--date" in text and "--goal" in text


def test_problems_by_field_for_forms() -> None:
    problems = draft_problems(make(date="2026-03-40", follow_up="2026-03-01", summary=""),
                              GOALS)
    assert set(problems) == {"date", "summary"}  # no follow-up comparison with a bad date
    assert draft_problems(make(follow_up="2026-03-01"), GOALS) == {
        "follow_up": "--follow-up 2026-03-01 is before the action's date 2026-03-02"}
    assert draft_problems(make(), GOALS) == {}


def test_parse_date_normalises_and_rejects() -> None:
    assert parse_date("2026-03-02", "--date") == "2026-03-02"
    for bad in ("2026-3-2", "2026-03-02T10:00", " 2026-03-02"):
        with pytest.raises(UsageError):
            parse_date(bad, "--date")


def test_goal_ids_come_from_the_home_goals_file(tmp_path: Path) -> None:
    ids, note = known_goal_ids(None)
    assert ids == GOALS and note is None  # the shipped file has exactly the six defaults
    (tmp_path / "goals.toml").write_text(
        '[[goal]]\nid = "pension-reform"\nname = "Pensions"\nstance = "watch"\n'
        "priority = 2\nquery = '''пенсия'''\n", encoding="utf-8")
    ids, note = known_goal_ids(tmp_path)
    assert ids == {"pension-reform"} and note is None


def test_a_broken_goals_file_falls_back_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "goals.toml").write_text("[[goal]\nid = ", encoding="utf-8")
    ids, note = known_goal_ids(tmp_path)
    assert ids == GOALS
    assert note is not None and "goals.toml could not be loaded" in note
    assert default_goals_path().exists()


def test_staff_name_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_STAFF", "dana")
    assert default_staff("aigerim") == "aigerim"
    assert default_staff(None) == "dana"
    monkeypatch.delenv("TRACKER_STAFF")
    monkeypatch.setattr("getpass.getuser", lambda: "os-user")
    assert default_staff(None) == "os-user"
    assert default_staff("  ") == "os-user"


def test_days_to_follow_up() -> None:
    base: dict[str, Any] = dict(
        id=1, type="call", date="2026-03-01", staff="a", status="open", sensitivity="normal",
        counterpart_person=None, counterpart_institution=None, summary="s", outcome=None,
        next_step=None, comment_text=None, card_id=None, sealed=False, created_at="",
        updated_at="")
    today = dt.date(2026, 3, 10)
    assert Action(**base, follow_up="2026-03-08").days_to_follow_up(today) == -2
    assert Action(**base, follow_up="2026-03-10").days_to_follow_up(today) == 0
    assert Action(**base, follow_up=None).days_to_follow_up(today) is None
