"""The default goals on real act titles and key phrases (LEGISLATION.md §6), and negatives."""

from __future__ import annotations

import pytest

from tracker.matching import Goal, GoalMatch, MatchInput, load_goals, match_document

# Real titles and key phrases (LEGISLATION.md §5–§6; legalacts sample list page).
LAW_2024_RU = (
    "О внесении изменений и дополнений в некоторые законодательные акты Республики Казахстан "
    "по вопросам обеспечения прав женщин и безопасности детей"
)
LAW_2024_KOAP_RU = (
    "О внесении изменений и дополнений в Кодекс Республики Казахстан об административных "
    "правонарушениях по вопросам обеспечения прав женщин и безопасности детей"
)
LAW_2024_EN = (
    "On amendments and additions to some legislative acts of the Republic of Kazakhstan on "
    "ensuring women's rights and child safety"
)
LGBT_2025_RU = (
    "О внесении изменений и дополнений в некоторые законодательные акты Республики Казахстан "
    "по вопросам архивного дела и ограничения распространения противоправного контента"
)
LGBT_2025_KK = (
    "Қазақстан Республикасының кейбір заңнамалық актілеріне архив ісі және құқыққа қайшы "
    "контенттің таралуын шектеу мәселелері бойынша өзгерістер мен толықтырулар енгізу туралы"
)
LGBT_2025_EN = (
    "On amendments to some legislative acts on archival affairs and limiting the spread of "
    "unlawful content"
)
LGBT_BODY_RU = "пропаганда педофилии и (или) нетрадиционной сексуальной ориентации"
LGBT_BODY_KK = "педофилияны және дәстүрлі емес жыныстық бағдарды насихаттайтын ақпарат"
OMNIBUS = "О внесении изменений и дополнений в некоторые законодательные акты Республики Казахстан"
DV_LAW_2009 = "О профилактике бытового насилия"
TAX = (
    "О внесении изменений и дополнений в Кодекс Республики Казахстан «О налогах и других "
    "обязательных платежах в бюджет» (Налоговый кодекс)"
)
AGRICULTURE = OMNIBUS + " по вопросам агропромышленного комплекса и ветеринарии"
ENERGY_TARIFFS = (
    "О внесении изменения в приказ Министра энергетики Республики Казахстан от 24 декабря "
    "2025 года № 508-н/қ «Об утверждении предельных тарифов на электрическую энергию»"
)
PENSIONS = (
    "О внесении изменений и дополнений в некоторые приказы Министерства труда и социальной "
    "защиты населения Республики Казахстан"
)


@pytest.fixture(scope="module")
def goals() -> list[Goal]:
    return load_goals()


def _ids(doc: MatchInput, goals: list[Goal]) -> list[str]:
    return [m.goal for m in match_document(doc, goals)]


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        # the 2024 "Saltanat's law" and its КоАП companion: title only
        (LAW_2024_RU, "", ["domestic-violence"]),
        (LAW_2024_KOAP_RU, "", ["domestic-violence"]),
        (LAW_2024_EN, "", ["domestic-violence"]),
        # LEGISLATION.md gives a descriptive Kazakh title (the official one is not recorded)
        (
            "әйелдер мен балалардың құқықтары мен қауіпсіздігіне қатысты заң",
            "",
            ["domestic-violence"],
        ),
        (DV_LAW_2009, "", ["domestic-violence"]),
        # the 2025 ban: its titles never say LGBT, yet they must match sogi
        (LGBT_2025_RU, "", ["sogi"]),
        (LGBT_2025_KK, "", ["sogi"]),
        (LGBT_2025_EN, "", ["sogi"]),
        # ... and so must its key phrase in the body, in Russian and Kazakh
        (OMNIBUS, LGBT_BODY_RU, ["sogi"]),
        (OMNIBUS, LGBT_BODY_KK, ["sogi"]),
        # omnibus title: the relevant change is in the body
        (
            OMNIBUS,
            "Статья 1. В Закон «О профилактике бытового насилия» внести изменения",
            ["domestic-violence"],
        ),
        (OMNIBUS, "Тұрмыстық зорлық-зомбылыққа қарсы іс-қимыл туралы", ["domestic-violence"]),
        (OMNIBUS, "семейно-бытовое насилие и побои", ["domestic-violence"]),
        (OMNIBUS, "причинение лёгкого вреда здоровью", ["domestic-violence"]),
        (OMNIBUS, "выдача охранного предписания", ["domestic-violence"]),
        ("", "Концепция закона «О противодействии дискриминации»", ["anti-discrimination"]),
        ("", "кемсітушілікке жол бермеу", ["anti-discrimination"]),
        ("", "антидискриминационное законодательство", ["anti-discrimination"]),
        (
            "",
            "Конвенция Совета Европы о предотвращении и пресечении насилия в отношении женщин "
            "и домашнего насилия",
            ["domestic-violence", "istanbul-convention"],
        ),
        ("", "Ыстамбұл конвенциясына қосылу", ["domestic-violence", "istanbul-convention"]),
        ("", "Istanbul Convention (CETS No. 210)", ["domestic-violence", "istanbul-convention"]),
        ("", "по итогам универсального периодического обзора", ["upr-follow-up"]),
        ("", "О порядке организации и проведения мирных собраний", ["civic-space"]),
        ("", "руководство незарегистрированным общественным объединением", ["civic-space"]),
        ("", "статья 489 Кодекса об административных правонарушениях", ["civic-space"]),
        ("", "құқық қорғаушылар мен азаматтық қоғам", ["civic-space"]),
        # negatives: unrelated legislation
        (OMNIBUS, "", []),
        (TAX, "ставка налога на добавленную стоимость", []),
        (AGRICULTURE, "субсидирование животноводства", []),
        (ENERGY_TARIFFS, "", []),
        (PENSIONS, "", []),
        # known false alarms cut by EXCEPT
        (
            "Об электроэнергетике",
            "недискриминационный доступ к электрическим сетям; ценовая дискриминация на рынке",
            [],
        ),
        ("", "запрещается пропаганда терроризма, нетрадиционных религиозных течений", []),
        ("", "without prejudice to the rights of the parties", []),
        ("", "battery storage systems for electric vehicles", []),
        ("", "құқық қорғау органдары", []),  # law enforcement, not human rights defenders
    ],
)
def test_default_goals(title: str, text: str, expected: list[str], goals: list[Goal]) -> None:
    assert _ids(MatchInput(title=title, text=text), goals) == expected


