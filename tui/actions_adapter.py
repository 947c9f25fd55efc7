"""The dashboard's side of the actions module (`tracker.actions`, `tracker.seal`): the form's
draft, its inline validation, saving, and reading private fields (sealed → ``[locked]``).

Everything that may block (opening the vault runs a memory-hard KDF; saving writes) is
called from worker threads; :meth:`ActionsBackend.reveal` is cheap once :meth:`prepare` ran.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from tracker.errors import TrackerError
from tracker.store import Store
from tracker.views import PRIVATE_FIELDS, ActionRow

ACTION_TYPES = ("meeting", "letter", "public_comment", "statement", "shadow_report", "media",
                "coalition", "call", "other")  # fmt: skip
LOCKED = "[locked]"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_REF = re.compile(r"(#?\d+|[a-z0-9_]+:\S+)\Z")
_FLAG = re.compile(r"--([a-z-]+):?")
#: Where the actions module's problems are shown in the form (others: under the buttons).
_FIELD_OF = {"summary": "summary", "links": "document", "comment_text": "comment_text"}


class ActionError(Exception):
    """An action that cannot be saved (shown to the user as one line)."""


@dataclass(frozen=True)
class ActionDraft:
    """What the form collects. ``document`` is a ref (``SOURCE:EXTERNAL_ID`` or ``#id``)."""

    type: str
    date: str
    follow_up: str = ""
    document: str = ""
    goal: str = ""
    institution: str = ""
    counterpart_person: str = ""
    summary: str = ""
    next_step: str = ""
    outcome: str = ""
    comment_text: str = ""
    status: str = "open"
    sensitivity: str = "normal"


def validate(draft: ActionDraft) -> dict[str, str]:
    """Problems of the fields the form checks as they are typed, worded for the form."""
    problems: dict[str, str] = {}
    if draft.type not in ACTION_TYPES:
        problems["type"] = "choose a type: " + ", ".join(ACTION_TYPES)
    when = _date_problem(draft.date, required=True)
    if when:
        problems["date"] = when
    follow = _date_problem(draft.follow_up, required=False)
    if follow:
        problems["follow_up"] = follow
    elif draft.follow_up and not when and draft.follow_up < draft.date:
        problems["follow_up"] = "the follow-up cannot be before the action's date"
    if draft.document and not _REF.match(draft.document.strip()):
        problems["document"] = "SOURCE:EXTERNAL_ID (e.g. kz_legalacts:16000300) or #id"
    return problems


def _date_problem(value: str, *, required: bool) -> str | None:
    value = value.strip()
    if not value:
        return "required (YYYY-MM-DD)" if required else None
    if not _DATE.match(value):
        return "use YYYY-MM-DD, e.g. 2026-11-16"
    try:
        date.fromisoformat(value)
    except ValueError:
        return "not a real date"
    return None


class ActionsBackend(Protocol):
    """What the dashboard needs from the actions module."""

    def prepare(self) -> None:
        """Open the vault and read the goals (blocking: call from a worker)."""

    def locked(self) -> bool:
        """True when sealed fields exist but cannot be read (no passphrase)."""

    def reveal(self, row: ActionRow) -> dict[str, str]:
        """The private fields for display: plain text, or ``[locked]``."""

    def problems(self, draft: ActionDraft) -> dict[str, str]:
        """Every problem by form field (``form`` for the rest); empty when it can be saved
        (the document is looked up on save)."""

    def save(self, draft: ActionDraft, staff: str, *, document_id: int | None,
             action: ActionRow | None = None) -> int:  # fmt: skip
        """Create (or edit) an action; return its id. Raises :class:`ActionError`."""


class TrackerActions:
    """The backend over `tracker.actions` (validation, sealing, history)."""

    def __init__(self, store: Store, home: Path | None) -> None:
        self.store = store
        self.home = home
        self._vault: Any = None
        self._goals: frozenset[str] = frozenset()
        self._goals_note: str | None = None

    def prepare(self) -> None:
        """Open the vault (Argon2id: slow on purpose) and load the goal ids. A wrong
        passphrase leaves the vault locked and raises :class:`ActionError` once."""
        if self._vault is None:
            from tracker.actions import known_goal_ids
            from tracker.seal import SealError, open_vault

            self._goals, self._goals_note = known_goal_ids(self.home)
            try:
                self._vault = open_vault(self.store)
            except SealError as exc:
                self._vault = open_vault(self.store, None)
                raise ActionError(str(exc)) from exc

    def _ready(self) -> Any:
        if self._vault is None:
            with contextlib.suppress(ActionError):  # reported by the worker that prepared it
                self.prepare()
        return self._vault

    def locked(self) -> bool:
        """Sealed and no passphrase (or a wrong one is refused when opening)."""
        vault = self._ready()
        return bool(vault.configured and not vault.unlocked)

    def reveal(self, row: ActionRow) -> dict[str, str]:
        """Open each sealed field, or ``[locked]``."""
        vault = self._ready()
        out = {}
        for name, value in row.private.items():
            try:
                opened = vault.reveal(name, value, row.sealed)
            except TrackerError:
                opened = LOCKED  # a damaged value never crashes the screen
            out[name] = "" if opened is None else str(opened)
        return out

    def problems(self, draft: ActionDraft) -> dict[str, str]:
        """The form's own checks, then the actions module's (its flags as field names)."""
        from tracker.actions import draft_problems

        found = validate(draft)
        self._ready()
        theirs = draft_problems(self._draft(draft, "staff", (0,) if draft.document else ()),
                                self._goals, self._goals_note)
        for key, message in theirs.items():
            if key in ("type", "date", "follow_up", "staff"):
                continue
            field = _FIELD_OF.get(key, "form")
            text = _FLAG.sub(lambda m: m.group(1).replace("-", " "), message)
            found[field] = f"{found[field]}; {text}" if field in found else text
        return found

    def save(self, draft: ActionDraft, staff: str, *, document_id: int | None,
             action: ActionRow | None = None) -> int:  # fmt: skip
        """Record or edit through `tracker.actions`; its errors become one line."""
        from tracker.actions import edit_action, record_action

        vault = self._ready()
        try:
            if action is None:
                docs = (document_id,) if document_id is not None else ()
                return record_action(self.store, self._draft(draft, staff, docs), vault,
                                     goal_ids=self._goals, goals_note=self._goals_note)
            changes, add, remove = self._changes(draft, action, document_id)
            edit_action(self.store, action.id, changes, vault, author=staff,
                        goal_ids=self._goals, add_links=add, remove_links=remove)
            return action.id
        except TrackerError as exc:
            raise ActionError(_FLAG.sub(lambda m: m.group(1).replace("-", " "), str(exc))
                              ) from exc

    def _draft(self, draft: ActionDraft, staff: str, documents: tuple[int, ...]) -> Any:
        from tracker.actions import ActionDraft as Draft

        card = None
        source, _, external = draft.document.partition(":")
        if draft.type == "public_comment" and source == "kz_legalacts" and external.isdigit():
            card = external  # a legalacts document's id is its card id
        return Draft(
            type=draft.type, date=draft.date, staff=staff, summary=draft.summary or None,
            counterpart_person=draft.counterpart_person or None,
            counterpart_institution=draft.institution or None, outcome=draft.outcome or None,
            next_step=draft.next_step or None, follow_up=draft.follow_up or None,
            comment_text=draft.comment_text or None, card_id=card,
            sensitive=draft.sensitivity == "sensitive", documents=documents,
            goals=(draft.goal,) if draft.goal else ())

    def _changes(self, draft: ActionDraft, row: ActionRow, document_id: int | None
                 ) -> tuple[dict[str, str | None], dict[str, list[str]], dict[str, list[str]]]:
        """What the edit changes (locked fields are never written)."""
        before = draft_from_row(row, self.reveal(row))
        changes: dict[str, str | None] = {}
        for field, column in (("type", "type"), ("date", "date"), ("follow_up", "follow_up"),
                              ("institution", "counterpart_institution"),
                              ("status", "status"), ("sensitivity", "sensitivity"),
                              *((name, name) for name in PRIVATE_FIELDS)):
            new, old = getattr(draft, field), getattr(before, field)
            if new != old and LOCKED not in (new, old):
                changes[column] = new or None
        add: dict[str, list[str]] = {}
        remove: dict[str, list[str]] = {}
        old_doc = before.document.lstrip("#")
        if document_id is not None and str(document_id) != old_doc:
            add["document"] = [str(document_id)]
            if old_doc:
                remove["document"] = [old_doc]
        if draft.goal != before.goal:
            if draft.goal:
                add["goal"] = [draft.goal]
            if before.goal:
                remove["goal"] = [before.goal]
        return changes, add, remove


def load_actions_backend(store: Store, home: Path | None) -> ActionsBackend:
    """The actions backend of this store (one place to swap it, e.g. in tests)."""
    return TrackerActions(store, home)


def draft_from_row(row: ActionRow, revealed: dict[str, str]) -> ActionDraft:
    """A draft for editing an existing action (locked fields come back as ``[locked]``)."""
    targets: dict[str, str] = {}
    for target in row.targets:
        kind, _, value = target.partition(":")
        targets.setdefault(kind, value)
    document = targets.get("document", "")
    return ActionDraft(
        type=row.type, date=row.date, follow_up=row.follow_up or "",
        document=f"#{document}" if document else "", goal=targets.get("goal", ""),
        institution=row.institution or "", status=row.status, sensitivity=row.sensitivity,
        **{name: revealed.get(name, "") for name in PRIVATE_FIELDS},
    )
