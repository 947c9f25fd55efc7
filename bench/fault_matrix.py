"""Fault matrix summary: every coded source × every fault, run exactly as tests/faults runs it.

Usage::

    .venv/bin/python bench/fault_matrix.py [--source NAME]... [--fault NAME]... [--markdown]

Everything runs on 127.0.0.1 (replay servers, a refused port, a self-signed HTTPS server);
about two minutes for the whole matrix. Each cell reads ``<outcome><requests><mark>``:

- outcome ``E`` the run failed and its error and the source's health say why; ``ok`` it
  succeeded (``ok+w``: with warnings);
- requests: how many the faulty page got (retries included), or for a host that never
  answers (refused, bad certificate) how many attempts the fetch log holds;
- mark: nothing when every check passed (bounded time, bounded retries, bystander source
  unaffected, nothing stored lost or altered); ``!`` a check failed; ``~`` a known defect
  outside the fetcher (listed below the table) reproduced; ``?`` a known defect did not.

Below the table: what the first error of each fault said (one source as the example) and
every failed check. Exit status 1 when a check failed unexpectedly.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.faults.faults import BY_NAME, FAULTS, KNOWN_DEFECTS, check  # noqa: E402
from tests.faults.harness import Outcome, Seeds, run_case  # noqa: E402
from tests.faults.sources import SPECS  # noqa: E402

SHORT = {"kz_legalacts": "legalacts", "kz_adilet": "adilet", "kz_parliament": "parliament",
         "kz_govkz": "govkz", "kz_akorda": "akorda", "kz_epetition": "epetition",
         "un_upr": "upr", "un_upr[export]": "upr-export", "coe_treaties": "coe",
         "un_treaty_deadlines": "tb-deadline"}
_LOCAL = re.compile(r"https?://127\.0\.0\.1:\d+")


def cell(outcome: Outcome, problems: list[str], known: bool) -> str:
    """``E3``, ``ok1``, ``ok+w1`` and a mark (see the module docstring)."""
    kind = "E" if outcome.status == "error" else ("ok+w" if outcome.warnings else "ok")
    requests = outcome.entry_requests or len(outcome.fetch_log)
    mark = ("~" if problems else "?") if known else ("!" if problems else "")
    return f"{kind}{requests}{mark}"


def shorten(message: str, width: int = 150) -> str:
    """An error with local URLs as <site> and cut to ``width``."""
    text = _LOCAL.sub("<site>", message)
    return text if len(text) <= width else text[: width - 1] + "…"


def table(names: list[str], faults: list[str], cells: dict[tuple[str, str], str],
          markdown: bool) -> str:
    """Rows: faults; columns: sources."""
    headers = ["fault", *(SHORT.get(n, n) for n in names)]
    rows = [[fault, *(cells[(n, fault)] for n in names)] for fault in faults]
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    return "\n".join("  ".join(value.ljust(widths[i]) for i, value in enumerate(row)).rstrip()
                     for row in [headers, *rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", action="append", choices=list(SPECS), metavar="NAME",
                        help="only this source (repeatable); default: all")
    parser.add_argument("--fault", action="append", choices=list(BY_NAME), metavar="NAME",
                        help="only this fault (repeatable); default: all")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    names = args.source or list(SPECS)
    faults = args.fault or [f.name for f in FAULTS]
    cells: dict[tuple[str, str], str] = {}
    said: dict[str, str] = {}
    failures: list[str] = []
    unexpected = 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fault-matrix-") as tmp, Seeds(Path(tmp)) as seeds:
        for number, name in enumerate(names):
            for fault_name in faults:
                fault = BY_NAME[fault_name]
                workdir = Path(tmp) / f"case-{number}-{len(cells)}"
                outcome = run_case(seeds, name, fault_name, fault.inject, workdir)
                problems = check(outcome, fault.expectation(name))
                known = (name, fault_name) in KNOWN_DEFECTS
                cells[(name, fault_name)] = cell(outcome, problems, known)
                if outcome.errors and fault_name not in said:
                    said[fault_name] = f"{name}: {outcome.errors[0]}"
                if problems and not known:
                    unexpected += 1
                    failures += [f"{name} × {fault_name}: {p}" for p in problems]
                elif known and not problems:
                    unexpected += 1
                    failures.append(f"{name} × {fault_name}: known defect did not reproduce")
                print(f"\r{len(cells)}/{len(names) * len(faults)} cases", end="",
                      file=sys.stderr, flush=True)
    print(file=sys.stderr)
    print(table(names, faults, cells, args.markdown))
    print(f"\n{len(cells)} cases in {time.monotonic() - started:.0f} s; "
          f"{unexpected} unexpected; {sum(1 for k in cells if k in KNOWN_DEFECTS)} known "
          "defects outside the fetcher (~)")
    print("\nWhat the errors say (one source per fault):")
    for fault_name in faults:
        if fault_name in said:
            print(f"  {fault_name}: {shorten(said[fault_name])}")
    defects = sorted({KNOWN_DEFECTS[k] for k in cells if k in KNOWN_DEFECTS})
    if defects:
        print("\nKnown defects outside the fetcher (marked ~):")
        for defect in defects:
            print(f"  - {defect}")
    if failures:
        print("\nFailed checks:")
        for failure in failures:
            print(f"  - {shorten(failure, 300)}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
