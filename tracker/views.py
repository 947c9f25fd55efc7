"""Read models for the dashboard: bounded, indexed SQLAlchemy Core reads, plus watermarks.

Every function takes an :class:`~sqlalchemy.Engine` (or the :class:`~tracker.store.Store`
for the few writes), opens its own connection and returns plain frozen dataclasses, so the
dashboard can call it from a worker thread. Every list is bounded by a ``LIMIT``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, func, or_, select

from tracker.describe import describe_change
from tracker.fetch import utcnow_iso
from tracker.models import MILESTONE_STAGES
from tracker.store import Store
from tracker.store.schema import (
    action_links,
    actions,
    documents,
    events,
    matches,
    source_health,
    watermarks,
)

_STAGE_EVENTS = ("stage_changed", *sorted(MILESTONE_STAGES))
#: Event types too frequent to be morning news (comment counters move every day).
QUIET_TYPES = frozenset({"counters_changed"})
NEWS_LIMIT = 300
DEADLINE_LIMIT = 50
MOVED_LIMIT = 50
PAGE_SIZE = 50


@dataclass(frozen=True)
class GoalInfo:
    """What the dashboard needs of a goal."""

    id: str
    name: str
    stance: str  # support | oppose | watch
    priority: int


@dataclass(frozen=True)
class NewsItem:
    """One event of the morning view, with its tone for one goal (None: no goal)."""

    event_id: int
    document_id: int
    source: str
    title: str
    type: str
    description: str
    observed_at: str
    goal_id: str | None
    tone: str  # good | bad | neutral


@dataclass(frozen=True)
class Deadline:
    """A public-comment deadline: days left counted from the view's date."""

    document_id: int
    source: str
    title: str
    deadline: str
    days_left: int
    goals: tuple[str, ...]


@dataclass(frozen=True)
class FollowUp:
    """An open action whose follow-up date has come (days < 0: overdue by that many)."""

    action_id: int
    type: str
    follow_up: str
    days: int
    staff: str
    institution: str | None
    targets: tuple[str, ...]


@dataclass(frozen=True)
class SourceState:
    """A source's recorded health and latest run."""

    source: str
    health: str
    reason: str
    since: str | None
    last_status: str | None = None
    last_finished: str | None = None
    last_counts: str = ""
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class TodayView:
    """The morning view: everything between the staff member's watermark and ``latest_id``."""

    since_id: int
    latest_id: int
    new_count: int
    news: tuple[NewsItem, ...]
    deadlines: tuple[Deadline, ...]
    moved: tuple[NewsItem, ...]
    follow_ups: tuple[FollowUp, ...]
    broken: tuple[SourceState, ...]


# -- staff and watermarks ---------------------------------------------------------------


def staff_name() -> str:
    """Who is at the keyboard: ``TRACKER_STAFF``, else the OS user (the actions module's
    rule, so actions and triage name the same person)."""
    from tracker.actions import default_staff

    return default_staff()


def watermark_name(staff: str) -> str:
    """The watermark row of one staff member's dashboard."""
    return f"dashboard:{staff}"


def get_watermark(engine: Engine, staff: str) -> int:
    """The last event id this staff member marked as read (0: never)."""
    with engine.connect() as conn:
        value = conn.execute(select(watermarks.c.event_id).where(
            watermarks.c.name == watermark_name(staff))).scalar()
    return int(value or 0)


def mark_read(store: Store, staff: str, event_id: int) -> int:
    """Advance the staff member's watermark to ``event_id`` (never backwards); return it."""
    name = watermark_name(staff)
    with store.write() as conn:
        current = conn.execute(select(watermarks.c.event_id).where(
            watermarks.c.name == name)).scalar()
        if current is not None and int(current) >= event_id:
            return int(current)
        conn.execute(watermarks.delete().where(watermarks.c.name == name))
        conn.execute(watermarks.insert().values(name=name, event_id=event_id,
                                                updated_at=utcnow_iso()))
    return event_id


