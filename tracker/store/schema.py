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
    # Who made the change, for changes made by staff (triage, assessments); NULL = a source.
    Column("author", Text),
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

# Document × goal, with the reasons; triage is staff's and re-matching never overwrites it.
matches = Table(
    "matches",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("document_id", _Id, ForeignKey("documents.id"), nullable=False),
    Column("goal_id", String(64), nullable=False),
    Column("score", Float, nullable=False),
    Column("reasons", Text, nullable=False),  # JSON list of {field, term, snippet}
    Column("active", Integer, nullable=False),  # 0 when the current goals no longer match
    Column("triage", String(16), nullable=False),  # new | confirmed | dismissed
    Column("triaged_by", Text),
    Column("triaged_at", String(32)),
    Column("matched_at", String(32), nullable=False),
    UniqueConstraint("document_id", "goal_id", name="uq_matches_document_goal"),
)

# Documents stored by a run but not yet matched against the goals. The run's transaction
# queues them; matching removes them in the transaction that records its verdict. A process
# killed between the two leaves them here, and the next run matches them (no match is lost).
match_pending = Table(
    "match_pending",
    metadata,
    Column("document_id", _Id, ForeignKey("documents.id"), primary_key=True,
           autoincrement=False),
    Column("queued_at", String(32), nullable=False),
)

# Typed relations between documents other than "same act": a UPR recommendation that a
# bill implements or contradicts.
relations = Table(
    "relations",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("from_document", _Id, ForeignKey("documents.id"), nullable=False),
    Column("to_document", _Id, ForeignKey("documents.id"), nullable=False),
    Column("kind", String(32), nullable=False),  # implements | contradicts | related
    Column("author", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
    UniqueConstraint("from_document", "to_document", "kind", name="uq_relations"),
)

# Staff's assessment of a UPR recommendation's implementation (changes are also events).
assessments = Table(
    "assessments",
    metadata,
    Column("document_id", _Id, ForeignKey("documents.id"), primary_key=True),
    Column("status", String(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("author", Text, nullable=False),
    Column("updated_at", String(32), nullable=False),
)

# Lobbying actions. Fields marked (sealed) are encrypted when a passphrase is configured.
actions = Table(
    "actions",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("type", String(32), nullable=False),
    Column("date", String(10), nullable=False),
    Column("staff", Text, nullable=False),
    Column("counterpart_person", Text),  # (sealed)
    Column("counterpart_institution", Text),
    Column("summary", Text),  # (sealed)
    Column("outcome", Text),  # (sealed)
    Column("next_step", Text),  # (sealed)
    Column("comment_text", Text),  # (sealed)
    Column("legalacts_card_id", String(32)),
    Column("follow_up", String(10)),
    Column("status", String(8), nullable=False),  # open | done
    Column("sensitivity", String(16), nullable=False),  # normal | sensitive
    Column("sealed", Integer, nullable=False),  # 1 when the sealed fields are encrypted
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
)

action_links = Table(
    "action_links",
    metadata,
    Column("action_id", _Id, ForeignKey("actions.id"), primary_key=True),
    Column("kind", String(16), primary_key=True),  # document | goal | recommendation
    Column("target", String(160), primary_key=True),  # document id, or goal id
)

action_history = Table(
    "action_history",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("action_id", _Id, ForeignKey("actions.id"), nullable=False),
    Column("author", Text, nullable=False),
    Column("at", String(32), nullable=False),
    Column("changes", Text, nullable=False),  # JSON {field: [old, new]} (sealed values stay sealed)
)

# A reader's position in the event log: the dashboard per staff member, each digest
# recipient. Advanced only when the reader has really seen (or been sent) the events.
watermarks = Table(
    "watermarks",
    metadata,
    Column("name", String(160), primary_key=True),
    Column("event_id", _Id, nullable=False),
    Column("updated_at", String(32), nullable=False),
)

# Digests sent or being sent (for exactly-once delivery across crashes).
digests = Table(
    "digests",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("recipient", String(160), nullable=False),
    Column("from_event", _Id, nullable=False),
    Column("to_event", _Id, nullable=False),
    Column("message_id", Text, nullable=False),
    Column("status", String(16), nullable=False),  # prepared | sent
    Column("prepared_at", String(32), nullable=False),
    Column("sent_at", String(32)),
)

# Small key → value facts about the store (e.g. the hash of the goals last matched).
meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
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
Index("ix_matches_goal", matches.c.goal_id)
Index("ix_documents_discussion_until", documents.c.discussion_until)
Index("ix_documents_last_changed", documents.c.last_changed)
Index("ix_events_observed_at", events.c.observed_at)
Index("ix_actions_follow_up", actions.c.follow_up)
Index("ix_runs_source", source_runs.c.source, source_runs.c.id)
Index("ix_fetches_run", fetches.c.run_id)
