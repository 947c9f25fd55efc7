"""Shared helpers for the reliability scripts (crash_safety, concurrency, memory_soak).

Everything here talks to 127.0.0.1 only: a :class:`tracker.replay.ReplayServer` serving a
legalacts-like listing that changes version by version (:class:`Scenario`), a local SMTP
server (aiosmtpd, :func:`smtp_sink`) that records every message it accepts by Message-ID,
and a home (:func:`make_home`) whose only enabled source is ``kz_legalacts`` pointed at the
replay server. Subprocesses run the real command line (``tracker ...``) with an environment
stripped of every ``TRACKER_*`` variable, so nothing of the developer's own home is touched.

The scenario keeps its own model of what each version of the listing says, so the scripts can
compute the events the tracker *should* have recorded without asking the tracker.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import socket
import sqlite3
import statistics
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import SMTP, Envelope, Session  # noqa: E402

from sources.base import registry  # noqa: E402
from tracker.demo.pages import DemoCard, render_list_page  # noqa: E402

LIST_TARGET = "/list?types%5B0%5D=629"
LIST_PATH = "/list"
ROBOTS = "User-agent: *\nDisallow: /npa/view\nDisallow: /application\n"
AIGERIM, DANA = "aigerim@ngo.example", "dana@ngo.example"
RECIPIENT_GOALS = {AIGERIM: "domestic-violence", DANA: "civic-space"}

GOALS_TOML = """
[[goal]]
id = "domestic-violence"
name = "Domestic violence"
stance = "support"
priority = 1
query = '''"прав женщин" OR "бытовое насилие"'''

[[goal]]
id = "civic-space"
name = "Civic space"
stance = "oppose"
priority = 2
query = '''"противоправного контента"'''
"""

#: Title templates by ``n % 5``, and the goal each one matches (None: no goal).
_TITLES: tuple[tuple[str, str | None], ...] = (
    ("О внесении изменений и дополнений в некоторые законодательные акты Республики Казахстан "
     "по вопросам обеспечения прав женщин и безопасности детей", "domestic-violence"),
    ("О внесении изменений и дополнений в некоторые законодательные акты Республики Казахстан "
     "по вопросам архивного дела и ограничения распространения противоправного контента",
     "civic-space"),
    ("О внесении изменений и дополнений в Кодекс Республики Казахстан об административных "
     "правонарушениях по вопросам обеспечения прав женщин", "domestic-violence"),
    ("О внесении изменения в приказ Министра энергетики Республики Казахстан «Об утверждении "
     "предельных тарифов на электрическую энергию»", None),
    ("О внесении изменений и дополнений в некоторые приказы Министерства труда и социальной "
     "защиты населения Республики Казахстан", None),
)
OPEN, CLOSED = "На публичном обсуждении", "Архив"
STAGE_OF = {OPEN: "public_discussion", CLOSED: "discussion_closed"}
FIRST_CARD = 17_000_000


# -- processes ------------------------------------------------------------------------------


def child_env() -> dict[str, str]:
    """The environment for tracker subprocesses: no TRACKER_* of the developer's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def tracker_argv(home: Path, *args: str) -> list[str]:
    """``tracker --home HOME args...`` with this interpreter (the project's venv)."""
    return [sys.executable, "-c", "from tracker.cli import main; main()", "--home", str(home),
            *args]


def proc_status_kib(pid: int, key: str = "VmRSS") -> int | None:
    """A ``/proc/<pid>/status`` size in KiB (VmRSS, VmHWM, ...); None if gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of ``values`` (0.0 for none)."""
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    """Median, 0.0 for none."""
    return statistics.median(values) if values else 0.0


# -- the database, read directly --------------------------------------------------------------


def db_path(home: Path) -> Path:
    """The home's SQLite file (the default database_url)."""
    return home / "tracker.db"


