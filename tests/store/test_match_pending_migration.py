"""Migration 3 (the ``match_pending`` queue, defect 1 of docs/reliability.md) on databases
that already exist: a v1 database upgraded to the latest version ends with exactly the
schema of a fresh one, and processes that open (and so migrate) one database at the same
moment all succeed, each step applied once (defect 2's read-then-write, in ``migrate``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, inspect, select

from tests.conftest import _reset_postgres
from tracker.fetch import FetchStats
from tracker.models import Record
from tracker.store import Store
from tracker.store import schema as tables
from tracker.store.migrations import LATEST, MIGRATIONS
from tracker.store.store import _sqlite_pragmas


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def _make_v1(url: str) -> None:
    """A database as schema v1 (the version that shipped) left it, holding one document."""
    engine = _engine(url)
    with engine.begin() as conn:
        tables.metadata.create_all(conn, tables=[tables.schema_version])
        MIGRATIONS[0][2](conn)  # the shipped step itself: steps are never edited
        conn.execute(tables.schema_version.insert().values(version=1, applied_at="2026-01-01"))
        conn.execute(tables.documents.insert().values(
            source="kz_legalacts", external_id="1", kind="draft",
            title="Проект о защите женщин от насилия", stage="public_discussion",
            url="https://legalacts.egov.kz/npa/view?id=1", details="{}", content_hash="old",
            link_key="проект о защите", first_seen="2026-01-01", last_changed="2026-01-01"))
    engine.dispose()


def _shape(url: str) -> dict[str, Any]:
    """Every table's columns (name, type, nullability, default), primary key, foreign keys,
    indexes and unique constraints: what must not depend on the path a database took."""
    engine = _engine(url)
    try:
        found = inspect(engine)
        shape: dict[str, Any] = {}
        for table in sorted(found.get_table_names()):
            shape[table] = {
                "columns": [(c["name"], str(c["type"]), c["nullable"], c.get("default"))
                            for c in found.get_columns(table)],
                "pk": found.get_pk_constraint(table)["constrained_columns"],
                "fks": sorted((tuple(f["constrained_columns"]), f["referred_table"],
                               tuple(f["referred_columns"]))
                              for f in found.get_foreign_keys(table)),
                "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                                  for i in found.get_indexes(table)),
                "unique": sorted((u["name"] or "", tuple(u["column_names"]))
                                 for u in found.get_unique_constraints(table)),
            }
        return shape
    finally:
        engine.dispose()


@pytest.fixture
def two_urls(store_url: str, tmp_path: Path) -> Iterator[tuple[str, str, bool]]:
    """Two empty databases of the backend under test (on PostgreSQL: one, reset between)."""
    if store_url.startswith("sqlite"):
        yield store_url, f"sqlite:///{tmp_path / 'second.db'}", False
    else:
        yield store_url, store_url, True


def test_an_upgraded_v1_database_has_the_schema_of_a_fresh_one(
        two_urls: tuple[str, str, bool]) -> None:
    upgraded_url, fresh_url, shared = two_urls
    _make_v1(upgraded_url)
    store = Store.open(upgraded_url)
    with store.engine.connect() as conn:
        versions = conn.execute(select(tables.schema_version.c.version)
                                .order_by(tables.schema_version.c.version)).scalars().all()
        assert versions == list(range(1, LATEST + 1))
        assert "match_pending" in inspect(conn).get_table_names()
    # The upgraded database queues what a run changes, like a fresh one.
    run_id = store.start_run("kz_legalacts")
    result = store.finish_run(run_id, "kz_legalacts", [Record(
        source="kz_legalacts", external_id="1", kind="draft",
        title="Проект о защите женщин от насилия",
        url="https://legalacts.egov.kz/npa/view?id=1", stage="public_discussion",
        evidence="b" * 64)], FetchStats(), ok=True, not_modified=0, errors=[], warnings=[])
    assert result.updated == 1
    assert store.pending_matches() == list(result.changed)
    store.close()
    upgraded = _shape(upgraded_url)

    if shared:
        _reset_postgres(fresh_url)
    Store.open(fresh_url).close()
    assert _shape(fresh_url) == upgraded


def test_processes_opening_a_database_at_once_migrate_it_once(store_url: str) -> None:
    """The dashboard and a cron ``run --once`` starting together on a new (or just upgraded)
    database: each used to read "version 0", then race to create the same tables ("table
    schema_version already exists", or a duplicate schema_version row)."""
    rounds, openers = 6, 4
    for round_ in range(rounds):
        url = store_url if not store_url.startswith("sqlite") else \
            store_url.replace(".db", f"-{round_}.db")
        if not url.startswith("sqlite"):
            _reset_postgres(url)
        start = threading.Barrier(openers)
        failures: list[str] = []

        def open_it(url: str = url, start: threading.Barrier = start,
                    failures: list[str] = failures) -> None:
            start.wait(timeout=30)
            try:
                Store.open(url).close()
            except Exception as exc:  # the failure is what this test looks for
                failures.append(f"{type(exc).__name__}: {exc}")

        threads = [threading.Thread(target=open_it) for _ in range(openers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert failures == []
        engine = _engine(url)
        with engine.connect() as conn:
            versions = conn.execute(select(tables.schema_version.c.version)
                                    .order_by(tables.schema_version.c.version)).scalars().all()
        engine.dispose()
        assert versions == list(range(1, LATEST + 1))
