"""The `tracker` command line: the composition root (wires config, store, fetcher, sources).

Every module in this package that defines commands attaches them to the `cli` group when it
is imported; all of them are imported here, so a new command group is a new module.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

import click

from tracker.cli.app import cli
from tracker.errors import TrackerError

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "app":
        importlib.import_module(f"{__name__}.{_module.name}")


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
