"""Parliament bills: the Mazhilis draft-laws JSON API and the Senate law-project table.

MUST BE VERIFIED LIVE (``tracker sources check --live kz_parliament``) before anyone relies on
it. Everything below follows ../shared/SOURCES.md §3, which describes the two-chamber
parliament; the Mazhilis and the Senate ceased on 1 July 2026 and the single-chamber Курултай
that replaced them publishes bills nobody has seen yet (§0.1). So every address, path, JSON
field name and status wording is configuration (``[sources.kz_parliament]``), and the
defaults are the pre-July-2026 ones:

- Mazhilis (``base_url``, default https://mazhilis.parlam.kz): ``GET /api/core/draft-laws/
  ?limit=N&offset=M`` → ``{"count", "result": [{"id", …}]}``, then each bill's detail
  ``/api/core/draft-laws/{id}/`` with ``id``, ``title``, ``status``, ``documents[].document_url``
  (§3.2, seen in third-party code). The values of ``status`` were never recorded: the default
  mapping is the *wording* §3.5 documents, not observed API values.
- Senate (``senate_base_url``, default https://senate.parlam.kz): the HTML table at
  ``/ru-RU/lawProjects/index?p=N`` (§3.3, seen in ~2022 code).

Ids are prefixed by chamber (``mazhilis:<id>``, ``senate:<id>``) because the two numberings
are unrelated and one source's ids must be unique. The archived detail response (the raw JSON
of the bill) or table page is each record's evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from bs4 import Tag

from sources._guards import join_url
from sources._json import at_path, json_of, page_text, scalar_text
from sources.base import Source, soup_of, text_of
from tracker.errors import ConfigError, FetchError, LayoutChanged
from tracker.models import STAGES, Record

KEY = "kz_parliament"

#: Mazhilis JSON field names as dotted paths (SOURCES.md §3.2). The ``fields`` option
#: overrides any of them, e.g. ``fields = { status = "status.name" }`` if the live API
#: turns out to nest the status text in an object.
FIELDS: dict[str, str] = {
    "count": "count",  # list: total number of bills
    "result": "result",  # list: the page's items
    "id": "id",  # list item and detail
    "title": "title",  # detail
    "status": "status",  # detail; its values are unknown (§3.2)
    "documents": "documents",  # detail: attached files
    "document_url": "document_url",  # in each documents[] item; often http:// (§3.2)
}
DEFAULT_LIST_PATH = "/api/core/draft-laws/"
DEFAULT_DETAIL_PATH = "/api/core/draft-laws/{id}/"
DEFAULT_PAGE_SIZE = 100  # §3.6: "page through limit=100&offset=…"
DEFAULT_MAX_PAGES = 10  # 411 bills were counted in one scraper's run: 5 pages of 100

#: Senate law-project list (§3.3): each row is ``td > a`` (title + link to
#: /ru-RU/lawProjects/details/{id}) followed by 4 plain cells, in this order.
DEFAULT_SENATE_BASE_URL = "https://senate.parlam.kz"
DEFAULT_SENATE_PATH = "/ru-RU/lawProjects/index"
DEFAULT_SENATE_MAX_PAGES = 3  # the pages are re-read in full each run (see _crawl_senate)
SENATE_PAGE_PARAM = "p"
SENATE_ROW_LINK = "td > a[href*='lawProjects/details/']"
SENATE_CELLS: tuple[str, ...] = ("number", "registered", "registration_number", "decision_date")
#: Being on the Senate's list means the bill reached the upper chamber (§3.5 row 4). The
#: decision cell says *when* the Senate decided, not *how*, so the outcome is not guessed.
DEFAULT_SENATE_STAGE = "upper_chamber"
_SENATE_ID = re.compile(r"lawProjects/details/(\d+)")
_DOTTED_DATE = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})$")

#: Raw status → stage, matched case-insensitively as a substring (ё = е), longest wording
#: first so «не одобрил» wins over «одобрил». DOCUMENTED WORDING (SOURCES.md §3.5, from
#: press coverage of the 2023 – June 2026 procedure), NOT values observed in the API: the
#: live values must be mapped with the ``status_stages`` option once seen.
STATUS_STAGES: dict[str, str] = {
    "внесён": "parliament",  # row 1: introduced to the Mazhilis
    "одобрен в первом чтении": "first_reading",  # row 2
    # Row 3 ("second reading — adopted by the Mazhilis"). Not "passed": under this procedure
    # the bill still goes to the Senate, so parliament as a whole has not passed it yet.
    "принят мажилисом": "second_reading",
    "одобрил": "upper_chamber",  # row 4: the Senate approves
    # Row 4: a Senate non-approval returns the bill to the Mazhilis (which may overcome it);
    # it is not a final rejection.
    "не одобрил": "returned",
    "подписан главой государства": "signed",  # row 6
}


def norm_status(text: str) -> str:
    """Case-fold, ё → е, whitespace collapsed: the form statuses and patterns are compared in."""
    return " ".join(text.casefold().replace("ё", "е").split())


def stage_table(configured: Mapping[str, str]) -> dict[str, str]:
    """The defaults overlaid with the ``status_stages`` option, keyed by normalised wording
    (so a configured «Внёсен» replaces the default «внесён» instead of competing with it)."""
    table = {norm_status(k): v for k, v in STATUS_STAGES.items()}
    table.update({norm_status(k): v for k, v in configured.items()})
    return table


def stage_for(status_raw: str | None, stages: Mapping[str, str]) -> str:
    """The stage of the longest pattern contained in the raw status; ``unknown`` if none."""
    if not status_raw:
        return "unknown"
    status = norm_status(status_raw)
    for pattern in sorted(stages, key=len, reverse=True):
        if norm_status(pattern) in status:
            return stages[pattern]
    return "unknown"


@dataclass(frozen=True)
class DraftLawList:
    """One page of the Mazhilis list: the announced total and the ids on the page."""

    count: int
    ids: list[str]


def parse_draft_law_list(text: str, url: str, fields: Mapping[str, str] = FIELDS) -> DraftLawList:
    """``{"count": N, "result": [{"id": …}, …]}`` → total and ids (as the site writes them)."""
    data = json_of(text, url)
    count = at_path(data, fields["count"], url)
    if isinstance(count, bool) or not isinstance(count, int):
        raise LayoutChanged(fields["count"], url, f"expected an integer, got {count!r}")
    items = at_path(data, fields["result"], url)
    if not isinstance(items, list):
        raise LayoutChanged(fields["result"], url, "expected a list")
    ids = [
        scalar_text(at_path(item, fields["id"], url, f"{fields['result']}[{i}]."),
                    f"{fields['result']}[{i}].{fields['id']}", url)
        for i, item in enumerate(items)
    ]
    return DraftLawList(count, ids)


def parse_draft_law(
    text: str, url: str, fields: Mapping[str, str] = FIELDS,
    stages: Mapping[str, str] = STATUS_STAGES,
) -> Record:
    """One bill's detail object → a record (stage ``unknown`` when its status is unmapped)."""
    return bill_record(json_of(text, url), url, fields, stages)


