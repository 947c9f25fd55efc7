"""Today: what is new since your last visit (by goal, good or bad news), deadlines this week,
bills that moved a stage, your follow-ups due, sources needing attention."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from tracker.views import NewsItem, TodayView, mark_read, today_view
from tui.messages import OpenDocument
from tui.render import HEALTH_STYLE, days_text, one_line, plain, short_title, tone_text
from tui.screens.base import DataScreen, fill

#: Rows of the news list (the rest is one line pointing to Documents): a long absence must
#: not make the morning view slow to paint.
NEWS_ROWS = 60


class TodayScreen(DataScreen):
    """The morning view. Keys:

    | key | does |
    |---|---|
    | `enter` | open the document (or the follow-up, or the source) |
    | `m` | mark everything shown as read (advances your watermark) |
    | `tab` | next list |
    """

    AUTO_FOCUS = "#news"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "mark_read", "Mark read"),
    ]

    class Loaded(Message):
        """The Today view read from the store."""

        def __init__(self, view: TodayView, request: int) -> None:
            super().__init__()
            self.view = view
            self.request = request

    class Marked(Message):
        """The watermark was advanced."""

        def __init__(self, event_id: int) -> None:
            super().__init__()
            self.event_id = event_id

    view: TodayView | None = None

    def compose(self) -> ComposeResult:
        """Sections, each a table of rows that can be opened."""
        yield Header()
        with VerticalScroll(id="today"):
            yield Static(Text("Loading…"), id="today-summary", markup=False)
            yield Static(Text("New since your last visit, by goal"), classes="section")
            yield self._table("news", ("goal", "news", "what", "document", "source"))
            yield Static(Text("Public-comment deadlines this week"), classes="section")
            yield self._table("deadlines", ("left", "deadline", "goals", "document", "source"))
            yield Static(Text("Bills that moved a stage"), classes="section")
            yield self._table("moved", ("goal", "news", "change", "document", "source"))
            yield Static(Text("Your follow-ups due"), classes="section")
            yield self._table("followups", ("when", "date", "type", "institution", "about"))
            yield Static(Text("Sources needing attention"), classes="section")
            yield self._table("broken", ("source", "health", "since", "reason"))
        yield Footer()

    @staticmethod
    def _table(table_id: str, columns: tuple[str, ...]) -> DataTable[Any]:
        table: DataTable[Any] = DataTable(id=table_id, cursor_type="row", zebra_stripes=True,
                                          classes="today-table")
        for column in columns:
            table.add_column(Text(column), key=column)
        return table

    def reload(self) -> None:
        """Read the view in a worker."""
        self.load(self.next_request())

    @work(thread=True, exclusive=True, group="today")
    def load(self, request: int) -> None:
        """Worker: the Today read model."""
        app = self.tapp
        try:
            view = today_view(app.store.engine, app.staff, app.goals, app.today())
        except SQLAlchemyError as exc:
            self.failed("Today", exc)
            return
        self.post_message(self.Loaded(view, request))

    def on_today_screen_loaded(self, message: Loaded) -> None:
        """Put the view on screen."""
        if message.request != self.request:
            return
        view = self.view = message.view
        goals = {g.id: g for g in self.tapp.goals}
        more = "+" if view.new_count >= 10_000 else ""
        summary = Text(f"{view.new_count}{more} changes since your last visit", style="bold")
        summary.append(f"  (events {view.since_id + 1}–{view.latest_id}) · press m to mark "
                       "them read", style="dim")
        self.query_one("#today-summary", Static).update(summary)
        news: list[tuple[str, list[Text]]] = []
        previous: str | None = "-"
        groups = _by_document(view.news)
        for goal_id, doc_id, items in groups[:NEWS_ROWS]:
            goal = goals.get(goal_id or "")
            label = f"{goal.name} ({goal.stance})" if goal else (goal_id or "no goal")
            head = one_line(label, 30, "bold") if goal_id != previous else Text("")
            previous = goal_id
            latest = items[0]
            what = one_line(latest.description, 44)
            if len(items) > 1:
                what.append(f" (+{len(items) - 1})", style="dim")
            news.append((f"d{doc_id}:g{goal_id}", [
                head, tone_text(_strongest(i.tone for i in items)), what,
                short_title(latest.title, 60), plain(latest.source, "dim")]))
        if len(groups) > NEWS_ROWS:
            news.append(("more", [Text(""), Text(""), Text(
                f"… {len(groups) - NEWS_ROWS} more documents changed: see Documents (d)",
                style="dim"), Text(""), Text("")]))
        fill(self.query_one("#news", DataTable), news, "Nothing new since your last visit.")
        fill(self.query_one("#deadlines", DataTable), [
            (f"d{d.document_id}", [days_text(d.days_left), plain(d.deadline),
                                   one_line(", ".join(d.goals) or "—", 30),
                                   short_title(d.title, 90), plain(d.source, "dim")])
            for d in view.deadlines], "No public-comment deadline this week.")
        fill(self.query_one("#moved", DataTable), [
            (f"d{m.document_id}:e{m.event_id}:{m.goal_id}",
             [one_line(m.goal_id or "—", 24), tone_text(m.tone), one_line(m.description, 50),
              short_title(m.title, 60), plain(m.source, "dim")])
            for m in view.moved], "No bill moved a stage.")
        fill(self.query_one("#followups", DataTable), [
            (f"a{f.action_id}", [days_text(f.days), plain(f.follow_up), plain(f.type),
                                 one_line(f.institution or "—", 40),
                                 one_line(", ".join(f.targets) or "—", 60)])
            for f in view.follow_ups], "No follow-up due.")
        fill(self.query_one("#broken", DataTable), [
            (f"s{s.source}", [plain(s.source), plain(s.health, HEALTH_STYLE.get(s.health, "")),
                              plain((s.since or "")[:16]), one_line(s.reason, 100)])
            for s in view.broken], "Every source is working.")
        self.shown()

    @on(DataTable.RowSelected)
    def open_row(self, event: DataTable.RowSelected) -> None:
        """Enter on a row: open what it is about."""
        key = str(event.row_key.value or "")
        if key.startswith("d"):
            self.post_message(OpenDocument(int(key[1:].split(":", 1)[0])))
        elif key.startswith("a"):
            self.app.call_later(self._edit_action, int(key[1:]))
        elif key == "more":
            self.app.call_later(self.app.run_action, "go('documents')")
        elif key.startswith("s"):
            self.app.call_later(self.app.run_action, "go('sources')")

    async def _edit_action(self, action_id: int) -> None:
        await self.app.run_action("go('actions')")
        from tui.screens.actions import ActionsScreen

        if isinstance(self.app.screen, ActionsScreen):
            self.app.screen.edit_when_loaded(action_id)

    def action_mark_read(self) -> None:
        """Advance the watermark to the newest event of the view shown (not beyond: events
        that arrived since are still new)."""
        if self.view is None:
            return
        self.save_mark(self.view.latest_id)

    @work(thread=True, group="mark")
    def save_mark(self, event_id: int) -> None:
        """Worker: write the watermark."""
        app = self.tapp
        try:
            mark_read(app.store, app.staff, event_id)
        except SQLAlchemyError as exc:
            self.failed("mark read", exc)
            return
        self.post_message(self.Marked(event_id))

    def on_today_screen_marked(self, message: Marked) -> None:
        """Confirm and reload."""
        self.notify(f"Marked read up to event {message.event_id}.")
        self.reload()


def _by_document(items: Iterable[NewsItem]) -> list[tuple[str | None, int, list[NewsItem]]]:
    """News rows: one per goal and document (newest event first), in the view's order."""
    groups: dict[tuple[str | None, int], list[NewsItem]] = {}
    for item in items:
        groups.setdefault((item.goal_id, item.document_id), []).append(item)
    return [(goal, doc, events) for (goal, doc), events in groups.items()]


def _strongest(tones: Iterable[str]) -> str:
    """Bad news outweighs good, good outweighs neutral."""
    found = set(tones)
    return "bad" if "bad" in found else "good" if "good" in found else "neutral"
