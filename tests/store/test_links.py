"""Linking in the store: automatic by title, manual decisions stick, timelines, signatures."""

from __future__ import annotations

from typing import Any

import pytest

from tracker.cli import main
from tracker.fetch import FetchStats
from tracker.models import Record
from tracker.store import Store

WOMEN = ("О внесении изменений и дополнений в некоторые законодательные акты Республики "
         "Казахстан по вопросам обеспечения прав женщин и безопасности детей")
ARCHIVES = ("О внесении изменений и дополнений в некоторые законодательные акты Республики "
            "Казахстан по вопросам архивного дела и ограничения распространения "
            "противоправного контента")


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
