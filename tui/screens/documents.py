"""Documents: every stored document, filtered as you type, sorted, a page at a time."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Input, Static

from tracker.views import PAGE_SIZE, SORTS, DocFilter, DocRow, document_rows, parse_filter
from tui.messages import OpenDocument
from tui.render import one_line, plain, short_title
from tui.screens.base import DataScreen, fill

#: (label, sort name, width): the title first, cut to its width (enter shows it whole).
COLUMNS = (("title", "title", 60), ("stage", "stage", 17), ("deadline", "deadline", 10),
           ("goals", None, 24), ("source", "source", 13), ("changed", "changed", 10),
           ("id", "id", 7))  # fmt: skip
HINT = ("search words, and filters: goal:ID source:KEY stage:STAGE triage:new|confirmed|"
        "dismissed deadline:DAYS sort:-deadline")  # fmt: skip


class DocumentsScreen(DataScreen):
    """The documents table. Keys:

    | key | does |
    |---|---|
    | `/` | put the cursor in the filter |
    | `escape` | from the filter to the table |
    | `enter` | open the document |
    | `o` | next sort order (or click a column header) |
    | `]` / `[` | next / previous page |
    """

    AUTO_FOCUS = "#docs"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "Filter"),
        Binding("escape", "focus_table", "Table", show=False),
        Binding("o", "cycle_sort", "Sort"),
        Binding("right_square_bracket", "page(1)", "Next page"),
        Binding("left_square_bracket", "page(-1)", "Prev page"),
    ]

    class Loaded(Message):
        """A page of documents (``more``: another page follows)."""

        def __init__(self, rows: list[DocRow], offset: int, more: bool, total: int,
                     request: int, seconds: float) -> None:  # fmt: skip
            super().__init__()
            self.rows = rows
            self.offset = offset
            self.more = more
            self.total = total
            self.request = request
            self.seconds = seconds

    page_offset = 0
    sort: str | None = None
    descending = True
    loaded: Loaded | None = None

    def compose(self) -> ComposeResult:
        """Filter, status line, table."""
        yield Header()
        yield Input(placeholder=HINT, id="filter")
        yield Static(Text("Loading…"), id="doc-status", markup=False)
        table: DataTable[Any] = DataTable(id="docs", cursor_type="row", zebra_stripes=True)
        for label, _sort, width in COLUMNS:
            table.add_column(Text(label), key=label, width=width)
        yield table
        yield Footer()

    def current_filter(self) -> DocFilter:
        """The filter typed, with the sort chosen by key or click unless it names one."""
        text = self.query_one("#filter", Input).value
        filt = parse_filter(text)
        if self.sort and "sort:" not in text:
            filt = DocFilter(filt.words, filt.goal, filt.source, filt.stage, filt.triage,
                             filt.deadline_days, self.sort, self.descending)
        return filt

    def reload(self) -> None:
        """Read the current page in a worker."""
        self.load(self.current_filter(), self.page_offset, self.next_request())

    def set_filter(self, text: str) -> None:
        """Replace the filter text (e.g. ``goal:sogi`` from the Goals screen)."""
        self.query_one("#filter", Input).value = text

    @on(Input.Changed, "#filter")
    def filter_changed(self) -> None:
        """Every keystroke: back to the first page, query again (the previous query's
        answer is dropped if it comes late)."""
        self.page_offset = 0
        self.reload()

    @on(Input.Submitted, "#filter")
    def filter_submitted(self) -> None:
        """Enter in the filter: go to the results."""
        self.action_focus_table()

    @work(thread=True, exclusive=True, group="documents")
    def load(self, filt: DocFilter, offset: int, request: int) -> None:
        """Worker: one page from the search index (built here on first use)."""
        app = self.tapp
        started = time.perf_counter()
        try:
            snapshot = app.search_index.ready(app.store.engine)
            ids, more, total = snapshot.search(filt, app.today(), offset=offset,
                                               limit=PAGE_SIZE)
            rows = document_rows(app.store.engine, ids)
        except SQLAlchemyError as exc:
            self.failed("Documents", exc)
            return
        self.post_message(self.Loaded(rows, offset, more, total, request,
                                      time.perf_counter() - started))

    def on_documents_screen_loaded(self, message: Loaded) -> None:
        """Show the page."""
        if message.request != self.request:
            return
        self.loaded = message
        rows = [
            (str(r.id), [short_title(r.title, 60), plain(r.stage), plain(r.deadline or ""),
                         one_line(" ".join(r.goals), 24), plain(r.source),
                         plain(r.last_changed[:10]), plain(r.id, "dim")])
            for r in message.rows
        ]
        fill(self.query_one("#docs", DataTable), rows, "No document matches.")
        self._status()
        self.shown()

    def _status(self) -> None:
        page = self.loaded
        if page is None:
            return
        last = page.offset + len(page.rows)
        total = page.total
        filt = self.current_filter()
        order = f"{'-' if filt.descending else '+'}{filt.sort}"
        status = Text(f"{page.offset + 1 if page.rows else 0}–{last} of {total}", style="bold")
        status.append(f" · sort {order}", style="dim")
        if page.more:
            status.append(" · ] next page", style="dim")
        self.query_one("#doc-status", Static).update(status)

    @on(DataTable.RowSelected, "#docs")
    def open_row(self, event: DataTable.RowSelected) -> None:
        """Enter on a row: the document screen."""
        key = str(event.row_key.value or "")
        if key.isdigit():
            self.post_message(OpenDocument(int(key)))

    @on(DataTable.HeaderSelected, "#docs")
    def sort_by_header(self, event: DataTable.HeaderSelected) -> None:
        """Click a header: sort by it (click again: reverse)."""
        sort = {label: name for label, name, _width in COLUMNS}.get(str(event.column_key.value))
        if sort is None:
            return
        self.descending = not self.descending if self.sort == sort else sort in ("changed",
                                                                                 "id")
        self.sort = sort
        self.page_offset = 0
        self.reload()

    def action_cycle_sort(self) -> None:
        """Next sort order."""
        current = self.current_filter().sort
        self.sort = SORTS[(SORTS.index(current) + 1) % len(SORTS)]
        self.descending = self.sort in ("changed", "id")
        self.page_offset = 0
        self.reload()

    def action_page(self, step: int) -> None:
        """Next or previous page."""
        if self.loaded is None or (step > 0 and not self.loaded.more):
            return
        offset = max(0, self.page_offset + step * PAGE_SIZE)
        self.page_offset = offset
        self.reload()

    def focus_filter(self) -> None:
        """Put the cursor in the filter."""
        self.query_one("#filter", Input).focus()

    def action_focus_filter(self) -> None:
        """Key `/`."""
        self.focus_filter()

    def action_focus_table(self) -> None:
        """Key escape."""
        self.query_one("#docs", DataTable).focus()
