"""UPR follow-up in the store (assessments → events with author, relations) and the
report table (rows, Markdown and CSV escaping). SQLite, and PostgreSQL when configured."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest

from tracker.errors import UsageError
from tracker.fetch import FetchStats
from tracker.models import Record
from tracker.store import Store
from tracker.store.upr import (
    assessment,
    recommendations,
    relate,
    set_assessment,
    unrelate,
)
from tracker.upr.report import GoalResolver, build_rows, md_cell, to_csv, to_markdown


def rec(para: str, text: str, cycle: int = 2, position: str = "Supported") -> Record:
    symbol = {1: "A/HRC/14/10", 2: "A/HRC/28/10"}[cycle]
    return Record(
        source="un_upr", external_id=f"{symbol}:{para}", title=text,
        url=f"https://docs.un.org/en/{symbol}", kind="recommendation",
        stage="noted" if position == "Noted" else "supported", status_raw=position,
        details={"cycle": cycle, "symbol": symbol, "paragraph": para,
                 "recommending_states": ["Samplia"], "themes_raw": []})


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    records = [
        rec("124.3", "Adopt a law on equal treatment (Samplia);"),
        rec("126.9", "=HYPERLINK(\"http://evil\") repeal | the\narticles (Samplia);",
            position="Noted"),
        rec("95.14", "Enact the draft law on domestic violence (Samplia);", cycle=1),
    ]
    bill = Record(source="kz_legalacts", external_id="16100093", title="Проект закона",
                  url="https://legalacts.egov.kz/npa/view?id=16100093", kind="draft",
                  stage="public_discussion", status_raw="На публичном обсуждении")
    for source, batch in (("un_upr", records), ("kz_legalacts", [bill])):
        run = opened.start_run(source)
        opened.finish_run(run, source, batch, FetchStats(), ok=True, not_modified=0,
                          errors=[], warnings=[])
    yield opened
    opened.close()


def doc(store: Store, source: str, external_id: str) -> int:
    found = store.document_id(source, external_id)
    assert found is not None
    return found


def test_assessment_changes_are_events_with_author(store: Store) -> None:
    rid = doc(store, "un_upr", "A/HRC/28/10:124.3")
    assert set_assessment(store, rid, status="in_progress", note="draft law exists",
                          author="aigerim")
    assert not set_assessment(store, rid, status="in_progress", note="draft law exists",
                              author="someone else")  # unchanged: no event
    assert set_assessment(store, rid, status="regressed", note="withdrawn", author="dana")
    events = [e for e in store.events() if e["type"] == "assessment_changed"]
    assert [(e["author"], e["old"], e["new"]) for e in events] == [
        ("aigerim", None, {"status": "in_progress", "note": "draft law exists"}),
        ("dana", {"status": "in_progress", "note": "draft law exists"},
         {"status": "regressed", "note": "withdrawn"}),
    ]
    assert all(e["source"] == "un_upr" and e["document_id"] == rid and e["evidence"] is None
               for e in events)
    assert events[0]["id"] < events[1]["id"]
    current = assessment(store, rid)
    assert current is not None and (current["status"], current["author"]) == ("regressed",
                                                                               "dana")


def test_bad_assessment_input(store: Store) -> None:
    rid = doc(store, "un_upr", "A/HRC/28/10:124.3")
    with pytest.raises(UsageError, match="--status"):
        set_assessment(store, rid, status="done", note="", author="a")
    with pytest.raises(UsageError, match="author"):
        set_assessment(store, rid, status="implemented", note="", author=" ")
    with pytest.raises(UsageError, match="no document"):
        set_assessment(store, 99999, status="implemented", note="", author="a")


def test_relations_and_listing(store: Store) -> None:
    rid = doc(store, "un_upr", "A/HRC/28/10:124.3")
    bill = doc(store, "kz_legalacts", "16100093")
    assert relate(store, rid, bill, kind="implements", author="aigerim")
    assert not relate(store, rid, bill, kind="implements", author="aigerim")
    assert relate(store, rid, bill, kind="related", author="aigerim")
    with pytest.raises(UsageError, match="--kind"):
        relate(store, rid, bill, kind="supports", author="a")
    with pytest.raises(UsageError, match="itself"):
        relate(store, rid, rid, kind="related", author="a")
    assert unrelate(store, rid, bill, kind="related")
    assert not unrelate(store, rid, bill, kind="related")
    recs = recommendations(store, cycle=2)
    assert [r["external_id"] for r in recs] == ["A/HRC/28/10:124.3", "A/HRC/28/10:126.9"]
    linked = recs[0]["relations"]
    assert [(r["kind"], r["external_id"], r["stage"]) for r in linked] == [
        ("implements", "16100093", "public_discussion")]
    assert [r["external_id"] for r in recommendations(store)] == [
        "A/HRC/14/10:95.14", "A/HRC/28/10:124.3", "A/HRC/28/10:126.9"]


class NoMatcher(GoalResolver):
    """The resolver as it behaves without tracker.matching (stored matches only)."""

    def __init__(self) -> None:
        self.method, self.note, self._goals = "stored matches", "", None


def stored_match(store: Store, doc_id: int, goal: str, triage: str = "new") -> None:
    from tracker.store.schema import matches

    with store._write() as conn:
        conn.execute(matches.insert().values(
            document_id=doc_id, goal_id=goal, score=0.5, reasons="[]", active=1,
            triage=triage, matched_at="2026-01-01T00:00:00+00:00"))


def rows_of(store: Store, goal: str | None = None) -> list[Any]:
    return build_rows(recommendations(store, cycle=2), NoMatcher(), goal)


def test_report_rows_for_a_known_set(store: Store) -> None:
    rid = doc(store, "un_upr", "A/HRC/28/10:124.3")
    noted = doc(store, "un_upr", "A/HRC/28/10:126.9")
    bill = doc(store, "kz_legalacts", "16100093")
    relate(store, rid, bill, kind="implements", author="aigerim")
    set_assessment(store, rid, status="partially_implemented", note="bill in discussion",
                   author="aigerim")
    stored_match(store, rid, "anti-discrimination")
    stored_match(store, noted, "civic-space")
    stored_match(store, noted, "sogi", triage="dismissed")
    rows = rows_of(store)
    assert rows[0].cells() == (
        "124.3 Adopt a law on equal treatment (Samplia);", "Samplia", "Supported",
        "anti-discrimination", "partially_implemented — bill in discussion",
        "implements: Проект закона [kz_legalacts:16100093] — public_discussion "
        "(На публичном обсуждении)")
    assert rows[1].goals == ("civic-space",) and rows[1].assessment == "not assessed"
    assert [r.ref for r in rows_of(store, "civic-space")] == ["un_upr:A/HRC/28/10:126.9"]


def test_csv_and_markdown_neutralise_scraped_text(store: Store) -> None:
    rows = rows_of(store)
    table = list(csv.reader(io.StringIO(to_csv(rows))))
    assert table[0][0] == "recommendation"
    evil = table[2][0]
    assert evil.startswith("126.9 =HYPERLINK")  # the paragraph number leads: harmless
    bare = to_csv([rows[1].__class__(**{**rows[1].__dict__, "recommendation": "=1+1"})])
    assert list(csv.reader(io.StringIO(bare)))[1][0] == "'=1+1"
    md = to_markdown(rows, "UPR cycle 2")
    line = next(line for line in md.splitlines() if line.startswith("| 126.9"))
    assert line.count(" | ") == 5  # six cells: the scraped pipe is escaped
    assert "repeal \\| the<br>articles" in line
    assert md_cell("<script>x</script>\x1b[31m") == "&lt;script&gt;x&lt;/script&gt;\\[31m"
