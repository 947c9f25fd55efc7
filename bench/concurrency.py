"""Concurrency: dashboard writes (actions, triage) while the scheduler scrapes, on SQLite WAL.

Usage::

    .venv/bin/python bench/concurrency.py                    # 10 minutes
    .venv/bin/python bench/concurrency.py --duration 120     # 2 minutes
    .venv/bin/python bench/concurrency.py --repro-lost-update   # the deterministic repro

Set-up (127.0.0.1 only, bench/_harness.py): a ReplayServer serves a legalacts-like listing
of ``--cards`` cards (default 300) in which every card's view count changes every version
(as on the real site: every stored row is rewritten), ``--per-version`` new cards arrive and
some comment counts, deadlines and statuses change; a local aiosmtpd server takes the mail.

While the run lasts, one thread runs the real scheduler in a loop — forget the persisted next
run times (every job due), serve the next version, ``tracker run --once --json`` in a
subprocess — so the store's longest write transactions (hundreds of rows, events, matching,
digests) follow one another without pause. Meanwhile, in this process, with ONE
``Store.open`` shared by all threads exactly like the dashboard's:

- ``--writers`` threads (default 3) each record actions (``tracker.actions.record_action``),
  edit their own actions (``edit_action``) and triage their own share of the matches
  (``tracker.views.set_triage``: ``tracker.store.matches.set_triage`` through
  ``store.write()``, plus the ``triage_changed`` event the dashboard appends);
- ``--editors`` threads (default 2) edit a small pool of SHARED actions with ``edit_action``,
  as two staff members editing the same action from two dashboards would: each edit either
  succeeds or raises ``ConcurrentEdit`` (the user is told to retry) — a success that
  silently overwrote the other's edit is a lost write;
- one reader thread polls the event log and the action list like the dashboard's refresh.

Every exception that reaches a caller is counted by kind; "database is locked" must be zero.
At the end every write that returned success must be in the database: actions present with
their last summary, one history row per insert and per effective edit, the final triage of
every match equal to its owner's last successful write, one ``triage_changed`` event per
effective triage, and an unbroken history chain for the shared actions (each edit's "old"
value is the previous edit's "new" value). Exit status 0 when nothing was lost.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h
from sqlalchemy import select

from tracker.actions import ActionDraft, edit_action, record_action
from tracker.replay import ReplayServer
from tracker.seal import open_vault
from tracker.store import Store
from tracker.store.actions import ConcurrentEdit
from tracker.store.schema import action_history, actions, events, matches

GOAL_IDS = ("domestic-violence", "civic-space")
TRIAGE_CYCLE = ("confirmed", "dismissed", "new")


def classify(exc: BaseException) -> str:
    """A short kind for an exception that reached the caller."""
    text = str(exc).lower()
    if "database is locked" in text or "database table is locked" in text:
        return "database is locked"
    if "busy" in text:
        return "database busy"
    if isinstance(exc, ConcurrentEdit):
        return "ConcurrentEdit (user told to retry)"
    return f"{type(exc).__name__}: {str(exc)[:80]}"


class Stats:
    """Thread-safe counters and latencies."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.attempted: Counter[str] = Counter()
        self.succeeded: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.latency: dict[str, list[float]] = defaultdict(list)

    def timed(self, op: str, fn: Any, *args: Any, **kwargs: Any) -> tuple[bool, Any]:
        with self.lock:
            self.attempted[op] += 1
        start = time.perf_counter()
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            with self.lock:
                self.errors[f"{op}: {classify(exc)}"] += 1
                self.latency[op].append(time.perf_counter() - start)
            return False, exc
        with self.lock:
            self.succeeded[op] += 1
            self.latency[op].append(time.perf_counter() - start)
        return True, result


