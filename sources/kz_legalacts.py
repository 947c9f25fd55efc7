"""legalacts.egov.kz («Открытые НПА»): drafts in public discussion, from the list pages.

Structure: ../shared/SOURCES.md §1 and the saved page
kz-samples/legalacts/list_status-IN_ARCHIVE_page1.excerpt.html. robots.txt disallows the
draft card (/npa/view) and /application/*, so only /list pages are read; the withdrawn list
(/application/withdraw) is read only when the owner sets an explicit robots override.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

from bs4.element import NavigableString, Tag

from sources._guards import join_url, refuse_nesting, split_url
from sources.base import Source, select_one, soup_of, text_of
from tracker.errors import ConfigError, LayoutChanged
from tracker.models import Record

KEY = "kz_legalacts"

#: Card labels in both languages. Russian: the saved list page. Kazakh: the draft card's
#: labels (SOURCES.md §1.7); the list page's Kazakh labels were not recorded, so matching is
#: loose (case-folded, colon and spaces ignored).
LABELS: dict[str, str] = {
    "статус": "status",
    "тип нпа": "doc_type",
    "нқа түрі": "doc_type",
    "дата создания": "created",
    "құру күні": "created",
    "публичное обсуждение до": "discussion_until",
    "қоғамдық талқылаудың мерзімі": "discussion_until",
    "дата запуска онлайн-обсуждения": "online_from",
    "дата окончания онлайн-обсуждения": "online_until",
}
_KAZAKH_LABELS = {"нқа түрі", "құру күні", "қоғамдық талқылаудың мерзімі"}

#: Status label → stage (SOURCES.md §1.5 and §1.9). Only the Russian labels were recorded;
#: Kazakh status labels can be added with the `status_map` option once seen on the live site.
STATUS_STAGES: dict[str, str] = {
    "на рассмотрении": "drafting",
    "на публичном обсуждении": "public_discussion",
    "на онлайн обсуждении": "public_discussion",
    "архив": "discussion_closed",
}

_TOTAL_PAGES = re.compile(r"totalPages:\s*(\d+)")
_DATE = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
_INT = re.compile(r"-?\d+")
#: Longer digit runs are no count (and int() refuses more than 4,300 digits).
_MAX_DIGITS = 18


@dataclass(frozen=True)
class ListPage:
    """The cards of one list page and the page count the pager script announces."""

    records: list[Record]
    total_pages: int | None


@dataclass(frozen=True)
class WatchQuery:
    """One list query the source pages through, newest first."""

    name: str
    params: tuple[tuple[str, str], ...]
    max_pages: int
    stop_when_known: bool = True
    may_be_empty: bool = False

    def url(self, base_url: str, page: int) -> str:
        """The list URL for page ``page`` (page 1 carries no page parameter, as on the site)."""
        params = list(self.params) + ([("page", str(page))] if page > 1 else [])
        return f"{base_url}/list" + (f"?{urlencode(params)}" if params else "")


DEFAULT_QUERIES: tuple[dict[str, Any], ...] = (
    {"name": "draft-laws", "params": {"types[0]": "629"}},
    {"name": "concepts", "params": {"types[0]": "7001", "types[1]": "7002"}},
    {"name": "orders-resolutions", "params": {"types[0]": "747", "types[1]": "3813"}},
    {"name": "archive", "params": {"status": "IN_ARCHIVE"}, "max_pages": 2,
     "stop_when_known": False},
)
#: Keyword searches (searchValue) from the goals' vocabulary, ../shared/LEGISLATION.md §7.
DEFAULT_SEARCH_TERMS: tuple[str, ...] = (
    "бытовое насилие",
    "дискриминации",
    "нетрадиционной сексуальной ориентации",
    "противоправного контента",
    "некоммерческих организаций",
    "зорлық-зомбылық",
    "кемсітушілік",
)


def norm_label(label: str) -> str:
    """Case-fold a card label and drop its colon and extra spaces."""
    return " ".join(label.replace(":", " ").split()).casefold()


def parse_date(value: str, url: str, field: str) -> str | None:
    """``dd/mm/yyyy`` → ``YYYY-MM-DD``; empty → None; anything else means the layout moved."""
    value = value.strip()
    if not value:
        return None
    match = _DATE.match(value)
    if not match:
        raise LayoutChanged("div.info", url, f"{field}: unexpected date {value!r}")
    day, month, year = match.groups()
    try:
        return datetime(int(year), int(month), int(day)).date().isoformat()
    except ValueError:
        raise LayoutChanged("div.info", url, f"{field}: impossible date {value!r}") from None


def parse_list_page(
    html: str, url: str, *, status_map: Mapping[str, str] | None = None
) -> ListPage:
    """All cards of a /list page. LayoutChanged if the page frame or a card's anchors are
    missing; an empty card list is returned as such (the caller decides if that is allowed)."""
    soup = soup_of(html)
    main = select_one(soup, "div.maincontent", url)
    stages = {**STATUS_STAGES, **{norm_label(k): v for k, v in (status_map or {}).items()}}
    cards = main.select("div.contentlist")
    # Cards are siblings on the site; a card inside another would lend it its counters (and
    # make every lookup quadratic: 180 s for 228 KB of nested cards).
    refuse_nesting(cards, "div.contentlist", url)
    records = [_parse_card(card, url, stages) for card in cards]
    match = _TOTAL_PAGES.search(html)
    if records and match is None:
        # The pagination script follows the cards on every list page (SOURCES.md §1.6). A
        # body cut short (a connection closed mid-way, no Content-Length to tell) still
        # parses: its last card would lose its counters, and the next run would get a 304
        # for a page never read in full. Fail the page instead, so nothing is stored from it
        # and its validators are not saved.
        raise LayoutChanged("script totalPages (twbsPagination)", url,
                            "the page ends before its pagination script: cut short, or the "
                            "layout changed")
    return ListPage(records, _count(match.group(1)) if match else None)


def _parse_card(card: Tag, page_url: str, stages: Mapping[str, str]) -> Record:
    link = select_one(card, "h3 a[href]", page_url)
    href = str(link["href"])
    parts, absolute = split_url(href), join_url(page_url, href)
    ids = parse_qs(parts.query).get("id") if parts else None
    if not ids or not ids[0].isdigit() or absolute is None:
        raise LayoutChanged("div.contentlist h3 a[href*='id=']", page_url, f"href {href!r}")
    fields, kazakh = _info_fields(select_one(card, "div.info", page_url))
    if "status" not in fields:
        raise LayoutChanged("div.info strong «Статус:»", page_url, f"card {ids[0]}")
    status = fields["status"]
    counters, agency = _tags(card.select_one("div.tags"))
    download = card.select_one("div.readmore a[href*='downloadnpa']")
    # No div.tags, no counters: "not shown" must not overwrite stored counters with nulls.
    details: dict[str, Any] = {} if counters is None else {"counters": counters}
    if download is not None:
        file_link = split_url(str(download["href"]))
        file_ids = parse_qs(file_link.query).get("id") if file_link else None
        details["download_id"] = file_ids[0] if file_ids else None
    for extra in ("online_from", "online_until"):
        if fields.get(extra):
            details[extra] = parse_date(fields[extra], page_url, extra)
    return Record(
        source=KEY,
        external_id=ids[0],
        title=text_of(link),
        url=absolute,
        kind="draft",
        stage=stages.get(norm_label(status), "unknown"),
        status_raw=status,
        doc_type=fields.get("doc_type") or None,
        created=parse_date(fields.get("created", ""), page_url, "created"),
        discussion_until=parse_date(fields.get("discussion_until", ""), page_url,
                                    "discussion_until"),
        agency=agency,
        language="kk" if kazakh else "ru",
        details=details,
    )


def _info_fields(info: Tag) -> tuple[dict[str, str], bool]:
    """``<strong>Label:</strong> value<br/>`` pairs of div.info, by our field names."""
    fields: dict[str, str] = {}
    kazakh = False
    for strong in info.find_all("strong"):
        label = norm_label(strong.get_text())
        parts: list[str] = []
        for sibling in strong.next_siblings:
            if isinstance(sibling, Tag) and sibling.name == "strong":
                break
            parts.append(sibling.get_text() if isinstance(sibling, Tag) else str(sibling))
        name = LABELS.get(label)
        if name:
            fields[name] = " ".join("".join(parts).split())
            kazakh = kazakh or label in _KAZAKH_LABELS
    return fields, kazakh


def _count(digits: str) -> int | None:
    """A number as the page writes it; None for a run of digits no count can have."""
    return int(digits) if len(digits.lstrip("-")) <= _MAX_DIGITS else None


def _number_after(tag: Tag | None) -> int | None:
    """The integer in the text node right after ``tag`` (the site's icon + number idiom)."""
    if tag is None:
        return None
    node = tag.next_sibling
    if isinstance(node, NavigableString):
        match = _INT.search(str(node))
        if match:
            return _count(match.group())
    return None


def _number_in_or_after(span: Tag | None) -> int | None:
    """Accepted count sits inside its span; the not-accepted count after it (real markup)."""
    if span is None:
        return None
    match = _INT.search(span.get_text())
    return _count(match.group()) if match else _number_after(span)


def _tags(tags: Tag | None) -> tuple[dict[str, int | None] | None, str | None]:
    """Counters and developer body from div.tags (None, None when the block is absent)."""
    if tags is None:
        return None, None
    agency_icon = tags.select_one("span.icon2")
    agency = None
    if agency_icon is not None and isinstance(agency_icon.next_sibling, NavigableString):
        agency = " ".join(str(agency_icon.next_sibling).split()) or None
    like = tags.select_one("span.likeSpan")
    dislike = tags.select_one("span.dislikeSpan")
    # The accepted/not-accepted spans are found by their icons, not their Russian titles.
    accepted_icon = tags.select_one("i.fa-check-square")
    rejected_icon = tags.select_one("i.fa-times-circle")
    counters = {
        "comments": _number_after(tags.select_one("span.icon1")),
        "likes": _number_in_or_after(like),
        "dislikes": _number_in_or_after(dislike),
        "views": _number_after(tags.select_one("span.icon5")),
        "accepted": _number_in_or_after(accepted_icon.parent if accepted_icon else None),
        "rejected": _number_in_or_after(rejected_icon.parent if rejected_icon else None),
    }
    return counters, agency


class KzLegalacts(Source):
    """Drafts on legalacts.egov.kz, read from the list pages only."""

    key = KEY
    title = "legalacts.egov.kz — drafts in public discussion"
    default_base_url = "https://legalacts.egov.kz"
    # Ministries publish drafts every working day; a week without a new one in the watched
    # queries means the queries or the site changed.
    stale_after_days = 7
    option_names = frozenset(
        {"language", "max_pages", "queries", "search_terms", "status_map", "withdrawn_list"}
    )

    @classmethod
    def parse(cls, text: str, url: str) -> list[Record]:
        page = parse_list_page(text, url)
        if not page.records:
            raise LayoutChanged("div.contentlist", url, "no cards on the page")
        return page.records

    @classmethod
    def check_options(cls, options: Mapping[str, Any], where: str) -> None:
        super().check_options(options, where)
        _watch_queries(options, where)
        if options.get("language", "ru") not in ("ru", "kk", ""):
            raise ConfigError(f"{where} language: 'ru', 'kk' or '' (site default)")
        status_map = options.get("status_map", {})
        if not isinstance(status_map, dict) or not all(
            isinstance(v, str) for v in status_map.values()
        ):
            raise ConfigError(f"{where} status_map: a table of label = stage strings")
        if not isinstance(options.get("withdrawn_list", False), bool):
            raise ConfigError(f"{where} withdrawn_list: expected true or false")

    def crawl(self) -> Iterator[Record]:
        queries = _watch_queries(self.options, f"[sources.{KEY}]")
        language = self.options.get("language", "ru")
        # Language is a cookie on this site; without it pages come in Kazakh (SOURCES.md §1.2).
        headers = {"Cookie": f"egovLang={language}"} if language else {}
        status_map = self.options.get("status_map", {})
        for query in queries:
            yield from self._crawl_query(query, headers, status_map, self.known_ids)
        if self.options.get("withdrawn_list", False):
            yield from self._crawl_withdrawn(headers, status_map)

    def _crawl_query(
        self, query: WatchQuery, headers: Mapping[str, str], status_map: Mapping[str, str],
        known: Collection[str],
    ) -> Iterator[Record]:
        for number in range(1, query.max_pages + 1):
            page = self.http.get(query.url(self.base_url, number), headers=headers)
            if page.not_modified:
                # Unchanged since last time: every card on it is known, so paging stops.
                self.pages_not_modified += 1
                return
            assert page.text is not None
            listing = parse_list_page(page.text, page.url, status_map=status_map)
            if not listing.records and number == 1 and not query.may_be_empty:
                raise LayoutChanged("div.contentlist", page.url, f"query {query.name!r}")
            for record in listing.records:
                if record.stage == "unknown":
                    self.warn(f"unmapped status {record.status_raw!r} (add it to status_map)")
                yield replace(record, evidence=page.sha256)
            if not listing.records:
                return
            if listing.total_pages is not None and number >= listing.total_pages:
                return
            if query.stop_when_known and all(r.external_id in known for r in listing.records):
                return

    def _crawl_withdrawn(
        self, headers: Mapping[str, str], status_map: Mapping[str, str]
    ) -> Iterator[Record]:
        # ASSUMPTION: the withdrawn list uses the same card markup as /list. It was empty
        # when last seen (2026-09-21), so its layout is not recorded anywhere.
        page = self.http.get(f"{self.base_url}/application/withdraw", headers=headers)
        if page.not_modified or page.text is None:
            self.pages_not_modified += 1
            return
        for record in parse_list_page(page.text, page.url, status_map=status_map).records:
            yield replace(record, stage="withdrawn", evidence=page.sha256,
                          status_raw=f"{record.status_raw} (withdrawn list)")


def _watch_queries(options: Mapping[str, Any], where: str) -> list[WatchQuery]:
    """The configured (or default) watch queries, validated."""
    max_pages = options.get("max_pages", 10)
    if isinstance(max_pages, bool) or not isinstance(max_pages, int) or max_pages < 1:
        raise ConfigError(f"{where} max_pages: a positive integer, got {max_pages!r}")
    raw_queries = options.get("queries", list(DEFAULT_QUERIES))
    terms = options.get("search_terms", list(DEFAULT_SEARCH_TERMS))
    if not isinstance(raw_queries, list):
        raise ConfigError(f"{where} queries: expected a list of tables")
    if not isinstance(terms, list) or not all(isinstance(t, str) and t.strip() for t in terms):
        raise ConfigError(f"{where} search_terms: expected a list of non-empty strings")
    queries = []
    allowed = {"name", "params", "max_pages", "stop_when_known", "may_be_empty"}
    for index, raw in enumerate(raw_queries):
        ctx = f"{where} queries[{index}]"
        if not isinstance(raw, dict):
            raise ConfigError(f"{ctx}: expected a table")
        unknown = set(raw) - allowed
        if unknown:
            raise ConfigError(f"{ctx}: unknown key {sorted(unknown)[0]!r}")
        params = raw.get("params", {})
        if not isinstance(raw.get("name"), str) or not isinstance(params, dict):
            raise ConfigError(f"{ctx}: needs name (string) and params (table)")
        if not all(isinstance(v, str | int) for v in params.values()):
            raise ConfigError(f"{ctx} params: values must be strings or integers")
        pages = raw.get("max_pages", max_pages)
        if isinstance(pages, bool) or not isinstance(pages, int) or pages < 1:
            raise ConfigError(f"{ctx} max_pages: a positive integer, got {pages!r}")
        queries.append(
            WatchQuery(
                raw["name"], tuple((str(k), str(v)) for k, v in params.items()), pages,
                bool(raw.get("stop_when_known", True)), bool(raw.get("may_be_empty", False)),
            )
        )
    for term in terms:
        queries.append(WatchQuery(f"search: {term}", (("searchValue", term),), max_pages,
                                  may_be_empty=True))
    return queries
