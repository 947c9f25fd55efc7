"""Digest content from store rows: pure functions, no database, no clock, no network.

A digest tells one recipient, for the goals they follow:

- new matched documents, grouped by goal;
- stage changes (milestones) and deadline moves of matched documents, worded by the goal's
  stance: for a goal we *oppose*, a bill moving forward is bad news and a delay or rejection
  good news; for a goal we *support*, the reverse; *watch* goals are neutral;
- public-comment deadlines closing within N days;
- their follow-ups that are due (never sensitive actions; notes only when allowed);
- source-health changes.

Text is kept raw here; :mod:`tracker.digest_render` cleans and escapes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from tracker.describe import describe_change
from tracker.models import MILESTONE_STAGES, STAGES

#: Stages that take a draft closer to being law (or a treaty closer to binding).
FORWARD_STAGES = frozenset({
    "government", "parliament", "first_reading", "second_reading", "upper_chamber", "passed",
    "signed", "registered", "in_force", "ratified", "acceded",
})
#: Stages that stop, delay or undo a draft or an act.
SETBACK_STAGES = frozenset({"returned", "withdrawn", "rejected", "repealed", "denounced"})


class GoalLike(Protocol):
    """What a digest needs of a goal (tracker.matching.Goal has it)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def stance(self) -> str: ...
    @property
    def priority(self) -> int: ...


@dataclass(frozen=True)
class Change:
    """One change of a document, worded for a goal."""

    text: str  # e.g. "first_reading → passed (Принят)"
    tone: str  # good | bad | neutral
    event_id: int


@dataclass
class DocItem:
    """A document in a goal's section: new, or changed (or both)."""

    document_id: int
    title: str
    url: str
    source: str
    external_id: str
    stage: str
    discussion_until: str | None
    new: bool = False
    changes: list[Change] = field(default_factory=list)


@dataclass
class GoalSection:
    """Everything about one goal."""

    goal_id: str
    name: str
    stance: str
    priority: int
    new: list[DocItem] = field(default_factory=list)
    changed: list[DocItem] = field(default_factory=list)
    more: int = 0  # items left out (max_items)


@dataclass(frozen=True)
class Deadline:
    """A public-comment deadline closing soon."""

    document_id: int
    title: str
    url: str
    until: str
    days_left: int
    goals: tuple[str, ...]


@dataclass(frozen=True)
class FollowUp:
    """A follow-up that is due (a normal, never a sensitive, action)."""

    action_id: int
    type: str
    due: str
    overdue_days: int
    documents: tuple[tuple[str, str], ...]  # (title, url)
    note: str | None  # summary / next step, only if the recipient allows notes


@dataclass(frozen=True)
class HealthChange:
    """A source that broke, degraded or recovered."""

    source: str
    old: str
    new: str
    reason: str
    at: str


@dataclass
class Digest:
    """One recipient's digest covering events ``from_event < id <= to_event``."""

    recipient: str
    today: date
    from_event: int
    to_event: int
    goals: list[GoalSection] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    health: list[HealthChange] = field(default_factory=list)
    deadline_days: int = 7

    @property
    def counts(self) -> dict[str, int]:
        """How many items of each kind (for the subject line and the summary)."""
        return {
            "new": sum(len(g.new) + g.more for g in self.goals),
            "changes": sum(len(g.changed) for g in self.goals),
            "deadlines": len(self.deadlines),
            "follow_ups": len(self.follow_ups),
            "health": len(self.health),
        }

    @property
    def is_empty(self) -> bool:
        """True when there is nothing at all to tell."""
        return not any(self.counts.values())


def tone(stance: str, event_type: str, old: Any, new: Any) -> str:
    """good | bad | neutral news for a goal with this stance."""
    direction = _direction(event_type, old, new)
    if direction == "neutral" or stance not in {"support", "oppose"}:
        return "neutral"
    forward_is_good = stance == "support"
    return "good" if (direction == "forward") == forward_is_good else "bad"


def _direction(event_type: str, old: Any, new: Any) -> str:
    stage = new.get("stage") if isinstance(new, Mapping) else None
    if event_type in MILESTONE_STAGES and stage is None:
        return "neutral"  # e.g. "amended again": details changed, stage did not
    stage = stage or (event_type if event_type in MILESTONE_STAGES else None)
    if stage in SETBACK_STAGES:
        return "setback"
    if stage in FORWARD_STAGES:
        before = old.get("stage") if isinstance(old, Mapping) else None
        if before in STAGES and stage in STAGES and STAGES.index(stage) <= STAGES.index(before):
            return "neutral"
        return "forward"
    return "neutral"