def bill_record(
    data: Any, url: str, fields: Mapping[str, str], stages: Mapping[str, str], where: str = ""
) -> Record:
    """A Mazhilis bill object → record. ``where`` prefixes key paths in errors."""
    if not isinstance(data, dict):
        raise LayoutChanged(where or "{}", url, "expected a JSON object")
    bill_id = scalar_text(at_path(data, fields["id"], url, where), where + fields["id"], url)
    title = at_path(data, fields["title"], url, where)
    if not isinstance(title, str):
        raise LayoutChanged(where + fields["title"], url, "expected a string")
    status = at_path(data, fields["status"], url, where)
    # A null status is kept as "no status" (stage unknown, warned by the crawler).
    status_raw = None if status is None else scalar_text(status, where + fields["status"], url)
    documents = at_path(data, fields["documents"], url, where)
    if not isinstance(documents, list):
        raise LayoutChanged(where + fields["documents"], url, "expected a list")
    files = []
    for i, item in enumerate(documents):
        path = f"{where}{fields['documents']}[{i}]."
        link = at_path(item, fields["document_url"], url, path)
        if not isinstance(link, str):
            raise LayoutChanged(path + fields["document_url"], url, "expected a string")
        absolute = join_url(url, link) or link  # a link urllib refuses is kept as written
        # §3.2: file links are often http:// although the host serves https.
        files.append("https://" + absolute[7:] if absolute.startswith("http://") else absolute)
    return Record(
        source=KEY,
        external_id=f"mazhilis:{bill_id}",
        title=" ".join(title.split()),
        url=url,
        kind="bill",
        stage=stage_for(status_raw, stages),
        status_raw=status_raw,
        details={"chamber": "mazhilis", "documents": files},
    )


