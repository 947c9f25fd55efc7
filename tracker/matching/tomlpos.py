"""Where things are in a TOML file: positions of ``[[goal]]`` tables, keys and string values.

``tomllib`` gives values but no positions; a goal query is a (multi-line) string, and an
error in it must be reported at its line and column in the *file*. This scanner finds the
array-of-tables headers and, inside each, every ``key = value`` with the file offset of the
value and, for strings, a map from each character of the decoded string to its file offset.
It understands comments, the four string kinds, escapes and multi-line arrays; anything it
does not understand simply gets no position (errors then point at the table header).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_KEY = re.compile(r'[ \t]*([A-Za-z0-9_-]+|"[^"\n]*"|\'[^\'\n]*\')[ \t]*=[ \t]*')
_HEADER = re.compile(r"[ \t]*(\[\[?)[ \t]*([^\]\n]*?)[ \t]*\]\]?")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


@dataclass
class ValuePos:
    """A key's position; for a string value, ``offsets[i]`` is the file offset of char i."""

    key_offset: int
    value_offset: int
    offsets: list[int] | None = None
    decoded: str | None = None


@dataclass
class TablePos:
    """One ``[[name]]`` (or ``[name]``) table: its header offset and its keys."""

    name: str
    offset: int
    keys: dict[str, ValuePos] = field(default_factory=dict)


def scan(text: str) -> list[TablePos]:
    """Every table of ``text`` in order (a leading pseudo-table ``""`` holds top-level keys)."""
    tables = [TablePos("", 0)]
    i = 0
    n = len(text)
    while i < n:
        line_end = text.find("\n", i)
        line_end = n if line_end < 0 else line_end
        stripped = text[i:line_end].strip()
        if not stripped or stripped.startswith("#"):
            i = line_end + 1
            continue
        header = _HEADER.match(text, i, line_end)
        if header is not None and stripped.startswith("["):
            tables.append(TablePos(header.group(2), header.start(1)))
            i = line_end + 1
            continue
        key = _KEY.match(text, i, line_end)
        if key is None:
            i = line_end + 1
            continue
        name = key.group(1).strip("\"'")
        value_at = key.end()
        pos = ValuePos(key.start(1), value_at)
        i = _skip_value(text, value_at, pos)
        tables[-1].keys.setdefault(name, pos)
    return tables


def _skip_value(text: str, start: int, pos: ValuePos) -> int:
    """Skip one value starting at ``start``; record string offsets in ``pos``; return next i."""
    if text.startswith(("'''", '"""'), start):
        end = _decode(text, start, 3, pos)
    elif text.startswith(("'", '"'), start):
        end = _decode(text, start, 1, pos)
    elif text.startswith(("[", "{"), start):
        end = _skip_brackets(text, start)
    else:
        end = start
    line_end = text.find("\n", end)
    return len(text) if line_end < 0 else line_end + 1


def _decode(text: str, start: int, width: int, pos: ValuePos) -> int:
    quote = text[start]
    closing = quote * width
    i = start + width
    if width == 3 and text.startswith("\n", i):
        i += 1  # a newline right after the opening delimiter is trimmed
    elif width == 3 and text.startswith("\r\n", i):
        i += 2
    chars: list[str] = []
    offsets: list[int] = []
    while i < len(text):
        if text.startswith(closing, i):
            # up to two quotes may sit just before the closing delimiter
            while width == 3 and text.startswith(quote, i + 3):
                chars.append(quote)
                offsets.append(i)
                i += 1
            pos.offsets, pos.decoded = offsets, "".join(chars)
            return i + width
        char = text[i]
        if quote == '"' and char == "\\":
            i = _escape(text, i, chars, offsets)
            continue
        if width == 1 and char == "\n":
            break
        chars.append(char)
        offsets.append(i)
        i += 1
    return i  # unterminated: tomllib reports it


def _escape(text: str, i: int, chars: list[str], offsets: list[int]) -> int:
    nxt = text[i + 1 : i + 2]
    if nxt in _ESCAPES:
        chars.append(_ESCAPES[nxt])
        offsets.append(i)
        return i + 2
    if nxt in ("u", "U"):
        width = 4 if nxt == "u" else 8
        try:
            chars.append(chr(int(text[i + 2 : i + 2 + width], 16)))
        except ValueError:
            return i + 2
        offsets.append(i)
        return i + 2 + width
    # line-ending backslash: skip it and all whitespace (newlines included) after it
    j = i + 1
    while j < len(text) and text[j] in " \t\r\n":
        j += 1
    return j


def _skip_brackets(text: str, start: int) -> int:
    depth = 0
    i = start
    while i < len(text):
        char = text[i]
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return i + 1
        elif char == "#":
            newline = text.find("\n", i)
            i = len(text) if newline < 0 else newline
            continue
        elif char in "'\"":
            width = 3 if text.startswith(char * 3, i) else 1
            i = _decode(text, i, width, ValuePos(i, i))
            continue
        i += 1
    return i
