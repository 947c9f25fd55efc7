"""Everything the tracker emails: digests, deadline alerts and source-health alerts.

Each function follows the same exactly-once protocol (tracker/store/digests.py): find what a
recipient has not been sent, *prepare* it (fixed Message-ID, logged), hand it to SMTP, then
mark it sent in one transaction (advancing the digest watermark). Something prepared but not
marked is re-sent first, with the same Message-ID. One recipient's failure is reported in
its :class:`Outcome` and never stops the others.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tracker.config import Settings
from tracker.digest_render import (
    DeadlineAlertItem,
    Rendered,
    render_deadline_alert,
    render_digest,
    render_health_alert,
)
from tracker.digests import Digest, GoalLike, HealthChange, build_digest, subject
from tracker.errors import ConfigError
from tracker.mailconfig import MailSettings, Recipient, load_mail_settings
from tracker.mailer import (
    Hook,
    MailError,
    SmtpMailer,
    Transport,
    compose,
    new_message_id,
    send_once,
)
from tracker.store import Store
from tracker.store import digests as sd

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class MailContext:
    """What the senders need. ``mailer`` may be None for previews."""

    mail: MailSettings
    store: Store
    goals: Sequence[GoalLike]
    mailer: Transport | None = None
    clock: Clock = _utcnow
    hook: Hook | None = None

    def __post_init__(self) -> None:
        sd.ensure_tables(self.store)

    def now(self) -> datetime:
        """The current time (aware)."""
        return self.clock()

    def today(self) -> date:
        """Today's date in the configured time zone (deadlines are local dates)."""
        return self.now().astimezone(ZoneInfo(self.mail.schedule.timezone)).date()

    @property
    def sender(self) -> str:
        """The From address."""
        assert self.mail.smtp is not None
        return self.mail.smtp.sender


@dataclass(frozen=True)
class Outcome:
    """What happened for one recipient: sent | resent | empty | nothing | failed."""

    recipient: str
    kind: str  # digest | deadline | health
    status: str
    message_id: str | None = None
    error: str | None = None


def load_goals_for_home(home: Path) -> list[GoalLike]:
    """The home's goals (goals.toml, else the shipped defaults). The one place that reaches
    into the matching package: rewire here if its API moves."""
    from tracker.matchrun import load_home_goals

    return list(load_home_goals(home))


def mail_settings(settings: Settings) -> MailSettings:
    """The mail settings of a home: ``settings.mail`` once tracker/config.py carries them,
    else read from the home's tracker.toml here."""
    carried = getattr(settings, "mail", None)
    return carried if isinstance(carried, MailSettings) else load_mail_settings(settings.home)


def mail_context(settings: Settings, store: Store, *, mailer: Transport | None = None,
                 clock: Clock | None = None, hook: Hook | None = None) -> MailContext:
    """Everything the senders need for this home; the goals are checked against recipients."""
    mail = mail_settings(settings)
    goals = load_goals_for_home(settings.home)
    check_recipient_goals(mail, goals, str(settings.home / "tracker.toml"))
    if mailer is None and mail.smtp is not None:
        mailer = SmtpMailer(mail.smtp)
    return MailContext(mail, store, goals, mailer, clock or _utcnow, hook)


def check_recipient_goals(mail: MailSettings, goals: Sequence[GoalLike], where: str) -> None:
    """ConfigError if a recipient follows a goal id the goals file does not define."""
    known = {g.id for g in goals}
    for r in mail.recipients:
        for goal_id in r.goals or ():
            if goal_id not in known:
                raise ConfigError(f"{where}: [[recipients]] {r.email} goals: unknown goal "
                                  f"{goal_id!r} (known: {', '.join(sorted(known))})")


def _follows(ctx: MailContext, r: Recipient) -> list[str]:
    return [g.id for g in ctx.goals if r.follows(g.id)]


# -- digests ----------------------------------------------------------------------------------


