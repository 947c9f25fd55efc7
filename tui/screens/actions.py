"""Actions: what the NGO did, follow-ups due, and the form to record or edit one."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from tracker.views import ActionRow, actions_list
from tui.render import days_text, one_line, plain
from tui.screens.action_form import ActionFormScreen
from tui.screens.base import DataScreen, fill
from tui.widgets.actions_view import private_value


class ActionsScreen(DataScreen):
    """The actions list. Keys:

    | key | does |
    |---|---|
    | `n` | record a new action |
    | `enter` / `e` | edit the action under the cursor |
    | `f` | only follow-ups due (today or overdue) / everything |
    | `v` | reveal / hide private fields (``[locked]`` without the passphrase) |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", "New action"),
        Binding("e", "edit", "Edit"),
        Binding("f", "toggle_due", "Follow-ups due"),
        Binding("v", "reveal", "Reveal"),
    ]

    class Loaded(Message):
        """Actions read from the store."""

        def __init__(self, rows: tuple[ActionRow, ...], request: int) -> None:
            super().__init__()
            self.rows = rows
            self.request = request

    rows: tuple[ActionRow, ...] = ()
    due_only = False
    revealed = False
    _edit_after_load: int | None = None

    def compose(self) -> ComposeResult:
        """Status line and table."""
        yield Header()
        yield Static(Text("Loading…"), id="actions-status", markup=False)
        table: DataTable[Any] = DataTable(id="actions", cursor_type="row", zebra_stripes=True)
        for column in ("id", "date", "type", "staff", "institution", "about", "follow-up",
                       "status", "summary", "next step"):
            table.add_column(Text(column), key=column)
        yield table
        yield Footer()

    def reload(self) -> None:
        """Read the actions in a worker."""
        self.load(self.due_only, self.next_request())

    @work(thread=True, exclusive=True, group="actions")
    def load(self, due_only: bool, request: int) -> None:
        """Worker: the list."""
        app = self.tapp
        try:
            rows = actions_list(app.store.engine, due_by=app.today() if due_only else None)
        except SQLAlchemyError as exc:
            self.failed("Actions", exc)
            return
        self.post_message(self.Loaded(rows, request))

    def on_actions_screen_loaded(self, message: Loaded) -> None:
        """Show the list."""
        if message.request != self.request:
            return
        self.rows = message.rows
        self._render_rows()
        self.shown()
        if self._edit_after_load is not None:
            wanted, self._edit_after_load = self._edit_after_load, None
            self._edit(wanted)

    def _render_rows(self) -> None:
        today = self.tapp.today()
        backend = self.tapp.actions
        rows = []
        for row in self.rows:
            follow = Text("")
            if row.follow_up:
                days = (date.fromisoformat(row.follow_up) - today).days
                follow = (days_text(days) if row.status == "open" and days <= 7
                          else plain(row.follow_up))
            rows.append((str(row.id), [
                plain(row.id, "dim"), plain(row.date), plain(row.type), plain(row.staff),
                one_line(row.institution or "", 30), one_line(", ".join(row.targets), 40),
                follow, plain(row.status, "green" if row.status == "done" else "yellow"),
                private_value(row, "summary", backend, revealed=self.revealed),
                private_value(row, "next_step", backend, revealed=self.revealed)]))
        empty = "No follow-up due." if self.due_only else "No action recorded yet (n adds one)."
        fill(self.query_one("#actions", DataTable), rows, empty)
        scope = "follow-ups due" if self.due_only else "all actions"
        lock = " · no passphrase: sealed fields [locked]" if backend.locked() else ""
        shown = "revealed" if self.revealed else "hidden (v reveals)"
        self.query_one("#actions-status", Static).update(
            Text(f"{len(self.rows)} {scope} · private fields {shown}{lock}", style="bold"))

    def action_new(self) -> None:
        """The form, empty."""
        self.app.push_screen(ActionFormScreen(), self._after_form)

    def action_edit(self) -> None:
        """The form, for the action under the cursor."""
        table = self.query_one("#actions", DataTable)
        if self.rows and 0 <= table.cursor_row < len(self.rows):
            self._edit(self.rows[table.cursor_row].id)

    def edit_when_loaded(self, action_id: int) -> None:
        """Open the form for an action once the list has loaded (from Today)."""
        if any(r.id == action_id for r in self.rows):
            self._edit(action_id)
        else:
            self._edit_after_load = action_id

    def _edit(self, action_id: int) -> None:
        row = next((r for r in self.rows if r.id == action_id), None)
        if row is not None:
            self.app.push_screen(ActionFormScreen(action=row), self._after_form)

    def _after_form(self, saved: bool | None) -> None:
        if saved:
            self.reload()

    @on(DataTable.RowSelected, "#actions")
    def open_row(self) -> None:
        """Enter: edit."""
        self.action_edit()

    def action_toggle_due(self) -> None:
        """Follow-ups due only, or everything."""
        self.due_only = not self.due_only
        self.reload()

    def action_reveal(self) -> None:
        """Show or hide the private fields."""
        self.revealed = not self.revealed
        self._render_rows()