def parse_dotted_date(value: str, url: str, field: str) -> str | None:
    """``dd.mm.yyyy`` → ``YYYY-MM-DD``; empty → None; anything else: the table moved."""
    value = value.strip()
    if not value:
        return None
    match = _DOTTED_DATE.match(value)
    if not match:
        raise LayoutChanged(f"tr > td ({field})", url, f"unexpected date {value!r}")
    day, month, year = match.groups()
    try:
        return datetime(int(year), int(month), int(day)).date().isoformat()
    except ValueError:
        raise LayoutChanged(f"tr > td ({field})", url, f"impossible date {value!r}") from None


def parse_senate_page(html: str, url: str, stage: str = DEFAULT_SENATE_STAGE) -> list[Record]:
    """Rows of the Senate law-project table; [] when the page has none (caller decides)."""
    records = []
    # Each row's cells, indexed once: looking a cell up per link made a row of thousands of
    # linked cells quadratic (342 s for a 1.2 MB page).
    rows: dict[int, tuple[list[Tag], dict[int, int]]] = {}
    for link in soup_of(html).select(SENATE_ROW_LINK):
        href = str(link.get("href", ""))
        match = _SENATE_ID.search(href)
        cell = link.parent
        row = cell.parent if cell is not None else None
        absolute = join_url(url, href)
        if match is None or cell is None or row is None or row.name != "tr" or absolute is None:
            raise LayoutChanged(f"tr > {SENATE_ROW_LINK}", url, f"link {href!r}")
        if id(row) not in rows:
            found = list(row.find_all("td", recursive=False))
            # By identity: bs4 compares tags by content, and two cells may read the same.
            rows[id(row)] = found, {id(td): i for i, td in enumerate(found)}
        tds, positions = rows[id(row)]
        after = tds[positions.get(id(cell), len(tds)) + 1:]
        if len(after) < len(SENATE_CELLS):
            raise LayoutChanged(f"tr > td × {1 + len(SENATE_CELLS)}", url,
                                f"row of law project {match.group(1)}")
        cells = dict(zip(SENATE_CELLS, (text_of(td) for td in after), strict=False))
        registered = parse_dotted_date(cells["registered"], url, "registered")
        # ASSUMPTION: a pending decision is an empty cell (the ~2022 code only read values).
        decided = parse_dotted_date(cells["decision_date"], url, "decision_date")
        records.append(Record(
            source=KEY,
            external_id=f"senate:{match.group(1)}",
            title=text_of(link),
            url=absolute,
            kind="bill",
            stage=stage,
            created=registered,
            details={"chamber": "senate", "number": cells["number"] or None,
                     "registration_number": cells["registration_number"] or None,
                     "decision_date": decided},
        ))
    return records


