"""[smtp], [[recipients]], [schedule], [digest], [alerts]: parsed, and every mistake is one
line naming the file, the key and the problem."""

from __future__ import annotations

import tomllib
from datetime import time

import pytest

from tracker.errors import ConfigError
from tracker.mailconfig import parse_mail_settings

GOOD = """
[smtp]
host = "smtp.example.org"
port = 587
security = "starttls"
username = "tracker@example.org"
from = "tracker@example.org"

[[recipients]]
email = "staff@example.org"
goals = ["domestic-violence", "sogi"]
frequency = "daily"

[[recipients]]
email = "lead@example.org"
frequency = "weekly"
weekday = "fri"
send_at = "17:30"
staff = "lead"
action_notes = true

[schedule]
timezone = "Asia/Almaty"
office_hours = "09:00-18:00"
[schedule.sources.kz_legalacts]
cron = "15 9-17/2 * * mon-fri"
[schedule.sources.kz_adilet]
interval_minutes = 720
jitter_minutes = 0

[digest]
deadline_days = 5

[alerts]
deadline_days = [1, 3, 7]
"""


def parse(text: str):  # type: ignore[no-untyped-def]
    return parse_mail_settings(tomllib.loads(text), where="/home/x/tracker.toml")


def test_the_contract_parses() -> None:
    mail = parse(GOOD)
    assert mail.smtp is not None
    assert (mail.smtp.host, mail.smtp.port, mail.smtp.security, mail.smtp.sender,
            mail.smtp.username) == ("smtp.example.org", 587, "starttls", "tracker@example.org",
                                    "tracker@example.org")
    staff, lead = mail.recipients
    assert staff.goals == ("domestic-violence", "sogi") and staff.frequency == "daily"
    assert staff.send_at == time(8, 0) and not staff.action_notes
    assert lead.goals is None and lead.follows("anything")
    assert (lead.frequency, lead.weekday, lead.send_at) == ("weekly", "fri", time(17, 30))
    assert mail.schedule.office_hours == (time(9), time(18))
    assert mail.schedule.sources["kz_legalacts"].cron == "15 9-17/2 * * mon-fri"
    assert mail.schedule.sources["kz_adilet"].interval_minutes == 720
    assert mail.digest.deadline_days == 5
    assert mail.alerts.deadline_days == (7, 3, 1)


def test_defaults_without_any_table() -> None:
    mail = parse("")
    assert mail.smtp is None and mail.recipients == ()
    assert mail.schedule.timezone == "Asia/Almaty" and mail.alerts.deadline_days == (3, 1)


@pytest.mark.parametrize(("change", "message"), [
    (('security = "starttls"', 'security = "none"'),
     '[smtp] security: "none" sends mail unencrypted and is only allowed to a loopback host'),
    (('security = "starttls"', 'security = "ssl"'),
     '[smtp] security: must be "starttls" | "tls" | "none"'),
    (("port = 587", "port = 70000"), "[smtp] port: must be 1..65535"),
    (("port = 587", 'port = "587"'), "[smtp] port: expected a whole number"),
    (('from = "tracker@example.org"', 'from = "tracker"'), "[smtp] from: not an email address"),
    (('port = 587', 'port = 587\npassword = "hunter2"'),
     "[smtp] password: never put the password in tracker.toml"),
    (('email = "staff@example.org"', 'email = "lead@example.org"'),
     "'lead@example.org' is listed twice"),
    (('goals = ["domestic-violence", "sogi"]', 'goals = "sogi"'),
     "[[recipients]] staff@example.org goals: a list of goal ids"),
    (('frequency = "daily"', 'frequency = "hourly"'),
     '[[recipients]] staff@example.org frequency: must be "daily" | "weekly"'),
    (('send_at = "17:30"', 'send_at = "5pm"'),
     "[[recipients]] lead@example.org send_at: expected \"HH:MM\""),
    (('frequency = "daily"', 'frequency = "daily"\nweekday = "mon"'),
     'weekday: only for frequency = "weekly"'),
    (('frequency = "daily"', 'frequency = "daily"\ncolour = "red"'),
     "[[recipients]] staff@example.org unknown key 'colour'"),
    (('timezone = "Asia/Almaty"', 'timezone = "Asia/Nowhere"'),
     "[schedule] timezone: unknown time zone 'Asia/Nowhere'"),
    (('office_hours = "09:00-18:00"', 'office_hours = "18:00-09:00"'),
     "[schedule] office_hours: start must be before end"),
    (('office_hours = "09:00-18:00"', 'office_hours = "9-18"'),
     '[schedule] office_hours: expected "HH:MM-HH:MM"'),
    (('cron = "15 9-17/2 * * mon-fri"', 'cron = "15 9-17/2 * *"'),
     "[schedule.sources.kz_legalacts] cron: expected 5 fields"),
    (('cron = "15 9-17/2 * * mon-fri"', 'cron = "15 25 * * *"'),
     "[schedule.sources.kz_legalacts] cron:"),
    (('cron = "15 9-17/2 * * mon-fri"', 'cron = "15 9 * * *"\ninterval_minutes = 60'),
     "give either interval_minutes or cron, not both"),
    (("interval_minutes = 720", "interval_minutes = 1"),
     "[schedule.sources.kz_adilet] interval_minutes: must be >= 5"),
    (("deadline_days = [1, 3, 7]", "deadline_days = [-1]"),
     "[alerts] deadline_days: a list of whole numbers of days >= 0"),
    (("deadline_days = 5", "deadline_days = true"),
     "[digest] deadline_days: expected a whole number"),
])
def test_each_mistake_is_one_line_with_file_and_key(change: tuple[str, str],
                                                    message: str) -> None:
    old, new = change
    assert old in GOOD
    with pytest.raises(ConfigError) as info:
        parse(GOOD.replace(old, new, 1))
    text = str(info.value)
    assert text.startswith("/home/x/tracker.toml: ") and "\n" not in text
    assert message in text


def test_plain_smtp_is_allowed_to_loopback_only() -> None:
    local = GOOD.replace('security = "starttls"', 'security = "none"').replace(
        'host = "smtp.example.org"', 'host = "127.0.0.1"')
    smtp = parse(local).smtp
    assert smtp is not None and smtp.port == 587  # the explicit port is kept
    for host in ("localhost", "::1", "127.0.0.2"):
        assert parse(local.replace('"127.0.0.1"', f'"{host}"')).smtp is not None


def test_recipients_need_smtp() -> None:
    with pytest.raises(ConfigError, match=r"\[\[recipients\]\] need an \[smtp\] table"):
        parse('[[recipients]]\nemail = "a@example.org"\n')
