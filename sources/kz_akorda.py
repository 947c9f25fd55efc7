"""akorda.kz (the President's site): the news RSS feed and the legal-acts list.

Structure: ../shared/SOURCES.md §5.1 and §7. No response of this site was ever saved:

- the feed ``/ru/rss`` is known only because a third-party bot consumed it; its item layout is
  ASSUMED to be standard RSS 2.0 (``rss > channel > item > title, link, pubDate,
  description``), like every feed ``rss-parser`` reads;
- the list ``/ru/legal_acts`` is known from an older scraper (~2022): ``h3 > a`` (title and a
  relative href) and ``h5`` (a date like «12 января 2022 года»). Both selectors are options,
  because that evidence is old.

Identity (SOURCES.md §7): the numeric tail of the URL (``/ru/glava-gosudarstva-…-483750``), or,
for URLs without one (``/ru/legal_acts/decrees/<slug>``), the path below the language segment.

Stages. An announcement whose title matches a signature pattern («подписал Закон»,
«Заңға қол қойды») gets stage ``signed`` and ``details["signed_law_title"]``: the text inside
«…» after «Закон (Республики Казахстан)» (Russian) or before «(Қазақстан Республикасының)
Заңына/Заңға» (Kazakh). The linking step uses that title to find the bill. Every other
announcement is news, which has no lifecycle: its stage stays ``unknown`` and, unlike an
unmapped status, that is no warning. Entries of the legal-acts list are acts the President
issued, so they get the ``legal_act_stage`` option (default ``signed``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any
from urllib.parse import unquote, urlsplit

import soupsieve
from lxml import etree

from sources._guards import join_url, refuse_nesting
from sources.base import Source, select_many, soup_of, text_of
from tracker.errors import ConfigError, LayoutChanged
from tracker.models import STAGES, Record

KEY = "kz_akorda"

RSS_PATH = "/ru/rss"
LEGAL_ACTS_PATH = "/ru/legal_acts"
#: RSS 2.0 element names the parser relies on (assumed standard RSS 2.0, see the docstring).
RSS_FIELDS: Mapping[str, str] = {
    "root": "rss", "channel": "channel", "item": "item", "title": "title", "link": "link",
    "date": "pubDate", "description": "description",
}
#: Legal-acts list selectors (older scraper, ~2022): override with the ``selectors`` option.
LIST_SELECTORS: Mapping[str, str] = {"link": "h3 > a[href]", "date": "h5"}
#: Title patterns of a signature announcement (case-insensitive). Russian «подписал Закон»
#: and Kazakh «Заңға қол қойды» come from SOURCES.md §5.1; ``заң\w*`` also accepts the other
#: case forms Kazakh grammar gives the word (Заңына, Заңдарға) — an inference, not a sighting.
SIGNATURE_PATTERNS: tuple[str, ...] = (r"подписал\s+закон", r"заң\w*\s+қол\s+қойды")
LEGAL_ACT_STAGE = "signed"
#: How many list entries (title links, dates) an entry may sit inside (see parse_legal_acts).
MAX_NESTING = 8

_RU_MONTHS = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
              "сентября", "октября", "ноября", "декабря")
_RU_DATE = re.compile(r"(\d{1,2})\s+([а-яё]+)\s+(\d{4})", re.IGNORECASE)
_NUMERIC_TAIL = re.compile(r"(?:^|[-/_])(\d+)$")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# A Russian law reference just before «: «Закон», «Закон Республики Казахстан», optionally
# «от 30 декабря 2025 года № 250-VIII» (the form an act's own title takes).
_RU_LAW_BEFORE = re.compile(
    r"закон\w*(?:\s+республики\s+казахстан)?(?:\s+от\s+\d{1,2}\s+\w+\s+\d{4}\s+года)?"
    r"(?:\s+№\s*\S+)?\s*$",
    re.IGNORECASE,
)
_KK_LAW_AFTER = re.compile(r"^\s*(?:қазақстан\s+республикасының\s+)?заң", re.IGNORECASE)
_LAW_TITLE_START = re.compile(r"^\s*закон\b", re.IGNORECASE)
# Kazakhstan has used a single time zone, UTC+5, since 2024 (SOURCES.md §7, marked [guess]).
_KZ_TIME = timezone(timedelta(hours=5))
# Feed parsing never resolves entities and never touches the network: a hostile feed cannot
# expand a "billion laughs" DTD or read local files (lxml's defaults would resolve them).
_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
)


def clean(text: str) -> str:
    """Whitespace collapsed, NFC. Markup characters stay as they are: titles are plain text."""
    return unicodedata.normalize("NFC", " ".join(text.split()))


def ru_date(text: str) -> str | None:
    """«12 января 2022 года» → ``2022-01-12``; None when there is no such date."""
    for match in _RU_DATE.finditer(text):
        month = match.group(2).lower()
        if month in _RU_MONTHS:
            try:
                return date(int(match.group(3)), _RU_MONTHS.index(month) + 1,
                            int(match.group(1))).isoformat()
            except ValueError:
                return None
    return None


def external_id(url: str) -> str | None:
    """The URL's trailing numeric id, else its path below the language segment."""
    path = unquote(urlsplit(url).path).strip("/")
    if not path:
        return None
    numeric = _NUMERIC_TAIL.search(path)
    if numeric:
        return numeric.group(1)
    parts = path.split("/")
    if parts[0] in ("ru", "kz", "kk", "en") and len(parts) > 1:
        parts = parts[1:]
    return "/".join(parts)


