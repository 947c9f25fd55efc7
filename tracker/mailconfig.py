"""The daemon's and the mailer's settings: `[smtp]`, `[[recipients]]`, `[schedule]`,
`[digest]`, `[alerts]` in tracker.toml, validated with one line per problem.

:func:`parse_mail_settings` takes the raw TOML document (the same dict `tracker/config.py`
reads) and raises :class:`~tracker.errors.ConfigError` as ``<file>: [table] key: problem``.
The SMTP password is never read from the file (see :mod:`tracker.mailer`).
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

from tracker.errors import ConfigError

#: Top-level keys this module owns (tracker/config.py must let them through).
MAIL_KEYS = frozenset({"smtp", "recipients", "schedule", "digest", "alerts"})
SECURITY = ("starttls", "tls", "none")
FREQUENCIES = ("daily", "weekly")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$|^[^@\s<>\"',;]+@localhost$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_GOAL = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_CRON_FIELDS = 5


@dataclass(frozen=True)
class SmtpSettings:
    """`[smtp]`: where mail goes out. The password comes from TRACKER_SMTP_PASSWORD or the
    keyring (service ``keyring_service``, user ``username``), never from this file."""

    host: str
    port: int
    security: str
    sender: str  # the `from` key
    username: str | None = None
    timeout: float = 30.0
    keyring_service: str = "advocacy-tracker"


@dataclass(frozen=True)
class Recipient:
    """One `[[recipients]]` table."""

    email: str
    name: str = ""
    goals: tuple[str, ...] | None = None  # None = every goal
    frequency: str = "daily"
    send_at: time = time(8, 0)
    weekday: str = "mon"
    staff: str | None = None  # whose follow-ups the digest lists (None: none)
    action_notes: bool = False  # action summary / next step in emails (never sensitive ones)
    send_empty: bool = False
    alerts: bool = True  # deadline and source-health alerts

    def follows(self, goal_id: str) -> bool:
        """True if this person follows the goal."""
        return self.goals is None or goal_id in self.goals


@dataclass(frozen=True)
class SourceSchedule:
    """`[schedule.sources.<key>]`: either every N minutes or a 5-field crontab line."""

    interval_minutes: int | None = None
    cron: str | None = None
    jitter_minutes: int | None = None
    office_hours_only: bool = True


@dataclass(frozen=True)
class ScheduleSettings:
    """`[schedule]`: when sources run (digests run at each recipient's `send_at`)."""

    timezone: str = "Asia/Almaty"
    interval_minutes: int = 240
    jitter_minutes: int = 20
    office_hours: tuple[time, time] | None = (time(9, 0), time(19, 0))
    office_days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    misfire_grace_minutes: int = 360
    lock_stale_minutes: int = 10
    sources: Mapping[str, SourceSchedule] = field(default_factory=dict)


@dataclass(frozen=True)
class DigestSettings:
    """`[digest]`: defaults for every recipient's digest."""

    send_at: time = time(8, 0)
    deadline_days: int = 7
    follow_up_days: int = 0
    send_empty: bool = False
    max_items: int = 40
    subject_prefix: str = "[tracker]"


@dataclass(frozen=True)
class AlertSettings:
    """`[alerts]`: deadline alerts (days before) and source-health alerts."""

    deadline_days: tuple[int, ...] = (3, 1)
    health: bool = True
    check_minutes: int = 60
    health_window_hours: int = 48


@dataclass(frozen=True)
class MailSettings:
    """Everything the daemon and the mailer read from tracker.toml."""

    smtp: SmtpSettings | None
    recipients: tuple[Recipient, ...]
    schedule: ScheduleSettings
    digest: DigestSettings
    alerts: AlertSettings

    def recipient(self, email: str) -> Recipient | None:
        """The recipient with this address (case-insensitive), or None."""
        for item in self.recipients:
            if item.email.lower() == email.lower():
                return item
        return None


def load_mail_settings(home: Path) -> MailSettings:
    """Read the home's tracker.toml (defaults when it has none of these tables)."""
    path = home / "tracker.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raw = {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return parse_mail_settings(raw, where=str(path))


def parse_mail_settings(raw: Mapping[str, Any], *, where: str) -> MailSettings:
    """Validate the mail and schedule tables of a parsed tracker.toml."""
    smtp_raw = _table(raw, "smtp", where, "")
    smtp = _parse_smtp(smtp_raw, where) if smtp_raw else None
    recipients_raw = raw.get("recipients", [])
    if not isinstance(recipients_raw, list):
        raise ConfigError(f"{where}: recipients must be [[recipients]] tables")
    digest = _parse_digest(_table(raw, "digest", where, ""), where)
    recipients = tuple(_parse_recipient(r, i, where, digest) for i, r in
                       enumerate(recipients_raw, start=1))
    seen: set[str] = set()
    for item in recipients:
        if item.email.lower() in seen:
            raise ConfigError(f"{where}: [[recipients]] email: {item.email!r} is listed twice")
        seen.add(item.email.lower())
    if recipients and smtp is None:
        raise ConfigError(f"{where}: [[recipients]] need an [smtp] table (host, from) to send")
    return MailSettings(
        smtp=smtp, recipients=recipients,
        schedule=_parse_schedule(_table(raw, "schedule", where, ""), where),
        digest=digest, alerts=_parse_alerts(_table(raw, "alerts", where, ""), where),
    )


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (where plain SMTP is acceptable)."""
    if host.lower() in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _parse_smtp(table: Mapping[str, Any], where: str) -> SmtpSettings:
    ctx = "[smtp]"
    _only(table, {"host", "port", "security", "username", "from", "timeout", "keyring_service",
                  "password"}, where, ctx)
    if "password" in table:
        raise ConfigError(f"{where}: {ctx} password: never put the password in tracker.toml; "
                          "set TRACKER_SMTP_PASSWORD or store it in the system keyring")
    host = _str(table, "host", where, ctx, required=True)
    security = _choice(table, "security", SECURITY, "starttls", where, ctx)
    if security == "none" and not is_loopback(host):
        raise ConfigError(f"{where}: {ctx} security: \"none\" sends mail unencrypted and is only "
                          f"allowed to a loopback host, not {host!r}; use starttls or tls")
    port = _int(table, "port", DEFAULT_PORTS[security], where, ctx, minimum=1)
    if port > 65535:
        raise ConfigError(f"{where}: {ctx} port: must be 1..65535, got {port}")
    sender = _email(table, "from", where, ctx)
    username = _str(table, "username", where, ctx) or None
    timeout = table.get("timeout", 30.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError(f"{where}: {ctx} timeout: expected seconds > 0, got {timeout!r}")
    service = _str(table, "keyring_service", where, ctx) or "advocacy-tracker"
    return SmtpSettings(host, port, security, sender, username, float(timeout), service)


def _parse_recipient(raw: Any, number: int, where: str, digest: DigestSettings) -> Recipient:
    ctx = f"[[recipients]] #{number}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: {ctx} must be a table")
    if isinstance(raw.get("email"), str) and raw["email"].strip():
        ctx = f"[[recipients]] {raw['email'].strip()}"
    _only(raw, {"email", "name", "goals", "frequency", "send_at", "weekday", "staff",
                "action_notes", "send_empty", "alerts"}, where, ctx)
    email = _email(raw, "email", where, ctx)
    ctx = f"[[recipients]] {email}"
    goals: tuple[str, ...] | None = None
    if "goals" in raw:
        value = raw["goals"]
        if not isinstance(value, list) or not all(isinstance(g, str) and _GOAL.match(g)
                                                  for g in value):
            raise ConfigError(f"{where}: {ctx} goals: a list of goal ids such as "
                              "[\"domestic-violence\", \"sogi\"] (omit the key for all goals)")
        goals = tuple(value)
    frequency = _choice(raw, "frequency", FREQUENCIES, "daily", where, ctx)
    weekday = _choice(raw, "weekday", WEEKDAYS, "mon", where, ctx)
    if "weekday" in raw and frequency != "weekly":
        raise ConfigError(f"{where}: {ctx} weekday: only for frequency = \"weekly\"")
    return Recipient(
        email=email, name=_str(raw, "name", where, ctx), goals=goals, frequency=frequency,
        send_at=_hhmm(raw, "send_at", digest.send_at, where, ctx), weekday=weekday,
        staff=_str(raw, "staff", where, ctx) or None,
        action_notes=_bool(raw, "action_notes", False, where, ctx),
        send_empty=_bool(raw, "send_empty", digest.send_empty, where, ctx),
        alerts=_bool(raw, "alerts", True, where, ctx),
    )


def _parse_schedule(table: Mapping[str, Any], where: str) -> ScheduleSettings:
    ctx = "[schedule]"
    d = ScheduleSettings()
    _only(table, {"timezone", "interval_minutes", "jitter_minutes", "office_hours",
                  "office_days", "misfire_grace_minutes", "lock_stale_minutes", "sources"},
          where, ctx)
    tz = _str(table, "timezone", where, ctx) or d.timezone
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: {ctx} timezone: unknown time zone {tz!r} "
                          "(e.g. \"Asia/Almaty\")") from None
    hours = d.office_hours
    if "office_hours" in table:
        value = table["office_hours"]
        match = re.fullmatch(r"(\d\d:\d\d)-(\d\d:\d\d)", value) if isinstance(value, str) else None
        if value == "":
            hours = None
        elif match is None or not (_HHMM.match(match[1]) and _HHMM.match(match[2])):
            raise ConfigError(f"{where}: {ctx} office_hours: expected \"HH:MM-HH:MM\" or \"\" "
                              f"(any time), got {value!r}")
        else:
            start, end = time.fromisoformat(match[1]), time.fromisoformat(match[2])
            if start >= end:
                raise ConfigError(f"{where}: {ctx} office_hours: start must be before end")
            hours = (start, end)
    days = d.office_days
    if "office_days" in table:
        value = table["office_days"]
        if not isinstance(value, list) or not value or any(v not in WEEKDAYS for v in value):
            raise ConfigError(f"{where}: {ctx} office_days: a non-empty list of "
                              f"{', '.join(WEEKDAYS)}")
        days = tuple(v for v in WEEKDAYS if v in value)
    sources: dict[str, SourceSchedule] = {}
    for key, raw in _table(table, "sources", where, ctx).items():
        sources[key] = _parse_source_schedule(key, raw, where)
    return ScheduleSettings(
        timezone=tz,
        interval_minutes=_int(table, "interval_minutes", d.interval_minutes, where, ctx, 5),
        jitter_minutes=_int(table, "jitter_minutes", d.jitter_minutes, where, ctx, 0),
        office_hours=hours, office_days=days,
        misfire_grace_minutes=_int(table, "misfire_grace_minutes", d.misfire_grace_minutes,
                                   where, ctx, 1),
        lock_stale_minutes=_int(table, "lock_stale_minutes", d.lock_stale_minutes, where, ctx,
                                2),
        sources=sources,
    )


def _parse_source_schedule(key: str, raw: Any, where: str) -> SourceSchedule:
    ctx = f"[schedule.sources.{key}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: {ctx} must be a table")
    _only(raw, {"interval_minutes", "cron", "jitter_minutes", "office_hours_only"}, where, ctx)
    if "interval_minutes" in raw and "cron" in raw:
        raise ConfigError(f"{where}: {ctx} give either interval_minutes or cron, not both")
    cron = _str(raw, "cron", where, ctx) or None
    if cron is not None:
        check_cron(cron, f"{where}: {ctx} cron")
    interval = _int(raw, "interval_minutes", 0, where, ctx, 5) if "interval_minutes" in raw \
        else None
    jitter = _int(raw, "jitter_minutes", 0, where, ctx, 0) if "jitter_minutes" in raw else None
    return SourceSchedule(interval, cron, jitter,
                          _bool(raw, "office_hours_only", True, where, ctx))


def check_cron(line: str, prefix: str) -> None:
    """ConfigError unless ``line`` is a 5-field crontab expression APScheduler accepts."""
    from apscheduler.triggers.cron import CronTrigger

    if len(line.split()) != _CRON_FIELDS:
        raise ConfigError(f"{prefix}: expected 5 fields \"minute hour day month weekday\", "
                          f"got {line!r}")
    try:
        CronTrigger.from_crontab(line, timezone="UTC")
    except ValueError as exc:
        raise ConfigError(f"{prefix}: {exc} in {line!r}") from None


def _parse_digest(table: Mapping[str, Any], where: str) -> DigestSettings:
    ctx = "[digest]"
    d = DigestSettings()
    _only(table, set(DigestSettings.__dataclass_fields__), where, ctx)
    return DigestSettings(
        send_at=_hhmm(table, "send_at", d.send_at, where, ctx),
        deadline_days=_int(table, "deadline_days", d.deadline_days, where, ctx, 0),
        follow_up_days=_int(table, "follow_up_days", d.follow_up_days, where, ctx, 0),
        send_empty=_bool(table, "send_empty", d.send_empty, where, ctx),
        max_items=_int(table, "max_items", d.max_items, where, ctx, 1),
        subject_prefix=_str(table, "subject_prefix", where, ctx, default=d.subject_prefix),
    )


def _parse_alerts(table: Mapping[str, Any], where: str) -> AlertSettings:
    ctx = "[alerts]"
    d = AlertSettings()
    _only(table, set(AlertSettings.__dataclass_fields__), where, ctx)
    days = table.get("deadline_days", list(d.deadline_days))
    if not isinstance(days, list) or any(isinstance(v, bool) or not isinstance(v, int) or v < 0
                                         for v in days):
        raise ConfigError(f"{where}: {ctx} deadline_days: a list of whole numbers of days >= 0, "
                          "e.g. [3, 1] (empty: no deadline alerts)")
    return AlertSettings(
        deadline_days=tuple(sorted(set(days), reverse=True)),
        health=_bool(table, "health", d.health, where, ctx),
        check_minutes=_int(table, "check_minutes", d.check_minutes, where, ctx, 1),
        health_window_hours=_int(table, "health_window_hours", d.health_window_hours, where,
                                 ctx, 1),
    )


# -- small validators (messages: "<file>: <ctx> <key>: <problem>") ----------------------------


def _only(table: Mapping[str, Any], allowed: set[str], where: str, ctx: str) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(f"{where}: {ctx} unknown key {key!r} "
                              f"(allowed: {', '.join(sorted(allowed - {'password'}))})")


def _table(raw: Mapping[str, Any], key: str, where: str, ctx: str) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: {(ctx + ' ') if ctx else ''}{key} must be a table")
    return value


def _str(table: Mapping[str, Any], key: str, where: str, ctx: str, *, required: bool = False,
         default: str = "") -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {ctx} {key}: expected a string, got {value!r}")
    if required and not value.strip():
        raise ConfigError(f"{where}: {ctx} {key}: required")
    return value.strip()


def _email(table: Mapping[str, Any], key: str, where: str, ctx: str) -> str:
    value = _str(table, key, where, ctx, required=True)
    if not _EMAIL.match(value):
        raise ConfigError(f"{where}: {ctx} {key}: not an email address: {value!r}")
    return value


def _int(table: Mapping[str, Any], key: str, default: int, where: str, ctx: str,
         minimum: int = 0) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where}: {ctx} {key}: expected a whole number, got {value!r}")
    if value < minimum:
        raise ConfigError(f"{where}: {ctx} {key}: must be >= {minimum}, got {value}")
    return value


def _bool(table: Mapping[str, Any], key: str, default: bool, where: str, ctx: str) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {ctx} {key}: expected true or false, got {value!r}")
    return value


def _choice(table: Mapping[str, Any], key: str, choices: tuple[str, ...], default: str,
            where: str, ctx: str) -> str:
    value = table.get(key, default)
    if value not in choices:
        options = " | ".join(f'"{c}"' for c in choices)
        raise ConfigError(f"{where}: {ctx} {key}: must be {options}, got {value!r}")
    return str(value)


def _hhmm(table: Mapping[str, Any], key: str, default: time, where: str, ctx: str) -> time:
    value = table.get(key)
    if value is None:
        return default
    if isinstance(value, time):  # TOML local time: send_at = 08:30:00
        return value.replace(second=0, microsecond=0)
    if not isinstance(value, str) or not _HHMM.match(value):
        raise ConfigError(f"{where}: {ctx} {key}: expected \"HH:MM\" (24-hour), got {value!r}")
    return time.fromisoformat(value)
