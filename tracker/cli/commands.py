"""Core commands: init, scrape, documents, events, sources, parse."""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from sources.base import registry
from tracker.archive import Archive
from tracker.catalog import all_sources, class_for, enabled_sources
from tracker.cli.app import cli, echo_json, get_app
from tracker.config import CONFIG_NAME, init_home
from tracker.describe import describe_change
from tracker.errors import UsageError
from tracker.fetch import Fetcher, decode_body
from tracker.matchrun import install_default_goals, load_home_goals, rematch_if_goals_changed
from tracker.models import Record, RunSummary
from tracker.runner import run_source
from tracker.textsafe import terminal_safe

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def record_json(record: Record) -> dict[str, Any]:
    """A record as `tracker parse` prints it: its fields, with details lifted to the top."""
    data = dataclasses.asdict(record)
    details = data.pop("details")
    return {**details, **data}


def document_json(row: dict[str, Any]) -> dict[str, Any]:
    """A stored document as `tracker documents --json` prints it."""
    data = {k: v for k, v in row.items() if k not in ("details", "content_hash")}
    return {**row.get("details", {}), **data}


def _plain(value: object) -> Text:
    """Scraped text for the terminal: plain, never markup, control characters removed."""
    return Text(terminal_safe(value))


@cli.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create the home folder with a default tracker.toml."""
    app = get_app(ctx)
    created = init_home(app.home)
    created = install_default_goals(app.home) or created
    app.store()
    state = "created" if created else "already exists"
    click.echo(f"home {app.home} {state}; config {app.home / CONFIG_NAME}")


@cli.command()
@click.argument("source_keys", nargs=-1, metavar="[SOURCE]...")
@click.option("--json", "as_json", is_flag=True, help="Print the run summaries as JSON.")
@click.pass_context
def scrape(ctx: click.Context, source_keys: tuple[str, ...], as_json: bool) -> int:
    """Run sources now (all enabled ones by default) and print what each did."""
    app = get_app(ctx)
    settings = app.settings()
    for key in source_keys:
        class_for(key, settings)  # unknown key → clear error before anything runs
    keys = list(source_keys) or enabled_sources(settings)
    store = app.store()
    goals = load_home_goals(app.home)
    rematch_if_goals_changed(store, goals)  # goals edited since last time: re-match first
    summaries: list[RunSummary] = []
    show_progress = sys.stderr.isatty() and not as_json
    err = Console(stderr=True)
    with Fetcher(settings.fetch, Archive(settings.archive_dir), store) as fetcher:
        for key in keys:
            counter = {"n": 0}

            def tick(_record: Record, key: str = key, counter: dict[str, int] = counter) -> None:
                counter["n"] += 1
                if show_progress:
                    err.print(f"\r{key}: {counter['n']} records…", end="")

            summaries.append(run_source(key, settings=settings, store=store, fetcher=fetcher,
                                        on_record=tick, goals=goals))
            if show_progress:
                err.print()
    if as_json:
        echo_json([s.as_dict() for s in summaries])
    else:
        print_summary(summaries)
    return 1 if any(s.status != "ok" for s in summaries) else 0


def print_summary(summaries: list[RunSummary]) -> None:
    table = Table(title="scrape summary")
    for column in ("source", "status", "inserted", "updated", "unchanged", "events", "errors",
                   "requests", "bytes"):
        table.add_column(column, justify="left" if column in ("source", "status") else "right")
    for s in summaries:
        table.add_row(s.source, s.status, str(s.inserted), str(s.updated), str(s.unchanged),
                      str(s.events), str(len(s.errors)), str(s.requests), str(s.bytes))
    console = Console()
    console.print(table)
    for s in summaries:
        for error in s.errors:
            console.print(Text(f"{s.source}: ERROR: {terminal_safe(error)}", style="bold red"))
        for warning in s.warnings:
            console.print(Text(f"{s.source}: warning: {terminal_safe(warning)}", style="yellow"))


@cli.command()
@click.option("--source", "source_key", help="Only this source.")
@click.option("--since", help="Only documents changed on or after this date (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def documents(ctx: click.Context, source_key: str | None, since: str | None,
              as_json: bool) -> None:
    """List stored documents, most recently changed first."""
    if since is not None and not _ISO_DATE.match(since):
        raise UsageError(f"--since: expected YYYY-MM-DD, got {since!r}")
    app = get_app(ctx)
    if source_key:
        class_for(source_key, app.settings())
    rows = app.store().documents(source=source_key, since=since)
    if as_json:
        echo_json([document_json(r) for r in rows])
        return
    table = Table(title=f"{len(rows)} documents")
    for column in ("source", "id", "stage", "until", "title"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["source"], _plain(row["external_id"]), row["stage"],
                      row["discussion_until"] or "", _plain(row["title"]))
    Console().print(table)


@cli.command()
@click.option("--since-id", type=click.IntRange(min=0), default=0,
              help="Only events after this id.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def events(ctx: click.Context, since_id: int, as_json: bool) -> None:
    """List change events, oldest first, each with the sha256 of its evidence."""
    rows = get_app(ctx).store().events(since_id=since_id)
    if as_json:
        echo_json([
            {"id": r["id"], "type": r["type"], "source": r["source"],
             "external_id": r["external_id"], "title": r["title"], "old": r["old"],
             "new": r["new"], "observed_at": r["observed_at"], "evidence": r["evidence"],
             "run_id": r["run_id"], "author": r["author"]}
            for r in rows
        ])
        return
    table = Table(title=f"{len(rows)} events")
    for column in ("#", "observed", "source", "document", "change", "title"):
        table.add_column(column)
    for r in rows:
        table.add_row(str(r["id"]), r["observed_at"][:16], r["source"],
                      _plain(r["external_id"]), _plain(describe_change(r["type"], r["old"],
                                                                       r["new"], r["author"])),
                      _plain((r["title"] or "")[:80]))
    Console().print(table)


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def sources(ctx: click.Context, as_json: bool) -> None:
    """List sources with their health, last run and robots.txt overrides."""
    if ctx.invoked_subcommand is not None:
        return
    app = get_app(ctx)
    settings = app.settings()
    store = app.store()
    runs = store.last_runs()
    healths = store.health()
    out = []
    for key, cls in all_sources(settings).items():
        ss = settings.source(key)
        run = runs.get(key)
        recorded = healths.get(key)
        out.append({
            "key": key, "title": cls.title, "enabled": ss.enabled,
            "base_url": ss.base_url or cls.default_base_url,
            "last_run": run["finished_at"] if run else None,
            "health": recorded["health"] if recorded else "never run",
            "health_reason": recorded["reason"] if recorded else None,
            "health_since": recorded["since"] if recorded else None,
            "failures_in_a_row": store.consecutive_failures(key) if run else 0,
            "last_errors": run["errors"] if run else [],
            "warnings": run["warnings"] if run else [],
            "robots_overrides": (
                {"paths": list(ss.robots_override.paths), "reason": ss.robots_override.reason}
                if ss.robots_override else None
            ),
        })
    if as_json:
        echo_json(out)
        return
    table = Table(title="sources")
    for column in ("key", "enabled", "base URL", "last run", "health", "robots override"):
        table.add_column(column)
    for item in out:
        override = item["robots_overrides"]
        table.add_row(item["key"], "yes" if item["enabled"] else "no", item["base_url"],
                      item["last_run"] or "—", item["health"],
                      _plain(f"{override['paths']}: {override['reason']}") if override else "")
    console = Console()
    console.print(table)
    for item in out:
        for error in item["last_errors"]:
            console.print(Text(f"{item['key']}: {terminal_safe(error)}", style="red"))


@sources.command("check")
@click.argument("source_keys", nargs=-1, metavar="[SOURCE]...")
@click.option("--live", is_flag=True, help="Fetch from the real sites (needs internet).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--pages", type=click.IntRange(min=1, max=20), default=None,
              help="Request budget per source (default: each source's own, 3 to 6).")
@click.pass_context
def sources_check(ctx: click.Context, source_keys: tuple[str, ...], live: bool, as_json: bool,
                  pages: int | None) -> int:
    """Check that each source's layout still parses: one or a few real pages each, robots.txt
    and pacing respected, nothing stored."""
    from tracker.livecheck import check_source  # only this command checks live layouts

    if not live:
        raise UsageError("sources check needs --live: it fetches from the real sites")
    app = get_app(ctx)
    settings = app.settings()
    for key in source_keys:
        class_for(key, settings)
    keys = list(source_keys) or enabled_sources(settings)
    with Fetcher(settings.fetch, Archive(settings.archive_dir)) as fetcher:
        results = [check_source(key, settings, fetcher, pages) for key in keys]
    if as_json:
        echo_json([r.as_dict() for r in results])
    else:
        table = Table(title="live layout check")
        for column in ("source", "verdict", "items", "pages", "detail"):
            table.add_column(column)
        for r in results:
            table.add_row(r.source, "ok" if r.ok else "FAILED", str(r.items), str(r.pages),
                          _plain("; ".join([r.message, *r.warnings])))
        Console().print(table)
    return 0 if all(r.ok for r in results) else 1


@cli.command()
@click.argument("source_key", metavar="SOURCE")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", help="The URL the page was saved from (for absolute links).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def parse(ctx: click.Context, source_key: str, file: Path, url: str | None,
          as_json: bool) -> None:
    """Run one source's parser on a saved page and print its records."""
    text = decode_body(file.read_bytes(), None)
    builtin = registry().get(source_key)
    if builtin is not None:
        records = builtin.parse(text, url or f"{builtin.default_base_url}/")
    else:  # a config-defined source: its selectors live in tracker.toml
        settings = get_app(ctx).settings()
        cls = class_for(source_key, settings)
        options = settings.source(source_key).options
        records = cls.parse_configured(source_key, options, text,
                                       url or settings.source(source_key).base_url or "")
    if as_json:
        echo_json([record_json(r) for r in records])
        return
    table = Table(title=f"{len(records)} records from {file.name}")
    for column in ("id", "stage", "status", "until", "title"):
        table.add_column(column)
    for r in records:
        table.add_row(_plain(r.external_id), r.stage, _plain(r.status_raw),
                      r.discussion_until or "", _plain(r.title))
    Console().print(table)
