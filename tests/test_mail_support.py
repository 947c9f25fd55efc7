"""Support for the mail, digest and scheduler tests: a real SMTP server on 127.0.0.1 (aiosmtpd)
whose messages are parsed back with the standard ``email`` package, and store seeding
through the real API (Store.start_run / finish_run with Records, then the real matcher)."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tracker.alerts import MailContext
from tracker.fetch import FetchStats
from tracker.mailconfig import MailSettings, parse_mail_settings
from tracker.mailer import Hook, SmtpMailer
from tracker.matching import Goal, make_goal
from tracker.matchrun import match_documents
from tracker.models import Record
from tracker.store import Store
from tracker.store.schema import action_links, actions

WOMEN = ("О внесении изменений и дополнений в некоторые законодательные акты Республики "
         "Казахстан по вопросам обеспечения прав женщин и безопасности детей")
PROPAGANDA = ("О внесении изменений в Закон Республики Казахстан о запрете пропаганды "
              "нетрадиционной сексуальной ориентации")
TAX = "О налогах и других обязательных платежах в бюджет"


def goals() -> list[Goal]:
    """Two small goals with opposite stances (queries in the real query language)."""
    return [
        make_goal("domestic-violence", '"прав женщин" OR "бытовое насилие"',
                  name="Domestic violence", stance="support", priority=1),
        make_goal("sogi", "пропаганд* AND (сексуальн* OR ЛГБТ)", name="SOGI", stance="oppose",
                  priority=2),
    ]


GOALS_TOML = '''
[[goal]]
id = "domestic-violence"
name = "Domestic violence"
stance = "support"
priority = 1
query = \'\'\'"прав женщин" OR "бытовое насилие"\'\'\'

[[goal]]
id = "sogi"
name = "SOGI"
stance = "oppose"
priority = 2
query = \'\'\'пропаганд* AND (сексуальн* OR ЛГБТ)\'\'\'
'''


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Inbox:
    """What the local SMTP server received, parsed with the standard email package."""

    reject: set[str] = field(default_factory=set)
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if address in self.reject:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        """Messages delivered to ``address``."""
        with self.lock:
            return [m for rcpts, m in self.received if address in rcpts]


@contextmanager
def smtp_server(*, password: str | None = None) -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on 127.0.0.1 (AUTH PLAIN/LOGIN accepted only for ``password``)."""
    inbox = Inbox()
    port = free_port()
    kwargs: dict[str, Any] = {}
    if password is not None:
        def check(server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                  data: Any) -> AuthResult:
            ok = isinstance(data, LoginPassword) and data.password == password.encode()
            return AuthResult(success=ok, handled=False)
        kwargs = {"authenticator": check, "auth_require_tls": False}
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=10, **kwargs)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def mail_settings(port: int, extra: str = "", recipients: str | None = None) -> MailSettings:
    """Mail settings pointing at the local server; two recipients by default."""
    import tomllib

    text = f"""
[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
from = "tracker@ngo.example"
timeout = 10

[schedule]
office_hours = ""
jitter_minutes = 0
{extra}
""" + (recipients if recipients is not None else """
[[recipients]]
email = "aigerim@ngo.example"
goals = ["domestic-violence"]
staff = "aigerim"

[[recipients]]
email = "dana@ngo.example"
goals = ["sogi"]
""")
    return parse_mail_settings(tomllib.loads(text), where="test.toml")


def context(store: Store, mail: MailSettings, *, now: datetime | None = None,
            hook: Hook | None = None) -> MailContext:
    """A mail context on the real SMTP mailer, with a fixed clock."""
    fixed = now or datetime(2026, 11, 12, 3, 0, tzinfo=UTC)  # 08:00 in Almaty
    assert mail.smtp is not None
    return MailContext(mail, store, goals(), SmtpMailer(mail.smtp), lambda: fixed, hook)


def put(store: Store, external_id: str, title: str, *, source: str = "kz_legalacts",
        **extra: Any) -> int:
    """Store one record through the real API and match it with the real matcher."""
    values: dict[str, Any] = {"source": source, "external_id": external_id, "title": title,
                              "url": f"https://legalacts.egov.kz/npa/view?id={external_id}",
                              "evidence": "a" * 64, **extra}
    run_id = store.start_run(source)
    store.finish_run(run_id, source, [Record(**values)], FetchStats(), ok=True,
                     not_modified=0, errors=[], warnings=[])
    doc_id = store.document_id(source, external_id)
    assert doc_id is not None
    match_documents(store, goals(), [doc_id], run_id)
    return doc_id


def add_action(store: Store, *, staff: str, summary: str, follow_up: date,
               sensitivity: str = "normal", document_id: int | None = None) -> int:
    """An action row as the actions module would write it (issue 7)."""
    now = "2026-11-01T00:00:00+00:00"
    with store._write() as conn:
        result = conn.execute(actions.insert().values(
            type="meeting", date="2026-11-01", staff=staff, counterpart_person="Deputy X",
            counterpart_institution="Mazhilis", summary=summary, next_step=f"next: {summary}",
            follow_up=follow_up.isoformat(), status="open", sensitivity=sensitivity, sealed=0,
            created_at=now, updated_at=now))
        key = result.inserted_primary_key
        assert key is not None
        action_id = int(key[0])
        if document_id is not None:
            conn.execute(action_links.insert().values(action_id=action_id, kind="document",
                                                      target=str(document_id)))
    return action_id


def parts(msg: EmailMessage) -> tuple[str, str]:
    """(plain text, HTML) of a multipart/alternative message."""
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


def later(days: int) -> datetime:
    """Noon in Almaty ``days`` after 2026-11-12."""
    return datetime(2026, 11, 12, 7, 0, tzinfo=UTC) + timedelta(days=days)


def test_the_local_server_receives_and_parses(tmp_path: Any) -> None:
    with smtp_server() as (inbox, port):
        mail = mail_settings(port)
        assert mail.smtp is not None
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "a@ngo.example", "b@ngo.example", "Привет"
        msg.set_content("текст")
        SmtpMailer(mail.smtp).send(msg, "b@ngo.example")
        got = inbox.to("b@ngo.example")
        assert len(got) == 1 and got[0]["Subject"] == "Привет"
        assert "текст" in str(got[0].get_content())
