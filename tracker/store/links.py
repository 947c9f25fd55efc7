"""Links between documents that are the same act on different sites."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Connection, bindparam, or_, select

from tracker.fetch import utcnow_iso
from tracker.linking import Candidate, linking_title, score
from tracker.store.schema import documents, events, links

#: Automatic links below this confidence are not made.
AUTO_THRESHOLD = 0.8
#: Stages after which a "signed" announcement is old news for a document.
_SIGNED_OR_LATER = frozenset({"signed", "registered", "in_force", "amended", "repealed"})


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


#: Ids or keys per ``IN (...)`` query (well under SQLite's bound-parameter limit).
_BATCH = 500
#: Values go as parameters of statements built once: a first cycle writes thousands of
#: links, and a statement built per link is compiled per link.
_INSERT_LINK = links.insert()
_UPDATE_LINK = links.update().where(links.c.id == bindparam("link_id"))


def auto_link(conn: Connection, doc_ids: Iterable[int]) -> int:
    """Link each given document to same-act documents of other sources. Manual decisions
    (either way) are never changed. Returns the number of links made or updated.

    A first scrape cycle links hundreds of new documents at once, many in the same few
    blocks. So the given documents, their blocks and the links among them are read in a few
    batched queries (not two queries per document and one per candidate pair), and every
    document becomes one ``Candidate`` (its title normalised once) for all the pairs it is
    in. Documents are still processed in the given order against their whole block, so the
    links made are the same as comparing them one by one."""
    doc_ids = list(doc_ids)
    rows: dict[int, Any] = {}
    for chunk in _chunks(list(dict.fromkeys(doc_ids))):
        for given in conn.execute(select(documents).where(documents.c.id.in_(chunk))).mappings():
            rows[int(given["id"])] = given
    keys = list(dict.fromkeys(str(r["link_key"]) for r in rows.values() if r["link_key"]))
    blocks: dict[str, list[Any]] = {}
    members: list[int] = []
    for chunk in _chunks(keys):
        for member in conn.execute(select(documents).where(documents.c.link_key.in_(chunk))
                                   .order_by(documents.c.id)).mappings():
            blocks.setdefault(str(member["link_key"]), []).append(member)
            members.append(int(member["id"]))
    # Links can only be made inside a block: read those that already exist, once.
    existing: dict[tuple[int, int], dict[str, Any]] = {}
    for chunk in _chunks(members):
        for found in conn.execute(select(links.c.id, links.c.doc_a, links.c.doc_b,
                                         links.c.method, links.c.confidence)
                                  .where(links.c.doc_a.in_(chunk))).mappings():
            existing[(int(found["doc_a"]), int(found["doc_b"]))] = dict(found)
    candidates: dict[int, Candidate] = {}

    def candidate(row: Any) -> Candidate:
        doc = int(row["id"])
        if doc not in candidates:
            candidates[doc] = _candidate(row)
        return candidates[doc]

    made = 0
    for doc_id in doc_ids:
        row = rows.get(doc_id)
        if row is None or not row["link_key"]:
            continue
        me = candidate(row)
        for other in blocks.get(str(row["link_key"]), ()):
            if other["source"] == row["source"]:
                continue
            confidence = score(me, candidate(other))
            if confidence < AUTO_THRESHOLD:
                continue
            a, b = _pair(doc_id, int(other["id"]))
            link = existing.get((a, b))
            if link is not None and (
                link["method"] == "manual" or link["confidence"] == confidence
            ):
                continue
            values = {"linked": 1, "method": "auto", "confidence": confidence,
                      "reason": "same normalised title (agency and dates compared)",
                      "decided_at": utcnow_iso()}
            if link is None:
                result = conn.execute(_INSERT_LINK, {"doc_a": a, "doc_b": b, **values})
                key = result.inserted_primary_key
                assert key is not None
                existing[(a, b)] = {"id": int(key[0]), "method": "auto",
                                    "confidence": confidence}
            else:
                conn.execute(_UPDATE_LINK, {**values, "link_id": link["id"]})
                link.update(method="auto", confidence=confidence)
            made += 1
            _propagate_signature(conn, row, other)
            _propagate_signature(conn, other, row)
    return made


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    """``items`` in slices of at most ``_BATCH``, one ``IN (...)`` query each."""
    for start in range(0, len(items), _BATCH):
        yield items[start:start + _BATCH]


def set_manual(conn: Connection, a: int, b: int, *, linked: bool, reason: str) -> None:
    """Record a person's decision that two documents are (or are not) the same act."""
    a, b = _pair(a, b)
    conn.execute(links.delete().where(links.c.doc_a == a, links.c.doc_b == b))
    conn.execute(links.insert().values(
        doc_a=a, doc_b=b, linked=int(linked), method="manual", confidence=1.0,
        reason=reason, decided_at=utcnow_iso()))


def component(conn: Connection, doc_id: int) -> set[int]:
    """The document and every document linked to it, directly or through others."""
    seen = {doc_id}
    frontier = [doc_id]
    while frontier:
        rows = conn.execute(
            select(links.c.doc_a, links.c.doc_b).where(
                links.c.linked == 1,
                or_(links.c.doc_a.in_(frontier), links.c.doc_b.in_(frontier)),
            )
        ).all()
        frontier = []
        for a, b in rows:
            for item in (int(a), int(b)):
                if item not in seen:
                    seen.add(item)
                    frontier.append(item)
    return seen


def links_of(conn: Connection, doc_id: int) -> list[dict[str, Any]]:
    """Every link decision that involves the document."""
    rows = conn.execute(
        select(links).where(or_(links.c.doc_a == doc_id, links.c.doc_b == doc_id))
    ).mappings()
    return [dict(r) for r in rows]


def _candidate(row: Any) -> Candidate:
    details = json.loads(row["details"]) if row["details"] else {}
    title = linking_title(row["title"], details)
    return Candidate(int(row["id"]), row["source"], title, row["agency"], row["created"])


def _propagate_signature(conn: Connection, announcement: Any, bill: Any) -> None:
    """A "signed the Law …" announcement linked to a bill is a `signed` event of the bill
    (once per announcement), with the announcement's evidence."""
    if announcement["stage"] != "signed" or announcement["kind"] != "announcement":
        return
    if bill["stage"] in _SIGNED_OR_LATER:
        return
    marker = f"{announcement['source']}:{announcement['external_id']}"
    previous = conn.execute(
        select(events.c.new).where(events.c.document_id == bill["id"],
                                   events.c.type == "signed")
    ).scalars()
    if any(marker in (value or "") for value in previous):
        return
    evidence = conn.execute(
        select(events.c.evidence).where(events.c.document_id == announcement["id"])
        .order_by(events.c.id.desc()).limit(1)
    ).scalar()
    conn.execute(events.insert().values(
        source=bill["source"], document_id=bill["id"], run_id=None, type="signed",
        old=json.dumps({"stage": bill["stage"]}, ensure_ascii=False),
        new=json.dumps({"stage": "signed", "announced_by": marker,
                        "status_raw": announcement["title"]}, ensure_ascii=False),
        observed_at=utcnow_iso(), evidence=evidence))
