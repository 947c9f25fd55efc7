"""Config-defined sources: what the ``feed``, ``html`` and ``json`` types share.

A ``[sources.<name>]`` table with ``type = "feed" | "html" | "json"`` defines a source with no
code (docs/config-sources.md). The three classes live in ``generic_feed.py``,
``generic_html.py`` and ``generic_json.py``; this module holds their common options, the
URL, date and status rules, and the one function that turns extracted field values into a
``Record``, so every kind behaves the same way in the store, the events and the matching.
"""

from __future__ import annotations

import email.utils
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar
from urllib.parse import urlsplit

from sources._guards import join_url, split_url
from sources.base import Source
from tracker.errors import ConfigError, LayoutChanged, SourceError, UsageError
from tracker.models import STAGES, Record

#: The record fields a config may extract from an item, and where each one goes.
FIELD_NAMES: tuple[str, ...] = ("id", "title", "url", "date", "status", "agency", "text")
#: Options every config-defined type accepts (besides enabled/base_url/robots_override/type).
COMMON_OPTIONS: frozenset[str] = frozenset(
    {"url", "kind", "date_format", "status_stages", "may_be_empty", "language"}
)
#: Dates with a time zone are read in Kazakhstan's (UTC+5 since 2024, as kz_adilet does).
KZ_TIME = timezone(timedelta(hours=5))


@dataclass(frozen=True)
class CommonSpec:
    """The validated common options of one config-defined source."""

    url: str
    kind: str = "document"
    date_format: str | None = None
    #: Normalised raw status (see ``norm_status``) → stage.
    status_stages: Mapping[str, str] | None = None
    may_be_empty: bool = False
    language: str | None = None


def norm_status(raw: str) -> str:
    """Case-folded, whitespace-collapsed status text: the key of ``status_stages``."""
    return " ".join(raw.split()).casefold()


def collapse(value: str | None) -> str | None:
    """Whitespace collapsed to single spaces; empty → None."""
    if value is None:
        return None
    return " ".join(value.split()) or None


def common_spec(options: Mapping[str, Any], where: str) -> CommonSpec:
    """Validate the common options; ConfigError names ``where`` and the key."""
    url = options.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(f"{where} url: required, the page to read (absolute, or a path "
                          "joined to base_url)")
    parts = urlsplit(url.strip())
    if parts.scheme and (parts.scheme not in ("http", "https") or not parts.netloc):
        raise ConfigError(f"{where} url: not an http(s) URL or a path: {url!r}")
    kind = options.get("kind", "document")
    if not isinstance(kind, str) or not kind.strip():
        raise ConfigError(f"{where} kind: expected a non-empty string, got {kind!r}")
    date_format = options.get("date_format")
    if date_format is not None and (not isinstance(date_format, str) or "%" not in date_format):
        raise ConfigError(f"{where} date_format: a strptime format such as \"%d.%m.%Y\", "
                          f"got {date_format!r}")
    may_be_empty = options.get("may_be_empty", False)
    if not isinstance(may_be_empty, bool):
        raise ConfigError(f"{where} may_be_empty: expected true or false, got {may_be_empty!r}")
    language = options.get("language")
    if language is not None and (not isinstance(language, str) or not language.strip()):
        raise ConfigError(f"{where} language: expected a language code such as \"ru\", "
                          f"got {language!r}")
    return CommonSpec(url.strip(), kind.strip(), date_format,
                      _status_stages(options.get("status_stages"), where), may_be_empty,
                      language.strip() if language else None)


def _status_stages(value: Any, where: str) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ConfigError(f"{where} status_stages: expected a table of \"raw status\" = stage")
    stages: dict[str, str] = {}
    for raw, stage in value.items():
        if not isinstance(stage, str) or stage not in STAGES:
            raise ConfigError(f"{where} status_stages.{raw}: unknown stage {stage!r} "
                              f"(one of: {', '.join(STAGES)})")
        stages[norm_status(raw)] = stage
    return stages


def positive_int(options: Mapping[str, Any], key: str, default: int, where: str,
                 minimum: int = 1) -> int:
    """An integer option >= ``minimum`` (booleans refused)."""
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{where} {key}: an integer >= {minimum}, got {value!r}")
    return value


def check_bool(options: Mapping[str, Any], key: str, default: bool, where: str) -> bool:
    """A true/false option."""
    value = options.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where} {key}: expected true or false, got {value!r}")
    return value


def check_fields(value: Any, where: str, *, required: Iterable[str] = ("title",)
                 ) -> dict[str, str]:
    """The ``fields`` table: known field names → non-empty strings (selectors or paths)."""
    if value is None:
        raise ConfigError(f"{where} fields: required, a table such as "
                          "{ title = \"...\", url = \"...\" }")
    if not isinstance(value, dict):
        raise ConfigError(f"{where} fields: expected a table such as "
                          "{ title = \"...\", url = \"...\" }")
    for name, spec in value.items():
        if name not in FIELD_NAMES:
            raise ConfigError(f"{where} fields.{name}: unknown field "
                              f"(known: {', '.join(FIELD_NAMES)})")
        if not isinstance(spec, str):
            raise ConfigError(f"{where} fields.{name}: expected a string, got {spec!r}")
    for name in required:
        if name not in value:
            raise ConfigError(f"{where} fields.{name}: required")
    return dict(value)


