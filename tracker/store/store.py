"""Store: documents, the append-only event log, source runs, fetch log, HTTP validators."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    CursorResult,
    Engine,
    bindparam,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from tracker.changes import diff, merge
from tracker.errors import StoreError
from tracker.fetch import FetchStats, utcnow_iso
from tracker.linking import blocking_key, linking_title
from tracker.models import Record
from tracker.store import migrations
from tracker.store.links import auto_link, component, links_of, set_manual
from tracker.store.schema import (
    documents,
    events,
    fetches,
    http_validators,
    match_pending,
    source_health,
    source_runs,
)

#: The error a run left ``running`` by a process that died gets (see close_interrupted_runs).
INTERRUPTED = "interrupted: the process ended before the run finished"
#: PostgreSQL advisory lock serialising migrations (any constant; "tracker" in ASCII).
_MIGRATION_LOCK_KEY = 0x747261636B6572


@dataclass(frozen=True)
class ApplyResult:
    """Counts from applying one run's records."""

    inserted: int
    updated: int
    unchanged: int
    events: int
    #: Documents inserted or whose title changed: the ones to (re)consider for linking.
    to_link: tuple[int, ...] = ()
    #: Documents inserted or updated: the ones to (re)match against the goals.
    changed: tuple[int, ...] = ()


