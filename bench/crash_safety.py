"""Crash safety: SIGKILL the scheduler at random moments of scrape cycles and digest sending,
restart it, and check that nothing is lost, duplicated or corrupted.

Usage::

    .venv/bin/python bench/crash_safety.py                 # 100 kills (about 10-15 min)
    .venv/bin/python bench/crash_safety.py --kills 20      # a quicker pass
    .venv/bin/python bench/crash_safety.py --repro-match-loss   # the one-kill reproduction

Set-up (all on 127.0.0.1, see bench/_harness.py): a ReplayServer serves a legalacts-like
listing (:class:`_harness.Scenario`) that moves to its next *version* only once the current
one is recorded in the store (its newest card is stored), so every version served must
eventually be recorded; a local aiosmtpd server accepts the mail; the home enables only
``kz_legalacts`` (every other built-in source is disabled) and two recipients.

Each *round* forgets the persisted next run times (``DELETE FROM apscheduler_jobs``: every job
is then "never run" and due at once, docs/daemon.md) and starts the real command line, either
``tracker run --once --json`` or (``--daemon-share`` of the rounds) the daemon ``tracker run``,
which runs every due job at start. A round carries a kill plan, chosen at random:

- ``uniform``: SIGKILL after a delay uniform over a calibrated round's length;
- ``scrape``: SIGKILL a random 0..D s after the list page was served (D = calibrated time
  from that request to the first SMTP transaction: parse, the store transaction, matching,
  health, alerts);
- ``mail``: SIGKILL at the k-th message of the round, at MAIL FROM, in DATA before the
  reply (the message is not accepted), or 0-50 ms after the server accepted it (the window
  docs/daemon.md names: accepted, maybe not yet marked sent).

A kill counts when the process was still running (exit status -9). A daemon round whose plan
did not fire within 1.5 x the calibrated round is killed as ``idle`` (reported, not counted).
After every round: ``PRAGMA integrity_check`` and ``foreign_key_check``, no duplicate
documents, the event log only grew (every event seen before is unchanged, new ids above the
old maximum, observed_at non-decreasing in id order). After the kills, clean rounds run until
the last version is recorded and nothing is left prepared; then the final checks: the event
log equals what the scenario predicts (no change missing, none twice), every document is
matched to the goal its title matches (once), every digest and alert row was delivered, by
Message-ID, exactly once (a second copy with the same Message-ID is reported separately and
only accepted when the first copy was accepted in a round that was then killed), digest
ranges do not overlap, and each matched document is in exactly one delivered digest.

Bounded: ``--max-minutes`` (default 45) for the whole run, ``--round-timeout`` per round; the
replay server and SMTP server stop with the script. Exit status 0 when every check passed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h

from tracker.replay import ReplayServer

SOURCE_TYPES = ("new", "stage_changed", "deadline_changed", "counters_changed")


@dataclass
class RoundResult:
    """One start of the scheduler."""

    index: int
    mode: str  # once | daemon
    plan: str  # none | uniform | scrape | mail:<point>
    started: float
    ended: float = 0.0
    returncode: int | None = None
    killed: bool = False
    kill_label: str = ""
    kill_at: float | None = None  # seconds after start
    kill_abs: float | None = None  # time.monotonic() of the kill
    list_at: float | None = None
    first_mail_at: float | None = None
    mails: int = 0
    hang: bool = False
    recorded_version: int | None = None  # version recorded by the end of the round
    found_prepared: int = 0  # digests/alerts left prepared when the round started
    found_running: int = 0  # source runs marked "running" (orphans) when the round started
    took_over_lock: bool = False
    lock_refused: bool = False


class Killer:
    """SIGKILLs one child at most once, never after it was reaped (poll and kill share a
    lock, so a pid is never signalled after it could have been reused)."""

    def __init__(self, proc: subprocess.Popen[bytes], t0: float) -> None:
        self.proc = proc
        self.t0 = t0
        self.lock = threading.Lock()
        self.label = ""
        self.at: float | None = None
        self.at_abs: float | None = None
        self.timers: list[threading.Timer] = []

    def kill(self, label: str) -> bool:
        with self.lock:
            if self.at is not None or self.proc.poll() is not None:
                return False
            os.kill(self.proc.pid, signal.SIGKILL)
            self.at_abs = time.monotonic()
            self.at = self.at_abs - self.t0
            self.label = label
            return True

    def later(self, delay: float, label: str) -> None:
        timer = threading.Timer(delay, self.kill, args=(label,))
        timer.daemon = True
        self.timers.append(timer)
        timer.start()

    def poll(self) -> int | None:
        with self.lock:
            return self.proc.poll()

    def cancel(self) -> None:
        for timer in self.timers:
            timer.cancel()


class Bench:
    """The whole experiment: servers, home, scenario, rounds and checks."""

    def __init__(self, args: argparse.Namespace, root: Path, server: ReplayServer,
                 sink: h.MailSink, port: int) -> None:
        self.args = args
        self.root = root
        self.server = server
        self.sink = sink
        self.rng = random.Random(args.seed)
        self.scenario = h.Scenario()
        self.home = h.make_home(root, server.base_url, smtp_port=port)
        self.logs = root / "rounds"
        self.logs.mkdir()
        self.version = 0
        self.frozen = False
        h.serve_version(server, self.scenario, 0)
        self.rounds: list[RoundResult] = []
        self.seen_events: dict[int, tuple[Any, ...]] = {}
        self.problems: Counter[str] = Counter()
        self.examples: dict[str, list[str]] = defaultdict(list)
        self.integrity_checks = 0
        self.calib = {"total": 4.0, "scrape": 0.5, "mails": 2.0}

    # -- checks after every round -----------------------------------------------------------

    def problem(self, kind: str, example: str) -> None:
        self.problems[kind] += 1
        if len(self.examples[kind]) < 5:
            self.examples[kind].append(example)

    def after_round(self, r: RoundResult) -> None:
        if not h.db_path(self.home).exists():
            return
        result, fk = h.integrity(self.home)
        self.integrity_checks += 1
        if result != "ok":
            self.problem("integrity_check failed", f"round {r.index}: {result[:200]}")
        if fk:
            self.problem("foreign key violations", f"round {r.index}: {fk}")
        with h.sqlite(self.home) as con:
            dups = con.execute("SELECT source, external_id, COUNT(*) FROM documents GROUP BY "
                               "source, external_id HAVING COUNT(*) > 1").fetchall()
            for row in dups:
                self.problem("duplicate documents", f"round {r.index}: {row}")
            stored = con.execute("SELECT 1 FROM documents WHERE external_id = ?",
                                 (self.scenario.newest_id(self.version),)).fetchone()
        events = h.read_events(self.home)
        before_max = max(self.seen_events, default=0)
        current = {int(e["id"]): (e["type"], e["document_id"], e["old"], e["new"],
                                  e["observed_at"]) for e in events}
        for event_id, content in self.seen_events.items():
            if current.get(event_id) != content:
                self.problem("event rewritten or deleted", f"round {r.index}: event {event_id}")
        new_ids = [i for i in current if i not in self.seen_events]
        if new_ids and min(new_ids) <= before_max:
            self.problem("event id not above the previous maximum",
                         f"round {r.index}: new id {min(new_ids)} <= {before_max}")
        last = ""
        for e in events:
            if e["observed_at"] < last:
                self.problem("observed_at decreases in id order", f"event {e['id']}")
            last = max(last, e["observed_at"])
        self.seen_events = current
        if stored:
            r.recorded_version = self.version
            if not self.frozen:
                self.version += 1
                h.serve_version(self.server, self.scenario, self.version)

    def leftovers(self) -> tuple[int, int]:
        """(digests + alert items left prepared, source runs left running)."""
        if not h.db_path(self.home).exists():
            return 0, 0
        with h.sqlite(self.home) as con:
            tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master")}
            prepared = 0
            if "digests" in tables:
                prepared += con.execute(
                    "SELECT COUNT(*) FROM digests WHERE status = 'prepared'").fetchone()[0]
            if "alert_log" in tables:
                prepared += con.execute(
                    "SELECT COUNT(*) FROM alert_log WHERE status = 'prepared'").fetchone()[0]
            running = con.execute("SELECT COUNT(*) FROM source_runs WHERE status = 'running'"
                                  ).fetchone()[0] if "source_runs" in tables else 0
        return prepared, running

    # -- one round ----------------------------------------------------------------------------

    def run_round(self, mode: str, plan: str) -> RoundResult:
        h.make_all_jobs_due(self.home)
        r = RoundResult(len(self.rounds), mode, plan, time.monotonic())
        r.found_prepared, r.found_running = self.leftovers()
        args = ("run", "--once", "--json") if mode == "once" else ("run",)
        err_path = self.logs / f"round-{r.index:04d}.err"
        log_start = len(self.server.log)
        mails = {"n": 0, "data": 0}
        stop_watch = threading.Event()
        with open(err_path, "wb") as err:
            proc = subprocess.Popen(h.tracker_argv(self.home, *args), env=h.child_env(),
                                    cwd=h.REPO, stdout=subprocess.DEVNULL, stderr=err)
            t0 = time.monotonic()
            killer = Killer(proc, t0)
            k = self.rng.randrange(max(1, round(self.calib["mails"])))

            def on_mail() -> None:
                mails["n"] += 1
                if r.first_mail_at is None:
                    r.first_mail_at = time.monotonic() - t0
                if plan == "mail:mail_from" and mails["n"] - 1 == k:
                    killer.kill(plan)

            def before_accept() -> bool:
                mails["data"] += 1
                if plan == "mail:data_before_reply" and mails["data"] - 1 == k:
                    return killer.kill(plan)
                return False

            def after_accept() -> None:
                if plan == "mail:data_after_reply" and mails["data"] - 1 == k:
                    killer.later(self.rng.uniform(0, 0.05), plan)

            def watch() -> None:
                seen = log_start
                while not stop_watch.wait(0.002):
                    log = self.server.log
                    while seen < len(log):
                        entry = log[seen]
                        seen += 1
                        if entry.path.startswith(h.LIST_PATH) and r.list_at is None:
                            r.list_at = time.monotonic() - t0
                            if plan == "scrape":
                                killer.later(self.rng.uniform(0, self.calib["scrape"]), plan)

            self.sink.on_mail, self.sink.before_accept = on_mail, before_accept
            self.sink.after_accept = after_accept
            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            if plan == "uniform":
                killer.later(self.rng.uniform(0, self.calib["total"]), plan)
            deadline = t0 + self.args.round_timeout
            idle_after = t0 + 1.5 * self.calib["total"] + 1.0
            while killer.poll() is None:
                now = time.monotonic()
                if mode == "daemon" and now > idle_after and killer.at is None:
                    killer.kill("idle")
                elif now > deadline:
                    r.hang = True
                    killer.kill("timeout")
                time.sleep(0.01)
            killer.cancel()
            stop_watch.set()
            watcher.join()
            self.sink.on_mail = self.sink.before_accept = self.sink.after_accept = None
        r.ended = time.monotonic()
        r.returncode = proc.returncode
        r.mails = mails["data"]
        r.killed = proc.returncode == -signal.SIGKILL and killer.at is not None
        r.kill_label, r.kill_at, r.kill_abs = killer.label, killer.at, killer.at_abs
        text = err_path.read_text(encoding="utf-8", errors="replace")
        r.took_over_lock = "took over a stale scheduler lock" in text
        r.lock_refused = "another scheduler is running" in text
        if r.lock_refused:
            self.problem("a restart was refused the lock", f"round {r.index}")
        if (not r.killed and r.returncode not in (0, None)) or r.hang:
            self.problem("a round failed without being killed",
                         f"round {r.index} ({mode}) exit {r.returncode}: {text[-300:]}")
        self.after_round(r)
        self.rounds.append(r)
        return r

    # -- phases -------------------------------------------------------------------------------

    def calibrate(self) -> None:
        totals, scrapes, mails = [], [], []
        for _ in range(self.args.calibration):
            r = self.run_round("once", "none")
            totals.append(r.ended - r.started)
            if r.list_at is not None:
                scrapes.append((r.first_mail_at or (r.ended - r.started)) - r.list_at)
            mails.append(r.mails)
        self.calib = {"total": h.median(totals), "scrape": max(0.2, h.median(scrapes)),
                      "mails": max(1.0, h.median(mails))}

    def choose(self) -> tuple[str, str]:
        mode = "daemon" if self.rng.random() < self.args.daemon_share else "once"
        kind = self.rng.choice(("uniform", "scrape", "mail"))
        if kind == "mail":
            kind = "mail:" + self.rng.choice(("mail_from", "data_before_reply",
                                              "data_after_reply"))
        return mode, kind

    def run(self) -> None:
        start = time.monotonic()
        budget = self.args.max_minutes * 60
        self.calibrate()
        print(f"calibrated: round {self.calib['total']:.2f} s, list request -> first mail "
              f"{self.calib['scrape']:.2f} s, {self.calib['mails']:.0f} messages per round",
              flush=True)
        kills = 0
        while kills < self.args.kills and time.monotonic() - start < budget * 0.85:
            r = self.run_round(*self.choose())
            if r.killed and r.kill_label not in ("idle", "timeout"):
                kills += 1
                if kills % 10 == 0:
                    print(f"  {kills} kills, {len(self.rounds)} rounds, version {self.version}, "
                          f"{time.monotonic() - start:.0f} s", flush=True)
        self.frozen = True
        for _ in range(self.args.tail):
            r = self.run_round("once", "none")
            prepared, _ = self.leftovers()
            if r.returncode == 0 and r.recorded_version == self.version and not prepared:
                break
        self.elapsed = time.monotonic() - start

    # -- final checks -------------------------------------------------------------------------

    def final(self) -> dict[str, Any]:
        sc = self.scenario
        last = self.version
        events = h.read_events(self.home)
        with h.sqlite(self.home) as con:
            recorded = bool(con.execute("SELECT 1 FROM documents WHERE external_id = ?",
                                        (sc.newest_id(last),)).fetchone())
            docs = {row[0]: row[1] for row in con.execute(
                "SELECT external_id, id FROM documents")}
            active = defaultdict(set)
            for eid, goal in con.execute(
                    "SELECT d.external_id, m.goal_id FROM matches m JOIN documents d "
                    "ON d.id = m.document_id WHERE m.active = 1"):
                active[eid].add(goal)
            digests = [dict(zip(("id", "recipient", "from_event", "to_event", "message_id",
                                 "status"), row, strict=True)) for row in con.execute(
                "SELECT id, recipient, from_event, to_event, message_id, status FROM digests "
                "ORDER BY id")]
            alerts = con.execute("SELECT message_id, status, kind FROM alert_log").fetchall()
            runs = dict(con.execute("SELECT status, COUNT(*) FROM source_runs GROUP BY status"
                                    ).fetchall())
        if not recorded:
            self.problem("last version never recorded", f"version {last}")
        # 1. Source events: exactly the predicted ones.
        expected = sc.expected_events(last if recorded else last - 1)
        actual = Counter(h.normalise_event(e) for e in events if e["type"] in SOURCE_TYPES)
        missing, extra = expected - actual, actual - expected
        for item in missing.elements():
            self.problem("served change never recorded", str(item))
        for item in extra.elements():
            self.problem("duplicate or unexpected source event", str(item))
        other = Counter(e["type"] for e in events
                        if e["type"] not in (*SOURCE_TYPES, "matched", "unmatched"))
        # 2. Matching: every document matched to its title's goal, one `matched` event each.
        goals = sc.expected_goals(last)
        matched_events = Counter(h.normalise_event(e) for e in events if e["type"] == "matched")
        unmatched = [eid for eid in docs if goals.get(eid) and goals[eid] not in active[eid]]
        for eid in unmatched:
            self.problem("stored document never matched (lost after a kill)",
                         f"{eid} should match {goals[eid]}")
        for eid, got in active.items():
            if got - {goals.get(eid)}:
                self.problem("unexpected match", f"{eid}: {sorted(got)}")
        for item, count in matched_events.items():
            if count > 1:
                self.problem("duplicate matched event", f"{item} x{count}")
        new_run = {e["external_id"]: e["run_id"] for e in events if e["type"] == "new"}
        new_at = {e["external_id"]: e["observed_at"] for e in events if e["type"] == "new"}
        late_delays = sorted(
            round((datetime.fromisoformat(e["observed_at"])
                   - datetime.fromisoformat(new_at[e["external_id"]])).total_seconds())
            for e in events if e["type"] == "matched"
            and e["run_id"] != new_run.get(e["external_id"]))
        # 3. Mail: each prepared row delivered once by Message-ID.
        received = self.sink.by_message_id()
        first_seen: dict[str, float] = {}
        for _rcpts, msg, at in self.sink.received:
            first_seen.setdefault(str(msg["Message-ID"]), at)
        ids_digest = {d["message_id"] for d in digests}
        ids_alert = {row[0] for row in alerts}
        delivered: Counter[str] = Counter()
        window_dups = 0
        for mid in ids_digest | ids_alert:
            count = received.get(mid, 0)
            delivered["0" if count == 0 else "1" if count == 1 else ">1"] += 1
            if count == 0:
                self.problem("digest or alert never delivered", mid)
            elif count > 1:
                if self.killed_after(first_seen[mid]):
                    window_dups += 1
                else:
                    self.problem("message delivered twice (no kill explains it)",
                                 f"{mid} x{count}: {self.describe_round(first_seen[mid])}")
        for mid in received:
            if mid not in ids_digest and mid not in ids_alert:
                self.problem("message delivered that the store does not know", mid)
        prepared = sum(1 for d in digests if d["status"] != "sent") + sum(
            1 for row in alerts if row[1] != "sent")
        if prepared:
            self.problem("digest or alert left prepared at the end", str(prepared))
        # 4. Digest ranges per recipient do not overlap; each matched doc in exactly one.
        texts = {str(m["Message-ID"]): h.text_part(m) for _r, m, _t in self.sink.received}
        by_id_event = {int(e["id"]): e for e in events}
        covered: Counter[str] = Counter()
        for recipient, goal in h.RECIPIENT_GOALS.items():
            rows = [d for d in digests if d["recipient"] == recipient and d["status"] == "sent"]
            for a, b in pairwise(rows):
                if b["from_event"] < a["to_event"]:
                    self.problem("overlapping digest ranges", f"{recipient}: {a} / {b}")
            for event_id, e in by_id_event.items():
                if e["type"] != "matched" or json.loads(e["new"]).get("goal") != goal:
                    continue
                holders = [d for d in rows if d["from_event"] < event_id <= d["to_event"]]
                url = sc.url(self.server.base_url, e["external_id"])
                if len(holders) != 1:
                    self.problem("matched document not in exactly one digest",
                                 f"{recipient} {e['external_id']}: {len(holders)}")
                elif url not in texts.get(holders[0]["message_id"], ""):
                    self.problem("digest text lacks a document it covers",
                                 f"{recipient} {e['external_id']}")
                else:
                    covered[recipient] += 1
        archive = self.home / "archive"
        tmp_left = sum(1 for p in archive.rglob("*.tmp*")) if archive.exists() else 0
        killed = [r for r in self.rounds if r.killed]
        return {
            "kills": sum(1 for r in killed if r.kill_label not in ("idle", "timeout")),
            "kills_by_plan": dict(Counter(r.kill_label for r in killed)),
            "kills_by_mode": dict(Counter(r.mode for r in killed if r.kill_label != "idle")),
            "rounds": len(self.rounds),
            "rounds_not_killed_plan_missed": sum(1 for r in self.rounds
                                                 if r.plan != "none" and not r.killed),
            "elapsed_s": round(self.elapsed, 1),
            "calibration": self.calib,
            "versions_served": last + 1,
            "last_version_recorded": recorded,
            "integrity_checks": self.integrity_checks,
            "documents": len(docs),
            "events": len(events),
            "source_events_expected": sum(expected.values()),
            "source_events_recorded": sum(actual.values()),
            "source_events_missing": sum(missing.values()),
            "source_events_extra": sum(extra.values()),
            "other_events": dict(other),
            "documents_that_should_match": sum(1 for eid in docs if goals.get(eid)),
            "documents_left_unmatched": len(unmatched),
            "matched_late_in_a_later_run": len(late_delays),
            "late_match_delays_s": late_delays,
            "digests": len(digests),
            "alert_items": len(alerts),
            "alert_messages": len(ids_alert),
            "messages_received": sum(received.values()),
            "messages_by_deliveries": dict(delivered),
            "same_message_id_redelivered_after_kill": window_dups,
            "matched_documents_in_exactly_one_digest": dict(covered),
            "rounds_started_with_mail_left_prepared": sum(1 for r in self.rounds
                                                          if r.found_prepared),
            "restarts_that_took_over_the_lock": sum(1 for r in self.rounds if r.took_over_lock),
            "source_runs": runs,
            "archive_tmp_files_left": tmp_left,
            "problems": dict(self.problems),
            "examples": dict(self.examples),
        }

    def describe_round(self, at: float) -> str:
        """The round during which something happened at ``at`` (for problem reports)."""
        for r in self.rounds:
            if r.started <= at <= r.ended + 0.5:
                kill = f"{r.kill_label} at +{r.kill_abs - at:.3f} s after it" \
                    if r.kill_abs is not None else "not killed"
                return f"round {r.index} ({r.mode}, plan {r.plan}, {kill}, exit {r.returncode})"
        return "outside every round"

    def killed_after(self, at: float) -> bool:
        """True if the message accepted at ``at`` was accepted in a round that was then
        killed after it (the accepted-but-not-marked window)."""
        for r in self.rounds:
            if r.started <= at <= r.ended + 0.5:
                # The sink stamps a message when it has read it, the harness when it sends
                # SIGKILL: a kill sent a few ms before the stamp can still land after the
                # client finished DATA (the same window), so the stamps get 50 ms of slack.
                return r.killed and r.kill_abs is not None and r.kill_abs >= at - 0.05
        return False


def repro_match_loss() -> int:
    """Deterministic reproduction: SIGKILL right after finish_run commits (before matching);
    the documents are then stored and never matched, so no digest ever lists them."""
    with tempfile.TemporaryDirectory(prefix="match-loss-") as tmp, \
            ReplayServer(max_requests=100, lifetime=120) as server:
        sc = h.Scenario()
        home = h.make_home(Path(tmp), server.base_url, smtp_port=None)
        h.serve_version(server, sc, 0)
        crash = ("import os, signal, tracker.runner as r\n"
                 "r.match_documents = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)\n"
                 "from tracker.cli import main; main()\n")
        argv = h.tracker_argv(home, "run", "--once")
        first = subprocess.run([argv[0], "-c", crash, *argv[3:]], env=h.child_env(),
                               cwd=h.REPO, capture_output=True, check=False)
        h.make_all_jobs_due(home)
        second = subprocess.run(argv, env=h.child_env(), cwd=h.REPO, capture_output=True,
                                check=False)
        with h.sqlite(home) as con:
            docs = con.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
            matches = con.execute("SELECT COUNT(*) FROM matches").fetchone()[0]
        should = sum(1 for g in sc.expected_goals(0).values() if g)
        print(f"run 1 (killed after the store transaction): exit {first.returncode}")
        print(f"run 2 (clean): exit {second.returncode}")
        print(f"documents stored: {docs}; should match a goal: {should}; matches: {matches}")
        lost = matches < should
        print("DEFECT: stored documents were never matched" if lost else "ok: all matched")
        return 1 if lost else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=100, help="SIGKILLs to deliver (100)")
    parser.add_argument("--daemon-share", type=float, default=0.3,
                        help="share of rounds running the daemon instead of --once (0.3)")
    parser.add_argument("--calibration", type=int, default=3, help="clean rounds first (3)")
    parser.add_argument("--tail", type=int, default=6, help="max clean rounds at the end (6)")
    parser.add_argument("--round-timeout", type=float, default=90.0, help="seconds (90)")
    parser.add_argument("--max-minutes", type=float, default=45.0, help="whole run (45)")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary home")
    parser.add_argument("--repro-match-loss", action="store_true",
                        help="only run the deterministic match-loss reproduction")
    args = parser.parse_args(argv)
    if args.repro_match_loss:
        return repro_match_loss()
    root = Path(tempfile.mkdtemp(prefix="crash-safety-"))
    lifetime = args.max_minutes * 60 + 600
    try:
        with ReplayServer(max_requests=1_000_000, lifetime=lifetime) as server, \
                h.smtp_sink() as (sink, port):
            bench = Bench(args, root, server, sink, port)
            bench.run()
            figures = bench.final()
    finally:
        if not args.keep:
            import shutil

            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"kept {root}")
    print_report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False, default=str),
                             encoding="utf-8")
    return 1 if figures["problems"] else 0


def print_report(f: dict[str, Any]) -> None:
    print()
    print("crash safety")
    width = max(len(k) for k in f)
    for key, value in f.items():
        if key in ("examples",):
            continue
        print(f"  {key:<{width}}  {value}")
    if f["problems"]:
        print("problems (examples):")
        for kind, items in f["examples"].items():
            print(f"  {kind}:")
            for item in items:
                print("    " + re.sub(r"\s+", " ", item)[:200])
    else:
        print("all checks passed")


if __name__ == "__main__":
    sys.exit(main())

