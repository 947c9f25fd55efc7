"""One act across sites: a legalacts draft, a parliament bill, a signed law, an Adilet act.

No site shares an identifier with another (SOURCES.md §0.5), so documents are linked by their
normalised title, with the agency and the dates as supporting evidence, and every link keeps
its confidence. Pure functions here; the store keeps links and manual decisions.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from difflib import SequenceMatcher
from typing import Any

#: Words that title a document's form rather than its subject ("Проект Закона Республики
#: Казахстан «…»", "Закон Республики Казахстан от … № …", Kazakh "… Заңы", "заң жобасы").
_PREFIXES = re.compile(
    r"^(?:проект(?:ы)?\s+)?(?:закона?|кодекса?|конституционного\s+закона|конституционный\s+закон)\b"
    r"(?:\s+республики\s+казахстан)?\s*"
    r"|^законопроект\s*"
    r"|^(?:глава\s+государства\s+)?подписал\s+закон(?:\s+республики\s+казахстан)?\s*"
    r"|^қазақстан\s+республикасының\s+(?:заңы|заң\s+жобасы)\s*",
)
_SUFFIXES = re.compile(r"\s*(?:заңы|заң\s+жобасы|туралы\s+заң)$")
#: "от 15 апреля 2024 года № 72-VIII": requisites before or after the title (not inside it:
#: an amending order's title cites the order it amends with its own date and number).
_DATE_NUMBER = r"от\s+\d{1,2}\s+\w+\s+\d{4}\s+года(?:\s+№\s*\S+)?"
_LEADING_REQUISITES = re.compile(rf"^{_DATE_NUMBER}\s*")
_TRAILING_REQUISITES = re.compile(rf"\s+{_DATE_NUMBER}$")
_QUOTES = "«»„“”\"'‹›"
_NON_WORD = re.compile(r"[^\w\s-]+")


def normalise_title(title: str) -> str:
    """A comparable form: case, ё, quotes, whitespace, form prefixes and requisites removed."""
    text = unicodedata.normalize("NFC", title).casefold().replace("ё", "е")
    for quote in _QUOTES:
        text = text.replace(quote, " ")
    text = " ".join(text.split())
    text = _PREFIXES.sub("", text).strip()
    text = _SUFFIXES.sub("", text).strip()
    text = _LEADING_REQUISITES.sub("", text)
    text = _TRAILING_REQUISITES.sub("", text.rstrip(" ."))
    text = _NON_WORD.sub(" ", text)
    return " ".join(text.split())


@dataclass(frozen=True)
class PreparedTitle:
    """A title made ready for comparison once, not once per pair it is compared in: its
    normalised text and that text's character counts (what ``quick_ratio`` needs)."""

    text: str
    chars: Mapping[str, int]

    @classmethod
    def of(cls, title: str) -> PreparedTitle:
        """Normalise ``title`` (``normalise_title``) and count its characters."""
        text = normalise_title(title)
        return cls(text, Counter(text))


@dataclass(frozen=True)
class Candidate:
    """What linking knows of a document. Its title is prepared (normalised) when the
    candidate is made: linking compares one document with every document of its block, so
    callers make one candidate per document and reuse it for every pair."""

    doc_id: int
    source: str
    title: str
    agency: str | None
    created: str | None  # YYYY-MM-DD
    prepared: PreparedTitle = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "prepared", PreparedTitle.of(self.title))


def linking_title(title: str, details: dict[str, Any] | None) -> str:
    """The title that names the act: a signature announcement carries the signed law's title
    (``signed_law_title``, extracted by the source), which is what a bill is called."""
    named = (details or {}).get("signed_law_title")
    return named if isinstance(named, str) and named.strip() else title


#: Titles less alike than this (difflib ratio) are never the same act.
MIN_TITLE_RATIO = 0.92


