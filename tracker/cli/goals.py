"""`tracker goals …`, `tracker match`, `tracker triage`: goals, matching and staff triage."""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tracker.cli.app import cli, echo_json, get_app
from tracker.cli.links import resolve
from tracker.errors import UsageError
from tracker.matching import GoalsError, Matcher, MatchInput, check_goals_file, explain, load_goals
from tracker.matchrun import goals_path, load_home_goals, rematch_if_goals_changed
from tracker.store.matches import set_triage
from tracker.textsafe import terminal_safe


def staff_name() -> str:
    """Who is acting: TRACKER_STAFF, else the OS user."""
    return os.environ.get("TRACKER_STAFF") or getpass.getuser()


@cli.group()
def goals() -> None:
    """List, check and try the advocacy goals (goals.toml in the home)."""


@goals.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def goals_list(ctx: click.Context, as_json: bool) -> None:
    """The goals, with stance and priority."""
    app = get_app(ctx)
    app.settings()
    loaded = load_home_goals(app.home)
    if as_json:
        echo_json([{"id": g.id, "name": g.name, "stance": g.stance, "priority": g.priority,
                    "query": g.query} for g in loaded])
        return
    table = Table(title=f"goals ({goals_path(app.home)})")
    for column in ("id", "stance", "priority", "name"):
        table.add_column(column)
    for g in loaded:
        table.add_row(g.id, g.stance, str(g.priority), Text(g.name))
    Console().print(table)


@goals.command("show")
@click.argument("goal_id")
@click.pass_context
def goals_show(ctx: click.Context, goal_id: str) -> None:
    """One goal's query as written."""
    goal = _goal(ctx, goal_id)
    click.echo(f"{goal.id} ({goal.stance}, priority {goal.priority}): {goal.name}\n")
    click.echo(goal.query)


@goals.command("check")
@click.option("--goals", "goals_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Check this file instead of the home's goals.toml.")
@click.pass_context
def goals_check(ctx: click.Context, goals_file: Path | None) -> int:
    """Validate every query; problems as file:line:column: message (exit 2)."""
    path = goals_file or goals_path(get_app(ctx).home)
    problems = check_goals_file(path)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        return 2
    click.echo(f"{path}: all goals valid")
    return 0


@goals.command("test")
@click.argument("goal_id")
@click.argument("text")
@click.option("--title", default="", help="Match this as the document's title.")
@click.pass_context
def goals_test(ctx: click.Context, goal_id: str, text: str, title: str) -> None:
    """Whether and why a goal matches a text."""
    click.echo(explain(_goal(ctx, goal_id), text, title=title))


@goals.command("rematch")
@click.pass_context
def goals_rematch(ctx: click.Context) -> None:
    """Re-match every stored document if the goals changed; report gained and lost."""
    app = get_app(ctx)
    app.settings()
    changes = rematch_if_goals_changed(app.store(), load_home_goals(app.home))
    if changes is None:
        click.echo("goals unchanged since the last matching: nothing to do")
        return
    gained, lost = changes.counts
    click.echo(f"re-matched: {gained} matches gained, {lost} lost")


def _goal(ctx: click.Context, goal_id: str) -> Any:
    app = get_app(ctx)
    app.settings()
    for goal in load_home_goals(app.home):
        if goal.id == goal_id:
            return goal
    raise UsageError(f"unknown goal {goal_id!r}")


@cli.command()
@click.option("--input", "input_file", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON Lines: {id, text, title?, labels?, lang?} per line.")
@click.option("--goals", "goals_file", type=click.Path(exists=True, dir_okay=False,
                                                       path_type=Path),
              help="A goals file (default: the home's).")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines output (the default).")
@click.pass_context
def match(ctx: click.Context, input_file: Path, goals_file: Path | None, as_json: bool) -> None:
    """Match arbitrary documents against the goals, outside the store."""
    del as_json  # the output is always JSON Lines; the flag is accepted for the contract
    loaded = load_goals(goals_file) if goals_file else load_home_goals(get_app(ctx).home)
    docs = list(_read_jsonl(input_file))  # all lines checked before anything is printed
    matcher = Matcher(loaded)
    for doc_id, doc in docs:
        found = matcher.match(doc)
        click.echo(json.dumps({"id": doc_id, "matches": [m.to_dict() for m in found]},
                              ensure_ascii=False))


def _read_jsonl(path: Path) -> list[tuple[str, MatchInput]]:
    out: list[tuple[str, MatchInput]] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UsageError(f"{where}: not JSON ({exc.msg})") from None
            if not isinstance(item, dict):
                raise UsageError(f"{where}: expected a JSON object")
            doc_id, text = item.get("id"), item.get("text")
            title, labels, lang = item.get("title", ""), item.get("labels", []), item.get("lang")
            if not isinstance(doc_id, str) or not isinstance(text, str):
                raise UsageError(f"{where}: 'id' and 'text' must be strings")
            if not isinstance(title, str) or not (
                isinstance(labels, list) and all(isinstance(x, str) for x in labels)
            ) or not (lang is None or isinstance(lang, str)):
                raise UsageError(f"{where}: 'title' must be a string, 'labels' a list of "
                                 "strings, 'lang' a string")
            out.append((doc_id, MatchInput(title=title, text=text, labels=labels, lang=lang)))
    return out


@cli.command()
@click.argument("ref", metavar="SOURCE:ID")
@click.argument("goal_id", metavar="GOAL")
@click.argument("state", type=click.Choice(["confirm", "dismiss", "reset"]))
@click.pass_context
def triage(ctx: click.Context, ref: str, goal_id: str, state: str) -> None:
    """Confirm or dismiss a match (re-matching never overwrites the decision)."""
    store = get_app(ctx).store()
    doc_id = resolve(store, ref)
    target = {"confirm": "confirmed", "dismiss": "dismissed", "reset": "new"}[state]
    try:
        with store.write() as conn:
            before = set_triage(conn, doc_id, goal_id, target, staff_name())
    except LookupError as exc:
        raise UsageError(str(exc)) from None
    click.echo(f"{terminal_safe(ref)} × {goal_id}: {before} → {target}")


__all__ = ["GoalsError"]
