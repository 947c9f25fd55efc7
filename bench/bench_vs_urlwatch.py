"""Side-by-side benchmark: advocacy-tracker vs urlwatch watching the same N local pages.

Usage::

    .venv/bin/python bench/bench_vs_urlwatch.py [--pages 500] [--runs 5] [--changed 0.10]
        [--titles distinct|realistic] [--latency 0.0] [--urlwatch-venv /tmp/urlwatch-venv]
        [--markdown FILE] [--keep]

What it does, all on this machine (network traffic only to 127.0.0.1, except the one-time
``pip install urlwatch`` from PyPI into its own virtual environment, never the project's):

1. creates ``--urlwatch-venv`` with ``python3 -m venv`` and ``pip install urlwatch`` unless
   it already has a ``urlwatch`` executable;
2. starts one local threaded HTTP server (``tracker.replay.ReplayServer`` plus a byte
   counter) serving N legalacts-like list pages (``tracker.demo.pages.render_list_page``,
   5-12 synthetic Russian cards each, 11-27 KB), each with its own ETag and Last-Modified,
   with optional latency per request; it stops by itself after a bounded time and count;
3. per run (``--runs``, default 5), from empty state for every tool:
   cycle 1 "first" (every page new), cycle 2 "unchanged" (same bytes), then ``--changed``
   of the pages get one new card at the top and one card archived (new Last-Modified,
   new ETag), cycle 3 "changed". In every cycle the tools run one after the other (who goes
   first rotates), measured with ``os.wait4`` in bench/_measure.py: wall time, CPU time
   (user + system, children included), peak RSS; requests and bytes sent are counted at
   the server; changes detected are read from each tool's output and compared page by page
   with the pages that changed;
4. prints the median of the runs per tool and cycle and the per-run ratios against the
   targets (unchanged <= 0.25 x urlwatch's wall time, first <= 1.0 x, every change
   detected by both).

Tools:

- ``tracker``: ``tracker scrape --json`` (a new process per cycle; its real fetcher,
  archive, store, change detection and goal matching with the default goals) on a
  generated home whose tracker.toml defines one ``type = "html"`` source per page,
  disables the built-in sources and sets ``[fetch] min_interval = 0`` (per-host pacing
  off: for this benchmark only);
- ``tracker-warm``: one process per run (bench/_tracker_warm.py) that runs the sources as
  the daemon's source jobs do; its start-up is not counted;
- ``urlwatch``: ``urlwatch --urls urls.yaml --config urlwatch.yaml --cache cache.db`` with
  one plain ``url`` job per page (no filter: it compares the raw page) and the text
  reporter on stdout.

``--titles distinct`` (default) starts every title with the draft's number, so automatic
linking has nothing to compare; ``--titles realistic`` keeps the legalacts openings ("О
внесении изменений и дополнений в ..."), whose shared linking blocks make the tracker's
first cycle quadratic (see docs/benchmarks.md): use it with ``--pages 100``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from _common import (  # noqa: E402
    CLOSED,
    ROBOTS,
    CountingServer,
    Measured,
    child_env,
    run_measured,
    synthetic_card,
)

from sources.base import registry  # noqa: E402
from tracker.demo.pages import DemoCard, render_list_page  # noqa: E402
from tracker.replay import Reply  # noqa: E402

CYCLES = ("first", "unchanged", "changed")
#: tracker = `tracker scrape` (a cold process per cycle, as from cron); tracker-warm = one
#: process for the whole run that runs the sources as the daemon's jobs do (bench/_tracker_warm.py).
TOOLS = ("tracker", "tracker-warm", "urlwatch")
TRACKER = REPO / ".venv" / "bin" / "tracker"
CHILD_TIMEOUT = 900.0  # seconds; a hung tool is killed and the run reported as failed


# -- pages ----------------------------------------------------------------------------


@dataclass
class Page:
    """One watched page: its cards, and the version served now."""

    number: int
    cards: list[DemoCard]
    version: int = 0
    changed_ids: set[str] = field(default_factory=set)

    @property
    def target(self) -> str:
        return f"/list?page={self.number}"

    def reply(self) -> Reply:
        html = render_list_page(self.cards, heading="Открытые НПА", total_pages=1,
                                extra_parameters=f"&page={self.number}")
        # Each page has its own Last-Modified; a new version gets a later one.
        stamp = 1_790_000_000 + self.number * 60 + self.version * 86_400
        return Reply(html.encode("utf-8"), last_modified=formatdate(stamp, usegmt=True))


def make_pages(n: int, seed: int, *, distinct: bool = False) -> list[Page]:
    """N pages of 5-12 cards (10-25 KB), newest first; card ids never repeat."""
    rng = random.Random(seed)
    pages = []
    next_id = 16_000_000
    for number in range(1, n + 1):
        cards = []
        for _ in range(rng.randint(5, 12)):
            cards.append(synthetic_card(rng, next_id, distinct=distinct))
            next_id += 7
        pages.append(Page(number, cards))
    return pages


def change_pages(pages: list[Page], fraction: float, seed: int, *,
                 distinct: bool = False) -> list[Page]:
    """A new card at the top and the oldest open card archived, on ``fraction`` of pages."""
    rng = random.Random(seed)
    chosen = rng.sample(pages, max(1, round(len(pages) * fraction)))
    for page in chosen:
        new_id = 90_000_000 + page.number
        old = page.cards[-1]
        page.cards = [synthetic_card(rng, new_id, distinct=distinct), *page.cards[:-1],
                      DemoCard(old.card_id, old.title, CLOSED, old.doc_type, old.created, None,
                               old.agency, old.counters)]
        page.version += 1
    return sorted(chosen, key=lambda p: p.number)


def serve(server: CountingServer, pages: list[Page]) -> None:
    server.set("/robots.txt", ROBOTS)
    for page in pages:
        server.set(page.target, page.reply())


# -- the tracker's side -----------------------------------------------------------------


def tracker_config(base_url: str, pages: list[Page]) -> str:
    lines = ["# Generated by bench/bench_vs_urlwatch.py: pacing off for this benchmark only.",
             "[fetch]", "min_interval = 0", "timeout = 30.0", ""]
    for key in registry():
        lines += [f"[sources.{key}]", "enabled = false", ""]
    for page in pages:
        lines += [
            f"[sources.p{page.number:04d}]",
            'type = "html"',
            f'url = "{base_url}{page.target}"',
            'kind = "draft"',
            'language = "ru"',
            'item = "div.contentlist"',
            'fields = { title = "h3 a", url = "h3 a@href", text = "div.info" }',
            "",
        ]
    return "\n".join(lines)


def summarise(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    detected = {s["source"] for s in summaries if s["inserted"] or s["updated"]}
    return {
        "detected": {int(k[1:]) for k in detected},
        "failed": sum(1 for s in summaries if s["status"] != "ok") if summaries else -1,
        "inserted": sum(s["inserted"] for s in summaries),
        "updated": sum(s["updated"] for s in summaries),
        "events": sum(s["events"] for s in summaries),
    }


def run_tracker(home: Path) -> tuple[Measured, dict[str, Any]]:
    measured = run_measured([str(TRACKER), "scrape", "--json"],
                            env=child_env(TRACKER_HOME=str(home)), cwd=home,
                            timeout=CHILD_TIMEOUT)
    try:
        summaries = json.loads(measured.stdout)
    except json.JSONDecodeError:
        summaries = []
    return measured, summarise(summaries)


class WarmTracker:
    """bench/_tracker_warm.py as a child: one process per run, one line per cycle."""

    def __init__(self, home: Path) -> None:
        self.stderr = open(home / "warm-stderr.txt", "wb")  # noqa: SIM115
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, str(REPO / "bench" / "_tracker_warm.py")],
            env=child_env(TRACKER_HOME=str(home)), cwd=home, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self.stderr, text=True, encoding="utf-8")
        self._line()
        self.startup = time.perf_counter() - started

    def _line(self) -> dict[str, Any]:
        killer = threading.Timer(CHILD_TIMEOUT, self.proc.kill)  # bounded
        killer.daemon = True
        killer.start()
        try:
            assert self.proc.stdout is not None
            line = self.proc.stdout.readline()
        finally:
            killer.cancel()
        if not line:
            raise RuntimeError(f"warm tracker ended: see {self.stderr.name}")
        return dict(json.loads(line))

    def cycle(self) -> tuple[Measured, dict[str, Any]]:
        assert self.proc.stdin is not None
        self.proc.stdin.write("cycle\n")
        self.proc.stdin.flush()
        out = self._line()
        measured = Measured(out["wall"], out["cpu"], out["rss_mib"], 0, "", "")
        return measured, summarise(out["summaries"])

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()


# -- urlwatch's side --------------------------------------------------------------------

_URLWATCH_CONFIG = """\
display:
  new: true
  error: true
  unchanged: false
  empty-diff: true