def latest_event_id(engine: Engine) -> int:
    """The newest event id (a primary-key lookup: cheap enough to poll every few seconds)."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.max(events.c.id))).scalar() or 0)


# -- stance ---------------------------------------------------------------------------------


def news_tone(stance: str, event_type: str, old: Any, new: Any) -> str:
    """``good``, ``bad`` or ``neutral`` news for a goal with this stance (for ``oppose`` an
    act moving forward is bad and a setback good; ``support`` the reverse; ``watch``
    neutral): the digests' rule, so the morning email and the dashboard always agree."""
    from tracker.digests import tone

    return tone(stance, event_type, old, new)


# -- the morning view -----------------------------------------------------------------------


def today_view(engine: Engine, staff: str, goals: Sequence[GoalInfo], today: date) -> TodayView:
    """Everything new since the staff member's watermark, deadlines this week, stage moves,
    due follow-ups and broken sources; every list bounded."""
    stances = {g.id: g.stance for g in goals}
    with engine.connect() as conn:
        since = int(conn.execute(select(watermarks.c.event_id).where(
            watermarks.c.name == watermark_name(staff))).scalar() or 0)
        latest = int(conn.execute(select(func.max(events.c.id))).scalar() or 0)
        window = and_(events.c.id > since, events.c.id <= latest, events.c.author.is_(None))
        counted = select(events.c.id).where(window).limit(10_000).subquery()
        new_count = int(conn.execute(select(func.count()).select_from(counted)).scalar() or 0)
        live = and_(matches.c.document_id == events.c.document_id, matches.c.active == 1,
                    matches.c.triage != "dismissed")
        query = (
            select(events.c.id, events.c.document_id, events.c.source, events.c.type,
                   events.c.old, events.c.new, events.c.observed_at, documents.c.title,
                   matches.c.goal_id)
            .join(documents, documents.c.id == events.c.document_id)
            .outerjoin(matches, live)
            .where(window)
            .order_by(events.c.id.desc())
            .limit(NEWS_LIMIT)
        )
        news: list[NewsItem] = []
        moved: dict[int, NewsItem] = {}
        for row in conn.execute(query):
            item = _news(row, stances)
            if item.type in _STAGE_EVENTS and len(moved) < MOVED_LIMIT:
                moved.setdefault(item.event_id, item)
            if item.type not in QUIET_TYPES and (item.goal_id or item.type == "new"):
                news.append(item)
        deadlines = _deadlines(conn, today)
        follow_ups = _follow_ups(conn, today, staff)
        broken = tuple(s for s in _source_states(conn, ())
                       if s.health in ("degraded", "broken") or s.last_status == "error")
    order = {g.id: (g.priority, n) for n, g in enumerate(goals)}
    news.sort(key=lambda i: (order.get(i.goal_id or "", (99, 99)), -i.event_id))
    return TodayView(since, latest, new_count, tuple(news), deadlines, tuple(moved.values()),
                     follow_ups, broken)


def _news(row: Any, stances: dict[str, str]) -> NewsItem:
    old, new = _unjson(row.old), _unjson(row.new)
    goal = row.goal_id
    tone = news_tone(stances.get(goal, "watch"), row.type, old, new) if goal else "neutral"
    return NewsItem(int(row.id), int(row.document_id), row.source, row.title, row.type,
                    describe(row.type, old, new), row.observed_at, goal, tone)


def _deadlines(conn: Any, today: date) -> tuple[Deadline, ...]:
    end = (today + timedelta(days=7)).isoformat()
    rows = conn.execute(
        select(documents.c.id, documents.c.source, documents.c.title,
               documents.c.discussion_until)
        .where(documents.c.discussion_until >= today.isoformat(),
               documents.c.discussion_until <= end)
        .order_by(documents.c.discussion_until, documents.c.id)
        .limit(DEADLINE_LIMIT)
    ).all()
    goals = _goals_of(conn, [int(r.id) for r in rows])
    return tuple(
        Deadline(int(r.id), r.source, r.title, r.discussion_until,
                 (date.fromisoformat(r.discussion_until) - today).days,
                 tuple(goals.get(int(r.id), ())))
        for r in rows
    )


