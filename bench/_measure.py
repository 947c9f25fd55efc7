"""Run a command and write its wall time, CPU time and peak RSS as JSON (used by _common.py).

Why a separate small process: on Linux a child's ``ru_maxrss`` keeps the high-water mark of
the memory it had before ``exec``, i.e. of the (large) benchmark process that spawned it.
This helper is small, so the command it forks starts from a small high-water mark and
``os.wait4`` reports the command's own peak RSS.

    python bench/_measure.py RESULT.json -- command args...
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def main() -> int:
    result_path, sep, *argv = sys.argv[1:]
    assert sep == "--" and argv, "usage: _measure.py RESULT.json -- command args..."
    start = time.perf_counter()
    proc = subprocess.Popen(argv)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    with open(result_path, "w", encoding="utf-8") as out:
        json.dump({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                   "maxrss_kib": usage.ru_maxrss, "returncode": proc.returncode}, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
