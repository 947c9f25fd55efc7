"""Matches in the store: document × goal with reasons; staff triage is never overwritten."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from tracker.fetch import utcnow_iso
from tracker.store.schema import documents, events, matches, meta

TRIAGE_STATES = ("new", "confirmed", "dismissed")


@dataclass(frozen=True)
class FoundMatch:
    """What the matcher found for one document and goal."""

    goal_id: str
    score: float
    reasons: list[dict[str, str]]


@dataclass
class MatchChanges:
    """Goals gained and lost, per document id."""

    gained: dict[int, list[str]]
    lost: dict[int, list[str]]

    @property
    def counts(self) -> tuple[int, int]:
        """(matches gained, matches lost)."""
        return (sum(map(len, self.gained.values())), sum(map(len, self.lost.values())))


def apply_matches(
    conn: Connection,
    found: Mapping[int, list[FoundMatch]],
    *,
    goal_ids: Iterable[str],
    run_id: int | None = None,
) -> MatchChanges:
    """Record the matcher's verdict for these documents. A goal newly matched is a `matched`
    event; a goal no longer matched (its query changed, or the document did) is marked
    inactive and is an `unmatched` event; staff triage stays as it was either way. Goals not
    in ``goal_ids`` (removed from the goals file) are left untouched."""
    known_goals = set(goal_ids)
    changes = MatchChanges({}, {})
    now = utcnow_iso()
    # Existing matches and sources of the whole batch in a few queries (most documents
    # match nothing: two queries per document were most of the matching cost of a run).
    ids = list(found)
    existing_by_doc: dict[int, dict[str, Any]] = {}
    sources: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for stored in conn.execute(select(matches).where(matches.c.document_id.in_(chunk))
                                ).mappings():
            existing_by_doc.setdefault(int(stored["document_id"]), {})[stored["goal_id"]] = stored
        sources.update((int(i), str(s)) for i, s in conn.execute(
            select(documents.c.id, documents.c.source).where(documents.c.id.in_(chunk))))
    for doc_id, results in found.items():
        existing = existing_by_doc.get(doc_id, {})
        if not results and not existing:
            continue
        source = sources[doc_id]
        seen = set()
        for result in results:
            seen.add(result.goal_id)
            values = {"score": result.score, "active": 1, "matched_at": now,
                      "reasons": json.dumps(result.reasons, ensure_ascii=False)}
            row = existing.get(result.goal_id)
            if row is None:
                conn.execute(matches.insert().values(
                    document_id=doc_id, goal_id=result.goal_id, triage="new", **values))
            else:
                conn.execute(matches.update().where(matches.c.id == row["id"]).values(**values))
            if row is None or not row["active"]:
                changes.gained.setdefault(doc_id, []).append(result.goal_id)
                _event(conn, source, doc_id, run_id, "matched", None,
                       {"goal": result.goal_id, "score": result.score}, now)
        for goal_id, row in existing.items():
            if goal_id in seen or not row["active"] or goal_id not in known_goals:
                continue
            conn.execute(matches.update().where(matches.c.id == row["id"]).values(active=0))
            changes.lost.setdefault(doc_id, []).append(goal_id)
            _event(conn, source, doc_id, run_id, "unmatched", {"goal": goal_id}, None, now)
    return changes


def set_triage(conn: Connection, doc_id: int, goal_id: str, state: str, author: str) -> str:
    """Confirm or dismiss (or reset to new) a match; returns the previous state."""
    if state not in TRIAGE_STATES:
        raise ValueError(f"triage must be one of {', '.join(TRIAGE_STATES)}")
    row = conn.execute(
        select(matches).where(matches.c.document_id == doc_id, matches.c.goal_id == goal_id)
    ).mappings().first()
    if row is None:
        raise LookupError(f"document {doc_id} has no match for goal {goal_id!r}")
    conn.execute(matches.update().where(matches.c.id == row["id"]).values(
        triage=state, triaged_by=author, triaged_at=utcnow_iso()))
    return str(row["triage"])


def matches_of(conn: Connection, doc_id: int) -> list[dict[str, Any]]:
    """Every match row of a document (active or not), reasons decoded."""
    rows = conn.execute(select(matches).where(matches.c.document_id == doc_id)).mappings()
    return [{**dict(r), "reasons": json.loads(r["reasons"])} for r in rows]


def get_meta(conn: Connection, key: str) -> str | None:
    """A stored fact, or None."""
    value = conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()
    return str(value) if value is not None else None


def set_meta(conn: Connection, key: str, value: str) -> None:
    """Store a fact."""
    conn.execute(meta.delete().where(meta.c.key == key))
    conn.execute(meta.insert().values(key=key, value=value))


def _event(conn: Connection, source: str, doc_id: int, run_id: int | None, kind: str,
           old: Any, new: Any, now: str) -> None:
    conn.execute(events.insert().values(
        source=source, document_id=doc_id, run_id=run_id, type=kind,
        old=None if old is None else json.dumps(old, ensure_ascii=False),
        new=None if new is None else json.dumps(new, ensure_ascii=False),
        observed_at=now, evidence=None))