def _follow_ups(conn: Any, today: date, staff: str) -> tuple[FollowUp, ...]:
    rows = conn.execute(
        select(actions.c.id, actions.c.type, actions.c.follow_up, actions.c.staff,
               actions.c.counterpart_institution)
        .where(actions.c.follow_up.is_not(None), actions.c.follow_up <= today.isoformat(),
               actions.c.status == "open", actions.c.staff == staff)
        .order_by(actions.c.follow_up, actions.c.id)
        .limit(DEADLINE_LIMIT)
    ).all()
    targets = _action_targets(conn, [int(r.id) for r in rows])
    return tuple(
        FollowUp(int(r.id), r.type, r.follow_up,
                 (date.fromisoformat(r.follow_up) - today).days, r.staff,
                 r.counterpart_institution, targets.get(int(r.id), ()))
        for r in rows
    )


def _goals_of(conn: Any, doc_ids: Iterable[int]) -> dict[int, list[str]]:
    """Goals (not dismissed, still active) of some documents."""
    ids = list(doc_ids)
    out: dict[int, list[str]] = {}
    if not ids:
        return out
    rows = conn.execute(select(matches.c.document_id, matches.c.goal_id).where(
        matches.c.document_id.in_(ids), matches.c.active == 1,
        matches.c.triage != "dismissed").order_by(matches.c.score.desc()))
    for doc_id, goal in rows:
        out.setdefault(int(doc_id), []).append(goal)
    return out


def _action_targets(conn: Any, action_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """``document:12``, ``goal:sogi`` … per action."""
    out: dict[int, list[str]] = {}
    if action_ids:
        rows = conn.execute(select(action_links).where(action_links.c.action_id.in_(action_ids))
                            .order_by(action_links.c.kind, action_links.c.target))
        for row in rows:
            out.setdefault(int(row.action_id), []).append(f"{row.kind}:{row.target}")
    return {k: tuple(v) for k, v in out.items()}


# -- sources --------------------------------------------------------------------------------


def source_states(engine: Engine, keys: Iterable[str] = ()) -> list[SourceState]:
    """Every known source (``keys`` plus those with a run or a health) with health and run."""
    with engine.connect() as conn:
        return _source_states(conn, keys)


def _source_states(conn: Any, keys: Iterable[str]) -> list[SourceState]:
    from tracker.store.schema import source_runs

    health = {r.source: r for r in conn.execute(select(source_health))}
    latest = (select(source_runs.c.source, func.max(source_runs.c.id).label("id"))
              .group_by(source_runs.c.source).subquery())
    runs = {r.source: r for r in conn.execute(
        select(source_runs).join(latest, latest.c.id == source_runs.c.id))}
    out = []
    for key in sorted(set(keys) | set(health) | set(runs)):
        h, run = health.get(key), runs.get(key)
        counts = (f"+{run.inserted} ~{run.updated} ={run.unchanged} ev {run.events}"
                  if run is not None else "")
        out.append(SourceState(
            key, h.health if h else ("unknown" if run else "never run"),
            h.reason if h else "", h.since if h else None,
            run.status if run else None, (run.finished_at or run.started_at) if run else None,
            counts, tuple(json.loads(run.errors)) if run else ()))
    return out


# -- goals ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalSummary:
    """A goal with its matched documents counted by stage and by triage, and recent activity."""

    goal: GoalInfo
    by_stage: dict[str, int] = field(default_factory=dict)
    by_triage: dict[str, int] = field(default_factory=dict)
    events_7d: int = 0
    last_event: str | None = None


def goal_summaries(engine: Engine, goals: Sequence[GoalInfo], today: date) -> list[GoalSummary]:
    """Per goal: matched documents by stage and triage; events in the last 7 days."""
    week_ago = (today - timedelta(days=7)).isoformat()
    stage: dict[str, dict[str, int]] = {}
    triage: dict[str, dict[str, int]] = {}
    recent: dict[str, tuple[int, str | None]] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(matches.c.goal_id, documents.c.stage, matches.c.triage, func.count())
            .join(documents, documents.c.id == matches.c.document_id)
            .where(matches.c.active == 1)
            .group_by(matches.c.goal_id, documents.c.stage, matches.c.triage))
        for goal, st, tri, n in rows:
            if tri != "dismissed":
                stage.setdefault(goal, {})[st] = stage.get(goal, {}).get(st, 0) + int(n)
            triage.setdefault(goal, {})[tri] = triage.get(goal, {}).get(tri, 0) + int(n)
        first = conn.execute(select(func.min(events.c.id)).where(
            events.c.observed_at >= week_ago)).scalar()
        if first is not None:
            for goal, n, last in conn.execute(
                select(matches.c.goal_id, func.count(), func.max(events.c.observed_at))
                .join(events, events.c.document_id == matches.c.document_id)
                .where(events.c.id >= first, matches.c.active == 1)
                .group_by(matches.c.goal_id)):
                recent[goal] = (int(n), last)
    return [GoalSummary(g, stage.get(g.id, {}), triage.get(g.id, {}),
                        *recent.get(g.id, (0, None))) for g in goals]


