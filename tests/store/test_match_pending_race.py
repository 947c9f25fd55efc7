"""The ``match_pending`` queue (defect 1 of docs/reliability.md) when two runs overlap: a
document changed by another run while matching was reading it stays queued, so the new
version is matched even if that other run dies before its own matching."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select

from tracker.fetch import FetchStats
from tracker.matching import load_goals_text
from tracker.matchrun import match_documents
from tracker.models import Record
from tracker.store import Store
from tracker.store.schema import matches

GOALS = load_goals_text('''
[[goal]]
id = "women"
name = "Women"
stance = "support"
priority = 1
query = "title:(женщин OR насилия)"
''')


def _store_run(store: Store, title: str) -> tuple[int, ...]:
    """One run storing the draft with this title; returns the documents it changed."""
    run_id = store.start_run("kz_legalacts")
    result = store.finish_run(run_id, "kz_legalacts", [Record(
        source="kz_legalacts", external_id="1", kind="draft", title=title,
        url="https://legalacts.egov.kz/npa/view?id=1", stage="public_discussion",
        evidence="a" * 64)], FetchStats(), ok=True, not_modified=0, errors=[], warnings=[])
    return result.changed


class _OverlappedStore(Store):
    """The real store; ``during_read`` runs right after matching has read the documents,
    as a run of another process committing at that moment would."""

    during_read: Callable[[], None] | None = None

    def documents_by_id(self, ids: Iterable[int]) -> list[dict[str, Any]]:
        rows = super().documents_by_id(ids)
        hook, self.during_read = self.during_read, None
        if hook is not None:
            hook()
        return rows


def test_a_document_changed_while_being_matched_stays_queued(store_url: str) -> None:
    store = Store.open(store_url)
    (doc,) = _store_run(store, "Проект закона о дорогах")  # queued, not matched yet
    assert store.pending_matches() == [doc]

    overlapped = _OverlappedStore(store.engine)
    # Another run stores a new title that matches the goal, and its process dies before
    # matching (nothing matches it here); the document was queued already.
    overlapped.during_read = lambda: _store_run(store, "Проект закона о защите женщин")
    match_documents(overlapped, GOALS, store.pending_matches())
    with store.engine.connect() as conn:
        assert conn.execute(select(matches)).all() == []  # the old title matched nothing
    assert store.pending_matches() == [doc]  # the new title still waits for matching

    match_documents(store, GOALS, store.pending_matches())  # the next run's matching
    with store.engine.connect() as conn:
        assert conn.execute(select(matches.c.document_id, matches.c.goal_id)).all() == \
            [(doc, "women")]
    assert store.pending_matches() == []
    store.close()