class Run:
    """The experiment."""

    def __init__(self, args: argparse.Namespace, root: Path, server: ReplayServer,
                 port: int) -> None:
        self.args = args
        self.server = server
        self.rng = random.Random(args.seed)
        self.scenario = h.Scenario(initial=args.cards, per_version=args.per_version,
                                   window=args.cards, views_change=True)
        self.home = h.make_home(root, server.base_url, smtp_port=port)
        self.version = 0
        h.serve_version(server, self.scenario, 0)
        self.stop = threading.Event()
        self.stats = Stats()
        self.daemon_rounds: list[dict[str, Any]] = []
        self.today = dt.date.today().isoformat()
        # What each successful write says must be in the database.
        self.own: dict[int, dict[str, Any]] = {}  # action id -> {"summary", "edits"}
        self.triage: dict[int, str] = {}  # match id -> last state written
        self.triage_changes = 0
        self.shared: list[int] = []
        self.shared_ok: Counter[int] = Counter()
        self.own_lock = threading.Lock()

    # -- the scheduler side -----------------------------------------------------------------

    def daemon_loop(self) -> None:
        err_dir = self.home.parent / "rounds"
        err_dir.mkdir(exist_ok=True)
        while not self.stop.is_set():
            try:
                h.make_all_jobs_due(self.home)
            except Exception as exc:  # the harness's own write: report, never hide
                self.stats.errors[f"harness job reset: {classify(exc)}"] += 1
            self.version += 1
            h.serve_version(self.server, self.scenario, self.version)
            start = time.monotonic()
            err_path = err_dir / f"round-{len(self.daemon_rounds):04d}.err"
            with open(err_path, "wb") as err:
                proc = subprocess.run(h.tracker_argv(self.home, "run", "--once", "--json"),
                                      env=h.child_env(), cwd=h.REPO, stdout=subprocess.PIPE,
                                      stderr=err, timeout=300, check=False)
            text = err_path.read_text(encoding="utf-8", errors="replace")
            out = proc.stdout.decode("utf-8", "replace")
            try:
                jobs = json.loads(out)
                detail = {j["job"]: j["detail"] for j in jobs}
            except ValueError:
                detail = {"unparsed": out[-300:]}
            self.daemon_rounds.append({
                "rc": proc.returncode, "seconds": time.monotonic() - start,
                "locked": ("database is locked" in text) or ("database is locked" in out),
                "source": detail.get("source:kz_legalacts", ""),
                "stderr_tail": text[-400:] if proc.returncode else "",
            })

    # -- the dashboard side -----------------------------------------------------------------

    def setup_writers(self, store: Store) -> None:
        with store.engine.connect() as conn:
            self.doc_ids = [int(r[0]) for r in conn.execute(select(matches.c.document_id))]
            self.match_ids = [int(r[0]) for r in conn.execute(select(matches.c.id))]
        vault = open_vault(store, None)
        for j in range(self.args.shared_actions):
            draft = ActionDraft(type="meeting", date=self.today, staff="shared",
                                summary=f"shared action {j}", goals=(GOAL_IDS[j % 2],))
            self.shared.append(record_action(store, draft, vault, goal_ids=GOAL_IDS))

    def writer(self, store: Store, index: int) -> None:
        from tracker.views import set_triage

        rng = random.Random(self.args.seed * 100 + index)
        vault = open_vault(store, None)
        staff = f"bench-writer-{index}"
        mine: list[int] = []
        my_matches = [m for m in self.match_ids if m % self.args.writers == index]
        n = 0
        while not self.stop.is_set():
            n += 1
            roll = rng.random()
            if roll < 0.4 or not mine:
                draft = ActionDraft(
                    type=rng.choice(("meeting", "letter", "call")), date=self.today,
                    staff=staff, summary=f"{staff} action {n}", next_step="follow up",
                    follow_up=self.today, documents=(rng.choice(self.doc_ids),),
                    goals=(rng.choice(GOAL_IDS),))
                ok, result = self.stats.timed("record_action", record_action, store, draft,
                                              vault, goal_ids=GOAL_IDS)
                if ok:
                    mine.append(int(result))
                    with self.own_lock:
                        self.own[int(result)] = {"summary": draft.summary, "edits": 0}
            elif roll < 0.8:
                action_id = rng.choice(mine)
                summary = f"{staff} edit {n} of {action_id}"
                ok, result = self.stats.timed("edit_action", edit_action, store, action_id,
                                              {"summary": summary}, vault, author=staff,
                                              goal_ids=GOAL_IDS)
                if ok and result:
                    with self.own_lock:
                        self.own[action_id]["summary"] = summary
                        self.own[action_id]["edits"] += 1
            elif my_matches:
                match_id = rng.choice(my_matches)
                state = TRIAGE_CYCLE[n % 3]
                ok, _ = self.stats.timed("set_triage", set_triage, store, match_id, state, staff)
                if ok:
                    with self.own_lock:
                        if self.triage.get(match_id, "new") != state:
                            self.triage_changes += 1
                        self.triage[match_id] = state
            self.stop.wait(self.args.pace)

    def editor(self, store: Store, index: int) -> None:
        rng = random.Random(self.args.seed * 1000 + index)
        vault = open_vault(store, None)
        staff = f"bench-editor-{index}"
        n = 0
        while not self.stop.is_set():
            n += 1
            action_id = rng.choice(self.shared)
            ok, result = self.stats.timed("edit_action (shared)", edit_action, store,
                                          action_id, {"summary": f"{staff} edit {n}"}, vault,
                                          author=staff, goal_ids=GOAL_IDS)
            if ok and result:
                with self.own_lock:
                    self.shared_ok[action_id] += 1
            self.stop.wait(self.args.pace)

    def reader(self, store: Store) -> None:
        from tracker.store.actions import get_actions
        from tracker.views import latest_event_id

        last = 0
        while not self.stop.is_set():
            self.stats.timed("read (dashboard refresh)", lambda since=last: (
                latest_event_id(store.engine), store.events(since_id=since, limit=500),
                get_actions(store)))
            last = max(0, latest_event_id(store.engine) - 500)
            self.stop.wait(0.5)

    # -- the whole run ------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        first = subprocess.run(h.tracker_argv(self.home, "run", "--once"), env=h.child_env(),
                               cwd=h.REPO, capture_output=True, check=False)
        if first.returncode != 0:
            raise SystemExit(f"first scheduler run failed: {first.stderr[-500:]!r}")
        store = Store.open(f"sqlite:///{h.db_path(self.home)}")
        try:
            self.setup_writers(store)
            threads = [threading.Thread(target=self.daemon_loop, name="scheduler")]
            threads += [threading.Thread(target=self.writer, args=(store, i), name=f"w{i}")
                        for i in range(self.args.writers)]
            threads += [threading.Thread(target=self.editor, args=(store, i), name=f"e{i}")
                        for i in range(self.args.editors)]
            threads.append(threading.Thread(target=self.reader, args=(store,), name="r"))
            start = time.monotonic()
            for t in threads:
                t.start()
            while time.monotonic() - start < self.args.duration:
                time.sleep(min(10.0, self.args.duration))
                done = sum(self.stats.succeeded.values())
                print(f"  {time.monotonic() - start:5.0f} s: {done} writes/reads ok, "
                      f"{sum(self.stats.errors.values())} errors, "
                      f"{len(self.daemon_rounds)} scheduler rounds", flush=True)
            self.stop.set()
            for t in threads:
                t.join()
            elapsed = time.monotonic() - start
            return self.verify(store, elapsed)
        finally:
            store.close()

    def verify(self, store: Store, elapsed: float) -> dict[str, Any]:
        lost: Counter[str] = Counter()
        examples: list[str] = []
        with store.engine.connect() as conn:
            rows = {int(r.id): r for r in conn.execute(select(actions))}
            history: dict[int, list[dict[str, Any]]] = defaultdict(list)
            for r in conn.execute(select(action_history).order_by(action_history.c.id)):
                history[int(r.action_id)].append(json.loads(r.changes))
            triage_now = {int(r.id): str(r.triage) for r in conn.execute(select(matches))}
            triage_events = conn.execute(select(events.c.id).where(
                events.c.type == "triage_changed",
                events.c.author.like("bench-writer-%"))).all()
        for action_id, want in self.own.items():
            row = rows.get(action_id)
            if row is None:
                lost["action rows missing"] += 1
                examples.append(f"action {action_id} missing")
                continue
            if row.summary != want["summary"]:
                lost["action edits lost (summary differs)"] += 1
                examples.append(f"action {action_id}: {row.summary!r} != {want['summary']!r}")
            if len(history[action_id]) != 1 + want["edits"]:
                lost["history rows missing or extra"] += 1
        for match_id, state in self.triage.items():
            if triage_now.get(match_id) != state:
                lost["triage writes lost"] += 1
                examples.append(f"match {match_id}: {triage_now.get(match_id)} != {state}")
        if len(triage_events) != self.triage_changes:
            lost["triage_changed events missing or extra"] += abs(
                len(triage_events) - self.triage_changes)
        chain_breaks = 0
        for action_id in self.shared:
            value = None
            for entry in history[action_id]:
                if "summary" not in entry:
                    continue
                old, new = entry["summary"]
                if value is not None and old != value:
                    chain_breaks += 1
                    if len(examples) < 10:
                        examples.append(f"shared action {action_id}: an edit based on {old!r} "
                                        f"overwrote {value!r} without ConcurrentEdit")
                value = new
            if rows[action_id].summary != value:
                lost["shared action summary differs from its history"] += 1
            if len(history[action_id]) != 1 + self.shared_ok[action_id]:
                lost["shared history rows != successful edits"] += 1
        if chain_breaks:
            lost["shared edits lost (overwritten, no ConcurrentEdit)"] = chain_breaks
        s = self.stats
        rounds = self.daemon_rounds
        return {
            "duration_s": round(elapsed, 1),
            "with_fix": self.args.with_fix,
            "writers": self.args.writers, "editors": self.args.editors,
            "cards_per_page": self.args.cards,
            "scheduler_rounds": len(rounds),
            "scheduler_rounds_failed": sum(1 for r in rounds if r["rc"] != 0),
            "scheduler_rounds_with_locked_error": sum(1 for r in rounds if r["locked"]),
            "scheduler_round_median_s": round(h.median([r["seconds"] for r in rounds]), 2),
            "scheduler_source_detail_example": rounds[-1]["source"] if rounds else "",
            "attempted": dict(s.attempted), "succeeded": dict(s.succeeded),
            "errors_reaching_caller": dict(s.errors),
            "database_is_locked_errors": sum(v for k, v in s.errors.items()
                                             if "locked" in k or "busy" in k),
            "latency_ms": {op: {"p50": round(1000 * h.pct(v, 0.5), 1),
                                "p99": round(1000 * h.pct(v, 0.99), 1),
                                "max": round(1000 * max(v), 1)}
                           for op, v in s.latency.items() if v},
            "own_actions_recorded": len(self.own),
            "own_action_edits": sum(a["edits"] for a in self.own.values()),
            "triage_writes": s.succeeded.get("set_triage", 0),
            "shared_edits_succeeded": sum(self.shared_ok.values()),
            "lost": dict(lost),
            "examples": examples[:10],
            "failed_rounds_stderr": [r["stderr_tail"] for r in rounds if r["rc"] != 0][:3],
        }


