"""Lobbying actions: vocabulary, validation, and the functions the CLI and dashboard call.

An action is what the NGO did about a bill (a meeting, a letter, a public comment, ...),
linked to documents, goals and UPR recommendations, with a next step and a follow-up date.
Everything here works on plaintext; :mod:`tracker.seal` turns the sensitive fields into
sealed values on the way into the store (:mod:`tracker.store.actions`) and back.

Entry points (with :func:`tracker.seal.open_vault`): :func:`record_action`, :func:`edit_action`,
:func:`list_actions`, :func:`get_action`, :func:`due_follow_ups`, :func:`action_history`.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tracker.errors import UsageError
from tracker.fetch import utcnow_iso
from tracker.seal import SEALED_FIELDS, Vault, ensure_seal
from tracker.store import Store
from tracker.store import actions as sa

ACTION_TYPES: tuple[str, ...] = (
    "meeting", "letter", "public_comment", "statement", "shadow_report", "media", "coalition",
    "call", "other",
)
STATUSES: tuple[str, ...] = ("open", "done")
SENSITIVITIES: tuple[str, ...] = ("normal", "sensitive")
#: Goal ids of the shipped goals file, used when no goals file can be loaded.
DEFAULT_GOAL_IDS: tuple[str, ...] = (
    "domestic-violence", "anti-discrimination", "sogi", "istanbul-convention",
    "upr-follow-up", "civic-space",
)
STAFF_ENV = "TRACKER_STAFF"
#: Plain-text fields staff can edit (links and status have their own options).
TEXT_FIELDS: tuple[str, ...] = (
    "summary", "outcome", "next_step", "counterpart_person", "counterpart_institution",
    "comment_text",
)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_CARD = re.compile(r"\d{1,32}\Z")
_MAX_TEXT = 20_000


@dataclass(frozen=True)
class ActionDraft:
    """A new action as staff entered it (plaintext). Documents and recommendations are the
    store's document ids (resolve ``SOURCE:EXTERNAL_ID`` first)."""

    type: str
    date: str
    staff: str
    summary: str | None = None
    counterpart_person: str | None = None
    counterpart_institution: str | None = None
    outcome: str | None = None
    next_step: str | None = None
    follow_up: str | None = None
    comment_text: str | None = None
    card_id: str | None = None
    sensitive: bool = False
    documents: tuple[int, ...] = ()
    goals: tuple[str, ...] = ()
    recommendations: tuple[int, ...] = ()


@dataclass(frozen=True)
class Action:
    """A stored action as staff see it: sealed fields opened, or ``[locked]``."""

    id: int
    type: str
    date: str
    staff: str
    status: str
    sensitivity: str
    counterpart_person: str | None
    counterpart_institution: str | None
    summary: str | None
    outcome: str | None
    next_step: str | None
    comment_text: str | None
    card_id: str | None
    follow_up: str | None
    sealed: bool
    created_at: str
    updated_at: str
    documents: list[int] = field(default_factory=list)
    goals: list[str] = field(default_factory=list)
    recommendations: list[int] = field(default_factory=list)

    @property
    def sensitive(self) -> bool:
        """True for a sensitive action."""
        return self.sensitivity == "sensitive"

    def days_to_follow_up(self, today: dt.date) -> int | None:
        """Days until the follow-up (negative: overdue), or None without one."""
        if self.follow_up is None:
            return None
        return (dt.date.fromisoformat(self.follow_up) - today).days

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return asdict(self)


# -- validation ----------------------------------------------------------------------------

def parse_date(value: str, what: str) -> str:
    """``YYYY-MM-DD`` that is a real date, else UsageError naming ``what``."""
    try:
        if not _ISO.match(value):
            raise ValueError
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise UsageError(f"{what}: expected a date YYYY-MM-DD, got {value!r}") from None


def check_choice(value: str, choices: Sequence[str], what: str) -> str:
    """``value`` if it is one of ``choices``, else UsageError listing them."""
    if value not in choices:
        raise UsageError(f"{what}: unknown value {value!r} (one of: {', '.join(choices)})")
    return value


