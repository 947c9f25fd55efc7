"""Scraped text made safe for the screen: always `rich.text.Text`, never markup."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rich.text import Text

from tracker.textsafe import terminal_safe

# Bidirectional overrides and isolates can make a title display in a misleading order.
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_WORD = re.compile(r"[^\W_][\w-]*\*?", re.UNICODE)
_OPERATORS = frozenset({"and", "or", "not", "near", "except", "title", "text", "labels"})

TONE_STYLE = {"good": "bold green", "bad": "bold red", "neutral": "dim"}
TONE_LABEL = {"good": "▲ good", "bad": "▼ bad", "neutral": "·"}
HEALTH_STYLE = {"ok": "green", "degraded": "yellow", "broken": "bold red"}
HIGHLIGHT = "bold black on yellow"


def safe(value: object) -> str:
    """Untrusted text without control characters (escape sequences) or bidi overrides."""
    return _BIDI.sub("", terminal_safe(value))


def plain(value: object, style: str = "") -> Text:
    """Untrusted text as a plain `Text`: shown literally, whatever brackets it contains."""
    return Text(safe(value), style=style)


def one_line(value: object, limit: int = 200, style: str = "") -> Text:
    """Untrusted text on one line, shortened to ``limit`` characters."""
    text = " ".join(safe(value).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return Text(text, style=style)


_OMNIBUS = re.compile(
    r"^(?:Проект Закона Республики Казахстан\s*«)?О внесении изменени\w*"
    r"(?:\s+и\s+дополнени\w*)?\s+в\s+(?:некоторые законодательные акты Республики "
    r"Казахстан\s+)?", re.IGNORECASE)


def short_title(value: object, limit: int = 60, style: str = "") -> Text:
    """A title for a narrow column: omnibus titles («О внесении изменений и дополнений в
    некоторые законодательные акты Республики Казахстан по вопросам …») all start alike,
    so their common opening is replaced by «…» to show the part that tells them apart."""
    title = " ".join(safe(value).split())
    trimmed = _OMNIBUS.sub("", title)
    if trimmed != title and len(trimmed) > 15:
        title = "…" + trimmed.rstrip("»")
    return one_line(title, limit, style)


def days_text(days: int) -> Text:
    """Days left until a date (negative: overdue), coloured by urgency."""
    if days < 0:
        return Text(f"overdue {-days} d", style="bold red")
    if days == 0:
        return Text("today", style="bold red")
    style = "bold yellow" if days <= 2 else ""
    return Text(f"{days} day" + ("" if days == 1 else "s"), style=style)


def tone_text(tone: str) -> Text:
    """Good / bad news marker."""
    return Text(TONE_LABEL.get(tone, tone), style=TONE_STYLE.get(tone, ""))


def term_prefixes(term: str) -> list[tuple[str, bool, int]]:
    """Words of a goal's query term as (folded prefix, exact, longest form) triples:
    ``дискриминац*`` is a prefix of any length, ``=ЛГБТ`` an exact form, and other words
    match inflected forms sharing their first letters and at most 4 letters longer
    (насилие → насилия, насилием; прав → права, правам, but not правонарушениях)."""
    out: list[tuple[str, bool, int]] = []
    for match in _WORD.finditer(term):
        word = match.group(0)
        start = match.start()
        exact = start > 0 and term[start - 1] == "="
        if word.lower() in _OPERATORS or (start > 0 and term[start - 1] == "/"):
            continue
        if len(word) <= 2 and not exact:
            continue  # и, в, of: highlighting every one would hide the real words
        if word.endswith("*"):
            out.append((_fold(word[:-1]), False, 10_000))
        elif exact or len(word) <= 3:
            out.append((_fold(word), True, len(word)))
        else:
            out.append((_fold(word[: max(4, len(word) - 2)]), False, len(word) + 4))
    return out


def highlight(snippet: object, terms: Iterable[str], style: str = "") -> Text:
    """The snippet as plain text with every word of ``terms`` highlighted by styling spans
    of the `Text` (never by inserting markup)."""
    text = plain(snippet, style)
    prefixes = [p for term in terms for p in term_prefixes(term) if p[0]]
    if not prefixes:
        return text
    for match in _WORD.finditer(text.plain):
        # A hyphenated word (ЛГБТ-люди, зорлық-зомбылыққа) as a whole, else by its parts.
        pieces = [(match.group(0), match.start())]
        if "-" in match.group(0):
            offset = match.start()
            for part in match.group(0).split("-"):
                pieces.append((part, offset))
                offset += len(part) + 1
        for piece, start in pieces:
            if piece and _matches(_fold(piece), prefixes):
                text.stylize(HIGHLIGHT, start, start + len(piece))
                break
    return text


def _matches(word: str, prefixes: list[tuple[str, bool, int]]) -> bool:
    return any((word == prefix) if exact else (word.startswith(prefix) and len(word) <= most)
               for prefix, exact, most in prefixes)


def short_hash(value: str | None) -> str:
    """The first 12 hex digits of an evidence hash."""
    return value[:12] if value else "—"


def _fold(word: str) -> str:
    return word.casefold().replace("ё", "е")
