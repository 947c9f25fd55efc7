"""``type = "html"``: a list page read with CSS selectors from tracker.toml, no code.

``item`` selects each entry on the page, ``fields`` maps record fields to selectors relative
to the entry (``"a@href"`` reads an attribute, ``"@href"`` one of the entry itself, ``""`` the
entry's own text), and an optional ``next`` selector follows the pager for up to
``max_pages`` pages. See docs/config-sources.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import soupsieve
from bs4 import BeautifulSoup, Tag

from sources._guards import join_url, refuse_nesting
from sources.base import soup_of, text_of
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

#: How many items an item may sit inside (see parse_html).
MAX_ITEM_NESTING = 8
#: ``selector@attribute``: the last ``@`` followed by an attribute name splits the two.
_ATTRIBUTE = re.compile(r"^(?P<css>.*)@(?P<attr>[A-Za-z_][\w:.-]*)$", re.DOTALL)


@dataclass(frozen=True)
class Picker:
    """One configured selector: CSS (None = the node itself) and an optional attribute."""

    raw: str
    css: soupsieve.SoupSieve | None
    attr: str | None

    def node(self, scope: Tag) -> Tag | None:
        """The element this picker points at under ``scope`` (or ``scope`` itself)."""
        return scope if self.css is None else self.css.select_one(scope)

    def value(self, scope: Tag) -> str | None:
        """The attribute value or the visible text; None when missing or blank."""
        node = self.node(scope)
        if node is None:
            return None
        if self.attr is None:
            return text_of(node) or None
        got = node.get(self.attr)
        if isinstance(got, list):  # multi-valued attributes such as class
            got = " ".join(got)
        return collapse(got)


def picker(raw: str, where: str, *, default_attr: str | None = None) -> Picker:
    """Compile ``raw`` (``css``, ``css@attr``, ``@attr`` or ``""``); ConfigError if invalid."""
    match = _ATTRIBUTE.match(raw)
    css, attr = (match["css"], match["attr"]) if match else (raw, default_attr)
    css = css.strip()
    if not css:
        return Picker(raw, None, attr)
    try:
        compiled = soupsieve.compile(css)
    except soupsieve.SelectorSyntaxError as exc:
        reason = str(exc).splitlines()[0]
        raise ConfigError(f"{where}: not a CSS selector: {css!r} ({reason})") from None
    return Picker(raw, compiled, attr)


@dataclass(frozen=True)
class HtmlSpec:
    """Validated options of an html source."""

    common: CommonSpec
    item: Picker
    fields: Mapping[str, Picker]
    next: Picker | None
    max_pages: int
    stop_when_known: bool


def html_spec(options: Mapping[str, Any], where: str) -> HtmlSpec:
    """Validate an html source's options."""
    common = common_spec(options, where)
    item = options.get("item")
    if not isinstance(item, str) or not item.strip():
        raise ConfigError(f"{where} item: required, the CSS selector of one entry on the page")
    item_picker = picker(item, f"{where} item")
    if item_picker.attr is not None or item_picker.css is None:
        raise ConfigError(f"{where} item: a CSS selector without @attribute, got {item!r}")
    fields = {
        name: picker(raw, f"{where} fields.{name}")
        for name, raw in check_fields(options.get("fields"), where).items()
    }
    nxt = options.get("next")
    if nxt is not None and (not isinstance(nxt, str) or not nxt.strip()):
        raise ConfigError(f"{where} next: expected the CSS selector of the next-page link")
    if nxt is None and "max_pages" in options:
        raise ConfigError(f"{where} max_pages: only used with next (a next-page selector)")
    return HtmlSpec(
        common, item_picker, fields,
        picker(nxt, f"{where} next", default_attr="href") if nxt else None,
        positive_int(options, "max_pages", 10, where),
        check_bool(options, "stop_when_known", True, where),
    )


def parse_html(name: str, spec: HtmlSpec, text: str, url: str, *, first: bool = True,
               home_url: str | None = None) -> tuple[list[Record], str | None]:
    """The records of one page and the next page's absolute URL (pure). No entry on the
    first page is LayoutChanged naming the item selector, unless ``may_be_empty``."""
    soup: BeautifulSoup = soup_of(text)
    assert spec.item.css is not None
    items = spec.item.css.select(soup)
    # A selector may fairly match nested entries (lists in lists); deeper nesting is broken
    # or hostile markup, and every field lookup would walk all the items below (quadratic:
    # 46 s for 54 KB of nested items).
    refuse_nesting(items, spec.item.raw, url, limit=MAX_ITEM_NESTING)
    if not items:
        if first and not spec.common.may_be_empty:
            raise LayoutChanged(spec.item.raw, url, "no item on the page")
        return [], None
    where = {field: f"{spec.item.raw} {p.raw}".strip() for field, p in spec.fields.items()}
    records = []
    for item in items:
        values = {field: p.value(item) for field, p in spec.fields.items()}
        records.append(make_record(name, spec.common, values, url, where=where,
                                   home_url=home_url))
    next_url = None
    if spec.next is not None:
        href = spec.next.value(soup)
        next_url = join_url(url, href) if href else None
    return records, next_url


class HtmlSource(ConfiguredSource):
    """A list page (and its pager) read with the CSS selectors of its config table."""

    generic_type = "html"
    title = "config-defined HTML list page"
    own_options = frozenset({"item", "fields", "next", "max_pages", "stop_when_known"})
    option_names = COMMON_OPTIONS | own_options

    @classmethod
    def build_spec(cls, options: Mapping[str, Any], where: str) -> HtmlSpec:
        return html_spec(options, where)

    @classmethod
    def parse_configured(
        cls, name: str, options: Mapping[str, Any], text: str, url: str
    ) -> list[Record]:
        spec = html_spec(options, f"[sources.{name}]")
        records, _ = parse_html(name, spec, text, parse_page_url(spec.common.url, url))
        return unique(records, set())

    def crawl(self) -> Iterator[Record]:
        spec: HtmlSpec = self.spec
        home = self.start_url()
        url: str | None = home
        visited: set[str] = set()
        seen: set[str] = set()
        for number in range(1, spec.max_pages + 1):
            if url is None or url in visited:
                return
            visited.add(url)
            page = self.http.get(url)
            if page.not_modified:
                # Unchanged since the last successful run: nothing new on it, paging stops.
                self.pages_not_modified += 1
                return
            records, url = parse_html(self.name, spec, page.text or "", page.url,
                                      first=number == 1, home_url=home)
            fresh = unique(records, seen)
            yield from self.emit(fresh, page.sha256)
            if not fresh:
                return
            if spec.stop_when_known and all(r.external_id in self.known_ids for r in fresh):
                return
