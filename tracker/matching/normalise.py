"""Text normalisation and tokenisation for matching Russian, Kazakh and English text.

Everything here keeps a map back to the original text, so that reasons can quote the words
as the source wrote them. Steps, in order:

1. Unicode NFC (a decomposed «й» becomes one letter);
2. Latin/Cyrillic homoglyph folding inside mixed-script words: «заpплата» with a Latin ``p``
   becomes all-Cyrillic, «Cоnvention» with a Cyrillic ``С`` becomes all-Latin;
3. case folding, ``ё`` → ``е``;
4. quote variants → ``"``, apostrophe variants → ``'``, hyphen and dash variants → ``-``,
   no-break and other odd spaces → a space; soft hyphens, zero-width characters and stress
   accents are dropped.

Tokens are runs of letters and digits (Kazakh letters included); words joined by a hyphen
form a compound (``зорлық-зомбылық``) that is usable both as a whole and as its parts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import compress, count
from operator import not_

# --- character classes -----------------------------------------------------------------

_CYR_LOWER = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі"
_CYR_UPPER = "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯӘҒҚҢӨҰҮҺІ"
_LAT_LOWER = "abcdefghijklmnopqrstuvwxyzə"
_LAT_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZƏ"
CYRILLIC = frozenset(_CYR_LOWER + _CYR_UPPER)
LATIN = frozenset(_LAT_LOWER + _LAT_UPPER)
#: Letters of the Kazakh Cyrillic alphabet that Russian does not use.
KAZAKH_LETTERS = frozenset("әғқңөұүһі")

# Latin letters that look like Cyrillic ones (case-aware: an upper-case H looks like Н,
# a lower-case h like the Kazakh һ).
_LATIN_TO_CYR = {
    "A": "А", "B": "В", "C": "С", "E": "Е", "H": "Н", "I": "І", "K": "К", "M": "М",
    "O": "О", "P": "Р", "T": "Т", "X": "Х", "Y": "У", "Ə": "Ә",
    "a": "а", "c": "с", "e": "е", "h": "һ", "i": "і", "k": "к", "o": "о", "p": "р",
    "x": "х", "y": "у", "ə": "ә",
}  # fmt: skip
_CYR_TO_LATIN = {
    "А": "A", "В": "B", "С": "C", "Е": "E", "Н": "H", "І": "I", "К": "K", "М": "M",
    "О": "O", "Р": "P", "Т": "T", "Х": "X", "У": "Y", "Ә": "Ə",
    "а": "a", "с": "c", "е": "e", "һ": "h", "і": "i", "к": "k", "о": "o", "р": "p",
    "х": "x", "у": "y", "ә": "ə",
}  # fmt: skip
_TO_CYR = str.maketrans(_LATIN_TO_CYR)
_TO_LAT = str.maketrans(_CYR_TO_LATIN)

# A Latin letter next to a Cyrillic one: the cheap test for a mixed-script word.
_LAT_CLASS = "a-zA-ZəƏ"
_CYR_CLASS = "а-яА-ЯёЁәғқңөұүһіӘҒҚҢӨҰҮҺІ"
_ADJACENT = re.compile(f"[{_LAT_CLASS}][{_CYR_CLASS}]|[{_CYR_CLASS}][{_LAT_CLASS}]")
_LETTERS = re.compile(r"[^\W\d_]+")

_QUOTES = '"«»„“”‟″〝〞＂‹›'
_APOSTROPHES = "'’‘‚‛ʼʻ`´′"
_DASHES = "-‐‑‒–—―−﹘﹣－⁃"
_SPACES = "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
_SPACES += "\u202f\u205f\u3000"
_DROPPED = "\u00ad\u200b\u200c\u200d\u2060\ufeff\u0300\u0301"

_TABLE: dict[int, str | None] = {ord("ё"): "е"}
_TABLE.update({ord(c): '"' for c in _QUOTES})
_TABLE.update({ord(c): "'" for c in _APOSTROPHES})
_TABLE.update({ord(c): "-" for c in _DASHES})
_TABLE.update({ord(c): " " for c in _SPACES})
_TABLE.update({ord(c): None for c in _DROPPED})
_DROP_RE = re.compile(f"[{_DROPPED}]")
_SPECIAL_RE = re.compile("[" + "".join(re.escape(chr(c)) for c in _TABLE) + "]")


def _apply_table(text: str) -> str:
    """``text.translate(_TABLE)``, but fast when (as usual) few characters need mapping."""
    if _SPECIAL_RE.search(text) is None:
        return text
    for char in set(_SPECIAL_RE.findall(text)):
        text = text.replace(char, _TABLE[ord(char)] or "")
    return text


_WORD = r"\w+(?:'\w+)*"
#: A simple word (a hyphen separates words). Run on normalised text.
WORD_RE = re.compile(_WORD)
#: A word of raw (not normalised) text: any apostrophe variant may join its parts.
RAW_WORD_RE = re.compile(r"\w+(?:['’‘ʼ]\w+)*")
#: A token: a word, or words joined by hyphens (a compound). Run on normalised text.
TOKEN_RE = re.compile(rf"{_WORD}(?:-{_WORD})*")


@dataclass(frozen=True, slots=True)
class NormalisedText:
    """Normalised text plus the way back: ``original_offset(i)`` for any offset ``i``."""

    original: str
    text: str
    offsets: tuple[int, ...] | None = None  # None: offsets are the same in both texts

    def original_offset(self, index: int) -> int:
        """The offset in the original text of normalised offset ``index`` (0..len)."""
        if self.offsets is None:
            return index
        if index >= len(self.offsets):
            return len(self.original)
        return self.offsets[index]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original ``(start, end)`` of the normalised span ``start:end``."""
        if self.offsets is None:
            return start, end
        first = self.original_offset(start)
        last = self.original_offset(end - 1) if end > start else first
        # the original character at ``last`` may be several code points wide (NFC)
        stop = last + 1
        while stop < len(self.original) and unicodedata.combining(self.original[stop]):
            stop += 1
        return first, stop


