"""tracker.toml → typed settings, validated with one clear error per problem; home paths."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from tracker.errors import ConfigError
from tracker.mailconfig import MAIL_KEYS, MailSettings, parse_mail_settings

CONFIG_NAME = "tracker.toml"
DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0 Safari/537.36 advocacy-tracker/0.1 (+https://github.com/advocacy-tracker)"
)
#: Keys every [sources.<key>] table may carry, whatever the source.
COMMON_SOURCE_KEYS = frozenset(
    {"enabled", "base_url", "robots_override", "type", "stale_after_days"}
)


@dataclass(frozen=True)
class FetchSettings:
    """The polite fetcher's knobs (`[fetch]`)."""

    min_interval: float = 1.0
    proxy: str | None = None
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 1.0
    max_retry_after: float = 120.0
    max_bytes: int = 20_000_000
    user_agent: str = DEFAULT_USER_AGENT
    ca_bundles: Mapping[str, str] = field(default_factory=dict)
    #: Hosts whose servers only offer legacy key sizes (the Council of Europe's treaty
    #: service): OpenSSL security level 1 for them. Certificates are still verified.
    legacy_tls_hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class RobotsOverride:
    """Paths a source may fetch although robots.txt disallows them, and the owner's reason."""

    paths: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class SourceSettings:
    """One `[sources.<key>]` table."""

    key: str
    enabled: bool = True
    base_url: str | None = None
    robots_override: RobotsOverride | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    #: For a config-defined source: its generic type (feed, html, json); None for built-ins.
    type: str | None = None
    #: Health turns "degraded" after this many days without a new item (None: the source's
    #: own default; 0: never).
    stale_after_days: int | None = None


@dataclass(frozen=True)
class Settings:
    """Everything read from the home's tracker.toml."""

    home: Path
    database_url: str
    fetch: FetchSettings
    sources: Mapping[str, SourceSettings]
    #: [smtp], [[recipients]], [schedule], [digest], [alerts] (tracker/mailconfig.py).
    mail: MailSettings = field(default_factory=lambda: parse_mail_settings({}, where=""))

    @property
    def archive_dir(self) -> Path:
        """Where fetched responses are kept."""
        return self.home / "archive"

    def source(self, key: str) -> SourceSettings:
        """Settings of one source (defaults when the file has no table for it)."""
        return self.sources.get(key, SourceSettings(key=key))

    @property
    def configured_types(self) -> dict[str, str | None]:
        """Config-defined source names → their generic type."""
        return {k: s.type for k, s in self.sources.items() if s.type}


def resolve_home(cli_home: str | None) -> Path:
    """`TRACKER_HOME`, else `--home`, else the platform's user data folder (DESIGN.md order)."""
    env = os.environ.get("TRACKER_HOME")
    if env:
        return Path(env).expanduser()
    if cli_home:
        return Path(cli_home).expanduser()
    return Path(platformdirs.user_data_dir("advocacy-tracker", appauthor=False))


def default_config_text() -> str:
    """The commented default tracker.toml shipped with the package."""
    return resources.files("tracker").joinpath("defaults/tracker.toml").read_text("utf-8")


def init_home(home: Path) -> bool:
    """Create the home (0700) and a default tracker.toml (0600); True if anything was created."""
    created = False
    if not home.exists():
        home.mkdir(parents=True, mode=0o700)
        created = True
    os.chmod(home, 0o700)
    config = home / CONFIG_NAME
    if not config.exists():
        fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(default_config_text())
        created = True
    return created


def load_settings(
    home: Path,
    known_sources: Mapping[str, Any] | None = None,
    generic_sources: Mapping[str, Any] | None = None,
) -> Settings:
    """Read and validate ``home/tracker.toml``; ConfigError names file, key and problem.

    ``known_sources`` maps built-in source keys to their classes and ``generic_sources`` the
    config-defined types (feed, html, json) to theirs, so each table's options are checked by
    the class that will use them."""
    path = home / CONFIG_NAME
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no config file (run `tracker init`)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason})") from None
    return parse_settings(raw, home=home, where=str(path), known_sources=known_sources,
                          generic_sources=generic_sources)


def parse_settings(
    raw: Mapping[str, Any],
    *,
    home: Path,
    where: str,
    known_sources: Mapping[str, Any] | None = None,
    generic_sources: Mapping[str, Any] | None = None,
) -> Settings:
    """Validate a parsed TOML document into Settings."""
    _only_keys(raw, {"database_url", "fetch", "sources", *MAIL_KEYS}, where, "")
    db_url = os.environ.get("TRACKER_DATABASE_URL") or _opt_str(raw, "database_url", where, "")
    if not db_url:
        db_url = f"sqlite:///{home / 'tracker.db'}"
    fetch = _parse_fetch(_table(raw, "fetch", where, ""), where)
    sources_raw = _table(raw, "sources", where, "")
    sources: dict[str, SourceSettings] = {}
    for key, table in sources_raw.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: sources.{key} must be a table")
        cls = _source_class_for(key, table, where, known_sources, generic_sources)
        sources[key] = _parse_source(key, table, where, cls)
    mail = parse_mail_settings(raw, where=where)
    return Settings(home=home, database_url=db_url, fetch=fetch, sources=sources, mail=mail)