def _language(url: str) -> str | None:
    first = urlsplit(url).path.strip("/").split("/")[0]
    # The site's Kazakh path segment was not recorded: accept both spellings.
    return {"ru": "ru", "en": "en", "kk": "kk", "kz": "kk"}.get(first)


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every top-level «…» span; nested «» stay inside (law titles nest them:
    «О внесении изменений в Закон «О браке»»). An unclosed span is dropped."""
    spans: list[tuple[int, int]] = []
    depth, start = 0, 0
    for index, char in enumerate(text):
        if char == "«":
            if depth == 0:
                start = index
            depth += 1
        elif char == "»" and depth:
            depth -= 1
            if depth == 0:
                spans.append((start, index + 1))
    return spans


#: How far before and after a «…» span the law reference is looked for. «Закон Республики
#: Казахстан от 30 декабря 2025 года № 250-VIII» is 61 characters; a bounded window keeps a
#: hostile title of many «» spans linear (searching the whole prefix was quadratic: 108 s for
#: a 160 KB title).
_LAW_WINDOW = 200


def law_titles(text: str) -> list[str]:
    """Titles inside «…» that follow «Закон …» (ru) or precede «… Заңына» (kk), in order."""
    titles: dict[str, None] = {}  # ordered, with constant-time membership
    for start, end in quoted_spans(text):
        before = text[max(0, start - _LAW_WINDOW):start]
        if _RU_LAW_BEFORE.search(before) or _KK_LAW_AFTER.match(text[end:end + _LAW_WINDOW]):
            title = clean(text[start + 1:end - 1])
            if title:
                titles.setdefault(title)
    return list(titles)


@dataclass(frozen=True)
class Rules:
    """What turns an item into a signature, and the stage of legal-acts entries."""

    signature: tuple[re.Pattern[str], ...]
    legal_act_stage: str = LEGAL_ACT_STAGE

    @classmethod
    def default(cls) -> Rules:
        """The built-in patterns."""
        return cls(tuple(re.compile(p, re.IGNORECASE) for p in SIGNATURE_PATTERNS))


def _record(title: str, url: str, created: str | None, rules: Rules,
            description: str = "") -> Record:
    """One announcement or legal act; signature detection on the title (law titles from the
    title, else from the description: a «подписал ряд законов» title names none)."""
    is_act = "/legal_acts/" in urlsplit(url).path  # by URL, so the feed and list agree
    ext_id = external_id(url)
    assert ext_id is not None
    details: dict[str, Any] = {}
    if description:
        details["description"] = description
    stage, status_raw = (rules.legal_act_stage if is_act else "unknown"), None
    hit = next((m for p in rules.signature if (m := p.search(title))), None)
    titles: list[str] = []
    if hit is not None:
        stage, status_raw = "signed", clean(hit.group(0))
        titles = law_titles(title) or law_titles(description)
    elif is_act and _LAW_TITLE_START.match(title):
        titles = law_titles(title)
    if titles:
        details["signed_law_title"] = titles[0]
        if len(titles) > 1:
            details["signed_law_titles"] = titles
    doc_type = None
    if is_act:
        parts = urlsplit(url).path.strip("/").split("/")
        after = parts[parts.index("legal_acts") + 1:]
        doc_type = after[0] if len(after) > 1 else None  # /legal_acts/<category>/<slug>
    return Record(
        source=KEY, external_id=ext_id, title=title, url=url,
        kind="legal_act" if is_act else "announcement", stage=stage, status_raw=status_raw,
        doc_type=doc_type, created=created, language=_language(url), details=details,
    )


def parse_rss(xml: str, url: str, rules: Rules | None = None) -> list[Record]:
    """Records of the RSS feed. LayoutChanged when it is not RSS 2.0, or when items exist but
    none links to a page with an id."""
    rules = rules or Rules.default()
    # lxml refuses str input that declares an encoding; the fetcher has already decoded it.
    text = _XML_DECLARATION.sub("", xml.lstrip("\ufeff"), count=1)
    try:
        root = etree.fromstring(text, _XML_PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise LayoutChanged("rss > channel", url, f"not well-formed XML: {exc}") from exc
    channel = root.find(RSS_FIELDS["channel"])
    if root.tag != RSS_FIELDS["root"] or channel is None:
        raise LayoutChanged("rss > channel", url, f"root element <{root.tag}>")
    items = channel.findall(RSS_FIELDS["item"])
    records = []
    for item in items:
        link = clean(_text(item, RSS_FIELDS["link"]))
        absolute = (join_url(url, link) or "") if link else ""
        if not absolute.startswith(("http://", "https://")) or external_id(absolute) is None:
            continue
        description = _text(item, RSS_FIELDS["description"])
        if "<" in description:  # descriptions often carry escaped HTML
            description = text_of(soup_of(description))
        created = _rfc822_date(_text(item, RSS_FIELDS["date"]))
        records.append(_record(clean(_text(item, RSS_FIELDS["title"])), absolute, created,
                               rules, clean(description)))
    if items and not records:
        raise LayoutChanged("rss > channel > item > link", url, "no item links to a page")
    return records


def _text(item: Any, tag: str) -> str:
    """All text of a child element (entity references are left out, never expanded)."""
    child = item.find(tag)
    return "".join(child.itertext()) if child is not None else ""


def _rfc822_date(value: str) -> str | None:
    try:
        when = parsedate_to_datetime(value.strip())
        local = when.astimezone(_KZ_TIME) if when.tzinfo else when
    except (TypeError, ValueError, OverflowError):  # Overflow: a day or year past datetime's
        return None
    return local.date().isoformat()


def parse_legal_acts(html: str, url: str, selectors: Mapping[str, str] = LIST_SELECTORS,
                     rules: Rules | None = None) -> list[Record]:
    """Entries of the legal-acts list. Titles and dates are paired in document order, as the
    older scraper did; a different number of dates than titles means the layout moved. An
    empty ``date`` selector reads titles only (for a redesign that drops the dates)."""
    rules = rules or Rules.default()
    soup = soup_of(html)
    links = select_many(soup, selectors["link"], url)
    dates = soup.select(selectors["date"]) if selectors["date"] else []
    # Titles and dates nested inside each other are broken or hostile markup; reading the
    # text of each would be quadratic (48 s for 248 KB of nested links).
    refuse_nesting(links, selectors["link"], url, limit=MAX_NESTING)
    refuse_nesting(dates, selectors["date"], url, limit=MAX_NESTING)
    if selectors["date"] and len(dates) != len(links):
        raise LayoutChanged(selectors["date"], url,
                            f"{len(dates)} dates for {len(links)} titles")
    records = []
    for index, link in enumerate(links):
        href = str(link.get("href") or "").strip()
        absolute = join_url(url, href)
        if not href or href.startswith("#") or absolute is None or external_id(absolute) is None:
            continue
        created = None
        if dates:
            raw = text_of(dates[index])
            created = ru_date(raw)
            if created is None:
                raise LayoutChanged(selectors["date"], url, f"unexpected date {raw!r}")
        records.append(_record(clean(link.get_text(" ")), absolute, created, rules))
    if not records:
        raise LayoutChanged(selectors["link"], url, "no title links to a page")
    return records


def _is_feed(text: str) -> bool:
    return text.lstrip("\ufeff \t\r\n").startswith(("<?xml", "<rss"))


class KzAkorda(Source):
    """The President's site: signature announcements (RSS) and the legal-acts list."""

    key = KEY
    title = "akorda.kz — President: signed laws, announcements, legal acts"
    default_base_url = "https://www.akorda.kz"
    option_names = frozenset(
        {"rss_path", "legal_acts_path", "selectors", "signature_patterns", "legal_act_stage"}
    )
    # Our expectation, not a measured rate: the President's site posts news daily, so a week
    # without a new item means the feed stopped or moved.
    stale_after_days = 7

    @classmethod
    def parse(cls, text: str, url: str) -> list[Record]:
        return parse_rss(text, url) if _is_feed(text) else parse_legal_acts(text, url)

    @classmethod
    def check_options(cls, options: Mapping[str, Any], where: str) -> None:
        super().check_options(options, where)
        _settings(options, where)

    def crawl(self) -> Iterator[Record]:
        rss_path, acts_path, selectors, rules = _settings(self.options, f"[sources.{KEY}]")
        seen: set[str] = set()
        # The feed first: signatures are the point of this source, and they are kept even if
        # the (older-evidence) list page has changed its layout.
        if rss_path:
            for record in self._read(rss_path, partial(parse_rss, rules=rules)):
                if record.external_id not in seen:  # the first sighting wins within a run
                    seen.add(record.external_id)
                    yield record
        if acts_path:
            parse = partial(parse_legal_acts, selectors=selectors, rules=rules)
            for record in self._read(acts_path, parse):
                if record.external_id not in seen:
                    seen.add(record.external_id)
                    yield record

    def _read(self, path: str, parse: Callable[[str, str], list[Record]]) -> Iterator[Record]:
        page = self.http.get(f"{self.base_url}{path}")
        if page.not_modified or page.text is None:
            self.pages_not_modified += 1
            return
        for record in parse(page.text, page.url):
            yield replace(record, source=self.name, evidence=page.sha256)


