"""One error hierarchy: the CLI prints any TrackerError as one clear line."""

from __future__ import annotations


class TrackerError(Exception):
    """Base of every error the tracker reports to a person."""

    exit_code = 1


class ConfigError(TrackerError):
    """A bad config file, goals file or command-line value (exit 2)."""

    exit_code = 2


class UsageError(TrackerError):
    """A bad command-line argument (exit 2)."""

    exit_code = 2


class StoreError(TrackerError):
    """The database could not be opened or migrated."""


class SourceError(TrackerError):
    """A source could not produce its records."""


class FetchError(SourceError):
    """An HTTP request failed for good (after retries), or was refused by policy."""

    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        super().__init__(f"{message} ({url})")
        self.url = url
        self.status = status


class RobotsDisallowed(FetchError):
    """robots.txt forbids the URL and no explicit per-source override allows it."""


class LayoutChanged(SourceError):
    """The anchor elements a parser relies on are missing: the site changed its layout."""

    def __init__(self, selector: str, url: str, detail: str = "") -> None:
        extra = f": {detail}" if detail else ""
        super().__init__(f"layout changed: no match for {selector!r} at {url}{extra}")
        self.selector = selector
        self.url = url


class NoContent(SourceError):
    """The page is an empty JavaScript shell (or similar): it carries no content to parse."""

    def __init__(self, url: str, why: str) -> None:
        super().__init__(f"no content at {url}: {why}")
        self.url = url


class EmptyResult(SourceError):
    """A source yielded zero records although it was not declared possibly empty."""
