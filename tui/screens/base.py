"""Base class of screens whose content comes from the store through thread workers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual.screen import Screen
from textual.widgets import DataTable

from tui.messages import LoadFailed

if TYPE_CHECKING:
    from tui.app import TrackerApp


class DataScreen(Screen[Any]):
    """A screen that loads its data in a worker and shows it in message handlers.

    ``generation`` counts the times data was shown (tests and the benchmark wait on it);
    ``request`` numbers the loads, so a slow, stale answer never overwrites a newer one.
    """

    generation = 0
    request = 0

    @property
    def tapp(self) -> TrackerApp:
        """The dashboard app (typed)."""
        return cast("TrackerApp", self.app)

    def on_screen_resume(self) -> None:
        """Fresh data whenever the screen comes (back) on top."""
        self.reload()

    def reload(self) -> None:
        """Start loading the screen's data (override)."""

    def next_request(self) -> int:
        """A new load number; answers to older ones are dropped."""
        self.request += 1
        return self.request

    def shown(self) -> None:
        """Call after putting data on screen."""
        self.generation += 1
        self.tapp.first_paint_done()

    def failed(self, what: str, error: BaseException) -> None:
        """From a worker: report an error to the app (shown as a notification)."""
        self.post_message(LoadFailed(what, str(error)))


def fill(table: DataTable[Any], rows: list[tuple[str, list[Text]]], empty: str) -> None:
    """Replace the rows of a table, keeping the cursor row when it still exists; a single
    dim row says so when there is nothing."""
    cursor = table.cursor_row
    table.clear()
    if not rows:
        width = len(table.columns)
        table.add_row(Text(empty, style="dim"), *[Text("")] * (width - 1), key="none")
        return
    for key, cells in rows:
        table.add_row(*cells, key=key)
    if 0 <= cursor < table.row_count:
        table.move_cursor(row=cursor)
