"""`tracker demo`: the real pipeline against synthetic pages served on 127.0.0.1."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click
from rich.console import Console

from sources.base import registry
from tracker.archive import Archive
from tracker.catalog import load_home_settings
from tracker.cli.app import cli, get_app
from tracker.cli.commands import print_summary
from tracker.config import CONFIG_NAME
from tracker.demo.scenario import demo_config, serve_round
from tracker.fetch import Fetcher
from tracker.replay import ReplayServer
from tracker.runner import run_source
from tracker.store import Store


@cli.command()
@click.option("--dir", "demo_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Keep the demo home here (default: a new temporary folder).")
def demo(demo_dir: Path | None) -> int:
    """Scrape synthetic legalacts pages twice (a week apart) and show the events."""
    home = demo_dir or Path(tempfile.mkdtemp(prefix="tracker-demo-"))
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    console = Console()
    failed = False
    with ReplayServer(max_requests=500, lifetime=300) as server:
        others = [key for key in registry() if key != "kz_legalacts"]
        (home / CONFIG_NAME).write_text(demo_config(server.base_url, others), encoding="utf-8")
        settings = load_home_settings(home)
        store = Store.open(settings.database_url)
        try:
            for round_number in (1, 2):
                serve_round(server, round_number)
                console.rule(f"round {round_number}: scraping {server.base_url} (synthetic pages)")
                with Fetcher(settings.fetch, Archive(settings.archive_dir), store) as fetcher:
                    summary = run_source("kz_legalacts", settings=settings, store=store,
                                         fetcher=fetcher)
                print_summary([summary])
                failed = failed or summary.status != "ok"
        finally:
            store.close()
    ctx = click.get_current_context()
    get_app(ctx).use_home(home)
    console.rule("what the store now holds")
    ctx.invoke(cli.commands["documents"])
    ctx.invoke(cli.commands["events"])
    click.echo(f"\nDemo home: {home}\nLook around: TRACKER_HOME={home} {sys.argv[0]} events --json")
    return 1 if failed else 0