@pytest.mark.parametrize(
    "text",
    [
        "бытовoe насилиe",  # Latin o and e inside Russian words
        "БЫТОВОЕ НАСИЛИЕ",
        "«бытового насилия»",
        "тұрмыстық зорлық–зомбылыққа",  # en dash in the compound
        "тұрмыстық зорлық-зомбылықтың",
        "тұрмыстық зорлық зомбылық",  # written without the hyphen
        "наси\u0301лие в семье",  # stress accent
        "domestic  violence",
    ],
)
def test_spelling_variants_match(text: str, goals: list[Goal]) -> None:
    assert "domestic-violence" in _ids(MatchInput(text=text), goals)


def test_reasons_quote_the_original_text(goals: list[Goal]) -> None:
    text = "Статья 1. В Закон «О ПРОФИЛАКТИКЕ бытового насилия» внести следующие изменения"
    (match,) = match_document(MatchInput(title=OMNIBUS, text=text), goals)
    assert isinstance(match, GoalMatch)
    reason = match.reasons[0]
    assert reason.field == "text"
    assert reason.term == '"бытовое насилие"'
    assert "«О ПРОФИЛАКТИКЕ бытового насилия»" in reason.snippet  # as written, not normalised
    assert match.to_dict() == {
        "goal": "domestic-violence",
        "score": match.score,
        "reasons": [r.to_dict() for r in match.reasons],
    }
    shown = match.to_dict()["reasons"]
    assert isinstance(shown, list) and set(shown[0]) == {"field", "term", "snippet"}


def test_title_scores_higher_than_text(goals: list[Goal]) -> None:
    (in_title,) = match_document(MatchInput(title=DV_LAW_2009), goals)
    (in_text,) = match_document(MatchInput(text=DV_LAW_2009), goals)
    assert 0 < in_text.score < in_title.score < 1
    assert in_title.reasons[0].field == "title"


def test_snippet_is_cut_to_context() -> None:
    filler = "слово " * 100
    goals = load_goals()
    (match,) = match_document(MatchInput(text=f"{filler}бытовое насилие {filler}"), goals)
    snippet = match.reasons[0].snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "бытовое насилие" in snippet
    assert len(snippet) < 200


def test_labels_are_matched_and_reported(goals: list[Goal]) -> None:
    doc = MatchInput(text="Take measures (Spain);", labels=["F13 Violence against women"])
    (match,) = match_document(doc, goals)
    assert match.goal == "domestic-violence"
    assert match.reasons[0].field == "labels"
    assert match.reasons[0].snippet == "F13 Violence against women"


def test_results_follow_goal_order(goals: list[Goal]) -> None:
    doc = MatchInput(
        text="discrimination on the basis of sexual orientation; domestic violence; NGOs"
    )
    assert _ids(doc, goals) == ["domestic-violence", "anti-discrimination", "sogi", "civic-space"]


def test_empty_document(goals: list[Goal]) -> None:
    assert match_document(MatchInput(), goals) == []
