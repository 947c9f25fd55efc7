"""epetition.kz (official e-petitions since April 2024), through its public JSON API.

Structure: ../shared/SOURCES.md §5.2 and §7. No response of this API was ever saved; the
endpoints and field names below come from several third-party scrapers:

- ``GET /api/public/v1/petitions/short?size=N&page=P`` → a Spring page
  ``{content: [{id, title, signersCount, applyDate, …}], last: bool, …}``, newest first,
  pages from 0;
- ``GET /api/public/v1/petitions/{id}`` → ``title``, ``organization``, ``lang``,
  ``signersCount``, ``requiredCount``, ``viewersCount``, ``decision`` (+ kk/ru decision
  messages, whose field names were not recorded);
- the page people open: ``/petition/{id}``.

Reading plan (SOURCES.md §5.2): list pages from 0 (``size``, ``max_pages``), stopping at the
first page without a new id; per page, the details of new petitions, then of known ones (the
list does not say which are still open); then ``tracked`` petitions not on those pages. At most
``max_details`` detail requests per run, part of them kept for ``tracked``; a new petition
beyond the budget is stored from its list entry (with a warning) and completed later.

Counters. The store turns a change of ``details["counters"]`` into a ``counters_changed``
event (except the ``views`` key) and a change of any other details key into
``details_changed``. Signer counts move daily, so the exact count is NOT stored as a tracked
field: ``details["signers_milestone"]`` holds the largest configured milestone reached and
``details["required_reached"]`` whether ``requiredCount`` is reached, so only a crossing is an
event. ``viewersCount`` is stored as ``counters["views"]`` (kept, never an event). The exact
count stays in the archived response every record points to.

Decisions. The values of ``decision`` are not documented: the raw value is kept verbatim in
``status_raw`` and every top-level key whose name contains "decision" in
``details["decision"]``; the stage comes only from the ``decision_stages`` option, and an
unmapped decision gives stage ``unknown`` with a warning. A petition without a decision has
no status at all (stage ``unknown``, no warning).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from sources._guards import split_url
from sources._json import loads
from sources.base import Source
from tracker.errors import ConfigError, FetchError, LayoutChanged, UsageError
from tracker.models import STAGES, Record

KEY = "kz_epetition"

SHORT_PATH = "/api/public/v1/petitions/short"
DETAIL_PATH = "/api/public/v1/petitions/{id}"
HUMAN_PATH = "/petition/{id}"
#: Spring page keys of the ``short`` list (documented).
PAGE_FIELDS: Mapping[str, str] = {"items": "content", "last": "last"}
#: Keys of a ``short`` list item (documented).
ITEM_FIELDS: Mapping[str, str] = {
    "id": "id", "title": "title", "signers": "signersCount", "created": "applyDate",
}
#: Keys of a petition detail (documented). ``applyDate`` is only documented on list items;
#: a detail carrying it is used for petitions read without their list item.
DETAIL_FIELDS: Mapping[str, str] = {
    "title": "title", "organization": "organization", "lang": "lang",
    "signers": "signersCount", "required": "requiredCount", "viewers": "viewersCount",
    "decision": "decision", "created": "applyDate",
}
#: Our choice, not a site fact: 50 000 is the documented Government-level threshold; the
#: steps below it make growth visible without an event per signature.
DEFAULT_MILESTONES: tuple[int, ...] = (1_000, 5_000, 10_000, 25_000, 50_000)
DEFAULT_SIZE = 21  # the page size the third-party scrapers used
DEFAULT_MAX_PAGES = 3
DEFAULT_MAX_DETAILS = 70  # covers a first run of 3 × 21 petitions; later runs read ~1 page
_LANGUAGES = frozenset({"ru", "kk"})  # the ``lang`` values are undocumented: others kept raw
# Kazakhstan has used a single time zone, UTC+5, since 2024 (SOURCES.md §7, marked [guess]).
_KZ_TIME = timezone(timedelta(hours=5))


def clean(text: str) -> str:
    """Whitespace collapsed, NFC. Markup characters stay as they are: titles are plain text."""
    return unicodedata.normalize("NFC", " ".join(text.split()))


def norm_key(value: str) -> str:
    """A decision value as a ``decision_stages`` key: case-folded, whitespace collapsed."""
    return " ".join(value.split()).casefold()


def iso_date(value: Any, url: str, path: str) -> str | None:
    """An ISO-8601 date or date-time → local ``YYYY-MM-DD`` (UTC+5 when it has an offset);
    None for null; LayoutChanged for anything else (the documented format changed)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            if len(value) == 10:
                return date.fromisoformat(value).isoformat()
            when = datetime.fromisoformat(value)
            local = when.astimezone(_KZ_TIME) if when.tzinfo else when
        except (ValueError, OverflowError):  # Overflow: 9999-12-31 west of UTC+5
            pass
        else:
            return local.date().isoformat()
    raise LayoutChanged(path, url, f"not an ISO-8601 date: {value!r}")