class Store:
    """One database. Create with :meth:`open`; every write is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Open (creating if needed, owner-only) and migrate the database at ``url``."""
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise StoreError(f"database_url is not a valid URL: {exc}") from None
        if parsed.get_backend_name() == "sqlite":
            db_path = parsed.database
            if db_path and db_path != ":memory:":
                _create_private_file(Path(db_path))
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
        elif parsed.get_backend_name() == "postgresql":
            if parsed.drivername == "postgresql":
                parsed = parsed.set(drivername="postgresql+psycopg")
            engine = create_engine(parsed, pool_pre_ping=True)
        else:
            raise StoreError(f"unsupported database {parsed.get_backend_name()!r}")
        store = cls(engine)
        if migrate:
            store.migrate()
        return store

    def migrate(self) -> list[int]:
        """Apply pending migrations.

        Every process opening the store migrates it, and two may do so at once (the
        dashboard and a cron ``run --once`` after an upgrade). Reading the version and then
        creating tables is a read-then-write: unserialised, both read "version 0" and the
        second fails ("table ... already exists", a duplicate ``schema_version`` row). The
        upgrade therefore runs holding the database's write lock (SQLite ``BEGIN
        IMMEDIATE``; a PostgreSQL transaction-scoped advisory lock, as the tables to lock
        may not exist yet) and re-reads the version under it. A database already at the
        latest version is recognised by a plain read first, so opening it for reading
        never waits for (or takes) the write lock."""
        try:
            with self.engine.connect() as conn:
                if migrations.current_version(conn) == migrations.LATEST:
                    return []
            with self.engine.begin() as conn:
                if self.is_sqlite:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                else:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                 {"key": _MIGRATION_LOCK_KEY})
                return migrations.upgrade(conn, utcnow_iso())
        except OperationalError as exc:
            raise StoreError(f"cannot open database: {exc.orig}") from None

    def close(self) -> None:
        """Release connections."""
        self.engine.dispose()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction for modules outside the store package (see `_write`)."""
        with self._write() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction, its reads included: read-check-write steps (an action edit
        checked against the version the editor saw, a triage's previous state, a watermark)
        are atomic.

        On SQLite the transaction starts with ``BEGIN IMMEDIATE``, taking the write lock
        before the first read (the busy timeout still applies). Python's sqlite3 would
        otherwise send ``BEGIN`` only before the first INSERT/UPDATE/DELETE, so two editors
        could both read, both pass the check and both "save", the second silently
        overwriting the first. On PostgreSQL the event log is locked, which serialises writers
        the same way and makes event ids visible in id order (a reader's watermark then never
        skips an event)."""
        with self.engine.begin() as conn:
            if self.is_sqlite:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.execute(text("LOCK TABLE events IN EXCLUSIVE MODE"))
            yield conn

    # -- sources and runs ---------------------------------------------------------------

    def known_ids(self, source: str) -> frozenset[str]:
        """External ids already stored for a source."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(documents.c.external_id).where(documents.c.source == source)
            )
            return frozenset(r[0] for r in rows)

    def validators_for(self, url: str) -> tuple[str | None, str | None] | None:
        """ETag and Last-Modified last committed for ``url``."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(http_validators.c.etag, http_validators.c.last_modified).where(
                    http_validators.c.url == url
                )
            ).first()
        return (row[0], row[1]) if row else None

    def start_run(self, source: str) -> int:
        """Record that a run of ``source`` started; return its id."""
        with self.engine.begin() as conn:
            result = conn.execute(
                source_runs.insert().values(
                    source=source, started_at=utcnow_iso(), status="running", inserted=0,
                    updated=0, unchanged=0, events=0, requests=0, bytes=0, not_modified=0,
                    errors="[]", warnings="[]",
                )
            )
            return _new_id(result)

    def finish_run(
        self,
        run_id: int,
        source: str,
        records: Iterable[Record],
        stats: FetchStats,
        *,
        ok: bool,
        not_modified: int,
        errors: list[str],
        warnings: list[str],
    ) -> ApplyResult:
        """In ONE transaction: upsert the records (emitting events), log the fetches,
        save HTTP validators (only when ``ok``: a failed run must re-read its pages next
        time), and close the run row."""
        observed = utcnow_iso()
        with self._write() as conn:
            result = self._apply(conn, run_id, source, records, observed)
            self._queue_for_matching(conn, result.changed, observed)
            for entry in stats.log:
                conn.execute(
                    fetches.insert().values(
                        run_id=run_id, url=entry.url, status=entry.status, sha256=entry.sha256,
                        fetched_at=entry.fetched_at, bytes=entry.bytes,
                        robots_override=int(entry.robots_override), error=entry.error,
                    )
                )
            if ok:
                for url, (etag, last_modified, sha) in stats.new_validators.items():
                    conn.execute(http_validators.delete().where(http_validators.c.url == url))
                    conn.execute(
                        http_validators.insert().values(
                            url=url, etag=etag, last_modified=last_modified, sha256=sha,
                            updated_at=observed,
                        )
                    )
            conn.execute(
                source_runs.update()
                .where(source_runs.c.id == run_id)
                .values(
                    finished_at=utcnow_iso(), status="ok" if ok else "error",
                    inserted=result.inserted, updated=result.updated,
                    unchanged=result.unchanged, events=result.events,
                    requests=stats.requests, bytes=stats.bytes, not_modified=not_modified,
                    errors=json.dumps(errors, ensure_ascii=False),
                    warnings=json.dumps(warnings, ensure_ascii=False),
                )
            )
        return result

    @staticmethod
    def _queue_for_matching(conn: Connection, doc_ids: Iterable[int], queued_at: str) -> None:
        """Queue changed documents for matching in the run's own transaction, so a process
        that dies before matching has run leaves them queued instead of never matched."""
        ids = list(dict.fromkeys(doc_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            queued = set(conn.execute(select(match_pending.c.document_id).where(
                match_pending.c.document_id.in_(chunk))).scalars())
            fresh = [{"document_id": i, "queued_at": queued_at} for i in chunk if i not in queued]
            if fresh:
                conn.execute(match_pending.insert(), fresh)

    def pending_matches(self, limit: int = 5000) -> list[int]:
        """Documents stored but not matched yet (oldest first): left by a process that died
        between storing a run and matching it."""
        with self.engine.connect() as conn:
            return [int(i) for i in conn.execute(
                select(match_pending.c.document_id).order_by(match_pending.c.queued_at,
                                                             match_pending.c.document_id)
                .limit(limit)).scalars()]

    def close_interrupted_runs(self) -> list[str]:
        """Mark every run still ``running`` as failed with :data:`INTERRUPTED`; return the
        sources they belong to. Call only while holding the scheduler lock (no other run
        can be in progress then). Without this, a source whose runs keep dying (a page
        that exhausts memory, a laptop that sleeps at the same hour) would stay "ok"."""
        now = utcnow_iso()
        with self._write() as conn:
            sources = sorted(set(conn.execute(select(source_runs.c.source).where(
                source_runs.c.status == "running")).scalars()))
            if sources:
                conn.execute(source_runs.update().where(source_runs.c.status == "running")
                             .values(status="error", finished_at=now,
                                     errors=json.dumps([INTERRUPTED])))
        return sources

    def _apply(
        self, conn: Connection, run_id: int, source: str, records: Iterable[Record],
        observed: str,
    ) -> ApplyResult:
        inserted = updated = unchanged = n_events = 0
        to_link: list[int] = []
        changed: list[int] = []
        records = list(records)
        # The stored rows of the whole batch in a few queries, not one SELECT per record.
        wanted = list(dict.fromkeys(r.external_id for r in records))
        preloaded: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), 500):
            for found in conn.execute(select(documents).where(
                    documents.c.source == source,
                    documents.c.external_id.in_(wanted[start:start + 500]))).mappings():
                preloaded[found["external_id"]] = _row_to_dict(found)
        seen: set[str] = set()
        new_events: list[dict[str, Any]] = []
        for raw in records:
            if raw.external_id in seen:  # twice in one run: read what this run just wrote
                row = conn.execute(
                    select(documents).where(
                        documents.c.source == source, documents.c.external_id == raw.external_id
                    )
                ).mappings().first()
                stored = _row_to_dict(row) if row else None
            else:
                stored = preloaded.get(raw.external_id)
            seen.add(raw.external_id)
            record = merge(stored, raw)
            digest = record.content_hash()
            if stored is not None and stored["content_hash"] == digest:
                unchanged += 1
                continue
            values = _record_values(record, digest, observed)
            # Values go as parameters of cached statements, not baked into a new statement
            # per record (SQLAlchemy then compiles each INSERT once, not 8,000 times).
            if stored is None:
                values["first_seen"] = observed
                doc_id = _new_id(conn.execute(_INSERT_DOCUMENT, values))
                inserted += 1
                to_link.append(doc_id)
                changed.append(doc_id)
            else:
                doc_id = int(stored["id"])
                conn.execute(_UPDATE_DOCUMENT, {**values, "doc_id_": doc_id})
                updated += 1
                changed.append(doc_id)
                if stored["title"] != record.title or stored["stage"] != record.stage:
                    to_link.append(doc_id)
            new_events.extend(
                {"source": source, "document_id": doc_id, "run_id": run_id, "type": draft.type,
                 "old": _json(draft.old), "new": _json(draft.new), "observed_at": observed,
                 "evidence": record.evidence}
                for draft in diff(stored, record))
        if new_events:  # one executemany, in order: ids follow the records as before
            conn.execute(events.insert(), new_events)
        n_events = len(new_events)
        auto_link(conn, to_link)
        return ApplyResult(inserted, updated, unchanged, n_events, tuple(to_link),
                           tuple(dict.fromkeys(changed)))

    # -- reading ------------------------------------------------------------------------

    def documents(
        self, *, source: str | None = None, since: str | None = None
    ) -> list[dict[str, Any]]:
        """Stored documents, newest change first; ``since`` filters on last change (ISO)."""
        query = select(documents).order_by(documents.c.last_changed.desc(), documents.c.id)
        if source:
            query = query.where(documents.c.source == source)
        if since:
            query = query.where(documents.c.last_changed >= since)
        with self.engine.connect() as conn:
            return [_row_to_dict(r) for r in conn.execute(query).mappings()]

    def documents_by_id(self, ids: Iterable[int]) -> list[dict[str, Any]]:
        """Stored documents with these ids."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(documents).where(documents.c.id.in_(list(ids))))
            return [_row_to_dict(r) for r in rows.mappings()]

    def events(
        self,
        *,
        since_id: int = 0,
        limit: int | None = None,
        document_ids: Iterable[int] | None = None,
    ) -> list[dict[str, Any]]:
        """Events with id > ``since_id`` (of these documents only, if given), oldest first."""
        query = (
            select(events, documents.c.external_id, documents.c.title)
            .outerjoin(documents, documents.c.id == events.c.document_id)
            .where(events.c.id > since_id)
            .order_by(events.c.id)
        )
        if document_ids is not None:
            query = query.where(events.c.document_id.in_(list(document_ids)))
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            out = []
            for row in conn.execute(query).mappings():
                item = dict(row)
                item["old"] = _unjson(item["old"])
                item["new"] = _unjson(item["new"])
                out.append(item)
            return out

    def last_runs(self) -> dict[str, dict[str, Any]]:
        """The latest run of each source."""
        latest = (
            select(source_runs.c.source, func.max(source_runs.c.id).label("id"))
            .group_by(source_runs.c.source)
            .subquery()
        )
        query = select(source_runs).join(latest, latest.c.id == source_runs.c.id)
        with self.engine.connect() as conn:
            out = {}
            for row in conn.execute(query).mappings():
                item = dict(row)
                item["errors"] = json.loads(item["errors"])
                item["warnings"] = json.loads(item["warnings"])
                out[item["source"]] = item
            return out

    def consecutive_failures(self, source: str, limit: int = 50) -> int:
        """How many of the latest finished runs of ``source`` failed in a row."""
        query = (
            select(source_runs.c.status)
            .where(source_runs.c.source == source, source_runs.c.status != "running")
            .order_by(source_runs.c.id.desc())
            .limit(limit)
        )
        count = 0
        with self.engine.connect() as conn:
            for (status,) in conn.execute(query):
                if status != "error":
                    break
                count += 1
        return count

    # -- links --------------------------------------------------------------------------

    def document_id(self, source: str, external_id: str) -> int | None:
        """The store's id of a document, or None."""
        with self.engine.connect() as conn:
            value = conn.execute(select(documents.c.id).where(
                documents.c.source == source, documents.c.external_id == external_id)).scalar()
        return int(value) if value is not None else None

    def link(self, a: int, b: int, *, linked: bool, reason: str) -> None:
        """A person's decision: these two are (or are not) the same act. Automatic linking
        never overrides it."""
        with self._write() as conn:
            set_manual(conn, a, b, linked=linked, reason=reason)

    def links(self, doc_id: int) -> list[dict[str, Any]]:
        """Link decisions involving a document."""
        with self.engine.connect() as conn:
            return links_of(conn, doc_id)

    def timeline(self, doc_id: int) -> list[dict[str, Any]]:
        """Events of the document and of every document linked to it, oldest first."""
        with self.engine.connect() as conn:
            ids = component(conn, doc_id)
        return self.events(document_ids=ids)

    def health(self) -> dict[str, dict[str, Any]]:
        """The recorded health of every source that has one."""
        with self.engine.connect() as conn:
            return {r["source"]: dict(r) for r in conn.execute(select(source_health)).mappings()}

    def set_health(self, source: str, health: str, reason: str) -> bool:
        """Record a source's health; a change is appended to the event log (once per
        change, so digests and the dashboard report it once). True if it changed."""
        now = utcnow_iso()
        with self.engine.connect() as conn:  # the usual case, nothing new: no write lock
            current = conn.execute(
                select(source_health.c.health, source_health.c.reason)
                .where(source_health.c.source == source)).first()
        if current is not None and tuple(current) == (health, reason):
            return False
        with self._write() as conn:  # read again under the lock: another writer may be first
            row = conn.execute(
                select(source_health).where(source_health.c.source == source)
            ).mappings().first()
            old = row["health"] if row else None
            if row and old == health and row["reason"] == reason:
                return False
            conn.execute(source_health.delete().where(source_health.c.source == source))
            conn.execute(source_health.insert().values(
                source=source, health=health, reason=reason,
                since=row["since"] if row and old == health else now))
            if old == health or (old is None and health == "ok"):
                return False  # a new reason for the same state, or a healthy first run
            conn.execute(events.insert().values(
                source=source, document_id=None, run_id=None, type="health_changed",
                old=_json({"health": old or "unknown"}),
                new=_json({"health": health, "reason": reason}), observed_at=now,
                evidence=None))
            return True

    def last_new_document(self, source: str) -> str | None:
        """When the source last brought a document never seen before (ISO time)."""
        with self.engine.connect() as conn:
            value = conn.execute(
                select(func.max(documents.c.first_seen)).where(documents.c.source == source)
            ).scalar()
        return str(value) if value else None

    def fetch_log(self, run_id: int) -> list[dict[str, Any]]:
        """The HTTP exchanges of one run."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(fetches).where(fetches.c.run_id == run_id).order_by(fetches.c.id)
            )
            return [dict(r) for r in rows.mappings()]

    def count(self, table_name: str) -> int:
        """Row count of one of the store's tables (for reports and tests)."""
        table = {t.name: t for t in (documents, events, source_runs, fetches, http_validators,
                                     source_health)}
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table[table_name]))
                       .scalar() or 0)


