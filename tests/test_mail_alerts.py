"""Deadline and source-health alerts through a real SMTP server: each exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.test_mail_support import WOMEN, context, later, mail_settings, parts, put, smtp_server
from tracker.alerts import send_alerts, send_deadline_alerts, send_health_alerts
from tracker.store import Store

AIGERIM, DANA = "aigerim@ngo.example", "dana@ngo.example"


class Crash(BaseException):
    """A simulated kill of the process."""


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    yield opened
    opened.close()


def test_deadline_alerts_at_3_and_1_days_each_once(store: Store) -> None:
    # Deadline 2026-11-16; `later(n)` is 2026-11-12 + n days, noon in Almaty.
    put(store, "1", WOMEN, stage="public_discussion", discussion_until="2026-11-16")
    with smtp_server() as (inbox, port):
        mail = mail_settings(port)
        assert send_deadline_alerts(context(store, mail, now=later(0))) == []  # 4 days left
        sent = send_deadline_alerts(context(store, mail, now=later(1)))  # 3 days left
        assert [(o.recipient, o.status) for o in sent] == [(AIGERIM, "sent")]
        assert send_deadline_alerts(context(store, mail, now=later(1))) == []  # same day again
        assert send_deadline_alerts(context(store, mail, now=later(2))) == []  # 2 days: done
        assert len(send_deadline_alerts(context(store, mail, now=later(3)))) == 1  # 1 day
        assert send_deadline_alerts(context(store, mail, now=later(4))) == []  # closes today
        first, second = inbox.to(AIGERIM)
        assert inbox.to(DANA) == []  # Dana does not follow this goal
    assert "closes in 3 days" in str(first["Subject"])
    assert "closes in 1 day" in str(second["Subject"])
    text, html = parts(first)
    assert "2026-11-16 (in 3 days)" in text and "domestic-violence" in text
    assert 'href="https://legalacts.egov.kz/npa/view?id=1"' in html


def test_a_missed_threshold_still_alerts_once(store: Store) -> None:
    put(store, "1", WOMEN, stage="public_discussion", discussion_until="2026-11-16")
    with smtp_server() as (inbox, port):
        mail = mail_settings(port)
        # The daemon was off on days 3 and 2 before: on day 1 before, ONE alert (threshold 1).
        assert len(send_deadline_alerts(context(store, mail, now=later(3)))) == 1
        assert send_deadline_alerts(context(store, mail, now=later(3))) == []
        assert len(inbox.to(AIGERIM)) == 1


def test_an_extended_deadline_alerts_again(store: Store) -> None:
    put(store, "1", WOMEN, stage="public_discussion", discussion_until="2026-11-15")
    with smtp_server() as (inbox, port):
        mail = mail_settings(port)
        assert len(send_deadline_alerts(context(store, mail, now=later(0)))) == 1
        put(store, "1", WOMEN, stage="public_discussion", discussion_until="2026-11-22")
        assert send_deadline_alerts(context(store, mail, now=later(0))) == []  # 10 days left
        assert len(send_deadline_alerts(context(store, mail, now=later(7)))) == 1
        assert len(inbox.to(AIGERIM)) == 2


def test_crash_before_acceptance_resends_the_alert_with_the_same_message_id(
        store: Store) -> None:
    put(store, "1", WOMEN, stage="public_discussion", discussion_until="2026-11-16")

    def crash(point: str, _to: str) -> None:
        if point == "send":
            raise Crash

    with smtp_server() as (inbox, port):
        mail = mail_settings(port)
        with pytest.raises(Crash):
            send_deadline_alerts(context(store, mail, now=later(1), hook=crash))
        assert inbox.to(AIGERIM) == []
        outcomes = send_deadline_alerts(context(store, mail, now=later(1)))
        assert [o.status for o in outcomes] == ["resent"]
        (msg,) = inbox.to(AIGERIM)
        assert msg["Message-ID"] == outcomes[0].message_id
        assert send_deadline_alerts(context(store, mail, now=later(1))) == []


def test_health_alert_on_each_change_once_per_recipient(store: Store) -> None:
    with smtp_server() as (inbox, port):
        mail = mail_settings(port)
        now = later(0)
        store.set_health("kz_legalacts", "ok", "last run succeeded")  # first healthy run: no event
        assert send_health_alerts(context(store, mail, now=now)) == []
        store.set_health("kz_legalacts", "broken", "failed 3 runs in a row; layout changed")
        real_now = datetime.now(UTC)  # events carry the real observation time
        assert [o.status for o in send_health_alerts(context(store, mail, now=real_now))] == \
            ["sent", "sent"]
        assert send_health_alerts(context(store, mail, now=real_now)) == []
        store.set_health("kz_legalacts", "broken", "another reason, same state")  # no change
        store.set_health("kz_legalacts", "ok", "last run succeeded")  # recovered: a change
        assert len(send_alerts(context(store, mail, now=real_now))) == 2
        broken, recovered = inbox.to(DANA)
    assert "source problem: kz_legalacts" in str(broken["Subject"])
    assert "ok → broken" in parts(broken)[0] and "layout changed" in parts(broken)[0]
    assert "source recovered: kz_legalacts" in str(recovered["Subject"])


def test_recipients_can_opt_out_of_alerts(store: Store) -> None:
    put(store, "1", WOMEN, stage="public_discussion", discussion_until="2026-11-13")
    recipients = '[[recipients]]\nemail = "aigerim@ngo.example"\nalerts = false\n'
    with smtp_server() as (inbox, port):
        assert send_alerts(context(store, mail_settings(port, recipients=recipients),
                                   now=later(0))) == []
        assert inbox.received == []
