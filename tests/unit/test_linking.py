"""Linking by normalised title, with the real titles of LEGISLATION.md."""

from __future__ import annotations

from difflib import SequenceMatcher

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tracker.linking as linking
from tracker.linking import (
    MIN_TITLE_RATIO,
    Candidate,
    PreparedTitle,
    blocking_key,
    normalise_title,
    score,
    title_ratio,
)

WOMEN = ("О внесении изменений и дополнений в некоторые законодательные акты Республики "
         "Казахстан по вопросам обеспечения прав женщин и безопасности детей")
WOMEN_KOAP = ("О внесении изменений и дополнений в Кодекс Республики Казахстан об "
              "административных правонарушениях по вопросам обеспечения прав женщин и "
              "безопасности детей")
ARCHIVES = ("О внесении изменений и дополнений в некоторые законодательные акты Республики "
            "Казахстан по вопросам архивного дела и ограничения распространения "
            "противоправного контента")


def doc(doc_id: int, source: str, title: str, agency: str | None = None,
        created: str | None = None) -> Candidate:
    return Candidate(doc_id, source, title, agency, created)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (f"Проект Закона Республики Казахстан «{WOMEN}»", normalise_title(WOMEN)),
        (f"Закон Республики Казахстан от 15 апреля 2024 года № 72-VIII «{WOMEN}»",
         normalise_title(WOMEN)),
        (f"Глава государства подписал Закон Республики Казахстан «{ARCHIVES}»",
         normalise_title(ARCHIVES)),
        ("О  ВНЕСЕНИИ изменений  в Закон «О профилактике бытового насилия».",
         "о внесении изменений в закон о профилактике бытового насилия"),
        ("Законопроект «Об объединениях»", "об объединениях"),
        (f"{WOMEN} от 15 апреля 2024 года № 72-VIII", normalise_title(WOMEN)),
    ],
)
def test_normalise_title(raw: str, expected: str) -> None:
    assert normalise_title(raw) == expected


def test_the_2024_law_across_legalacts_parliament_and_adilet() -> None:
    draft = doc(1, "kz_legalacts", WOMEN, "Министерство внутренних дел РК", "2023-06-01")
    bill = doc(2, "kz_parliament", f"Проект Закона Республики Казахстан «{WOMEN}»", None,
               "2024-02-21")
    act = doc(3, "kz_adilet", f"{WOMEN}.", None, "2024-04-15")
    assert score(draft, bill) >= 0.9
    assert score(bill, act) >= 0.9


def test_companion_law_and_other_omnibus_laws_are_not_linked() -> None:
    main = doc(1, "kz_legalacts", WOMEN)
    assert score(main, doc(2, "kz_parliament", WOMEN_KOAP)) == 0.0
    assert score(main, doc(3, "kz_parliament", ARCHIVES)) == 0.0


def test_a_typo_still_links_with_lower_confidence() -> None:
    typo = WOMEN.replace("Республики", "Республикик")
    value = score(doc(1, "kz_legalacts", WOMEN), doc(2, "kz_adilet", typo))
    assert 0.8 < value < 0.9


def test_same_source_is_never_linked() -> None:
    assert score(doc(1, "kz_legalacts", WOMEN), doc(2, "kz_legalacts", WOMEN)) == 0.0


def test_agency_and_distance_in_time() -> None:
    a = doc(1, "kz_legalacts", ARCHIVES, "Министерство культуры и информации РК", "2025-06-01")
    b = doc(2, "kz_govkz", ARCHIVES, "министерство культуры и информации рк", "2025-09-01")
    far = doc(3, "kz_adilet", ARCHIVES, None, "2015-01-01")
    assert score(a, b) == 0.95
    assert score(a, far) == 0.45


ORDER = ("О внесении изменений в приказ Министра юстиции Республики Казахстан от 1 июня "
         "2020 года № 5 «Об утверждении Правил оказания государственной услуги»")


def test_blocking_key_skips_the_shared_boilerplate_opening() -> None:
    # Every omnibus law starts "О внесении изменений и дополнений в некоторые законодательные
    # акты Республики Казахстан по вопросам"; keyed on those words, all fell in one block.
    assert blocking_key(WOMEN) == "обеспечения прав женщин и безопасности детей"
    assert blocking_key(ARCHIVES) != blocking_key(WOMEN)
    assert blocking_key(WOMEN_KOAP) != blocking_key(WOMEN)
    assert blocking_key("Об утверждении Правил оказания государственной услуги") == (
        "правил оказания государственной услуги")
    assert blocking_key(ORDER).startswith("приказ министра юстиции")
    # The same act on three sites keeps one key, whatever form words surround its title.
    assert {blocking_key(WOMEN), blocking_key(f"Проект Закона Республики Казахстан «{WOMEN}»"),
            blocking_key(f"Закон Республики Казахстан от 15 апреля 2024 года № 72-VIII "
                         f"«{WOMEN}»")} == {blocking_key(WOMEN)}
    # A title that is nothing but boilerplate still has a key.
    assert blocking_key("Об утверждении") == "об утверждении"


