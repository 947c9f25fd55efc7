"""Short human descriptions of events, shared by the CLI, the dashboard and digests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tracker.models import MILESTONE_STAGES


def describe_change(event_type: str, old: Any, new: Any, author: str | None = None) -> str:
    """One line saying what changed, e.g. ``deadline 2026-11-16 → 2026-11-23``."""
    if event_type == "new":
        stage = new.get("stage") if isinstance(new, Mapping) else None
        until = new.get("discussion_until") if isinstance(new, Mapping) else None
        return f"new ({stage}" + (f", comments until {until})" if until else ")")
    if event_type == "amended" and not _get(new, "stage"):
        return "amended again: " + "; ".join(
            f"{k} {_get(old, k)} → {v}" for k, v in (new or {}).items())
    if event_type == "assessment_changed":
        return (f"assessment: {_get(old, 'status') or 'none'} → {_get(new, 'status')}"
                + (f" (by {author})" if author else ""))
    if event_type in ("matched", "unmatched"):
        goal = _get(new, "goal") or _get(old, "goal")
        return f"{event_type} goal {goal}"
    if event_type == "health_changed":
        return f"source health {_get(old, 'health')} → {_get(new, 'health')}"
    if event_type == "triage_changed":
        return (f"triage {_get(new, 'goal')}: {_get(old, 'triage')} → {_get(new, 'triage')}"
                + (f" (by {author})" if author else ""))
    if event_type == "stage_changed" or event_type in MILESTONE_STAGES:
        raw = _get(new, "status_raw")
        return f"{_get(old, 'stage')} → {_get(new, 'stage')}" + (f" ({raw})" if raw else "")
    if event_type == "deadline_changed":
        return f"deadline {old or 'none'} → {new or 'none'}"
    if event_type == "counters_changed" and isinstance(new, Mapping):
        before = old if isinstance(old, Mapping) else {}
        parts = [f"{k} {before.get(k)}→{v}" for k, v in new.items() if before.get(k) != v]
        return "counters: " + ", ".join(parts)
    if event_type == "title_changed":
        return f"title was: {old}"
    if isinstance(new, Mapping):
        before = old if isinstance(old, Mapping) else {}
        return "; ".join(f"{k}: {before.get(k)} → {v}" for k, v in new.items())
    return f"{old} → {new}"


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, Mapping) else None