def score(a: Candidate, b: Candidate) -> float:
    """Confidence that two documents from different sources are the same act (0..1)."""
    if a.source == b.source:
        return 0.0
    ta, tb = a.prepared, b.prepared
    if not ta.text or not tb.text:
        return 0.0
    if ta.text == tb.text:
        base = 0.9
    else:
        ratio = title_ratio(ta, tb)
        if ratio < MIN_TITLE_RATIO:
            return 0.0
        base = 0.9 * ratio
    if a.agency and b.agency and a.agency.casefold() == b.agency.casefold():
        base += 0.05
    days = _days_apart(a.created, b.created)
    if days is not None and days > 3 * 365:
        # The same title years apart is usually a different amendment of the same law.
        base *= 0.5
    return round(min(base, 1.0), 3)


def title_ratio(a: PreparedTitle, b: PreparedTitle) -> float:
    """``SequenceMatcher(None, a.text, b.text, autojunk=False).ratio()`` when that is at
    least ``MIN_TITLE_RATIO``; otherwise some value below it.

    ``real_quick_ratio()`` (from the lengths) and ``quick_ratio()`` (from the character
    counts) are upper bounds of ``ratio()``; they are computed here from the prepared titles
    with difflib's own formulas, so most pairs of a block are rejected without building a
    ``SequenceMatcher`` at all (building one indexes the second title, costly for every pair)
    and without ``ratio()`` (quadratic in the title length). The pairs that pass are scored
    by ``ratio()`` itself, so the links made are exactly those ``ratio()`` alone would make.
    """
    total = len(a.text) + len(b.text)
    if not total:  # two empty titles: difflib's ratio() is 1.0
        return 1.0
    if 2.0 * min(len(a.text), len(b.text)) / total < MIN_TITLE_RATIO:  # real_quick_ratio
        return 0.0
    small, large = (a.chars, b.chars) if len(a.chars) <= len(b.chars) else (b.chars, a.chars)
    common = sum(min(count, large.get(char, 0)) for char, count in small.items())
    if 2.0 * common / total < MIN_TITLE_RATIO:  # quick_ratio
        return 0.0
    return SequenceMatcher(None, a.text, b.text, autojunk=False).ratio()


#: Openings that many unrelated drafts share ("О внесении изменений и дополнений в некоторые
#: законодательные акты Республики Казахстан по вопросам …", "Об утверждении Правил …",
#: "Проект приказа …"; Kazakh "Қазақстан Республикасының кейбір заңнамалық актілеріне …").
#: Keyed on the first words, a third of all drafts fell in one block and linking became
#: quadratic; the key skips them and takes the first words of the subject instead.
_BOILERPLATE = re.compile(
    r"^(?:"
    r"(?:о|об)\s+внесении\s+изменени\w*(?:\s+и\s+дополнени\w*)?\s+(?:в|во)\s+"
    r"|(?:о|об)\s+утверждении\s+"
    r"|проект\w*\s+(?:приказа|постановления|решения|распоряжения|указа)\s+"
    r"|(?:в\s+)?некоторые\s+законодательные\s+акты\s+республики\s+казахстан\s+"
    r"|по\s+вопросам\s+"
    r"|қазақстан\s+республикасының\s+кейбір\s+заңнамалық\s+актілеріне\s+"
    r")+"
)
#: How many words of the subject make the key.
KEY_WORDS = 6


def blocking_key(title: str) -> str:
    """Documents are only compared within the same key (the first words of the subject, after
    the shared boilerplate opening), so linking stays near-linear in the number of
    documents. Changing this function needs a migration that recomputes
    ``documents.link_key`` (see tracker/store/migrations.py)."""
    normalised = normalise_title(title)
    subject = _BOILERPLATE.sub("", normalised + " ").strip() or normalised
    return " ".join(subject.split()[:KEY_WORDS])


def _days_apart(a: str | None, b: str | None) -> int | None:
    if not a or not b:
        return None
    try:
        return abs((date.fromisoformat(a) - date.fromisoformat(b)).days)
    except ValueError:
        return None