def build_digest(
    *,
    recipient: str,
    goals: Sequence[GoalLike],
    follows: Iterable[str] | None,
    events: Sequence[Mapping[str, Any]],
    matches: Sequence[Mapping[str, Any]],
    deadlines: Sequence[Mapping[str, Any]],
    follow_ups: Sequence[Mapping[str, Any]],
    today: date,
    from_event: int,
    to_event: int,
    deadline_days: int = 7,
    max_items: int = 40,
    action_notes: bool = False,
    health: bool = True,
) -> Digest:
    """Assemble a digest. ``follows`` = goal ids the recipient follows (None: all);
    ``matches`` = active, not dismissed match rows (goal_id, document_id, document columns);
    ``events`` = rows of events in the range (see tracker.store.digests.events_between)."""
    wanted = None if follows is None else set(follows)
    chosen = sorted((g for g in goals if wanted is None or g.id in wanted),
                    key=lambda g: (g.priority, g.id))
    by_goal: dict[str, dict[int, Mapping[str, Any]]] = {g.id: {} for g in chosen}
    for m in matches:
        if m["goal_id"] in by_goal:
            by_goal[m["goal_id"]][int(m["document_id"])] = m
    digest = Digest(recipient, today, from_event, to_event, deadline_days=deadline_days)
    for goal in chosen:
        section = _section(goal, by_goal[goal.id], events, max_items)
        if section.new or section.changed or section.more:
            digest.goals.append(section)
    known = {g.id for g in chosen}
    grouped: dict[int, Deadline] = {}
    for row in deadlines:
        if row["goal_id"] not in known:
            continue
        doc_id = int(row["document_id"])
        previous = grouped.get(doc_id)
        names = (*previous.goals, row["goal_id"]) if previous else (row["goal_id"],)
        until = str(row["discussion_until"])
        grouped[doc_id] = Deadline(doc_id, row["title"], row["url"], until,
                                   (date.fromisoformat(until) - today).days, names)
    digest.deadlines = sorted(grouped.values(), key=lambda d: (d.until, d.document_id))
    digest.deadlines = digest.deadlines[:max_items]
    digest.follow_ups = [_follow_up(row, today, action_notes) for row in follow_ups][:max_items]
    if health:
        digest.health = [_health(e) for e in events if e["type"] == "health_changed"]
    return digest


def _section(goal: GoalLike, matched: Mapping[int, Mapping[str, Any]],
             events: Sequence[Mapping[str, Any]], max_items: int) -> GoalSection:
    section = GoalSection(goal.id, goal.name, goal.stance, goal.priority)
    items: dict[int, DocItem] = {}
    for event in events:
        doc_id = event.get("document_id")
        if doc_id is None or int(doc_id) not in matched:
            continue
        row = matched[int(doc_id)]
        kind = event["type"]
        if kind == "matched" and (event.get("new") or {}).get("goal") != goal.id:
            continue
        item = items.get(int(doc_id))
        if item is None:
            item = items[int(doc_id)] = DocItem(
                int(doc_id), row["title"], row["url"], row["source"], row["external_id"],
                row["stage"], row.get("discussion_until"))
        if kind in {"new", "matched"}:
            item.new = True
        else:
            item.changes.append(Change(describe_change(kind, event["old"], event["new"]),
                                       tone(goal.stance, kind, event["old"], event["new"]),
                                       int(event["id"])))
    new = [i for i in items.values() if i.new]
    changed = [i for i in items.values() if not i.new and i.changes]
    section.new = new[:max_items]
    section.more = max(0, len(new) - max_items)
    section.changed = changed[:max_items]
    return section


def _follow_up(row: Mapping[str, Any], today: date, notes: bool) -> FollowUp:
    note = None
    if notes and not row.get("sealed"):
        parts = [str(row[k]) for k in ("next_step", "summary") if row.get(k)]
        note = " — ".join(parts) or None
    docs = tuple((str(d["title"]), str(d["url"])) for d in row.get("documents", ()))
    due = str(row["follow_up"])
    return FollowUp(int(row["id"]), str(row["type"]), due,
                    (today - date.fromisoformat(due)).days, docs, note)


def _health(event: Mapping[str, Any]) -> HealthChange:
    old = event.get("old") or {}
    new = event.get("new") or {}
    return HealthChange(str(event.get("event_source") or event.get("source") or "?"),
                        str(old.get("health", "unknown")), str(new.get("health", "unknown")),
                        str(new.get("reason", "")), str(event.get("observed_at", "")))


def subject(digest: Digest, prefix: str) -> str:
    """The subject line: counts only, never scraped text (no header injection possible);
    zero counts are left out to keep it short on a phone."""
    c = digest.counts
    names = (("new", "new"), ("changes", "changes"), ("deadlines", "deadlines"),
             ("follow_ups", "follow-ups"), ("health", "source changes"))
    parts = [f"{c[key]} {label}" for key, label in names if c[key]]
    head = f"{prefix} " if prefix else ""
    return f"{head}digest {digest.today.isoformat()}: " + (", ".join(parts) or "nothing new")
