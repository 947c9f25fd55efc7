"""Linking in the store: automatic by title, manual decisions stick, timelines, signatures."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, select

from tracker.cli import main
from tracker.fetch import FetchStats
from tracker.linking import Candidate, blocking_key, score
from tracker.models import Record
from tracker.store import Store
from tracker.store.links import auto_link
from tracker.store.schema import documents, links

WOMEN = ("О внесении изменений и дополнений в некоторые законодательные акты Республики "
         "Казахстан по вопросам обеспечения прав женщин и безопасности детей")
ARCHIVES = ("О внесении изменений и дополнений в некоторые законодательные акты Республики "
            "Казахстан по вопросам архивного дела и ограничения распространения "
            "противоправного контента")
WOMEN_KOAP = ("О внесении изменений и дополнений в Кодекс Республики Казахстан об "
              "административных правонарушениях по вопросам обеспечения прав женщин и "
              "безопасности детей")


def put(store: Store, source: str, external_id: str, title: str, **extra: Any) -> int:
    values: dict[str, Any] = {"source": source, "external_id": external_id, "title": title,
                              "url": f"https://example.invalid/{external_id}",
                              "evidence": "b" * 64, **extra}
    run_id = store.start_run(source)
    store.finish_run(run_id, source, [Record(**values)], FetchStats(), ok=True,
                     not_modified=0, errors=[], warnings=[])
    doc_id = store.document_id(source, external_id)
    assert doc_id is not None
    return doc_id


def test_the_same_law_is_linked_across_three_sites(store_url: str) -> None:
    store = Store.open(store_url)
    draft = put(store, "kz_legalacts", "16000300", WOMEN, stage="public_discussion")
    bill = put(store, "kz_parliament", "411", f"Проект Закона Республики Казахстан «{WOMEN}»",
               stage="first_reading")
    act = put(store, "kz_adilet", "Z2400000072", f"{WOMEN}.", stage="in_force")
    other = put(store, "kz_parliament", "412", f"Проект Закона Республики Казахстан «{ARCHIVES}»")
    timeline = store.timeline(draft)
    assert {e["document_id"] for e in timeline} == {draft, bill, act}
    assert other not in {e["document_id"] for e in store.timeline(bill)}
    assert all(link["method"] == "auto" and link["confidence"] >= 0.8
               for link in store.links(bill))
    store.close()


def test_manual_unlink_sticks_and_manual_link_joins(store_url: str) -> None:
    store = Store.open(store_url)
    draft = put(store, "kz_legalacts", "1", WOMEN)
    bill = put(store, "kz_parliament", "2", WOMEN)
    store.link(draft, bill, linked=False, reason="different act, same title")
    # The bill's title changes: automatic linking runs again, and must not relink.
    put(store, "kz_parliament", "2", WOMEN + " ")
    assert {e["document_id"] for e in store.timeline(draft)} == {draft}
    unrelated = put(store, "kz_adilet", "Z1", ARCHIVES)
    store.link(draft, unrelated, linked=True, reason="checked by hand")
    assert unrelated in {e["document_id"] for e in store.timeline(draft)}
    store.close()


def test_a_signature_announcement_signs_the_linked_bill(store_url: str) -> None:
    store = Store.open(store_url)
    bill = put(store, "kz_parliament", "77", f"Проект Закона Республики Казахстан «{ARCHIVES}»",
               stage="upper_chamber")
    put(store, "kz_akorda", "501", f"Глава государства подписал Закон Республики Казахстан "
        f"«{ARCHIVES}»", stage="signed", kind="announcement")
    signed = [e for e in store.events(document_ids=[bill]) if e["type"] == "signed"]
    assert len(signed) == 1
    assert signed[0]["new"]["announced_by"] == "kz_akorda:501"
    assert signed[0]["evidence"] == "b" * 64
    # Seen again: no second event.
    put(store, "kz_akorda", "501", f"Глава государства подписал Закон «{ARCHIVES}»",
        stage="signed", kind="announcement")
    assert len([e for e in store.events(document_ids=[bill]) if e["type"] == "signed"]) == 1
    store.close()


def test_link_cli(tmp_path: Any, capsys: pytest.CaptureFixture[str],
                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACKER_HOME", raising=False)
    home = tmp_path / "home"
    with pytest.raises(SystemExit):
        main(["--home", str(home), "init"])
    store = Store.open(f"sqlite:///{home / 'tracker.db'}")
    put(store, "kz_legalacts", "1", WOMEN)
    put(store, "kz_adilet", "Z9", ARCHIVES)
    store.close()
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main(["--home", str(home), "link", "kz_legalacts:1", "kz_adilet:Z9"])
    assert info.value.code == 0
    with pytest.raises(SystemExit) as info:
        main(["--home", str(home), "timeline", "kz_legalacts:1", "--json"])
    out = capsys.readouterr().out
    assert "Z9" in out and info.value.code == 0
    with pytest.raises(SystemExit) as info:
        main(["--home", str(home), "link", "kz_legalacts:1", "kz_adilet:nope"])
    assert info.value.code == 2
    assert "no document 'kz_adilet:nope'" in capsys.readouterr().err


def test_a_kazakh_announcement_links_through_the_extracted_title(store_url: str) -> None:
    store = Store.open(store_url)
    bill = put(store, "kz_parliament", "78", f"Проект Закона Республики Казахстан «{WOMEN}»",
               stage="second_reading")
    put(store, "kz_akorda", "502", "Мемлекет басшысы заңға қол қойды", stage="signed",
        kind="announcement", details={"signed_law_title": WOMEN})
    signed = [e for e in store.events(document_ids=[bill]) if e["type"] == "signed"]
    assert [e["new"]["announced_by"] for e in signed] == ["kz_akorda:502"]
    store.close()


def test_boilerplate_blocks_keep_every_link_of_the_2024_law(store_url: str) -> None:
    """Keyed after the shared opening, the 2024 law still meets its bill, its Adilet act and
    the signature announcement, while the companion КоАП law and another omnibus law sit in
    blocks of their own (never linked, never even compared)."""
    store = Store.open(store_url)
    draft = put(store, "kz_legalacts", "16000300", WOMEN, stage="public_discussion")
    koap = put(store, "kz_legalacts", "16000301", WOMEN_KOAP, stage="public_discussion")
    bill = put(store, "kz_parliament", "411", f"Проект Закона Республики Казахстан «{WOMEN}»",
               stage="second_reading")
    act = put(store, "kz_adilet", "Z2400000072",
              f"Закон Республики Казахстан от 15 апреля 2024 года № 72-VIII «{WOMEN}».",
              stage="in_force")
    announcement = put(store, "kz_akorda", "502", "Мемлекет басшысы заңға қол қойды",
                       stage="signed", kind="announcement",
                       details={"signed_law_title": WOMEN})
    archives = put(store, "kz_parliament", "412",
                   f"Проект Закона Республики Казахстан «{ARCHIVES}»")
    with store.engine.connect() as conn:
        keys = dict(conn.execute(select(documents.c.id, documents.c.link_key)).all())
    women = {draft, bill, act, announcement}
    assert {keys[d] for d in women} == {"обеспечения прав женщин и безопасности детей"}
    assert keys[koap] not in {keys[draft], keys[archives]}
    assert keys[archives] != keys[draft]
    assert {e["document_id"] for e in store.timeline(bill)} == women
    assert koap not in {e["document_id"] for e in store.timeline(draft)}
    assert archives not in {e["document_id"] for e in store.timeline(draft)}
    signed = [e for e in store.events(document_ids=[bill]) if e["type"] == "signed"]
    assert [e["new"]["announced_by"] for e in signed] == ["kz_akorda:502"]
    store.close()


#: Legalacts-like openings (as bench/_common.py synthetic_title): most share their first words.
_TOPICS = ("обеспечения прав женщин и безопасности детей", "архивного дела",
           "профилактики бытового насилия", "государственных закупок")
_OPENINGS = ("О внесении изменений и дополнений в некоторые законодательные акты Республики "
             "Казахстан по вопросам {}", "Об утверждении Правил по вопросам {}",
             "О внесении изменений и дополнений в Социальный кодекс Республики Казахстан по "
             "вопросам {}")


def test_auto_link_reads_a_batch_in_a_few_queries_and_links_as_pair_by_pair(
        store_url: str) -> None:
    """A first cycle links hundreds of new documents at once: the documents, their blocks and
    their existing links are read in a few queries (not two per document and one per
    scored pair), and the links made are those of scoring every pair of a block."""
    store = Store.open(store_url)
    rows = []
    for i in range(120):
        title = _OPENINGS[i % 3].format(_TOPICS[(i // 3) % 4])
        if i % 5 == 0:
            title += " и миграции населения"
        rows.append({"source": f"page_{i // 8}", "external_id": str(i), "kind": "draft",
                     "title": title, "stage": "public_discussion", "created": "2026-01-01",
                     "url": f"https://example.invalid/{i}", "details": "{}",
                     "content_hash": "c" * 64, "link_key": blocking_key(title),
                     "first_seen": "2026-01-01T00:00:00+00:00",
                     "last_changed": "2026-01-01T00:00:00+00:00"})
    with store.engine.begin() as conn:
        conn.execute(documents.insert(), rows)
    with store.engine.connect() as conn:
        stored = list(conn.execute(select(documents)).mappings())
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.lstrip().split()[0].upper())

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        with store.engine.begin() as conn:
            made = auto_link(conn, [int(r["id"]) for r in stored])
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    with store.engine.connect() as conn:
        made_links = {(int(r["doc_a"]), int(r["doc_b"])): float(r["confidence"])
                      for r in conn.execute(select(links)).mappings()}
    assert statements.count("SELECT") <= 4  # documents, blocks, links (+ a savepoint's)
    assert statements.count("INSERT") == len(made_links) == made
    # Every pair of a block from different sources, scored both ways as auto_link does.
    candidates = {int(r["id"]): Candidate(int(r["id"]), r["source"], r["title"], None,
                                          r["created"]) for r in stored}
    expected: dict[tuple[int, int], set[float]] = {}
    for r in stored:
        for o in stored:
            if r["link_key"] != o["link_key"] or r["id"] >= o["id"]:
                continue
            a, b = candidates[int(r["id"])], candidates[int(o["id"])]
            both = {s for s in (score(a, b), score(b, a)) if s >= 0.8}
            if both:
                expected[(a.doc_id, b.doc_id)] = both
    assert set(made_links) == set(expected) and len(expected) > 100
    assert all(made_links[pair] in expected[pair] for pair in expected)
    store.close()
