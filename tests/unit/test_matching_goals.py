"""Goals files: the shipped defaults, loading, and errors reported at file:line:column."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.errors import ConfigError
from tracker.matching import (
    GoalsError,
    check_goals_file,
    check_goals_text,
    default_goals_path,
    load_goals,
    load_goals_text,
    make_goal,
)

DEFAULT_IDS = [
    "domestic-violence",
    "anti-discrimination",
    "sogi",
    "istanbul-convention",
    "upr-follow-up",
    "civic-space",
]

GOOD = """\
[[goal]]
id = "dv"
name = "Domestic violence"
stance = "support"
priority = 1
description = "why"
query = '''
  "бытовое насилие"
  OR "domestic violence"
'''
"""


def test_shipped_goals_are_valid_and_have_the_contract_ids() -> None:
    assert check_goals_file(default_goals_path()) == []
    goals = load_goals()
    assert [g.id for g in goals] == DEFAULT_IDS
    stances = {g.id: g.stance for g in goals}
    assert stances["sogi"] == "oppose"
    assert stances["upr-follow-up"] == "watch"
    assert all(g.name and g.priority >= 1 and g.description for g in goals)


def test_load_goals_text() -> None:
    (goal,) = load_goals_text(GOOD, "x.toml")
    assert (goal.id, goal.name, goal.stance, goal.priority) == (
        "dv",
        "Domestic violence",
        "support",
        1,
    )
    assert "бытовое насилие" in goal.query
    assert goal.description == "why"


def test_load_goals_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "goals.toml"
    path.write_text(GOOD, encoding="utf-8")
    assert [g.id for g in load_goals(path)] == ["dv"]
    assert check_goals_file(path) == []


def _lines(text: str) -> list[str]:
    return text.splitlines()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # a query error points into the multi-line string, at the file's line and column
        (
            GOOD.replace('OR "domestic violence"', 'OR ("domestic violence" AND'),
            "g.toml:9:30: goal 'dv': query: expected a word, a phrase or '(' after AND",
        ),
        (
            GOOD.replace('OR "domestic violence"', "OR «domestic violence"),
            "g.toml:9:6: goal 'dv': query: unterminated phrase: missing closing '»'",
        ),
        (
            GOOD.replace('OR "domestic violence"', "OR titel:violence"),
            "g.toml:9:6: goal 'dv': query: unknown field 'titel'",
        ),
        # basic strings with escapes still map to the right column
        (
            GOOD.replace("query = '''", 'query = """')
            .replace("'''\n", '"""\n')
            .replace('OR "domestic violence"', 'OR \\"x\\" foo:y'),
            "g.toml:9:12: goal 'dv': query: unknown field 'foo'",
        ),
        (
            GOOD.replace('stance = "support"', 'stance = "suport"'),
            "g.toml:4:1: goal 'dv': stance: must be one of support, oppose, watch (got 'suport')",
        ),
        (
            GOOD.replace("priority = 1", 'priority = "high"'),
            "g.toml:5:1: goal 'dv': priority: must be a whole number >= 1 (got 'high')",
        ),
        (
            GOOD.replace('id = "dv"', 'id = "Domestic Violence"'),
            "g.toml:2:1: goal 1: id: required: lower-case letters, digits and '-'",
        ),
        (
            GOOD.replace('name = "Domestic violence"\n', ""),
            "g.toml:1:1: goal 'dv': name: required: a non-empty string",
        ),
        (
            GOOD.replace('description = "why"', 'descripton = "why"'),
            "g.toml:6:1: goal 'dv': descripton: unknown key",
        ),
        (
            GOOD + GOOD.replace('name = "Domestic violence"', 'name = "again"'),
            "g.toml:12:1: goal 'dv': id: duplicate goal id 'dv' (also goal 1)",
        ),
        ("[[goal]\nid = 1\n", "g.toml:1:7: invalid TOML:"),
        ("[[goals]]\nid = 'x'\n", "g.toml: unknown top-level key or table 'goals'"),
        ("", "g.toml: no [[goal]] tables found"),
    ],
)
def test_problems_are_reported_with_positions(body: str, expected: str) -> None:
    problems = check_goals_text(body, "g.toml")
    assert any(p.startswith(expected) for p in problems), problems
    with pytest.raises(GoalsError) as caught:
        load_goals_text(body, "g.toml")
    assert isinstance(caught.value, ConfigError)
    assert caught.value.exit_code == 2
    assert caught.value.messages == problems


def test_every_problem_is_listed(tmp_path: Path) -> None:
    body = GOOD.replace('stance = "support"', 'stance = "x"').replace(
        "priority = 1", "priority = 0"
    )
    path = tmp_path / "goals.toml"
    path.write_text(body, encoding="utf-8")
    problems = check_goals_file(path)
    assert [p.split(": ")[2] for p in problems] == ["stance", "priority"]
    assert all(p.startswith(f"{path}:") for p in problems)
    with pytest.raises(GoalsError, match="and 1 more"):
        load_goals(path)


def test_unreadable_file(tmp_path: Path) -> None:
    missing = tmp_path / "none.toml"
    assert check_goals_file(missing)[0].startswith(f"{missing}: cannot read goals file")
    with pytest.raises(GoalsError):
        load_goals(missing)


def test_make_goal() -> None:
    goal = make_goal("x", "насилие OR violence", stance="support")
    assert (goal.id, goal.name, goal.stance, goal.priority) == ("x", "x", "support", 3)