def goal_catalog(home: Path | None) -> tuple[dict[str, str], str | None]:
    """Goal id → name for the goals actions may be linked to, and a note when the goals
    file could not be read.

    The home's ``goals.toml`` (else the shipped defaults) through :mod:`tracker.matching`;
    when that cannot be loaded, :data:`DEFAULT_GOAL_IDS`. Rewire here, nowhere else."""
    fallback = {g: g for g in DEFAULT_GOAL_IDS}
    try:
        from tracker.matching import load_goals
        from tracker.matching.goals import default_goals_path
    except ImportError:
        return fallback, None
    path = home / "goals.toml" if home is not None else None
    if path is None or not path.exists():
        path = default_goals_path()
    try:
        return {g.id: g.name for g in load_goals(path)}, None
    except Exception as exc:  # a broken goals file must not stop staff recording actions
        return fallback, f"{path} could not be loaded ({exc})"


def known_goal_ids(home: Path | None) -> tuple[frozenset[str], str | None]:
    """The ids of :func:`goal_catalog`, and its note."""
    catalog, note = goal_catalog(home)
    return frozenset(catalog), note


def default_staff(explicit: str | None = None) -> str:
    """``--staff``, else ``TRACKER_STAFF``, else the operating-system user name."""
    for value in (explicit, os.environ.get(STAFF_ENV)):
        if value and value.strip():
            return value.strip()
    try:
        return getpass.getuser()
    except Exception:  # no user name (containers): still record who, as far as known
        return "unknown"


def draft_problems(draft: ActionDraft, goal_ids: Iterable[str],
                   goals_note: str | None = None) -> dict[str, str]:
    """Problems by field name (``type``, ``date``, ``follow_up``, ``staff``, ``summary``,
    ``links``, ``goals``, ``comment_text``, ``card_id``, text fields): empty when the draft
    can be recorded. For forms that show messages next to each field."""
    problems: dict[str, str] = {}
    known = set(goal_ids)

    def check(name: str, fn: Any, *args: Any) -> None:
        try:
            fn(*args)
        except UsageError as exc:
            problems[name] = str(exc)

    if draft.type:
        check("type", check_choice, draft.type, ACTION_TYPES, "--type")
    else:
        problems["type"] = f"--type is required (one of: {', '.join(ACTION_TYPES)})"
    check("date", parse_date, draft.date, "--date")
    if draft.follow_up is not None:
        check("follow_up", parse_date, draft.follow_up, "--follow-up")
    if "date" not in problems and "follow_up" not in problems and draft.follow_up and \
            draft.follow_up < draft.date:
        problems["follow_up"] = (f"--follow-up {draft.follow_up} is before the action's "
                                 f"date {draft.date}")
    if not draft.staff.strip():
        problems["staff"] = "--staff: empty"
    if not (draft.summary or "").strip():
        problems["summary"] = "--summary is required"
    if not (draft.documents or draft.goals or draft.recommendations):
        problems["links"] = ("link the action to at least one --document, --goal or "
                             "--recommendation")
    unknown = sorted(set(draft.goals) - known)
    if unknown:
        note = f"; {goals_note}" if goals_note else ""
        problems["goals"] = (f"--goal: unknown goal {', '.join(map(repr, unknown))} (known: "
                             f"{', '.join(sorted(known))}{note})")
    if draft.type != "public_comment" and (draft.comment_text or draft.card_id):
        problems["comment_text"] = ("--comment-text and --card-id are only for --type "
                                    "public_comment")
    if draft.card_id is not None and not _CARD.match(draft.card_id):
        problems["card_id"] = (f"--card-id: expected the digits of a legalacts card id, got "
                               f"{draft.card_id!r}")
    for name in TEXT_FIELDS:
        if len(getattr(draft, name) or "") > _MAX_TEXT:
            problems[name] = f"--{name.replace('_', '-')}: longer than {_MAX_TEXT} characters"
    return problems


