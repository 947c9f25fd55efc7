"""Documentation drift: every command and every source is documented where staff look."""

from __future__ import annotations

from pathlib import Path

import click

from sources.base import generic_registry, registry
from tracker.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_command_is_in_the_readme() -> None:
    missing = [name for name in cli.commands if f"tracker {name}" not in README]
    assert missing == []


def test_every_command_has_help() -> None:
    def walk(group: click.Group, prefix: str) -> list[str]:
        bare = []
        for name, command in group.commands.items():
            if not (command.help or "").strip():
                bare.append(f"{prefix}{name}")
            if isinstance(command, click.Group):
                bare.extend(walk(command, f"{prefix}{name} "))
        return bare

    assert walk(cli, "") == []


def test_every_source_is_in_the_readme_and_the_sources_doc() -> None:
    sources_doc = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    for key in registry():
        assert f"`{key}`" in README, key
        assert key in sources_doc, key
    for kind in generic_registry():
        assert f'"{kind}"' in README, kind


def test_quick_start_has_exactly_two_commands() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line.strip()
                and not line.lstrip().startswith("#")]
    assert len(commands) == 2
    assert commands[1].endswith("python -m tracker.devcheck")


def test_ci_runs_the_readme_test_command() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    test_command = [line for line in block.splitlines() if line.strip()
                    and not line.lstrip().startswith("#")][1].strip()
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
