"""Reports for a coalition or a donor, per goal, over a period — without exposing anyone.

Per goal: documents tracked and their stage changes in the period, public-comment deadlines
in the period (met, missed, or still open), actions by type, public comments and the
government's answers, and the actions themselves. Counterpart persons are replaced by a
stable code (``P-3F9A``: HMAC-SHA256 of the normalised name under a per-database secret)
unless ``names``; institutions are kept. Sensitive actions are counted but not described
unless ``include_sensitive``.

An action belongs to the goals it is linked to and to the goals of the documents it is
linked to (active matches staff did not dismiss). Rendering: Markdown (text escaped so a
scraped title cannot inject links or images), CSV (:func:`~tracker.textsafe.csv_safe`) and
HTML (everything escaped, no remote content allowed by its Content-Security-Policy).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import html
import io
import os
import re
import secrets
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.actions import Action, government_answer, list_actions
from tracker.seal import LOCKED, Vault, is_sealed_value
from tracker.store import Store
from tracker.store import actions as sa
from tracker.textsafe import csv_safe, terminal_safe

FORMATS = ("md", "csv", "html")
NO_GOAL = "(no goal)"
# ``&`` too: "&lt;" in a title must show as written, not as "<".
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]!|<>~&])")


@dataclass
class ActionLine:
    """A described action."""

    date: str
    type: str
    institution: str | None
    person: str | None
    summary: str | None
    outcome: str | None
    status: str
    documents: list[str]
    answer: dict[str, Any] | None = None


@dataclass
class GoalSection:
    """Everything the report says about one goal (or about actions linked to none)."""

    goal_id: str | None
    name: str
    tracked: int = 0
    stage_changes: list[tuple[str, str, str, str]] = field(default_factory=list)
    deadlines: list[tuple[str, str, str, str]] = field(default_factory=list)
    by_type: dict[str, int] = field(default_factory=dict)
    actions: list[ActionLine] = field(default_factory=list)
    hidden_sensitive: int = 0
    comments: int = 0
    accepted: int = 0
    rejected: int = 0


@dataclass
class Report:
    """A built report, ready to render."""

    date_from: str
    date_to: str
    generated_at: str
    names: bool
    include_sensitive: bool
    sections: list[GoalSection]


def build_report(store: Store, vault: Vault, *, date_from: str, date_to: str,
                 goals: Mapping[str, str], today: dt.date, generated_at: str,
                 goal: str | None = None, names: bool = False,
                 include_sensitive: bool = False) -> Report:
    """Collect the report's contents (see the module docstring)."""
    acts = list_actions(store, vault, sa.ActionFilter(date_from=date_from, date_to=date_to))
    comments = list_actions(store, vault, sa.ActionFilter(type="public_comment"))
    doc_goals = sa.document_goals(store, {d for a in acts for d in a.documents})
    goal_docs = sa.goal_documents(store)
    secret = None if names else pseudonym_secret(store, vault)

    def goals_of(action: Action) -> set[str]:
        found = set(action.goals)
        for doc in action.documents:
            found |= doc_goals.get(doc, set())
        return found

    by_goal: dict[str | None, list[Action]] = {}
    for action in acts:
        keys: list[str | None] = [*goals_of(action)] or [None]
        for key in keys:
            by_goal.setdefault(key, []).append(action)
    wanted: list[str | None] = []
    if goal is not None:
        wanted.append(goal)
    else:
        active = {k for k in by_goal if k is not None} | set(goal_docs)
        wanted += [k for k in goals if k in active] + sorted(active - set(goals))
        wanted += [None] if None in by_goal else []
    needed = {d for a in acts for d in (*a.documents, *a.recommendations)}
    for key in wanted:
        needed |= goal_docs.get(key or "", set())
    docs = sa.documents_by_id(store, needed)
    before = (dt.date.fromisoformat(date_to) + dt.timedelta(days=1)).isoformat()
    sections = []
    for key in wanted:
        section = GoalSection(key, goals.get(key, key) if key else NO_GOAL)
        section_acts = by_goal.get(key, [])
        described = [a for a in section_acts if include_sensitive or not a.sensitive]
        # A hidden action's documents are not added: they would tell what it was about.
        tracked = goal_docs.get(key or "", set()) | {d for a in described for d in a.documents}
        section.tracked = len(tracked)
        for event in sa.stage_events(store, tracked, date_from, before):
            doc = docs.get(int(event["document_id"]), {})
            section.stage_changes.append((
                str(event["observed_at"])[:10], _ref(doc), str(doc.get("title", "")),
                f"{_stage(event['old'])} → {_stage(event['new'])}"))
        section.deadlines = _deadlines(tracked, docs, comments, date_from, date_to, today)
        section.by_type = dict(sorted(Counter(a.type for a in section_acts).items()))
        for action in section_acts:
            if action.type == "public_comment":
                section.comments += 1
                answer = government_answer(store, action.card_id)
                section.accepted += int((answer or {}).get("accepted") or 0)
                section.rejected += int((answer or {}).get("rejected") or 0)
            if action.sensitive and not include_sensitive:
                section.hidden_sensitive += 1
                continue
            section.actions.append(ActionLine(
                action.date, action.type, action.counterpart_institution,
                _person(action.counterpart_person, names, secret), action.summary,
                action.outcome, action.status,
                [_ref(docs.get(d, {})) for d in action.documents],
                government_answer(store, action.card_id)))
        sections.append(section)
    return Report(date_from, date_to, generated_at, names, include_sensitive, sections)