def _record_values(record: Record, digest: str, observed: str) -> dict[str, Any]:
    return {
        "source": record.source,
        "external_id": record.external_id,
        "kind": record.kind,
        "title": record.title,
        "stage": record.stage,
        "status_raw": record.status_raw,
        "doc_type": record.doc_type,
        "created": record.created,
        "discussion_until": record.discussion_until,
        "agency": record.agency,
        "url": record.url,
        "language": record.language,
        "details": json.dumps(record.details, ensure_ascii=False, sort_keys=True),
        "content_hash": digest,
        "link_key": blocking_key(linking_title(record.title, record.details)),
        "last_changed": observed,
    }


_INSERT_DOCUMENT = documents.insert()
_UPDATE_DOCUMENT = documents.update().where(documents.c.id == bindparam("doc_id_"))


def _new_id(result: CursorResult[Any]) -> int:
    """The primary key of the row an INSERT just created."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _row_to_dict(row: Mapping[Any, Any]) -> dict[str, Any]:
    item = dict(row)
    item["details"] = json.loads(item["details"]) if item.get("details") else {}
    return item


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _unjson(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    deadline = time.monotonic() + 30  # as long as the busy timeout
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as exc:
            # Switching a new database file to WAL needs it alone for a moment, and SQLite
            # answers "database is locked" at once, without the busy timeout, when another
            # process is opening the same new file (two commands started together at
            # first install). Once it is WAL (a lasting setting) this no longer happens.
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _create_private_file(path: Path) -> None:
    """Create the SQLite file owner-only before SQLite does (its WAL/SHM files follow the
    process umask, which the CLI sets to 077)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        os.close(fd)
    os.chmod(path, 0o600)


__all__ = ["ApplyResult", "SQLAlchemyError", "Store"]
