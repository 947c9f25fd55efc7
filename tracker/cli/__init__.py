"""The `tracker` command line: the composition root (wires config, store, fetcher, sources)."""

from __future__ import annotations

import os
import sys

import click

from tracker.cli.app import cli
from tracker.errors import TrackerError

# Importing the command modules attaches their commands to `cli`.
from tracker.cli import commands, demo, links  # noqa: F401  isort: skip


def main(argv: list[str] | None = None) -> None:
    """Entry point: errors become one line on stderr and an exit code (2 = usage/config)."""
    # Everything the tracker writes (database, WAL files, archive, logs) is owner-only.
    os.umask(0o077)
    try:
        result = cli.main(args=argv, prog_name="tracker", standalone_mode=False)
    except click.UsageError as exc:
        click.echo(f"tracker: error: {exc.format_message()}", err=True)
        sys.exit(2)
    except click.Abort:
        click.echo("tracker: aborted", err=True)
        sys.exit(130)
    except TrackerError as exc:
        click.echo(f"tracker: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    sys.exit(result if isinstance(result, int) else 0)