def pseudonym(secret: bytes, name: str) -> str:
    """``P-XXXX``: stable for a name (case, spacing and Unicode form ignored)."""
    normal = " ".join(unicodedata.normalize("NFKC", name).casefold().split())
    digest = hmac.new(secret, normal.encode("utf-8"), hashlib.sha256).hexdigest()
    return "P-" + digest[:4].upper()


def pseudonym_secret(store: Store, vault: Vault) -> bytes | None:
    """The per-database pseudonym secret (created on first use; sealed when a seal exists,
    so a seized laptop does not let anyone test names against the codes of old reports).
    None when it is sealed and the vault is locked."""
    stored = sa.get_meta(store, sa.PSEUDONYM_KEY)
    if stored is None:
        raw = secrets.token_hex(32)
        if vault.configured:
            if vault.sealer is None:
                return None
            raw = vault.sealer.seal(raw, sa.PSEUDONYM_KEY)
        stored = sa.put_meta_if_absent(store, sa.PSEUDONYM_KEY, raw)
    if is_sealed_value(stored):
        if vault.sealer is None:
            return None
        return bytes.fromhex(vault.sealer.open(stored, sa.PSEUDONYM_KEY))
    return bytes.fromhex(stored)


def render(report: Report, fmt: str) -> str:
    """The report as ``md``, ``csv`` or ``html`` text."""
    return {"md": render_markdown, "csv": render_csv, "html": render_html}[fmt](report)


def render_markdown(report: Report) -> str:
    """Markdown; every value escaped."""
    lines = [f"# Advocacy report {report.date_from} – {report.date_to}", "",
             *(_md(x) for x in _preamble(report)), ""]
    for s in report.sections:
        lines += [f"## {_md(s.name)}" + (f" ({_md(s.goal_id)})" if s.goal_id else ""), ""]
        lines += [f"- Documents tracked: {s.tracked}"]
        lines += [f"- Actions: {_md(_counts(s.by_type))}"]
        lines += [f"- {_md(_comments_line(s))}"] if s.comments else []
        lines += [""]
        if s.stage_changes:
            lines += ["### Stage changes", ""]
            lines += [f"- {d} {_md(r)} {_md(t)}: {_md(c)}" for d, r, t, c in s.stage_changes]
            lines += [""]
        if s.deadlines:
            lines += ["### Public-comment deadlines", ""]
            lines += [f"- {d} {_md(r)} {_md(t)}: **{st}**" for d, r, t, st in s.deadlines]
            lines += [""]
        if s.actions or s.hidden_sensitive:
            lines += ["### Actions", ""]
            lines += [f"- {_md(_action_text(a))}" for a in s.actions]
            if s.hidden_sensitive:
                lines += [f"- {s.hidden_sensitive} sensitive action(s), not described"]
            lines += [""]
    return "\n".join(lines)


