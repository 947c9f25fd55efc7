"""Scraped text is untrusted: make it safe for the terminal and for CSV."""

from __future__ import annotations

import re

# C0 and C1 control characters except tab and newline, and the DEL character: they would
# let a hostile page move the cursor, recolour or rewrite a terminal (ANSI escapes).
# Also the invisible format characters that reorder or hide text: the Arabic letter mark,
# LRM/RLM, bidirectional embeddings, overrides and isolates (U+202E makes a title read
# backwards, "Trojan Source"), the zero-width space, the word joiner and the BOM. The zero-width
# (non-)joiners U+200C/U+200D stay: Persian, Indic scripts and emoji need them.
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]"
)
_CSV_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def terminal_safe(value: object) -> str:
    """Text with control characters (and so escape sequences) and bidi/invisible marks
    removed."""
    return _CONTROL.sub("", "" if value is None else str(value))


def csv_safe(value: object) -> str:
    """Text a spreadsheet will not run as a formula (OWASP CSV injection rule). Leading white
    space does not hide a formula: importers that trim cells would still run it."""
    text = terminal_safe(value)
    risky = text.startswith(_CSV_FORMULA) or text.lstrip().startswith(_CSV_FORMULA)
    return "'" + text if risky else text


def json_escape_controls(text: str) -> str:
    r"""JSON text with every character ``terminal_safe`` would remove written as a ``\uXXXX``
    escape instead. ``json.dumps(ensure_ascii=False)`` escapes C0 controls only, so C1
    controls (U+009B is CSI on xterm) and bidi overrides would otherwise reach a terminal.
    Inside a JSON string the escape decodes back to the same character, so the data stays
    exact; outside strings JSON never contains these characters."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
