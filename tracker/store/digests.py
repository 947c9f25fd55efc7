"""Store functions for email: watermarks, the digest log, the alert log, digest content rows.

Exactly-once protocol (see docs/daemon.md): a message is *prepared* (a row with its fixed
Message-ID and what it covers) before it is handed to SMTP; after the server accepted it, ONE
transaction marks it sent and advances the recipient's watermark. A prepared row found later
is re-sent with the same Message-ID.

``alert_log`` is created on first use with ``create_all``; it belongs in a migration.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Column, Connection, MetaData, String, Table, Text, func, select

from tracker.fetch import utcnow_iso
from tracker.models import MILESTONE_STAGES
from tracker.store import Store
from tracker.store.schema import (
    _Id,
    digests,
    documents,
    events,
    matches,
    watermarks,
)

alert_metadata = MetaData()

#: One row per alert item (a document crossing a deadline threshold, a health change) and
#: recipient; rows of one email share its Message-ID.
alert_log = Table(
    "alert_log",
    alert_metadata,
    Column("key", String(64), primary_key=True),  # sha256 of kind|recipient|subject
    Column("kind", String(16), nullable=False),  # deadline | health
    Column("recipient", String(254), nullable=False),
    Column("document_id", _Id),
    Column("event_id", _Id),
    Column("detail", Text, nullable=False),  # JSON: deadline, threshold, ...
    Column("message_id", Text, nullable=False),
    Column("status", String(16), nullable=False),  # prepared | sent
    Column("prepared_at", String(32), nullable=False),
    Column("sent_at", String(32)),
)

#: Event types a digest reports per document (besides `new`/`matched`).
CHANGE_TYPES: tuple[str, ...] = ("stage_changed", "deadline_changed", *sorted(MILESTONE_STAGES))
#: Stages after which a public-comment deadline no longer matters.
CLOSED_STAGES = frozenset({"discussion_closed", "withdrawn", "rejected", "repealed"})


@dataclass(frozen=True)
class Prepared:
    """A digest prepared (maybe already attempted) for a recipient."""

    id: int
    recipient: str
    from_event: int
    to_event: int
    message_id: str


def ensure_tables(store: Store) -> None:
    """Create alert_log if missing (until it moves into a migration)."""
    alert_metadata.create_all(store.engine, checkfirst=True)


def digest_watermark_name(email: str) -> str:
    """The watermark of a recipient's digest."""
    return f"digest:{email.lower()}"


# -- watermarks and the digest log -----------------------------------------------------------


def watermark(conn: Connection, name: str) -> int:
    """The reader's last event id (0: nothing seen yet)."""
    value = conn.execute(select(watermarks.c.event_id).where(watermarks.c.name == name)).scalar()
    return int(value or 0)


def _set_watermark(conn: Connection, name: str, event_id: int) -> None:
    current = conn.execute(select(watermarks.c.event_id).where(
        watermarks.c.name == name)).scalar()
    if current is None:
        conn.execute(watermarks.insert().values(name=name, event_id=event_id,
                                                updated_at=utcnow_iso()))
    elif int(current) < event_id:  # a watermark never moves back
        conn.execute(watermarks.update().where(watermarks.c.name == name).values(
            event_id=event_id, updated_at=utcnow_iso()))


def last_event_id(store: Store) -> int:
    """The newest event id (0 for an empty log)."""
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.max(events.c.id))).scalar() or 0)


def pending_digest(store: Store, recipient: str) -> Prepared | None:
    """The recipient's digest prepared but not yet marked sent, if any."""
    with store.engine.connect() as conn:
        row = conn.execute(
            select(digests).where(digests.c.recipient == recipient.lower(),
                                  digests.c.status == "prepared").order_by(digests.c.id)
        ).first()
    return _prepared(row) if row else None


def _prepared(row: Any) -> Prepared:
    return Prepared(int(row.id), str(row.recipient), int(row.from_event), int(row.to_event),
                    str(row.message_id))


def next_range(store: Store, recipient: str) -> tuple[int, int]:
    """(watermark, newest event id): the events a new digest for ``recipient`` covers."""
    with store.engine.connect() as conn:
        start = watermark(conn, digest_watermark_name(recipient))
        end = int(conn.execute(select(func.max(events.c.id))).scalar() or 0)
    return start, max(start, end)


