"""``type = "json"``: a JSON endpoint read with dotted paths from tracker.toml, no code.

``items`` is the dotted path to the list of entries (``data.results``; empty = the response
is the list), ``fields`` maps record fields to dotted paths inside one entry (a number
indexes a list: ``files.0.url``). Optional paging adds ``page_param`` to the query string,
from ``start`` in steps of ``page_step``, for up to ``max_pages`` pages.
See docs/config-sources.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sources._json import loads
from sources.generic import (
    COMMON_OPTIONS,
    CommonSpec,
    ConfiguredSource,
    check_bool,
    check_fields,
    collapse,
    common_spec,
    make_record,
    parse_page_url,
    positive_int,
    unique,
)
from tracker.errors import ConfigError, LayoutChanged
from tracker.models import Record

_MISSING = object()
_ACCEPT = {"Accept": "application/json"}


def dotted(path: str, where: str) -> tuple[str, ...]:
    """``a.b.0`` → ("a", "b", "0"); "" → () (the value itself); empty segments refused."""
    if not path.strip():
        return ()
    parts = tuple(part.strip() for part in path.split("."))
    if not all(parts):
        raise ConfigError(f"{where}: not a dotted path: {path!r}")
    return parts


def lookup(value: Any, path: tuple[str, ...]) -> Any:
    """Follow ``path`` through objects (by key) and lists (by index); _MISSING if absent."""
    for part in path:
        if isinstance(value, dict):
            value = value.get(part, _MISSING)
        elif isinstance(value, list) and part.lstrip("-").isdigit():
            index = int(part)
            value = value[index] if -len(value) <= index < len(value) else _MISSING
        else:
            return _MISSING
        if value is _MISSING:
            return value
    return value


def scalar(value: Any) -> str | None:
    """A JSON scalar as text (true/false as written in JSON); None for missing or null;
    a list of scalars joined with "; ". Objects are not a field value (None)."""
    if value is _MISSING or value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return collapse(str(value))
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return collapse("; ".join(str(v) for v in value))
    return None


@dataclass(frozen=True)
class JsonSpec:
    """Validated options of a json source."""

    common: CommonSpec
    items: str
    items_path: tuple[str, ...]
    fields: Mapping[str, tuple[str, ...]]
    field_names: Mapping[str, str]
    page_param: str | None
    start: int
    page_step: int
    max_pages: int
    stop_when_known: bool

    def page_url(self, url: str, number: int) -> str:
        """``url`` with the page parameter for page ``number`` (1-based) set."""
        if self.page_param is None:
            return url
        parts = urlsplit(url)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                 if k != self.page_param]
        query.append((self.page_param, str(self.start + (number - 1) * self.page_step)))
        return urlunsplit(parts._replace(query=urlencode(query)))


def json_spec(options: Mapping[str, Any], where: str) -> JsonSpec:
    """Validate a json source's options."""
    common = common_spec(options, where)
    items = options.get("items", "")
    if not isinstance(items, str):
        raise ConfigError(f"{where} items: a dotted path such as \"data.results\" "
                          f"(\"\" = the response is the list), got {items!r}")
    raw_fields = check_fields(options.get("fields"), where)
    fields = {name: dotted(path, f"{where} fields.{name}") for name, path in raw_fields.items()}
    for name, path in fields.items():
        if not path:
            raise ConfigError(f"{where} fields.{name}: a dotted path inside one item")
    page_param = options.get("page_param")
    if page_param is not None and (not isinstance(page_param, str) or not page_param.strip()):
        raise ConfigError(f"{where} page_param: the query parameter that selects the page")
    if page_param is None:
        for key in ("start", "page_step", "max_pages"):
            if key in options:
                raise ConfigError(f"{where} {key}: only used with page_param")
    return JsonSpec(
        common, items, dotted(items, f"{where} items"), fields, raw_fields,
        page_param.strip() if page_param else None,
        positive_int(options, "start", 1, where, minimum=0),
        positive_int(options, "page_step", 1, where),
        positive_int(options, "max_pages", 10 if page_param else 1, where),
        check_bool(options, "stop_when_known", True, where),
    )


def parse_json(name: str, spec: JsonSpec, text: str, url: str, *, first: bool = True,
               home_url: str | None = None) -> list[Record]:
    """The records of one response (pure). A missing or non-list item path, or no item on
    the first page, is LayoutChanged naming the path (unless ``may_be_empty``)."""
    where_items = spec.items or "(top level)"
    try:
        data = loads(text)
    except ValueError as exc:
        raise LayoutChanged(where_items, url, f"the response is not JSON ({exc})") from None
    items = lookup(data, spec.items_path)
    if items is _MISSING:
        raise LayoutChanged(where_items, url, "no such key in the response")
    if not isinstance(items, list):
        raise LayoutChanged(where_items, url, f"expected a list, found {type(items).__name__}")
    if not items:
        if first and not spec.common.may_be_empty:
            raise LayoutChanged(where_items, url, "the item list is empty")
        return []
    prefix = f"{spec.items}[]." if spec.items else "[]."
    where = {field: prefix + path for field, path in spec.field_names.items()}
    return [
        make_record(name, spec.common,
                    {field: scalar(lookup(item, path)) for field, path in spec.fields.items()},
                    url, where=where, home_url=home_url)
        for item in items
    ]


class JsonSource(ConfiguredSource):
    """A JSON endpoint (optionally paged) read with the dotted paths of its config table."""

    generic_type = "json"
    title = "config-defined JSON endpoint"
    own_options = frozenset(
        {"items", "fields", "page_param", "start", "page_step", "max_pages", "stop_when_known"}
    )
    option_names = COMMON_OPTIONS | own_options

    @classmethod
    def build_spec(cls, options: Mapping[str, Any], where: str) -> JsonSpec:
        return json_spec(options, where)

    @classmethod
    def parse_configured(
        cls, name: str, options: Mapping[str, Any], text: str, url: str
    ) -> list[Record]:
        spec = json_spec(options, f"[sources.{name}]")
        return unique(parse_json(name, spec, text, parse_page_url(spec.common.url, url)), set())

    def crawl(self) -> Iterator[Record]:
        spec: JsonSpec = self.spec
        first_url = self.start_url()
        seen: set[str] = set()
        for number in range(1, spec.max_pages + 1):
            page = self.http.get(spec.page_url(first_url, number), headers=_ACCEPT)
            if page.not_modified:
                self.pages_not_modified += 1
                return
            fresh = unique(parse_json(self.name, spec, page.text or "", page.url,
                                      first=number == 1, home_url=first_url), seen)
            yield from self.emit(fresh, page.sha256)
            # An empty page, or one that only repeats (an API ignoring the page parameter),
            # is the end of the list.
            if not fresh:
                return
            if spec.stop_when_known and all(r.external_id in self.known_ids for r in fresh):
                return
