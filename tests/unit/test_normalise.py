"""Normalisation and tokenisation: NFC, case, ё, homoglyphs, quotes, dashes, Kazakh, compounds."""

from __future__ import annotations

import unicodedata

import pytest

from tracker.matching.normalise import (
    RAW_WORD_RE,
    fold_homoglyphs,
    normalise,
    normalise_with_offsets,
    normalise_word,
    split_words,
    tokenize,
    words,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # case folding, ё → е
        ("БЫТОВОЕ НАСИЛИЕ", "бытовое насилие"),
        ("Лёгкий вред здоровью", "легкий вред здоровью"),
        ("ЁЛКА", "елка"),
        # Kazakh letters survive case folding
        ("ТҰРМЫСТЫҚ ЗОРЛЫҚ-ЗОМБЫЛЫҚ", "тұрмыстық зорлық-зомбылық"),
        ("ӘЙЕЛДЕР ҚҰҚЫҒЫ", "әйелдер құқығы"),
        # Latin homoglyphs inside Cyrillic words (Adilet's own «заpплата» with a Latin p)
        ("заpплата", "зарплата"),
        ("HАСИЛИЕ", "насилие"),  # Latin H
        ("дискриминaция", "дискриминация"),  # Latin a
        ("ceмья", "семья"),  # Latin c and e
        ("Кaзaкстaн", "казакстан"),
        ("кемсiтушiлiк", "кемсітушілік"),  # Latin i for the Kazakh і
        ("әйeлдeр", "әйелдер"),
        # Cyrillic homoglyphs inside a Latin word
        ("Cоnvention", "convention"),  # Cyrillic о
        ("viоlence", "violence"),
        # quotes and dashes
        ("«О браке (супружестве) и семье»", '"о браке (супружестве) и семье"'),
        ("„Istanbul“ “Convention”", '"istanbul" "convention"'),
        ("зорлық–зомбылық", "зорлық-зомбылық"),  # en dash
        ("семейно‑бытовое", "семейно-бытовое"),  # non-breaking hyphen
        ("women’s rights", "women's rights"),
        # NFC: decomposed й; stress accents and soft hyphens disappear
        ("и\u0306од", "йод"),
        ("наси\u0301лие", "насилие"),
        ("наси\u00adлие", "насилие"),
        ("no\u00a0break", "no break"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    "word",
    ["iPhone", "ВИЧ", "e-mail", "COVID-19", "Coca-Cola", "ЖШС", "HIV"],
)
def test_words_that_are_not_homoglyph_tricks_are_left_alone(word: str) -> None:
    assert fold_homoglyphs(word) == word


def test_mixed_word_without_look_alikes_is_not_folded() -> None:
    # "z" has no Cyrillic look-alike: the word stays as written
    assert fold_homoglyphs("zакон") == "zакон"


@pytest.mark.parametrize(
    "raw",
    [
        "Закон «О профилактике бытового насилия» — заpплата, ёлка",
        "и\u0306од и наси\u0301лие, наси\u00adлие",
        "STRASSE Straße ǅ",
        "",
    ],
)
def test_offsets_map_back_to_the_original(raw: str) -> None:
    norm = normalise_with_offsets(raw)
    for token in tokenize(raw):
        original = raw[token.start : token.end]
        # the original slice normalises to the token (compound or part)
        assert normalise(original) == token.text
    assert norm.original_offset(len(norm.text)) == len(raw)


def test_tokenize_keeps_compounds_and_parts() -> None:
    text = "Тұрмыстық зорлық-зомбылыққа қарсы"
    tokens = tokenize(text)
    assert [(t.text, t.first, t.last) for t in tokens] == [
        ("тұрмыстық", 0, 0),
        ("зорлық-зомбылыққа", 1, 2),
        ("зорлық", 1, 1),
        ("зомбылыққа", 2, 2),
        ("қарсы", 3, 3),
    ]
    compound = tokens[1]
    assert text[compound.start : compound.end] == "зорлық-зомбылыққа"


def test_words_split_compounds() -> None:
    assert words("семейно-бытовое насилие; ст.400") == [
        "семейно",
        "бытовое",
        "насилие",
        "ст",
        "400",
    ]


@pytest.mark.parametrize(
    "raw",
    [
        "Kazakhstan’s «women's» rights — ст.400; §3; 72-VIII; _x_; 'quoted' d’Ivoire",
        "Қазақстан Республикасының «Әділет» заңы № 214-IV … • · 10%",
        "наси\u0301лие",
        "",
        "   ",
        "ﬁne — ½ ²",
    ],
)
def test_split_words_equals_the_regular_expression(raw: str) -> None:
    raw = unicodedata.normalize("NFC", raw)
    assert split_words(raw) == RAW_WORD_RE.findall(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Заpплата", "зарплата"), ("НАСИЛИЁ", "насилие"), ("Women’s", "women's"), ("ҚҰҚЫҚ", "құқық")],
)
def test_normalise_word_matches_normalise(raw: str, expected: str) -> None:
    assert normalise_word(raw) == expected == normalise(raw)
