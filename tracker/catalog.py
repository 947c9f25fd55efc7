"""Which sources exist: built-in ones plus the ones tracker.toml defines by `type`."""

from __future__ import annotations

from pathlib import Path

from sources.base import Source, generic_registry, registry, source_class
from tracker.config import Settings, load_settings


def load_home_settings(home: Path) -> Settings:
    """The home's settings, every source table checked by the class that will run it."""
    return load_settings(home, registry(), generic_registry())


def class_for(key: str, settings: Settings) -> type[Source]:
    """The class that runs source ``key`` under these settings (ConfigError if unknown)."""
    return source_class(key, settings.configured_types)


def all_sources(settings: Settings) -> dict[str, type[Source]]:
    """Every source by name: built-ins, then config-defined ones."""
    out: dict[str, type[Source]] = dict(registry())
    for name in sorted(settings.configured_types):
        out[name] = class_for(name, settings)
    return out


def enabled_sources(settings: Settings) -> list[str]:
    """Names of the sources a plain `tracker scrape` runs."""
    return [name for name in all_sources(settings) if settings.source(name).enabled]
