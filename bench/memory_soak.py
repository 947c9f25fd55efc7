"""Memory: the daemon's resident set after 1,000 replayed cycles vs after 10.

Usage::

    .venv/bin/python bench/memory_soak.py                       # 1,000 cycles
    .venv/bin/python bench/memory_soak.py --cycles 200 --checkpoints 10,100,200

The daemon is the real ``tracker run`` (click command, scheduler lock and heartbeat, logging
to stderr and the rotating log file, APScheduler's BackgroundScheduler with the SQLAlchemy job
store, one worker thread) in a child process; the only change, made in that child and nowhere
else, is that every job's trigger becomes ``IntervalTrigger(seconds=--interval)`` instead of
minutes and days, so a cycle (scrape kz_legalacts → store → match → health, the alerts job,
one digest per recipient) comes around every ``--interval`` seconds. The parent serves the
listing on a ReplayServer (127.0.0.1) and moves it to the next version after every list
request (new cards, every view count, some comments, deadlines and statuses change: the store
grows as it would in production); the two recipients' digests go to a local aiosmtpd server.

RSS is read from ``/proc/<pid>/status`` every 50 ms. "RSS after cycle k" is the last sample
taken before the (k+1)-th list request, i.e. once cycle k's jobs are done. Pass: RSS after
the last cycle <= 1.10 x RSS after 10. VmRSS includes file-backed pages (shared libraries,
mapped files) that the kernel drops and re-reads under memory pressure, so RssAnon (the
process's own memory) is reported too, as is the ratio to a warm baseline (cycle 100).
``--child-env`` and ``--sqlite-cache-kib`` exist for diagnosis (docs/reliability.md).
Bounded by ``--max-minutes``; the child is stopped with SIGTERM (the daemon's clean stop)
at the end, SIGKILL only if it does not stop within 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h

from tracker.replay import ReplayServer


def child(home: str, interval: float, sqlite_cache_kib: int | None = None) -> None:
    """Run ``tracker run`` with every trigger shortened to ``interval`` seconds (and, for
    diagnosis only, SQLite's page cache per connection capped at ``sqlite_cache_kib``)."""
    from apscheduler.triggers.interval import IntervalTrigger

    import tracker.scheduling as run_module  # `tracker run` imports job_specs from here
    from tracker.cli import main
    from tracker.scheduling import JobSpec

    real = run_module.job_specs

    def fast(settings: Any, mail: Any, where: str = "tracker.toml") -> list[JobSpec]:
        return [JobSpec(s.id, s.kind, s.target,
                        IntervalTrigger(seconds=interval, timezone=mail.schedule.timezone),
                        f"bench: every {interval:g} s") for s in real(settings, mail, where)]

    run_module.job_specs = fast  # type: ignore[assignment]
    if sqlite_cache_kib is not None:
        from sqlalchemy import event

        from tracker.store import store as store_module

        opened = store_module.Store.open.__func__  # type: ignore[attr-defined]

        def open_small(cls: Any, url: str, *, migrate: bool = True) -> Any:
            store = opened(cls, url, migrate=migrate)
            event.listen(store.engine, "connect", lambda dbapi, _rec: dbapi.execute(
                f"PRAGMA cache_size=-{int(sqlite_cache_kib)}"))
            store.engine.dispose()  # reconnect with the pragma
            return store

        store_module.Store.open = classmethod(open_small)  # type: ignore[method-assign]
    main(["--home", home, "run"])


def soak(args: argparse.Namespace) -> dict[str, Any]:
    checkpoints = sorted({int(c) for c in args.checkpoints.split(",")} | {args.cycles})
    scenario = h.Scenario(views_change=True)
    budget = args.max_minutes * 60
    with tempfile.TemporaryDirectory(prefix="memory-soak-") as tmp, \
            ReplayServer(max_requests=10 * args.cycles + 1000, lifetime=budget + 300) as server, \
            h.smtp_sink(keep_messages=False) as (sink, port):
        home = h.make_home(Path(tmp), server.base_url, smtp_port=port)
        h.serve_version(server, scenario, 0)
        err = open(Path(tmp) / "daemon.err", "wb")  # noqa: SIM115 (closed below)
        env = h.child_env()
        for item in args.child_env:
            key, _, value = item.partition("=")
            env[key] = value
        argv = [sys.executable, __file__, "--child", str(home), "--interval", str(args.interval)]
        if args.sqlite_cache_kib is not None:
            argv += ["--sqlite-cache-kib", str(args.sqlite_cache_kib)]
        proc = subprocess.Popen(argv, env=env, cwd=h.REPO, stdout=subprocess.DEVNULL,
                                stderr=err)
        samples: dict[int, int] = {}
        anon: dict[int, int] = {}
        hwm: dict[int, int] = {}
        start = time.monotonic()
        served = 0
        try:
            while served <= args.cycles and time.monotonic() - start < budget:
                if proc.poll() is not None:
                    break
                count = h.list_requests(server)
                if count > served:
                    served = count
                    h.serve_version(server, scenario, served)
                    done = served - 1
                    if done in (10, 100) or (done and done % 100 == 0):
                        print(f"  after cycle {done}: RSS {samples.get(done, 0) / 1024:.1f} MiB"
                              f" ({time.monotonic() - start:.0f} s)", flush=True)
                rss = h.proc_status_kib(proc.pid)
                if rss is not None and served:
                    samples[served] = rss
                    anon[served] = h.proc_status_kib(proc.pid, "RssAnon") or 0
                    hwm[served] = h.proc_status_kib(proc.pid, "VmHWM") or 0
                time.sleep(0.05)
        finally:
            elapsed = time.monotonic() - start
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            err.close()
        tail = (Path(tmp) / "daemon.err").read_text(encoding="utf-8", errors="replace")
        with h.sqlite(home) as con:
            docs = con.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
            events = con.execute("SELECT COUNT(*) FROM events").fetchone()[0]
            runs = dict(con.execute("SELECT status, COUNT(*) FROM source_runs GROUP BY status")
                        .fetchall())
        db_mib = h.db_path(home).stat().st_size / 2**20
    rss = {k: samples.get(k) for k in checkpoints}
    base, last = rss.get(10), rss.get(args.cycles)
    ratio = (last / base) if base and last else None
    warm = rss.get(100)
    anon_base, anon_last = anon.get(10), anon.get(args.cycles)
    return {
        "cycles_completed": min(served - 1, args.cycles) if served else 0,
        "diagnosis_settings": {"child_env": args.child_env,
                               "sqlite_cache_kib": args.sqlite_cache_kib},
        "interval_s": args.interval,
        "elapsed_s": round(elapsed, 1),
        "rss_mib": {k: round(v / 1024, 1) if v else None for k, v in rss.items()},
        "peak_rss_mib_by_then": {k: round(hwm[k] / 1024, 1) if hwm.get(k) else None
                                 for k in checkpoints},
        "rss_anon_mib": {k: round(anon[k] / 1024, 1) if anon.get(k) else None
                         for k in checkpoints},
        "ratio_last_to_10": round(ratio, 3) if ratio else None,
        "anon_ratio_last_to_10": round(anon_last / anon_base, 3)
        if anon_base and anon_last else None,
        "ratio_last_to_100": round(last / warm, 3) if warm and last else None,
        "within_10_percent": bool(ratio is not None and ratio <= 1.10),
        "daemon_exit": proc.returncode,
        "source_runs": runs,
        "documents": docs,
        "events": events,
        "database_mib": round(db_mib, 1),
        "mails_accepted": sink.count,
        "daemon_errors_logged": sum(1 for line in tail.splitlines() if " ERROR " in line),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=1000, help="cycles to run (1000)")
    parser.add_argument("--checkpoints", default="10,100,500,1000",
                        help="cycles at which to report RSS (10,100,500,1000)")
    parser.add_argument("--interval", type=float, default=0.5,
                        help="seconds between job runs in the daemon (0.5)")
    parser.add_argument("--max-minutes", type=float, default=60.0, help="bound (60)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--child-env", action="append", default=[], metavar="KEY=VALUE",
                        help="diagnosis: extra environment for the daemon, e.g. "
                        "MALLOC_ARENA_MAX=2 (repeatable)")
    parser.add_argument("--sqlite-cache-kib", type=int,
                        help="diagnosis: cap SQLite's page cache per connection (KiB)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.interval, args.sqlite_cache_kib)
        return 0
    os.umask(0o077)
    figures = soak(args)
    print()
    print("memory soak")
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"  {key:<{width}}  {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0 if figures["within_10_percent"] else 1


if __name__ == "__main__":
    sys.exit(main())

