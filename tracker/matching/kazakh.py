"""A suffix-stripping stemmer for Kazakh (no Snowball stemmer exists for it).

Kazakh is agglutinative: a noun takes, in this order, a plural, a possessive and a case
ending, each with vowel-harmony (back/front) and consonant-assimilation variants:
``әйел-дер-і-нің``, ``зорлық-зомбылық-қа``, ``кемсітушілік-ке``, ``құқық-тар-ы``. The stemmer
strips endings from the end one at a time, preferring a case ending, then a possessive, then
a plural, until nothing more comes off, checking vowel harmony against the rest of the word
and keeping a stem of at least three letters with a vowel. Repeating keeps the stemmer
consistent where a word merely looks inflected: ``Қазақстан`` and ``Қазақстандағы`` both
become ``қазақс``, ``лидер`` and ``лидерлер`` both stay ``лидер``. Derivational suffixes
(``-лық``, ``-шы``, ``-у``) are kept: ``отбасылық`` (family, adj.) stays distinct from
``отбасы`` (family). After a vowel-initial ending is removed, a voiced final consonant
returns to its dictionary form (``құқығы`` → ``құқығ`` → ``құқық``).

Input must be normalised (lower case, see :mod:`tracker.matching.normalise`).
"""

from __future__ import annotations

from functools import lru_cache

_BACK = frozenset("аоұыя")
_FRONT = frozenset("әөүіеэ")
_VOWELS = _BACK | _FRONT | frozenset("уиюё")

# Case endings (longest first within each list is handled by sorting below).
_CASE = (
    # attributive locative: Қазақстан-дағы
    "дағы", "дегі", "тағы", "тегі", "ндағы", "ндегі",
    # genitive
    "ның", "нің", "дың", "дің", "тың", "тің",
    # dative (на/не after a possessive: баласы-на)
    "ға", "ге", "қа", "ке", "на", "не",
    # accusative (н after a possessive: баласы-н)
    "ны", "ні", "ды", "ді", "ты", "ті", "н",
    # locative
    "да", "де", "та", "те", "нда", "нде",
    # ablative
    "дан", "ден", "тан", "тен", "нан", "нен", "ндан", "нден",
    # instrumental
    "мен", "бен", "пен", "ымен", "імен",
)  # fmt: skip
_POSSESSIVE = (
    "ымыз", "іміз", "мыз", "міз", "ыңыз", "іңіз", "ңыз", "ңіз",
    "сы", "сі", "ы", "і",
)  # fmt: skip
_PLURAL = ("лар", "лер", "дар", "дер", "тар", "тер")

# Endings made of a single consonant or vowel only come off long words.
_SHORT = frozenset({"н", "ы", "і"})
_INVARIANT = frozenset({"мен", "бен", "пен"})  # the instrumental ignores vowel harmony
_DEVOICE = {"ғ": "қ", "г": "к", "б": "п"}


def _by_length(endings: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(endings, key=len, reverse=True))


_GROUPS = (_by_length(_CASE), _by_length(_POSSESSIVE), _by_length(_PLURAL))


def _last_vowel(word: str) -> str | None:
    for char in reversed(word):
        if char in _VOWELS:
            return char
    return None


def _harmonises(stem: str, ending: str) -> bool:
    """True when the ending's vowel agrees with the stem's last vowel (or either is neutral)."""
    if ending in _INVARIANT:
        return True
    ending_vowel = _last_vowel(ending)
    stem_vowel = _last_vowel(stem)
    if ending_vowel is None or stem_vowel is None:
        return True
    if ending_vowel in _BACK:
        return stem_vowel not in _FRONT
    if ending_vowel in _FRONT:
        return stem_vowel not in _BACK
    return True


def _strip_one(word: str, endings: tuple[str, ...]) -> tuple[str, str] | None:
    for ending in endings:
        if not word.endswith(ending):
            continue
        stem = word[: -len(ending)]
        if len(stem) < 3 or _last_vowel(stem) is None:
            continue
        if ending in _SHORT:
            # "-н" (accusative) only after a possessive vowel; "-ы/-і" only after a consonant
            if ending == "н" and stem[-1] not in "ыі":
                continue
            if ending != "н" and stem[-1] in _VOWELS:
                continue
        if ending in ("на", "не") and stem[-1] not in "ыі":
            continue  # dative -на/-не only follows a 3rd-person possessive (баласы-на)
        if ending in ("нда", "нде", "ндан", "нден", "ндағы", "ндегі") and stem[-1] not in "ыі":
            continue
        if not _harmonises(stem, ending):
            continue
        return stem, ending
    return None


@lru_cache(maxsize=20_000)  # bounded: a daemon runs for months (see stem.analyse)
def stem_kazakh(word: str) -> str:
    """The stem of a normalised Kazakh word (a compound is stemmed on its last part)."""
    if "-" in word:
        head, _, tail = word.rpartition("-")
        return f"{head}-{stem_kazakh(tail)}"
    current = word
    while True:
        # strip one ending, preferring case endings, then start over from the case endings
        for endings in _GROUPS:
            stripped = _strip_one(current, endings)
            if stripped is not None:
                break
        else:
            return current
        current, ending = stripped
        if ending[0] in _VOWELS and current[-1] in _DEVOICE:
            current = current[:-1] + _DEVOICE[current[-1]]
