"""Helpers shared by bench/bench_vs_urlwatch.py and bench/bench_listing_cost.py.

- ``CountingServer``: ``tracker.replay.ReplayServer`` that also counts the bytes it sends
  (status line, headers and bodies) and the requests per status, so both tools are measured
  at the same place: the server.
- ``synthetic_cards``: legalacts-like cards with realistic Russian titles (a few of them on
  the default goals' topics, so the matcher has real work), deterministic from a seed.
- ``run_measured``: run a child process and return wall time, CPU time (user + system of
  the child and of everything it waited for) and peak RSS, from ``os.wait4`` in the small
  helper bench/_measure.py.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tracker.demo.pages import DemoCard
from tracker.replay import ReplayServer

ROBOTS = "User-agent: *\nDisallow: /npa/view\nDisallow: /application\n"

_MINISTRIES = (
    "Министра внутренних дел",
    "Министра культуры и информации",
    "Министра юстиции",
    "Министра энергетики",
    "Министра труда и социальной защиты населения",
    "Министра финансов",
    "Министра здравоохранения",
    "Министра просвещения",
    "Министра цифрового развития, инноваций и аэрокосмической промышленности",
    "Министра промышленности и строительства",
    "Министра сельского хозяйства",
    "Министра национальной экономики",
)
_LAWS = (
    "некоторые законодательные акты Республики Казахстан",
    "Кодекс Республики Казахстан об административных правонарушениях",
    "Уголовный кодекс Республики Казахстан",
    "Закон Республики Казахстан «О средствах массовой информации»",
    "Закон Республики Казахстан «О некоммерческих организациях»",
    "Социальный кодекс Республики Казахстан",
)
_TOPICS = (
    "налогообложения и таможенного администрирования",
    "государственных закупок",
    "энергосбережения и повышения энергоэффективности",
    "обеспечения прав женщин и безопасности детей",
    "профилактики бытового насилия",
    "архивного дела и ограничения распространения противоправного контента",
    "деятельности некоммерческих организаций",
    "противодействия дискриминации",
    "социальной защиты лиц с инвалидностью",
    "лицензирования отдельных видов деятельности",
    "регулирования тарифов на электрическую энергию",
    "развития агропромышленного комплекса",
    "цифровизации государственных услуг",
    "миграции населения",
    "исполнения судебных актов",
    "охраны общественного порядка",
)
_RULES = (
    "Правил исчисления размеров государственной базовой пенсионной выплаты",
    "Правил выдачи заключения о предоставлении полномочий",
    "предельных тарифов на электрическую энергию",
    "Правил ведения электронных паспортов транспортных средств",
    "Правил проведения конкурса на предоставление грантов",
    "перечня регулируемых услуг",
    "Правил оказания государственной услуги",
    "квалификационных требований к деятельности",
)
_AGENCIES = (
    "Министерство внутренних дел РК",
    "Министерство культуры и информации РК",
    "Министерство юстиции РК",
    "Министерство энергетики РК",
    "Министерство труда и социальной защиты населения РК",
    "Министерство финансов РК",
    "Министерство здравоохранения РК",
)
_TYPES = ("Проект Закона", "Приказ", "Постановление Правительства", "Концепция")
OPEN = "На публичном обсуждении"
CLOSED = "Архив"


def synthetic_title(rng: random.Random) -> str:
    """A title in the forms legalacts shows (the boilerplate openings are the real ones)."""
    ministry = rng.choice(_MINISTRIES)
    form = rng.randrange(4)
    if form == 0:
        title = (f"О внесении изменений и дополнений в {rng.choice(_LAWS)} по вопросам "
                 f"{rng.choice(_TOPICS)}")
    elif form == 1:
        title = (f"О внесении изменений в приказ {ministry} Республики Казахстан от "
                 f"{rng.randint(1, 28)} июня {rng.randint(2015, 2025)} года № "
                 f"{rng.randint(10, 900)} «Об утверждении {rng.choice(_RULES)}»")
    elif form == 2:
        title = (f"Проект приказа {ministry} Республики Казахстан «Об утверждении "
                 f"{rng.choice(_RULES)} в сфере {rng.choice(_TOPICS)}»")
    else:
        title = f"Об утверждении {rng.choice(_RULES)} по вопросам {rng.choice(_TOPICS)}"
    if rng.random() < 0.3:
        title += f" и {rng.choice(_TOPICS)}"
    return title


def synthetic_card(rng: random.Random, card_id: int, status: str = OPEN, *,
                   distinct: bool = False) -> DemoCard:
    """One card with a realistic title, dates and counters. ``distinct`` puts the draft's
    number first in the title, so no two cards share a linking block (see the docs)."""
    title = synthetic_title(rng)
    if distinct:
        title = f"№ {card_id} {title}"
    day, month = rng.randint(1, 28), rng.randint(1, 12)
    created = f"{day:02d}/{month:02d}/2026"
    deadline = f"{min(day + 10, 28):02d}/{month:02d}/2026" if status == OPEN else None
    counters = (rng.randint(0, 40), rng.randint(0, 20), rng.randint(0, 10),
                rng.randint(10, 5000), rng.randint(0, 5), rng.randint(0, 5))
    return DemoCard(card_id, title, status, rng.choice(_TYPES), created, deadline,
                    rng.choice(_AGENCIES), counters)


class _CountingWriter:
    """Wraps a handler's wfile and adds every byte written to the server's counter."""

    def __init__(self, raw: Any, server: CountingServer) -> None:
        self._raw = raw
        self._server = server

    def write(self, data: bytes) -> int:
        self._server.add_bytes(len(data))
        return int(self._raw.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


class CountingServer(ReplayServer):
    """ReplayServer that counts the bytes it sends (status line + headers + bodies)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._count_lock = threading.Lock()
        self.bytes_sent = 0

    def add_bytes(self, n: int) -> None:
        with self._count_lock:
            self.bytes_sent += n

    def _respond(self, handler: BaseHTTPRequestHandler, method: str = "GET") -> None:
        raw = handler.wfile
        handler.wfile = _CountingWriter(raw, self)  # type: ignore[assignment]
        try:
            super()._respond(handler, method)
        finally:
            handler.wfile = raw

    def __enter__(self) -> CountingServer:
        self.start()
        return self

    def mark(self) -> tuple[int, int]:
        """(requests so far, bytes so far): take one before and one after a cycle."""
        return len(self.log), self.bytes_sent

    def since(self, mark: tuple[int, int]) -> dict[str, Any]:
        """Requests, bytes, per-status counts and the logged requests since ``mark``."""
        entries = self.log[mark[0]:]
        statuses: dict[int, int] = {}
        for entry in entries:
            statuses[entry.status] = statuses.get(entry.status, 0) + 1
        return {"requests": len(entries), "bytes": self.bytes_sent - mark[1],
                "statuses": statuses, "entries": entries}


