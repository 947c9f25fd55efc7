"""Per-document index: which query words occur, and where, field by field.

Speed comes from doing as little per word as possible in Python:

- a field is normalised once and split into words by one regular expression (C speed);
- each *distinct* word is looked up, memoised, in the :class:`Lexicon` of all the words the
  goals' queries use — most documents stop here, because no goal's trigger words occur;
- word positions are collected lazily, in one pass, and only for *indexed* query words
  (standalone words and the anchor word of each phrase: ``"в"`` or ``"of"`` inside a phrase is
  checked next to its anchor, never indexed);
- character offsets (for snippets) are computed only when a goal matched.

Positions count simple words; a hyphenated compound is its parts, one position each, and is
also indexed as its parts written together (``анти-дискриминационный`` → ``антидискриминационный``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

from tracker.matching.normalise import (
    RAW_WORD_RE,
    NormalisedText,
    is_simple,
    normalise_with_offsets,
    normalise_word,
    split_words,
)
from tracker.matching.query import Word
from tracker.matching.stem import analyse

#: An occurrence: first and last word position (equal for one word).
Occ = tuple[int, int]

#: Empty words between two labels: more than any NEAR distance, so nothing spans labels.
LABEL_GAP = 60
#: Token lookups remembered per Matcher (reused for the daemon's whole life, see
#: engine.matcher_for): bounded so memory levels off; the memo is dropped when full.
_MEMO_LIMIT = 100_000
_SHORT_TEXT = 3000  # words
_NONE: tuple[int, ...] = ()
# possessive quantifiers: no backtracking inside a word
_COMPOUND_AT = re.compile(r"\w++(?:['’‘ʼ]\w++)*+(?:-\w++(?:['’‘ʼ]\w++)*+)++")


def _word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


class Lexicon:
    """Every word of a set of queries, with an id, and a memoised token → ids lookup."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], int] = {}
        self.indexed: set[int] = set()
        self._by_key: dict[str, list[int]] = {}
        self._by_exact: dict[str, list[int]] = {}
        self._by_prefix: dict[str, list[int]] = {}
        self._prefix_lengths: list[int] = []
        self.memo: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}
        #: words known to match no query word (skipped in bulk by a set difference)
        self.irrelevant: set[str] = set()

    def add(self, word: Word, *, indexed: bool) -> int:
        """Register one word (idempotent) and return its id; ``indexed``: keep positions."""
        ident = (word.kind, word.form)
        term_id = self.ids.get(ident)
        if term_id is None:
            term_id = len(self.ids)
            self.ids[ident] = term_id
            if word.kind == "stem":
                for key in word.keys:
                    self._by_key.setdefault(key, []).append(term_id)
            elif word.kind == "exact":
                self._by_exact.setdefault(word.form, []).append(term_id)
            else:
                self._by_prefix.setdefault(word.form, []).append(term_id)
                if len(word.form) not in self._prefix_lengths:
                    self._prefix_lengths.append(len(word.form))
            self._forget()
        if indexed and term_id not in self.indexed:
            self.indexed.add(term_id)
            self._forget()
        return term_id

    def _compute(self, token: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
        token = normalise_word(token)
        ids: set[int] = set()
        for key in analyse(token):
            ids.update(self._by_key.get(key, _NONE))
        ids.update(self._by_exact.get(token, _NONE))
        for length in self._prefix_lengths:
            if len(token) >= length:
                ids.update(self._by_prefix.get(token[:length], _NONE))
        if not ids:
            return _NONE, _NONE
        found = tuple(sorted(ids))
        return found, tuple(i for i in found if i in self.indexed)

    def lookup(self, token: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """(all ids, indexed ids) of the query words that one word (raw or normalised) matches."""
        found = self.memo.get(token)
        if found is None:
            if any(char.isdigit() for char in token):
                # Numbers are nearly all unique: computed each time, never remembered.
                return self._compute(token)
            if len(self.memo) >= _MEMO_LIMIT:
                self._forget()
            found = self.memo[token] = self._compute(token) if token else (_NONE, _NONE)
            if not found[0]:
                self.irrelevant.add(token)
        return found

    def _forget(self) -> None:
        self.memo.clear()
        self.irrelevant.clear()

    def ids_of(self, token: str) -> tuple[int, ...]:
        """All ids the token matches."""
        return self.lookup(token)[0]


class FieldIndex:
    """One field of one document: its words, the query words present, lazy positions.

    Words are cut from the original text and normalised per distinct word by the lexicon;
    only text that NFC or dropped characters would change is normalised as a whole first
    (``norm`` then maps offsets back to the original).
    """

    def __init__(self, pieces: Sequence[str], lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        original = "\n".join(pieces)
        if is_simple(original):
            self.norm = NormalisedText(original, original)
        else:
            self.norm = normalise_with_offsets(original)
        texts = self.norm.text.split("\n") if len(pieces) > 1 else [self.norm.text]
        self.words: list[str] = []
        #: per piece: (first word position, number of words, char offset, normalised text)
        self._pieces: list[tuple[int, int, int, str]] = []
        offset = 0
        for number, text in enumerate(texts):
            if number:
                self.words.extend([""] * LABEL_GAP)
            found = split_words(text)
            self._pieces.append((len(self.words), len(found), offset, text))
            self.words.extend(found)
            offset += len(text) + 1
        self._occ: dict[int, list[Occ]] = {}
        self._by_term: dict[int, list[str]] | None = None
        self._all_positions: dict[str, list[int]] | None = None
        lookup = lexicon.lookup
        memo = lexicon.memo
        present: set[int] = set()
        self._relevant: dict[str, tuple[int, ...]] = {}
        for word in set(self.words) - lexicon.irrelevant:
            found_ids, indexed = memo.get(word) or lookup(word)
            if found_ids:
                present.update(found_ids)
                if indexed:
                    self._relevant[word] = indexed
        self._compounds = self._find_compounds()
        for _first, _last, ids in self._compounds:
            present.update(ids)
        self.present: frozenset[int] = frozenset(present)

    def _find_compounds(self) -> list[tuple[int, int, tuple[int, ...]]]:
        """Compounds whose parts written together are an indexed query word (rare)."""
        found: list[tuple[int, int, tuple[int, ...]]] = []
        for first_word, _count, _base, text in self._pieces:
            counted_to, counted = 0, first_word
            for start, compound in _compounds(text):
                ids = self.lexicon.lookup(compound.replace("-", ""))[1]
                if ids:
                    counted += len(RAW_WORD_RE.findall(text, counted_to, start))
                    counted_to = start
                    found.append((counted, counted + compound.count("-"), ids))
        return found

    def occ(self, term_id: int) -> list[Occ]:
        """Occurrences of an indexed query word, in position order (computed on demand)."""
        found = self._occ.get(term_id)
        if found is None:
            found = self._occ[term_id] = self._collect(term_id)
        return found

    def _collect(self, term_id: int) -> list[Occ]:
        if self._by_term is None:
            self._by_term = {}
            for word, ids in self._relevant.items():
                for some_id in ids:
                    self._by_term.setdefault(some_id, []).append(word)
        sources = self._by_term.get(term_id, ())
        found: list[Occ] = []
        for word in sources:
            found.extend((index, index) for index in self._where(word))
        extra = [(first, last) for first, last, ids in self._compounds if term_id in ids]
        if extra or len(sources) > 1:
            found = sorted(set(found + extra))
        return found

    def _where(self, word: str) -> list[int]:
        """Positions of one word.

        In short texts ``list.index`` (a scan in C per word) beats a Python loop; in long
        texts one Python pass records every relevant word at once.
        """
        words = self.words
        if len(words) > _SHORT_TEXT:
            if self._all_positions is None:
                self._all_positions = {}
                relevant = self._relevant
                for index, found in [(i, w) for i, w in enumerate(words) if w in relevant]:
                    self._all_positions.setdefault(found, []).append(index)
            return self._all_positions.get(word, [])
        out: list[int] = []
        index = -1
        try:
            while True:
                index = words.index(word, index + 1)
                out.append(index)
        except ValueError:
            return out

    def ids_at(self, index: int) -> tuple[int, ...]:
        """All query-word ids matching the word at position ``index``."""
        word = self.words[index]
        found = self.lexicon.memo.get(word)
        return (found or self.lexicon.lookup(word))[0]

    def word_spans(self, wanted: Iterable[int]) -> dict[int, tuple[int, int]]:
        """Normalised (start, end) offsets of the words at the ``wanted`` positions."""
        spans: dict[int, tuple[int, int]] = {}
        todo = sorted(set(wanted))
        for first, count, base, text in self._pieces:
            mine = [i for i in todo if first <= i < first + count]
            if not mine:
                continue
            matches = RAW_WORD_RE.finditer(text)
            current = first
            for index in mine:
                match = next(islice(matches, index - current, None))
                current = index + 1
                spans[index] = (base + match.start(), base + match.end())
        return spans

    def original_spans(self, wanted: Iterable[int]) -> dict[int, tuple[int, int]]:
        """Offsets in the original text of the words at the ``wanted`` positions."""
        return {
            index: self.norm.original_span(*span) for index, span in self.word_spans(wanted).items()
        }


def _compounds(text: str) -> Iterator[tuple[int, str]]:
    """(start, compound) for each hyphenated compound of a normalised text."""
    size = len(text)
    pos = text.find("-")
    while pos != -1:
        if 0 < pos < size - 1 and _word_char(text[pos - 1]) and _word_char(text[pos + 1]):
            start = pos - 1
            while start > 0 and _word_char(text[start - 1]):
                start -= 1
            match = _COMPOUND_AT.match(text, start)
            if match is not None:
                yield start, match.group()
                pos = text.find("-", match.end())
                continue
        pos = text.find("-", pos + 1)
