"""What `tracker scrape` loads at start (cron runs it many times a day): not the encryption
of actions (cryptography), not the demo's scripted server, not the live layout check; those
are imported by the commands that use them, which still work."""

from __future__ import annotations

import subprocess
import sys

import pytest

#: Imported only by `actions`/`report` (sealing), `demo`, `sources check`, `run` (the
#: scheduler), `digest` (mail), `calendar` (icalendar) and `dashboard`.
LAZY = ("cryptography", "tracker.demo", "tracker.demo.scenario", "tracker.replay",
        "tracker.livecheck", "apscheduler", "icalendar", "textual", "tui",
        "tracker.scheduling", "tracker.calendar_export", "tracker.alerts", "tracker.views",
        "aiosmtpd")


def loaded_after(statement: str) -> list[str]:
    probe = (f"import sys\n{statement}\n"
             f"print(sorted(m for m in {LAZY!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, check=True)
    return [m.strip("' ") for m in done.stdout.strip().strip("[]").split(",") if m.strip()]


def test_importing_the_command_line_leaves_lazy_modules_unloaded() -> None:
    assert loaded_after("import tracker.cli") == []


def test_the_actions_module_loads_without_cryptography() -> None:
    """tracker.actions (imported by the `actions` and `report` commands' modules) needs the
    seal's names, not its cipher: cryptography loads when a value is sealed or opened."""
    assert loaded_after("import tracker.actions, tracker.seal, tracker.reports") == []


def test_sealing_still_works_after_a_lazy_import() -> None:
    from tracker.seal import SealError, create_seal

    _header, sealer = create_seal("a passphrase", kdf="scrypt",
                                  params={"n": 2**10, "r": 8, "p": 1})
    token = sealer.seal("встреча в министерстве", "summary")
    assert sealer.open(token, "summary") == "встреча в министерстве"
    with pytest.raises(SealError):
        sealer.open(token, "outcome")  # bound to its field
    assert sealer.verifies(sealer.check_tag())
    assert not sealer.verifies(b"\0" * 40)


def test_every_command_is_still_registered() -> None:
    from tracker.cli import cli

    assert {"scrape", "run", "digest", "calendar", "report", "dashboard", "actions",
            "demo"} <= set(cli.commands)