def render_html(report: Report) -> str:
    """A self-contained HTML page; every value escaped (and stripped of control and bidi
    characters, which would reorder the text around them)."""

    def e(value: object) -> str:
        return html.escape(terminal_safe(value), quote=True)

    out = ["<!DOCTYPE html>", '<html><head><meta charset="utf-8">',
           '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
           'style-src \'unsafe-inline\'">',
           f"<title>Advocacy report {e(report.date_from)} – {e(report.date_to)}</title>",
           "</head><body>",
           f"<h1>Advocacy report {e(report.date_from)} – {e(report.date_to)}</h1>"]
    out += [f"<p>{e(x)}</p>" for x in _preamble(report)]
    for s in report.sections:
        out.append(f"<h2>{e(s.name)}" + (f" ({e(s.goal_id)})" if s.goal_id else "") + "</h2>")
        out.append(f"<ul><li>Documents tracked: {s.tracked}</li>"
                   f"<li>Actions: {e(_counts(s.by_type))}</li>"
                   + (f"<li>{e(_comments_line(s))}</li>" if s.comments else "") + "</ul>")
        if s.stage_changes:
            out.append("<h3>Stage changes</h3><ul>" + "".join(
                f"<li>{e(d)} {e(r)} {e(t)}: {e(c)}</li>" for d, r, t, c in s.stage_changes)
                + "</ul>")
        if s.deadlines:
            out.append("<h3>Public-comment deadlines</h3><ul>" + "".join(
                f"<li>{e(d)} {e(r)} {e(t)}: <strong>{e(st)}</strong></li>"
                for d, r, t, st in s.deadlines) + "</ul>")
        if s.actions or s.hidden_sensitive:
            items = [f"<li>{e(_action_text(a))}</li>" for a in s.actions]
            if s.hidden_sensitive:
                items.append(f"<li>{s.hidden_sensitive} sensitive action(s), not described</li>")
            out.append("<h3>Actions</h3><ul>" + "".join(items) + "</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


CSV_COLUMNS = ("goal", "record", "date", "type", "reference", "title", "institution",
               "counterpart", "summary", "outcome", "status", "detail")


def render_csv(report: Report) -> str:
    """One row per goal × (count, stage change, deadline, action); cells made CSV-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)

    def row(s: GoalSection, **values: Any) -> None:
        values["goal"] = s.goal_id or NO_GOAL
        writer.writerow([csv_safe(values.get(c) or "") for c in CSV_COLUMNS])

    for s in report.sections:
        row(s, record="documents_tracked", detail=str(s.tracked))
        for kind, count in s.by_type.items():
            row(s, record="action_count", type=kind, detail=str(count))
        row(s, record="public_comments", detail=_comments_line(s))
        for d, r, t, c in s.stage_changes:
            row(s, record="stage_change", date=d, reference=r, title=t, detail=c)
        for d, r, t, st in s.deadlines:
            row(s, record="deadline", date=d, reference=r, title=t, status=st)
        for a in s.actions:
            row(s, record="action", date=a.date, type=a.type, reference=" ".join(a.documents),
                institution=a.institution, counterpart=a.person, summary=a.summary,
                outcome=a.outcome, status=a.status, detail=_answer_text(a.answer))
        if s.hidden_sensitive:
            row(s, record="sensitive_actions", detail=f"{s.hidden_sensitive} not described")
    return buffer.getvalue()


def rows_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """CSV of these columns (header first); lists joined by spaces, cells made CSV-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        values = (row.get(c) for c in columns)
        writer.writerow([csv_safe(" ".join(map(str, v)) if isinstance(v, list) else
                                  "" if v is None else v) for v in values])
    return buffer.getvalue()


def write_private(path: Path, data: str | bytes) -> None:
    """Write a file readable by its owner only (0600), replacing what was there."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as out:
            fd = -1
            out.write(payload)
    finally:
        if fd >= 0:
            os.close(fd)


def _deadlines(tracked: set[int], docs: Mapping[int, dict[str, Any]], comments: list[Action],
               date_from: str, date_to: str, today: dt.date) -> list[tuple[str, str, str, str]]:
    out = []
    for doc_id in tracked:
        doc = docs.get(doc_id)
        until = (doc or {}).get("discussion_until")
        if doc is None or not until or not date_from <= until <= date_to:
            continue
        met = any(c.date <= until and (doc_id in c.documents or (
            doc["source"] == "kz_legalacts" and c.card_id == doc["external_id"]))
            for c in comments)
        state = "met" if met else "missed" if until < today.isoformat() else "open"
        out.append((until, _ref(doc), str(doc["title"]), state))
    return sorted(out)


def _preamble(report: Report) -> list[str]:
    people = ("named" if report.names else
              "replaced by stable codes (P-…), the same in every report from this database")
    sensitive = "described" if report.include_sensitive else "counted, not described"
    return [f"Generated {report.generated_at}. Counterpart persons: {people}; institutions "
            f"named. Sensitive actions: {sensitive}."]


def _person(person: str | None, names: bool, secret: bytes | None) -> str | None:
    if person is None or person == LOCKED or names:
        return person
    return pseudonym(secret, person) if secret is not None else LOCKED


def _action_text(a: ActionLine) -> str:
    who = ", ".join(x for x in (a.institution, a.person) if x)
    text = f"{a.date} {a.type}" + (f" with {who}" if who else "") + f" [{a.status}]"
    if a.documents:
        text += f" on {', '.join(a.documents)}"
    if a.summary:
        text += f": {a.summary}"
    if a.outcome:
        text += f" — outcome: {a.outcome}"
    if a.answer:
        text += f" ({_answer_text(a.answer)})"
    return text


def _answer_text(answer: dict[str, Any] | None) -> str:
    if not answer:
        return ""
    return (f"legalacts {answer['card_id']}: {answer.get('comments') or 0} comments, "
            f"{answer.get('accepted') or 0} accepted, {answer.get('rejected') or 0} rejected")


def _comments_line(s: GoalSection) -> str:
    return (f"Public comments submitted: {s.comments}; answers shown on legalacts for those "
            f"drafts (all comments): {s.accepted} accepted, {s.rejected} rejected")


def _counts(by_type: Mapping[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in by_type.items()) or "none"


def _ref(doc: Mapping[str, Any]) -> str:
    return f"{doc['source']}:{doc['external_id']}" if doc else "?"


def _stage(value: Any) -> str:
    return str(value.get("stage")) if isinstance(value, Mapping) else "?"


def _md(value: object) -> str:
    text = " ".join(terminal_safe(value).split())
    return _MD_SPECIAL.sub(r"\\\1", text)