def _plain_score(a: Candidate, b: Candidate) -> float:
    """``score`` as it was before the quick upper bounds: ratio() for every pair."""
    ta, tb = normalise_title(a.title), normalise_title(b.title)
    if a.source == b.source or not ta or not tb:
        return 0.0
    ratio = 1.0 if ta == tb else SequenceMatcher(None, ta, tb, autojunk=False).ratio()
    if ratio < MIN_TITLE_RATIO:
        return 0.0
    base = 0.9 * ratio
    if a.agency and b.agency and a.agency.casefold() == b.agency.casefold():
        base += 0.05
    return round(min(base, 1.0), 3)


@given(st.lists(st.sampled_from([WOMEN, WOMEN_KOAP, ARCHIVES, ORDER, "Об объединениях"]),
                min_size=2, max_size=2),
       st.integers(min_value=0, max_value=12), st.text("абвгдеж ", max_size=6))
@settings(max_examples=200, deadline=None)
def test_quick_bounds_never_change_a_score(titles: list[str], cut: int, noise: str) -> None:
    """real_quick_ratio/quick_ratio only skip pairs ratio() would reject."""
    a = doc(1, "kz_legalacts", titles[0])
    b = doc(2, "kz_adilet", titles[1][cut:] + noise)
    assert score(a, b) == _plain_score(a, b)


@given(st.text("абвгд ежз", min_size=1, max_size=40),
       st.lists(st.tuples(st.integers(0, 40), st.text("абвгд ежз", max_size=2)), max_size=4))
@settings(max_examples=300, deadline=None)
def test_title_ratio_is_difflibs_ratio_wherever_it_can_link(text: str,
                                                            edits: list[tuple[int, str]]) -> None:
    """The bounds computed from prepared titles are difflib's real_quick_ratio/quick_ratio:
    a pair is rejected only when ratio() is below the threshold, and a pair that can link
    gets ratio() itself. Small edits keep many pairs near the threshold."""
    other = text
    for at, insert in edits:
        other = other[:at] + insert + other[at + 1:]
    if not other:
        return
    a, b = PreparedTitle.of(text), PreparedTitle.of(other)
    if not a.text or not b.text:
        return
    matcher = SequenceMatcher(None, a.text, b.text, autojunk=False)
    got = title_ratio(a, b)
    if matcher.ratio() >= MIN_TITLE_RATIO:
        assert got == matcher.ratio()
    else:
        assert got < MIN_TITLE_RATIO
    if got == 0.0 and matcher.ratio() > 0.0:  # rejected by a bound: the bound was below
        assert min(matcher.real_quick_ratio(), matcher.quick_ratio()) < MIN_TITLE_RATIO


def test_pairs_the_bounds_reject_build_no_sequence_matcher(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Building a SequenceMatcher indexes the second title: for the many unlike pairs of a
    block that cost more than the bounds themselves, so rejected pairs must not build one."""
    built: list[tuple[str, str]] = []

    class Counting(SequenceMatcher):  # type: ignore[type-arg]
        def __init__(self, isjunk: None, a: str, b: str, autojunk: bool = True) -> None:
            built.append((a, b))
            super().__init__(isjunk, a, b, autojunk)

    monkeypatch.setattr(linking, "SequenceMatcher", Counting)
    women = doc(1, "kz_legalacts", WOMEN)
    assert score(women, doc(2, "kz_adilet", ARCHIVES)) == 0.0
    assert score(women, doc(3, "kz_adilet", WOMEN_KOAP)) == 0.0
    assert built == []
    typo = WOMEN.replace("Республики", "Республикик")
    assert score(women, doc(4, "kz_adilet", typo)) > 0.8  # a near pair still gets ratio()
    assert len(built) == 1


def test_a_candidate_is_normalised_once_not_per_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    """auto_link compares one document with a whole block: its title is prepared when the
    candidate is made, and scoring pairs normalises nothing again."""
    calls: list[str] = []
    real = linking.normalise_title

    def counting(title: str) -> str:
        calls.append(title)
        return real(title)

    monkeypatch.setattr(linking, "normalise_title", counting)
    me = doc(1, "kz_legalacts", WOMEN + " (однократно)")
    block = [doc(i, "kz_adilet", f"{ARCHIVES} {i}") for i in range(2, 12)]
    assert len(calls) == 1 + len(block)
    assert me.prepared.text == real(me.title)
    for other in block:
        score(me, other)
        score(other, me)
    assert len(calls) == 1 + len(block)