def validate_draft(draft: ActionDraft, goal_ids: Iterable[str],
                   goals_note: str | None = None) -> None:
    """UsageError (one line listing every problem) unless the draft can be recorded."""
    problems = draft_problems(draft, goal_ids, goals_note)
    if problems:
        raise UsageError("; ".join(problems.values()) + "; nothing was recorded")


# -- services ------------------------------------------------------------------------------

def record_action(store: Store, draft: ActionDraft, vault: Vault, *, goal_ids: Iterable[str],
                  goals_note: str | None = None, now: str | None = None) -> int:
    """Validate and store a new action (status ``open``); return its id."""
    validate_draft(draft, goal_ids, goals_note)
    ensure_seal(store, vault)
    documents = set(draft.documents)
    if draft.card_id:
        card = sa.legalacts_cards(store, [draft.card_id]).get(draft.card_id)
        if card is not None:  # the card is in the store: link its document as well
            documents.add(int(card["id"]))
    values: dict[str, Any] = {
        "type": draft.type, "date": draft.date, "staff": draft.staff,
        "counterpart_institution": _clean(draft.counterpart_institution),
        "legalacts_card_id": draft.card_id, "follow_up": draft.follow_up, "status": "open",
        "sensitivity": "sensitive" if draft.sensitive else "normal",
    }
    for name in SEALED_FIELDS:
        values[name] = vault.protect(name, _clean(getattr(draft, name)))
    links = {"document": [str(d) for d in documents], "goal": list(draft.goals),
             "recommendation": [str(r) for r in draft.recommendations]}
    return sa.insert_action(store, values, links, sealed=vault.configured, author=draft.staff,
                            now=now or utcnow_iso())


def edit_action(
    store: Store,
    action_id: int,
    changes: Mapping[str, str | None],
    vault: Vault,
    *,
    author: str,
    goal_ids: Iterable[str] = DEFAULT_GOAL_IDS,
    add_links: Mapping[str, Sequence[str]] | None = None,
    remove_links: Mapping[str, Sequence[str]] | None = None,
    now: str | None = None,
) -> dict[str, list[Any]]:
    """Change fields (plaintext; None clears) and links; return what changed as recorded in
    the history (sealed values sealed). Only fields whose plaintext differs are written."""
    row = sa.get_action(store, action_id)
    if row is None:
        raise UsageError(f"no action {action_id}")
    ensure_seal(store, vault)
    row = sa.get_action(store, action_id) or row  # re-read: ensure_seal may have sealed it
    current = _to_action(row, vault)
    _validate_changes(changes, goal_ids, add_links or {})
    when = changes.get("date", current.date)
    follow = changes.get("follow_up", current.follow_up)
    if ("date" in changes or "follow_up" in changes) and when and follow and follow < when:
        raise UsageError(f"--follow-up {follow} is before the action's date {when}; "
                         "nothing was changed")
    values: dict[str, Any] = {}
    expected: dict[str, Any] = {}
    for name, new in changes.items():
        new = _clean(new) if name in TEXT_FIELDS else new
        if getattr(current, "card_id" if name == "legalacts_card_id" else name) == new:
            continue
        values[name] = vault.protect(name, new)
        expected[name] = row[name]
    return sa.update_action(store, action_id, values, author=author, now=now or utcnow_iso(),
                            add_links=add_links, remove_links=remove_links, expected=expected,
                            sealed=True if vault.configured and values else None)


def get_action(store: Store, action_id: int, vault: Vault) -> Action | None:
    """One action as staff see it, or None."""
    row = sa.get_action(store, action_id)
    return _to_action(row, vault) if row else None


def list_actions(store: Store, vault: Vault, flt: sa.ActionFilter | None = None) -> list[Action]:
    """Actions matching ``flt``, newest first (soonest follow-up first with ``due_by``)."""
    return [_to_action(r, vault) for r in sa.get_actions(store, flt)]


def due_follow_ups(store: Store, vault: Vault, *, today: dt.date, within_days: int = 0,
                   staff: str | None = None) -> list[Action]:
    """Open actions whose follow-up is overdue, due today, or due within ``within_days``
    after ``today``; soonest first. The dashboard's and digest's follow-up view."""
    due_by = (today + dt.timedelta(days=within_days)).isoformat()
    return list_actions(store, vault, sa.ActionFilter(due_by=due_by, staff=staff))


