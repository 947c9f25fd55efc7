"""Record or edit an action: a form that says what is wrong next to each field."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Footer, Input, Label, Select, Static

from tracker.views import PRIVATE_FIELDS, ActionRow, resolve_document_ref
from tui.actions_adapter import ACTION_TYPES, LOCKED, ActionDraft, ActionError, draft_from_row
from tui.widgets.actions_view import LABELS

_TEXT_FIELDS = (("date", "date (YYYY-MM-DD)"), ("follow_up", "follow-up (YYYY-MM-DD)"),
                ("document", "document (SOURCE:EXTERNAL_ID or #id)"),
                ("institution", "counterpart institution"))  # fmt: skip


def _cell(widget: Widget, error: str | None = None) -> ComposeResult:
    """A grid cell: the field, and under it the line for its problem (when it has one)."""
    with Vertical(classes="form-cell"):
        yield widget
        if error is not None:
            yield Static(Text(""), id=f"err-{error}", classes="error", markup=False)


class ActionFormScreen(ModalScreen[bool]):
    """The action form (dismissed with True when saved). Keys:

    | key | does |
    |---|---|
    | `ctrl+s` | save |
    | `f2` | show / hide the private fields while typing |
    | `escape` | cancel |
    """

    AUTO_FOCUS = "#type"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("f2", "reveal", "Reveal private"),
        Binding("escape", "cancel", "Cancel"),
    ]

    class Saved(Message):
        """The action was stored."""

        def __init__(self, action_id: int) -> None:
            super().__init__()
            self.action_id = action_id

    class Rejected(Message):
        """Saving failed: problems by field (``form`` for the whole form)."""

        def __init__(self, problems: dict[str, str]) -> None:
            super().__init__()
            self.problems = problems

    def __init__(self, *, document: str = "", goal: str = "",
                 action: ActionRow | None = None) -> None:  # fmt: skip
        super().__init__()
        self.action = action
        self.initial = ActionDraft(type="", date="", document=document, goal=goal)
        self.attempted = False
        self.revealed = False

    def compose(self) -> ComposeResult:
        """Fields, each with its message line."""
        app: Any = self.app
        draft = self.initial
        if self.action is not None:
            draft = draft_from_row(self.action, app.actions.reveal(self.action))
        goals = [(g.name, g.id) for g in app.goals]
        with VerticalScroll(id="action-form"):
            title = f"Edit action #{self.action.id}" if self.action else "Record an action"
            yield Label(Text(title, style="bold"))
            with Grid(classes="form-grid"):
                yield from _cell(Select(
                    [(t, t) for t in ACTION_TYPES], id="type", prompt="type of action",
                    value=draft.type if draft.type in ACTION_TYPES else Select.NULL), "type")
                yield from _cell(Select(
                    goals, id="goal", prompt="goal (optional)",
                    value=draft.goal if draft.goal in {g for _, g in goals} else Select.NULL))
                for name, label in _TEXT_FIELDS:
                    value = getattr(draft, name) or (
                        app.today().isoformat() if name == "date" else "")
                    yield from _cell(Input(value=value, placeholder=label, id=name), name)
            yield Label(Text("Private fields (hidden; f2 shows them while typing)", style="dim"))
            with Grid(classes="form-grid"):
                for name in PRIVATE_FIELDS:
                    value = getattr(draft, name)
                    yield from _cell(
                        Input(value=value, placeholder=LABELS[name], id=name, password=True,
                              disabled=value == LOCKED),
                        name if name in ("summary", "comment_text") else None)
                yield from _cell(Select([("open", "open"), ("done", "done")], id="status",
                                        value=draft.status, allow_blank=False))
            yield Checkbox("sensitive (never in emails or reports without consent)",
                           value=draft.sensitivity == "sensitive", id="sensitive")
            yield Static(Text(""), id="err-form", classes="error", markup=False)
            with Horizontal(id="form-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")
        yield Footer()

    def draft(self) -> ActionDraft:
        """What the form holds now."""
        def text(name: str) -> str:
            return self.query_one(f"#{name}", Input).value.strip()

        kind = self.query_one("#type", Select).value
        goal = self.query_one("#goal", Select).value
        private = {n: (text(n) if text(n) != LOCKED else LOCKED) for n in PRIVATE_FIELDS}
        return ActionDraft(
            type=kind if isinstance(kind, str) else "", date=text("date"),
            follow_up=text("follow_up"), document=text("document"),
            goal=goal if isinstance(goal, str) else "", institution=text("institution"),
            status=str(self.query_one("#status", Select).value),
            sensitivity="sensitive" if self.query_one("#sensitive", Checkbox).value
            else "normal", **private)

    def show_problems(self, problems: dict[str, str],
                      fields: tuple[str, ...] | None = None) -> None:  # fmt: skip
        """Write each field's message (only ``fields`` when given)."""
        for name in ("type", "date", "follow_up", "document", "summary", "comment_text",
                     "form"):
            if fields is not None and name not in fields:
                continue
            widget = self.query_one(f"#err-{name}", Static)
            message = problems.get(name, "")
            widget.update(Text(f"⚠ {message}" if message else "", style="bold red"))
            widget.set_class(bool(message), "shown")

    @on(Input.Changed)
    @on(Select.Changed)
    def revalidate(self, event: Input.Changed | Select.Changed) -> None:
        """Check a field as it is typed (dates once they are complete or after a save)."""
        name = event.control.id or ""
        if name not in ("type", "date", "follow_up", "document", "summary"):
            return
        value = str(event.value)
        typing_date = name in ("date", "follow_up") and 0 < len(value) < 10
        typing_ref = name == "document" and ":" not in value and not value.startswith("#")
        if not self.attempted and (typing_date or typing_ref):
            self.show_problems({}, (name,))  # do not nag before the value is complete
            return
        fields: tuple[str, ...] = (name, "follow_up") if name == "date" else (name,)
        self.show_problems(self._problems(), fields)

    def _problems(self) -> dict[str, str]:
        app: Any = self.app
        return dict(app.actions.problems(self.draft()))

    def action_save(self) -> None:
        """Validate everything; save in a worker when valid."""
        self.attempted = True
        draft = self.draft()
        problems = self._problems()
        self.show_problems(problems)
        if problems:
            self.notify("Please correct the fields marked ⚠.", severity="warning")
            return
        self.save(draft)

    @work(thread=True, exclusive=True, group="action-save")
    def save(self, draft: ActionDraft) -> None:
        """Worker: look the document up, then store the action."""
        app: Any = self.app
        try:
            document_id = None
            if draft.document:
                document_id = resolve_document_ref(app.store.engine, draft.document)
                if document_id is None:
                    self.post_message(self.Rejected({"document": "no such document"}))
                    return
            action_id = app.actions.save(draft, app.staff, document_id=document_id,
                                         action=self.action)
        except ActionError as exc:
            self.post_message(self.Rejected({"form": str(exc)}))
            return
        except SQLAlchemyError as exc:
            self.post_message(self.Rejected({"form": f"database: {exc}"}))
            return
        self.post_message(self.Saved(action_id))

    def on_action_form_screen_rejected(self, message: Rejected) -> None:
        """Show why it was not saved."""
        self.show_problems(message.problems)

    def on_action_form_screen_saved(self, message: Saved) -> None:
        """Close the form."""
        self.notify(f"Action #{message.action_id} saved.")
        self.dismiss(True)

    def action_reveal(self) -> None:
        """Show or hide the private fields."""
        self.revealed = not self.revealed
        for name in PRIVATE_FIELDS:
            self.query_one(f"#{name}", Input).password = not self.revealed

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(False)

    @on(Button.Pressed, "#save")
    def save_pressed(self) -> None:
        """The Save button."""
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def cancel_pressed(self) -> None:
        """The Cancel button."""
        self.action_cancel()