def _count(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def milestone(signers: int, milestones: tuple[int, ...]) -> int:
    """The largest milestone ``signers`` has reached, 0 below all of them."""
    return max((m for m in milestones if signers >= m), default=0)


def _load(text: str, url: str) -> Any:
    try:
        return loads(text)
    except ValueError as exc:
        raise LayoutChanged("JSON", url, f"not JSON: {exc}") from exc


@dataclass(frozen=True)
class Item:
    """One entry of the ``short`` list."""

    id: str
    title: str
    signers: int | None
    created: str | None


@dataclass(frozen=True)
class ShortPage:
    """The items of one ``short`` page and its ``last`` flag (None when absent)."""

    items: list[Item]
    last: bool | None


def parse_short(text: str, url: str) -> ShortPage:
    """A ``short`` page. LayoutChanged without ``content`` or an item without id or title."""
    data = _load(text, url)
    items_key = PAGE_FIELDS["items"]
    if not isinstance(data, dict) or not isinstance(data.get(items_key), list):
        raise LayoutChanged(items_key, url, "no list under this key")
    items = []
    for index, raw in enumerate(data[items_key]):
        path = f"{items_key}[{index}]"
        if not isinstance(raw, dict):
            raise LayoutChanged(path, url, "not an object")
        ext_id = raw.get(ITEM_FIELDS["id"])
        if isinstance(ext_id, bool) or not isinstance(ext_id, int | str) or ext_id == "":
            raise LayoutChanged(f"{path}.{ITEM_FIELDS['id']}", url, f"bad id {ext_id!r}")
        title = raw.get(ITEM_FIELDS["title"])
        if not isinstance(title, str) or not title.strip():
            raise LayoutChanged(f"{path}.{ITEM_FIELDS['title']}", url, "missing title")
        created = iso_date(raw.get(ITEM_FIELDS["created"]), url,
                           f"{path}.{ITEM_FIELDS['created']}")
        items.append(Item(str(ext_id), clean(title), _count(raw, ITEM_FIELDS["signers"]),
                          created))
    last = data.get(PAGE_FIELDS["last"])
    return ShortPage(items, last if isinstance(last, bool) else None)


def human_url(api_url: str, petition_id: str) -> str:
    """The petition's public page on the API's host."""
    parts = urlsplit(api_url)
    return f"{parts.scheme}://{parts.netloc}{HUMAN_PATH.format(id=petition_id)}"


def thin_record(item: Item, url: str, milestones: tuple[int, ...] = DEFAULT_MILESTONES
                ) -> Record:
    """A petition as the list shows it (no detail read): fields it lacks keep stored values."""
    details: dict[str, Any] = {}
    if item.signers is not None:
        details["signers_milestone"] = milestone(item.signers, milestones)
    return Record(source=KEY, external_id=item.id, title=item.title,
                  url=human_url(url, item.id), kind="petition", created=item.created,
                  details=details)


def parse_detail(
    text: str, url: str, petition_id: str, item: Item | None = None, *,
    decision_stages: Mapping[str, str] | None = None,
    milestones: tuple[int, ...] = DEFAULT_MILESTONES,
) -> Record:
    """A petition from its detail (``item``: its list entry, for the creation date).
    LayoutChanged without ``title`` or ``signersCount``; an unmapped decision gives stage
    ``unknown`` (the caller warns)."""
    data = _load(text, url)
    if not isinstance(data, dict):
        raise LayoutChanged("$", url, "not an object")
    f = DETAIL_FIELDS
    title = data.get(f["title"])
    if not isinstance(title, str) or not title.strip():
        raise LayoutChanged(f["title"], url, "missing title")
    signers = _count(data, f["signers"])
    if signers is None:
        raise LayoutChanged(f["signers"], url, "missing or not a number")
    required, viewers = _count(data, f["required"]), _count(data, f["viewers"])
    details: dict[str, Any] = {"signers_milestone": milestone(signers, milestones)}
    if viewers is not None:
        details["counters"] = {"views": viewers}
    if required is not None:
        details["required"] = required
        details["required_reached"] = signers >= required
    decision = {k: v for k, v in data.items()
                if "decision" in k.casefold() and v not in (None, "", [], {})}
    if decision:
        details["decision"] = decision
    status_raw, stage = None, "unknown"
    raw_decision = data.get(f["decision"])
    if raw_decision not in (None, "", [], {}):
        status_raw = (clean(raw_decision) if isinstance(raw_decision, str)
                      else json.dumps(raw_decision, ensure_ascii=False, sort_keys=True))
        stage = {norm_key(k): v for k, v in (decision_stages or {}).items()}.get(
            norm_key(status_raw), "unknown")
    organization = data.get(f["organization"])
    agency = clean(organization) if isinstance(organization, str) and organization.strip() \
        else None
    if organization is not None and not isinstance(organization, str):
        details["organization"] = organization  # shape undocumented: kept, not guessed
    lang = data.get(f["lang"])
    if lang is not None:
        details["lang"] = lang
    language = lang.lower() if isinstance(lang, str) and lang.lower() in _LANGUAGES else None
    created = item.created if item and item.created else iso_date(
        data.get(f["created"]), url, f["created"])
    return Record(
        source=KEY, external_id=petition_id, title=clean(title),
        url=human_url(url, petition_id), kind="petition", stage=stage, status_raw=status_raw,
        created=created, agency=agency, language=language, details=details,
    )


@dataclass(frozen=True)
class Options:
    """Validated options."""

    size: int = DEFAULT_SIZE
    max_pages: int = DEFAULT_MAX_PAGES
    max_details: int = DEFAULT_MAX_DETAILS
    tracked: tuple[str, ...] = ()
    decision_stages: Mapping[str, str] | None = None
    milestones: tuple[int, ...] = DEFAULT_MILESTONES


def _settings(options: Mapping[str, Any], where: str) -> Options:
    ints = {}
    for name, default, top in (("size", DEFAULT_SIZE, 100), ("max_pages", DEFAULT_MAX_PAGES, 100),
                               ("max_details", DEFAULT_MAX_DETAILS, 1000)):
        value = options.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
            raise ConfigError(f"{where} {name}: an integer from 1 to {top}, got {value!r}")
        ints[name] = value
    tracked = options.get("tracked", [])
    if not isinstance(tracked, list) or not all(
        isinstance(t, int | str) and not isinstance(t, bool) and str(t).strip() for t in tracked
    ):
        raise ConfigError(f"{where} tracked: a list of petition ids")
    stages = options.get("decision_stages", {})
    if not isinstance(stages, dict) or not all(
        isinstance(k, str) and v in STAGES for k, v in stages.items()
    ):
        raise ConfigError(f"{where} decision_stages: a table of decision = stage "
                          f"(stages: {', '.join(STAGES)})")
    marks = options.get("signer_milestones", list(DEFAULT_MILESTONES))
    if not isinstance(marks, list) or not marks or not all(
        isinstance(m, int) and not isinstance(m, bool) and m > 0 for m in marks
    ):
        raise ConfigError(f"{where} signer_milestones: a non-empty list of positive integers")
    return Options(ints["size"], ints["max_pages"], ints["max_details"],
                    tuple(str(t).strip() for t in tracked), stages, tuple(sorted(set(marks))))


class _Budget:
    """Detail requests left in this run, with a reserve for tracked petitions not yet seen
    (so a long list of new petitions cannot starve the ones staff asked to follow)."""

    def __init__(self, limit: int, tracked: set[str]) -> None:
        self.left = limit
        self.reserved = tracked
        self.seen: set[str] = set()

    def first_sighting(self, petition_id: str) -> bool:
        """True once per petition and run (a petition on two pages is handled once)."""
        if petition_id in self.seen:
            return False
        self.seen.add(petition_id)
        return True

    def take(self, petition_id: str, *, reserve_for_tracked: bool = True) -> bool:
        """Spend one request on this petition if it was not handled yet and the budget
        (minus the reserve for other tracked petitions, unless told not to) allows it."""
        if petition_id in self.seen:
            return False
        reserve = len(self.reserved - {petition_id}) if reserve_for_tracked else 0
        if self.left - reserve <= 0:
            return False
        self.seen.add(petition_id)
        self.reserved.discard(petition_id)
        self.left -= 1
        return True


class KzEpetition(Source):
    """Petitions on epetition.kz: the newest pages of the list, details within a budget."""

    key = KEY
    title = "epetition.kz — e-petitions: signers, required count, decisions"
    default_base_url = "https://epetition.kz"
    option_names = frozenset(
        {"size", "max_pages", "max_details", "tracked", "decision_stages", "signer_milestones"}
    )
    # Our expectation, not a measured rate: a national petition site lists a new petition
    # (50 signatures) more often than once a month.
    stale_after_days = 30

    @classmethod
    def parse(cls, text: str, url: str) -> list[Record]:
        parts = split_url(url)
        if parts is None:
            raise UsageError(f"--url: not a URL: {url!r}")
        path = parts.path.rstrip("/")
        if path.endswith(SHORT_PATH):
            return [thin_record(item, url) for item in parse_short(text, url).items]
        return [parse_detail(text, url, path.rsplit("/", 1)[-1])]

    @classmethod
    def check_options(cls, options: Mapping[str, Any], where: str) -> None:
        super().check_options(options, where)
        _settings(options, where)

    def crawl(self) -> Iterator[Record]:
        conf = _settings(self.options, f"[sources.{KEY}]")
        budget = _Budget(conf.max_details, set(conf.tracked))
        thin = 0
        for number in range(conf.max_pages):
            # Never conditional: the list decides which details are re-read, so a 304 here
            # would hide the petitions whose decision may have changed since.
            page = self.http.get(
                f"{self.base_url}{SHORT_PATH}?size={conf.size}&page={number}", conditional=False
            )
            assert page.text is not None
            short = parse_short(page.text, page.url)
            # Page by page, so a later page that fails costs nothing already read. New
            # petitions first; then known ones, refreshed because the list does not say which
            # are still open.
            new = [i for i in short.items if i.id not in self.known_ids]
            for item in new + [i for i in short.items if i.id in self.known_ids]:
                if not budget.take(item.id):
                    if item in new and budget.first_sighting(item.id):
                        thin += 1
                        yield replace(thin_record(item, page.url, conf.milestones),
                                      source=self.name, evidence=page.sha256)
                    continue
                record = self._detail(item.id, (item, page.sha256), conf)
                if record is not None:
                    yield record
            if not short.items or short.last or not new:
                break
        if thin:
            self.warn(f"max_details reached: {thin} new petitions stored from the list only "
                      "(no organization, required count or decision yet)")
        for petition_id in conf.tracked:  # tracked petitions not on the pages read
            if budget.take(petition_id, reserve_for_tracked=False):
                record = self._detail(petition_id, None, conf)
                if record is not None:
                    yield record
            elif budget.first_sighting(petition_id):
                self.warn(f"max_details reached: tracked petition {petition_id} not read")

    def _detail(
        self, petition_id: str, listed: tuple[Item, str] | None, conf: Options
    ) -> Record | None:
        """The petition's record from its detail; None when unchanged (304) or gone."""
        item = listed[0] if listed else None
        url = f"{self.base_url}{DETAIL_PATH.format(id=petition_id)}"
        try:
            page = self.http.get(url)
        except FetchError as exc:
            if exc.status not in (404, 410):
                raise
            # One removed or hidden petition is not a broken source; a new one is still
            # stored from its list entry.
            self.warn(f"petition {petition_id}: detail answered HTTP {exc.status}")
            if listed is None or petition_id in self.known_ids:
                return None
            return replace(thin_record(listed[0], url, conf.milestones), source=self.name,
                           evidence=listed[1])
        if page.not_modified or page.text is None:
            self.pages_not_modified += 1  # unchanged since the last successful run
            return None
        record = parse_detail(page.text, page.url, petition_id, item,
                              decision_stages=conf.decision_stages, milestones=conf.milestones)
        if record.status_raw is not None and record.stage == "unknown":
            self.warn(f"unmapped decision {record.status_raw!r} (add it to decision_stages)")
        return replace(record, source=self.name, evidence=page.sha256)
