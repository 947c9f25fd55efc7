"""UPR vocabularies: positions, theme labels, recommending states, follow-up statuses.

Every function keeps the raw value next to the normalised one; nothing here guesses. The
variants come from ../shared/upr-samples/README.md (OHCHR matrices, UPR Info, WG reports).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: Staff's assessment of a recommendation's implementation (issue 4, item 2).
ASSESSMENT_STATUSES: tuple[str, ...] = (
    "not_started", "in_progress", "partially_implemented", "implemented", "regressed",
)
#: Kinds of relation between a recommendation and another document (schema `relations`).
RELATION_KINDS: tuple[str, ...] = ("implements", "contradicts", "related")


@dataclass(frozen=True)
class Position:
    """A normalised position: ``stage`` is ``supported``, ``noted`` or ``unknown`` (no
    position yet); ``kind`` says which sub-kind the raw value named."""

    stage: str
    kind: str


_POSITION_RULES: tuple[tuple[re.Pattern[str], Position], ...] = tuple(
    (re.compile(pattern), Position(stage, kind))
    for pattern, stage, kind in (
        # OHCHR matrices: partially supported.
        (r"^supported\s*/\s*noted$", "supported", "partially_supported"),
        (r"^partially (supported|accepted)$", "supported", "partially_supported"),
        # Cycle-2 WG reports (and the Kazakhstan CSV): two kinds of "supported".
        (r"^supported\b.*\balready (being )?implemented\b", "supported", "already_implemented"),
        (r"^supported\b.*\b(in (the )?process of implementation|being implemented)\b",
         "supported", "in_process"),
        (r"^(supported|accepted)$", "supported", "supported"),
        (r"^(noted|rejected)$", "noted", "noted"),
        # UPR Info's third value: an explicit refusal. Formally still "noted" (the UPR
        # knows only supported / noted); the raw value and the kind keep the difference.
        (r"^not supported$", "noted", "not_supported"),
        (r"^(under consideration|pending|will be examined|to be examined later)$",
         "unknown", "pending"),
        # Lead-in sentences of old WG reports.
        (r"did not (enjoy|receive) the support|\bhave been noted\b|\bwere noted\b",
         "noted", "noted"),
        (r"enjoy(ed)? the support.*already implemented", "supported", "already_implemented"),
        (r"enjoy(ed)? the support.*in the process of implementation", "supported",
         "in_process"),
        (r"enjoy(ed)? the support", "supported", "supported"),
        (r"will be examined", "unknown", "pending"),
    )
)


def _fold(value: str) -> str:
    return " ".join(value.replace("\xa0", " ").split()).casefold()


def normalise_position(raw: str | None, extra: Mapping[str, str] | None = None) -> Position | None:
    """The position a raw value names; None when it is unknown (the caller warns and keeps
    the raw value with stage ``unknown``). ``extra`` maps raw values (any case) to stages."""
    if raw is None or not raw.strip():
        return None
    folded = _fold(raw)
    for key, stage in (extra or {}).items():
        if _fold(key) == folded:
            return Position(stage, "configured")
    for pattern, position in _POSITION_RULES:
        if pattern.search(folded):
            return position
    return None


# -- themes and groups of persons ---------------------------------------------------------

_CODE_PREFIX = re.compile(r"^[A-H]\d{1,2}\s+")
_AMP = re.compile(r"\s*&\s*")

#: Cross-cycle groups: the same subject under the labels of cycles 2, 3 and 4 and of the
#: UHRI export (compared after :func:`theme_key`). A label may belong to several groups.
THEME_GROUPS: dict[str, tuple[str, ...]] = {
    "gender-based-violence": (
        "domestic violence", "violence against women", "sexual & gender-based violence",
        "sexual & other forms of gender-based violence", "gender-based violence",
    ),
    "women": (
        "women", "girls", "women & girls", "discrimination against women",
        "advancement of women", "participation of women in political & public life",
    ),
    "lgbti": (
        "lesbian, gay, bisexual & transgender & intersex persons (lgbti)",
        "lesbian, gay, bisexual, transgender & intersex persons (lgbti)",
        "sexual orientation & gender identity",
    ),
    "non-discrimination": (
        "equality & non-discrimination", "racial discrimination",
        "discrimination against women",
    ),
    "civil-society": (
        "civil society", "human rights defenders",
        "cooperation & consultation with civil society",
        "cooperation & meaningful consultation with civil society & participation",
    ),
    "legal-framework": (
        "constitutional & legislative framework", "legal & institutional reform",
        "legal, institutional & policy framework",
    ),
    "international-norms": (
        "acceptance of international norms",
        "ratification of & accession to international instruments",
    ),
}
_GROUP_OF: dict[str, tuple[str, ...]] = {}
for _group, _labels in THEME_GROUPS.items():
    for _label in _labels:
        _GROUP_OF[_label] = (*_GROUP_OF.get(_label, ()), _group)


def clean_label(raw: str) -> str:
    """A label as shown: whitespace collapsed, the cycle-2 code (``D29 ``) dropped,
    ``&resources`` spaced."""
    text = " ".join(raw.replace("\xa0", " ").split())
    text = _CODE_PREFIX.sub("", text)
    return _AMP.sub(" & ", text)


def theme_key(raw: str) -> str:
    """The comparison key of a theme or group label: cleaned, case-folded, "and" as "&"."""
    text = clean_label(raw).casefold()
    return re.sub(r"\band\b", "&", text)


def theme_groups(labels: Iterable[str]) -> list[str]:
    """The cross-cycle groups of these labels (sorted, no duplicates). LGBTI is found by
    substring too, since the group name changes form between cycles."""
    groups: set[str] = set()
    for label in labels:
        key = theme_key(label)
        groups.update(_GROUP_OF.get(key, ()))
        if "lgbti" in key:
            groups.add("lgbti")
        if "civil society" in key:
            groups.add("civil-society")
    return sorted(groups)


def clean_labels(raw: Iterable[str]) -> list[str]:
    """Cleaned labels, first occurrence kept, case-insensitive duplicates dropped."""
    seen: set[str] = set()
    out: list[str] = []
    for label in raw:
        cleaned = clean_label(label)
        if cleaned and theme_key(cleaned) not in seen:
            seen.add(theme_key(cleaned))
            out.append(cleaned)
    return out


# -- recommending states ------------------------------------------------------------------

#: Spelling variants → the form used in recent UN documents (upr-samples/README.md).
STATE_VARIANTS: dict[str, str] = {
    "iran (islamic republic of)": "Iran (Islamic Republic of)",
    "islamic republic of iran": "Iran (Islamic Republic of)",
    "venezuela (bolivarian republic of)": "Venezuela (Bolivarian Republic of)",
    "bolivarian republic of venezuela": "Venezuela (Bolivarian Republic of)",
    "turkey": "Türkiye",
    "türkiye": "Türkiye",
    "netherlands": "Netherlands (Kingdom of the)",
    "kingdom of the netherlands": "Netherlands (Kingdom of the)",
    "netherlands (kingdom of the)": "Netherlands (Kingdom of the)",
    "north macedonia": "North Macedonia",
    "the former yugoslav republic of macedonia": "North Macedonia",
    "democratic people's republic of korea": "Democratic People's Republic of Korea",
    "lao people's democratic republic": "Lao People's Democratic Republic",
}
#: Tokens that end up among "recommending states" when they are parsed from the text's
#: parentheses but name a treaty or convention (e.g. 124.42 "… CEDAW; Chile"): all-capital
#: acronyms (CEDAW, CRPD, ICRMW, OP-ICESCR, ICCPR-OP 2) and ILO numbers (No. 189).
_NON_STATE = re.compile(r"^([A-Z][A-Z0-9-]{2,}( \d+)?|No\.\s*\d+)$")


@dataclass(frozen=True)
class States:
    """Recommending states, normalised, and the non-state tokens found among them."""

    states: list[str]
    other: list[str]


def split_states(raw: str | Iterable[str]) -> list[str]:
    """A ``; ``-separated string (or a list of such strings) → the raw items."""
    items = [raw] if isinstance(raw, str) else list(raw)
    return [part.strip() for item in items for part in item.split(";") if part.strip()]


def normalise_states(raw: str | Iterable[str]) -> States:
    """Normalise spelling variants; separate non-state tokens (CEDAW, ICCPR-OP 2, No. 189)."""
    states: list[str] = []
    other: list[str] = []
    for item in split_states(raw):
        text = " ".join(item.replace("’", "'").split())
        if _NON_STATE.match(text):
            if text not in other:
                other.append(text)
            continue
        name = STATE_VARIANTS.get(text.casefold(), text)
        if name not in states:
            states.append(name)
    return States(states, other)
