"""`tracker link`, `tracker unlink`, `tracker timeline`: one act followed across sites."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tracker.cli.app import cli, echo_json, get_app
from tracker.describe import describe_change
from tracker.errors import UsageError
from tracker.store import Store
from tracker.textsafe import terminal_safe


def resolve(store: Store, ref: str) -> int:
    """``SOURCE:EXTERNAL_ID`` → the store's document id; UsageError if unknown."""
    source, sep, external_id = ref.partition(":")
    if not sep or not source or not external_id:
        raise UsageError(f"expected SOURCE:EXTERNAL_ID, got {ref!r}")
    doc_id = store.document_id(source, external_id)
    if doc_id is None:
        raise UsageError(f"no document {ref!r} in the store")
    return doc_id


@cli.command()
@click.argument("first", metavar="SOURCE:ID")
@click.argument("second", metavar="SOURCE:ID")
@click.option("--reason", default="linked by hand", help="Why (kept with the decision).")
@click.pass_context
def link(ctx: click.Context, first: str, second: str, reason: str) -> None:
    """Say that two documents are the same act (automatic linking never undoes it)."""
    store = get_app(ctx).store()
    a, b = resolve(store, first), resolve(store, second)
    if a == b:
        raise UsageError("a document cannot be linked to itself")
    store.link(a, b, linked=True, reason=reason)
    click.echo(f"linked {first} and {second}")


@cli.command()
@click.argument("first", metavar="SOURCE:ID")
@click.argument("second", metavar="SOURCE:ID")
@click.option("--reason", default="unlinked by hand", help="Why (kept with the decision).")
@click.pass_context
def unlink(ctx: click.Context, first: str, second: str, reason: str) -> None:
    """Say that two documents are NOT the same act (automatic linking never relinks them)."""
    store = get_app(ctx).store()
    a, b = resolve(store, first), resolve(store, second)
    store.link(a, b, linked=False, reason=reason)
    click.echo(f"unlinked {first} and {second}")


@cli.command()
@click.argument("ref", metavar="SOURCE:ID")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def timeline(ctx: click.Context, ref: str, as_json: bool) -> None:
    """The events of a document and of every document linked to it, oldest first."""
    store = get_app(ctx).store()
    events = store.timeline(resolve(store, ref))
    if as_json:
        echo_json(events)
        return
    # A Text title: the reference holds a scraped id, which Rich would parse as markup.
    table = Table(title=Text(f"timeline of {terminal_safe(ref)}"))
    for column in ("observed", "source", "document", "event"):
        table.add_column(column)
    for event in events:
        table.add_row(event["observed_at"][:16], event["source"],
                      Text(terminal_safe(event["external_id"])),
                      Text(terminal_safe(describe_change(event["type"], event["old"],
                                                         event["new"], event["author"]))))
    Console().print(table)
