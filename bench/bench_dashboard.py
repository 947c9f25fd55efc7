"""Dashboard speed with years of data: first paint and a filter keystroke, under Pilot.

Usage::

    .venv/bin/python bench/bench_dashboard.py [--docs 50000] [--events 200000] [--runs 5]
                                              [--db PATH] [--keep]

Seeds a SQLite store (bulk inserts through SQLAlchemy Core: one executemany per table) with
``--docs`` documents (Russian titles, a tenth of them matched to a goal, some with comment
deadlines), ``--events`` events, links, actions and source health; then, ``--runs`` times:

- **first paint**: from creating the app to the Today view on screen (its data loaded in the
  worker and the tables filled) — the target is <= 1.0 s;
- **filter keystroke**: on the Documents screen, from one key press in the filter (typing
  ``насилие`` a letter at a time, then deleting it) to the table showing the new page — the
  target is <= 50 ms;

and prints the medians (and the worst run). Also prints the bare query times of the read
models. Targets come from issue 8; this is a measurement, not a timed test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import insert  # noqa: E402

from tracker.store import Store  # noqa: E402
from tracker.store.schema import (  # noqa: E402
    actions,
    documents,
    events,
    matches,
    source_health,
)
from tracker.views import (  # noqa: E402
    GoalInfo,
    document_rows,
    parse_filter,
    today_view,
)
from tui.search import SearchIndex  # noqa: E402

TODAY = date(2026, 11, 12)
GOALS = (GoalInfo("domestic-violence", "Domestic violence", "support", 1),
         GoalInfo("sogi", "SOGI", "oppose", 1),
         GoalInfo("anti-discrimination", "Anti-discrimination", "support", 2),
         GoalInfo("civic-space", "Civic space", "watch", 3))
SOURCES = ("kz_legalacts", "kz_adilet", "kz_parliament", "kz_govkz", "kz_akorda")
STAGES = ("drafting", "public_discussion", "discussion_closed", "parliament", "first_reading",
          "passed", "signed", "in_force")
WORDS = " ".join(("О внесении изменений и дополнений в некоторые законодательные акты Республики "
         "Казахстан по вопросам налогообложения сельского хозяйства энергетики тарифов "
         "образования здравоохранения социальной защиты архивного дела цифровизации "
         "транспорта экологии государственной службы обеспечения прав женщин и безопасности "
         "детей противодействия бытовому насилию",)).split()


def seed(path: Path, n_docs: int, n_events: int) -> Store:
    """A big store, written with one executemany per table."""
    rng = random.Random(8)
    store = Store.open(f"sqlite:///{path}")
    stamp = "2024-01-01T06:00:00+00:00"
    docs = []
    for i in range(1, n_docs + 1):
        deadline = (TODAY + timedelta(days=rng.randint(-400, 30))).isoformat() \
            if rng.random() < 0.3 else None
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 25))).capitalize()
        docs.append({
            "id": i, "source": SOURCES[i % len(SOURCES)], "external_id": str(10_000_000 + i),
            "kind": "document", "title": title, "stage": rng.choice(STAGES),
            "status_raw": "На публичном обсуждении", "doc_type": "Проект Закона",
            "created": "2025-01-01", "discussion_until": deadline, "agency": "Министерство",
            "url": f"https://legalacts.egov.kz/npa/view?id={i}", "language": "ru",
            "details": json.dumps({"comments": rng.randint(0, 50)}), "content_hash": "0" * 64,
            "link_key": title[:40], "first_seen": stamp,
            "last_changed": f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}T06:00:00",
        })
    evs = []
    for i in range(1, n_events + 1):
        doc = rng.randint(1, n_docs)
        kind = rng.choice(("new", "stage_changed", "counters_changed", "deadline_changed",
                           "first_reading"))
        evs.append({"id": i, "source": docs[doc - 1]["source"], "document_id": doc,
                    "type": kind, "old": json.dumps({"stage": "drafting"}),
                    "new": json.dumps({"stage": "public_discussion", "status_raw": "x"}),
                    "observed_at": (date(2023, 1, 1) + timedelta(days=i * 1400 // n_events))
                    .isoformat() + "T06:00:00+00:00", "evidence": "e" * 64})
    found = [{"document_id": d, "goal_id": rng.choice(GOALS).id, "score": 0.5,
              "reasons": json.dumps([{"field": "title", "term": "насилие", "snippet": "…"}]),
              "active": 1, "triage": rng.choice(("new", "confirmed", "dismissed")),
              "matched_at": stamp} for d in rng.sample(range(1, n_docs + 1), n_docs // 10)]
    acts = [{"type": "meeting", "date": "2026-10-01", "staff": "bench", "status": "open",
             "follow_up": (TODAY + timedelta(days=rng.randint(-20, 20))).isoformat(),
             "sensitivity": "normal", "sealed": 0, "created_at": stamp, "updated_at": stamp}
            for _ in range(2000)]
    with store.engine.begin() as conn:
        conn.execute(insert(documents), docs)
        conn.execute(insert(events), evs)
        conn.execute(insert(matches), found)
        conn.execute(insert(actions), acts)
        conn.execute(insert(source_health), [{"source": "kz_govkz", "health": "broken",
                                              "reason": "failed 3 runs", "since": stamp}])
    return store


async def first_paint(store: Store) -> tuple[float, float]:
    """Seconds (wall, and CPU of the process) from creating the app to the Today view
    filled and painted."""
    from tui.app import TrackerApp

    started, cpu = time.perf_counter(), time.process_time()
    app = TrackerApp(store, goals=GOALS, staff="bench", today=lambda: TODAY, poll_seconds=0,
                     schedule=None)
    async with app.run_test(size=(120, 40)) as pilot:
        while getattr(app.screen, "generation", 0) < 1:
            await asyncio.sleep(0.002)
        await asyncio.sleep(0)  # let the refresh that paints the tables run
        elapsed = time.perf_counter() - started, time.process_time() - cpu
        await pilot.pause()
    return elapsed


async def keystrokes(store: Store, word: str) -> tuple[list[float], list[float], list[float]]:
    """Per key press in the filter: seconds from the key event reaching the app to the
    table holding the answer (wall, and CPU of the process: what an idle machine would
    take, the app being bound by one interpreter lock), and through Pilot's ``press``
    (which also waits for the repaint and for the whole app to go idle: an upper bound)."""
    from textual import events

    from tui.app import TrackerApp

    app = TrackerApp(store, goals=GOALS, staff="bench", today=lambda: TODAY, poll_seconds=0,
                     schedule=None)
    direct: list[float] = []
    cpu: list[float] = []
    piloted: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        screen: Any = app.screen
        while screen.generation < 1 or app.search_index.snapshot is None:
            await asyncio.sleep(0.002)
        await pilot.press("slash")
        keys = [*word, *["backspace"] * len(word)]
        for n, key in enumerate(keys):
            before = screen.generation
            started, used = time.perf_counter(), time.process_time()
            if n % 2:
                await pilot.press(key)
            else:
                app._driver.send_message(events.Key(key, key if len(key) == 1 else None))
            while screen.generation == before:
                await asyncio.sleep(0)
            if n % 2:
                piloted.append(time.perf_counter() - started)
            else:
                direct.append(time.perf_counter() - started)
                cpu.append(time.process_time() - used)
            await pilot.pause()
    return direct, cpu, piloted


def timed(fn: Any, runs: int) -> float:
    """Median seconds of ``fn()``."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    """Seed, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=50_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", type=Path, help="reuse (or create) this database file")
    args = parser.parse_args(argv)
    path = args.db or Path(tempfile.mkdtemp(prefix="bench-dash-")) / "bench.db"
    started = time.perf_counter()
    store = Store.open(f"sqlite:///{path}") if path.exists() else seed(path, args.docs,
                                                                       args.events)
    print(f"store: {path} ({args.docs} documents, {args.events} events; ready in "
          f"{time.perf_counter() - started:.1f} s)")
    engine = store.engine
    print("read models (median of runs):")
    seconds = timed(lambda: today_view(engine, "bench", GOALS, TODAY), args.runs)
    print(f"  today_view                          {seconds * 1000:7.1f} ms")
    index = SearchIndex()
    seconds = timed(lambda: index.refresh(engine), 1)
    print(f"  search index: first build           {seconds * 1000:7.1f} ms (background)")
    seconds = timed(lambda: index.refresh(engine), args.runs)
    print(f"  search index: refresh, no change    {seconds * 1000:7.1f} ms")
    snapshot = index.ready(engine)
    for text in ("", "н", "насилие", "насилие goal:sogi", "zzz-no-such-word",
                 "sort:deadline", "sort:title триаж"):
        filt = parse_filter(text)

        def page(f: Any = filt) -> None:
            document_rows(engine, snapshot.search(f, TODAY)[0])

        cold = timed(page, 1)  # the first time a word is seen (then it is cached)
        print(f"  page {text!r:<22}  first {cold * 1000:7.1f} ms, again "
              f"{timed(page, args.runs) * 1000:5.1f} ms")
    paints = [asyncio.run(first_paint(store)) for _ in range(args.runs)]
    walls, cpus = [p[0] for p in paints], [p[1] for p in paints]
    print(f"first paint: median {statistics.median(walls) * 1000:.0f} ms (CPU "
          f"{statistics.median(cpus) * 1000:.0f} ms), worst {max(walls) * 1000:.0f} ms "
          "(target <= 1000 ms)")
    direct: list[float] = []
    cpu: list[float] = []
    piloted: list[float] = []
    for _ in range(args.runs):
        one, two, three = asyncio.run(keystrokes(store, "насилие"))
        direct.extend(one)
        cpu.extend(two)
        piloted.extend(three)
    print(f"filter keystroke, key event -> table updated: median "
          f"{statistics.median(direct) * 1000:.1f} ms (CPU {statistics.median(cpu) * 1000:.1f} "
          f"ms), worst {max(direct) * 1000:.1f} ms over {len(direct)} keys (target <= 50 ms)")
    print(f"filter keystroke through Pilot.press (+ waiting for the app to be idle): median "
          f"{statistics.median(piloted) * 1000:.1f} ms, worst {max(piloted) * 1000:.1f} ms")
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
