"""Lexer of the goal query language: words, phrases, operators, fields, brackets, comments.

See :mod:`tracker.matching.query` for the grammar and ``docs/matching.md`` for staff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Fields a query word can be scoped to (``title:насилие``).
FIELDS = ("title", "text", "labels")
OPERATORS = frozenset({"AND", "OR", "NOT", "EXCEPT"})
#: Phrase quotes: opening character → accepted closing characters.
QUOTES = {'"': '"', "«": "»", "“": "”", "„": "“”"}
_STOP = set(' \t\r\n\f\v(),#:"«»“”„')
_NEAR = re.compile(r"NEAR(?:/(\d*))?\Z")
MAX_DISTANCE = 50
DEFAULT_DISTANCE = 10


class QueryError(ValueError):
    """A query that cannot be parsed; ``line``/``column`` are 1-based, in the query text."""

    def __init__(self, message: str, text: str, offset: int) -> None:
        self.message = message
        self.offset = max(0, min(offset, len(text)))
        self.line, self.column = line_column(text, self.offset)
        super().__init__(f"{self.line}:{self.column}: {message}")


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


@dataclass(frozen=True, slots=True)
class Lexeme:
    """One lexeme: ``kind`` is ``word``, ``phrase``, ``field``, ``(``, ``)``, ``,``,
    an operator (``AND``, ``OR``, ``NOT``, ``EXCEPT``, ``NEAR``) or ``end``.

    ``text`` is the word, the phrase content, or the field name; ``start``/``end`` cover the
    whole lexeme in the query; ``inner`` is where ``text`` starts (after a quote).
    """

    kind: str
    text: str
    start: int
    end: int
    inner: int
    distance: int = 0


def lex(text: str) -> list[Lexeme]:
    """Split a query into lexemes (the last one is always ``end``)."""
    out: list[Lexeme] = []
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
        elif char == "#":
            newline = text.find("\n", i)
            i = n if newline < 0 else newline
        elif char in "(),":
            out.append(Lexeme(char, char, i, i + 1, i))
            i += 1
        elif char in QUOTES:
            i = _phrase(text, i, out)
        elif char in "»”:":
            raise QueryError(f"unexpected {char!r}", text, i)
        else:
            i = _word(text, i, out)
    # "the end of the query" is reported just after its last lexeme (not after comments)
    last = out[-1].end if out else 0
    out.append(Lexeme("end", "", last, last, last))
    return out


def _phrase(text: str, start: int, out: list[Lexeme]) -> int:
    closers = QUOTES[text[start]]
    index = start + 1
    while index < len(text) and text[index] not in closers:
        index += 1
    if index >= len(text):
        want = " or ".join(repr(c) for c in closers)
        raise QueryError(f"unterminated phrase: missing closing {want}", text, start)
    out.append(Lexeme("phrase", text[start + 1 : index], start, index + 1, start + 1))
    return index + 1


def _word(text: str, start: int, out: list[Lexeme]) -> int:
    index = start
    while index < len(text) and text[index] not in _STOP:
        index += 1
    word = text[start:index]
    if index < len(text) and text[index] == ":":
        if word not in FIELDS:
            raise QueryError(
                f"unknown field {word!r}: use title:, text: or labels: "
                "(put words containing ':' in quotes)",
                text,
                start,
            )
        out.append(Lexeme("field", word, start, index + 1, start))
        return index + 1
    near = _NEAR.match(word)
    if near is not None:
        out.append(Lexeme("NEAR", word, start, index, start, _distance(text, start, near)))
    elif word in OPERATORS:
        out.append(Lexeme(word, word, start, index, start))
    else:
        out.append(Lexeme("word", word, start, index, start))
    return index


def _distance(text: str, start: int, near: re.Match[str]) -> int:
    digits = near.group(1)
    if digits is None:
        return DEFAULT_DISTANCE
    if not digits:
        raise QueryError("NEAR/ must be followed by a number, e.g. NEAR/5(a, b)", text, start)
    value = int(digits)
    if not 1 <= value <= MAX_DISTANCE:
        raise QueryError(f"NEAR distance must be between 1 and {MAX_DISTANCE}", text, start + 5)
    return value