# -- triage (staff data) ----------------------------------------------------------------------


def set_triage(store: Store, match_id: int, triage: str, staff: str) -> None:
    """Record a staff member's decision on a match (``new``, ``confirmed``, ``dismissed``)
    through :func:`tracker.store.matches.set_triage`, and append it to the event log with
    the staff member as author (digests skip it; other dashboards refresh on it)."""
    from tracker.store.matches import set_triage as store_triage

    with store.write() as conn:
        row = conn.execute(select(matches.c.document_id, matches.c.goal_id, matches.c.triage)
                           .where(matches.c.id == match_id)).first()
        if row is None:
            raise LookupError(f"no match {match_id}")
        before = store_triage(conn, int(row.document_id), row.goal_id, triage, staff)
        if before == triage:
            return
        source = conn.execute(select(documents.c.source).where(
            documents.c.id == row.document_id)).scalar()
        conn.execute(events.insert().values(
            source=source or "staff", document_id=row.document_id, run_id=None,
            type="triage_changed", old=json.dumps({"goal": row.goal_id, "triage": before}),
            new=json.dumps({"goal": row.goal_id, "triage": triage}), observed_at=utcnow_iso(),
            evidence=None, author=staff))


# -- documents ------------------------------------------------------------------------------


SORTS = ("changed", "deadline", "stage", "title", "source", "id")
_FILTER_KEYS = ("goal", "source", "stage", "triage", "deadline", "sort")
#: Characters of a document's stored text fields kept for search (titles are kept whole).
SEARCH_TEXT_LIMIT = 1000


@dataclass(frozen=True)
class DocFilter:
    """What the Documents table shows: words (all must appear in the title, the stored
    text fields or the id) and exact filters; ``deadline_days``: comments close within N."""

    words: tuple[str, ...] = ()
    goal: str | None = None
    source: str | None = None
    stage: str | None = None
    triage: str | None = None
    deadline_days: int | None = None
    sort: str = "changed"
    descending: bool = True


def parse_filter(text: str) -> DocFilter:
    """``"насилие goal:sogi stage:public_discussion deadline:7 sort:-deadline"`` → filter.
    Unknown ``key:`` prefixes are plain words; a bad number or sort is ignored. Each sort
    has its natural direction (newest change first, soonest deadline first); ``-`` / ``+``
    force descending / ascending."""
    words: list[str] = []
    values: dict[str, str] = {}
    for token in text.split():
        key, sep, value = token.partition(":")
        if sep and key.lower() in _FILTER_KEYS and value:
            values[key.lower()] = value
        else:
            words.append(token)
    sort = values.get("sort", "changed")
    name = sort.lstrip("+-")
    name = name if name in SORTS else "changed"
    descending = sort.startswith("-") or (name in ("changed", "id") and not sort.startswith("+"))
    days = values.get("deadline", "")
    return DocFilter(tuple(words), values.get("goal"), values.get("source"),
                     values.get("stage"), values.get("triage"),
                     int(days) if days.isdigit() else None, name, descending)


