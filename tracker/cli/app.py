"""The click group and the per-invocation application context."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from tracker.catalog import load_home_settings
from tracker.config import CONFIG_NAME, Settings, init_home, resolve_home
from tracker.matchrun import install_default_goals
from tracker.store import Store
from tracker.textsafe import json_escape_controls


@dataclass
class App:
    """What a command needs, created lazily: the home, its settings, the store."""

    home: Path
    _settings: Settings | None = None
    _store: Store | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        """Settings of the home, creating the home with defaults on first use."""
        if self._settings is None:
            if not (self.home / CONFIG_NAME).exists():
                init_home(self.home)
                install_default_goals(self.home)
                click.echo(f"tracker: created {self.home / CONFIG_NAME} with defaults", err=True)
            self._settings = load_home_settings(self.home)
        return self._settings

    def store(self) -> Store:
        """The open, migrated store."""
        if self._store is None:
            self._store = Store.open(self.settings().database_url)
        return self._store

    def use_home(self, home: Path) -> None:
        """Point this invocation at another home (the demo's)."""
        self.close()
        self.home, self._settings, self._store = home, None, None

    def close(self) -> None:
        """Release the store."""
        if self._store is not None:
            self._store.close()


@click.group(invoke_without_command=True)
@click.option("--home", type=click.Path(file_okay=False), help="Home folder (if TRACKER_HOME "
              "is unset). Default: the platform's user data folder.")
@click.version_option(package_name="advocacy-tracker")
@click.pass_context
def cli(ctx: click.Context, home: str | None) -> None:
    """advocacy-tracker: watch what the state drafts, changes or passes."""
    app = App(resolve_home(home))
    ctx.obj = app
    ctx.call_on_close(app.close)
    if ctx.invoked_subcommand is None:
        # `tracker` alone opens the dashboard (imported lazily: the core never needs Textual).
        try:
            from tracker.cli.dashboard import open_dashboard
        except ImportError:
            click.echo(ctx.get_help())
            return
        ctx.exit(open_dashboard(app))


def get_app(ctx: click.Context) -> App:
    """The App of this invocation."""
    app = ctx.find_object(App)
    assert app is not None
    return app


def echo_json(value: Any) -> None:
    """Print JSON (UTF-8, not ASCII-escaped: staff read Cyrillic)."""
    click.echo(json_escape_controls(json.dumps(value, ensure_ascii=False, indent=2, default=str)))
