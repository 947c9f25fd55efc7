"""`tracker actions …`: record what the NGO did about a bill, follow it up, export it."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tracker.actions import (
    ACTION_TYPES,
    STATUSES,
    Action,
    ActionDraft,
    action_history,
    default_staff,
    edit_action,
    get_action,
    government_answer,
    known_goal_ids,
    list_actions,
    parse_date,
    record_action,
)
from tracker.cli.app import App, cli, echo_json, get_app
from tracker.cli.links import resolve
from tracker.errors import UsageError
from tracker.reports import rows_csv, write_private
from tracker.seal import (
    SealError,
    ensure_seal,
    locked_message,
    open_vault,
    passphrase_from_environment,
)
from tracker.store import Store
from tracker.store import actions as sa
from tracker.textsafe import json_escape_controls, terminal_safe

_CLEARABLE = {"counterpart": "counterpart_person", "institution": "counterpart_institution",
              "outcome": "outcome", "next-step": "next_step", "follow-up": "follow_up",
              "comment-text": "comment_text", "card-id": "legalacts_card_id"}
EXPORT_COLUMNS = ("id", "date", "type", "status", "sensitivity", "staff",
                  "counterpart_institution", "counterpart_person", "summary", "outcome",
                  "next_step", "follow_up", "documents", "goals", "recommendations", "card_id",
                  "comment_text", "created_at", "updated_at")


def interactive() -> bool:
    """True when a person can answer prompts (stdin is a terminal)."""
    return sys.stdin is not None and sys.stdin.isatty()


def action_json(store: Store, action: Action, refs: dict[int, str] | None = None) -> dict[str, Any]:
    """An action as the CLI prints it in JSON: documents as SOURCE:EXTERNAL_ID, and the
    government's answer for a public comment whose card is in the store."""
    if refs is None:
        refs = doc_refs(store, [action])
    data = action.as_dict()
    data["documents"] = [refs.get(d, str(d)) for d in action.documents]
    data["recommendations"] = [refs.get(d, str(d)) for d in action.recommendations]
    data["answer"] = government_answer(store, action.card_id)
    return data


def doc_refs(store: Store, actions: list[Action]) -> dict[int, str]:
    """Store id → SOURCE:EXTERNAL_ID for every document these actions link to."""
    ids = {d for a in actions for d in (*a.documents, *a.recommendations)}
    return {i: f"{d['source']}:{d['external_id']}" for i, d in sa.documents_by_id(store, ids)
            .items()}


@cli.group("actions")
def actions_group() -> None:
    """Lobbying actions: meetings, letters, public comments … with follow-ups."""


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _prompt_missing(store: Store, o: dict[str, Any], goal_ids: frozenset[str]) -> None:
    """Ask on the terminal for every field not given as an option (required ones first)."""
    def date_or_blank(what: str) -> Callable[[str], str | None]:
        def convert(value: str) -> str | None:
            try:
                return parse_date(value.strip(), what) if value.strip() else None
            except UsageError as exc:
                raise click.BadParameter(str(exc)) from None
        return convert

    def refs(value: str) -> list[str]:
        for ref in _split(value):
            try:
                resolve(store, ref)
            except UsageError as exc:
                raise click.BadParameter(str(exc)) from None
        return _split(value)

    def goals(value: str) -> list[str]:
        unknown = sorted(set(_split(value)) - goal_ids)
        if unknown:
            raise click.BadParameter(f"unknown goal {', '.join(unknown)}")
        return _split(value)

    if o["type"] is None:
        o["type"] = click.prompt("Type", type=click.Choice(ACTION_TYPES), default="meeting")
    if o["date"] is None:
        o["date"] = click.prompt("Date", default=dt.date.today().isoformat(),
                                 value_proc=date_or_blank("date"))
    if not o["summary"]:
        o["summary"] = click.prompt("Summary")
    if not (o["document"] or o["goal"] or o["recommendation"]):
        o["document"] = click.prompt("Documents (SOURCE:ID, comma-separated)", default="",
                                     value_proc=refs)
        o["goal"] = click.prompt(f"Goals ({', '.join(sorted(goal_ids))})", default="",
                                 value_proc=goals)
    for key, label in (("institution", "Institution"), ("counterpart", "Person met"),
                       ("outcome", "Outcome"), ("next_step", "Next step")):
        if o[key] is None:
            o[key] = click.prompt(label, default="", show_default=False) or None
    if o["follow_up"] is None:
        o["follow_up"] = click.prompt("Follow-up date (blank: none)", default="",
                                      show_default=False, value_proc=date_or_blank("follow-up"))
    if not o["sensitive"]:
        o["sensitive"] = click.confirm("Sensitive?", default=False)


