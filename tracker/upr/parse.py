"""Parse UPR recommendations from the two inputs into one model (pure functions).

* UHRI bulk export records (../shared/SOURCES.md §8.1): ``AnnotationId``, ``Text`` (HTML,
  starting with the paragraph number), ``Symbol``, ``DocumentId``, ``Body``, ``Countries``,
  ``Themes``, ``AffectedPersons``, ``Sdgs``, ``PublicationDate``, ``UprCycle``,
  ``UprRecommendingCountry``. The position's field name in the JSON is not documented: it is
  read only from the field the ``export_position_field`` option names.
* UPR Info (Uwazi) search rows (§8.2): ``sharedId`` and ``metadata.<key>[i].label|value`` for
  ``recommendation``, ``state_under_review``, ``recommending_state``, ``response``,
  ``issues``, ``cycle``, ``session``, ``action_category``.

A malformed item raises :class:`Malformed` naming the key; the caller skips and reports it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Export keys this module relies on (one place, so a live check can name the wrong one).
EXPORT_KEYS = {
    "id": "AnnotationId", "text": "Text", "symbol": "Symbol", "document": "DocumentId",
    "body": "Body", "countries": "Countries", "themes": "Themes",
    "persons": "AffectedPersons", "sdgs": "Sdgs", "published": "PublicationDate",
    "cycle": "UprCycle", "states": "UprRecommendingCountry", "type": "AnnotationType",
}
#: UPR Info metadata keys.
API_KEYS = {
    "text": "recommendation", "state": "state_under_review", "states": "recommending_state",
    "response": "response", "issues": "issues", "cycle": "cycle", "session": "session",
    "action": "action_category",
}

# "<[^<>]+>", not "<[^>]+>": the latter is quadratic on a run of unclosed "<".
_TAG = re.compile(r"<[^<>]+>")
_PARAGRAPH = re.compile(r"^\s*(\d{1,3}\.\d{1,3})\.?\s+(?=\S)")
_INT = re.compile(r"\d+")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
SYMBOL = re.compile(r"^A/HRC/\d+/\d+$")


class Malformed(ValueError):
    """An input item without a field this parser needs (the message names the key)."""


@dataclass
class Rec:
    """One recommendation as one input channel saw it."""

    channel: str  # "uhri" | "upr_info"
    raw_id: str
    text: str
    state: str | None = None
    cycle: int | None = None
    session: int | None = None
    symbol: str | None = None
    paragraph: str | None = None
    states_raw: list[str] = field(default_factory=list)
    position_raw: str | None = None
    themes_raw: list[str] = field(default_factory=list)
    persons_raw: list[str] = field(default_factory=list)
    sdgs: list[str] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)
    action_category: str | None = None
    published: str | None = None
    document_id: str | None = None
    #: sha256 of the archived response this was read from (None for a local file).
    evidence: str | None = None


def strip_html(value: str) -> str:
    """Visible text of an HTML fragment: tags dropped, entities and &nbsp; decoded,
    whitespace collapsed."""
    text = html.unescape(_TAG.sub(" ", value)).replace("\xa0", " ")
    return " ".join(text.split())


def split_paragraph(text: str) -> tuple[str | None, str]:
    """``"124.6 Adopt …"`` → ``("124.6", "Adopt …")``; no number → ``(None, text)``."""
    match = _PARAGRAPH.match(text)
    if not match:
        return None, text
    return match.group(1), text[match.end():]


def cycle_number(value: Any) -> int | None:
    """``3``, ``"3"``, ``"Cycle 3"``, ``"3rd cycle"`` → 3; nothing numeric → None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        match = _INT.search(value)
        if match is None:
            return None
        if len(match.group()) > 4:  # int() of 4,300+ digits raises; no UPR cycle is that big
            digits = len(match.group())
            raise Malformed(f"cycle label with a {digits}-digit number is not a cycle")
        return int(match.group())
    return None


def iso_date(value: Any) -> str | None:
    """The ``YYYY-MM-DD`` prefix of an ISO-8601 value, or None."""
    if isinstance(value, str):
        match = _DATE.match(value.strip())
        if match:
            return "-".join(match.groups())
    return None


def _strings(item: Mapping[str, Any], key: str) -> list[str]:
    value = item.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v for v in value if v.strip()]
    raise Malformed(f"{key}: expected a list of strings, got {type(value).__name__}")


