"""Automatic linking cost: ``auto_link`` over N legalacts-like documents in a real SQLite store.

Usage::

    .venv/bin/python bench/bench_linking.py [--sizes 500,1000,2000,4000] [--runs 3]
        [--per-source 8] [--budget 600] [--seed 7]

For every N, N documents are written to a fresh SQLite store (a temporary file) with the
titles ``bench/_common.py`` ``synthetic_title`` generates: the real legalacts boilerplate
openings ("О внесении изменений и дополнений в некоторые законодательные акты Республики
Казахстан по вопросам …", "Об утверждении …", "Проект приказа …"), so many drafts share
their first words. As in ``bench/bench_vs_urlwatch.py --titles realistic`` (one source per
page of 5–12 cards), every ``--per-source`` documents belong to their own source, so nearly
every pair of a block is a cross-source pair that linking must score. Each document's
``link_key`` is what the tracker under test stores (``blocking_key(linking_title(...))``).

Then ``auto_link`` runs once over all N documents in one transaction (what the first scrape
cycle does, one run at a time), is timed (wall and CPU of this process), and the transaction
is rolled back, so every run starts from the same store. The table gives the median of
``--runs`` runs, the links made, and the blocks (distinct keys, largest block).

The script only uses APIs that the tracker had before the linking fix (``Store.open``,
``tracker.store.schema.documents``, ``tracker.linking.blocking_key`` / ``linking_title``,
``tracker.store.links.auto_link``), so the same script measures an older tree: put that
tree first on ``PYTHONPATH``. A size whose first run takes longer than ``--budget`` seconds
ends the measurement (larger sizes are reported as skipped).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.append(str(REPO))  # appended: a tree given on PYTHONPATH comes first
sys.path.insert(0, str(REPO / "bench"))

from _common import synthetic_title  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from tracker.linking import blocking_key, linking_title  # noqa: E402
from tracker.store import Store  # noqa: E402
from tracker.store.links import auto_link  # noqa: E402
from tracker.store.schema import documents, links  # noqa: E402

_AGENCIES = ("Министерство юстиции РК", "Министерство внутренних дел РК",
             "Министерство энергетики РК", "Министерство финансов РК")


def document_rows(n: int, per_source: int, seed: int) -> list[dict[str, Any]]:
    """N documents with legalacts-like titles, ``per_source`` documents per source."""
    rng = random.Random(seed)
    now = "2026-01-01T00:00:00+00:00"
    rows = []
    for i in range(n):
        title = synthetic_title(rng)
        rows.append({
            "source": f"page_{i // per_source:05d}", "external_id": str(16_000_000 + i),
            "kind": "draft", "title": title, "stage": "public_discussion",
            "created": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "agency": rng.choice(_AGENCIES), "url": f"https://example.invalid/{i}",
            "details": "{}", "content_hash": f"{i:064d}",
            "link_key": blocking_key(linking_title(title, {})),
            "first_seen": now, "last_changed": now,
        })
    return rows


def measure(n: int, runs: int, per_source: int, seed: int, budget: float) -> dict[str, Any]:
    """Time ``auto_link`` over N documents ``runs`` times; medians, links and blocks."""
    rows = document_rows(n, per_source, seed)
    blocks = Counter(row["link_key"] for row in rows)
    walls: list[float] = []
    cpus: list[float] = []
    made = linked = 0
    with tempfile.TemporaryDirectory(prefix="bench-linking-") as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'tracker.db'}")
        try:
            with store.engine.begin() as conn:
                conn.execute(documents.insert(), rows)
            with store.engine.connect() as conn:
                ids = [int(i) for i in conn.execute(
                    select(documents.c.id).order_by(documents.c.id)).scalars()]
            for _ in range(runs):
                with store.engine.connect() as conn:
                    transaction = conn.begin()
                    wall0, cpu0 = time.perf_counter(), time.process_time()
                    made = auto_link(conn, ids)
                    walls.append(time.perf_counter() - wall0)
                    cpus.append(time.process_time() - cpu0)
                    linked = int(conn.execute(
                        select(func.count()).select_from(links)).scalar() or 0)
                    transaction.rollback()  # the next run starts from the same store
                if walls[-1] > budget:
                    break
        finally:
            store.close()
    return {"n": n, "runs": len(walls), "wall_s": statistics.median(walls),
            "cpu_s": statistics.median(cpus), "links_made": made, "links": linked,
            "blocks": len(blocks), "largest_block": max(blocks.values())}


def main(argv: list[str] | None = None) -> int:
    """Measure every size and print the table (and JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="500,1000,2000,4000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--per-source", type=int, default=8)
    parser.add_argument("--budget", type=float, default=600.0,
                        help="seconds: a size whose run takes longer ends the measurement")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    import tracker.linking

    print(f"tracker.linking from {tracker.linking.__file__}; {args.per_source} documents per "
          f"source, median of {args.runs} runs")
    print()
    print("| N | blocks | largest block | links | auto_link wall s | CPU s | µs per document |")
    print("|--:|--:|--:|--:|--:|--:|--:|")
    results = []
    stopped = False
    for n in sizes:
        if stopped:
            print(f"| {n} | | | | skipped (over budget) | | |")
            continue
        result = measure(n, args.runs, args.per_source, args.seed, args.budget)
        results.append(result)
        print(f"| {n} | {result['blocks']} | {result['largest_block']} | {result['links']} | "
              f"{result['wall_s']:.2f} | {result['cpu_s']:.2f} | "
              f"{result['cpu_s'] / n * 1e6:.0f} |", flush=True)
        stopped = result["wall_s"] > args.budget
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