@dataclass(frozen=True)
class DocRow:
    """One row of the Documents table; ``goals`` as ``goal:triage``."""

    id: int
    source: str
    external_id: str
    title: str
    stage: str
    deadline: str | None
    last_changed: str
    goals: tuple[str, ...]


@dataclass(frozen=True)
class SearchRow:
    """What the dashboard's in-memory search index keeps of a document."""

    id: int
    source: str
    external_id: str
    title: str
    text: str  # the stored text fields (details), cut to SEARCH_TEXT_LIMIT
    stage: str
    deadline: str | None
    last_changed: str


def search_rows(engine: Engine, changed_since: str | None = None) -> list[SearchRow]:
    """Every document (or those changed at or after ``changed_since``) for the search
    index; one sequential read, done in the background."""
    query = select(documents.c.id, documents.c.source, documents.c.external_id,
                   documents.c.title, documents.c.details, documents.c.stage,
                   documents.c.discussion_until, documents.c.last_changed)
    if changed_since is not None:
        query = query.where(documents.c.last_changed >= changed_since)
    with engine.connect() as conn:
        return [SearchRow(int(i), source, external, title, _details_text(details), stage,
                          deadline, changed)
                for i, source, external, title, details, stage, deadline, changed
                in conn.execute(query)]


def _details_text(details: str | None) -> str:
    """The string values of a details object (snippets, descriptions, requisites …)."""
    if not details or '": "' not in details:
        return ""  # no string value (counters only): nothing worth searching
    try:
        data = json.loads(details)
    except ValueError:
        return details[:SEARCH_TEXT_LIMIT]
    values = data.values() if isinstance(data, dict) else [data]
    return " ".join(str(v) for v in values if isinstance(v, str))[:SEARCH_TEXT_LIMIT]


def match_states(engine: Engine) -> dict[int, dict[str, str]]:
    """Active matches: document id → {goal: triage} (for filtering by goal and triage)."""
    out: dict[int, dict[str, str]] = {}
    with engine.connect() as conn:
        for doc_id, goal, triage in conn.execute(
                select(matches.c.document_id, matches.c.goal_id, matches.c.triage)
                .where(matches.c.active == 1)):
            out.setdefault(int(doc_id), {})[goal] = triage
    return out


def document_rows(engine: Engine, ids: Sequence[int]) -> list[DocRow]:
    """The table rows of these documents, in the order given (a primary-key lookup)."""
    if not ids:
        return []
    with engine.connect() as conn:
        rows = {int(r.id): r for r in conn.execute(
            select(documents.c.id, documents.c.source, documents.c.external_id,
                   documents.c.title, documents.c.stage, documents.c.discussion_until,
                   documents.c.last_changed).where(documents.c.id.in_(list(ids))))}
        triaged = _triage_of(conn, list(rows))
    return [DocRow(i, r.source, r.external_id, r.title, r.stage, r.discussion_until,
                   r.last_changed, triaged.get(i, ())) for i in ids if (r := rows.get(i))]


def _triage_of(conn: Any, doc_ids: list[int]) -> dict[int, tuple[str, ...]]:
    out: dict[int, list[str]] = {}
    if doc_ids:
        for doc_id, goal, triage in conn.execute(
                select(matches.c.document_id, matches.c.goal_id, matches.c.triage)
                .where(matches.c.document_id.in_(doc_ids), matches.c.active == 1)
                .order_by(matches.c.score.desc())):
            out.setdefault(int(doc_id), []).append(f"{goal}:{triage}")
    return {k: tuple(v) for k, v in out.items()}


