"""Advocacy goals: the ``goals.toml`` file staff edit, loaded and checked with positions.

A goals file is a list of ``[[goal]]`` tables::

    [[goal]]
    id = "domestic-violence"        # stable: scripts, matches and triage refer to it
    name = "Criminalise domestic violence"
    stance = "support"              # support | oppose | watch
    priority = 1                    # 1 = most important
    description = "..."             # optional
    query = '''
      "бытовое насилие" OR "domestic violence"
    '''

:func:`check_goals_file` reports every problem as ``file:line:column: message`` (a query
error points at the offending character inside the multi-line string); :func:`load_goals`
raises :class:`GoalsError` (a :class:`~tracker.errors.ConfigError`) with the same messages.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from tracker.errors import ConfigError
from tracker.matching.lexer import line_column
from tracker.matching.query import Query, QueryError, parse_query
from tracker.matching.tomlpos import TablePos, ValuePos, scan

STANCES = ("support", "oppose", "watch")
GOAL_KEYS = ("id", "name", "stance", "priority", "description", "query")
_ID = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


class GoalsError(ConfigError):
    """A goals file with problems; ``messages`` lists each as ``file:line:column: message``."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = list(messages)
        more = f" (and {len(messages) - 1} more problems)" if len(messages) > 1 else ""
        super().__init__(messages[0] + more if messages else "invalid goals file")


@dataclass(frozen=True, eq=False)
class Goal:
    """One advocacy goal; ``compiled`` is the parsed ``query``."""

    id: str
    name: str
    stance: str
    priority: int
    query: str
    compiled: Query
    description: str = ""


def default_goals_path() -> Path:
    """The goals file shipped with the tracker (copied into a new home by ``tracker init``)."""
    return Path(str(resources.files("tracker") / "defaults" / "goals.toml"))


def make_goal(
    goal_id: str,
    query: str,
    *,
    name: str = "",
    stance: str = "watch",
    priority: int = 3,
    description: str = "",
) -> Goal:
    """A goal built in code (tests, ``tracker goals test --query``); raises QueryError."""
    return Goal(goal_id, name or goal_id, stance, priority, query, parse_query(query), description)


def load_goals(path: Path | str | None = None) -> list[Goal]:
    """Load and check a goals file (the shipped defaults when ``path`` is None)."""
    path = Path(path) if path is not None else default_goals_path()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GoalsError([f"{path}: cannot read goals file: {exc}"]) from exc
    return load_goals_text(text, str(path))


def load_goals_text(text: str, source: str = "<goals>") -> list[Goal]:
    """Load goals from TOML text; ``source`` names the file in messages."""
    goals, problems = _check(text, source)
    if problems:
        raise GoalsError(problems)
    return goals


def check_goals_file(path: Path | str) -> list[str]:
    """Every problem of a goals file as ``file:line:column: message``; empty when valid."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [f"{path}: cannot read goals file: {exc}"]
    return _check(text, str(path))[1]


def check_goals_text(text: str, source: str = "<goals>") -> list[str]:
    """Like :func:`check_goals_file`, for text already read."""
    return _check(text, source)[1]


def _check(text: str, source: str) -> tuple[list[Goal], list[str]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        where = _TOML_POSITION.search(message)
        if where is None:
            return [], [f"{source}: invalid TOML: {message}"]
        message = message[: where.start()]
        return [], [f"{source}:{where.group(1)}:{where.group(2)}: invalid TOML: {message}"]
    tables = [t for t in scan(text) if t.name == "goal"]
    problems: list[str] = []
    for key in data:
        if key != "goal":
            problems.append(
                f"{source}: unknown top-level key or table {key!r} (goals are [[goal]] tables)"
            )
    raw_goals = data.get("goal")
    if not isinstance(raw_goals, list) or not raw_goals:
        problems.append(f"{source}: no [[goal]] tables found")
        return [], problems
    goals: list[Goal] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(raw_goals):
        table = tables[number] if number < len(tables) else None
        place = _Place(text, source, table, number + 1)
        goal = _build(raw, place, problems)
        if goal is None:
            continue
        if goal.id in seen:
            problems.append(
                place.at("id", f"duplicate goal id {goal.id!r} (also goal {seen[goal.id]})")
            )
            continue
        seen[goal.id] = number + 1
        goals.append(goal)
    return goals, problems


class _Place:
    """Turns a goal's key (or a query offset) into a ``file:line:column:`` prefix."""

    def __init__(self, text: str, source: str, table: TablePos | None, number: int) -> None:
        self.text = text
        self.source = source
        self.table = table
        self.label = f"goal {number}"

    def _prefix(self, offset: int | None) -> str:
        if offset is None:
            return f"{self.source}:"
        line, column = line_column(self.text, offset)
        return f"{self.source}:{line}:{column}:"

    def key(self, name: str) -> ValuePos | None:
        return self.table.keys.get(name) if self.table is not None else None

    def at(self, key: str, message: str) -> str:
        pos = self.key(key)
        offset = pos.key_offset if pos is not None else (self.table.offset if self.table else None)
        return f"{self._prefix(offset)} {self.label}: {key}: {message}"

    def in_query(self, query: str, error: QueryError) -> str:
        pos = self.key("query")
        offset: int | None = self.table.offset if self.table else None
        if pos is not None and pos.offsets is not None and pos.decoded == query:
            if error.offset < len(pos.offsets):
                offset = pos.offsets[error.offset]
            elif pos.offsets:
                offset = pos.offsets[-1] + 1
        elif pos is not None:
            offset = pos.value_offset
        return f"{self._prefix(offset)} {self.label}: query: {error.message}"


def _build(raw: Any, place: _Place, problems: list[str]) -> Goal | None:
    if not isinstance(raw, dict):
        problems.append(place.at("goal", "must be a table"))
        return None
    before = len(problems)
    goal_id = raw.get("id")
    if isinstance(goal_id, str) and _ID.match(goal_id):
        place.label = f"goal {goal_id!r}"
    for key in raw:
        if key not in GOAL_KEYS:
            problems.append(place.at(key, f"unknown key (expected one of {', '.join(GOAL_KEYS)})"))
    if not isinstance(goal_id, str) or not _ID.match(goal_id):
        problems.append(
            place.at(
                "id", "required: lower-case letters, digits and '-', e.g. \"domestic-violence\""
            )
        )
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(place.at("name", "required: a non-empty string"))
    stance = raw.get("stance")
    if stance not in STANCES:
        problems.append(place.at("stance", f"must be one of {', '.join(STANCES)} (got {stance!r})"))
    priority = raw.get("priority", 3)
    if not isinstance(priority, int) or isinstance(priority, bool) or priority < 1:
        problems.append(place.at("priority", f"must be a whole number >= 1 (got {priority!r})"))
    description = raw.get("description", "")
    if not isinstance(description, str):
        problems.append(place.at("description", "must be a string"))
    query = raw.get("query")
    compiled: Query | None = None
    if not isinstance(query, str):
        problems.append(place.at("query", "required: a string (use ''' for several lines)"))
    else:
        try:
            compiled = parse_query(query)
        except QueryError as exc:
            problems.append(place.in_query(query, exc))
    if len(problems) > before or compiled is None:
        return None
    assert isinstance(goal_id, str) and isinstance(name, str) and isinstance(query, str)
    assert isinstance(stance, str) and isinstance(priority, int)
    assert isinstance(description, str)
    return Goal(goal_id, name.strip(), stance, priority, query, compiled, description.strip())
