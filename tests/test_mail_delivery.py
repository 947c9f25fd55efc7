"""Digests through a real SMTP server on 127.0.0.1: content, goal filtering, sensitivity,
exactly-once across crashes, catch-up after a gap, failing recipients, SMTP errors."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tests.test_mail_support import (
    PROPAGANDA,
    TAX,
    WOMEN,
    add_action,
    context,
    free_port,
    later,
    mail_settings,
    parts,
    put,
    smtp_server,
)
from tracker.alerts import preview_digest, send_digest, send_digests
from tracker.mailer import MailError, SmtpMailer, smtp_password
from tracker.store import Store
from tracker.store import digests as sd
from tracker.store.schema import actions

AIGERIM, DANA = "aigerim@ngo.example", "dana@ngo.example"


class Crash(BaseException):
    """A simulated kill of the process (not an Exception: nothing may catch it)."""


def crash_at(point: str):  # type: ignore[no-untyped-def]
    def hook(where: str, _to: str) -> None:
        if where == point:
            raise Crash(point)
    return hook


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    yield opened
    opened.close()


def test_each_recipient_gets_their_goals_grouped_and_stance_worded(store: Store) -> None:
    women = put(store, "1", WOMEN, stage="public_discussion", discussion_until="2026-11-16")
    put(store, "2", PROPAGANDA, stage="public_discussion")
    put(store, "3", TAX, stage="public_discussion")  # matches no goal
    put(store, "2", PROPAGANDA, stage="first_reading", status_raw="Принят в первом чтении")
    add_action(store, staff="aigerim", summary="met the working group",
               follow_up=date(2026, 11, 10), document_id=women)
    add_action(store, staff="aigerim", summary="SECRET shelter address", sensitivity="sensitive",
               follow_up=date(2026, 11, 10))
    with smtp_server() as (inbox, port):
        outcomes = send_digests(context(store, mail_settings(port)))
        assert [o.status for o in outcomes] == ["sent", "sent"]
        (a,), (d,) = inbox.to(AIGERIM), inbox.to(DANA)
    a_text, a_html = parts(a)
    d_text, d_html = parts(d)
    # Goal filtering: each sees only their goal's documents; nobody sees the tax code.
    assert "прав женщин" in a_text and "пропаганды" not in a_text
    assert "пропаганды" in d_text and "прав женщин" not in d_text
    assert "налогах" not in a_text + d_text
    # Stance: a bill we OPPOSE passing first reading is bad news.
    assert "Bad news: public_discussion → first_reading" in d_text
    assert "Bad news" in d_html and "first_reading" in d_html
    # Deadline section (closing in 4 days, within the default 7) and a link to the official page.
    assert "2026-11-16 (in 4 days)" in a_text
    assert 'href="https://legalacts.egov.kz/npa/view?id=1"' in a_html
    # Follow-ups: the normal one is listed, without notes by default; the sensitive one never.
    assert "follow-up 2026-11-10 (overdue by 2 days)" in a_text
    assert "met the working group" not in a_text
    for body in (a_text, a_html, d_text, d_html, a.as_string(), d.as_string()):
        assert "SECRET" not in body and "shelter" not in body and "Deputy X" not in body
    assert a["Message-ID"] and a["Message-ID"] != d["Message-ID"]
    assert str(a["Subject"]).strip() == "[tracker] digest 2026-11-12: 1 new, 1 deadlines, " \
        "1 follow-ups"


def test_action_notes_only_when_the_recipient_allows_them(store: Store) -> None:
    add_action(store, staff="aigerim", summary="letter to the ministry",
               follow_up=date(2026, 11, 12))
    add_action(store, staff="aigerim", summary="SECRET", sensitivity="sensitive",
               follow_up=date(2026, 11, 12))
    recipients = '[[recipients]]\nemail = "aigerim@ngo.example"\nstaff = "aigerim"\n' \
                 'action_notes = true\n'
    with smtp_server() as (inbox, port):
        send_digests(context(store, mail_settings(port, recipients=recipients)))
        text, _ = parts(inbox.to(AIGERIM)[0])
    assert "note: next: letter to the ministry — letter to the ministry" in text
    assert "SECRET" not in text


def test_sealed_notes_never_go_into_an_email(store: Store) -> None:
    action = add_action(store, staff="aigerim", summary="seal1:ciphertext",
                        follow_up=date(2026, 11, 12))
    with store._write() as conn:  # what the actions module stores once sealing is on
        conn.execute(actions.update().where(actions.c.id == action).values(sealed=1))
    recipients = '[[recipients]]\nemail = "aigerim@ngo.example"\nstaff = "aigerim"\n' \
                 'action_notes = true\n'
    with smtp_server() as (inbox, port):
        send_digests(context(store, mail_settings(port, recipients=recipients)))
        text, html_part = parts(inbox.to(AIGERIM)[0])
    assert "seal1" not in text and "seal1" not in html_part
    assert f"#{action}" in text or "meeting" in text  # the follow-up itself is still there


def test_dismissed_matches_stay_out(store: Store) -> None:
    doc = put(store, "1", WOMEN)
    from tracker.store.matches import set_triage

    with store._write() as conn:
        set_triage(conn, doc, "domestic-violence", "dismissed", "aigerim")
    with smtp_server() as (inbox, port):
        outcomes = send_digests(context(store, mail_settings(port)), AIGERIM)
        assert outcomes[0].status == "empty" and inbox.to(AIGERIM) == []


def test_empty_digest_is_not_sent_unless_configured(store: Store) -> None:
    put(store, "3", TAX)
    with smtp_server() as (inbox, port):
        ctx = context(store, mail_settings(port))
        assert [o.status for o in send_digests(ctx)] == ["empty", "empty"]
        assert inbox.received == []
        # The watermark moved: the tax code is never reconsidered.
        assert sd.next_range(store, AIGERIM)[0] == sd.last_event_id(store)
        every = '[[recipients]]\nemail = "dana@ngo.example"\nsend_empty = true\n'
        put(store, "4", TAX + " (2)")
        assert send_digests(context(store, mail_settings(port, recipients=every)))[0].status \
            == "sent"
        text, _ = parts(inbox.to(DANA)[0])
        assert "Nothing new for your goals" in text


@pytest.mark.parametrize("point", ["prepared", "send"])
def test_crash_before_smtp_acceptance_resends_with_the_same_message_id(
        store: Store, point: str) -> None:
    put(store, "1", WOMEN)
    with smtp_server() as (inbox, port):
        mail = mail_settings(port)
        r = mail.recipients[0]
        with pytest.raises(Crash):
            send_digest(context(store, mail, hook=crash_at(point)), r)
        assert inbox.to(AIGERIM) == []
        pending = sd.pending_digest(store, AIGERIM)
        assert pending is not None
        put(store, "5", WOMEN + " (второй)")  # arrives before the re-send: goes in the NEXT one
        outcome = send_digest(context(store, mail), r)
        assert outcome.status == "resent"
        (msg,) = inbox.to(AIGERIM)
        assert msg["Message-ID"] == pending.message_id
        assert "(второй)" not in parts(msg)[0]
        # Later: one new digest with the newer document only, then nothing.
        outcome = send_digest(context(store, mail), r)
        assert outcome.status == "sent" and len(inbox.to(AIGERIM)) == 2
        assert "(второй)" in parts(inbox.to(AIGERIM)[1])[0]
        assert send_digest(context(store, mail), r).status == "empty"
        assert len(inbox.to(AIGERIM)) == 2


def test_crash_after_the_sent_mark_is_not_resent(store: Store) -> None:
    put(store, "1", WOMEN)
    with smtp_server() as (inbox, port):
        mail = mail_settings(port)
        with pytest.raises(Crash):
            send_digest(context(store, mail, hook=crash_at("marked")), mail.recipients[0])
        assert sd.pending_digest(store, AIGERIM) is None
        assert send_digest(context(store, mail), mail.recipients[0]).status == "empty"
        assert len(inbox.to(AIGERIM)) == 1


def test_crash_between_acceptance_and_mark_resends_the_same_message_id(store: Store) -> None:
    """The one window SMTP cannot close: the duplicate carries the same Message-ID, which
    mail clients use to drop it."""
    put(store, "1", WOMEN)
    with smtp_server() as (inbox, port):
        mail = mail_settings(port)
        with pytest.raises(Crash):
            send_digest(context(store, mail, hook=crash_at("accepted")), mail.recipients[0])
        assert send_digest(context(store, mail), mail.recipients[0]).status == "resent"
        first, second = inbox.to(AIGERIM)
        assert first["Message-ID"] == second["Message-ID"]
        assert [d["status"] for d in sd.sent_digests(store, AIGERIM)] == ["sent"]


def test_a_gap_produces_one_catch_up_digest(store: Store) -> None:
    put(store, "1", WOMEN)
    with smtp_server() as (inbox, port):
        mail = mail_settings(port)
        r = mail.recipients[0]
        assert send_digest(context(store, mail, now=later(0)), r).status == "sent"
        put(store, "6", WOMEN + " (день 2)")  # day 2 and day 3: the daemon was off
        put(store, "7", WOMEN + " (день 3)")
        assert send_digest(context(store, mail, now=later(3)), r).status == "sent"
        assert len(inbox.to(AIGERIM)) == 2
        text, _ = parts(inbox.to(AIGERIM)[1])
    assert "(день 2)" in text and "(день 3)" in text
    log = sd.sent_digests(store, AIGERIM)
    assert log[1]["from_event"] == log[0]["to_event"]  # contiguous: nothing skipped, no overlap


def test_a_rejected_recipient_does_not_block_the_others(store: Store) -> None:
    put(store, "1", WOMEN)
    put(store, "2", PROPAGANDA)
    with smtp_server() as (inbox, port):
        inbox.reject.add(AIGERIM)
        outcomes = send_digests(context(store, mail_settings(port)))
        assert [(o.recipient, o.status) for o in outcomes] == [(AIGERIM, "failed"),
                                                             (DANA, "sent")]
        assert outcomes[0].error is not None
        assert f"rejected recipient {AIGERIM}: 550" in outcomes[0].error
        assert len(inbox.to(DANA)) == 1
        inbox.reject.clear()  # the address is fixed: the prepared digest goes out next time
        outcomes = send_digests(context(store, mail_settings(port)))
        assert [o.status for o in outcomes] == ["resent", "empty"]
        assert len(inbox.to(AIGERIM)) == 1 and len(inbox.to(DANA)) == 1


def test_connection_refused_is_a_clear_error(store: Store) -> None:
    put(store, "1", WOMEN)
    port = free_port()  # nothing listens here
    outcome = send_digests(context(store, mail_settings(port)), AIGERIM)[0]
    assert outcome.status == "failed" and outcome.error is not None
    assert f"SMTP server 127.0.0.1:{port}: connection refused" in outcome.error
    assert sd.pending_digest(store, AIGERIM) is not None  # retried next time


def test_authentication(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    put(store, "1", WOMEN)
    with smtp_server(password="right") as (inbox, port):
        mail = mail_settings(port)
        assert mail.smtp is not None
        mail = dataclasses.replace(mail, smtp=dataclasses.replace(
            mail.smtp, username="tracker", keyring_service="advocacy-tracker-test"))
        monkeypatch.setenv("TRACKER_SMTP_PASSWORD", "wrong")
        outcome = send_digests(context(store, mail), AIGERIM)[0]
        assert outcome.error is not None and "authentication failed for 'tracker'" in \
            outcome.error
        monkeypatch.setenv("TRACKER_SMTP_PASSWORD", "right")
        assert send_digests(context(store, mail), AIGERIM)[0].status == "resent"
        assert len(inbox.to(AIGERIM)) == 1
        monkeypatch.delenv("TRACKER_SMTP_PASSWORD")
        assert mail.smtp is not None
        with pytest.raises(MailError, match="TRACKER_SMTP_PASSWORD"):
            smtp_password(mail.smtp)


def test_plain_smtp_is_refused_to_a_remote_host() -> None:
    smtp = mail_settings(25).smtp
    assert smtp is not None
    with pytest.raises(MailError, match="unencrypted"):
        SmtpMailer(dataclasses.replace(smtp, host="smtp.example.org"))


def test_preview_changes_nothing(store: Store, tmp_path: Path) -> None:
    put(store, "1", WOMEN)
    ctx = context(store, mail_settings(free_port()))
    before = sd.next_range(store, AIGERIM)
    digest, rendered = preview_digest(ctx, ctx.mail.recipients[0])
    assert not digest.is_empty and "прав женщин" in rendered.text
    assert sd.next_range(store, AIGERIM) == before and sd.sent_digests(store) == []
