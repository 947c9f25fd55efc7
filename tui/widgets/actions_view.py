"""How actions are shown: private fields hidden until revealed, ``[locked]`` when sealed and
no passphrase is available."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from tracker.views import PRIVATE_FIELDS, ActionRow
from tui.actions_adapter import LOCKED, ActionsBackend
from tui.render import one_line, plain

HIDDEN = "•••• (v to reveal)"
LABELS = {"counterpart_person": "person", "summary": "summary", "outcome": "outcome",
          "next_step": "next step", "comment_text": "comment"}  # fmt: skip


def private_value(row: ActionRow, name: str, backend: ActionsBackend, *,
                  revealed: bool) -> Text:  # fmt: skip
    """One private field as shown: hidden, locked, or (revealed) its plain text."""
    if not row.private.get(name):
        return Text("")
    if not revealed:
        return Text(HIDDEN, style="dim")
    value = backend.reveal(row).get(name, "")
    return Text(LOCKED, style="bold magenta") if value == LOCKED else one_line(value, 200)


def actions_text(rows: Iterable[ActionRow], backend: ActionsBackend, *,
                 revealed: bool) -> Text:  # fmt: skip
    """Actions as lines of text (the document screen)."""
    out = Text()
    for row in rows:
        if out:
            out.append("\n")
        out.append(f"#{row.id} {row.date} {row.type}", style="bold")
        out.append(f"  {row.status}", style="green" if row.status == "done" else "yellow")
        if row.sensitivity == "sensitive":
            out.append("  sensitive", style="magenta")
        out.append("  by ")
        out.append(plain(row.staff))
        if row.institution:
            out.append(" · ")
            out.append(plain(row.institution))
        if row.follow_up:
            out.append(f" · follow-up {row.follow_up}", style="cyan")
        for name in PRIVATE_FIELDS:
            value = private_value(row, name, backend, revealed=revealed)
            if value.plain:
                out.append(f"\n    {LABELS[name]}: ", style="dim")
                out.append(value)
    return out or Text("No action recorded yet.", style="dim")