report:
  text:
    details: false
    footer: false
    minimal: false
    line_length: 75
    separate: false
  stdout:
    enabled: true
    color: false
  html:
    diff: unified
  markdown:
    details: false
    footer: false
"""
_REPORT_LINE = re.compile(r"^\s*\d+\.\s+(NEW|CHANGED|ERROR|UNCHANGED):\s+(\S+)", re.M)


def ensure_urlwatch(venv: Path) -> Path:
    exe = venv / "bin" / "urlwatch"
    if exe.exists():
        return exe
    print(f"creating {venv} and installing urlwatch from PyPI (once)…", flush=True)
    subprocess.run(["python3", "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "urlwatch"], check=True,
                   timeout=600)
    return exe


def urlwatch_files(folder: Path, base_url: str, pages: list[Page]) -> None:
    jobs = [f"name: p{page.number:04d}\nurl: {base_url}{page.target}\n" for page in pages]
    (folder / "urls.yaml").write_text("---\n".join(jobs), encoding="utf-8")
    (folder / "urlwatch.yaml").write_text(_URLWATCH_CONFIG, encoding="utf-8")


def run_urlwatch(exe: Path, folder: Path) -> tuple[Measured, dict[str, Any]]:
    measured = run_measured(
        [str(exe), "--urls", str(folder / "urls.yaml"), "--config",
         str(folder / "urlwatch.yaml"), "--cache", str(folder / "cache.db")],
        env=child_env(HOME=str(folder)), cwd=folder, timeout=CHILD_TIMEOUT)
    kinds: dict[str, set[int]] = {"NEW": set(), "CHANGED": set(), "ERROR": set()}
    for kind, url in _REPORT_LINE.findall(measured.stdout):
        number = re.fullmatch(r"p(\d+)", url) or re.search(r"page=(\d+)", url)
        if number and kind in kinds:
            kinds[kind].add(int(number.group(1)))
    return measured, {
        "detected": kinds["NEW"] | kinds["CHANGED"],
        "failed": len(kinds["ERROR"]),
        "new": len(kinds["NEW"]),
        "changed": len(kinds["CHANGED"]),
    }


# -- one run -----------------------------------------------------------------------------


def one_run(run: int, args: argparse.Namespace, server: CountingServer, urlwatch: Path,
            work: Path) -> dict[tuple[str, str], dict[str, Any]]:
    distinct = args.titles == "distinct"
    pages = make_pages(args.pages, seed=run, distinct=distinct)
    serve(server, pages)
    home = work / f"run{run}" / "tracker-home"
    warm_home = work / f"run{run}" / "tracker-warm-home"
    uw = work / f"run{run}" / "urlwatch"
    for folder in (home, warm_home, uw):
        folder.mkdir(parents=True)
    for folder in (home, warm_home):
        (folder / "tracker.toml").write_text(tracker_config(server.base_url, pages),
                                             encoding="utf-8")
    urlwatch_files(uw, server.base_url, pages)
    warm = WarmTracker(warm_home)
    print(f"  run {run + 1}: warm tracker ready after {warm.startup:.2f} s (imports, settings, "
          "store, goals)", flush=True)
    try:
        return _cycles(run, args, server, urlwatch, pages, home, warm, uw, distinct)
    finally:
        warm.close()


def _cycles(run: int, args: argparse.Namespace, server: CountingServer, urlwatch: Path,
            pages: list[Page], home: Path, warm: WarmTracker, uw: Path, distinct: bool,
            ) -> dict[tuple[str, str], dict[str, Any]]:
    results: dict[tuple[str, str], dict[str, Any]] = {}
    expected: dict[str, set[int]] = {"first": {p.number for p in pages}, "unchanged": set()}
    for cycle in CYCLES:
        if cycle == "changed":
            changed = change_pages(pages, args.changed, seed=1000 + run, distinct=distinct)
            serve(server, changed)
            expected["changed"] = {p.number for p in changed}
        shift = (run + CYCLES.index(cycle)) % len(TOOLS)  # rotate who goes first
        for tool in TOOLS[shift:] + TOOLS[:shift]:
            mark = server.mark()
            if tool == "tracker":
                measured, found = run_tracker(home)
            elif tool == "tracker-warm":
                measured, found = warm.cycle()
            else:
                measured, found = run_urlwatch(urlwatch, uw)
            traffic = server.since(mark)
            missed = expected[cycle] - found["detected"]
            extra = found["detected"] - expected[cycle]
            results[(tool, cycle)] = {
                "wall": measured.wall, "cpu": measured.cpu, "rss": measured.rss_mib,
                "requests": traffic["requests"], "bytes": traffic["bytes"],
                "statuses": traffic["statuses"], "detected": len(found["detected"]),
                "expected": len(expected[cycle]), "missed": len(missed),
                "spurious": len(extra), "failed": found["failed"],
                "returncode": measured.returncode, "found": found,
            }
            if measured.returncode != 0:
                print(f"  !! {tool} exited {measured.returncode}: {measured.stderr[-2000:]}",
                      flush=True)
            print(f"  run {run + 1} {cycle:<9} {tool:<12} wall {measured.wall:7.2f} s  "
                  f"cpu {measured.cpu:7.2f} s  rss {measured.rss_mib:6.1f} MiB  "
                  f"req {traffic['requests']:5d} {dict(sorted(traffic['statuses'].items()))}  "
                  f"bytes {traffic['bytes'] / 1e6:7.2f} MB  detected {len(found['detected'])}"
                  f"/{len(expected[cycle])} (missed {len(missed)}, spurious {len(extra)})",
                  flush=True)
    return results


# -- report ------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(all_runs: list[dict[tuple[str, str], dict[str, Any]]], args: argparse.Namespace,
          page_kb: tuple[float, float, float]) -> str:
    rows = []
    header = ("| cycle | tool | wall s | CPU s | peak RSS MiB | requests | MB sent "
              "| changes detected / expected |")
    rows.append(header)
    rows.append("|---|---|--:|--:|--:|--:|--:|--:|")
    med: dict[tuple[str, str], dict[str, float]] = {}
    for cycle in CYCLES:
        for tool in TOOLS:
            values = [r[(tool, cycle)] for r in all_runs]
            m = {k: median([v[k] for v in values])
                 for k in ("wall", "cpu", "rss", "requests", "bytes", "detected", "expected",
                           "missed")}
            m["missed_max"] = max(v["missed"] for v in values)
            med[(tool, cycle)] = m
            rows.append(
                f"| {cycle} | {tool} | {m['wall']:.2f} | {m['cpu']:.2f} | {m['rss']:.0f} | "
                f"{m['requests']:.0f} | {m['bytes'] / 1e6:.2f} | "
                f"{m['detected']:.0f} / {m['expected']:.0f} |")
    def ratio(tool: str, cycle: str, key: str = "wall") -> float:
        return median([r[(tool, cycle)][key] / r[("urlwatch", cycle)][key] for r in all_runs])

    missed = {t: max(r[(t, "changed")]["missed"] for r in all_runs) for t in TOOLS}
    spurious = {t: max(r[(t, "changed")]["spurious"] for r in all_runs) for t in TOOLS}

    def verdict(ok: bool) -> str:
        return "yes" if ok else "NO"

    lines = [
        f"N = {args.pages} pages ({page_kb[0]:.0f}-{page_kb[2]:.0f} KB, median "
        f"{page_kb[1]:.0f} KB), titles {args.titles}, {args.changed:.0%} changed in cycle 3, "
        f"latency {args.latency * 1000:.0f} ms per request, median of {len(all_runs)} runs.",
        "",
        *rows,
        "",
        "| target | tracker (scrape) / urlwatch | met | tracker-warm / urlwatch | met |",
        "|---|---|---|---|---|",
    ]
    for cycle, limit in (("unchanged", 0.25), ("first", 1.0)):
        cells = []
        for tool in ("tracker", "tracker-warm"):
            cells.append(f"{ratio(tool, cycle):.2f} x wall (CPU {ratio(tool, cycle, 'cpu'):.2f} x)"
                         f" | {verdict(ratio(tool, cycle) <= limit)}")
        lines.append(f"| {cycle} cycle wall <= {limit} x urlwatch | {' | '.join(cells)} |")
    cells = [f"missed {missed[t]}, spurious {spurious[t]} (urlwatch: missed {missed['urlwatch']},"
             f" spurious {spurious['urlwatch']}) | "
             f"{verdict(not missed[t] and not missed['urlwatch'])}"
             for t in ("tracker", "tracker-warm")]
    lines.append(f"| {args.changed:.0%} changed: every change detected by both | "
                 f"{' | '.join(cells)} |")
    lines.append(f"| (info) {args.changed:.0%} changed cycle wall | "
                 f"{ratio('tracker', 'changed'):.2f} x | | "
                 f"{ratio('tracker-warm', 'changed'):.2f} x | |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--changed", type=float, default=0.10)
    parser.add_argument("--titles", choices=("realistic", "distinct"), default="distinct",
                        help="realistic: legalacts-like openings (large linking blocks); "
                        "distinct: each title starts with the draft's number")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds the server waits before each answer")
    parser.add_argument("--urlwatch-venv", type=Path, default=Path("/tmp/urlwatch-venv"))
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    urlwatch = ensure_urlwatch(args.urlwatch_venv)
    version = subprocess.run([str(urlwatch), "--version"], capture_output=True, text=True,
                             timeout=60).stdout.strip()
    # Warm-up, not measured: both tools start once, so every later start finds compiled
    # bytecode (child_env) and warm OS file caches, as on a machine that runs them daily.
    for argv in ([str(TRACKER), "--help"], [str(urlwatch), "--help"]):
        subprocess.run(argv, env=child_env(), capture_output=True, timeout=120, check=False)
    work = Path(tempfile.mkdtemp(prefix="bench-vs-urlwatch-"))
    # Bounded traffic: per run and cycle, scrape and the warm tracker make N + 1 requests
    # (robots.txt once) and urlwatch N (the budget leaves room for 5N); the server answers
    # 503 past the budget and stops by itself after `lifetime` seconds whatever happens.
    budget = args.runs * 3 * (5 * args.pages + 10) + 100
    lifetime = 600 + args.runs * 3600
    sizes = sorted(len(p.reply().body) / 1024
                   for p in make_pages(args.pages, seed=0, distinct=args.titles == "distinct"))
    page_kb = (sizes[0], statistics.median(sizes), sizes[-1])
    print(f"{version}; tracker {TRACKER}; {args.pages} pages of {page_kb[0]:.0f}-"
          f"{page_kb[2]:.0f} KB (median {page_kb[1]:.0f}); work folder {work}", flush=True)
    all_runs = []
    started = time.perf_counter()
    try:
        with CountingServer(latency=args.latency, max_requests=budget,
                            lifetime=lifetime) as server:
            for run in range(args.runs):
                all_runs.append(one_run(run, args, server, urlwatch, work))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report = table(all_runs, args, page_kb)
    command = ("    .venv/bin/python bench/bench_vs_urlwatch.py " +
               " ".join(sys.argv[1:])).rstrip()
    print(f"\n{version} vs advocacy-tracker, total {time.perf_counter() - started:.0f} s\n")
    print(report)
    if args.markdown:
        args.markdown.write_text(f"{command}\n\n{version}\n\n{report}\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