@contextmanager
def sqlite(home: Path, *, timeout: float = 30.0) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection to the home's database (autocommit, busy timeout)."""
    con = sqlite3.connect(db_path(home), timeout=timeout, isolation_level=None)
    try:
        yield con
    finally:
        con.close()


def make_all_jobs_due(home: Path) -> int:
    """Forget every persisted next run time: each job is then "never run" and due at once
    (docs/daemon.md). Returns the number of job rows removed (0 before the first run)."""
    if not db_path(home).exists():
        return 0
    with sqlite(home) as con:
        has = con.execute("SELECT 1 FROM sqlite_master WHERE name = 'apscheduler_jobs'").fetchone()
        if not has:
            return 0
        return con.execute("DELETE FROM apscheduler_jobs").rowcount


def integrity(home: Path) -> tuple[str, int]:
    """(``PRAGMA integrity_check`` result, number of ``foreign_key_check`` violations)."""
    with sqlite(home) as con:
        result = "; ".join(r[0] for r in con.execute("PRAGMA integrity_check").fetchall())
        fk = len(con.execute("PRAGMA foreign_key_check").fetchall())
    return result, fk


# -- SMTP -------------------------------------------------------------------------------------


@dataclass
class MailSink:
    """An aiosmtpd handler that records what it accepts, with hooks for fault injection.

    ``before_accept()`` is called in DATA before the reply: True means "do not accept" (the
    message is not recorded; the harness uses it to kill the client right there).
    ``after_accept()`` is called after the message is recorded, before the 250 goes out.
    ``on_mail()`` is called at MAIL FROM."""

    received: list[tuple[list[str], EmailMessage, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    keep_messages: bool = True
    count: int = 0
    before_accept: Callable[[], bool] | None = None
    after_accept: Callable[[], None] | None = None
    on_mail: Callable[[], None] | None = None

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, mail_options: list[str]) -> str:
        hook = self.on_mail
        if hook is not None:
            hook()
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        hook = self.before_accept
        if hook is not None and hook():
            return "451 4.3.0 not accepted (fault injected)"
        raw = envelope.original_content or b""
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        import time

        with self.lock:
            self.count += 1
            if self.keep_messages:
                self.received.append((list(envelope.rcpt_tos), msg, time.monotonic()))
        after = self.after_accept
        if after is not None:
            after()
        return "250 Message accepted for delivery"

    def by_message_id(self) -> Counter[str]:
        """How many times each Message-ID was accepted."""
        with self.lock:
            return Counter(str(m["Message-ID"]) for _r, m, _t in self.received)


@contextmanager
def smtp_sink(*, keep_messages: bool = True) -> Iterator[tuple[MailSink, int]]:
    """A real SMTP server on 127.0.0.1 for the duration of the block."""
    sink = MailSink(keep_messages=keep_messages)
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def text_part(msg: EmailMessage) -> str:
    """The plain-text body of a tracker message."""
    part = msg.get_body(("plain",))
    return str(part.get_content()) if part is not None else ""


# -- the scenario -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CardState:
    """One card of the listing at one version."""

    n: int
    title: str
    goal: str | None
    status: str
    created: date
    deadline: date
    comments: int
    views: int

    @property
    def external_id(self) -> str:
        """The card id on the site (the document's external id)."""
        return str(FIRST_CARD + self.n)

    def demo_card(self) -> DemoCard:
        """The card in the demo renderer's terms (dates dd/mm/yyyy as on the site)."""
        return DemoCard(int(self.external_id), self.title, self.status, "Проект Закона",
                        f"{self.created:%d/%m/%Y}", f"{self.deadline:%d/%m/%Y}",
                        "Министерство юстиции РК", (self.comments, 0, 0, self.views, 0, 0))


class Scenario:
    """A legalacts-like listing that changes version by version, newest card first.

    Version ``v`` lists the newest ``window`` of ``initial + per_version * v`` cards. Between
    versions: ``per_version`` new cards; with ``views_change``, every card's view count (= v,
    so every listed row is rewritten: an update without an event, as on the real site, and
    every listed card is re-matched); the comment count of a card grows every fourth
    version (``counters_changed``); even cards get their deadline extended by a week three
    versions after they appeared (``deadline_changed``); every third card goes to the archive
    five versions after it appeared (``stage_changed``). Some deadlines fall within 1-3 days
    of ``today`` (deadline alerts). Titles cycle through five templates, three of which match
    one of the two goals of :data:`GOALS_TOML`."""

    def __init__(self, *, initial: int = 12, per_version: int = 3, window: int = 40,
                 today: date | None = None, views_change: bool = False) -> None:
        self.views_change = views_change
        self.initial = initial
        self.per_version = per_version
        self.window = window
        self.today = today or datetime.now(ZoneInfo("Asia/Almaty")).date()

    def total(self, v: int) -> int:
        """How many cards exist at version ``v``."""
        return self.initial + self.per_version * v

    def first_version(self, n: int) -> int:
        """The version at which card ``n`` appears."""
        return 0 if n < self.initial else (n - self.initial) // self.per_version + 1

    def listed(self, v: int) -> range:
        """Card numbers on the page at version ``v`` (oldest first)."""
        total = self.total(v)
        return range(max(0, total - self.window), total)

    def card(self, n: int, v: int) -> CardState:
        """Card ``n`` as version ``v`` shows it."""
        age = v - self.first_version(n)
        template, goal = _TITLES[n % len(_TITLES)]
        status = CLOSED if n % 3 == 0 and age >= 5 else OPEN
        deadline = self.today + timedelta(days=1 + n % 20)
        if n % 2 == 0 and age >= 3:
            deadline += timedelta(days=7)
        comments = sum(1 for k in range(1, age + 1) if (n + k) % 4 == 0)
        return CardState(n, f"{template} (проект № {FIRST_CARD + n})", goal, status,
                         self.today - timedelta(days=30 - n % 7), deadline, comments,
                         v if self.views_change else 100 + n)

    def cards(self, v: int) -> list[CardState]:
        """The cards of version ``v``, newest first (as the site lists them)."""
        return [self.card(n, v) for n in reversed(self.listed(v))]

    def page(self, v: int) -> str:
        """The list page of version ``v`` (one page; the pager says so)."""
        return render_list_page([c.demo_card() for c in self.cards(v)], heading="НПА",
                                total_pages=1)

    def newest_id(self, v: int) -> str:
        """External id of the newest card of version ``v``: stored ⇔ version v recorded."""
        return str(FIRST_CARD + self.total(v) - 1)

    def url(self, base_url: str, external_id: str) -> str:
        """The document URL the source stores for a card."""
        return f"{base_url}/npa/view?id={external_id}"

    def expected_events(self, last_version: int) -> Counter[tuple[Any, ...]]:
        """The source events recording versions 0..last_version one after the other must
        produce, in the normalised form of :func:`normalise_event`."""
        out: Counter[tuple[Any, ...]] = Counter()
        for n in self.listed(0):
            out[("new", str(FIRST_CARD + n))] += 1
        for v in range(1, last_version + 1):
            before = set(self.listed(v - 1))
            for n in self.listed(v):
                new = self.card(n, v)
                if n not in before:
                    out[("new", new.external_id)] += 1
                    continue
                old = self.card(n, v - 1)
                if old.status != new.status:
                    out[("stage_changed", new.external_id, STAGE_OF[old.status],
                         STAGE_OF[new.status])] += 1
                if old.deadline != new.deadline:
                    out[("deadline_changed", new.external_id, old.deadline.isoformat(),
                         new.deadline.isoformat())] += 1
                if old.comments != new.comments:
                    out[("counters_changed", new.external_id, old.comments, new.comments)] += 1
        return out

    def expected_goals(self, last_version: int) -> dict[str, str | None]:
        """External id → the goal its title matches, for every card seen up to the version."""
        return {str(FIRST_CARD + n): _TITLES[n % len(_TITLES)][1]
                for n in range(self.total(last_version))}


def normalise_event(row: dict[str, Any]) -> tuple[Any, ...]:
    """An event row (type, external_id, old, new as JSON text) in the form the scenario
    predicts; other types keep their raw old/new."""
    kind, eid = row["type"], row["external_id"]
    old = json.loads(row["old"]) if row["old"] else None
    new = json.loads(row["new"]) if row["new"] else None
    if kind == "new":
        return ("new", eid)
    if kind == "stage_changed":
        return (kind, eid, old.get("stage"), new.get("stage"))
    if kind == "deadline_changed":
        return (kind, eid, old, new)
    if kind == "counters_changed":
        return (kind, eid, (old or {}).get("comments"), (new or {}).get("comments"))
    if kind in ("matched", "unmatched"):
        goal = (new or old or {}).get("goal")
        return (kind, eid, goal)
    return (kind, eid, row["old"], row["new"])


def read_events(home: Path) -> list[dict[str, Any]]:
    """Every event with its document's external id, in id order."""
    with sqlite(home) as con:
        con.row_factory = sqlite3.Row
        rows = con.execute(
            "SELECT e.id, e.type, e.old, e.new, e.run_id, e.document_id, e.observed_at, "
            "e.author, d.external_id FROM events e LEFT JOIN documents d "
            "ON d.id = e.document_id ORDER BY e.id").fetchall()
    return [dict(r) for r in rows]


# -- the home ---------------------------------------------------------------------------------


def home_toml(base_url: str, *, smtp_port: int | None, recipients: bool = True,
              deadline_alerts: bool = True, extra: str = "") -> str:
    """tracker.toml: kz_legalacts on the replay server (one query, one page, no searches),
    every other built-in source disabled, no pacing, [smtp] on 127.0.0.1, two recipients,
    schedules that are due whenever the job store forgets them (any hour, no jitter)."""
    others = [key for key in registry() if key != "kz_legalacts"]
    disabled = "".join(f"[sources.{key}]\nenabled = false\n\n" for key in sorted(others))
    text = f"""# Written by bench/_harness.py: everything on 127.0.0.1.
{disabled}[fetch]
min_interval = 0.0
retries = 1
backoff = 0.05
timeout = 10

[sources.kz_legalacts]
base_url = "{base_url}"
max_pages = 1
search_terms = []
stale_after_days = 0

[[sources.kz_legalacts.queries]]
name = "draft-laws"
params = {{ "types[0]" = "629" }}

[schedule]
office_hours = ""
jitter_minutes = 0
interval_minutes = 5
misfire_grace_minutes = 360
lock_stale_minutes = 2
"""
    if smtp_port is not None:
        text += f"""
[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from = "tracker@ngo.example"
timeout = 10

[alerts]
deadline_days = {"[3, 1]" if deadline_alerts else "[]"}
check_minutes = 1
"""
        if recipients:
            text += "".join(f"""
[[recipients]]
email = "{email_}"
goals = ["{goal}"]
""" for email_, goal in RECIPIENT_GOALS.items())
    return text + extra


def make_home(root: Path, base_url: str, *, smtp_port: int | None, **kwargs: Any) -> Path:
    """Create ``root/home`` with tracker.toml and goals.toml (owner-only)."""
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    (home / "tracker.toml").write_text(home_toml(base_url, smtp_port=smtp_port, **kwargs),
                                       encoding="utf-8")
    (home / "goals.toml").write_text(GOALS_TOML, encoding="utf-8")
    return home


def serve_version(server: Any, scenario: Scenario, v: int) -> None:
    """Put version ``v`` of the listing (and robots.txt) on the replay server."""
    server.set("/robots.txt", ROBOTS)
    server.set(LIST_TARGET, scenario.page(v))


def list_requests(server: Any) -> int:
    """How many list-page requests the replay server has answered."""
    return len(server.requests_to(LIST_PATH))