def parse_export_item(
    item: Any, *, state: str, position_field: str = ""
) -> Rec:
    """One UHRI export record (already filtered to the state and ``- UPR``) → Rec."""
    if not isinstance(item, Mapping):
        raise Malformed(f"record: expected an object, got {type(item).__name__}")
    keys = EXPORT_KEYS
    raw_id = item.get(keys["id"])
    if not isinstance(raw_id, str) or not raw_id.strip():
        raise Malformed(f"{keys['id']}: missing or not a string")
    text_html = item.get(keys["text"])
    if not isinstance(text_html, str) or not text_html.strip():
        raise Malformed(f"{keys['text']}: missing or not a string (record {raw_id})")
    symbol = item.get(keys["symbol"])
    if symbol is not None and not isinstance(symbol, str):
        raise Malformed(f"{keys['symbol']}: not a string (record {raw_id})")
    paragraph, text = split_paragraph(strip_html(text_html))
    position = item.get(position_field) if position_field else None
    if position is not None and not isinstance(position, str):
        raise Malformed(f"{position_field}: not a string (record {raw_id})")
    document = item.get(keys["document"])
    return Rec(
        channel="uhri",
        raw_id=raw_id.strip(),
        text=text,
        state=state,
        cycle=cycle_number(item.get(keys["cycle"])),
        symbol=(symbol or "").strip() or None,
        paragraph=paragraph,
        states_raw=_strings(item, keys["states"]),
        position_raw=position.strip() if isinstance(position, str) and position.strip() else None,
        themes_raw=_strings(item, keys["themes"]),
        persons_raw=_strings(item, keys["persons"]),
        sdgs=_strings(item, keys["sdgs"]),
        published=iso_date(item.get(keys["published"])),
        document_id=document if isinstance(document, str) else None,
    )


def _meta_values(metadata: Mapping[str, Any], key: str, attr: str) -> list[str]:
    values = metadata.get(key) or []
    if not isinstance(values, list):
        raise Malformed(f"metadata.{key}: expected a list")
    out = []
    for value in values:
        if isinstance(value, Mapping):
            got = value.get(attr)
            if got is None and attr == "label":
                got = value.get("value")
            if isinstance(got, str) and got.strip():
                out.append(got.strip())
        elif isinstance(value, str) and value.strip():
            out.append(value.strip())
    return out


def _first(metadata: Mapping[str, Any], key: str, attr: str = "label") -> str | None:
    values = _meta_values(metadata, key, attr)
    return values[0] if values else None


def parse_api_row(row: Any, *, paragraph_field: str = "") -> Rec:
    """One UPR Info search row → Rec. The text may or may not start with the paragraph
    number (not documented); ``paragraph_field`` names a metadata key that holds it."""
    if not isinstance(row, Mapping):
        raise Malformed(f"row: expected an object, got {type(row).__name__}")
    shared_id = row.get("sharedId")
    if not isinstance(shared_id, str) or not shared_id.strip():
        raise Malformed("sharedId: missing or not a string")
    metadata = row.get("metadata")
    if not isinstance(metadata, Mapping):
        raise Malformed(f"metadata: missing (row {shared_id})")
    keys = API_KEYS
    raw_text = _first(metadata, keys["text"], "value")
    if not raw_text:
        raise Malformed(f"metadata.{keys['text']}: missing (row {shared_id})")
    paragraph, text = split_paragraph(strip_html(raw_text))
    if paragraph is None and paragraph_field:
        paragraph = _first(metadata, paragraph_field, "value")
    return Rec(
        channel="upr_info",
        raw_id=shared_id.strip(),
        text=text,
        state=_first(metadata, keys["state"]),
        cycle=cycle_number(_first(metadata, keys["cycle"])),
        session=cycle_number(_first(metadata, keys["session"])),
        paragraph=paragraph,
        states_raw=_meta_values(metadata, keys["states"], "label"),
        position_raw=_first(metadata, keys["response"]),
        issues=_meta_values(metadata, keys["issues"], "label"),
        action_category=_first(metadata, keys["action"]),
    )


def text_key(text: str) -> str:
    """The comparison key of a recommendation text across the two inputs: the paragraph
    number and the trailing "(States);" dropped, case-folded, punctuation as spaces."""
    _, body = split_paragraph(text)
    body = strip_trailing_parenthetical(body)
    return " ".join(re.sub(r"[\W_]+", " ", body.casefold()).split())


def strip_trailing_parenthetical(text: str) -> str:
    """Drop a final balanced ``( … )`` group (the recommending states) and the ``;``/``.``
    around it; nested parentheses such as "(Iran (Islamic Republic of))" are handled."""
    body = text.rstrip().rstrip(";.,").rstrip()
    if not body.endswith(")"):
        return body
    depth = 0
    for index in range(len(body) - 1, -1, -1):
        if body[index] == ")":
            depth += 1
        elif body[index] == "(":
            depth -= 1
            if depth == 0:
                return body[:index].rstrip().rstrip(";.,").rstrip()
    return body
