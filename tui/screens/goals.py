"""Goals: each goal with its documents counted by stage and triage, and recent activity."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from tracker.views import GoalSummary, goal_summaries
from tui.render import one_line, plain
from tui.screens.base import DataScreen, fill

STANCE_STYLE = {"support": "green", "oppose": "red", "watch": "cyan"}


class GoalsScreen(DataScreen):
    """The goals. Keys:

    | key | does |
    |---|---|
    | `enter` | the goal's documents (Documents filtered by `goal:ID`) |
    """

    BINDINGS: ClassVar[list[BindingType]] = []

    class Loaded(Message):
        """Goal summaries read from the store."""

        def __init__(self, summaries: list[GoalSummary], request: int) -> None:
            super().__init__()
            self.summaries = summaries
            self.request = request

    def compose(self) -> ComposeResult:
        """A table of goals."""
        yield Header()
        yield Static(Text("Goals from goals.toml, most important first. Enter lists the "
                          "goal's documents."), id="goals-status", markup=False)
        table: DataTable[Any] = DataTable(id="goals", cursor_type="row", zebra_stripes=True)
        for column in ("prio", "goal", "stance", "new", "confirmed", "dismissed",
                       "documents by stage", "events 7 d", "last activity"):
            table.add_column(Text(column), key=column)
        yield table
        yield Footer()

    def reload(self) -> None:
        """Read the summaries in a worker."""
        self.load(self.next_request())

    @work(thread=True, exclusive=True, group="goals")
    def load(self, request: int) -> None:
        """Worker: counts per goal."""
        app = self.tapp
        try:
            summaries = goal_summaries(app.store.engine, app.goals, app.today())
        except SQLAlchemyError as exc:
            self.failed("Goals", exc)
            return
        self.post_message(self.Loaded(summaries, request))

    def on_goals_screen_loaded(self, message: Loaded) -> None:
        """Show the table."""
        if message.request != self.request:
            return
        rows = []
        for s in sorted(message.summaries, key=lambda s: s.goal.priority):
            stages = " · ".join(f"{stage} {n}" for stage, n in
                                sorted(s.by_stage.items(), key=lambda kv: -kv[1]))
            rows.append((s.goal.id, [
                plain(s.goal.priority), one_line(s.goal.name, 50, "bold"),
                plain(s.goal.stance, STANCE_STYLE.get(s.goal.stance, "")),
                plain(s.by_triage.get("new", 0), "bold yellow"),
                plain(s.by_triage.get("confirmed", 0)), plain(s.by_triage.get("dismissed", 0)),
                one_line(stages or "—", 60), plain(s.events_7d),
                plain((s.last_event or "—")[:16])]))
        fill(self.query_one("#goals", DataTable), rows, "No goals loaded (see goals.toml).")
        self.shown()

    @on(DataTable.RowSelected, "#goals")
    def open_goal(self, event: DataTable.RowSelected) -> None:
        """Enter: the goal's documents."""
        goal = str(event.row_key.value or "")
        if goal and goal != "none":
            self.app.call_later(self._documents, goal)

    async def _documents(self, goal: str) -> None:
        from tui.screens.documents import DocumentsScreen

        await self.app.run_action("go('documents')")
        if isinstance(self.app.screen, DocumentsScreen):
            self.app.screen.set_filter(f"goal:{goal}")