@dataclass(frozen=True, slots=True)
class Token:
    """A token: ``text`` is normalised; ``start``/``end`` are offsets in the original text.

    ``first``/``last`` are word positions: a simple word has ``first == last``; a compound
    spans the positions of its parts, which are emitted as tokens of their own after it.
    """

    text: str
    start: int
    end: int
    first: int
    last: int


def fold_homoglyphs(text: str) -> str:
    """Rewrite mixed Latin/Cyrillic words in the script of their majority (ties: Cyrillic).

    A word is rewritten only when every minority letter has a look-alike; «iPhone» and
    «ВИЧ» are left alone, «заpплата» (Latin ``p``) becomes «зарплата».
    """
    if _ADJACENT.search(text) is None:
        return text
    pieces: list[str] = []
    last = 0
    for match in _LETTERS.finditer(text):
        word = match.group()
        if _ADJACENT.search(word) is None:
            continue
        folded = _fold_word(word)
        if folded != word:
            pieces.append(text[last : match.start()])
            pieces.append(folded)
            last = match.end()
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


def _fold_word(word: str) -> str:
    latin = [c for c in word if c in LATIN]
    cyrillic = [c for c in word if c in CYRILLIC]
    if len(cyrillic) >= len(latin) and all(c in _LATIN_TO_CYR for c in latin):
        return word.translate(_TO_CYR)
    if len(latin) > len(cyrillic) and all(c in _CYR_TO_LATIN for c in cyrillic):
        return word.translate(_TO_LAT)
    return word


def normalise(text: str) -> str:
    """The normalised form of ``text`` (see the module docstring)."""
    return normalise_with_offsets(text).text


def normalise_with_offsets(text: str) -> NormalisedText:
    """Normalise ``text`` and keep the map from normalised to original offsets."""
    if text.isascii():
        # ASCII: case folding and the table keep the length; only the backtick changes
        return NormalisedText(text, _apply_table(text.casefold()))
    nfc_same = unicodedata.is_normalized("NFC", text)
    nfc = text if nfc_same else unicodedata.normalize("NFC", text)
    folded = fold_homoglyphs(nfc).casefold()
    if nfc_same and len(folded) == len(nfc) and _DROP_RE.search(folded) is None:
        return NormalisedText(text, _apply_table(folded))
    return _normalise_slow(text)


