"""One command runs every check: ruff, mypy and the test suite (`python -m tracker.devcheck`).

The test suite runs last, so its summary closes the output; a failure anywhere gives a
non-zero exit. pytest's "no tests ran"
(exit 5) counts as a failure too: a suite that runs nothing proves nothing.
"""

from __future__ import annotations

import subprocess
import sys


def main(argv: list[str] | None = None) -> int:
    """Run ruff and mypy, then pytest (with any extra arguments); return the worst status."""
    extra = list(argv if argv is not None else sys.argv[1:])
    steps = [
        ["ruff", "check", "."],
        ["mypy"],
        ["pytest", *extra],
    ]
    worst = 0
    for step in steps:
        print(f"== {' '.join(step)}", flush=True)
        code = subprocess.call([sys.executable, "-m", *step])
        if code != 0:
            print(f"== FAILED ({code}): {' '.join(step)}", flush=True)
            worst = worst or code
    if worst:
        print("== some checks FAILED (see above)", flush=True)
    return worst


if __name__ == "__main__":
    sys.exit(main())