@actions_group.command("add")
@click.option("--type", "type_", metavar="TYPE", help=f"One of: {', '.join(ACTION_TYPES)}.")
@click.option("--date", help="When (YYYY-MM-DD); default today.")
@click.option("--staff", help="Who did it (default: TRACKER_STAFF, else the OS user).")
@click.option("--summary", help="What happened.")
@click.option("--counterpart", help="The person met or written to (sealed).")
@click.option("--institution", help="Their institution.")
@click.option("--outcome", help="What came of it.")
@click.option("--next-step", "next_step", help="What to do next.")
@click.option("--follow-up", "follow_up", help="Follow-up date (YYYY-MM-DD).")
@click.option("--document", multiple=True, metavar="SOURCE:ID", help="A document (repeatable).")
@click.option("--goal", multiple=True, help="A goal id (repeatable).")
@click.option("--recommendation", multiple=True, metavar="SOURCE:ID",
              help="A UPR recommendation document (repeatable).")
@click.option("--comment-text", "comment_text", help="Public comment: the text submitted.")
@click.option("--card-id", "card_id", help="Public comment: the legalacts card id.")
@click.option("--sensitive", is_flag=True, help="Count it in reports but do not describe it.")
@click.option("--json", "as_json", is_flag=True, help="Print the recorded action as JSON.")
@click.pass_context
def add(ctx: click.Context, /, type_: str | None, **o: Any) -> None:
    """Record an action. On a terminal, missing fields are asked for; in scripts, a missing
    required field (--type, --summary, a --document or --goal) is an error (exit 2)."""
    app = get_app(ctx)
    store = app.store()
    vault = open_vault(store)
    if vault.configured and not vault.unlocked:
        raise SealError(locked_message())
    goal_ids, note = known_goal_ids(app.home)
    o["type"], as_json = type_, o.pop("as_json")
    missing = o["type"] is None or not o["summary"] or not (
        o["document"] or o["goal"] or o["recommendation"])
    if missing and interactive():
        _prompt_missing(store, o, goal_ids)
    draft = ActionDraft(
        type=o["type"] or "", date=o["date"] or dt.date.today().isoformat(),
        staff=default_staff(o["staff"]), summary=o["summary"],
        counterpart_person=o["counterpart"], counterpart_institution=o["institution"],
        outcome=o["outcome"], next_step=o["next_step"], follow_up=o["follow_up"],
        comment_text=o["comment_text"], card_id=o["card_id"], sensitive=bool(o["sensitive"]),
        documents=tuple(resolve(store, r) for r in o["document"]), goals=tuple(o["goal"]),
        recommendations=tuple(resolve(store, r) for r in o["recommendation"]))
    creating_seal = vault.pending is not None
    action_id = record_action(store, draft, vault, goal_ids=goal_ids, goals_note=note)
    if creating_seal:
        click.echo("tracker: sealing enabled: sensitive fields are now encrypted with the "
                   "passphrase; without it they cannot be read", err=True)
    action = get_action(store, action_id, vault)
    if as_json and action is not None:
        echo_json(action_json(store, action))
    else:
        click.echo(f"recorded action {action_id}")


