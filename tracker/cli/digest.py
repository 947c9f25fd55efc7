"""`tracker digest --preview | --send`: look at, or send, each recipient's digest now."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import click

from tracker.cli.app import cli, echo_json, get_app
from tracker.errors import UsageError
from tracker.lock import LockHeld, SchedulerLock
from tracker.mailconfig import Recipient
from tracker.textsafe import terminal_safe

if TYPE_CHECKING:  # mail is loaded only by `tracker digest`
    from tracker.alerts import MailContext


def _recipients(ctx: MailContext, only: str | None) -> list[Recipient]:
    if not ctx.mail.recipients:
        raise UsageError("no [[recipients]] in tracker.toml: add one (email, goals, frequency)")
    if only is None:
        return list(ctx.mail.recipients)
    found = ctx.mail.recipient(only)
    if found is None:
        known = ", ".join(r.email for r in ctx.mail.recipients)
        raise UsageError(f"--recipient: {only!r} is not a configured recipient (known: {known})")
    return [found]


@cli.command()
@click.option("--preview", is_flag=True, help="Print what would be sent; changes nothing.")
@click.option("--send", is_flag=True, help="Send now (exactly once: advances the watermark).")
@click.option("--recipient", "only", metavar="EMAIL", help="Only this recipient.")
@click.option("--html", "as_html", is_flag=True, help="With --preview: print the HTML part.")
@click.option("--json", "as_json", is_flag=True, help="With --send: print the outcomes as JSON.")
@click.pass_context
def digest(ctx: click.Context, preview: bool, send: bool, only: str | None, as_html: bool,
           as_json: bool) -> int:
    """Preview or send the email digests."""
    from tracker.alerts import mail_context, preview_digest, send_digests

    if preview == send:
        raise UsageError("give exactly one of --preview or --send")
    app = get_app(ctx)
    settings = app.settings()
    store = app.store()
    mctx = mail_context(settings, store)
    recipients = _recipients(mctx, only)
    if preview:
        for r in recipients:
            found, rendered = preview_digest(mctx, r)
            skipped = found.is_empty and not r.send_empty
            note = " | (empty: would not be sent)" if skipped else ""
            click.echo(f"==== To: {r.email} | Subject: {rendered.subject}{note}")
            click.echo(rendered.html if as_html else terminal_safe(rendered.text))
        return 0
    lock = SchedulerLock(store.engine,
                         stale_after=timedelta(minutes=mctx.mail.schedule.lock_stale_minutes))
    try:
        lock.acquire()
    except LockHeld as exc:
        click.echo(f"tracker: {exc}; it sends the digests itself (stop it to send by hand)",
                   err=True)
        return 1
    try:
        outcomes = [o for r in recipients for o in send_digests(mctx, r.email)]
    finally:
        lock.release()
    if as_json:
        echo_json([{"recipient": o.recipient, "status": o.status, "message_id": o.message_id,
                    "error": o.error} for o in outcomes])
    else:
        for o in outcomes:
            click.echo(f"{o.recipient}: {o.status}" + (f" — {o.error}" if o.error else ""))
    return 1 if any(o.status == "failed" for o in outcomes) else 0