def resolve_document_ref(engine: Engine, ref: str) -> int | None:
    """A document named as ``SOURCE:EXTERNAL_ID`` or by its store id (``12`` or ``#12``)."""
    ref = ref.strip()
    with engine.connect() as conn:
        if ref.lstrip("#").isdigit():
            value = conn.execute(select(documents.c.id).where(
                documents.c.id == int(ref.lstrip("#")))).scalar()
        else:
            source, _, external = ref.partition(":")
            value = conn.execute(select(documents.c.id).where(
                documents.c.source == source, documents.c.external_id == external)).scalar()
    return int(value) if value is not None else None


# -- one document -----------------------------------------------------------------------------

TIMELINE_LIMIT = 500
#: Action fields that are sealed (encrypted) when a passphrase is configured.
PRIVATE_FIELDS = ("counterpart_person", "summary", "outcome", "next_step", "comment_text")


@dataclass(frozen=True)
class MatchInfo:
    """A goal the document matched, why (``reasons``: dicts of field, term, snippet) and the
    staff's triage."""

    id: int
    goal_id: str
    score: float
    reasons: tuple[dict[str, str], ...]
    triage: str
    triaged_by: str | None
    triaged_at: str | None
    active: bool


@dataclass(frozen=True)
class TimelineEntry:
    """One event of the document or of a document linked to it."""

    event_id: int
    document_id: int | None
    source: str
    type: str
    description: str
    observed_at: str
    evidence: str | None
    author: str | None


@dataclass(frozen=True)
class Related:
    """Another document: the same act elsewhere (``links``) or a typed relation."""

    document_id: int
    source: str
    title: str
    stage: str
    relation: str


@dataclass(frozen=True)
class ActionRow:
    """An action as stored; ``private`` holds the sealable fields as stored (ciphertext when
    ``sealed``): the dashboard decides whether and how to show them."""

    id: int
    type: str
    date: str
    staff: str
    institution: str | None
    follow_up: str | None
    status: str
    sensitivity: str
    sealed: bool
    targets: tuple[str, ...]
    private: dict[str, str | None]
    card_id: str | None = None


@dataclass(frozen=True)
class DocumentDetail:
    """Everything the document screen shows."""

    document: dict[str, Any]
    matches: tuple[MatchInfo, ...]
    timeline: tuple[TimelineEntry, ...]
    related: tuple[Related, ...]
    actions: tuple[ActionRow, ...]


def document_detail(engine: Engine, doc_id: int) -> DocumentDetail | None:
    """The document, its matches, the timeline across linked documents (newest
    ``TIMELINE_LIMIT`` events, oldest first), related documents and actions."""
    from tracker.store.links import component
    from tracker.store.schema import links, relations

    with engine.connect() as conn:
        row = conn.execute(select(documents).where(documents.c.id == doc_id)).mappings().first()
        if row is None:
            return None
        doc = dict(row)
        doc["details"] = json.loads(doc["details"]) if doc.get("details") else {}
        found = tuple(
            MatchInfo(int(m.id), m.goal_id, float(m.score), tuple(json.loads(m.reasons)),
                      m.triage, m.triaged_by, m.triaged_at, bool(m.active))
            for m in conn.execute(select(matches).where(matches.c.document_id == doc_id)
                                  .order_by(matches.c.active.desc(), matches.c.score.desc())))
        ids = component(conn, doc_id)
        timeline = tuple(reversed([
            TimelineEntry(int(e.id), e.document_id, e.source, e.type,
                          describe(e.type, _unjson(e.old), _unjson(e.new)),
                          e.observed_at, e.evidence, e.author)
            for e in conn.execute(select(events).where(events.c.document_id.in_(ids))
                                  .order_by(events.c.id.desc()).limit(TIMELINE_LIMIT))]))
        related: dict[int, str] = {}
        for link in conn.execute(select(links).where(
                or_(links.c.doc_a == doc_id, links.c.doc_b == doc_id))):
            other = link.doc_b if link.doc_a == doc_id else link.doc_a
            verdict = "same act" if link.linked else "not the same act"
            related[int(other)] = f"{verdict} ({link.method}, {link.confidence:.2f})"
        for rel in conn.execute(select(relations).where(or_(
                relations.c.from_document == doc_id, relations.c.to_document == doc_id))):
            if rel.from_document == doc_id:
                related[int(rel.to_document)] = f"{rel.kind} →"
            else:
                related[int(rel.from_document)] = f"← {rel.kind}"
        others = conn.execute(select(documents.c.id, documents.c.source, documents.c.title,
                                     documents.c.stage)
                              .where(documents.c.id.in_(list(related)))).all()
        linked = tuple(Related(int(o.id), o.source, o.title, o.stage, related[int(o.id)])
                       for o in sorted(others, key=lambda o: int(o.id)))
        action_ids = select(action_links.c.action_id).where(
            action_links.c.kind == "document", action_links.c.target == str(doc_id))
        acts = _actions(conn, actions.c.id.in_(action_ids), 100)
    return DocumentDetail(doc, found, timeline, linked, acts)