def filter_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The filters shared by `list` and `export`."""
    for option in reversed([
        click.option("--goal", help="Linked to this goal (directly or via a document)."),
        click.option("--document", metavar="SOURCE:ID", help="Linked to this document."),
        click.option("--staff", help="Recorded by this staff member."),
        click.option("--type", "type_", metavar="TYPE", help="Of this type."),
        click.option("--from", "date_from", metavar="DATE", help="On or after (YYYY-MM-DD)."),
        click.option("--to", "date_to", metavar="DATE", help="On or before (YYYY-MM-DD)."),
        click.option("--status", type=click.Choice(STATUSES), help="open or done."),
        click.option("--open-follow-ups", is_flag=True, help="Open, with a follow-up date."),
    ]):
        fn = option(fn)
    return fn


def build_filter(store: Store, goal: str | None, document: str | None, staff: str | None,
                 type_: str | None, date_from: str | None, date_to: str | None,
                 status: str | None, open_follow_ups: bool) -> sa.ActionFilter:
    """Validated filter options → an ActionFilter (UsageError, exit 2, on bad input)."""
    if type_ is not None and type_ not in ACTION_TYPES:
        raise UsageError(f"--type: unknown value {type_!r} (one of: {', '.join(ACTION_TYPES)})")
    return sa.ActionFilter(
        goal=goal, document_id=resolve(store, document) if document else None, staff=staff,
        type=type_, date_from=parse_date(date_from, "--from") if date_from else None,
        date_to=parse_date(date_to, "--to") if date_to else None, status=status,
        open_follow_ups=open_follow_ups)


@actions_group.command("list")
@filter_options
@click.option("--due", is_flag=True, help="Only follow-ups due (today or overdue).")
@click.option("--within", type=click.IntRange(min=0), default=0,
              help="With --due: also those due in the next N days.")
@click.option("--today", "today_", metavar="DATE", hidden=True, help="Pretend today is DATE.")
@click.option("--reveal", is_flag=True, help="Show the summary of sensitive actions too.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_(ctx: click.Context, /, due: bool, within: int, today_: str | None, reveal: bool,
          as_json: bool, **filters: Any) -> None:
    """List actions, newest first (with --due: soonest follow-up first)."""
    store = get_app(ctx).store()
    vault = open_vault(store)
    flt = build_filter(store, **filters)
    today = dt.date.fromisoformat(parse_date(today_, "--today")) if today_ else dt.date.today()
    if due:
        flt = replace(flt, due_by=(today + dt.timedelta(days=within)).isoformat())
    found = list_actions(store, vault, flt)
    refs = doc_refs(store, found)
    if as_json:
        echo_json([action_json(store, a, refs) for a in found])
        return
    table = Table(title=f"{len(found)} actions")
    for column in ("#", "date", "type", "status", "follow-up", "institution", "documents",
                   "summary"):
        table.add_column(column)
    for a in found:
        days = a.days_to_follow_up(today)
        follow = a.follow_up or ""
        if days is not None and a.status == "open":
            follow += f" ({days:+d}d)"
        summary = a.summary if reveal or not a.sensitive else "(sensitive)"
        table.add_row(str(a.id), a.date, a.type, a.status, follow,
                      Text(terminal_safe(a.counterpart_institution or "")),
                      Text(terminal_safe(" ".join(refs.get(d, "?") for d in a.documents))),
                      Text(terminal_safe((summary or "")[:80])))
    Console().print(table)


@actions_group.command("show")
@click.argument("action_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def show(ctx: click.Context, action_id: int, as_json: bool) -> None:
    """One action with its links, the government's answer and its edit history."""
    store = get_app(ctx).store()
    vault = open_vault(store)
    action = get_action(store, action_id, vault)
    if action is None:
        raise UsageError(f"no action {action_id}")
    data = action_json(store, action)
    data["history"] = action_history(store, action_id, vault)
    if as_json:
        echo_json(data)
        return
    for key, value in data.items():
        if key != "history" and value not in (None, [], ""):
            click.echo(f"{key}: {terminal_safe(value)}")
    click.echo("history:")
    for entry in data["history"]:
        changed = json.dumps(entry["changes"], ensure_ascii=False)
        click.echo(f"  {entry['at']} {terminal_safe(entry['author'])}: {terminal_safe(changed)}")


@actions_group.command("edit")
@click.argument("action_id", type=int)
@click.option("--type", "type_", metavar="TYPE")
@click.option("--date")
@click.option("--summary")
@click.option("--counterpart")
@click.option("--institution")
@click.option("--outcome")
@click.option("--next-step", "next_step")
@click.option("--follow-up", "follow_up")
@click.option("--comment-text", "comment_text")
@click.option("--card-id", "card_id")
@click.option("--status", type=click.Choice(STATUSES))
@click.option("--sensitive/--normal", default=None, help="Change the sensitivity.")
@click.option("--clear", multiple=True, type=click.Choice(sorted(_CLEARABLE)),
              help="Empty this field (repeatable).")
