"""The daemon as a real process: it holds the lock, a second one is refused with the holder,
SIGTERM stops it cleanly (lock released, log written); a killed one's lock is recovered."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sources.base import registry
from tests.conftest import write_home
from tracker.lock import SchedulerLock, lock_holder
from tracker.store import Store

RUN = [sys.executable, "-c", "from tracker.cli import main; main()"]


def quiet_home(tmp_path: Path) -> Path:
    """A home whose sources are all disabled: the daemon runs, nothing leaves the machine."""
    return write_home(tmp_path / "home", "".join(
        f"[sources.{key}]\nenabled = false\n" for key in registry()))


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if k not in {"TRACKER_HOME", "TRACKER_DATABASE_URL"}}


def wait_for(path: Path, text: str, timeout: float = 30.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if path.exists() and text in path.read_text(encoding="utf-8"):
            return True
        time.sleep(0.1)
    return False


def test_daemon_lock_second_instance_and_sigterm(tmp_path: Path) -> None:
    home = quiet_home(tmp_path)
    log = home / "logs" / "tracker.log"
    daemon = subprocess.Popen([*RUN, "--home", str(home), "run"], env=env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(log, "scheduler ready"), daemon.stderr.read() if daemon.poll() else ""
        second = subprocess.run([*RUN, "--home", str(home), "run", "--once"], env=env(),
                                capture_output=True, text=True, timeout=60, check=False)
        assert second.returncode == 1
        assert f"another scheduler is running: pid {daemon.pid}" in second.stderr
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=30) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    _, err = daemon.communicate()
    assert "received SIGTERM" in err and "scheduler stopped" in err
    assert "scheduler stopped" in log.read_text(encoding="utf-8")
    assert log.stat().st_mode & 0o777 == 0o600
    store = Store.open(f"sqlite:///{home / 'tracker.db'}")
    try:
        assert lock_holder(store.engine) is None  # released on the way out
    finally:
        store.close()


def test_lock_of_a_killed_daemon_is_recovered(tmp_path: Path) -> None:
    home = quiet_home(tmp_path)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    store = Store.open(f"sqlite:///{home / 'tracker.db'}")
    try:
        SchedulerLock(store.engine, pid=gone.pid).acquire()  # killed before releasing
        done = subprocess.run([*RUN, "--home", str(home), "run", "--once"], env=env(),
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        assert f"took over a stale scheduler lock from pid {gone.pid}" in done.stderr
        assert lock_holder(store.engine) is None
    finally:
        store.close()
