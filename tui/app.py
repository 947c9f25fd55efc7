"""The morning dashboard: modes for Today, Goals, Documents, Actions, Sources and Help.

Attributes go down (the store, the staff member, the goals, the clock live on the app and
screens read them), messages come up (workers post results; screens handle them). Every
database call runs in a thread worker.
"""

from __future__ import annotations

import os
import sys
import threading
import webbrowser
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, ClassVar

from sqlalchemy.exc import SQLAlchemyError
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from tracker.config import Settings
from tracker.errors import TrackerError
from tracker.store import Store
from tracker.views import GoalInfo, latest_event_id, staff_name
from tui.actions_adapter import ActionError, ActionsBackend, load_actions_backend
from tui.messages import EventLogAdvanced, LoadFailed, OpenDocument, ScheduleChanged
from tui.scheduler import ScheduleState, start_schedule
from tui.screens.actions import ActionsScreen
from tui.screens.base import DataScreen
from tui.screens.detail import DocumentScreen
from tui.screens.documents import DocumentsScreen
from tui.screens.goals import GoalsScreen
from tui.screens.help import HelpScreen
from tui.screens.sources import SourcesScreen
from tui.screens.today import TodayScreen
from tui.search import SearchIndex

POLL_SECONDS = 5.0


class TrackerApp(App[int]):
    """The dashboard. Keys everywhere (each screen adds its own; Help lists them all):

    | key | does |
    |---|---|
    | `t` `g` `d` `a` `s` | Today, Goals, Documents, Actions, Sources |
    | `?` / `f1` | Help: every key |
    | `/` | search documents |
    | `ctrl+p` | command palette |
    | `ctrl+r` | refresh now |
    | `q` | quit |
    """

    CSS_PATH = "app.tcss"
    TITLE = "advocacy-tracker"
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {
        "today": TodayScreen,
        "goals": GoalsScreen,
        "documents": DocumentsScreen,
        "actions": ActionsScreen,
        "sources": SourcesScreen,
        "help": HelpScreen,
    }
    DEFAULT_MODE = "today"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "go('today')", "Today"),
        Binding("g", "go('goals')", "Goals"),
        Binding("d", "go('documents')", "Documents"),
        Binding("a", "go('actions')", "Actions"),
        Binding("s", "go('sources')", "Sources"),
        Binding("question_mark,f1", "go('help')", "Help"),
        Binding("slash", "search", "Search"),
        Binding("ctrl+r", "reload", "Refresh", show=False),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        store: Store,
        *,
        settings: Settings | None = None,
        goals: Iterable[GoalInfo] = (),
        goals_error: str | None = None,
        staff: str | None = None,
        today: Callable[[], date] = date.today,
        demo: bool = False,
        poll_seconds: float = POLL_SECONDS,
        actions: ActionsBackend | None = None,
        schedule: Callable[[Settings | None], ScheduleState] | None = start_schedule,
    ) -> None:
        super().__init__()
        self.store = store
        self.settings = settings
        self.goals: tuple[GoalInfo, ...] = tuple(goals)
        self.goals_error = goals_error
        self.staff = staff or staff_name()
        self.today = today
        self.demo = demo
        self.poll_seconds = poll_seconds
        self.actions = actions or load_actions_backend(store, settings.home if settings else None)
        self._schedule_starter = schedule
        self._schedule: ScheduleState | None = None
        self._shutting_down = False
        self._schedule_lock = threading.Lock()
        self.latest_seen = -1
        self.search_index = SearchIndex()
        self._painted = False
        self._schedule_text = "schedule: …" if schedule is not None else "schedule: off"
        self._last_poll_error: str | None = None
        if demo:
            self.title = "advocacy-tracker — DEMO DATA (synthetic pages served on 127.0.0.1)"
        self._update_subtitle()

    # -- lifecycle ---------------------------------------------------------------------

    def on_mount(self) -> None:
        """Start polling the event log, decide who runs the schedule, show goal errors."""
        if self.goals_error:
            self.notify(self.goals_error, title="goals file", severity="error", markup=False,
                        timeout=15)
        if self.poll_seconds > 0:
            self.set_interval(self.poll_seconds, self.poll_event_log)
        self.poll_event_log()
        if self._schedule_starter is not None:
            self.start_schedule_worker()

    @work(thread=True, exclusive=True, group="actions-vault", exit_on_error=False)
    def prepare_actions(self) -> None:
        """Open the actions vault (a memory-hard KDF: never on the UI thread)."""
        try:
            self.actions.prepare()
        except (ActionError, TrackerError, SQLAlchemyError) as exc:
            self.post_message(LoadFailed("actions", str(exc)))

    def on_unmount(self) -> None:
        """Stop an in-process schedule (waits for a running job to finish its
        transaction)."""
        self._shutting_down = True
        self._stop_schedule()

    def _stop_schedule(self) -> None:
        """Stop the in-process schedule once, whichever thread gets here first."""
        with self._schedule_lock:
            state, self._schedule = self._schedule, None
        if state is not None and state.stop is not None:
            state.stop()

    @work(thread=True, exclusive=True, group="schedule", exit_on_error=False)
    def start_schedule_worker(self) -> None:
        """Ask who holds the scheduler lock (may start the schedule here)."""
        assert self._schedule_starter is not None
        try:
            state = self._schedule_starter(self.settings)
        except (OSError, SQLAlchemyError, TrackerError) as exc:
            self.post_message(LoadFailed("schedule", str(exc)))
            return
        with self._schedule_lock:
            self._schedule = state
        if self._shutting_down:
            self._stop_schedule()  # the app closed while the schedule was starting
            return
        self.post_message(ScheduleChanged(state.text))

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def poll_event_log(self) -> None:
        """Read the newest event id (cheap) and report when it moved."""
        try:
            latest = latest_event_id(self.store.engine)
        except SQLAlchemyError as exc:
            if str(exc) != self._last_poll_error:
                self._last_poll_error = str(exc)
                self.post_message(LoadFailed("event log", str(exc)))
            return
        self._last_poll_error = None
        self.post_message(EventLogAdvanced(latest))

    # -- messages ------------------------------------------------------------------------

    def on_event_log_advanced(self, message: EventLogAdvanced) -> None:
        """Refresh what is on screen when the daemon (or a colleague) wrote."""
        first = self.latest_seen < 0
        if message.latest_id == self.latest_seen:
            return
        self.latest_seen = message.latest_id
        if not first:
            self.action_reload()
            if self.search_index.snapshot is not None:
                self.refresh_index()

    def first_paint_done(self) -> None:
        """After the first view is on screen (not before: they would slow it down), open
        the actions vault and build the search index, in the background."""
        if not self._painted:
            self._painted = True
            self.prepare_actions()
            self.refresh_index()

    @work(thread=True, exclusive=True, group="index", exit_on_error=False)
    def refresh_index(self) -> None:
        """Build or update the documents search index."""
        try:
            self.search_index.refresh(self.store.engine)
        except SQLAlchemyError as exc:
            self.post_message(LoadFailed("search index", str(exc)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that crashed is reported, never silently dropped."""
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.notify(f"{event.worker.name}: {type(error).__name__}: {error}",
                        title="error", severity="error", markup=False, timeout=15)

    def on_load_failed(self, message: LoadFailed) -> None:
        """Errors are shown, never swallowed."""
        self.notify(f"{message.what}: {message.error}", title="error", severity="error",
                    markup=False, timeout=10)

    def on_schedule_changed(self, message: ScheduleChanged) -> None:
        """Say in the header who runs the schedule."""
        self._schedule_text = message.text
        self._update_subtitle()

    def on_open_document(self, message: OpenDocument) -> None:
        """Open the document screen on top of the current mode."""
        self.push_screen(DocumentScreen(message.document_id))

    def _update_subtitle(self) -> None:
        parts = [f"staff: {self.staff}", self._schedule_text]
        self.sub_title = " · ".join(parts)

    # -- actions -------------------------------------------------------------------------

    async def action_go(self, mode: str) -> None:
        """Show a mode's main screen (also from a document opened in that mode). Ignored
        while a form is open, so a stray key never throws away what was typed."""
        if isinstance(self.screen, ModalScreen):
            return
        if self.current_mode != mode:
            await self.switch_mode(mode)
            return
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def action_reload(self) -> None:
        """Reload the data of the screen on top."""
        if isinstance(self.screen, DataScreen):
            self.screen.reload()

    async def action_search(self) -> None:
        """Go to Documents and put the cursor in the search field."""
        await self.action_go("documents")
        screen = self.screen
        if isinstance(screen, DocumentsScreen):
            screen.focus_filter()

    async def action_new_action(self) -> None:
        """Record an action (from the palette)."""
        await self.action_go("actions")
        screen = self.screen
        if isinstance(screen, ActionsScreen):
            screen.action_new()

    def open_official_page(self, url: str) -> None:
        """Open a document's official page: in the browser on a desktop; over SSH (or with
        no graphical browser) show the address and copy it to the clipboard instead, since a
        text-mode browser would fight the dashboard for the terminal."""
        if not url.startswith(("https://", "http://")):
            self.notify(f"not a web address: {url}", severity="error", markup=False)
            return
        remote = bool(os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"))
        desktop = sys.platform in ("darwin", "win32") or bool(
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
        if remote or not desktop:
            self.copy_to_clipboard(url)
            self.notify(f"Open in your browser (copied to the clipboard): {url}",
                        markup=False, timeout=15)
            return
        self.run_worker(lambda: webbrowser.open(url, new=2), thread=True, group="browser")
        self.notify("Opening the official page in your browser…", markup=False)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Command palette entries for the main actions."""
        yield from super().get_system_commands(screen)
        yield SystemCommand("Today", "What is new since your last visit", self._mode("today"))
        yield SystemCommand("Mark today as read", "Advance your 'new since last visit' mark",
                            self._mark_read)
        yield SystemCommand("Goals", "Each goal with documents by stage", self._mode("goals"))
        yield SystemCommand("Documents", "Filter and sort every document",
                            self._mode("documents"))
        yield SystemCommand("Search documents", "Full-text search over titles and text",
                            self.action_search)
        yield SystemCommand("Record an action", "Meeting, letter, public comment…",
                            self.action_new_action)
        yield SystemCommand("Actions and follow-ups", "Your actions and follow-ups due",
                            self._mode("actions"))
        yield SystemCommand("Run a source now", "Sources: health, last run, run now",
                            self._mode("sources"))
        yield SystemCommand("Help", "Every key", self._mode("help"))
        yield SystemCommand("Refresh", "Reload the data on screen", self.action_reload)

    def _mode(self, mode: str) -> Callable[[], Any]:
        return lambda: self.action_go(mode)

    async def _mark_read(self) -> None:
        await self.action_go("today")
        screen = self.screen
        if isinstance(screen, TodayScreen):
            screen.action_mark_read()


def run_dashboard(store: Store, *, settings: Settings | None = None,
                  goals: Iterable[GoalInfo] = (), goals_error: str | None = None,
                  demo: bool = False, headless: bool = False) -> int:  # fmt: skip
    """Run the dashboard until the user quits; return the exit code. ``headless`` mounts it
    without a terminal, waits for the Today view and exits (for the demo's end-to-end test)."""
    # Headless runs are checks and the demo's sources point at a replay server that is gone:
    # neither runs the schedule.
    app = TrackerApp(store, settings=settings, goals=goals, goals_error=goals_error,
                     demo=demo, schedule=None if headless or demo else start_schedule)
    if headless:
        async def auto_pilot(pilot: Any) -> None:
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            app.exit(0)

        app.run(headless=True, size=(120, 40), auto_pilot=auto_pilot)
    else:
        app.run()
    return app.return_code or 0


def run_demo_dashboard(settings: Settings, store: Store | None = None, *,
                       headless: bool = False) -> int:  # fmt: skip
    """Open the dashboard on the demo home (the title says the data is a demo)."""
    from tracker.views import load_goal_infos

    own = store is None
    store = store or Store.open(settings.database_url)
    try:
        return run_dashboard(store, settings=settings, goals=load_goal_infos(settings.home),
                             demo=True, headless=headless)
    finally:
        if own:
            store.close()