class KzParliament(Source):
    """Bills in parliament (pre-July-2026 Mazhilis API and Senate table; configurable)."""

    key = KEY
    # The list, then bill details, then the Senate table: enough to reach each part once.
    check_budget = 6
    title = "parlam.kz — bills in parliament (verify live: parliament changed on 2026-07-01)"
    default_base_url = "https://mazhilis.parlam.kz"
    option_names = frozenset({
        "mazhilis", "list_path", "detail_path", "page_size", "max_pages", "fields",
        "status_stages", "senate", "senate_base_url", "senate_path", "senate_max_pages",
        "senate_stage",
    })

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Raw statuses already reported as unmapped in this run (one warning each).
        self._warned: set[str | None] = set()

    @classmethod
    def parse(cls, text: str, url: str) -> list[Record]:
        """A detail object, a list page (its items parsed as full bills: shows whether the
        live list carries them) or a Senate table page."""
        if text.lstrip()[:1] in ("{", "["):
            data = json_of(text, url)
            if isinstance(data, dict) and FIELDS["result"] in data:
                items = at_path(data, FIELDS["result"], url)
                if not isinstance(items, list):
                    raise LayoutChanged(FIELDS["result"], url, "expected a list")
                return [bill_record(item, url, FIELDS, STATUS_STAGES, f"{FIELDS['result']}[{i}].")
                        for i, item in enumerate(items)]
            return [bill_record(data, url, FIELDS, STATUS_STAGES)]
        records = parse_senate_page(text, url)
        if not records:
            raise LayoutChanged(SENATE_ROW_LINK, url, "no law-project rows")
        return records

    @classmethod
    def check_options(cls, options: Mapping[str, Any], where: str) -> None:
        super().check_options(options, where)
        for name in ("mazhilis", "senate"):
            if not isinstance(options.get(name, True), bool):
                raise ConfigError(f"{where} {name}: expected true or false")
        if not options.get("mazhilis", True) and not options.get("senate", True):
            raise ConfigError(f"{where} mazhilis, senate: at least one must be true")
        for name, fallback, needs in (("list_path", DEFAULT_LIST_PATH, ""),
                                      ("detail_path", DEFAULT_DETAIL_PATH, "{id}"),
                                      ("senate_path", DEFAULT_SENATE_PATH, "")):
            path = options.get(name, fallback)
            if not isinstance(path, str) or not path.startswith("/") or needs not in path:
                raise ConfigError(f"{where} {name}: a path starting with '/'"
                                  + (f" containing {needs!r}" if needs else "") + f", got {path!r}")
        for name, default, top in (("page_size", DEFAULT_PAGE_SIZE, 1000),
                                   ("max_pages", DEFAULT_MAX_PAGES, 10_000),
                                   ("senate_max_pages", DEFAULT_SENATE_MAX_PAGES, 10_000)):
            value = options.get(name, default)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
                raise ConfigError(f"{where} {name}: an integer from 1 to {top}, got {value!r}")
        fields = options.get("fields", {})
        if not isinstance(fields, dict):
            raise ConfigError(f"{where} fields: a table of field = \"dotted.path\"")
        for name, dotted in fields.items():
            if name not in FIELDS or not isinstance(dotted, str) or not dotted.strip():
                raise ConfigError(f"{where} fields.{name}: known fields are "
                                  f"{', '.join(FIELDS)}, each a non-empty dotted path")
        stages = options.get("status_stages", {})
        if not isinstance(stages, dict):
            raise ConfigError(f"{where} status_stages: a table of \"wording\" = \"stage\"")
        for wording, stage in stages.items():
            if not wording.strip() or stage not in STAGES:
                raise ConfigError(f"{where} status_stages.{wording}: stage must be one of "
                                  f"{', '.join(STAGES)}, got {stage!r}")
        if options.get("senate_stage", DEFAULT_SENATE_STAGE) not in STAGES:
            raise ConfigError(f"{where} senate_stage: one of {', '.join(STAGES)}")
        senate_url = options.get("senate_base_url", DEFAULT_SENATE_BASE_URL)
        parts = urlsplit(senate_url) if isinstance(senate_url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"{where} senate_base_url: not an http(s) URL: {senate_url!r}")

    def crawl(self) -> Iterator[Record]:
        if self.options.get("mazhilis", True):
            yield from self._crawl_mazhilis()
        if self.options.get("senate", True):
            yield from self._crawl_senate()

    def _crawl_mazhilis(self) -> Iterator[Record]:
        fields = {**FIELDS, **self.options.get("fields", {})}
        stages = stage_table(self.options.get("status_stages", {}))
        size: int = self.options.get("page_size", DEFAULT_PAGE_SIZE)
        max_pages: int = self.options.get("max_pages", DEFAULT_MAX_PAGES)
        list_path = self.options.get("list_path", DEFAULT_LIST_PATH)
        seen: set[str] = set()
        offset = count = 0
        for _ in range(max_pages):
            # Never conditional: statuses change in the details, which an unchanged list
            # page (304) would otherwise hide.
            page = self.http.get(f"{self.base_url}{list_path}?limit={size}&offset={offset}",
                                 conditional=False)
            listing = parse_draft_law_list(page_text(page), page.url, fields)
            count = listing.count
            for bill_id in listing.ids:
                if bill_id not in seen:  # an item can shift pages while bills are added
                    seen.add(bill_id)
                    record = self._bill(bill_id, fields, stages)
                    if record is not None:
                        yield record
            offset += size
            if not listing.ids or offset >= count:
                return
        self.warn(f"Mazhilis: read {offset} of {count} draft laws; raise max_pages")

    def _bill(self, bill_id: str, fields: Mapping[str, str],
              stages: Mapping[str, str]) -> Record | None:
        path = self.options.get("detail_path", DEFAULT_DETAIL_PATH)
        url = self.base_url + path.replace("{id}", quote(bill_id, safe=""))
        try:
            page = self.http.get(url)
        except FetchError as exc:
            if exc.status != 404:
                raise
            # Listed but gone: the stored bill is kept as it was; say so instead of failing.
            self.warn(f"Mazhilis draft law {bill_id}: HTTP 404 at {exc.url}")
            return None
        if page.not_modified:
            self.pages_not_modified += 1
            return None
        record = parse_draft_law(page_text(page), page.url, fields, stages)
        if record.external_id != f"mazhilis:{bill_id}":
            raise LayoutChanged(fields["id"], page.url,
                                f"detail id {record.external_id!r} for listed id {bill_id!r}")
        if record.stage == "unknown" and record.status_raw not in self._warned:
            self._warned.add(record.status_raw)
            what = "no status" if record.status_raw is None else \
                f"unmapped status {record.status_raw!r}"
            self.warn(f"Mazhilis: {what} (first seen on {record.external_id}): kept with "
                      "stage 'unknown'; map it with the status_stages option")
        return replace(record, source=self.name, evidence=page.sha256)

    def _crawl_senate(self) -> Iterator[Record]:
        base = str(self.options.get("senate_base_url", DEFAULT_SENATE_BASE_URL)).rstrip("/")
        path = self.options.get("senate_path", DEFAULT_SENATE_PATH)
        stage = self.options.get("senate_stage", DEFAULT_SENATE_STAGE)
        seen: set[str] = set()
        pages: int = self.options.get("senate_max_pages", DEFAULT_SENATE_MAX_PAGES)
        for number in range(1, pages + 1):
            url = f"{base}{path}?{SENATE_PAGE_PARAM}={number}"
            try:
                # Never conditional: the end of the list is found by comparing page contents,
                # which a 304 would hide; the pages are few (senate_max_pages).
                page = self.http.get(url, conditional=False)
            except FetchError as exc:
                if exc.status == 404 and number > 1:
                    return  # ASSUMPTION (to verify live): a page past the end may be a 404
                raise
            records = parse_senate_page(page_text(page), page.url, stage)
            if not records and number == 1:
                raise LayoutChanged(SENATE_ROW_LINK, page.url, "no law-project rows")
            fresh = [r for r in records if r.external_id not in seen]
            # ASSUMPTION (to verify live): past the end the site shows no rows or repeats its
            # last page; either way nothing new means the end of the list.
            if not fresh:
                return
            for record in fresh:
                seen.add(record.external_id)
                yield replace(record, source=self.name, evidence=page.sha256)

