"""Scraped text is untrusted: make it safe for the terminal and for CSV."""

from __future__ import annotations

import re

# C0 and C1 control characters except tab and newline, and the DEL character: they would
# let a hostile page move the cursor, recolour or rewrite a terminal (ANSI escapes).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidirectional overrides and isolates: they can make a title display as something else.
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CSV_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def terminal_safe(value: object) -> str:
    """Text with control characters (and so escape sequences) removed."""
    return _BIDI.sub("", _CONTROL.sub("", "" if value is None else str(value)))


def csv_safe(value: object) -> str:
    """Text a spreadsheet will not run as a formula (OWASP CSV injection rule)."""
    text = terminal_safe(value)
    return "'" + text if text.startswith(_CSV_FORMULA) else text