def patch_begin_immediate() -> None:
    """The proposed fix, patched into THIS process only: SQLite write transactions start
    with BEGIN IMMEDIATE, so the reads inside ``Store._write`` (the ``expected`` check of
    ``update_action``, set_triage's previous state, ...) happen under the write lock."""
    from contextlib import contextmanager

    from sqlalchemy import text

    @contextmanager
    def write_immediate(self: Store) -> Any:
        with self.engine.begin() as conn:
            if self.is_sqlite:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.execute(text("LOCK TABLE events IN EXCLUSIVE MODE"))
            yield conn

    Store._write = write_immediate  # type: ignore[method-assign]


def repro_lost_update(fixed: bool = False) -> int:
    """Two edits of the same action while a third connection holds the write lock (as the
    scheduler's store transaction does): both read the action before waiting for the lock,
    both pass the ``expected`` check, both commit — one silently overwrites the other.
    With ``fixed``, ``Store._write`` is patched (in this process only) to start SQLite write
    transactions with BEGIN IMMEDIATE, the fix proposed in docs/reliability.md."""
    import sqlite3

    original = Store._write
    if fixed:
        patch_begin_immediate()
    try:
        with tempfile.TemporaryDirectory(prefix="lost-update-") as tmp:
            path = Path(tmp) / "tracker.db"
            store = Store.open(f"sqlite:///{path}")
            vault = open_vault(store, None)
            action_id = record_action(store, ActionDraft(
                type="meeting", date="2026-11-20", staff="aigerim", summary="original",
                goals=("civic-space",)), vault, goal_ids=GOAL_IDS)
            blocker = sqlite3.connect(path, isolation_level=None, timeout=30)
            blocker.execute("BEGIN IMMEDIATE")  # the scheduler's long write transaction
            outcome: dict[str, str] = {}

            def edit(who: str) -> None:
                try:
                    edit_action(store, action_id, {"summary": f"edited by {who}"}, vault,
                                author=who, goal_ids=GOAL_IDS)
                    outcome[who] = "saved"
                except ConcurrentEdit:
                    outcome[who] = "ConcurrentEdit (told to retry)"
                except Exception as exc:
                    outcome[who] = classify(exc)

            threads = [threading.Thread(target=edit, args=(w,)) for w in ("aigerim", "dana")]
            for t in threads:
                t.start()
            time.sleep(1.0)
            blocker.execute("COMMIT")
            blocker.close()
            for t in threads:
                t.join()
            with store.engine.connect() as conn:
                final = conn.execute(select(actions.c.summary).where(
                    actions.c.id == action_id)).scalar()
                hist = [json.loads(r.changes).get("summary") for r in conn.execute(
                    select(action_history).where(action_history.c.action_id == action_id)
                    .order_by(action_history.c.id))]
            store.close()
        print(f"{'with BEGIN IMMEDIATE' if fixed else 'as shipped'}: {outcome}")
        print(f"  final summary: {final!r}; history: {hist}")
        saved = sum(1 for v in outcome.values() if v == "saved")
        lost = saved == 2
        print("  DEFECT: both edits reported saved, one was silently overwritten" if lost
              else "  ok: the second edit was refused with ConcurrentEdit")
        return 1 if lost else 0
    finally:
        if fixed:
            Store._write = original  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600.0, help="seconds (600)")
    parser.add_argument("--writers", type=int, default=3, help="own-data writer threads (3)")
    parser.add_argument("--editors", type=int, default=2,
                        help="threads editing shared actions (2)")
    parser.add_argument("--shared-actions", type=int, default=4, help="shared pool size (4)")
    parser.add_argument("--pace", type=float, default=0.02,
                        help="seconds between one thread's writes (0.02)")
    parser.add_argument("--cards", type=int, default=300, help="cards on the listing (300)")
    parser.add_argument("--per-version", type=int, default=10, help="new cards per round (10)")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--with-fix", action="store_true",
                        help="patch the proposed BEGIN IMMEDIATE fix into this process's "
                        "Store (the dashboard side; the scheduler subprocess is unchanged)")
    parser.add_argument("--repro-lost-update", action="store_true",
                        help="only run the deterministic lost-update reproduction (as shipped "
                        "and with the proposed fix patched in)")
    args = parser.parse_args(argv)
    os.umask(0o077)
    if args.repro_lost_update:
        shipped = repro_lost_update()
        repro_lost_update(fixed=True)
        return shipped
    if args.with_fix:
        patch_begin_immediate()
    with tempfile.TemporaryDirectory(prefix="concurrency-") as tmp, \
            ReplayServer(max_requests=1_000_000, lifetime=args.duration + 900) as server, \
            h.smtp_sink(keep_messages=False) as (_sink, port):
        figures = Run(args, Path(tmp), server, port).run()
    print()
    print("concurrency")
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"  {key:<{width}}  {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False),
                             encoding="utf-8")
    bad = figures["lost"] or figures["database_is_locked_errors"] or \
        figures["scheduler_rounds_failed"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
