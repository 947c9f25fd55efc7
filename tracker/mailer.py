"""SMTP: compose multipart/alternative messages and send them, with clear errors.

- ``security`` is ``starttls`` (default, port 587), ``tls`` (implicit TLS, port 465) or
  ``none`` (plain; the config refuses it unless the host is loopback). Certificates are
  always verified.
- The password comes from the environment variable ``TRACKER_SMTP_PASSWORD``, else from the
  system keyring (``keyring`` is an optional import), never from tracker.toml.
- Each message goes out on its own connection, to one recipient: a recipient the server
  rejects raises :class:`RecipientRejected` for that message only.

:func:`send_once` is the exactly-once boundary used by digests and alerts: the caller has
prepared the message (Message-ID fixed and logged), this hands it to SMTP and then runs the
caller's "mark sent" transaction. ``hook`` is called at each point ("send", "accepted",
"marked") so tests can inject a crash exactly there.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import ssl
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Protocol

from tracker.digest_render import Rendered
from tracker.errors import TrackerError
from tracker.mailconfig import SmtpSettings, is_loopback

log = logging.getLogger(__name__)
PASSWORD_ENV = "TRACKER_SMTP_PASSWORD"
Hook = Callable[[str, str], None]  # (point, recipient)


class MailError(TrackerError):
    """Sending failed (connection, TLS, authentication, refusal); the message was NOT
    accepted and will be retried."""


class RecipientRejected(MailError):
    """The server refused this recipient's address."""


def new_message_id(sender: str) -> str:
    """A fresh, globally unique Message-ID on the sender's domain."""
    return make_msgid("tracker", domain=sender.rpartition("@")[2] or "localhost")


def compose(*, sender: str, to: str, rendered: Rendered, message_id: str,
            when: datetime, kind: str) -> EmailMessage:
    """A multipart/alternative message (text first, HTML preferred by capable clients)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = rendered.subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Tracker-Kind"] = kind
    msg.set_content(rendered.text, subtype="plain", charset="utf-8")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return msg


def smtp_password(smtp: SmtpSettings) -> str | None:
    """The SMTP password: environment first, then the keyring; None without a username."""
    if not smtp.username:
        return None
    value = os.environ.get(PASSWORD_ENV)
    if value:
        return value
    try:
        import keyring
    except ImportError:
        keyring = None
    if keyring is not None:
        try:
            stored = keyring.get_password(smtp.keyring_service, smtp.username)
        except Exception as exc:  # no keyring backend on a headless server, locked keyring
            log.debug("keyring unavailable: %s", exc)
            stored = None
        if stored:
            return str(stored)
    raise MailError(f"SMTP username {smtp.username!r} is set but no password was found: set "
                    f"{PASSWORD_ENV}, or store it with `keyring set {smtp.keyring_service} "
                    f"{smtp.username}`")


class SmtpMailer:
    """Sends one message per connection through the configured server."""

    def __init__(self, smtp: SmtpSettings, *, context: ssl.SSLContext | None = None) -> None:
        if smtp.security == "none" and not is_loopback(smtp.host):
            raise MailError(f"refusing to send mail unencrypted to {smtp.host}")
        self.smtp = smtp
        self.context = context or ssl.create_default_context()
        self._password: str | None = None
        self._password_read = False

    def _where(self) -> str:
        return f"SMTP server {self.smtp.host}:{self.smtp.port}"

    def _connect(self) -> smtplib.SMTP:
        s = self.smtp
        try:
            if s.security == "tls":
                client: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                                        context=self.context)
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            if s.security == "starttls":
                client.ehlo()
                if not client.has_extn("starttls"):
                    client.close()
                    raise MailError(f"{self._where()} does not offer STARTTLS; use security = "
                                    "\"tls\" if it speaks implicit TLS")
                client.starttls(context=self.context)
                client.ehlo()
        except ConnectionRefusedError:
            raise MailError(f"{self._where()}: connection refused (is the host and port "
                            "right, and the server running?)") from None
        except TimeoutError:
            raise MailError(f"{self._where()}: timed out after {s.timeout:g} s") from None
        except ssl.SSLError as exc:
            raise MailError(f"{self._where()}: TLS failed: {exc.reason or exc}") from None
        except socket.gaierror as exc:
            raise MailError(f"{self._where()}: cannot resolve host: {exc.strerror}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"{self._where()}: cannot connect: {exc}") from None
        return client

    def _login(self, client: smtplib.SMTP) -> None:
        if not self.smtp.username:
            return
        if not self._password_read:
            self._password = smtp_password(self.smtp)
            self._password_read = True
        try:
            client.login(self.smtp.username, self._password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(f"{self._where()}: authentication failed for "
                            f"{self.smtp.username!r} ({exc.smtp_code} {_text(exc.smtp_error)})"
                            ) from None
        except smtplib.SMTPNotSupportedError:
            raise MailError(f"{self._where()}: the server does not offer AUTH on this "
                            "connection (does it require STARTTLS?)") from None

    def send(self, msg: EmailMessage, to: str) -> None:
        """Hand one message to the server for one recipient. Returns only when the server
        accepted it; raises MailError (or RecipientRejected) otherwise."""
        client = self._connect()
        try:
            self._login(client)
            client.send_message(msg, from_addr=self.smtp.sender, to_addrs=[to])
        except smtplib.SMTPRecipientsRefused as exc:
            code, reason = next(iter(exc.recipients.values()), (0, b""))
            raise RecipientRejected(f"{self._where()} rejected recipient {to}: {code} "
                                    f"{_text(reason)}") from None
        except smtplib.SMTPSenderRefused as exc:
            raise MailError(f"{self._where()} refused sender {self.smtp.sender}: "
                            f"{exc.smtp_code} {_text(exc.smtp_error)}") from None
        except smtplib.SMTPDataError as exc:
            raise MailError(f"{self._where()} refused the message to {to}: {exc.smtp_code} "
                            f"{_text(exc.smtp_error)}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"{self._where()}: sending to {to} failed: {exc}") from None
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class Transport(Protocol):
    """What sends a message: SmtpMailer (tests use it against a real local server)."""

    def send(self, msg: EmailMessage, to: str) -> None:
        """Return only once the server accepted ``msg`` for ``to``."""


def send_once(mailer: Transport, msg: EmailMessage, to: str, *, mark_sent: Callable[[], object],
              hook: Hook | None = None) -> None:
    """The exactly-once boundary: SMTP acceptance, then the caller's mark-sent transaction.

    A failure before the server accepted the message leaves it prepared (re-sent later
    with the same Message-ID). A crash in the short window between acceptance and the
    mark also leaves it prepared: that message is re-sent with the SAME Message-ID, which
    mail clients use to drop the duplicate — the strongest guarantee SMTP allows."""
    if hook:
        hook("send", to)
    mailer.send(msg, to)
    if hook:
        hook("accepted", to)
    mark_sent()
    if hook:
        hook("marked", to)
