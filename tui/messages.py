"""Messages shared by several screens (a screen's own messages live in its class)."""

from __future__ import annotations

from textual.message import Message


class LoadFailed(Message):
    """A worker could not read or write the store: shown as an error, never swallowed."""

    def __init__(self, what: str, error: str) -> None:
        super().__init__()
        self.what = what
        self.error = error


class EventLogAdvanced(Message):
    """The event log has events newer than the dashboard last saw (the daemon wrote)."""

    def __init__(self, latest_id: int) -> None:
        super().__init__()
        self.latest_id = latest_id


class OpenDocument(Message):
    """Open the document screen for a document."""

    def __init__(self, document_id: int) -> None:
        super().__init__()
        self.document_id = document_id


class ScheduleChanged(Message):
    """The schedule's state for the header (daemon / in-process / off)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
