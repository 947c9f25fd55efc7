"""JSON helpers shared by the sources that read JSON APIs: fail loudly, naming the key path."""

from __future__ import annotations

import json
from typing import Any

from sources.base import Page
from tracker.errors import LayoutChanged


def json_of(text: str, url: str) -> Any:
    """Parse a JSON body; an HTML page where JSON was expected means the API moved."""
    try:
        return json.loads(text)
    except ValueError:
        raise LayoutChanged("<JSON body>", url, f"not JSON: {text[:60]!r}") from None


def at_path(obj: Any, path: str, url: str, where: str = "") -> Any:
    """The value at dotted ``path``; LayoutChanged naming the full key path when missing."""
    for key in path.split("."):
        if not isinstance(obj, dict) or key not in obj:
            raise LayoutChanged(f"{where}{path}", url, "key missing")
        obj = obj[key]
    return obj


def scalar_text(value: Any, path: str, url: str) -> str:
    """A string or number as text; an object or list means the field moved (or nests)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise LayoutChanged(path, url, f"expected text or a number, got {type(value).__name__}")


def page_text(page: Page) -> str:
    """The body of a non-304 page (the fetcher gives text for every 2xx)."""
    if page.text is None:
        raise LayoutChanged("<body>", page.url, "empty response body")
    return page.text
