"""``type = "feed"``: an RSS 2.0 / RSS 1.0 / Atom feed, detected from its root element.

Fields come from the standard elements (``FEED_FIELDS``); ``fields`` may override any of
them with another child element's local name (``status = "category"``, ``agency =
"author"``), ``"name@attr"`` reading an attribute. The XML is parsed by lxml with entity
resolution, DTD loading and network access off: a hostile feed's entities are never
expanded (billion laughs) nor fetched (XXE); the reference stays in the text as written.
See docs/config-sources.md.
"""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning
from lxml import etree

from sources.generic import (
    COMMON_OPTIONS,
    CommonSpec,
    ConfiguredSource,
    check_fields,
    collapse,
    common_spec,
    make_record,
    parse_page_url,
    unique,
)
from tracker.errors import ConfigError, LayoutChanged
from tracker.models import Record

#: Default field → child element (local name, "@attr" for an attribute), per feed format.
#: A list means: the first one present.
FEED_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "rss": {
        "id": ("guid",), "title": ("title",), "url": ("link",),
        "date": ("pubDate", "date"), "text": ("description",),
    },
    "atom": {
        "id": ("id",), "title": ("title",), "url": ("link@href",),
        "date": ("published", "updated"), "text": ("summary", "content"),
    },
}
#: What a LayoutChanged names when a feed's frame is missing.
FEED_ANCHOR = "rss > channel > item | feed > entry"
#: BOMs and white space (in any order: pages get concatenated) before the declaration.
_XML_DECLARATION = re.compile(r"^[\ufeff\s]*<\?xml[^>]*\?>")
_ATTRIBUTE = re.compile(r"^(?P<tag>[A-Za-z_][\w.-]*)?@(?P<attr>[A-Za-z_][\w:.-]*)$")
_NAME = re.compile(r"^[A-Za-z_][\w.-]*$")
#: A namespace prefix in a configured element name ("dc:creator"): matching is by local name.
_PREFIX = re.compile(r"^[A-Za-z_][\w.-]*:(?=[A-Za-z_])")


def _parser() -> Any:
    """A parser that never expands or fetches entities and never touches the network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False, remove_comments=True, remove_pis=True)


def local(node: Any) -> str:
    """An element's tag without its namespace ("" for entities and the like)."""
    tag = node.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def text_content(node: Any) -> str:
    """The text of ``node`` and its descendants; entity references kept as written."""
    return "".join(node.itertext())


def strip_html(value: str) -> str:
    """Visible text of an HTML fragment (RSS descriptions are escaped HTML)."""
    if "<" not in value:
        return html.unescape(value)
    with warnings.catch_warnings():  # a fragment that looks like a URL is still a fragment
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return BeautifulSoup(value, "lxml").get_text(" ")


@dataclass(frozen=True)
class FeedSpec:
    """Validated options of a feed source: field → element names overriding the defaults."""

    common: CommonSpec
    fields: Mapping[str, tuple[str, ...]]


def feed_spec(options: Mapping[str, Any], where: str) -> FeedSpec:
    """Validate a feed source's options."""
    common = common_spec(options, where)
    fields = {}
    for name, raw in check_fields(options.get("fields", {}), where, required=()).items():
        element = _PREFIX.sub("", raw.strip())
        if not (_NAME.match(element) or _ATTRIBUTE.match(element)):
            raise ConfigError(f"{where} fields.{name}: a child element's name, optionally "
                              f"with @attribute (\"link@href\"), got {raw!r}")
        fields[name] = (element,)
    return FeedSpec(common, fields)


def _pick(entry: Any, field: str, names: tuple[str, ...], atom: bool) -> str | None:
    """The first of ``names`` present as a child of ``entry`` (text or attribute). The text
    field is HTML in RSS (and often in Atom): its visible text is kept; an Atom title only
    when its ``type`` says html or xhtml."""
    for name in names:
        match = _ATTRIBUTE.match(name)
        tag, attr = (match["tag"] or "", match["attr"]) if match else (name, None)
        candidates = [c for c in entry if local(c) == tag] if tag else [entry]
        if atom and tag == "link" and attr == "href":
            # Atom: the alternate link (rel absent or "alternate") is the entry's page.
            candidates.sort(key=lambda c: c.get("rel", "alternate") != "alternate")
        for node in candidates:
            if attr is not None:
                value = node.get(attr)
            else:
                value = text_content(node)
                if field == "text" or (atom and node.get("type") in ("html", "xhtml")):
                    value = strip_html(value)
            if collapse(value):
                return collapse(value)
    return None


def feed_entries(text: str, url: str) -> tuple[str, list[Any]]:
    """The feed's format ("rss" or "atom") and its entries; LayoutChanged if it is not a
    well-formed RSS or Atom document."""
    try:
        root = etree.fromstring(_XML_DECLARATION.sub("", text, count=1).lstrip("\ufeff"),
                                _parser())
    except (etree.XMLSyntaxError, ValueError) as exc:  # ValueError: str lxml refuses
        raise LayoutChanged(FEED_ANCHOR, url, f"not well-formed XML: {exc}") from None
    kind = local(root)
    if kind == "rss":
        channel = next((c for c in root if local(c) == "channel"), None)
        if channel is None:
            raise LayoutChanged("rss > channel", url)
        return "rss", [c for c in channel if local(c) == "item"]
    if kind == "RDF":  # RSS 1.0: items are children of the root
        return "rss", [c for c in root if local(c) == "item"]
    if kind == "feed":
        return "atom", [c for c in root if local(c) == "entry"]
    raise LayoutChanged(FEED_ANCHOR, url, f"not an RSS or Atom feed (root <{kind}>)")


def parse_feed(name: str, spec: FeedSpec, text: str, url: str) -> list[Record]:
    """The records of one feed document (pure). No entry is LayoutChanged naming the entry
    element, unless ``may_be_empty``."""
    kind, entries = feed_entries(text, url)
    entry_tag = "rss > channel > item" if kind == "rss" else "feed > entry"
    if not entries:
        if spec.common.may_be_empty:
            return []
        raise LayoutChanged(entry_tag, url, "the feed has no entries")
    fields = {**FEED_FIELDS[kind], **spec.fields}
    where = {field: f"{entry_tag} > {' | '.join(names)}" for field, names in fields.items()}
    records = []
    for entry in entries:
        values = {field: _pick(entry, field, names, kind == "atom")
                  for field, names in fields.items()}
        details = {"description": values.pop("text")} if values.get("text") else {}
        records.append(make_record(name, spec.common, values, url, where=where,
                                   details=details))
    return records


class FeedSource(ConfiguredSource):
    """An RSS or Atom feed named in the config."""

    generic_type = "feed"
    title = "config-defined RSS/Atom feed"
    own_options = frozenset({"fields"})
    option_names = COMMON_OPTIONS | own_options

    @classmethod
    def build_spec(cls, options: Mapping[str, Any], where: str) -> FeedSpec:
        return feed_spec(options, where)

    @classmethod
    def parse_configured(
        cls, name: str, options: Mapping[str, Any], text: str, url: str
    ) -> list[Record]:
        spec = feed_spec(options, f"[sources.{name}]")
        return unique(parse_feed(name, spec, text, parse_page_url(spec.common.url, url)), set())

    def crawl(self) -> Iterator[Record]:
        page = self.http.get(self.start_url())
        if page.not_modified:
            self.pages_not_modified += 1
            return
        records = parse_feed(self.name, self.spec, page.text or "", page.url)
        yield from self.emit(unique(records, set()), page.sha256)