def prepare_digest(store: Store, recipient: str, from_event: int, to_event: int,
                   message_id: str) -> Prepared:
    """Record a digest about to be sent (or return the one already pending)."""
    with store._write() as conn:
        row = conn.execute(select(digests).where(
            digests.c.recipient == recipient.lower(), digests.c.status == "prepared")).first()
        if row is not None:
            return _prepared(row)
        result = conn.execute(digests.insert().values(
            recipient=recipient.lower(), from_event=from_event, to_event=to_event,
            message_id=message_id, status="prepared", prepared_at=utcnow_iso()))
        key = result.inserted_primary_key
        assert key is not None
        return Prepared(int(key[0]), recipient.lower(), from_event, to_event, message_id)


def mark_digest_sent(store: Store, digest: Prepared) -> bool:
    """ONE transaction: the digest is sent and the watermark moves to its last event.
    False if it was already marked (nothing changes then)."""
    with store._write() as conn:
        count = conn.execute(digests.update().where(
            digests.c.id == digest.id, digests.c.status == "prepared").values(
            status="sent", sent_at=utcnow_iso())).rowcount
        if count != 1:
            return False
        _set_watermark(conn, digest_watermark_name(digest.recipient), digest.to_event)
    return True


def skip_empty(store: Store, recipient: str, to_event: int) -> None:
    """Nothing to tell this recipient up to ``to_event``: move the watermark, send nothing."""
    with store._write() as conn:
        _set_watermark(conn, digest_watermark_name(recipient), to_event)


def sent_digests(store: Store, recipient: str | None = None) -> list[dict[str, Any]]:
    """The digest log (for reports, the dashboard and tests), oldest first."""
    query = select(digests).order_by(digests.c.id)
    if recipient:
        query = query.where(digests.c.recipient == recipient.lower())
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


# -- the alert log ------------------------------------------------------------------------------


def alert_states(store: Store, keys: Iterable[str]) -> dict[str, str]:
    """Status (prepared | sent) of the alert keys already logged."""
    wanted = list(keys)
    if not wanted:
        return {}
    with store.engine.connect() as conn:
        rows = conn.execute(select(alert_log.c.key, alert_log.c.status).where(
            alert_log.c.key.in_(wanted)))
        return {str(k): str(s) for k, s in rows}


