"""One document: metadata, stage, why it matched (terms highlighted), triage, the timeline
across linked documents with evidence hashes, related documents, actions."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from tracker.views import DocumentDetail, document_detail, set_triage
from tui.messages import OpenDocument
from tui.render import highlight, one_line, plain, short_hash
from tui.screens.base import DataScreen, fill
from tui.widgets.actions_view import actions_text

_META = (("source", "source"), ("id at source", "external_id"), ("kind", "kind"),
         ("type", "doc_type"), ("agency", "agency"), ("created", "created"),
         ("comments until", "discussion_until"), ("language", "language"),
         ("first seen", "first_seen"), ("last changed", "last_changed"),
         ("page", "url"))  # fmt: skip


class DocumentScreen(DataScreen):
    """The document screen. Keys:

    | key | does |
    |---|---|
    | `c` / `x` / `u` | confirm / dismiss / reset the match under the cursor |
    | `b` | open the official page in the browser |
    | `n` | record an action about this document |
    | `v` | reveal / hide the private fields of actions |
    | `enter` | on a related document: open it |
    | `escape` | back |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("c", "triage('confirmed')", "Confirm"),
        Binding("x", "triage('dismissed')", "Dismiss"),
        Binding("u", "triage('new')", "Reset", show=False),
        Binding("b", "browser", "Browser"),
        Binding("n", "new_action", "New action"),
        Binding("v", "reveal", "Reveal"),
    ]

    class Loaded(Message):
        """The document read from the store (None: it does not exist)."""

        def __init__(self, detail: DocumentDetail | None, request: int) -> None:
            super().__init__()
            self.detail = detail
            self.request = request

    class Triaged(Message):
        """A triage decision was saved."""

        def __init__(self, goal: str, triage: str) -> None:
            super().__init__()
            self.goal = goal
            self.triage = triage

    detail: DocumentDetail | None = None
    revealed = False

    def __init__(self, document_id: int) -> None:
        super().__init__()
        self.document_id = document_id

    def compose(self) -> ComposeResult:
        """Sections top to bottom."""
        yield Header()
        with VerticalScroll(id="detail"):
            yield Static(Text("Loading…"), id="doc-head", markup=False)
            yield Static(Text("Why it matched (c confirm · x dismiss · u reset)"),
                         classes="section")
            matches: DataTable[Any] = DataTable(id="matches", cursor_type="row")
            for column in ("goal", "stance", "score", "triage", "by"):
                matches.add_column(Text(column), key=column)
            yield matches
            yield Static(Text(""), id="reasons", markup=False)
            yield Static(Text("Timeline (this document and the same act elsewhere)"),
                         classes="section")
            timeline: DataTable[Any] = DataTable(id="timeline", cursor_type="row")
            for column in ("seen", "source", "event", "change", "evidence", "by"):
                timeline.add_column(Text(column), key=column)
            yield timeline
            yield Static(Text("Related documents (enter opens)"), classes="section")
            related: DataTable[Any] = DataTable(id="related", cursor_type="row")
            for column in ("relation", "source", "stage", "title"):
                related.add_column(Text(column), key=column)
            yield related
            yield Static(Text("Actions (n new · v reveal private fields)"), classes="section")
            yield Static(Text(""), id="doc-actions", markup=False)
        yield Footer()

    def reload(self) -> None:
        """Read the document in a worker."""
        self.load(self.next_request())

    @work(thread=True, exclusive=True, group="detail")
    def load(self, request: int) -> None:
        """Worker: everything about the document."""
        try:
            detail = document_detail(self.tapp.store.engine, self.document_id)
        except SQLAlchemyError as exc:
            self.failed("document", exc)
            return
        self.post_message(self.Loaded(detail, request))

    def on_document_screen_loaded(self, message: Loaded) -> None:
        """Show it."""
        if message.request != self.request:
            return
        if message.detail is None:
            self.query_one("#doc-head", Static).update(
                Text(f"Document {self.document_id} does not exist.", style="bold red"))
            self.shown()
            return
        detail = self.detail = message.detail
        doc = detail.document
        head = Text()
        head.append(plain(doc["title"], "bold"))
        head.append("\n")
        head.append("stage ", style="dim")
        head.append(Text(doc["stage"], style="bold"))
        head.append("   raw status ", style="dim")
        head.append(plain(doc.get("status_raw") or "—"))
        for label, key in _META:
            if doc.get(key):
                head.append(f"\n{label:>15}  ", style="dim")
                head.append(plain(doc[key]))
        self.query_one("#doc-head", Static).update(head)
        self._show_matches(detail)
        fill(self.query_one("#timeline", DataTable), [
            (str(e.event_id), [plain(e.observed_at[:16]), plain(e.source), plain(e.type),
                               one_line(e.description, 70), plain(short_hash(e.evidence)),
                               plain(e.author or "", "cyan")])
            for e in detail.timeline], "No events.")
        fill(self.query_one("#related", DataTable), [
            (str(r.document_id), [plain(r.relation), plain(r.source), plain(r.stage),
                                  one_line(r.title, 120)])
            for r in detail.related], "No linked document.")
        self._show_actions()
        self.shown()

    def _show_matches(self, detail: DocumentDetail) -> None:
        goals = {g.id: g for g in self.tapp.goals}
        fill(self.query_one("#matches", DataTable), [
            (str(m.id), [one_line(goals[m.goal_id].name if m.goal_id in goals else m.goal_id,
                                  50),
                         plain(goals[m.goal_id].stance if m.goal_id in goals else "?"),
                         plain(f"{m.score:.2f}"),
                         plain(m.triage, {"confirmed": "green", "dismissed": "dim"}.get(
                             m.triage, "bold yellow")),
                         plain(m.triaged_by or "")])
            for m in detail.matches], "No goal matched this document.")
        reasons = Text()
        for m in detail.matches:
            terms = [r.get("term", "") for r in m.reasons]
            reasons.append(f"{m.goal_id}", style="bold")
            reasons.append("" if m.active else " (goal no longer matches)", style="dim")
            for reason in m.reasons:
                reasons.append("\n  ")
                reasons.append(plain(reason.get("field", ""), "dim"))
                reasons.append(" · ")
                reasons.append(plain(reason.get("term", ""), "italic"))
                reasons.append("\n    ")
                reasons.append(highlight(reason.get("snippet", ""), terms))
            reasons.append("\n")
        self.query_one("#reasons", Static).update(reasons)

    def _show_actions(self) -> None:
        if self.detail is None:
            return
        self.query_one("#doc-actions", Static).update(
            actions_text(self.detail.actions, self.tapp.actions, revealed=self.revealed))

    def action_triage(self, triage: str) -> None:
        """Confirm, dismiss or reset the match under the cursor."""
        table = self.query_one("#matches", DataTable)
        if self.detail is None or not self.detail.matches:
            self.notify("No match to triage.", severity="warning")
            return
        row = min(max(table.cursor_row, 0), len(self.detail.matches) - 1)
        match = self.detail.matches[row]
        self.save_triage(match.id, match.goal_id, triage)

    @work(thread=True, group="triage")
    def save_triage(self, match_id: int, goal: str, triage: str) -> None:
        """Worker: persist the decision."""
        app = self.tapp
        try:
            set_triage(app.store, match_id, triage, app.staff)
        except SQLAlchemyError as exc:
            self.failed("triage", exc)
            return
        self.post_message(self.Triaged(goal, triage))

    def on_document_screen_triaged(self, message: Triaged) -> None:
        """Confirm and reload."""
        self.notify(f"{message.goal}: {message.triage}", markup=False)
        self.reload()
        self.tapp.refresh_index()  # the Documents filter by triage must see it

    def action_browser(self) -> None:
        """Open the official page."""
        if self.detail is not None:
            self.tapp.open_official_page(str(self.detail.document.get("url") or ""))

    def action_new_action(self) -> None:
        """The action form, about this document."""
        from tui.screens.action_form import ActionFormScreen

        doc = self.detail.document if self.detail else {}
        goal = self.detail.matches[0].goal_id if self.detail and self.detail.matches else ""
        ref = f"{doc['source']}:{doc['external_id']}" if doc else ""
        self.app.push_screen(ActionFormScreen(document=ref, goal=goal),
                             lambda saved: self.reload() if saved else None)

    def action_reveal(self) -> None:
        """Show or hide private action fields."""
        self.revealed = not self.revealed
        self._show_actions()

    @on(DataTable.RowSelected, "#related")
    def open_related(self, event: DataTable.RowSelected) -> None:
        """Enter on a related document."""
        key = str(event.row_key.value or "")
        if key.isdigit():
            self.post_message(OpenDocument(int(key)))
