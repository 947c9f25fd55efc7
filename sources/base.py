"""The Source base class, its registry, and selector helpers that fail loudly."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any, ClassVar, Protocol

from bs4 import BeautifulSoup, Tag

from tracker.errors import ConfigError, LayoutChanged
from tracker.models import Record

_REGISTRY: dict[str, type[Source]] = {}
#: Config-defined source types (`type = "feed"` in a [sources.<name>] table).
_GENERIC: dict[str, type[Source]] = {}


class Page(Protocol):
    """What a source gets back from the fetcher (see tracker.fetch.FetchResult)."""

    @property
    def url(self) -> str: ...
    @property
    def status(self) -> int: ...
    @property
    def text(self) -> str | None: ...
    @property
    def sha256(self) -> str: ...
    @property
    def not_modified(self) -> bool: ...


class HTTP(Protocol):
    """The fetcher as a source sees it: already bound to the source's robots overrides."""

    def get(
        self, url: str, *, conditional: bool = True, headers: Mapping[str, str] | None = None
    ) -> Page: ...

    def post_json(
        self, url: str, payload: Any, *, headers: Mapping[str, str] | None = None
    ) -> Page: ...


class Source:
    """One site adapter. Subclasses set ``key`` and implement ``crawl`` and ``parse``.

    A source never touches the store or the scheduler: it gets an HTTP client, a base URL,
    its options from ``[sources.<key>]`` and the set of external ids already stored (so it
    can stop paging), and it yields records.
    """

    key: ClassVar[str] = ""
    #: Set on generic classes instead of ``key``: the `type = ...` value that selects them.
    generic_type: ClassVar[str] = ""
    title: ClassVar[str] = ""
    default_base_url: ClassVar[str] = ""
    #: Option names this source accepts in its config table (besides the common ones).
    option_names: ClassVar[frozenset[str]] = frozenset()
    #: True if a run that yields zero records is normal (never true for a listing).
    may_be_empty: bool = False  # an instance may set it from its options
    #: A source that normally brings new items this often is "degraded" after this many days
    #: without one (None: no such expectation). `stale_after_days` in config overrides it.
    stale_after_days: ClassVar[int | None] = None
    #: Requests `tracker sources check --live` allows this source (enough to reach each of
    #: its parts once).
    check_budget: ClassVar[int] = 3

    def __init__(
        self,
        http: HTTP,
        *,
        base_url: str | None = None,
        options: Mapping[str, Any] | None = None,
        known_ids: Collection[str] = frozenset(),
        name: str | None = None,
    ) -> None:
        #: The source's key in the store and config: the class key, or for a config-defined
        #: source the name of its [sources.<name>] table.
        self.name = name or self.key
        self.http = http
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.options: Mapping[str, Any] = options or {}
        self.known_ids = known_ids
        self.warnings: list[str] = []
        #: Pages answered 304 Not Modified: nothing new there, which is not an empty result.
        self.pages_not_modified = 0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.generic_type:
            if cls.generic_type in _GENERIC and _GENERIC[cls.generic_type] is not cls:
                raise TypeError(f"duplicate generic source type {cls.generic_type!r}")
            _GENERIC[cls.generic_type] = cls
            return
        if not cls.key:
            return
        if cls.key in _REGISTRY and _REGISTRY[cls.key] is not cls:
            raise TypeError(f"duplicate source key {cls.key!r}")
        _REGISTRY[cls.key] = cls

    def crawl(self) -> Iterator[Record]:
        """Fetch this source's pages and yield the records found on them."""
        raise NotImplementedError

    @classmethod
    def parse(cls, text: str, url: str) -> list[Record]:
        """Parse one saved page or response (pure: no network). Used by ``tracker parse``."""
        raise NotImplementedError

    @classmethod
    def parse_configured(
        cls, name: str, options: Mapping[str, Any], text: str, url: str
    ) -> list[Record]:
        """Parse a saved page with a config-defined source's options (generic sources)."""
        raise NotImplementedError(f"{cls.__name__} is not a config-defined source type")

    @classmethod
    def check_options(cls, options: Mapping[str, Any], where: str) -> None:
        """Validate this source's own options; raise ConfigError naming ``where`` and the key."""
        for name in options:
            if name not in cls.option_names:
                raise ConfigError(f"{where}: unknown key {name!r} for source {cls.key!r}")

    def warn(self, message: str) -> None:
        """Record a non-fatal problem; it is stored with the run and shown in `tracker sources`."""
        if message not in self.warnings:
            self.warnings.append(message)


def registry() -> dict[str, type[Source]]:
    """All registered sources by key (importing the ``sources`` package registers them)."""
    import sources  # noqa: F401  (registers every built-in source)

    return dict(sorted(_REGISTRY.items()))


def generic_registry() -> dict[str, type[Source]]:
    """Config-defined source types by their `type` value."""
    import sources  # noqa: F401

    return dict(sorted(_GENERIC.items()))


def source_class(key: str, configured: Mapping[str, str | None] | None = None) -> type[Source]:
    """The class for source ``key``: a built-in one, or the generic class a config table
    selects with ``type`` (``configured`` maps config-defined names to their type)."""
    known = registry()
    if key in known:
        return known[key]
    kind = (configured or {}).get(key)
    if kind:
        return generic_registry()[kind]
    names = [*known, *(configured or {})]
    raise ConfigError(f"unknown source {key!r} (known: {', '.join(names)})")


def soup_of(text: str) -> BeautifulSoup:
    """Parse HTML with lxml (fast, forgiving of the portals' broken markup)."""
    return BeautifulSoup(text, "lxml")


def select_many(node: Tag, selector: str, url: str) -> list[Tag]:
    """All matches of ``selector``; LayoutChanged when there are none."""
    found = node.select(selector)
    if not found:
        raise LayoutChanged(selector, url)
    return found


def select_one(node: Tag, selector: str, url: str) -> Tag:
    """The first match of ``selector``; LayoutChanged when there is none."""
    found = node.select_one(selector)
    if found is None:
        raise LayoutChanged(selector, url)
    return found


def text_of(node: Tag) -> str:
    """Visible text with whitespace collapsed to single spaces."""
    return " ".join(node.get_text(" ", strip=True).split())
