"""ИПС «Әділет» (Ministry of Justice legal database), read on the legacy host old.adilet.zan.kz.

Identity is the NGR (state registration number, e.g. ``K1500000375``; older ones end in ``_``),
kept exactly as the site writes it. Reading plan (SOURCES.md §2.10): tracked acts are re-read
(header, ``/info``, ``/history``) to see amendments and repeal; topic searches sorted by
modification date and the «Последние документы» RSS feed find new acts.

The new host adilet.zan.kz is a JavaScript SPA that serves no act text to non-JS clients and
whose robots.txt forbids ``/api/`` and ``/search``: every parser reports its shell as
NoContent, and ``crawl`` refuses that host outright.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar
from urllib.parse import quote, unquote, urlsplit

from bs4 import BeautifulSoup, Tag

from sources._guards import join_url, refuse_nesting, split_url
from sources.base import Source, select_many, select_one, soup_of, text_of
from tracker.errors import ConfigError, FetchError, LayoutChanged, NoContent, UsageError
from tracker.models import STAGES, Record

KEY = "kz_adilet"

#: ``span.status.status_<code>`` → stage (SOURCES.md §2.7); only these four codes were seen.
#: The search facet groups ``stp`` with ``yts`` («Прекративший действие») but no ``status_stp``
#: span was ever saved, and the class of a not-yet-in-force act is unknown: other codes give
#: stage "unknown" (raw code kept) until a user maps them with the ``status_stages`` option.
STATUS_STAGES: Mapping[str, str] = {
    "new": "in_force",  # «Новый» / «Жаңа»: never amended
    "upd": "amended",  # «Обновленный» / «Жаңартылған»
    "err": "in_force",  # «Исправление ошибки» (seen on K1500000375)
    "yts": "repealed",  # «Утративший силу» / «Күшін жойған»
}
NO_STATUS_STAGE = "in_force"  # no status span: the site's way of saying "in force"

#: ``/info`` labels feeding a tracked act's record. From third-party scraper code, not from a
#: saved page: the ``info_labels`` option overrides them if the site says otherwise.
INFO_LABELS: Mapping[str, str] = {
    "adopted": "Дата принятия акта",
    "modified": "Дата изменения акта",
    "issuing_body": "Орган, принявший акт",
}

#: Acts seeded from LEGISLATION.md §5 (its high-confidence codes only).
DEFAULT_TRACKED: tuple[str, ...] = (
    "K2600000000",  # Constitution 2026
    "K950001000_",  # Constitution 1995
    "Z090000214_",  # Law «О профилактике бытового насилия»
    "K1400000226",  # Criminal Code
    "K1400000235",  # Code of Administrative Offences
    "K1500000414",  # Labour Code
    "Z980000248_",  # CEDAW accession
    "Z010000220_",  # OP-CEDAW ratification
    "Z2300000047",  # OP3-CRC ratification
)
DEFAULT_LANGUAGES = ("rus", "kaz")
LANGUAGES: Mapping[str, str] = {"rus": "ru", "kaz": "kk", "eng": "en"}
NEW_HOSTS = frozenset({"adilet.zan.kz", "www.adilet.zan.kz"})
PAGESIZE = 50
#: How many rows of table#ethernatable a row may sit inside (see _table_rows).
MAX_ROW_NESTING = 8

SERP = "div.serp > div.post_holder"
RESULT_LINK = "h4.post_header > a[href]"
HIT_COUNT = "span.onlyprint"  # «Найдено: <strong>211</strong> документов» (kk «Табылды»)
DOC_TITLE = "div.container_alpha.slogan h1"
DOC_REQUISITES = "div.container_alpha.slogan > p"
SELECTED_TAB = "div#tabs_container li.selected a[href]"
TABLE_ROWS = "table#ethernatable tr"

# NGRs seen are upper-case Latin letters, digits and "_"; requiring an upper-case first letter
# keeps /rus/docs/rss out. Used to recognise NGRs only, never to rewrite them.
_DOC_PATH = re.compile(r"(?:/(rus|kaz|eng))?/docs/([A-Z][A-Za-z0-9_]*)(/[^?#]*)?$")
_HITS = re.compile(r"(?:Найдено|Табылды)\s*:?\s*(\d[\d\s]*)")
_DMY = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_RU_DATE = re.compile(r"\bот\s+(\d{1,2})\s+([а-яё]+)\s+(\d{4})", re.IGNORECASE)
_KK_DATE = re.compile(r"(\d{4})\s+жылғы\s+(\d{1,2})\s+([^\W\d_]+)", re.IGNORECASE)
_RU_MONTHS = "января февраля марта апреля мая июня июля августа сентября октября ноября декабря"
# Kazakh month names carry case endings in prose («қазандағы», «сәуірдегі»): match the stem.
_KK_MONTHS = "қаңтар ақпан наурыз сәуір мамыр маусым шілде тамыз қыркүйек қазан қараша желтоқсан"
# Each comment is an atomic group: with a backtracking ``.*?`` a page starting with 30 empty
# comments took 2**30 steps to refuse.
_RSS_START = re.compile(r"\s*(?:<\?xml[^>]*>\s*)?(?:(?><!--.*?-->)\s*)*<rss\b", re.DOTALL)
# ``[^<>]*``, not ``[^>]*``: each scan stops at the next tag, so a page of unclosed
# ``<div `` tags is read in linear time (it was quadratic: 72 s for 100 KB).
_SPA_ROOT = re.compile(r"<div[^<>]*\bid\s*=\s*[\"']root[\"']")
# Kazakhstan has used a single time zone, UTC+5, since 2024 (SOURCES.md §7, marked [guess]).
_KZ_TIME = timezone(timedelta(hours=5))


def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _iso(day: int, month: int, year: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _month(word: str, names: str) -> int:
    return next((i for i, name in enumerate(names.split(), 1) if word.lower().startswith(name)), 0)


def prose_date(text: str) -> str | None:
    """The first «от 29 октября 2015 года» (ru) or «2015 жылғы 29 қазандағы» (kk) date, ISO."""
    hits = [
        (m.start(), int(m[1]), _month(m[2], _RU_MONTHS), int(m[3])) for m in _RU_DATE.finditer(text)
    ]
    hits += [
        (m.start(), int(m[2]), _month(m[3], _KK_MONTHS), int(m[1])) for m in _KK_DATE.finditer(text)
    ]
    for _, day, month, year in sorted(hits):
        if month and (iso := _iso(day, month, year)):
            return iso
    return None


def dmy_to_iso(value: str) -> str | None:
    """A whole ``dd.mm.yyyy`` value → ``YYYY-MM-DD``; None for anything else."""
    m = _DMY.fullmatch(value.strip())
    return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def detect_spa_shell(html: str, url: str) -> None:
    """Raise NoContent for the new host's React shell (``div#root``, SEO marker or noscript,
    and no ``<article>``): a page without content, not an empty act."""
    lowered = html.lower()
    has_root = _SPA_ROOT.search(lowered) is not None
    marker = "<!--seo_body-->" in lowered or "<noscript" in lowered
    if has_root and marker and "<article" not in lowered:
        raise NoContent(url, "adilet.zan.kz JavaScript shell without act text")


def _doc_link(href: str, base: str) -> tuple[str, str, str | None, str] | None:
    """(act URL, NGR, language, sub-page) of a link to ``/{lang}/docs/{NGR}[/sub]``, else None."""
    joined = join_url(base, href)
    parts = split_url(joined) if joined is not None else None
    m = _DOC_PATH.search(parts.path) if parts is not None else None
    if parts is None or m is None:
        return None
    page = split_url(base)
    lang = m.group(1) or (page.path if page else "").strip("/").split("/", 1)[0]
    act_path = parts.path[: m.start(3)] if m.group(3) else parts.path
    act_url = f"{parts.scheme}://{parts.netloc}{act_path}" if parts.netloc else act_path
    return act_url, m.group(2), LANGUAGES.get(lang), (m.group(3) or "").strip("/")


def _status(node: Tag, stages: Mapping[str, str]) -> tuple[str | None, str | None, str]:
    """(``status_<code>`` suffix, status text, stage) of the ``span.status`` under ``node``."""
    span = node.select_one("span.status")
    if span is None:
        return None, None, NO_STATUS_STAGE
    classes = [str(c) for c in span.get_attribute_list("class")]
    code = next((c[len("status_") :] for c in classes if c.startswith("status_")), None)
    return code, text_of(span) or None, stages.get(code or "", "unknown")


def _hit_count(soup: BeautifulSoup) -> int | None:
    for node in soup.select(HIT_COUNT):
        m = _HITS.search(text_of(node))
        if m:
            digits = re.sub(r"\s", "", m.group(1))
            # A run longer than any hit count is no count (int() refuses 4,300 digits).
            return int(digits) if len(digits) <= 18 else None
    return None


def _act(
    ngr: str, title: str, url: str, language: str | None, details: dict[str, Any], **kw: Any
) -> Record:
    requisites = details.get("requisites") or details.get("description")
    adopted = prose_date(requisites) if requisites else None
    if adopted:
        details["adopted"] = adopted
    return Record(KEY, ngr, _clean(title), url, "act", language=language, details=details, **kw)


def parse_search_results(
    html: str, url: str, stages: Mapping[str, str] = STATUS_STAGES
) -> list[Record]:
    """Records of a legacy search page; [] only when the hit count says 0."""
    detect_spa_shell(html, url)
    soup = soup_of(html)
    holders = soup.select(SERP)
    refuse_nesting(holders, SERP, url)  # results are siblings: nested ones are broken markup
    if not holders:
        hits = _hit_count(soup)
        if hits == 0:
            return []
        raise LayoutChanged(SERP, url, "no hit count" if hits is None else f"{hits} hits")
    records = []
    for holder in holders:
        link = select_one(holder, RESULT_LINK, url)
        if (found := _doc_link(str(link.get("href")), url)) is None:
            raise LayoutChanged(RESULT_LINK, url, f"not an act link: {link.get('href')!r}")
        act_url, ngr, lang, _ = found
        code, status_raw, stage = _status(holder, stages)
        details: dict[str, Any] = {"status_class": code, "requisites": None}
        if isinstance(p := holder.find("p", recursive=False), Tag):
            details["requisites"] = _clean(text_of(p))
        if isinstance(quote_ := holder.find("blockquote", recursive=False), Tag):
            details["snippet"] = _clean(text_of(quote_))
        act = _act(ngr, text_of(link), act_url, lang, details, stage=stage, status_raw=status_raw)
        records.append(act)
    return records


def parse_document_header(html: str, url: str, stages: Mapping[str, str] = STATUS_STAGES) -> Record:
    """The act from a legacy ``/{lang}/docs/{NGR}`` page: h1 title, status span, requisites."""
    detect_spa_shell(html, url)
    soup = soup_of(html)
    title = select_one(soup, DOC_TITLE, url)
    requisites = _clean(text_of(select_one(soup, DOC_REQUISITES, url)))
    found = _doc_link(url, url)
    if found is None:  # a saved page under another name: the selected tab names the act
        found = _doc_link(str(select_one(soup, SELECTED_TAB, url).get("href")), url)
        if found is None:
            raise LayoutChanged(SELECTED_TAB, url, "not an act link")
    act_url, ngr, language, _ = found
    code, status_raw, stage = _status(title.parent or soup, stages)
    details = {"status_class": code, "requisites": requisites}
    return _act(ngr, text_of(title), act_url, language, details, stage=stage, status_raw=status_raw)


def parse_rss(xml: str, url: str) -> list[Record]:
    """Records of the RSS feed ``/rus/docs/rss`` (or a search's ``&rss=true`` feed).

    NOT verified against a saved feed (none exists): the item layout is assumed to be standard
    RSS 2.0 (``item > title, link, pubDate, description``), the NGR taken from ``link``. Items
    whose link is no ``/docs/{NGR}`` page are skipped; if no item has one, LayoutChanged.
    """
    detect_spa_shell(xml, url)
    try:  # ElementTree (expat) resolves no external entities, unlike lxml's XML defaults
        root = ET.fromstring(xml.lstrip("\ufeff"))
    except ET.ParseError as exc:
        raise LayoutChanged("rss > channel", url, f"not well-formed XML: {exc}") from exc
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise LayoutChanged("rss > channel", url)
    items = channel.findall("item")
    records = []
    for item in items:
        found = _doc_link((item.findtext("link") or "").strip(), url)
        if found is None:
            continue
        details: dict[str, Any] = {"published": _rfc822_date(item.findtext("pubDate"))}
        description = (item.findtext("description") or "").strip()
        if description:  # RSS descriptions often carry escaped HTML
            text = text_of(soup_of(description)) if "<" in description else description
            details["description"] = _clean(text)
        records.append(_act(found[1], item.findtext("title") or "", found[0], found[2], details))
    if items and not records:
        raise LayoutChanged("rss > channel > item > link", url, "no item links to /docs/{NGR}")
    return records


def _rfc822_date(value: str | None) -> str | None:
    try:
        when = parsedate_to_datetime((value or "").strip())
        local = when.astimezone(_KZ_TIME) if when.tzinfo else when
    except (TypeError, ValueError, OverflowError):  # Overflow: a day or year past datetime's
        return None
    return local.date().isoformat()


def _table_rows(html: str, url: str) -> list[Tag]:
    detect_spa_shell(html, url)
    rows = select_many(soup_of(html), TABLE_ROWS, url)
    # Rows inside rows are read again at every level (300 nested tables: 9 s); a few levels
    # are tolerated, the synthetic shape of these pages being unverified.
    refuse_nesting(rows, TABLE_ROWS, url, limit=MAX_ROW_NESTING)
    return rows


def parse_info(html: str, url: str) -> dict[str, str]:
    """``/info`` metadata, label → value, with ``dd.mm.yyyy`` values as ISO dates.

    SYNTHETIC shape (no real /info page was saved): a two-column ``table#ethernatable`` as
    described by third-party scraper code (SOURCES.md §2.7). Labels are kept as written
    (whitespace collapsed, a final ":" dropped).
    """
    info = {}
    for row in _table_rows(html, url):
        cells = [_clean(text_of(c)) for c in row.find_all(["td", "th"])]
        if len(cells) == 2 and cells[0]:
            info[cells[0].rstrip(":").strip()] = dmy_to_iso(cells[1]) or cells[1]
    if not info:
        raise LayoutChanged(TABLE_ROWS, url, "no two-column row")
    return info


def parse_history_count(html: str, url: str) -> int:
    """Number of change entries on ``/history``: the data rows of ``table#ethernatable``.

    SYNTHETIC shape (no real page was saved): the header row («№», «Заголовок», …) may use
    ``th`` or ``td`` cells, so a row counts when it has ``td`` cells and does not start with «№».
    """
    count = 0
    for row in _table_rows(html, url):
        cells = row.find_all(["td", "th"])
        if row.find("td") is not None and _clean(text_of(cells[0])) != "№":
            count += 1
    return count


@dataclass(frozen=True)
class _Body:
    """A fetched page with a body (not a 304)."""

    url: str
    text: str
    sha256: str


class KzAdilet(Source):
    """Acts of the Republic of Kazakhstan in ИПС «Әділет» (legacy server-rendered host)."""

    key = KEY
    title = "ИПС «Әділет» — legal acts (old.adilet.zan.kz)"
    default_base_url = "https://old.adilet.zan.kz"
    option_names: ClassVar[frozenset[str]] = frozenset(
        {"rss", "searches", "languages", "tracked", "status_stages", "info_labels"}
    )

    _stages: Mapping[str, str] = STATUS_STAGES  # set per crawl (with status_stages)

    @classmethod
    def check_options(cls, options: Mapping[str, Any], where: str) -> None:
        """Types and values of this source's options; one ConfigError per problem."""
        super().check_options(options, where)
        if not isinstance(options.get("rss", True), bool):
            raise ConfigError(f"{where}: rss: expected true or false")
        allowed: dict[str, Callable[[str], bool]] = {
            "searches": bool,
            "languages": lambda v: v in LANGUAGES,
            "tracked": lambda v: re.fullmatch(r"[A-Z][A-Za-z0-9_]+", v) is not None,
        }
        for name, ok in allowed.items():
            value = options.get(name, [])
            if not isinstance(value, list) or not all(isinstance(v, str) and ok(v) for v in value):
                raise ConfigError(f"{where}: {name}: bad value {value!r}")
        stages, labels = options.get("status_stages", {}), options.get("info_labels", {})
        if not isinstance(stages, dict) or any(v not in STAGES for v in stages.values()):
            raise ConfigError(f"{where}: status_stages: values must be stages: {stages!r}")
        if not isinstance(labels, dict) or any(
            k not in INFO_LABELS or not isinstance(v, str) for k, v in labels.items()
        ):
            raise ConfigError(f"{where}: info_labels: keys are {', '.join(INFO_LABELS)}")

    @classmethod
    def parse(cls, text: str, url: str) -> list[Record]:
        """Dispatch on the URL (then the content): search page, RSS feed or act page."""
        detect_spa_shell(text, url)
        parts = split_url(url)
        if parts is None:
            raise UsageError(f"--url: not a URL: {url!r}")
        path = unquote(parts.path)
        if path.endswith("/docs/rss") or "rss=true" in path or _RSS_START.match(text):
            return parse_rss(text, url)
        if "/search/docs" in path:
            return parse_search_results(text, url)
        found = _doc_link(url, url)
        if found and found[3] in ("info", "history"):
            raise UsageError(
                f"{url}: /info and /history are merged into the act record by a "
                "scrape; parse the act page /{lang}/docs/{NGR} instead"
            )
        if found is None and soup_of(text).select_one(f"{SERP}, {HIT_COUNT}") is not None:
            return parse_search_results(text, url)
        return [parse_document_header(text, url)]

    def crawl(self) -> Iterator[Record]:
        """Tracked acts first (the fullest record), then searches, then RSS; each NGR once."""
        if urlsplit(self.base_url).hostname in NEW_HOSTS:
            # Refused up front rather than left to NoContent: the new host serves a JS shell
            # without act text, and its robots.txt disallows /api/ and /search anyway.
            raise ConfigError(
                f"{self.key}: base_url {self.base_url} is the «Әділет 2.0» JavaScript app, which "
                "serves no act text to scrapers; use the legacy host https://old.adilet.zan.kz"
            )
        self._stages = {**STATUS_STAGES, **self.options.get("status_stages", {})}
        seen: set[str] = set()
        for ngr in self.options.get("tracked", DEFAULT_TRACKED):
            if (record := self._tracked(ngr)) is not None:
                yield from self._once(record, seen)
            seen.add(ngr)  # followed through its own pages: no thinner record from a listing
        for lang in self.options.get("languages", DEFAULT_LANGUAGES):
            for query in self.options.get("searches", []):
                url = (
                    f"{self.base_url}/{lang}/search/docs/fulltext={quote(query, safe='')}"
                    f"&sort_field=dl&sort_desc=true&pagesize={PAGESIZE}&page=1"
                )
                if page := self._get(url):
                    for found in parse_search_results(page.text, page.url, self._stages):
                        yield from self._once(replace(found, evidence=page.sha256), seen)
        if self.options.get("rss", True) and (page := self._get(f"{self.base_url}/rus/docs/rss")):
            for found in parse_rss(page.text, page.url):
                yield from self._once(replace(found, evidence=page.sha256), seen)

    def _once(self, record: Record, seen: set[str]) -> Iterator[Record]:
        """Yield ``record`` unless its NGR was already yielded this run (warn on odd codes)."""
        if record.external_id in seen:
            return
        if record.language not in (None, "ru") and record.external_id in self.known_ids:
            # A known act found again on a kk/en page: yielding it would swap the stored
            # (Russian) title and language back and forth between runs; its status is followed
            # through the Russian pages (tracked acts, ru searches).
            return
        seen.add(record.external_id)
        code = record.details.get("status_class")
        if code and code not in self._stages:
            self.warn(
                f"unknown status class status_{code} at {record.url}: stage 'unknown' "
                "(map it with the status_stages option)"
            )
        yield record

    def _get(self, url: str, *, conditional: bool = True) -> _Body | None:
        """The page's body, or None when it answered 304 Not Modified (counted)."""
        page = self.http.get(url, conditional=conditional)
        if page.not_modified:
            self.pages_not_modified += 1
            return None
        if page.text is None:
            raise NoContent(page.url, "empty response body")
        return _Body(page.url, page.text, page.sha256)

    def _tracked(self, ngr: str) -> Record | None:
        """One act re-read from its text page header, ``/info`` and ``/history``, merged."""
        base = f"{self.base_url}/rus/docs/{ngr}"
        urls = (base, f"{base}/info", f"{base}/history")
        try:
            pages = [self._get(u) for u in urls]
            if all(p is None for p in pages):
                return None  # all three unchanged since the last successful run
            # Something changed: the record is rebuilt whole, so re-read the 304 pages in full.
            full = [p or self._get(u, conditional=False) for p, u in zip(pages, urls, strict=True)]
            head, info, history = (p for p in full if p is not None)
        except FetchError as exc:
            if exc.status != 404:
                raise
            self.warn(f"tracked act {ngr}: HTTP 404 at {exc.url}")
            return None
        record = parse_document_header(head.text, head.url, self._stages)
        facts = parse_info(info.text, info.url)
        labels = {**INFO_LABELS, **self.options.get("info_labels", {})}
        details = {
            "status_class": record.details["status_class"],
            "requisites": record.details["requisites"],
            "adopted": facts.get(labels["adopted"]) or record.details.get("adopted"),
            "modified": facts.get(labels["modified"]),
            "issuing_body": facts.get(labels["issuing_body"]),
            "history_entries": parse_history_count(history.text, history.url),
        }
        # The act's adoption date and issuing body fill the common fields, so views and
        # linking treat an act like any other document.
        return replace(record, details=details, evidence=head.sha256,
                       created=details["adopted"], agency=details["issuing_body"])
