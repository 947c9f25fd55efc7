"""UN treaty bodies' master calendar: upcoming reporting deadlines for one state.

Structure (../shared/SOURCES.md §8.6; no real page is saved, so the tests use a synthetic one
built from this description): ``MasterCalendar.aspx?Lang=en`` is a plain HTML table of about
50 rows, ``region | country | treaty | document ("State party's report", "List of issues") |
due date "dd Mon yyyy"``. The column order is an option (``columns``) because it was only
described, not saved.

One deadline document per (country, treaty, document): its due date is
``Record.discussion_until`` — the field the dashboard, digests and calendar export read as
"the deadline" — so a moved date is one ``deadline_changed`` event. A row that leaves the
calendar (report submitted, deadline passed) leaves the stored document as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from sources._guards import refuse_nesting
from sources.base import Source, soup_of, text_of
from tracker.errors import ConfigError, LayoutChanged
from tracker.models import Record

KEY = "un_treaty_deadlines"
CALENDAR_PATH = "/_layouts/15/TreatyBodyExternal/MasterCalendar.aspx?Lang=en"
COLUMNS = ("region", "country", "treaty", "document", "due")
_DUE = re.compile(r"^(\d{1,2})\s+([A-Za-z]{3})[a-z]*\.?\s+(\d{4})$")
MAX_ROW_NESTING = 8
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def parse_due(value: str) -> str | None:
    """``"01 Nov 2027"`` (or ``"1 November 2027"``) → ``2027-11-01``; anything else → None."""
    match = _DUE.match(" ".join(value.replace("\xa0", " ").split()))
    if not match or match.group(2).lower() not in _MONTHS:
        return None
    try:
        return date(int(match.group(3)), _MONTHS.index(match.group(2).lower()) + 1,
                    int(match.group(1))).isoformat()
    except ValueError:
        return None


def parse_calendar(
    html: str, url: str, *, countries: tuple[str, ...] = ("Kazakhstan",),
    treaties: tuple[str, ...] = (), columns: tuple[str, ...] = COLUMNS,
) -> tuple[list[Record], list[str]]:
    """Deadline records for ``countries`` (all treaties, or only ``treaties``) and warnings.
    LayoutChanged when the page holds no calendar row at all."""
    soup = soup_of(html)
    width = len(columns)
    rows: list[dict[str, str]] = []
    rows_found = soup.select("tr")
    # Layout tables put rows inside rows a few levels deep; deeper nesting is broken or
    # hostile markup, whose cells' text would be read again at every level (quadratic: 20 s
    # for 150 KB).
    refuse_nesting(rows_found, "tr", url, limit=MAX_ROW_NESTING)
    for tr in rows_found:
        cells = [text_of(td) for td in tr.find_all("td", recursive=False)]
        if len(cells) >= width:
            rows.append(dict(zip(columns, cells, strict=False)))
    if not rows:
        raise LayoutChanged(f"table tr with {width} td cells", url)
    wanted = {c.casefold() for c in countries}
    only = {t.casefold() for t in treaties}
    records: list[Record] = []
    undated: list[str] = []
    dated = 0
    for row in rows:
        due = parse_due(row.get("due", ""))
        if due is None:
            if re.search(r"\d", row.get("due", "")):  # not a header or an empty cell
                undated.append(row.get("due", ""))
            continue
        dated += 1
        country, treaty, document = row["country"], row["treaty"], row["document"]
        if country.casefold() not in wanted or (only and treaty.casefold() not in only):
            continue
        records.append(Record(
            source=KEY,
            external_id=f"{country}:{treaty}:{document}",
            title=f"{treaty}: {document} — {country}",
            url=url,
            kind="deadline",
            status_raw=None,
            doc_type=document,
            discussion_until=due,
            agency=treaty,
            language="en",
            details={"region": row.get("region", ""), "country": country, "treaty": treaty,
                     "document": document},
        ))
    if not dated:
        example = f"none parsed, e.g. {undated[0]!r}" if undated else "none parsed"
        raise LayoutChanged("due date cells (dd Mon yyyy)", url, example)
    warnings = [f"{len(undated)} calendar row(s) without a readable due date, e.g. "
                f"{undated[0]!r}"] if undated else []
    return records, warnings


class UnTreatyDeadlines(Source):
    """Reporting deadlines of one state before the UN treaty bodies."""

    key = KEY
    title = "UN treaty bodies — reporting deadlines (master calendar)"
    default_base_url = "https://tbinternet.ohchr.org"
    option_names = frozenset({"countries", "treaties", "columns"})
    # The calendar lists ~50 deadlines worldwide: often none is Kazakhstan's.
    may_be_empty = True

    @classmethod
    def parse(cls, text: str, url: str) -> list[Record]:
        return parse_calendar(text, url)[0]

    @classmethod
    def check_options(cls, options: Mapping[str, Any], where: str) -> None:
        super().check_options(options, where)
        for name in ("countries", "treaties"):
            value = options.get(name, [])
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise ConfigError(f"{where} {name}: a list of non-empty strings")
        columns = options.get("columns", list(COLUMNS))
        if not isinstance(columns, list) or sorted(
                c for c in columns if c != "skip") != sorted(COLUMNS):
            raise ConfigError(f"{where} columns: the cell order, naming each of "
                              f"{', '.join(COLUMNS)} once (\"skip\" for other cells)")

    def crawl(self) -> Iterator[Record]:
        page = self.http.get(f"{self.base_url}{CALENDAR_PATH}")
        if page.not_modified or page.text is None:
            self.pages_not_modified += 1
            return
        records, warnings = parse_calendar(
            page.text, page.url,
            countries=tuple(self.options.get("countries", ["Kazakhstan"])),
            treaties=tuple(self.options.get("treaties", [])),
            columns=tuple(self.options.get("columns", COLUMNS)),
        )
        for warning in warnings:
            self.warn(warning)
        for record in records:
            yield replace(record, source=self.name, evidence=page.sha256)
