"""A warm tracker process for bench/bench_vs_urlwatch.py: sources run as the daemon runs them.

Started once per benchmark run with TRACKER_HOME set; it imports the tracker, reads the
settings, opens the store and loads the goals once (like `tracker daemon`), then for every
line ``cycle`` on stdin runs every enabled source exactly as the daemon's source job does
(tracker/scheduling.py ``_run_source_job``: the worker thread's long-lived Fetcher,
``run_source`` with the goals) and prints one JSON line: wall and CPU seconds of the cycle
(this process only), peak RSS so far (VmHWM, MiB), and the run summaries. ``quit`` (or end
of input) ends it.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tracker.archive import Archive  # noqa: E402
from tracker.catalog import enabled_sources, load_home_settings  # noqa: E402
from tracker.config import resolve_home  # noqa: E402
from tracker.fetch import Fetcher, RobotsCache  # noqa: E402
from tracker.matchrun import load_home_goals, rematch_if_goals_changed  # noqa: E402
from tracker.runner import run_source  # noqa: E402
from tracker.store import Store  # noqa: E402


def peak_rss_mib() -> float:
    """VmHWM of this process's own memory (ru_maxrss would include the high-water mark of
    the benchmark process this one was spawned from)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    home = resolve_home(None)
    settings = load_home_settings(home)
    store = Store.open(settings.database_url)
    goals = load_home_goals(home)
    rematch_if_goals_changed(store, goals)
    keys = enabled_sources(settings)
    # As the daemon's source jobs do (tracker/scheduling.py Runtime.fetcher): one fetcher per
    # worker thread (this process runs sources in one thread), kept across cycles so
    # connections stay open, with robots.txt rules shared by the process's fetchers (each
    # site's read once a day).
    fetcher = Fetcher(settings.fetch, Archive(settings.archive_dir), store,
                      robots=RobotsCache())
    print(json.dumps({"ready": True, "sources": len(keys)}), flush=True)
    for line in sys.stdin:
        if line.strip() != "cycle":
            break
        wall, started = time.perf_counter(), cpu()
        summaries = []
        for key in keys:
            summaries.append(run_source(key, settings=settings, store=store,
                                        fetcher=fetcher, goals=goals).as_dict())
        out = {"wall": time.perf_counter() - wall, "cpu": cpu() - started,
               "rss_mib": peak_rss_mib(),
               "summaries": summaries}
        print(json.dumps(out, ensure_ascii=False), flush=True)
    fetcher.close()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