def build_for(ctx: MailContext, r: Recipient, from_event: int, to_event: int) -> Digest:
    """The digest of ``r`` for events ``from_event < id <= to_event`` (reads only)."""
    today = ctx.today()
    events = sd.events_between(ctx.store, from_event, to_event)
    doc_ids = {int(e["document_id"]) for e in events if e.get("document_id") is not None}
    goal_ids = _follows(ctx, r)
    matches = sd.active_matches(ctx.store, goal_ids, doc_ids) if doc_ids else []
    d = ctx.mail.digest
    return build_digest(
        recipient=r.email, goals=ctx.goals, follows=goal_ids, events=events, matches=matches,
        deadlines=sd.deadlines_within(ctx.store, goal_ids, today, d.deadline_days),
        follow_ups=sd.due_follow_ups(ctx.store, r.staff, today, d.follow_up_days)
        if r.staff else [],
        today=today, from_event=from_event, to_event=to_event, deadline_days=d.deadline_days,
        max_items=d.max_items, action_notes=r.action_notes,
    )


def preview_digest(ctx: MailContext, r: Recipient) -> tuple[Digest, Rendered]:
    """What ``send_digest`` would send now; changes nothing."""
    pending = sd.pending_digest(ctx.store, r.email)
    start, end = (pending.from_event, pending.to_event) if pending else \
        sd.next_range(ctx.store, r.email)
    digest = build_for(ctx, r, start, end)
    return digest, render_digest(digest, subject(digest, ctx.mail.digest.subject_prefix))


def send_digest(ctx: MailContext, r: Recipient) -> Outcome:
    """Send ``r``'s digest exactly once (re-sending a prepared one first)."""
    assert ctx.mailer is not None
    pending = sd.pending_digest(ctx.store, r.email)
    status = "resent" if pending else "sent"
    if pending is None:
        start, end = sd.next_range(ctx.store, r.email)
        digest = build_for(ctx, r, start, end)
        if digest.is_empty and not r.send_empty:
            sd.skip_empty(ctx.store, r.email, end)
            return Outcome(r.email, "digest", "empty")
        pending = sd.prepare_digest(ctx.store, r.email, start, end, new_message_id(ctx.sender))
        if ctx.hook:
            ctx.hook("prepared", r.email)
    else:
        digest = build_for(ctx, r, pending.from_event, pending.to_event)
    rendered = render_digest(digest, subject(digest, ctx.mail.digest.subject_prefix))
    msg = compose(sender=ctx.sender, to=r.email, rendered=rendered,
                  message_id=pending.message_id, when=ctx.now(), kind="digest")
    prepared = pending
    try:
        send_once(ctx.mailer, msg, r.email, hook=ctx.hook,
                  mark_sent=lambda: sd.mark_digest_sent(ctx.store, prepared))
    except MailError as exc:
        log.error("digest for %s not sent (will retry): %s", r.email, exc)
        return Outcome(r.email, "digest", "failed", pending.message_id, str(exc))
    log.info("digest for %s %s (%s, events %d-%d)", r.email, status, pending.message_id,
             pending.from_event + 1, pending.to_event)
    return Outcome(r.email, "digest", status, pending.message_id)


def send_digests(ctx: MailContext, only: str | None = None) -> list[Outcome]:
    """Digests for every recipient (or the one with address ``only``)."""
    return [send_digest(ctx, r) for r in ctx.mail.recipients
            if only is None or r.email.lower() == only.lower()]


# -- alerts -----------------------------------------------------------------------------------


