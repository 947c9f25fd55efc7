"""Compare a stored document with a newly seen record: merge, then typed events.

Pure functions, table-tested. A field a source did not see this time (None, or stage
``unknown``) keeps its stored value, so a thin listing never erases what a detail page said.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from tracker.models import (
    AMENDMENT_DETAILS,
    CONTEXT_DETAILS,
    MILESTONE_STAGES,
    EventDraft,
    Record,
)

_OPTIONAL_FIELDS = ("status_raw", "doc_type", "created", "discussion_until", "agency", "language")
_NOISY_COUNTERS = frozenset({"views"})
_DETAIL_FIELDS = ("doc_type", "created", "agency", "url", "language", "kind")


def merge(stored: Mapping[str, Any] | None, record: Record) -> Record:
    """The record as it should be stored: unseen fields keep their stored values."""
    if stored is None:
        return record
    changes: dict[str, Any] = {}
    for name in _OPTIONAL_FIELDS:
        if getattr(record, name) is None and stored.get(name) is not None:
            # Deadlines are the exception: a card that no longer shows one has lost it.
            if name == "discussion_until" and record.stage != "unknown":
                continue
            changes[name] = stored[name]
    if record.stage == "unknown" and stored.get("stage") not in (None, "unknown"):
        changes["stage"] = stored["stage"]
        if record.status_raw is None:
            changes["status_raw"] = stored.get("status_raw")
    old_details = dict(stored.get("details") or {})
    if old_details:
        changes["details"] = {**old_details, **record.details}
    return replace(record, **changes) if changes else record


def diff(stored: Mapping[str, Any] | None, record: Record) -> list[EventDraft]:
    """Typed events that turn ``stored`` into ``record`` (already merged); [] if equal."""
    if stored is None:
        return [EventDraft("new", None, snapshot(record))]
    events: list[EventDraft] = []
    old_stage = (stored.get("stage"), stored.get("status_raw"))
    new_stage = (record.stage, record.status_raw)
    if old_stage != new_stage:
        # A milestone is the stage itself changing; a new raw wording of the same stage
        # (e.g. an unmapped status kept under the old stage) is only a stage_changed.
        moved = old_stage[0] != new_stage[0]
        kind = record.stage if moved and record.stage in MILESTONE_STAGES else "stage_changed"
        events.append(
            EventDraft(
                kind,
                {"stage": old_stage[0], "status_raw": old_stage[1]},
                {"stage": new_stage[0], "status_raw": new_stage[1]},
            )
        )
    if stored.get("discussion_until") != record.discussion_until:
        events.append(
            EventDraft("deadline_changed", stored.get("discussion_until"), record.discussion_until)
        )
    old_details = dict(stored.get("details") or {})
    old_counters = old_details.get("counters")
    new_counters = record.details.get("counters")
    if _meaningful(old_counters) != _meaningful(new_counters):
        events.append(EventDraft("counters_changed", old_counters, new_counters))
    if stored.get("title") != record.title:
        events.append(EventDraft("title_changed", stored.get("title"), record.title))
    old_other: dict[str, Any] = {}
    new_other: dict[str, Any] = {}
    for name in _DETAIL_FIELDS:
        if stored.get(name) != getattr(record, name):
            old_other[name] = stored.get(name)
            new_other[name] = getattr(record, name)
    amended_old: dict[str, Any] = {}
    amended_new: dict[str, Any] = {}
    for key in sorted(set(old_details) | set(record.details)):
        if key == "counters" or key in CONTEXT_DETAILS:
            continue
        if old_details.get(key) != record.details.get(key):
            # A later amendment of an act already amended: the stage does not move, its
            # modification date / history length does. Only a previously known value counts.
            if key in AMENDMENT_DETAILS and old_details.get(key) is not None:
                amended_old[key] = old_details.get(key)
                amended_new[key] = record.details.get(key)
                continue
            old_other[key] = old_details.get(key)
            new_other[key] = record.details.get(key)
    if amended_old and not any(e.type == "amended" for e in events):
        events.append(EventDraft("amended", amended_old, amended_new))
    elif amended_old:
        old_other.update(amended_old)
        new_other.update(amended_new)
    if old_other:
        events.append(EventDraft("details_changed", old_other, new_other))
    return events


def _meaningful(counters: Any) -> Any:
    """Counters without the view count: views change on every visit and would flood the
    event log; they are still stored (and so counted as an update), just not an event."""
    if not isinstance(counters, Mapping):
        return counters
    return {k: v for k, v in counters.items() if k not in _NOISY_COUNTERS}


def snapshot(record: Record) -> dict[str, Any]:
    """The fields of a record shown in a ``new`` event."""
    return {
        "title": record.title,
        "stage": record.stage,
        "status_raw": record.status_raw,
        "doc_type": record.doc_type,
        "created": record.created,
        "discussion_until": record.discussion_until,
        "agency": record.agency,
        "url": record.url,
    }
