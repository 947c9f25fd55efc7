"""What each query construct matches: a table of (query, document, expected)."""

from __future__ import annotations

import pytest

from tracker.matching import MatchInput, explain, make_goal, match_document


def _matches(query: str, text: str = "", title: str = "", labels: tuple[str, ...] = ()) -> bool:
    goal = make_goal("g", query)
    return bool(match_document(MatchInput(title=title, text=text, labels=labels), [goal]))


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        # stemmed words
        ("насилие", "насилия", True),
        ("насилие", "насилию", True),
        ("насилие", "изнасилование", False),
        ("дискриминация", "дискриминационный", False),  # another word: use a prefix
        ("дискриминац*", "дискриминационный", True),
        ("дискриминац*", "антидискриминационный", False),  # prefixes start at the word start
        ("антидискриминац*", "анти-дискриминационный", True),  # a compound, written together
        ("кемсітушілік", "кемсітушілікке", True),
        ("violence", "violent", False),
        # exact forms
        ("=лгбт", "ЛГБТ", True),
        ("=лгбт", "ЛГБТИ", False),
        ("лгбт*", "ЛГБТИ", True),
        ("=насилие", "насилия", False),
        # phrases: words in order, adjacent, any form
        ('"бытовое насилие"', "бытового насилия", True),
        ('"бытовое насилие"', "семейно-бытовое насилие", True),
        ('"бытовое насилие"', "насилие бытовое", False),
        ('"бытовое насилие"', "бытовое и иное насилие", False),
        ('"пропаганд* нетрадиционн*"', "пропаганду нетрадиционных", True),
        ("зорлық-зомбылық", "зорлық-зомбылыққа", True),
        ("зорлық-зомбылық", "зорлық зомбылық", True),
        ("зорлық-зомбылық", "зорлықзомбылық", True),
        ("antidiscrimination", "anti-discrimination law", True),
        ("anti-discrimination", "antidiscrimination law", True),
        ('"women\'s rights"', "women’s rights", True),
        # boolean operators
        ("насилие AND женщин", "насилие в отношении женщин", True),
        ("насилие женщин", "насилие в отношении детей", False),
        ("насилие OR побои", "побои", True),
        ("насилие NOT пытки", "насилие и пытки", False),
        ("насилие NOT пытки", "насилие", True),
        ("(насилие OR побои) AND NOT (налог OR тариф)", "побои", True),
        ("(насилие OR побои) AND NOT (налог OR тариф)", "побои и тариф", False),
        # proximity: NEAR/N allows at most N words between, in either order
        ("NEAR/2(бытовое, насилие)", "бытовое, то есть насилие", True),
        ("NEAR/2(бытовое, насилие)", "бытовое и любое иное насилие", False),
        ("NEAR/2(бытовое, насилие)", "насилие бытовое", True),
        ("NEAR/1(violence, (women OR girls))", "violence against girls", True),
        ("NEAR/3(a1, b1, c1)", "a1 x b1 x c1", True),
        ("NEAR/3(a1, b1, c1)", "a1 x b1 x x x x c1", False),
        # exclusions cut occurrences, not whole documents
        ('пропаганд* EXCEPT "пропаганда терроризма"', "пропаганда терроризма", False),
        ('пропаганд* EXCEPT "пропаганда терроризма"', "пропаганда ЛГБТ", True),
        ('пропаганд* EXCEPT "пропаганда терроризма"', "пропаганда терроризма; пропаганда", True),
        (
            'NEAR/3(пропаганд*, лгбт*) EXCEPT "пропаганда терроризма"',
            "пропаганда терроризма и ЛГБТ",
            False,
        ),
        # homoglyphs and ё in the document or in the query
        ("зарплата", "заpплата", True),
        ("заpплата", "зарплата", True),
        ("лёгкий", "легкого", True),
    ],
)
def test_query_semantics(query: str, text: str, expected: bool) -> None:
    assert _matches(query, text) is expected


def test_field_scopes() -> None:
    assert _matches("title:насилие", title="О насилии")
    assert not _matches("title:насилие", text="О насилии")
    assert _matches("text:насилие", text="О насилии")
    assert not _matches("text:насилие", title="О насилии")
    assert _matches("labels:violence", labels=("Violence against women",))
    assert not _matches("labels:violence", text="violence")
    assert _matches("насилие", labels=("насилие",))  # unscoped words look everywhere


def test_phrases_and_near_do_not_span_fields_or_labels() -> None:
    assert not _matches('"domestic violence"', title="domestic", text="violence")
    assert not _matches('"domestic violence"', labels=("domestic", "violence"))
    assert not _matches("NEAR/5(domestic, violence)", labels=("domestic", "violence"))
    assert _matches("domestic violence", labels=("domestic", "violence"))  # AND: anywhere


def test_exclusion_keeps_the_surviving_occurrence_as_reason() -> None:
    goal = make_goal("g", 'пропаганд* EXCEPT "пропаганда терроризма"')
    text = "Запрещена пропаганда терроризма. Отдельно: пропаганда ЛГБТ."
    (match,) = match_document(MatchInput(text=text), [goal])
    assert "пропаганда ЛГБТ" in match.reasons[0].snippet
    assert "терроризма" not in match.reasons[0].snippet.split("Отдельно")[-1]


def test_explain_match_and_no_match() -> None:
    goal = make_goal("dv", '"бытовое насилие" OR (побои AND NOT тариф)', stance="support")
    shown = explain(goal, "О профилактике бытового насилия")
    assert "MATCH — score" in shown
    assert '✓ "бытовое насилие"   [text ×1]' in shown
    assert "бытового насилия" in shown
    missed = explain(goal, "побои и тариф")
    assert "NO MATCH" in missed
    assert "✗ NOT:" in missed
    assert "✓ побои   [text ×1]" in missed
    assert "✓ тариф   [text ×1]" in missed
    titled = explain(make_goal("t", "title:насилие"), "насилие", title="закон")
    assert "NO MATCH" in titled and "only in title" in titled
