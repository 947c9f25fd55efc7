"""Stemming of real inflected Russian, Kazakh and English forms; language guess; keys."""

from __future__ import annotations

import pytest

from tracker.matching.kazakh import stem_kazakh
from tracker.matching.normalise import normalise
from tracker.matching.stem import analyse, guess_language, stem


def _stem(word: str) -> str:
    return stem(normalise(word))


@pytest.mark.parametrize(
    "group",
    [
        # Russian (Snowball): every form of a group shares one stem
        ["насилие", "насилия", "насилию", "насилием", "насилии"],
        ["дискриминация", "дискриминации", "дискриминацию", "дискриминацией"],
        ["бытовое", "бытового", "бытовому", "бытовым"],
        ["пропаганда", "пропаганды", "пропаганду", "пропагандой"],
        ["правозащитник", "правозащитники", "правозащитников", "правозащитникам"],
        ["ориентация", "ориентации", "ориентацию"],
        ["лёгкий", "легкого", "лёгкому"],
        # Kazakh (our suffix stripper)
        [
            "зорлық-зомбылық",
            "зорлық-зомбылыққа",
            "зорлық-зомбылықтың",
            "зорлық-зомбылықтан",
            "зорлық-зомбылықпен",
        ],
        ["кемсітушілік", "кемсітушілікке", "кемсітушіліктің", "кемсітушілікті"],
        ["әйел", "әйелдер", "әйелдерге", "әйелдердің", "әйелдің"],
        ["құқық", "құқығы", "құқықтары", "құқықтарын", "құқықтарының"],
        ["бала", "балалар", "балалардың", "баласы", "баласына"],
        ["конвенция", "конвенциясы", "конвенциясын", "конвенцияға"],
        ["контент", "контенттің", "контентті"],
        ["бағдар", "бағдарды"],
        ["ұйым", "ұйымдары", "ұйымдарының"],
        ["теңдік", "теңдігі"],
        # English (Snowball Porter2)
        ["discrimination", "discriminations"],
        ["defender", "defenders"],
        ["organization", "organizations"],
    ],
)
def test_inflected_forms_share_a_key(group: list[str]) -> None:
    # the matcher treats two words as the same when their language-tagged stems meet
    keys = [set(analyse(normalise(word))) for word in group]
    assert set.intersection(*keys), dict(zip(group, keys, strict=True))


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("насилию", "насил"),
        ("антидискриминационный", "антидискриминацион"),
        ("зорлық-зомбылыққа", "зорлық-зомбылық"),
        ("кемсітушілікке", "кемсітушілік"),
        ("отбасылық", "отбасылық"),  # derivational -лық is kept: "family" (adj.)
        ("актілеріне", "акті"),
        ("Қазақстандағы", "қазақс"),  # over-stripped, but the same as for the bare name:
        ("Қазақстан", "қазақс"),
        ("discrimination", "discrimin"),
    ],
)
def test_known_stems(word: str, expected: str) -> None:
    assert _stem(word) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        # Kazakh words without a Kazakh-only letter (the Russian stemmer would get them too)
        ("конвенциясын", "конвенция"),
        ("балалардың", "бала"),
        ("насихатты", "насихат"),
        ("лидерлер", "лидер"),  # a word that merely looks plural keeps its stem...
        ("лидер", "лидер"),  # ...and so does its plural
        ("алматыда", "алма"),  # consistent with the bare name, even if over-stripped
        ("алматы", "алма"),
    ],
)
def test_kazakh_stems_of_ambiguous_words(word: str, expected: str) -> None:
    assert stem_kazakh(normalise(word)) == expected


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("дискриминация", "дискриминационный"),  # different words: a prefix query joins them
        ("отбасы", "отбасылық"),
        ("насилие", "изнасилование"),
        ("заң", "заңнама"),
    ],
)
def test_different_words_keep_different_stems(first: str, second: str) -> None:
    assert _stem(first) != _stem(second)


def test_kazakh_stemmer_keeps_short_words() -> None:
    # a stem needs three letters and a vowel: «заң», «елдің», «ана» are not cut to nothing
    assert stem_kazakh("заң") == "заң"
    assert stem_kazakh("елдің") == "елдің"
    assert stem_kazakh("ана") == "ана"


@pytest.mark.parametrize(
    ("word", "language"),
    [
        ("зорлық", "kk"),
        ("кемсітушілік", "kk"),
        ("насилие", "ru"),
        ("насихат", "ru"),  # no Kazakh-only letter: analysed both ways, see below
        ("violence", "en"),
        ("2024", None),
    ],
)
def test_guess_language(word: str, language: str | None) -> None:
    assert guess_language(word) == language


def test_analyse_tags_keys_by_language() -> None:
    assert analyse("насилия") == ("ru:насил", "kk:насилия")
    assert analyse("конвенциясын") == ("ru:конвенциясын", "kk:конвенция")
    assert analyse("кемсітушілікке") == ("kk:кемсітушілік",)
    assert analyse("violence") == ("en:violenc",)
    assert analyse("400") == ("xx:400",)


def test_numbers_do_not_grow_the_stem_cache() -> None:
    """A daemon reads new draft numbers every day: they must not accumulate in memory."""
    from tracker.matching.stem import _analyse_cached, analyse

    before = _analyse_cached.cache_info().currsize
    keys = [analyse(f"{n}-viii") for n in range(100_000, 101_000)]
    assert keys[0] == analyse("100000-viii") and len(keys) == 1000
    assert _analyse_cached.cache_info().currsize == before
    assert _analyse_cached.cache_info().maxsize == 50_000
    analyse("щебетуньями")  # a word (no digits) is remembered
    assert _analyse_cached.cache_info().currsize == min(before + 1, 50_000)
