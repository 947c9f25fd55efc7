"""Lobbying actions in the store: rows, links, edit history, follow-up views, and the two
``meta`` values the actions features keep (the seal header and the pseudonym secret).

Values arrive here already sealed where a seal exists: this module never sees a key. Every
write is one transaction (:meth:`Store._write`); each insert or change appends one
``action_history`` row ``{field: [old, new]}`` with the values as stored (so sealed values
stay sealed in the history too).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, String, and_, cast, or_, select, text
from sqlalchemy.sql.elements import ColumnElement

from tracker.errors import StoreError
from tracker.models import MILESTONE_STAGES
from tracker.store import Store
from tracker.store.schema import (
    action_history,
    action_links,
    actions,
    documents,
    events,
    matches,
    meta,
)

#: Columns staff can set (``id``, ``sealed`` and the timestamps are the store's).
FIELDS: tuple[str, ...] = (
    "type", "date", "staff", "counterpart_person", "counterpart_institution", "summary",
    "outcome", "next_step", "comment_text", "legalacts_card_id", "follow_up", "status",
    "sensitivity",
)
LINK_KINDS: tuple[str, ...] = ("document", "goal", "recommendation")
SEAL_KEY = "seal"
PSEUDONYM_KEY = "pseudonym_secret"
_CHUNK = 500

Links = Mapping[str, Iterable[str]]


class ConcurrentEdit(StoreError):
    """The action changed between reading it and writing the edit."""


@dataclass(frozen=True)
class ActionFilter:
    """Which actions to list. Dates are ``YYYY-MM-DD``; every bound is inclusive.

    ``goal`` matches an action linked to the goal, or to a document matched to it (active,
    not dismissed). ``due_by`` keeps open actions whose follow-up is on or before that day,
    soonest first."""

    goal: str | None = None
    document_id: int | None = None
    staff: str | None = None
    type: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    status: str | None = None
    open_follow_ups: bool = False
    due_by: str | None = None
    ids: tuple[int, ...] | None = None


def insert_action(store: Store, values: Mapping[str, Any], links: Links, *, sealed: bool,
                  author: str, now: str) -> int:
    """Insert an action with its links and a first history row; return its id."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValueError(f"not action fields: {sorted(unknown)}")
    link_sets = {kind: sorted(set(links.get(kind, ()))) for kind in LINK_KINDS}
    with store._write() as conn:
        result = conn.execute(actions.insert().values(
            **values, sealed=int(sealed), created_at=now, updated_at=now))
        key = result.inserted_primary_key
        assert key is not None
        action_id = int(key[0])
        for kind, targets in link_sets.items():
            for target in targets:
                conn.execute(action_links.insert().values(
                    action_id=action_id, kind=kind, target=target))
        changes: dict[str, list[Any]] = {f: [None, v] for f, v in values.items() if v is not None}
        changes.update({f"link:{k}": [[], t] for k, t in link_sets.items() if t})
        _history(conn, action_id, author, now, changes)
    return action_id


def update_action(
    store: Store,
    action_id: int,
    values: Mapping[str, Any],
    *,
    author: str,
    now: str,
    add_links: Links | None = None,
    remove_links: Links | None = None,
    expected: Mapping[str, Any] | None = None,
    sealed: bool | None = None,
) -> dict[str, list[Any]]:
    """Change fields and links of an action in one transaction; return ``{field: [old,
    new]}`` as recorded in the history (empty, and nothing written, when nothing changed).

    ``expected`` holds the stored values the caller based its edit on: if any differs now,
    :class:`ConcurrentEdit` is raised and nothing is written. LookupError: no such action."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValueError(f"not action fields: {sorted(unknown)}")
    with store._write() as conn:
        row = conn.execute(select(actions).where(actions.c.id == action_id)).mappings().first()
        if row is None:
            raise LookupError(action_id)
        for field, old in (expected or {}).items():
            if row[field] != old:
                raise ConcurrentEdit(f"action {action_id} was changed by someone else while "
                                     "you edited it; nothing was changed, please retry")
        changes: dict[str, list[Any]] = {
            f: [row[f], v] for f, v in values.items() if row[f] != v}
        current = _links(conn, [action_id]).get(action_id, {})
        for kind in LINK_KINDS:
            before = set(current.get(kind, ()))
            after = (before | set((add_links or {}).get(kind, ()))) - set(
                (remove_links or {}).get(kind, ()))
            if after == before:
                continue
            changes[f"link:{kind}"] = [sorted(before), sorted(after)]
            for target in after - before:
                conn.execute(action_links.insert().values(
                    action_id=action_id, kind=kind, target=target))
            for target in before - after:
                conn.execute(action_links.delete().where(and_(
                    action_links.c.action_id == action_id, action_links.c.kind == kind,
                    action_links.c.target == target)))
        if not changes:
            return {}
        update: dict[str, Any] = {f: v for f, v in values.items() if f in changes}
        if sealed is not None:
            update["sealed"] = int(sealed)
        conn.execute(actions.update().where(actions.c.id == action_id).values(
            **update, updated_at=now))
        _history(conn, action_id, author, now, changes)
    return changes


def get_actions(store: Store, flt: ActionFilter | None = None) -> list[dict[str, Any]]:
    """Stored actions (values as stored) with ``links`` = {kind: [targets]}; newest first,
    or soonest follow-up first with ``due_by``."""
    flt = flt or ActionFilter()
    query = select(actions)
    for condition in _conditions(flt):
        query = query.where(condition)
    if flt.due_by is not None:
        query = query.order_by(actions.c.follow_up, actions.c.id)
    else:
        query = query.order_by(actions.c.date.desc(), actions.c.id.desc())
    with store.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
        links = _links(conn, [int(r["id"]) for r in rows])
    for row in rows:
        row["links"] = {k: sorted(links.get(int(row["id"]), {}).get(k, ())) for k in LINK_KINDS}
    return rows


def get_action(store: Store, action_id: int) -> dict[str, Any] | None:
    """One stored action, or None."""
    rows = get_actions(store, ActionFilter(ids=(action_id,)))
    return rows[0] if rows else None


def history(store: Store, action_id: int) -> list[dict[str, Any]]:
    """The edit history of an action, oldest first (``changes`` decoded)."""
    query = (select(action_history).where(action_history.c.action_id == action_id)
             .order_by(action_history.c.id))
    with store.engine.connect() as conn:
        return [{**dict(r), "changes": json.loads(r["changes"])}
                for r in conn.execute(query).mappings()]


def any_sealed(store: Store) -> bool:
    """True when any action is stored sealed."""
    with store.engine.connect() as conn:
        return conn.execute(select(actions.c.id).where(actions.c.sealed == 1).limit(1)) \
            .first() is not None


def documents_by_id(store: Store, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Documents (details decoded) by store id."""
    out: dict[int, dict[str, Any]] = {}
    with store.engine.connect() as conn:
        for chunk in _chunks(sorted(set(ids))):
            for row in conn.execute(select(documents).where(documents.c.id.in_(chunk))) \
                    .mappings():
                item = dict(row)
                item["details"] = json.loads(item["details"]) if item["details"] else {}
                out[int(item["id"])] = item
    return out