def pending_alerts(store: Store, recipient: str) -> list[dict[str, Any]]:
    """Alert rows prepared but not sent for ``recipient``, oldest first."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(alert_log).where(
            alert_log.c.recipient == recipient.lower(), alert_log.c.status == "prepared"
        ).order_by(alert_log.c.prepared_at, alert_log.c.key)).mappings()
        return [{**dict(r), "detail": json.loads(r["detail"])} for r in rows]


def prepare_alerts(store: Store, rows: list[dict[str, Any]], message_id: str) -> None:
    """Log alert items (skipping keys already logged) under one Message-ID."""
    now = utcnow_iso()
    with store._write() as conn:
        for row in rows:
            if conn.execute(select(alert_log.c.key).where(alert_log.c.key == row["key"])).first():
                continue
            conn.execute(alert_log.insert().values(
                key=row["key"], kind=row["kind"], recipient=row["recipient"].lower(),
                document_id=row.get("document_id"), event_id=row.get("event_id"),
                detail=json.dumps(row["detail"], ensure_ascii=False, sort_keys=True),
                message_id=message_id, status="prepared", prepared_at=now))


def mark_alerts_sent(store: Store, message_id: str) -> int:
    """Mark every item of one alert email sent (one transaction)."""
    with store._write() as conn:
        return int(conn.execute(alert_log.update().where(
            alert_log.c.message_id == message_id, alert_log.c.status == "prepared"
        ).values(status="sent", sent_at=utcnow_iso())).rowcount)


# -- content rows -------------------------------------------------------------------------------


def _doc_columns() -> list[Any]:
    return [documents.c.id.label("document_id"), documents.c.source, documents.c.external_id,
            documents.c.title, documents.c.url, documents.c.stage, documents.c.discussion_until]


def active_matches(store: Store, goal_ids: Iterable[str] | None,
                   document_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """Active, not dismissed matches (of these goals / documents), with the document."""
    query = (select(matches.c.goal_id, matches.c.triage, matches.c.score, *_doc_columns())
             .join(documents, documents.c.id == matches.c.document_id)
             .where(matches.c.active == 1, matches.c.triage != "dismissed"))
    if goal_ids is not None:
        query = query.where(matches.c.goal_id.in_(list(goal_ids)))
    if document_ids is not None:
        query = query.where(matches.c.document_id.in_(list(document_ids)))
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(query.order_by(matches.c.id)).mappings()]


def events_between(store: Store, after: int, upto: int) -> list[dict[str, Any]]:
    """Events ``after < id <= upto`` a digest reports (document events and health changes)."""
    types = ("new", "matched", "health_changed", *CHANGE_TYPES)
    query = (select(events.c.id, events.c.type, events.c.old, events.c.new,
                    events.c.observed_at, events.c.source.label("event_source"),
                    events.c.document_id, documents.c.title, documents.c.url,
                    documents.c.external_id, documents.c.stage)
             .outerjoin(documents, documents.c.id == events.c.document_id)
             .where(events.c.id > after, events.c.id <= upto, events.c.type.in_(types))
             .order_by(events.c.id))
    with store.engine.connect() as conn:
        out = []
        for row in conn.execute(query).mappings():
            item = dict(row)
            item["old"] = json.loads(item["old"]) if item["old"] else None
            item["new"] = json.loads(item["new"]) if item["new"] else None
            out.append(item)
        return out


def deadlines_within(store: Store, goal_ids: Iterable[str] | None, today: date,
                     days: int) -> list[dict[str, Any]]:
    """Matched documents whose public-comment deadline is between today and today+days."""
    last = (today + timedelta(days=days)).isoformat()
    query = (select(matches.c.goal_id, *_doc_columns())
             .join(documents, documents.c.id == matches.c.document_id)
             .where(matches.c.active == 1, matches.c.triage != "dismissed",
                    documents.c.discussion_until.is_not(None),
                    documents.c.discussion_until >= today.isoformat(),
                    documents.c.discussion_until <= last,
                    documents.c.stage.not_in(sorted(CLOSED_STAGES)))
             .order_by(documents.c.discussion_until, documents.c.id))
    if goal_ids is not None:
        query = query.where(matches.c.goal_id.in_(list(goal_ids)))
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def due_follow_ups(store: Store, staff: str, today: date, days: int = 0) -> list[dict[str, Any]]:
    """Open, NON-sensitive actions of ``staff`` whose follow-up is due (or within ``days``),
    soonest first, with the title and URL of their linked documents. Only the fields an
    email may show are returned: never the counterpart person, never a sensitive action.
    (Reads through tracker/store/actions.py, the actions module's follow-up view.)"""
    from tracker.store.actions import ActionFilter, get_actions

    last = (today + timedelta(days=days)).isoformat()
    rows = [r for r in get_actions(store, ActionFilter(staff=staff, due_by=last))
            if r.get("sensitivity") == "normal" and r.get("status") == "open"]
    doc_ids = {int(t) for r in rows for t in r["links"].get("document", ()) if str(t).isdigit()}
    docs = documents_by_ids(store, doc_ids)
    out = []
    for r in rows:
        linked = [docs[int(t)] for t in r["links"].get("document", ())
                  if str(t).isdigit() and int(t) in docs]
        # Sealed notes never go into an email, not even decrypted: mail travels in clear.
        sealed = bool(r["sealed"])
        out.append({"id": r["id"], "type": r["type"], "date": r["date"],
                    "follow_up": r["follow_up"], "summary": None if sealed else r["summary"],
                    "next_step": None if sealed else r["next_step"], "sealed": r["sealed"],
                    "documents": [{"title": d["title"], "url": d["url"]} for d in linked]})
    return out


def recent_health_events(store: Store, since: str) -> list[dict[str, Any]]:
    """``health_changed`` events observed at or after ``since`` (ISO time), oldest first."""
    query = (select(events.c.id, events.c.source, events.c.old, events.c.new,
                    events.c.observed_at)
             .where(events.c.type == "health_changed", events.c.observed_at >= since)
             .order_by(events.c.id))
    with store.engine.connect() as conn:
        return [{**dict(r), "old": json.loads(r["old"]) if r["old"] else None,
                 "new": json.loads(r["new"]) if r["new"] else None}
                for r in conn.execute(query).mappings()]


def documents_by_ids(store: Store, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Document rows (title, url, deadline, stage) by id."""
    wanted = list(ids)
    if not wanted:
        return {}
    with store.engine.connect() as conn:
        rows = conn.execute(select(*_doc_columns()).where(documents.c.id.in_(wanted)))
        return {int(r["document_id"]): dict(r) for r in rows.mappings()}