def _parse_fetch(table: Mapping[str, Any], where: str) -> FetchSettings:
    ctx = "[fetch]"
    defaults = FetchSettings()
    _only_keys(table, set(FetchSettings.__dataclass_fields__), where, ctx)
    proxy = _opt_str(table, "proxy", where, ctx) or None
    if proxy and urlsplit(proxy).scheme not in {"http", "https", "socks5", "socks5h"}:
        raise ConfigError(f"{where}: {ctx} proxy: scheme must be http, https or socks5 ({proxy!r})")
    bundles = _table(table, "ca_bundles", where, ctx)
    for host, bundle in bundles.items():
        if not isinstance(bundle, str) or not Path(bundle).expanduser().is_file():
            raise ConfigError(f"{where}: {ctx} ca_bundles.{host}: no such file {bundle!r}")
    settings = FetchSettings(
        min_interval=_number(table, "min_interval", defaults.min_interval, where, ctx),
        proxy=proxy,
        timeout=_number(table, "timeout", defaults.timeout, where, ctx, minimum=0.1),
        retries=int(_number(table, "retries", defaults.retries, where, ctx, integer=True)),
        backoff=_number(table, "backoff", defaults.backoff, where, ctx),
        max_retry_after=_number(table, "max_retry_after", defaults.max_retry_after, where, ctx),
        max_bytes=int(
            _number(table, "max_bytes", defaults.max_bytes, where, ctx, integer=True, minimum=1)
        ),
        user_agent=_opt_str(table, "user_agent", where, ctx) or defaults.user_agent,
        ca_bundles={h: str(Path(b).expanduser()) for h, b in bundles.items()},
        legacy_tls_hosts=_host_list(table, "legacy_tls_hosts", where, ctx),
    )
    return settings


def _source_class_for(
    key: str,
    table: Mapping[str, Any],
    where: str,
    known: Mapping[str, Any] | None,
    generic: Mapping[str, Any] | None,
) -> Any:
    """The class that will run this table (None when validation is not asked for)."""
    ctx = f"[sources.{key}]"
    kind = table.get("type")
    if kind is not None:
        if known is not None and key in known:
            raise ConfigError(f"{where}: {ctx} type: {key!r} is a built-in source; "
                              "a config-defined source needs a name of its own")
        if generic is not None and kind not in generic:
            kinds = ", ".join(sorted(generic))
            raise ConfigError(f"{where}: {ctx} type: unknown source type {kind!r} "
                              f"(known: {kinds})")
        return generic[kind] if generic is not None else None
    if known is not None and key not in known:
        names = ", ".join(sorted(known))
        raise ConfigError(f"{where}: {ctx} unknown source {key!r} (known: {names}; "
                          "or give it a type = \"feed\" | \"html\" | \"json\")")
    return known[key] if known is not None else None


def _parse_source(key: str, table: Mapping[str, Any], where: str, cls: Any) -> SourceSettings:
    ctx = f"[sources.{key}]"
    kind = table.get("type")
    if kind is not None and not isinstance(kind, str):
        raise ConfigError(f"{where}: {ctx} type: expected a string, got {kind!r}")
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where}: {ctx} enabled: expected true or false, got {enabled!r}")
    base_url = _opt_str(table, "base_url", where, ctx) or None
    if base_url is not None:
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ConfigError(f"{where}: {ctx} base_url: not an http(s) URL: {base_url!r}")
    override = None
    if "robots_override" in table:
        override = _parse_override(table["robots_override"], where, ctx)
    stale = table.get("stale_after_days")
    if stale is not None and (isinstance(stale, bool) or not isinstance(stale, int) or stale < 0):
        raise ConfigError(f"{where}: {ctx} stale_after_days: a whole number of days >= 0")
    options = {k: v for k, v in table.items() if k not in COMMON_SOURCE_KEYS}
    if cls is not None:
        cls.check_options(options, f"{where}: {ctx}")
    return SourceSettings(key, enabled, base_url, override, options, kind, stale)


def _parse_override(value: Any, where: str, ctx: str) -> RobotsOverride:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: {ctx} robots_override must be a table with paths and reason")
    _only_keys(value, {"paths", "reason"}, where, f"{ctx} robots_override")
    paths = value.get("paths")
    reason = value.get("reason")
    if not isinstance(paths, list) or not paths or not all(
        isinstance(p, str) and p.startswith("/") for p in paths
    ):
        raise ConfigError(
            f"{where}: {ctx} robots_override.paths: a non-empty list of paths starting with '/'"
        )
    if not isinstance(reason, str) or len(reason.strip()) < 10:
        raise ConfigError(
            f"{where}: {ctx} robots_override.reason: a written reason (at least 10 characters) "
            "is required to override robots.txt"
        )
    return RobotsOverride(tuple(paths), reason.strip())


def _host_list(raw: Mapping[str, Any], key: str, where: str, ctx: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where}: {ctx} {key}: expected a list of host names")
    return tuple(value)


def _only_keys(table: Mapping[str, Any], allowed: set[str], where: str, ctx: str) -> None:
    for key in table:
        if key not in allowed:
            prefix = f"{ctx} " if ctx else ""
            raise ConfigError(
                f"{where}: {prefix}unknown key {key!r} (allowed: {', '.join(sorted(allowed))})"
            )


def _table(raw: Mapping[str, Any], key: str, where: str, ctx: str) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        prefix = f"{ctx} " if ctx else ""
        raise ConfigError(f"{where}: {prefix}{key} must be a table")
    return value


def _opt_str(raw: Mapping[str, Any], key: str, where: str, ctx: str) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str):
        prefix = f"{ctx} " if ctx else ""
        raise ConfigError(f"{where}: {prefix}{key}: expected a string, got {value!r}")
    return value


def _number(
    raw: Mapping[str, Any],
    key: str,
    default: float,
    where: str,
    ctx: str,
    *,
    integer: bool = False,
    minimum: float = 0.0,
) -> float:
    value = raw.get(key, default)
    ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok_type:
        kind = "an integer" if integer else "a number"
        raise ConfigError(f"{where}: {ctx} {key}: expected {kind}, got {value!r}")
    if value < minimum:
        raise ConfigError(f"{where}: {ctx} {key}: must be >= {minimum}, got {value!r}")
    return float(value)