def _key(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def _send_alert(ctx: MailContext, r: Recipient, kind: str, message_id: str,
                rendered: Rendered, status: str) -> Outcome:
    assert ctx.mailer is not None
    msg = compose(sender=ctx.sender, to=r.email, rendered=rendered, message_id=message_id,
                  when=ctx.now(), kind=f"{kind}-alert")
    try:
        send_once(ctx.mailer, msg, r.email, hook=ctx.hook,
                  mark_sent=lambda: sd.mark_alerts_sent(ctx.store, message_id))
    except MailError as exc:
        log.error("%s alert for %s not sent (will retry): %s", kind, r.email, exc)
        return Outcome(r.email, kind, "failed", message_id, str(exc))
    return Outcome(r.email, kind, status, message_id)


def _render(kind: str, details: list[dict[str, object]], prefix: str) -> Rendered:
    if kind == "deadline":
        return render_deadline_alert([DeadlineAlertItem(
            str(d["title"]), str(d["url"]), str(d["until"]), int(str(d["days_left"])),
            tuple(str(g) for g in d["goals"] or ()))  # type: ignore[attr-defined]
            for d in details], prefix)
    return render_health_alert([HealthChange(str(d["source"]), str(d["old"]), str(d["new"]),
                                             str(d["reason"]), str(d["at"]))
                                for d in details], prefix)


def _resend_pending(ctx: MailContext, r: Recipient, kind: str) -> list[Outcome]:
    groups: dict[str, list[dict[str, object]]] = {}
    for row in sd.pending_alerts(ctx.store, r.email):
        if row["kind"] == kind:
            groups.setdefault(str(row["message_id"]), []).append(row["detail"])
    prefix = ctx.mail.digest.subject_prefix
    return [_send_alert(ctx, r, kind, mid, _render(kind, details, prefix), "resent")
            for mid, details in groups.items()]


def _deliver_new(ctx: MailContext, r: Recipient, kind: str,
                 rows: list[dict[str, object]]) -> list[Outcome]:
    states = sd.alert_states(ctx.store, [str(row["key"]) for row in rows])
    fresh = [row for row in rows if str(row["key"]) not in states]
    if not fresh:
        return []
    message_id = new_message_id(ctx.sender)
    sd.prepare_alerts(ctx.store, fresh, message_id)
    if ctx.hook:
        ctx.hook("prepared", r.email)
    details = [row["detail"] for row in fresh]
    rendered = _render(kind, details, ctx.mail.digest.subject_prefix)  # type: ignore[arg-type]
    return [_send_alert(ctx, r, kind, message_id, rendered, "sent")]


def deadline_rows(ctx: MailContext, r: Recipient) -> list[dict[str, object]]:
    """Alert items for ``r``: matched documents whose deadline crossed a threshold. The
    threshold is the smallest configured one not below the days left, so a day the daemon
    was down still yields one alert, and each (document, deadline, threshold) only once."""
    thresholds = ctx.mail.alerts.deadline_days
    if not thresholds:
        return []
    today = ctx.today()
    rows = sd.deadlines_within(ctx.store, _follows(ctx, r), today, max(thresholds))
    by_doc: dict[int, dict[str, object]] = {}
    for row in rows:
        doc_id = int(row["document_id"])
        until = str(row["discussion_until"])
        left = (date.fromisoformat(until) - today).days
        threshold = min(t for t in thresholds if t >= left)
        item = by_doc.setdefault(doc_id, {
            "key": _key("deadline", r.email.lower(), doc_id, until, threshold),
            "kind": "deadline", "recipient": r.email, "document_id": doc_id,
            "detail": {"title": row["title"], "url": row["url"], "until": until,
                       "days_left": left, "threshold": threshold, "goals": []}})
        item["detail"]["goals"].append(row["goal_id"])  # type: ignore[index]
    return list(by_doc.values())


def send_deadline_alerts(ctx: MailContext) -> list[Outcome]:
    """Deadline alerts for every recipient who takes alerts."""
    out: list[Outcome] = []
    for r in ctx.mail.recipients:
        if r.alerts:
            out += _resend_pending(ctx, r, "deadline")
            out += _deliver_new(ctx, r, "deadline", deadline_rows(ctx, r))
    return out


def health_rows(ctx: MailContext, r: Recipient) -> list[dict[str, object]]:
    """One alert item per source-health change observed within the window."""
    hours = ctx.mail.alerts.health_window_hours
    since = (ctx.now() - timedelta(hours=hours)).astimezone(UTC).replace(microsecond=0)
    rows = []
    for e in sd.recent_health_events(ctx.store, since.isoformat()):
        old, new = e["old"] or {}, e["new"] or {}
        rows.append({"key": _key("health", r.email.lower(), e["id"]), "kind": "health",
                     "recipient": r.email, "event_id": int(e["id"]),
                     "detail": {"source": e["source"], "old": old.get("health", "unknown"),
                                "new": new.get("health", "unknown"),
                                "reason": new.get("reason", ""), "at": e["observed_at"]}})
    return rows


def send_health_alerts(ctx: MailContext) -> list[Outcome]:
    """A health alert on each source-health change, once per recipient who takes alerts."""
    out: list[Outcome] = []
    if not ctx.mail.alerts.health:
        return out
    for r in ctx.mail.recipients:
        if r.alerts:
            out += _resend_pending(ctx, r, "health")
            out += _deliver_new(ctx, r, "health", health_rows(ctx, r))
    return out


def send_alerts(ctx: MailContext) -> list[Outcome]:
    """Deadline and health alerts (the scheduler's alerts job)."""
    return send_deadline_alerts(ctx) + send_health_alerts(ctx)