@click.option("--document", multiple=True, metavar="SOURCE:ID", help="Link a document.")
@click.option("--goal", multiple=True, help="Link a goal.")
@click.option("--recommendation", multiple=True, metavar="SOURCE:ID")
@click.option("--remove-document", multiple=True, metavar="SOURCE:ID")
@click.option("--remove-goal", multiple=True)
@click.option("--remove-recommendation", multiple=True, metavar="SOURCE:ID")
@click.option("--staff", help="Who edits (default: TRACKER_STAFF, else the OS user).")
@click.pass_context
def edit(ctx: click.Context, /, action_id: int, type_: str | None, sensitive: bool | None,
         clear: tuple[str, ...], staff: str | None, **o: Any) -> None:
    """Change an action; the history keeps who changed what, and when."""
    app = get_app(ctx)
    store = app.store()
    names = {"counterpart": "counterpart_person", "institution": "counterpart_institution",
             "card_id": "legalacts_card_id", "type_": "type"}
    changes: dict[str, str | None] = {}
    for key in ("date", "summary", "counterpart", "institution", "outcome", "next_step",
                "follow_up", "comment_text", "card_id", "status"):
        if o[key] is not None:
            changes[names.get(key, key)] = o[key]
    if type_ is not None:
        changes["type"] = type_
    if sensitive is not None:
        changes["sensitivity"] = "sensitive" if sensitive else "normal"
    for flag in clear:
        changes[_CLEARABLE[flag]] = None
    add = {"document": [str(resolve(store, r)) for r in o["document"]], "goal": list(o["goal"]),
           "recommendation": [str(resolve(store, r)) for r in o["recommendation"]]}
    remove = {"document": [str(resolve(store, r)) for r in o["remove_document"]],
              "goal": list(o["remove_goal"]),
              "recommendation": [str(resolve(store, r)) for r in o["remove_recommendation"]]}
    _apply_edit(app, action_id, changes, staff, add, remove)


@actions_group.command("done")
@click.argument("action_id", type=int)
@click.option("--outcome", help="What came of it.")
@click.option("--staff", help="Who closes it (default: TRACKER_STAFF, else the OS user).")
@click.pass_context
def done(ctx: click.Context, action_id: int, outcome: str | None, staff: str | None) -> None:
    """Mark an action done (its follow-up no longer reminds anyone)."""
    changes: dict[str, str | None] = {"status": "done"}
    if outcome is not None:
        changes["outcome"] = outcome
    _apply_edit(get_app(ctx), action_id, changes, staff, {}, {})


def _apply_edit(app: App, action_id: int, changes: dict[str, str | None], staff: str | None,
                add: dict[str, list[str]], remove: dict[str, list[str]]) -> None:
    store = app.store()
    vault = open_vault(store)
    goal_ids, _note = known_goal_ids(app.home)
    recorded = edit_action(store, action_id, changes, vault, author=default_staff(staff),
                           goal_ids=goal_ids, add_links=add, remove_links=remove)
    if recorded:
        click.echo(f"action {action_id}: changed {', '.join(sorted(recorded))}")
    else:
        click.echo(f"action {action_id}: nothing to change")


@actions_group.command("export")
@filter_options
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), required=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (owner-only) instead of standard output.")
@click.pass_context
def export(ctx: click.Context, /, fmt: str, output: Path | None, **filters: Any) -> None:
    """Export actions with every field (names included: keep the file safe)."""
    store = get_app(ctx).store()
    vault = open_vault(store)
    found = list_actions(store, vault, build_filter(store, **filters))
    refs = doc_refs(store, found)
    rows = [action_json(store, a, refs) for a in found]
    text = (json_escape_controls(json.dumps(rows, ensure_ascii=False, indent=2)) + "\n"
            if fmt == "json"
            else rows_csv(rows, EXPORT_COLUMNS))
    if output is None:
        click.echo(text, nl=False)
    else:
        write_private(output, text)
        click.echo(f"wrote {len(rows)} actions to {output}", err=True)


@actions_group.command("seal")
@click.pass_context
def seal_command(ctx: click.Context) -> None:
    """Encrypt the sensitive fields of all actions with a passphrase (TRACKER_PASSPHRASE, the
    keyring, or asked twice on a terminal). Without it they cannot be read again."""
    store = get_app(ctx).store()
    given = passphrase_from_environment()
    if given is None and interactive():
        given = (click.prompt("New passphrase", hide_input=True, confirmation_prompt=True),
                 "the terminal")
    if given is None:
        raise UsageError("no passphrase: set TRACKER_PASSPHRASE (or the keyring entry "
                         "advocacy-tracker/seal); nothing was changed")
    vault = open_vault(store, given)
    if vault.configured:
        click.echo("already sealed; the passphrase opens it")
        return
    count = ensure_seal(store, vault)
    click.echo(f"sealed: {count} existing actions encrypted")

