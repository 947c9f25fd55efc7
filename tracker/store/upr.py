"""UPR follow-up in the store: staff's assessments of recommendations and their relations
to bills and acts.

Every write is one transaction through ``Store._write`` (on PostgreSQL it locks the event
log, so event ids become visible in order). An assessment that changes appends an
``assessment_changed`` event with its author; relations are rows of ``relations``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, select

from tracker.errors import UsageError
from tracker.fetch import utcnow_iso
from tracker.store.schema import assessments, documents, events, matches, relations
from tracker.store.store import Store
from tracker.upr.vocab import ASSESSMENT_STATUSES, RELATION_KINDS

UPR_SOURCE = "un_upr"
EVENT_TYPE = "assessment_changed"


def _document(conn: Connection, doc_id: int) -> dict[str, Any]:
    row = conn.execute(
        select(documents.c.id, documents.c.source, documents.c.external_id)
        .where(documents.c.id == doc_id)).mappings().first()
    if row is None:
        raise UsageError(f"no document with id {doc_id}")
    return dict(row)


def set_assessment(store: Store, document_id: int, *, status: str, note: str,
                   author: str) -> bool:
    """Set staff's assessment of a recommendation; True if it changed (then an
    ``assessment_changed`` event records old and new status and note, and the author)."""
    if status not in ASSESSMENT_STATUSES:
        raise UsageError(f"--status: one of {', '.join(ASSESSMENT_STATUSES)}, got {status!r}")
    if not author.strip():
        raise UsageError("--author: a name is needed (who made this assessment)")
    now = utcnow_iso()
    with store._write() as conn:
        doc = _document(conn, document_id)
        row = conn.execute(select(assessments).where(
            assessments.c.document_id == document_id)).mappings().first()
        if row is not None and row["status"] == status and row["note"] == note:
            return False
        values = {"status": status, "note": note, "author": author, "updated_at": now}
        if row is None:
            conn.execute(assessments.insert().values(document_id=document_id, **values))
        else:
            conn.execute(assessments.update()
                         .where(assessments.c.document_id == document_id).values(**values))
        old = {"status": row["status"], "note": row["note"]} if row is not None else None
        conn.execute(events.insert().values(
            source=doc["source"], document_id=document_id, run_id=None, type=EVENT_TYPE,
            old=None if old is None else json.dumps(old, ensure_ascii=False, sort_keys=True),
            new=json.dumps({"status": status, "note": note}, ensure_ascii=False,
                           sort_keys=True),
            observed_at=now, evidence=None, author=author,
        ))
    return True


def assessment(store: Store, document_id: int) -> dict[str, Any] | None:
    """The current assessment of a recommendation, or None."""
    with store.engine.connect() as conn:
        row = conn.execute(select(assessments).where(
            assessments.c.document_id == document_id)).mappings().first()
    return dict(row) if row is not None else None


def relate(store: Store, from_id: int, to_id: int, *, kind: str, author: str) -> bool:
    """Record that recommendation ``from_id`` relates to document ``to_id`` (``implements``,
    ``contradicts`` or ``related``); False if that relation already existed."""
    if kind not in RELATION_KINDS:
        raise UsageError(f"--kind: one of {', '.join(RELATION_KINDS)}, got {kind!r}")
    if from_id == to_id:
        raise UsageError("a document cannot be related to itself")
    with store._write() as conn:
        _document(conn, from_id)
        _document(conn, to_id)
        existing = conn.execute(select(relations.c.id).where(
            relations.c.from_document == from_id, relations.c.to_document == to_id,
            relations.c.kind == kind)).first()
        if existing is not None:
            return False
        conn.execute(relations.insert().values(
            from_document=from_id, to_document=to_id, kind=kind, author=author,
            created_at=utcnow_iso()))
    return True


def unrelate(store: Store, from_id: int, to_id: int, *, kind: str) -> bool:
    """Remove a relation; False if there was none."""
    with store._write() as conn:
        result = conn.execute(relations.delete().where(
            relations.c.from_document == from_id, relations.c.to_document == to_id,
            relations.c.kind == kind))
        return bool(result.rowcount)


def recommendations(store: Store, *, cycle: int | None = None,
                    source: str = UPR_SOURCE) -> list[dict[str, Any]]:
    """Stored recommendations (of ``cycle`` if given), each with ``details``,
    ``assessment`` (or None), ``relations`` (the related documents with their current stage)
    and ``goals_stored`` / ``goals_dismissed`` from the ``matches`` table."""
    with store.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(
            select(documents).where(documents.c.source == source,
                                    documents.c.kind == "recommendation")).mappings()]
        for row in rows:
            row["details"] = json.loads(row["details"]) if row["details"] else {}
        if cycle is not None:
            rows = [r for r in rows if r["details"].get("cycle") == cycle]
        ids = [int(r["id"]) for r in rows]
        by_id = {int(r["id"]): r for r in rows}
        for row in rows:
            row.update(assessment=None, relations=[], goals_stored=[], goals_dismissed=[])
        for chunk in _chunks(ids, 500):
            _attach(conn, chunk, by_id)
    rows.sort(key=_order)
    return rows


def _attach(conn: Connection, ids: list[int], by_id: dict[int, dict[str, Any]]) -> None:
    for a in conn.execute(select(assessments).where(
            assessments.c.document_id.in_(ids))).mappings():
        by_id[int(a["document_id"])]["assessment"] = dict(a)
    target = documents.alias("target")
    query = (select(relations.c.from_document, relations.c.kind, relations.c.author,
                    relations.c.created_at, target.c.id, target.c.source,
                    target.c.external_id, target.c.title, target.c.stage,
                    target.c.status_raw, target.c.kind.label("doc_kind"))
             .join(target, target.c.id == relations.c.to_document)
             .where(relations.c.from_document.in_(ids))
             .order_by(relations.c.id))
    for rel in conn.execute(query).mappings():
        item = dict(rel)
        by_id[int(item.pop("from_document"))]["relations"].append(item)
    for m in conn.execute(select(matches.c.document_id, matches.c.goal_id, matches.c.triage,
                                 matches.c.active)
                          .where(matches.c.document_id.in_(ids))
                          .order_by(matches.c.score.desc())).mappings():
        row = by_id[int(m["document_id"])]
        if m["triage"] == "dismissed":
            row["goals_dismissed"].append(m["goal_id"])
        elif m["active"] or m["triage"] == "confirmed":
            row["goals_stored"].append(m["goal_id"])


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _order(row: dict[str, Any]) -> tuple[Any, ...]:
    details = row["details"]
    paragraph = str(details.get("paragraph") or "")
    numbers = tuple(int(p) for p in paragraph.split(".") if p.isdigit()) or (10**6,)
    return (details.get("cycle") or 0, details.get("symbol") or "", numbers,
            row["external_id"])
