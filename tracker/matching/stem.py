"""Stemming per token: Snowball (PyStemmer) for Russian and English, our own for Kazakh.

Language is guessed per token, not per document, because Kazakh legal texts quote Russian
titles and Russian texts quote Kazakh names:

- a Kazakh-only letter (ә ғ қ ң ө ұ ү һ і) → Kazakh;
- other Cyrillic → Russian *or* Kazakh (``насихат``, ``конвенциясы`` have no Kazakh-only
  letter), so such a token gets both a Russian and a Kazakh stem;
- Latin → English; anything else (digits, other scripts) is kept as it is.

:func:`analyse` returns language-tagged keys (``ru:насил``, ``kk:конвенция``). A query word
matches a document word when their key sets share a key; the tag keeps a Kazakh stem from
colliding with an unrelated Russian one.

Input words must be normalised (see :mod:`tracker.matching.normalise`).
"""

from __future__ import annotations

from functools import lru_cache

import Stemmer

from tracker.matching.kazakh import stem_kazakh
from tracker.matching.normalise import CYRILLIC, KAZAKH_LETTERS, LATIN

_RUSSIAN = Stemmer.Stemmer("russian")
_ENGLISH = Stemmer.Stemmer("english")
_RUSSIAN.maxCacheSize = 0  # we cache whole analyses below
_ENGLISH.maxCacheSize = 0

LANGUAGES = ("ru", "kk", "en")


def guess_language(word: str) -> str | None:
    """``kk``, ``ru``, ``en`` for one normalised word, or ``None`` (digits, other scripts)."""
    has_cyrillic = False
    has_latin = False
    for char in word:
        if char in KAZAKH_LETTERS:
            return "kk"
        if char in CYRILLIC:
            has_cyrillic = True
        elif char in LATIN:
            has_latin = True
    if has_cyrillic:
        return "ru"
    if has_latin:
        return "en"
    return None


def stem_russian(word: str) -> str:
    """Snowball Russian stem of a normalised word (``насилию`` → ``насил``)."""
    return str(_RUSSIAN.stemWord(word))


def stem_english(word: str) -> str:
    """Snowball English (Porter2) stem of a normalised word (``discrimination`` → ``discrimin``)."""
    return str(_ENGLISH.stemWord(word))


def stem(word: str, language: str | None = None) -> str:
    """The stem of a normalised word in ``language`` (guessed when ``None``)."""
    language = language or guess_language(word)
    if language == "ru":
        return stem_russian(word)
    if language == "kk":
        return stem_kazakh(word)
    if language == "en":
        return stem_english(word)
    return word


def analyse(word: str) -> tuple[str, ...]:
    """Language-tagged stem keys of one normalised word (see the module docstring).

    Words with digits (draft numbers, dates, article numbers) are nearly all unique and
    cheap to analyse: they bypass the cache, which would otherwise grow by every new number
    a long-running daemon reads."""
    if any(char.isdigit() for char in word):
        return _analyse(word)
    return _analyse_cached(word)


def _analyse(word: str) -> tuple[str, ...]:
    language = guess_language(word)
    if language == "kk":
        return (f"kk:{stem_kazakh(word)}",)
    if language == "ru":
        if any(char in LATIN for char in word):
            return (f"xx:{word}",)  # mixed scripts the normaliser could not fold
        return (f"ru:{stem_russian(word)}", f"kk:{stem_kazakh(word)}")
    if language == "en":
        return (f"en:{stem_english(word)}",)
    return (f"xx:{word}",)


#: Bounded so a daemon's memory levels off: ~50,000 words cover the working vocabulary of
#: Russian, Kazakh and English legal text; rarer words are recomputed (a stem is cheap).
_analyse_cached = lru_cache(maxsize=50_000)(_analyse)
