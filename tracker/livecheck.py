"""`tracker sources check --live`: does each source's layout still parse on the real site?

For a person with internet: a source is run through its real crawl, with a small request
budget, without conditional requests (a 304 would hide a changed layout), and nothing is
stored. The report says, per source, whether it parsed, how many items it saw and what
failed — naming the selector or JSON key when the layout moved.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from tracker.catalog import class_for
from tracker.config import Settings
from tracker.errors import TrackerError
from tracker.fetch import BoundFetcher, Fetcher, FetchResult
from tracker.streaming import StreamedBody


class _BudgetSpent(Exception):
    """Raised inside a crawl once the check has seen enough."""


class _CheckHTTP:
    """A bound fetcher that never sends conditional requests and stops after a budget."""

    def __init__(self, inner: BoundFetcher, budget: int) -> None:
        self._inner = inner
        self._left = budget
        self.pages = 0

    def _spend(self) -> None:
        if self._left <= 0:
            raise _BudgetSpent
        self._left -= 1
        self.pages += 1

    def get(
        self, url: str, *, conditional: bool = True, headers: Mapping[str, str] | None = None
    ) -> FetchResult:
        self._spend()
        return self._inner.get(url, conditional=False, headers=headers)

    def stream(
        self, url: str, *, conditional: bool = True, headers: Mapping[str, str] | None = None
    ) -> AbstractContextManager[StreamedBody]:
        self._spend()
        return self._inner.stream(url, conditional=False, headers=headers)

    def post_json(
        self, url: str, payload: Any, *, headers: Mapping[str, str] | None = None
    ) -> FetchResult:
        self._spend()
        return self._inner.post_json(url, payload, headers=headers)


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one source."""

    source: str
    ok: bool
    items: int
    pages: int
    message: str
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {"source": self.source, "ok": self.ok, "items": self.items,
                "pages": self.pages, "message": self.message, "warnings": list(self.warnings)}


def check_source(
    key: str, settings: Settings, fetcher: Fetcher, budget: int | None = None
) -> CheckResult:
    """Fetch up to ``budget`` pages (default: the source's own ``check_budget``) of one
    source through its real crawl and parse them."""
    cls = class_for(key, settings)
    source_settings = settings.source(key)
    allow = source_settings.robots_override.paths if source_settings.robots_override else ()
    http = _CheckHTTP(fetcher.bound(allow), budget or cls.check_budget)
    source = cls(http, base_url=source_settings.base_url, options=source_settings.options,
                 name=key)
    items = 0
    try:
        for _record in source.crawl():
            items += 1
    except _BudgetSpent:
        pass
    except TrackerError as exc:
        return CheckResult(key, False, items, http.pages, str(exc), tuple(source.warnings))
    except Exception as exc:  # a crashing parser is a finding, not a reason to stop checking
        return CheckResult(key, False, items, http.pages,
                           f"unexpected {type(exc).__name__}: {exc}", tuple(source.warnings))
    if items == 0 and not source.may_be_empty:
        return CheckResult(key, False, 0, http.pages,
                           "parsed, but found no items in the first pages",
                           tuple(source.warnings))
    return CheckResult(key, True, items, http.pages, f"parsed {items} items",
                       tuple(source.warnings))