def resolve_url(configured: str, base_url: str) -> str | None:
    """The absolute URL of the first page: ``configured`` if absolute, else joined to
    ``base_url`` (None when there is no base URL to join to)."""
    if urlsplit(configured).scheme:
        return configured
    if not base_url:
        return None
    return f"{base_url.rstrip('/')}/{configured.lstrip('/')}"


def parse_page_url(configured: str, given: str) -> str:
    """The page URL for ``tracker parse``: ``given`` (``--url``, else the source's base_url);
    a bare origin is joined with a relative ``url`` option, and nothing given means the
    ``url`` option itself."""
    if not given:
        return configured
    parts = split_url(given)
    if parts is None:
        raise UsageError(f"--url: not a URL: {given!r}")
    if not urlsplit(configured).scheme and parts.path in ("", "/") and not parts.query:
        return resolve_url(configured, given) or given
    return given


def parse_date(value: str | None, date_format: str | None, where: str, url: str) -> str | None:
    """A date as ``YYYY-MM-DD``: ``date_format`` if set, else ISO 8601, else RFC 822.
    Aware times are read in UTC+5. A value that parses with none is LayoutChanged."""
    if not value:
        return None
    when: datetime | None = None
    if date_format:
        try:
            when = datetime.strptime(value, date_format)
        except ValueError:
            raise LayoutChanged(where, url, f"date {value!r} does not match date_format "
                                f"{date_format!r}") from None
    else:
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError, OverflowError):
                raise LayoutChanged(where, url, f"date {value!r} is neither ISO 8601 nor RFC "
                                    "822 (set date_format)") from None
    if when.tzinfo is not None:
        try:
            when = when.astimezone(KZ_TIME)
        except OverflowError:  # 9999-12-31 west of UTC+5, 0001-01-01 east of it
            raise LayoutChanged(where, url, f"date {value!r} is out of range") from None
    return when.date().isoformat()


def make_record(
    name: str,
    spec: CommonSpec,
    values: Mapping[str, str | None],
    page_url: str,
    *,
    where: Mapping[str, str],
    details: Mapping[str, Any] | None = None,
    home_url: str | None = None,
) -> Record:
    """One record from an item's extracted ``values`` (by field name, whitespace already
    collapsed). ``where`` names the selector or path of each field, for LayoutChanged.
    An item without a URL of its own gets ``home_url`` (the source's first page, so an
    entry moving to page 2 does not change), else ``page_url``."""
    title = values.get("title")
    if not title:
        raise LayoutChanged(where["title"], page_url, "an item has no title")
    href = values.get("url")
    # A link urllib refuses (an unbalanced "[" in its host) is kept as written.
    item_url = (join_url(page_url, href) or href) if href else None
    external_id = (values.get("id") or item_url
                   or hashlib.sha256(title.encode("utf-8")).hexdigest())
    status = values.get("status")
    stage = "unknown"
    if status and spec.status_stages:
        stage = spec.status_stages.get(norm_status(status), "unknown")
    extra = dict(details or {})
    if values.get("text"):
        extra["text"] = values["text"]
    return Record(
        source=name,
        external_id=external_id,
        title=title,
        url=item_url or home_url or page_url,
        kind=spec.kind,
        stage=stage,
        status_raw=status,
        created=parse_date(values.get("date"), spec.date_format, where.get("date", "date"),
                           page_url),
        agency=values.get("agency"),
        language=spec.language,
        details=extra,
    )


def unique(records: Iterable[Record], seen: set[str]) -> list[Record]:
    """Records whose external id is not in ``seen`` (which is updated): an item shown twice
    (pinned, or repeated on the next page) is stored once."""
    out = []
    for record in records:
        if record.external_id not in seen:
            seen.add(record.external_id)
            out.append(record)
    return out


class ConfiguredSource(Source):
    """Base of the config-defined types: options are validated once into ``self.spec``."""

    #: The type's own option names, added to COMMON_OPTIONS.
    own_options: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spec = self.build_spec(self.options, f"[sources.{self.name}]")
        # `may_be_empty` is per config table here, not per class: set on the instance (the
        # base class declares it a ClassVar, hence __dict__; see docs/config-sources.md).
        self.__dict__["may_be_empty"] = self.spec.common.may_be_empty

    @classmethod
    def build_spec(cls, options: Mapping[str, Any], where: str) -> Any:
        """Validate ``options`` into the type's spec (ConfigError naming the key)."""
        raise NotImplementedError

    @classmethod
    def check_options(cls, options: Mapping[str, Any], where: str) -> None:
        allowed = COMMON_OPTIONS | cls.own_options
        for key in options:
            if key not in allowed:
                raise ConfigError(f"{where} unknown key {key!r} for a {cls.generic_type!r} "
                                  f"source (allowed: {', '.join(sorted(allowed))})")
        cls.build_spec(options, where)

    def start_url(self) -> str:
        """The first page's absolute URL; a relative ``url`` needs a ``base_url``."""
        url = resolve_url(self.spec.common.url, self.base_url)
        if url is None:
            raise SourceError(f"[sources.{self.name}] url: {self.spec.common.url!r} is a path, "
                              "but the source has no base_url to join it to")
        return url

    def emit(self, records: Iterable[Record], evidence: str) -> Iterator[Record]:
        """Records with their evidence; an unmapped raw status is reported, never guessed."""
        stages = self.spec.common.status_stages or {}
        for record in records:
            if record.status_raw and norm_status(record.status_raw) not in stages:
                self.warn(f"unmapped status {record.status_raw!r} (add it to status_stages)")
            yield replace(record, evidence=evidence)