def _settings(
    options: Mapping[str, Any], where: str
) -> tuple[str, str, Mapping[str, str], Rules]:
    """Validated options: feed path, list path, list selectors, signature rules."""
    paths = []
    for name, default in (("rss_path", RSS_PATH), ("legal_acts_path", LEGAL_ACTS_PATH)):
        value = options.get(name, default)
        if not isinstance(value, str) or (value and not value.startswith("/")):
            raise ConfigError(f"{where} {name}: a path starting with '/', or '' to skip it")
        paths.append(value)
    if not any(paths):
        raise ConfigError(f"{where}: rss_path and legal_acts_path cannot both be empty")
    raw_selectors = options.get("selectors", {})
    if not isinstance(raw_selectors, dict) or set(raw_selectors) - set(LIST_SELECTORS):
        raise ConfigError(f"{where} selectors: a table with keys {sorted(LIST_SELECTORS)}")
    selectors = {**LIST_SELECTORS, **raw_selectors}
    for name, selector in selectors.items():
        if not isinstance(selector, str) or (name == "link" and not selector):
            raise ConfigError(f"{where} selectors.{name}: a CSS selector string")
        if not selector:  # an empty date selector: titles only
            continue
        if selector == LIST_SELECTORS.get(name):
            # The shipped default (compiled by the tests): compiling it here cost 0.2 s of
            # soupsieve's pattern set-up at every start of every command, source enabled or not.
            continue
        try:
            soupsieve.compile(selector)
        except Exception as exc:  # soupsieve raises several types for a bad selector
            raise ConfigError(f"{where} selectors.{name}: invalid CSS {selector!r}") from exc
    patterns = options.get("signature_patterns", list(SIGNATURE_PATTERNS))
    if not isinstance(patterns, list) or not patterns or not all(
        isinstance(p, str) and p for p in patterns
    ):
        raise ConfigError(f"{where} signature_patterns: a non-empty list of regular expressions")
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            raise ConfigError(f"{where} signature_patterns: bad pattern {pattern!r}: {exc}") \
                from exc
    stage = options.get("legal_act_stage", LEGAL_ACT_STAGE)
    if stage not in STAGES:
        raise ConfigError(f"{where} legal_act_stage: one of {', '.join(STAGES)}")
    return paths[0], paths[1], selectors, Rules(tuple(compiled), stage)

