"""Sources: health, last run, counts and errors; run one now (in a worker)."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from tracker.errors import TrackerError
from tracker.models import RunSummary
from tracker.views import SourceState, source_states
from tui.render import HEALTH_STYLE, one_line, plain
from tui.screens.base import DataScreen, fill


class SourcesScreen(DataScreen):
    """The sources. Keys:

    | key | does |
    |---|---|
    | `r` / `enter` | run the source under the cursor now |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "run_now", "Run now"),
    ]

    class Loaded(Message):
        """Source states read from the store."""

        def __init__(self, states: list[SourceState], request: int) -> None:
            super().__init__()
            self.states = states
            self.request = request

    class RunFinished(Message):
        """A run started here finished (or could not start: ``error``)."""

        def __init__(self, key: str, summary: RunSummary | None, error: str = "") -> None:
            super().__init__()
            self.key = key
            self.summary = summary
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self.states: list[SourceState] = []
        self.running: set[str] = set()

    def compose(self) -> ComposeResult:
        """Status line and table."""
        yield Header()
        yield Static(Text("Loading…"), id="sources-status", markup=False)
        table: DataTable[Any] = DataTable(id="sources", cursor_type="row", zebra_stripes=True)
        for column in ("source", "health", "since", "last run", "result", "counts", "reason",
                       "errors"):
            table.add_column(Text(column), key=column)
        yield table
        yield Footer()

    def reload(self) -> None:
        """Read the states in a worker."""
        self.load(self.next_request())

    @work(thread=True, exclusive=True, group="sources")
    def load(self, request: int) -> None:
        """Worker: health and last runs (every configured source, even never run)."""
        app = self.tapp
        try:
            keys: list[str] = []
            if app.settings is not None:
                from tracker.catalog import enabled_sources

                keys = enabled_sources(app.settings)
            states = source_states(app.store.engine, keys)
        except (SQLAlchemyError, TrackerError) as exc:
            self.failed("Sources", exc)
            return
        self.post_message(self.Loaded(states, request))

    def on_sources_screen_loaded(self, message: Loaded) -> None:
        """Show the table."""
        if message.request != self.request:
            return
        self.states = message.states
        rows = []
        for s in self.states:
            result = "running…" if s.source in self.running else (s.last_status or "—")
            rows.append((s.source, [
                plain(s.source, "bold"), plain(s.health, HEALTH_STYLE.get(s.health, "dim")),
                plain((s.since or "")[:16]), plain((s.last_finished or "—")[:16]),
                plain(result, "bold red" if result == "error" else ""), plain(s.last_counts),
                one_line(s.reason, 60), one_line(" | ".join(s.errors) or "", 80, "red")]))
        fill(self.query_one("#sources", DataTable), rows, "No source configured.")
        where = "" if self.tapp.settings is not None else " (read-only: no settings)"
        self.query_one("#sources-status", Static).update(
            Text(f"{len(self.states)} sources · r runs the one under the cursor now{where}",
                 style="bold"))
        self.shown()

    @on(DataTable.RowSelected, "#sources")
    def run_selected(self) -> None:
        """Enter: run now."""
        self.action_run_now()

    def action_run_now(self) -> None:
        """Run the source under the cursor in a worker (the UI stays responsive)."""
        table = self.query_one("#sources", DataTable)
        if not self.states or not 0 <= table.cursor_row < len(self.states):
            return
        key = self.states[table.cursor_row].source
        if self.tapp.settings is None:
            self.notify("Cannot run sources without the home's settings.", severity="error")
            return
        if key in self.running:
            self.notify(f"{key} is already running.", markup=False)
            return
        self.running.add(key)
        self.notify(f"Running {key}…", markup=False)
        self.run_source(key)

    @work(thread=True, group="run-source")
    def run_source(self, key: str) -> None:
        """Worker: fetch → parse → store, as `tracker scrape KEY` does."""
        from tracker.archive import Archive
        from tracker.fetch import Fetcher
        from tracker.runner import run_source

        app = self.tapp
        assert app.settings is not None
        try:
            with Fetcher(app.settings.fetch, Archive(app.settings.archive_dir),
                         app.store) as fetcher:
                summary = run_source(key, settings=app.settings, store=app.store,
                                     fetcher=fetcher)
        except (SQLAlchemyError, TrackerError, OSError) as exc:
            self.post_message(self.RunFinished(key, None, str(exc)))
            return
        self.post_message(self.RunFinished(key, summary))

    def on_sources_screen_run_finished(self, message: RunFinished) -> None:
        """Say how it went and reload."""
        self.running.discard(message.key)
        summary = message.summary
        if summary is None:
            self.notify(f"{message.key}: {message.error}", severity="error", markup=False)
        elif summary.status == "ok":
            self.notify(f"{message.key}: {summary.inserted} new, {summary.updated} updated, "
                        f"{summary.events} events", markup=False)
        else:
            self.notify(f"{message.key} failed: {'; '.join(summary.errors)}",
                        severity="error", markup=False, timeout=15)
        self.reload()