def action_history(store: Store, action_id: int, vault: Vault) -> list[dict[str, Any]]:
    """The edits of an action, oldest first: ``author``, ``at`` and ``changes`` with sealed
    values opened (or ``[locked]``)."""
    out = []
    for entry in sa.history(store, action_id):
        changes = {}
        for name, (old, new) in entry["changes"].items():
            changes[name] = [_reveal_history(vault, name, old), _reveal_history(vault, name, new)]
        out.append({"author": entry["author"], "at": entry["at"], "changes": changes})
    return out


def government_answer(store: Store, card_id: str | None) -> dict[str, Any] | None:
    """What legalacts shows for a public comment's card: comments received, accepted and
    rejected (from the stored kz_legalacts document), or None when it is not in the store."""
    if not card_id:
        return None
    card = sa.legalacts_cards(store, [card_id]).get(card_id)
    if card is None:
        return None
    counters = card["details"].get("counters") or {}
    return {"card_id": card_id, "title": card["title"], "stage": card["stage"],
            "discussion_until": card["discussion_until"], "url": card["url"],
            "comments": counters.get("comments"), "accepted": counters.get("accepted"),
            "rejected": counters.get("rejected")}


def _validate_changes(changes: Mapping[str, str | None], goal_ids: Iterable[str],
                      add_links: Mapping[str, Sequence[str]]) -> None:
    problems: list[str] = []
    for name, value in changes.items():
        flag = f"--{name.replace('_', '-')}"
        try:
            if name in ("date", "type", "status", "sensitivity", "summary") and not (
                    value or "").strip():
                problems.append(f"{flag} cannot be empty")
            elif name in ("date", "follow_up") and value is not None:
                parse_date(value, flag)
            elif name in ("type", "status", "sensitivity"):
                choices = {"type": ACTION_TYPES, "status": STATUSES,
                           "sensitivity": SENSITIVITIES}[name]
                check_choice(str(value), choices, flag)
            elif name == "legalacts_card_id" and value is not None and not _CARD.match(value):
                problems.append(f"--card-id: expected digits, got {value!r}")
            elif name not in (*TEXT_FIELDS, "follow_up", "legalacts_card_id"):
                problems.append(f"{name} cannot be edited")
            elif len(value or "") > _MAX_TEXT:
                problems.append(f"{flag}: longer than {_MAX_TEXT} characters")
        except UsageError as exc:
            problems.append(str(exc))
    unknown = sorted(set(add_links.get("goal", ())) - set(goal_ids))
    if unknown:
        problems.append(f"--goal: unknown goal {', '.join(map(repr, unknown))}")
    if problems:
        raise UsageError("; ".join(problems) + "; nothing was changed")


def _to_action(row: Mapping[str, Any], vault: Vault) -> Action:
    sealed = bool(row["sealed"])

    def opened(name: str) -> Any:
        return vault.reveal(name, row[name], sealed)

    links = row["links"]
    return Action(
        id=int(row["id"]), type=row["type"], date=row["date"], staff=row["staff"],
        status=row["status"], sensitivity=row["sensitivity"],
        counterpart_person=opened("counterpart_person"),
        counterpart_institution=row["counterpart_institution"], summary=opened("summary"),
        outcome=opened("outcome"), next_step=opened("next_step"),
        comment_text=opened("comment_text"), card_id=row["legalacts_card_id"],
        follow_up=row["follow_up"], sealed=sealed, created_at=row["created_at"],
        updated_at=row["updated_at"], documents=sorted(int(t) for t in links["document"]),
        goals=list(links["goal"]),
        recommendations=sorted(int(t) for t in links["recommendation"]),
    )


def _reveal_history(vault: Vault, name: str, value: Any) -> Any:
    if name in SEALED_FIELDS and isinstance(value, str):
        return vault.reveal(name, value, value.startswith("seal1:"))
    return value


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None
