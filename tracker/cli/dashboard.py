"""`tracker` (no subcommand) and `tracker dashboard`: open the morning dashboard.

Textual and the `tui` package are imported only inside the functions: the core never needs
them, and scripts that only scrape never load them.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from tracker.cli.app import App, cli, get_app
from tracker.config import Settings
from tracker.errors import ConfigError, UsageError
from tracker.store import Store

if TYPE_CHECKING:
    from tracker.views import GoalInfo


def _goals(settings: Settings) -> tuple[list[GoalInfo], str | None]:
    """The goals, or none and the error (the dashboard opens anyway and shows it)."""
    from tracker.views import load_goal_infos

    try:
        return load_goal_infos(settings.home), None
    except ConfigError as exc:
        return [], str(exc)


def open_dashboard_on(settings: Settings, store: Store, *, demo: bool = False,
                      headless: bool = False) -> int:  # fmt: skip
    """Run the dashboard on this home's store until the user quits; the exit code."""
    from tui.app import run_dashboard

    goals, error = _goals(settings)
    return run_dashboard(store, settings=settings, goals=goals, goals_error=error, demo=demo,
                         headless=headless)


def open_dashboard(app: App) -> int:
    """What bare `tracker` does: the dashboard on a terminal, the help text otherwise (so
    scripts and pipes keep getting plain output)."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        click.echo(click.get_current_context().get_help())
        return 0
    return open_dashboard_on(app.settings(), app.store())


@cli.command()
@click.option("--headless", is_flag=True, hidden=True,
              help="Mount without a terminal, wait for the first view, exit (tests).")
@click.pass_context
def dashboard(ctx: click.Context, headless: bool) -> int:
    """Open the morning dashboard (what `tracker` alone does on a terminal)."""
    app = get_app(ctx)
    if not headless and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("the dashboard needs an interactive terminal")
    return open_dashboard_on(app.settings(), app.store(), headless=headless)
