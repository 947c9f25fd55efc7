"""Table definitions (SQLAlchemy Core), shared by SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# SQLite only autoincrements INTEGER PRIMARY KEY; BigInteger maps to it there.
_Id = BigInteger().with_variant(Integer(), "sqlite")

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", String(32), nullable=False),
)

documents = Table(
    "documents",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("external_id", String(128), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("title", Text, nullable=False),
    Column("stage", String(32), nullable=False),
    Column("status_raw", Text),
    Column("doc_type", Text),
    Column("created", String(10)),
    Column("discussion_until", String(10)),
    Column("agency", Text),
    Column("url", Text, nullable=False),
    Column("language", String(8)),
    Column("details", Text, nullable=False),  # JSON object
    Column("content_hash", String(64), nullable=False),
    # linking.blocking_key(title): documents are only compared for linking within one key.
    Column("link_key", Text, nullable=False),
    Column("first_seen", String(32), nullable=False),
    Column("last_changed", String(32), nullable=False),
    UniqueConstraint("source", "external_id", name="uq_documents_source_external_id"),
)

fetches = Table(
    "fetches",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("run_id", _Id, ForeignKey("source_runs.id")),
    Column("url", Text, nullable=False),
    Column("status", Integer),
    Column("sha256", String(64)),
    Column("fetched_at", String(32), nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("robots_override", Integer, nullable=False),
    Column("error", Text),
)

source_runs = Table(
    "source_runs",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("started_at", String(32), nullable=False),
    Column("finished_at", String(32)),
    Column("status", String(16), nullable=False),  # running | ok | error
    Column("inserted", Integer, nullable=False),
    Column("updated", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("events", Integer, nullable=False),
    Column("requests", Integer, nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("not_modified", Integer, nullable=False),
    Column("errors", Text, nullable=False),  # JSON list of strings
    Column("warnings", Text, nullable=False),  # JSON list of strings
)

events = Table(
    "events",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    # NULL for events about a source rather than a document (health changes).
    Column("document_id", _Id, ForeignKey("documents.id")),
    Column("run_id", _Id, ForeignKey("source_runs.id")),
    Column("type", String(32), nullable=False),
    Column("old", Text),  # JSON
    Column("new", Text),  # JSON
    Column("observed_at", String(32), nullable=False),
    Column("evidence", String(64)),
)

http_validators = Table(
    "http_validators",
    metadata,
    Column("url", Text, primary_key=True),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("sha256", String(64), nullable=False),
    Column("updated_at", String(32), nullable=False),
)

links = Table(
    "links",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("doc_a", _Id, ForeignKey("documents.id"), nullable=False),  # doc_a < doc_b
    Column("doc_b", _Id, ForeignKey("documents.id"), nullable=False),
    Column("linked", Integer, nullable=False),  # 1 linked, 0 decided NOT the same act
    Column("method", String(16), nullable=False),  # auto | manual
    Column("confidence", Float, nullable=False),
    Column("reason", Text, nullable=False),
    Column("decided_at", String(32), nullable=False),
    UniqueConstraint("doc_a", "doc_b", name="uq_links_pair"),
)

source_health = Table(
    "source_health",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("health", String(16), nullable=False),  # ok | degraded | broken
    Column("reason", Text, nullable=False),
    Column("since", String(32), nullable=False),
)

Index("ix_events_document", events.c.document_id)
Index("ix_documents_link_key", documents.c.link_key)
Index("ix_runs_source", source_runs.c.source, source_runs.c.id)
Index("ix_fetches_run", fetches.c.run_id)