@dataclass(frozen=True)
class Measured:
    """One child process: wall seconds, CPU seconds, peak RSS in MiB, exit code, output."""

    wall: float
    cpu: float
    rss_mib: float
    returncode: int
    stdout: str
    stderr: str


def run_measured(argv: Sequence[str], *, env: Mapping[str, str], cwd: Path,
                 timeout: float) -> Measured:
    """Run ``argv`` through bench/_measure.py (a small process that forks it and reads its
    rusage with os.wait4: CPU of the command and of everything it waited for, and its own
    peak RSS). Output goes to files (not pipes) so the child never blocks on a full pipe;
    a child still running after ``timeout`` seconds is killed (with its helper)."""
    out_path, err_path = cwd / "stdout.txt", cwd / "stderr.txt"
    result_path = cwd / "measure.json"
    result_path.unlink(missing_ok=True)
    helper = [sys.executable, "-I", str(Path(__file__).with_name("_measure.py")),
              str(result_path), "--", *argv]
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(helper, env=dict(env), cwd=cwd, stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the helper's own session: it and the tool
            proc.wait()
    try:
        result = json.loads(result_path.read_text("utf-8"))
    except (OSError, json.JSONDecodeError):
        result = {"wall": timeout, "cpu": float("nan"), "maxrss_kib": 0, "returncode": -9}
    return Measured(
        wall=result["wall"],
        cpu=result["cpu"],
        rss_mib=result["maxrss_kib"] / 1024,  # KiB on Linux
        returncode=result["returncode"],
        stdout=out_path.read_text("utf-8", errors="replace"),
        stderr=err_path.read_text("utf-8", errors="replace"),
    )


#: Where measured children keep compiled bytecode (see child_env).
PYCACHE = Path(tempfile.gettempdir()) / "advocacy-bench-pycache"


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a measured child: no proxy for 127.0.0.1, UTF-8, no colour, and
    bytecode caching on. An installed tool runs from compiled bytecode (pip compiles it at
    install time, as it did for urlwatch's virtual environment); an editable checkout under
    PYTHONDONTWRITEBYTECODE=1 (set on these machines) would instead recompile every module
    of the tracker at every start, about 0.3 s. The cache goes to PYCACHE, never into the
    repository."""
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
           and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
               PYTHONIOENCODING="utf-8", NO_COLOR="1", TERM="dumb",
               PYTHONPYCACHEPREFIX=str(PYCACHE), **extra)
    return env
