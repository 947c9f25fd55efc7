"""Goals and matching: normalisation, stemming, the query language, goals files, the engine.

Pure functions, no database and no network. The public API:

- :func:`load_goals`, :func:`check_goals_file`, :func:`default_goals_path`, :class:`Goal`;
- :func:`match_document` (or :class:`Matcher` for many documents), :class:`MatchInput`,
  :class:`GoalMatch`, :class:`Reason`;
- :func:`explain` for ``tracker goals test``;
- :func:`parse_query` and :class:`QueryError` for the query language.
"""

from __future__ import annotations

from tracker.matching.engine import GoalMatch, Matcher, MatchInput, Reason, match_document
from tracker.matching.explain import explain
from tracker.matching.goals import (
    STANCES,
    Goal,
    GoalsError,
    check_goals_file,
    check_goals_text,
    default_goals_path,
    load_goals,
    load_goals_text,
    make_goal,
)
from tracker.matching.lexer import QueryError
from tracker.matching.normalise import normalise, tokenize
from tracker.matching.query import Query, parse_query

__all__ = [
    "STANCES",
    "Goal",
    "GoalMatch",
    "GoalsError",
    "MatchInput",
    "Matcher",
    "Query",
    "QueryError",
    "Reason",
    "check_goals_file",
    "check_goals_text",
    "default_goals_path",
    "explain",
    "load_goals",
    "load_goals_text",
    "make_goal",
    "match_document",
    "normalise",
    "parse_query",
    "tokenize",
]
