"""Human-readable explanation of one goal on one text (``tracker goals test GOAL "text"``)."""

from __future__ import annotations

from collections.abc import Sequence

from tracker.matching.engine import Matcher, MatchInput
from tracker.matching.evaluate import (
    ALL_FIELDS,
    AndPlan,
    Doc,
    FieldPlan,
    NotPlan,
    OrPlan,
    PhrasePlan,
    Plan,
)
from tracker.matching.goals import Goal
from tracker.matching.query import Query

_WIDTH = 72
_MAX_DEPTH = 6
_SHOW_ALL = 8


def explain(goal: Goal, text: str, *, title: str = "", labels: Sequence[str] = ()) -> str:
    """Whether ``goal`` matches ``text`` (and optional title/labels), and why, as text."""
    matcher = Matcher([goal])
    doc = MatchInput(title=title, text=text, labels=tuple(labels))
    found = matcher.match(doc)
    lines = [f"goal {goal.id} ({goal.stance}, priority {goal.priority}): {goal.name}"]
    if found:
        match = found[0]
        lines.append(f"MATCH — score {match.score}")
        for reason in match.reasons:
            lines.append(f"  {reason.field}: {reason.term}  →  {reason.snippet}")
    else:
        lines.append("NO MATCH")
    lines.append("")
    lines.append("how the query evaluated (✓ true, ✗ false):")
    _tree(goal.compiled, matcher.plans[0], matcher.prepare(doc), ALL_FIELDS, 1, lines)
    return "\n".join(lines)


def _short(text: str) -> str:
    return text if len(text) <= _WIDTH else text[: _WIDTH - 1] + "…"


def _tree(
    query: Query, plan: Plan, doc: Doc, scope: Sequence[str], depth: int, lines: list[str]
) -> None:
    indent = "  " * depth
    mark = "✓" if plan.truth(doc, scope) else "✗"
    if isinstance(plan, AndPlan | OrPlan) and depth < _MAX_DEPTH:
        lines.append(f"{indent}{mark} {'AND' if isinstance(plan, AndPlan) else 'OR'} of:")
        items = plan.children()
        shown = items
        if isinstance(plan, OrPlan) and len(items) > _SHOW_ALL:
            # long lists of synonyms: show what was (partly) found, count the rest
            shown = tuple(item for item in items if _touched(item, doc))
        for item in shown:
            _tree(query, item, doc, scope, depth + 1, lines)
        if len(shown) < len(items):
            lines.append(f"{indent}  ✗ … {len(items) - len(shown)} more alternatives: none found")
    elif isinstance(plan, NotPlan) and depth < _MAX_DEPTH:
        lines.append(f"{indent}{mark} NOT:")
        _tree(query, plan.item, doc, scope, depth + 1, lines)
    elif isinstance(plan, FieldPlan) and depth < _MAX_DEPTH:
        lines.append(f"{indent}{mark} only in {plan.name}:")
        inner = (plan.name,) if plan.name in scope else ()
        _tree(query, plan.item, doc, inner, depth + 1, lines)
    else:
        where = ""
        if plan.positional:
            counts = [
                f"{field} ×{len(found)}"
                for field in scope
                if (found := plan.occurrences(doc, field))
            ]
            where = f"   [{', '.join(counts)}]" if counts else ""
        lines.append(f"{indent}{mark} {_short(query.text_of(plan.node))}{where}")


def _touched(plan: Plan, doc: Doc) -> bool:
    """True when any word of ``plan`` occurs in the document."""
    if plan.children():
        return any(_touched(item, doc) for item in plan.children())
    if isinstance(plan, PhrasePlan):
        return not doc.present.isdisjoint(plan.ids)
    return plan.trigger is None or not plan.trigger.isdisjoint(doc.present)