def legalacts_cards(store: Store, card_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Stored kz_legalacts documents by card id (= their external id)."""
    out: dict[str, dict[str, Any]] = {}
    with store.engine.connect() as conn:
        for chunk in _chunks(sorted(set(card_ids))):
            query = select(documents).where(documents.c.source == "kz_legalacts",
                                            documents.c.external_id.in_(chunk))
            for row in conn.execute(query).mappings():
                item = dict(row)
                item["details"] = json.loads(item["details"]) if item["details"] else {}
                out[str(item["external_id"])] = item
    return out


def document_goals(store: Store, doc_ids: Iterable[int]) -> dict[int, set[str]]:
    """Goals each document is matched to (active matches staff did not dismiss)."""
    out: dict[int, set[str]] = {}
    with store.engine.connect() as conn:
        for chunk in _chunks(sorted(set(doc_ids))):
            query = select(matches.c.document_id, matches.c.goal_id).where(
                matches.c.document_id.in_(chunk), matches.c.active == 1,
                matches.c.triage != "dismissed")
            for doc_id, goal_id in conn.execute(query):
                out.setdefault(int(doc_id), set()).add(str(goal_id))
    return out


def goal_documents(store: Store) -> dict[str, set[int]]:
    """Documents matched to each goal (active matches staff did not dismiss)."""
    out: dict[str, set[int]] = {}
    query = select(matches.c.goal_id, matches.c.document_id).where(
        matches.c.active == 1, matches.c.triage != "dismissed")
    with store.engine.connect() as conn:
        for goal_id, doc_id in conn.execute(query):
            out.setdefault(str(goal_id), set()).add(int(doc_id))
    return out


def stage_events(store: Store, doc_ids: Iterable[int], since: str,
                 before: str) -> list[dict[str, Any]]:
    """Stage changes (``stage_changed`` and milestone events) of these documents observed in
    ``[since, before)`` (ISO strings), oldest first; ``old``/``new`` decoded."""
    kinds = ["stage_changed", *sorted(MILESTONE_STAGES)]
    out: list[dict[str, Any]] = []
    with store.engine.connect() as conn:
        for chunk in _chunks(sorted(set(doc_ids))):
            query = select(events).where(
                events.c.document_id.in_(chunk), events.c.type.in_(kinds),
                events.c.observed_at >= since, events.c.observed_at < before)
            for row in conn.execute(query).mappings():
                item = dict(row)
                for key in ("old", "new"):
                    item[key] = json.loads(item[key]) if item[key] else None
                out.append(item)
    return sorted(out, key=lambda e: int(e["id"]))


def deadline_documents(store: Store, *, since: str, matched_only: bool,
                       source: str | None = None) -> list[dict[str, Any]]:
    """Documents whose ``discussion_until`` is on or after ``since``: only those with an
    active, not dismissed match when ``matched_only``; only one source's when ``source``."""
    query = select(documents).where(documents.c.discussion_until.is_not(None),
                                    documents.c.discussion_until >= since)
    if matched_only:
        query = query.where(documents.c.id.in_(select(matches.c.document_id).where(
            matches.c.active == 1, matches.c.triage != "dismissed")))
    if source is not None:
        query = query.where(documents.c.source == source)
    query = query.order_by(documents.c.discussion_until, documents.c.id)
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def get_meta(store: Store, key: str) -> str | None:
    """A ``meta`` value, or None."""
    with store.engine.connect() as conn:
        value = conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()
    return None if value is None else str(value)


def put_meta_if_absent(store: Store, key: str, value: str) -> str:
    """Store ``value`` unless the key exists; return the value now stored."""
    with store._write() as conn:
        existing = conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()
        if existing is not None:
            return str(existing)
        conn.execute(meta.insert().values(key=key, value=value))
    return value


def install_seal(store: Store, header_json: str, seal: Callable[[str, str], str],
                 sealed_fields: Sequence[str]) -> int:
    """In ONE transaction: store the seal header, seal every plain sealed-field value of
    actions and of their history, and seal the pseudonym secret. Returns the number of
    actions sealed. StoreError if the database already has a seal."""
    count = 0
    with store._write() as conn:
        if conn.execute(select(meta.c.key).where(meta.c.key == SEAL_KEY)).first():
            raise StoreError("this database already has a seal (another process may just "
                             "have created it); nothing was changed")
        for row in conn.execute(select(actions).where(actions.c.sealed == 0)).mappings().all():
            values = {f: seal(row[f], f) for f in sealed_fields if row[f] is not None}
            conn.execute(actions.update().where(actions.c.id == row["id"])
                         .values(**values, sealed=1))
            count += 1
        for hist in conn.execute(select(action_history)).mappings().all():
            changes = json.loads(hist["changes"])
            for field in sealed_fields:
                if field in changes:
                    changes[field] = [_seal_plain(v, field, seal) for v in changes[field]]
            conn.execute(action_history.update().where(action_history.c.id == hist["id"])
                         .values(changes=json.dumps(changes, ensure_ascii=False)))
        secret = conn.execute(select(meta.c.value).where(meta.c.key == PSEUDONYM_KEY)).scalar()
        if secret is not None and not str(secret).startswith("seal"):
            conn.execute(meta.update().where(meta.c.key == PSEUDONYM_KEY)
                         .values(value=seal(str(secret), PSEUDONYM_KEY)))
        conn.execute(meta.insert().values(key=SEAL_KEY, value=header_json))
    return count


def purge_free_pages(store: Store) -> None:
    """SQLite: rewrite the file without free pages and empty the WAL, so plaintext that was
    just replaced by sealed values is not left behind in either file. No-op elsewhere."""
    if not store.is_sqlite:
        return
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM"))
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def _seal_plain(value: Any, field: str, seal: Callable[[str, str], str]) -> Any:
    if isinstance(value, str) and not value.startswith("seal1:"):
        return seal(value, field)
    return value


def _conditions(flt: ActionFilter) -> Iterator[ColumnElement[bool]]:
    target = action_links.c.target
    if flt.ids is not None:
        yield actions.c.id.in_(list(flt.ids))
    if flt.goal is not None:
        by_goal = select(action_links.c.action_id).where(
            action_links.c.kind == "goal", target == flt.goal)
        by_document = select(action_links.c.action_id).join(
            matches, target == cast(matches.c.document_id, String)).where(
            action_links.c.kind == "document", matches.c.goal_id == flt.goal,
            matches.c.active == 1, matches.c.triage != "dismissed")
        yield or_(actions.c.id.in_(by_goal), actions.c.id.in_(by_document))
    if flt.document_id is not None:
        yield actions.c.id.in_(select(action_links.c.action_id).where(
            action_links.c.kind.in_(("document", "recommendation")),
            target == str(flt.document_id)))
    for column, value in ((actions.c.staff, flt.staff), (actions.c.type, flt.type),
                          (actions.c.status, flt.status)):
        if value is not None:
            yield column == value
    if flt.date_from is not None:
        yield actions.c.date >= flt.date_from
    if flt.date_to is not None:
        yield actions.c.date <= flt.date_to
    if flt.open_follow_ups or flt.due_by is not None:
        yield actions.c.status == "open"
        yield actions.c.follow_up.is_not(None)
    if flt.due_by is not None:
        yield actions.c.follow_up <= flt.due_by


def _links(conn: Connection, ids: Sequence[int]) -> dict[int, dict[str, list[str]]]:
    out: dict[int, dict[str, list[str]]] = {}
    for chunk in _chunks(ids):
        query = select(action_links).where(action_links.c.action_id.in_(chunk))
        for row in conn.execute(query).mappings():
            out.setdefault(int(row["action_id"]), {}).setdefault(row["kind"], []).append(
                str(row["target"]))
    return out


def _history(conn: Connection, action_id: int, author: str, now: str,
             changes: Mapping[str, Any]) -> None:
    conn.execute(action_history.insert().values(
        action_id=action_id, author=author, at=now,
        changes=json.dumps(changes, ensure_ascii=False, sort_keys=True)))


def _chunks(items: Sequence[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield list(items[start:start + _CHUNK])
