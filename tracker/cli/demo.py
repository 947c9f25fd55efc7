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
from tracker.fetch import Fetcher
from tracker.matchrun import install_default_goals, load_home_goals
from tracker.runner import run_source
from tracker.store import Store


@cli.command()
@click.option("--dir", "demo_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Keep the demo home here (default: a new temporary folder).")
@click.option("--no-dashboard", is_flag=True,
              help="Only scrape and print; do not open the dashboard afterwards.")
@click.option("--headless", is_flag=True, hidden=True,
              help="Mount the dashboard without a terminal and exit (tests).")
def demo(demo_dir: Path | None, no_dashboard: bool, headless: bool) -> int:
    """Scrape synthetic legalacts pages twice (a week apart), match them against the goals,
    show the events, preview a digest, then open the dashboard on the result."""
    # Only this command needs the scripted server and the demo pages (not `tracker scrape`).
    from tracker.cli.dashboard import open_dashboard_on
    from tracker.demo.scenario import demo_config, serve_round
    from tracker.replay import ReplayServer

    home = demo_dir or Path(tempfile.mkdtemp(prefix="tracker-demo-"))
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    install_default_goals(home)
    console = Console()
    failed = False
    interactive = sys.stdin.isatty() and sys.stdout.isatty() and not no_dashboard
    with ReplayServer(max_requests=5000, lifetime=3600 if interactive else 300) as server:
        others = [key for key in registry() if key != "kz_legalacts"]
        (home / CONFIG_NAME).write_text(demo_config(server.base_url, others), encoding="utf-8")
        settings = load_home_settings(home)
        goals = load_home_goals(home)
        store = Store.open(settings.database_url)
        try:
            for round_number in (1, 2):
                serve_round(server, round_number)
                console.rule(f"round {round_number}: scraping {server.base_url} (synthetic pages)")
                with Fetcher(settings.fetch, Archive(settings.archive_dir), store) as fetcher:
                    summary = run_source("kz_legalacts", settings=settings, store=store,
                                         fetcher=fetcher, goals=goals)
                print_summary([summary])
                failed = failed or summary.status != "ok"
            ctx = click.get_current_context()
            get_app(ctx).use_home(home)
            console.rule("what the store now holds (synthetic demo data)")
            ctx.invoke(cli.commands["documents"])
            ctx.invoke(cli.commands["events"])
            click.echo(f"\nDemo home: {home}\n"
                       f"Look around: TRACKER_HOME={home} {sys.argv[0]} events --json")
            if interactive or headless:
                # The server stays up while the dashboard is open, so "run now" still works.
                code = open_dashboard_on(settings, store, demo=True, headless=headless)
                return code or (1 if failed else 0)
        finally:
            store.close()
    return 1 if failed else 0
