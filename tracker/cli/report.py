"""`tracker report` (per goal, pseudonymised) and `tracker calendar` (an iCalendar file)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from tracker.actions import goal_catalog, parse_date
from tracker.cli.app import cli, get_app
from tracker.errors import UsageError
from tracker.fetch import utcnow_iso
from tracker.reports import FORMATS, build_report, render, write_private
from tracker.seal import open_vault


def _today(value: str | None) -> dt.date:
    return dt.date.fromisoformat(parse_date(value, "--today")) if value else dt.date.today()


@cli.command()
@click.option("--from", "date_from", required=True, metavar="DATE",
              help="First day of the period (YYYY-MM-DD).")
@click.option("--to", "date_to", required=True, metavar="DATE",
              help="Last day of the period (YYYY-MM-DD).")
@click.option("--goal", help="Only this goal.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="md", show_default=True)
@click.option("--names", is_flag=True, help="Name counterpart persons (default: P-codes).")
@click.option("--include-sensitive", is_flag=True,
              help="Describe sensitive actions too (default: only counted).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (owner-only) instead of standard output.")
@click.option("--today", "today_", metavar="DATE", hidden=True, help="Pretend today is DATE.")
@click.pass_context
def report(ctx: click.Context, /, date_from: str, date_to: str, goal: str | None, fmt: str,
           names: bool, include_sensitive: bool, output: Path | None,
           today_: str | None) -> None:
    """A per-goal report of a period for the coalition or a donor: documents tracked and
    their stage changes, comment deadlines met or missed, actions by type, outcomes."""
    start, end = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    if start > end:
        raise UsageError(f"--from {start} is after --to {end}")
    app = get_app(ctx)
    goals, note = goal_catalog(app.home)
    if goal is not None and goal not in goals:
        extra = f"; {note}" if note else ""
        raise UsageError(f"--goal: unknown goal {goal!r} (known: {', '.join(goals)}{extra})")
    store = app.store()
    built = build_report(store, open_vault(store), date_from=start, date_to=end, goals=goals,
                         today=_today(today_), generated_at=utcnow_iso(), goal=goal,
                         names=names, include_sensitive=include_sensitive)
    text = render(built, fmt)
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        write_private(output, text)
        click.echo(f"wrote the report to {output}", err=True)


@cli.command()
@click.option("--ics", "ics", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The iCalendar file to write (owner-only).")
@click.option("--all", "include_all", is_flag=True,
              help="Comment deadlines of every document, not only matched ones.")
@click.option("--from", "date_from", metavar="DATE",
              help="Deadlines on or after this day (default: today).")
@click.option("--today", "today_", metavar="DATE", hidden=True, help="Pretend today is DATE.")
@click.pass_context
def calendar(ctx: click.Context, /, ics: Path, include_all: bool, date_from: str | None,
             today_: str | None) -> None:
    """Write comment deadlines, treaty-body deadlines and follow-up dates as an .ics file."""
    from tracker.calendar_export import build_calendar, calendar_bytes  # icalendar

    since = dt.date.fromisoformat(parse_date(date_from, "--from")) if date_from \
        else _today(today_)
    store = get_app(ctx).store()
    cal = build_calendar(store, open_vault(store), since=since, now=dt.datetime.now(dt.UTC),
                         include_all=include_all)
    write_private(ics, calendar_bytes(cal))
    count = len(cal.walk("VEVENT"))
    click.echo(f"wrote {count} events to {ics}")
