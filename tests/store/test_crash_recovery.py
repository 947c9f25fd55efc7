"""What a killed process leaves behind is recovered: documents stored but never matched, runs
left "running", temporary archive files (defects found by bench/crash_safety.py)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import legalacts_home
from tests.sources.test_kz_legalacts_e2e import serve_three_pages
from tracker import runner
from tracker.archive import Archive
from tracker.config import Settings
from tracker.matching import Matcher, load_goals_text
from tracker.matchrun import match_input
from tracker.replay import ReplayServer
from tracker.runner import recover_interrupted_runs, run_source
from tracker.store import Store
from tracker.store.schema import events, matches, source_runs
from tracker.store.store import INTERRUPTED

# Matches some of the fixture's cards and not others, so "every match" is a real set.
GOALS = load_goals_text('''
[[goal]]
id = "women"
name = "Women"
stance = "support"
priority = 1
query = "title:(женщин OR насилия)"
''')


@pytest.fixture
def setup(tmp_path: Path, replay: ReplayServer, store_url: str,
          make_fetcher: Any) -> tuple[Settings, Store, Any]:
    settings = legalacts_home(tmp_path / "home", replay.base_url)
    settings = type(settings)(settings.home, store_url, settings.fetch, settings.sources)
    store = Store.open(store_url)
    yield settings, store, make_fetcher(settings, store)
    store.close()


def _scrape(setup: tuple[Settings, Store, Any]) -> Any:
    settings, store, fetcher = setup
    return run_source("kz_legalacts", settings=settings, store=store, fetcher=fetcher,
                      goals=GOALS)


def test_documents_stored_by_a_run_that_died_before_matching_are_matched_next_run(
        setup: Any, replay: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    store = setup[1]
    serve_three_pages(replay)

    def die(*_args: object, **_kwargs: object) -> None:
        raise SystemExit("killed between storing and matching")

    monkeypatch.setattr(runner, "match_documents", die)
    with pytest.raises(SystemExit):
        _scrape(setup)
    monkeypatch.undo()
    docs = store.documents(source="kz_legalacts")
    expected = {int(d["id"]) for d in docs if Matcher(GOALS).match(match_input(d))}
    assert 0 < len(expected) < len(docs)
    assert sorted(store.pending_matches()) == sorted(int(d["id"]) for d in docs)
    with store.engine.connect() as conn:
        assert conn.execute(select(matches)).all() == []

    summary = _scrape(setup)  # the site has not changed: every page answers 304
    assert summary.not_modified == 1 and summary.inserted == summary.updated == 0
    with store.engine.connect() as conn:
        matched = {int(i) for i in conn.execute(select(matches.c.document_id)).scalars()}
        matched_events = conn.execute(select(events.c.document_id).where(
            events.c.type == "matched")).scalars().all()
    assert matched == expected
    assert sorted(matched_events) == sorted(expected)  # one `matched` event each
    assert store.pending_matches() == []
    _scrape(setup)  # and nothing is matched twice
    with store.engine.connect() as conn:
        assert len(conn.execute(select(events).where(events.c.type == "matched")).all()) == \
            len(expected)


def test_runs_left_running_by_a_dead_process_count_as_failures(setup: Any,
                                                               replay: ReplayServer) -> None:
    settings, store, _fetcher = setup
    serve_three_pages(replay)
    assert _scrape(setup).status == "ok"
    for _ in range(3):  # three processes died mid-run
        store.start_run("kz_legalacts")
    assert recover_interrupted_runs(settings, store) == ["kz_legalacts"]
    with store.engine.connect() as conn:
        rows = conn.execute(select(source_runs.c.status, source_runs.c.errors)
                            .order_by(source_runs.c.id)).all()
    assert [r.status for r in rows] == ["ok", "error", "error", "error"]
    assert all(json.loads(r.errors) == [INTERRUPTED] for r in rows[1:])
    assert store.consecutive_failures("kz_legalacts") == 3
    health = store.health()["kz_legalacts"]
    assert health["health"] == "broken" and INTERRUPTED in health["reason"]
    assert recover_interrupted_runs(settings, store) == []  # nothing left to close


def test_stale_archive_temporaries_are_removed_and_fresh_ones_kept(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "archive")
    digest = archive.put(200, [], b"kept")
    folder = archive.path_of(digest).parent
    stale, fresh = folder / "ab.tmp111", folder / "cd.tmp222"
    stale.write_bytes(b"partial")
    fresh.write_bytes(b"being written")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    assert archive.remove_stale_temporaries() == 1
    assert not stale.exists() and fresh.exists()
    assert archive.get(digest).body == b"kept"
