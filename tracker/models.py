"""Plain data passed between sources, the store and the views."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

#: Normalised lifecycle stages (see docs/architecture.md). The raw status is always kept too.
STAGES: tuple[str, ...] = (
    "unknown",
    "concept",
    "drafting",
    "public_discussion",
    "discussion_closed",
    "government",
    "parliament",
    "first_reading",
    "second_reading",
    "upper_chamber",
    "returned",
    "passed",
    "signed",
    "registered",
    "in_force",
    "amended",
    "repealed",
    "withdrawn",
    "rejected",
    "supported",
    "noted",
    "not_party",
    "invited",
    "ratified",
    "acceded",
    "denounced",
)

#: ``details`` keys that say where a record was seen (a search snippet, a feed item's
#: summary or date) rather than what state the document is in: kept, but they neither make
#: a record "changed" nor produce events, so the same act found by two queries is stable.
CONTEXT_DETAILS: frozenset[str] = frozenset({"snippet", "description", "published"})

#: Stages whose arrival is an event of its own type (a bill read, passed, signed; an act
#: amended or repealed) rather than a generic ``stage_changed``: staff and digests treat
#: these as milestones.
MILESTONE_STAGES: frozenset[str] = frozenset({
    "first_reading", "second_reading", "upper_chamber", "returned", "passed", "signed",
    "registered", "in_force", "amended", "repealed", "withdrawn", "rejected",
})

#: Details keys whose change means the act was amended again (Adilet's modification date and
#: history length), even though its stage stays ``amended``.
AMENDMENT_DETAILS: frozenset[str] = frozenset({"modified", "history_entries"})

#: Event types written to the append-only log.
EVENT_TYPES: tuple[str, ...] = (
    "new",
    "stage_changed",
    *sorted(MILESTONE_STAGES),
    "deadline_changed",
    "counters_changed",
    "title_changed",
    "details_changed",
    "health_changed",
    "matched",
    "unmatched",
    "assessment_changed",
    "triage_changed",
)


@dataclass(frozen=True)
class Record:
    """One document as a source saw it on one page: the unit sources yield.

    ``evidence`` is the sha256 of the archived HTTP response the record was parsed from;
    ``details`` holds source-specific fields (counters, requisites, ...), JSON-serialisable.
    """

    source: str
    external_id: str
    title: str
    url: str
    kind: str = "document"
    stage: str = "unknown"
    status_raw: str | None = None
    doc_type: str | None = None
    created: str | None = None  # YYYY-MM-DD
    discussion_until: str | None = None  # YYYY-MM-DD
    agency: str | None = None
    language: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    evidence: str | None = None

    def content_hash(self) -> str:
        """Hash of every tracked field (not the evidence): equal hash means nothing changed."""
        payload = {
            "title": self.title,
            "url": self.url,
            "kind": self.kind,
            "stage": self.stage,
            "status_raw": self.status_raw,
            "doc_type": self.doc_type,
            "created": self.created,
            "discussion_until": self.discussion_until,
            "agency": self.agency,
            "language": self.language,
            "details": {k: v for k, v in self.details.items() if k not in CONTEXT_DETAILS},
        }
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()


@dataclass(frozen=True)
class EventDraft:
    """An event computed by comparing a stored document with a new record (not yet stored)."""

    type: str
    old: Any
    new: Any


@dataclass(frozen=True)
class RunSummary:
    """What one source run did, as shown in the scrape summary and stored in source_runs."""

    source: str
    run_id: int
    status: str  # "ok" | "error"
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    events: int = 0
    requests: int = 0
    bytes: int = 0
    not_modified: int = 0
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "source": self.source,
            "run_id": self.run_id,
            "status": self.status,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "events": self.events,
            "requests": self.requests,
            "bytes": self.bytes,
            "not_modified": self.not_modified,
            "errors": list(self.errors),
            "warnings": list(self.warnings),
        }
