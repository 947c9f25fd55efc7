"""`tracker upr …`: follow-up of UPR recommendations (assess, relate, list, report)."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tracker.cli.app import cli, echo_json, get_app
from tracker.cli.links import resolve
from tracker.errors import UsageError
from tracker.store import Store
from tracker.store.upr import UPR_SOURCE, recommendations, relate, set_assessment, unrelate
from tracker.textsafe import terminal_safe
from tracker.upr.report import GoalResolver, build_rows, to_csv, to_markdown
from tracker.upr.vocab import ASSESSMENT_STATUSES, RELATION_KINDS

#: A goals file in the home replaces the shipped defaults (tracker/defaults/goals.toml).
GOALS_FILE = "goals.toml"


def _author(author: str | None) -> str:
    if author and author.strip():
        return author.strip()
    try:
        return os.environ.get("TRACKER_AUTHOR") or getpass.getuser()
    except (KeyError, OSError):
        raise UsageError("--author: no user name found; give one") from None


def _recommendation(store: Store, ref: str) -> int:
    if not ref.startswith(f"{UPR_SOURCE}:"):
        raise UsageError(f"{ref!r} is not a UPR recommendation (expected {UPR_SOURCE}:ID, "
                         "e.g. un_upr:A/HRC/28/10:124.6)")
    return resolve(store, ref)


@cli.group()
def upr() -> None:
    """UPR recommendations: staff assessments, links to bills, shadow-report tables."""


@upr.command()
@click.argument("ref", metavar="un_upr:ID")
@click.option("--status", required=True, type=click.Choice(ASSESSMENT_STATUSES),
              help="Implementation status.")
@click.option("--note", default="", help="Why (evidence, sources); kept with the status.")
@click.option("--author", help="Who assesses (default: TRACKER_AUTHOR or the login name).")
@click.pass_context
def assess(ctx: click.Context, ref: str, status: str, note: str, author: str | None) -> None:
    """Set the implementation status of a recommendation (a change is an event)."""
    store = get_app(ctx).store()
    doc_id = _recommendation(store, ref)
    changed = set_assessment(store, doc_id, status=status, note=note, author=_author(author))
    click.echo(f"{terminal_safe(ref)}: {status}" + ("" if changed else " (unchanged)"))


@upr.command("relate")
@click.argument("rec_ref", metavar="un_upr:ID")
@click.argument("doc_ref", metavar="SOURCE:ID")
@click.option("--kind", required=True, type=click.Choice(RELATION_KINDS),
              help="How the document relates to the recommendation.")
@click.option("--remove", is_flag=True, help="Remove this relation instead.")
@click.option("--author", help="Who links them (default: TRACKER_AUTHOR or the login name).")
@click.pass_context
def relate_cmd(ctx: click.Context, rec_ref: str, doc_ref: str, kind: str, remove: bool,
               author: str | None) -> None:
    """Link a recommendation to a bill or act that implements or contradicts it."""
    store = get_app(ctx).store()
    rec_id = _recommendation(store, rec_ref)
    doc_id = resolve(store, doc_ref)
    if remove:
        done = unrelate(store, rec_id, doc_id, kind=kind)
        click.echo(("removed" if done else "no such relation") + f": {kind}")
        return
    done = relate(store, rec_id, doc_id, kind=kind, author=_author(author))
    click.echo(f"{terminal_safe(doc_ref)} {kind} {terminal_safe(rec_ref)}"
               + ("" if done else " (already recorded)"))


@upr.command("list")
@click.option("--cycle", type=click.IntRange(min=1), help="Only this UPR cycle.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_cmd(ctx: click.Context, cycle: int | None, as_json: bool) -> None:
    """List stored recommendations with position and assessment."""
    recs = recommendations(get_app(ctx).store(), cycle=cycle)
    if as_json:
        echo_json([{
            "ref": f"{r['source']}:{r['external_id']}", "external_id": r["external_id"],
            "cycle": r["details"].get("cycle"), "paragraph": r["details"].get("paragraph"),
            "text": r["title"], "position": r["status_raw"], "stage": r["stage"],
            "recommending_states": r["details"].get("recommending_states", []),
            "themes": r["details"].get("themes", []),
            "assessment": ({k: r["assessment"][k] for k in
                            ("status", "note", "author", "updated_at")}
                           if r["assessment"] else None),
            "relations": [{k: rel[k] for k in ("kind", "source", "external_id", "stage")}
                          for rel in r["relations"]],
        } for r in recs])
        return
    table = Table(title=f"{len(recs)} recommendations")
    for column in ("id", "position", "state(s)", "assessment", "text"):
        table.add_column(column)
    for r in recs:
        assessment = r["assessment"]["status"] if r["assessment"] else ""
        table.add_row(Text(terminal_safe(r["external_id"])), Text(terminal_safe(r["stage"])),
                      Text(terminal_safe("; ".join(r["details"].get("recommending_states",
                                                                    [])))),
                      assessment, Text(terminal_safe(r["title"][:100])))
    Console().print(table)


@upr.command()
@click.option("--cycle", required=True, type=click.IntRange(min=1), help="UPR cycle.")
@click.option("--goal", help="Only recommendations matched to this goal id.")
@click.option("--format", "fmt", type=click.Choice(("md", "csv")), default="md",
              show_default=True, help="Markdown table or CSV.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
@click.pass_context
def report(ctx: click.Context, cycle: int, goal: str | None, fmt: str,
           output: Path | None) -> None:
    """The shadow-report table: recommendation, recommending state, position, goal(s),
    assessment, linked bills with their current stage."""
    app = get_app(ctx)
    goals_path = app.home / GOALS_FILE
    resolver = GoalResolver(goals_path if goals_path.is_file() else None)
    ids = resolver.goal_ids
    if goal is not None and ids is not None and goal not in ids:
        raise UsageError(f"--goal: unknown goal {goal!r} (known: {', '.join(ids)})")
    recs = recommendations(app.store(), cycle=cycle)
    if not recs:
        raise UsageError(f"no recommendations of cycle {cycle} in the store "
                         f"(run `tracker scrape {UPR_SOURCE}` first)")
    rows = build_rows(recs, resolver, goal)
    if fmt == "csv":
        text = to_csv(rows)
    else:
        title = f"UPR cycle {cycle}" + (f" — goal {goal}" if goal else "")
        notes = [f"{len(rows)} of {len(recs)} recommendations; goals: {resolver.method}.",
                 resolver.note]
        text = to_markdown(rows, title, notes)
    if resolver.note:
        click.echo(f"tracker: note: {resolver.note}", err=True)
    if output is not None:
        output.write_text(text, encoding="utf-8")
        click.echo(f"{len(rows)} rows written to {output}", err=True)
    else:
        click.echo(text, nl=False)
