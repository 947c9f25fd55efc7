"""The store on SQLite (always) and PostgreSQL (when TRACKER_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from tracker.errors import StoreError
from tracker.fetch import FetchEntry, FetchStats
from tracker.models import Record
from tracker.store import Store
from tracker.store.migrations import LATEST


def rec(external_id: str, **changes: object) -> Record:
    values: dict[str, object] = {
        "source": "kz_legalacts", "external_id": external_id, "title": f"Проект {external_id}",
        "url": f"https://legalacts.egov.kz/npa/view?id={external_id}", "kind": "draft",
        "stage": "public_discussion", "status_raw": "На публичном обсуждении",
        "discussion_until": "2026-12-01", "evidence": "a" * 64,
    }
    values.update(changes)
    return Record(**values)  # type: ignore[arg-type]


def apply(store: Store, records: list[Record], *, ok: bool = True) -> object:
    run_id = store.start_run("kz_legalacts")
    stats = FetchStats(requests=1, bytes=10, log=[FetchEntry("u", 200, "a" * 64, "t", 10)],
                       new_validators={"u": ('"e"', None, "a" * 64)})
    return store.finish_run(run_id, "kz_legalacts", records, stats, ok=ok, not_modified=0,
                            errors=[] if ok else ["boom"], warnings=[])


def test_migrations_are_versioned_and_idempotent(store_url: str) -> None:
    store = Store.open(store_url)
    assert store.migrate() == []  # already at the latest version
    with store.engine.connect() as conn:
        versions = [r[0] for r in conn.execute(text("SELECT version FROM schema_version"))]
    assert versions == list(range(1, LATEST + 1))
    store.close()


def test_newer_schema_is_refused(store_url: str) -> None:
    store = Store.open(store_url)
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO schema_version (version, applied_at) VALUES (999, 'x')"))
    with pytest.raises(StoreError, match="newer than this tracker knows"):
        store.migrate()
    store.close()


def test_upsert_is_idempotent(store_url: str) -> None:
    store = Store.open(store_url)
    first = apply(store, [rec("1"), rec("2")])
    again = apply(store, [rec("1"), rec("2")])
    assert (first.inserted, first.events) == (2, 2)  # type: ignore[attr-defined]
    assert (again.inserted, again.updated, again.unchanged, again.events) == (0, 0, 2, 0)  # type: ignore[attr-defined]
    assert store.count("documents") == 2 and store.count("events") == 2
    store.close()


def test_events_are_monotonic_and_typed(store_url: str) -> None:
    store = Store.open(store_url)
    apply(store, [rec("1")])
    apply(store, [rec("1", stage="discussion_closed", status_raw="Архив")])
    apply(store, [rec("1", stage="discussion_closed", status_raw="Архив",
                      discussion_until="2026-12-08")])
    events = store.events()
    assert [e["type"] for e in events] == ["new", "stage_changed", "deadline_changed"]
    ids = [e["id"] for e in events]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert store.events(since_id=ids[0])[0]["id"] == ids[1]
    assert events[2]["old"] == "2026-12-01" and events[2]["new"] == "2026-12-08"
    store.close()


def test_validators_saved_only_for_successful_runs(store_url: str) -> None:
    store = Store.open(store_url)
    apply(store, [rec("1")], ok=False)
    assert store.validators_for("u") is None
    apply(store, [rec("1")], ok=True)
    assert store.validators_for("u") == ('"e"', None)
    store.close()


def test_runs_and_health(store_url: str) -> None:
    store = Store.open(store_url)
    apply(store, [rec("1")], ok=True)
    apply(store, [], ok=False)
    apply(store, [], ok=False)
    last = store.last_runs()["kz_legalacts"]
    assert last["status"] == "error" and last["errors"] == ["boom"]
    assert store.consecutive_failures("kz_legalacts") == 2
    assert len(store.fetch_log(last["id"])) == 1
    store.close()


def test_sqlite_files_are_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        db = tmp_path / "private" / "tracker.db"
        store = Store.open(f"sqlite:///{db}")
        apply(store, [rec("1")])
        store.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    for extra in db.parent.glob("tracker.db-*"):
        assert stat.S_IMODE(extra.stat().st_mode) == 0o600


def test_sqlite_pragmas(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 't.db'}")
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    store.close()


def test_bad_database_url() -> None:
    with pytest.raises(StoreError, match="unsupported database"):
        Store.open("mysql://x/y")


def test_migration_2_recomputes_link_keys_of_a_v1_database(store_url: str) -> None:
    """A database written by schema v1 keyed omnibus drafts on their boilerplate opening;
    upgrading recomputes every key, so new documents meet the old ones in one block."""
    title = ("О внесении изменений и дополнений в некоторые законодательные акты Республики "
             "Казахстан по вопросам обеспечения прав женщин и безопасности детей")
    store = Store.open(store_url)
    apply(store, [rec("1", title=title), rec("2")])
    with store.engine.begin() as conn:  # back to what v1 stored, and to version 1
        conn.execute(text("UPDATE documents SET link_key = 'о внесении изменений и "
                          "дополнений в' WHERE external_id = '1'"))
        conn.execute(text("DELETE FROM schema_version WHERE version >= 2"))
    assert store.migrate() == list(range(2, LATEST + 1))
    with store.engine.connect() as conn:
        keys = dict(conn.execute(text("SELECT external_id, link_key FROM documents")).all())
    assert keys == {"1": "обеспечения прав женщин и безопасности детей", "2": "проект 2"}
    store.close()


def test_a_record_seen_twice_in_one_run_is_one_document(store_url: str) -> None:
    """The batch is read up front; a repeat within the run must see the run's own write."""
    store = Store.open(store_url)
    result = apply(store, [rec("1"), rec("2"), rec("1", title="Проект 1, новая редакция")])
    docs = {d["external_id"]: d for d in store.documents()}
    assert len(docs) == 2 and docs["1"]["title"] == "Проект 1, новая редакция"
    assert (result.inserted, result.updated) == (2, 1)  # type: ignore[attr-defined]
    types = sorted(e["type"] for e in store.events() if e["external_id"] == "1")
    assert types == ["new", "title_changed"]
    store.close()