# -- actions ------------------------------------------------------------------------------------


def actions_list(engine: Engine, *, open_only: bool = False, due_by: date | None = None,
                 limit: int = 500) -> tuple[ActionRow, ...]:  # fmt: skip
    """Actions, newest first (``due_by``: open ones whose follow-up is on or before it,
    soonest first)."""
    cond: ColumnElement[bool] = actions.c.id > 0
    if open_only or due_by is not None:
        cond = and_(cond, actions.c.status == "open")
    if due_by is not None:
        cond = and_(cond, actions.c.follow_up.is_not(None),
                    actions.c.follow_up <= due_by.isoformat())
    with engine.connect() as conn:
        return _actions(conn, cond, limit, by_follow_up=due_by is not None)


def _actions(conn: Any, cond: ColumnElement[bool], limit: int, *,
             by_follow_up: bool = False) -> tuple[ActionRow, ...]:  # fmt: skip
    order = ([actions.c.follow_up, actions.c.id] if by_follow_up
             else [actions.c.date.desc(), actions.c.id.desc()])
    rows = conn.execute(select(actions).where(cond).order_by(*order).limit(limit)).all()
    targets = _action_targets(conn, [int(r.id) for r in rows])
    return tuple(
        ActionRow(int(r.id), r.type, r.date, r.staff, r.counterpart_institution, r.follow_up,
                  r.status, r.sensitivity, bool(r.sealed), targets.get(int(r.id), ()),
                  {name: getattr(r, name) for name in PRIVATE_FIELDS}, r.legalacts_card_id)
        for r in rows)


def load_goal_infos(home: Path) -> list[GoalInfo]:
    """The goals the dashboard groups by: the home's ``goals.toml``, else the shipped ones
    (ConfigError when the file is invalid)."""
    from tracker.matchrun import load_home_goals

    return [GoalInfo(g.id, g.name, g.stance, g.priority) for g in load_home_goals(home)]


def describe(event_type: str, old: Any, new: Any) -> str:
    """:func:`~tracker.describe.describe_change`, plus the matching and triage events, and
    without the ``(None)`` of a missing raw status."""
    goal = new.get("goal") if isinstance(new, dict) else old.get("goal") if isinstance(
        old, dict) else None
    if event_type == "matched" and isinstance(new, dict):
        return f"matches {goal} (score {float(new.get('score') or 0):.2f})"
    if event_type == "unmatched":
        return f"no longer matches {goal}"
    if event_type == "triage_changed" and isinstance(old, dict) and isinstance(new, dict):
        return f"{goal}: {old.get('triage')} → {new.get('triage')}"
    return describe_change(event_type, old, new).replace(" (None)", "")


def _unjson(value: str | None) -> Any:
    return None if value is None else json.loads(value)