def _normalise_slow(text: str) -> NormalisedText:
    """Character by character, for text that NFC, case folding or dropping would resize."""
    composed: list[str] = []
    composed_at: list[int] = []
    for seg_start, segment in _segments(text):
        for char in unicodedata.normalize("NFC", segment):
            composed.append(char)
            composed_at.append(seg_start)
    # homoglyph folding maps one character to one: the offsets stay valid
    folded = fold_homoglyphs("".join(composed))
    out: list[str] = []
    offsets: list[int] = []
    for char, at in zip(folded, composed_at, strict=True):
        for piece in char.casefold().translate(_TABLE):
            out.append(piece)
            offsets.append(at)
    return NormalisedText(text, "".join(out), tuple(offsets))


def _segments(text: str) -> list[tuple[int, str]]:
    """Split ``text`` before every starter character (combining class 0)."""
    segments: list[tuple[int, str]] = []
    start = 0
    for index in range(1, len(text)):
        if unicodedata.combining(text[index]) == 0:
            segments.append((start, text[start:index]))
            start = index
    if text:
        segments.append((start, text[start:]))
    return segments


# For split_words: ASCII characters that can never be part of a word become spaces (bytes
# >= 128 are UTF-8 pieces of non-ASCII characters and pass unchanged), and a few common
# non-ASCII separators are replaced first.
_ASCII_KEEP = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_'")
_ASCII_TO_SPACE = bytes(b if b in _ASCII_KEEP or b >= 128 else 32 for b in range(256))
_SEPARATORS = "«»“”„—–…№•·‐‑"


def split_words(text: str) -> list[str]:
    """Exactly ``RAW_WORD_RE.findall(text)``, about twice as fast on typical text.

    ``str.split`` after blanking ASCII punctuation does most of the work in C; only the few
    pieces that are not plain letters and digits (apostrophes, unusual punctuation) go
    through the regular expression.
    """
    for char in _SEPARATORS:
        if char in text:
            text = text.replace(char, " ")
    words = text.encode().translate(_ASCII_TO_SPACE).decode().split()
    if "".join(words).isalnum():
        return words
    # all in C: the positions of the pieces that are not plain letters and digits
    odd = list(compress(count(), map(not_, map(str.isalnum, words))))
    out: list[str] = []
    previous = 0
    for index in odd:
        out.extend(words[previous:index])
        out.extend(RAW_WORD_RE.findall(words[index]))
        previous = index + 1
    out.extend(words[previous:])
    return out


def normalise_word(word: str) -> str:
    """Normalise one word cut from raw NFC text by :data:`RAW_WORD_RE` (same as :func:`normalise`).

    The matcher tokenises raw text and normalises each *distinct* word once (memoised), which
    is much faster than normalising whole documents.
    """
    if word.isascii():
        return word.lower().replace("`", "'")
    if _ADJACENT.search(word) is not None:
        word = _fold_word(word)
    return _apply_table(word.casefold())


def is_simple(text: str) -> bool:
    """True when words can be cut from ``text`` as it is: NFC, no soft hyphen or the like."""
    return unicodedata.is_normalized("NFC", text) and _DROP_RE.search(text) is None


def tokenize(text: str) -> list[Token]:
    """Tokens of ``text``: each compound is followed by its parts (see :class:`Token`)."""
    norm = normalise_with_offsets(text)
    tokens: list[Token] = []
    position = 0
    for match in TOKEN_RE.finditer(norm.text):
        word = match.group()
        start, end = norm.original_span(match.start(), match.end())
        if "-" not in word:
            tokens.append(Token(word, start, end, position, position))
            position += 1
            continue
        parts = word.split("-")
        tokens.append(Token(word, start, end, position, position + len(parts) - 1))
        offset = match.start()
        for part in parts:
            p_start, p_end = norm.original_span(offset, offset + len(part))
            tokens.append(Token(part, p_start, p_end, position, position))
            offset += len(part) + 1
            position += 1
    return tokens


def words(text: str) -> list[str]:
    """The normalised simple words of ``text`` (compounds split into their parts)."""
    return [part for word in TOKEN_RE.findall(normalise(text)) for part in word.split("-")]
