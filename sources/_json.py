"""JSON helpers shared by the sources that read JSON APIs: fail loudly, naming the key path."""

from __future__ import annotations

import json
import re
from typing import Any

from sources.base import Page
from tracker.errors import LayoutChanged

#: A JSON escape of a UTF-16 surrogate (``\ud800``): the only way a lone surrogate, which no
#: UTF-8 text can hold, gets into a parsed value (the fetcher decodes bodies with
#: errors="replace", so the text itself never has one).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def loads(text: str) -> Any:
    """``json.loads`` for untrusted bodies: ValueError (never RecursionError) for a document
    nested too deeply to read, and lone surrogates replaced by U+FFFD, as the fetcher does
    for undecodable bytes; a record holding one could not be stored (UTF-8)."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    if _SURROGATE_ESCAPE.search(text) is None and _SURROGATE.search(text) is None:
        return data
    return _scrub(data)


def _scrub(data: Any) -> Any:
    """``data`` with lone surrogates in strings and keys replaced (iterative: any depth)."""
    holder = [data]
    stack: list[tuple[Any, Any]] = [(holder, 0)]
    while stack:
        container, key = stack.pop()
        value = container[key]
        if isinstance(value, str):
            container[key] = _SURROGATE.sub("\ufffd", value)
        elif isinstance(value, list):
            stack.extend((value, index) for index in range(len(value)))
        elif isinstance(value, dict):
            fixed = {_SURROGATE.sub("\ufffd", k): v for k, v in value.items()}
            container[key] = fixed
            stack.extend((fixed, k) for k in fixed)
    return holder[0]


def json_of(text: str, url: str) -> Any:
    """Parse a JSON body; an HTML page where JSON was expected means the API moved."""
    try:
        return loads(text)
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
