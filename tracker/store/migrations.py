"""Versioned schema migrations. Each step runs once, in order, inside one transaction.

To change the schema, append a step; never edit a step that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, inspect, select

from tracker.store import schema

Migration = Callable[[Connection], None]


def _v1_initial(conn: Connection) -> None:
    """Documents, event log, runs, fetch log, validators, health, links, matches, relations,
    assessments, actions (+ links, history), watermarks, digests."""
    tables = [
        schema.documents,
        schema.source_runs,
        schema.fetches,
        schema.events,
        schema.http_validators,
        schema.source_health,
        schema.links,
        schema.matches,
        schema.relations,
        schema.assessments,
        schema.actions,
        schema.action_links,
        schema.action_history,
        schema.watermarks,
        schema.digests,
        schema.meta,
    ]
    schema.metadata.create_all(conn, tables=tables)
    # Two tables defined beside the code that owns them (the scheduler lock, the alert log).
    from tracker.lock import lock_metadata
    from tracker.store.digests import alert_metadata

    lock_metadata.create_all(conn)
    alert_metadata.create_all(conn)


def _v2_link_keys(conn: Connection) -> None:
    """Recompute ``documents.link_key``: the blocking key now skips the boilerplate opening
    that many drafts share ("О внесении изменений и дополнений в …"), which had put a third
    of all drafts in one block and made linking quadratic."""
    import json

    from sqlalchemy import bindparam

    from tracker.linking import blocking_key, linking_title

    docs = schema.documents
    changed = []
    for row in conn.execute(select(docs.c.id, docs.c.title, docs.c.details, docs.c.link_key)):
        details = json.loads(row.details) if row.details else {}
        key = blocking_key(linking_title(row.title, details))
        if key != row.link_key:
            changed.append({"doc_id": row.id, "key": key})
    if changed:
        conn.execute(docs.update().where(docs.c.id == bindparam("doc_id"))
                     .values(link_key=bindparam("key")), changed)


def _v3_match_pending(conn: Connection) -> None:
    """The queue of stored-but-unmatched documents (see ``schema.match_pending``)."""
    schema.metadata.create_all(conn, tables=[schema.match_pending])


MIGRATIONS: list[tuple[int, str, Migration]] = [
    (1, "initial schema", _v1_initial),
    (2, "link keys skip boilerplate openings", _v2_link_keys),
    (3, "queue of documents awaiting matching", _v3_match_pending),
]

LATEST = MIGRATIONS[-1][0]


def current_version(conn: Connection) -> int:
    """The schema version of the database (0 for an empty one)."""
    if not inspect(conn).has_table("schema_version"):
        return 0
    value = conn.execute(select(schema.schema_version.c.version).order_by(
        schema.schema_version.c.version.desc()).limit(1)).scalar()
    return int(value or 0)


def upgrade(conn: Connection, applied_at: str) -> list[int]:
    """Apply every pending migration; return the versions applied."""
    schema.metadata.create_all(conn, tables=[schema.schema_version])
    version = current_version(conn)
    if version > LATEST:
        from tracker.errors import StoreError

        raise StoreError(
            f"database schema version {version} is newer than this tracker knows ({LATEST}); "
            "upgrade the tracker"
        )
    applied = []
    for number, _title, step in MIGRATIONS:
        if number > version:
            step(conn)
            conn.execute(schema.schema_version.insert().values(version=number,
                                                               applied_at=applied_at))
            applied.append(number)
    return applied
