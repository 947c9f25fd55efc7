"""Where the shared real-page samples live (``<repo>/../shared``), for tests that read them.

The saved third-party pages are never copied into this repository: tests read them in place.
Without the folder a test is skipped with a clear message, except in CI (``CI=true``), where a
missing folder means the checks would silently prove nothing, so the test fails instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_ROOT.parent / "shared"


def shared_dir() -> Path:
    """The shared folder; skip the calling test without it (fail instead when ``CI=true``)."""
    if SHARED_DIR.is_dir():
        return SHARED_DIR
    message = f"shared real-page samples not found at {SHARED_DIR} (expected <repo>/../shared)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}; CI=true requires them", pytrace=False)
    pytest.skip(message)
