"""Ministry documents and news on gov.kz («Единая платформа интернет-ресурсов госорганов»).

Structure: ../shared/SOURCES.md §4 (third-party code, one client "verified live 2026-09-27").
The site is a JavaScript app over a public JSON API, so no HTML is parsed:

- documents, per ministry ("project") slug: ``GET /api/v1/public/content-manager/documents
  ?projects=<slug>&page=<n>&size=<size>&sort-by=created_date:DESC`` → a JSON array, empty
  past the end; newest first, so paging stops at the first page whose ids are all known, and
  ``created_after`` adds the documented ``created_date=gt:<ISO>`` filter;
- news: the anonymous GraphQL ``news(projects: "eq:<slug>", _lang: …)`` query (the REST news
  endpoint needs an anti-bot ticket, §4.2, so it is not used).

Identity is the item id plus the slug (SOURCES.md §7: "document/news id + slug"):
``doc:<slug>:<id>`` and ``news:<slug>:<id>``, so documents and news never collide and a joint
order listed by two ministries is followed under each.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin

from sources._guards import join_url, split_url
from sources._json import at_path, json_of, page_text, scalar_text
from sources.base import Source
from tracker.errors import ConfigError, LayoutChanged, SourceError, UsageError
from tracker.models import Record

KEY = "kz_govkz"

#: Every JSON name this module relies on (SOURCES.md §4.2), dotted paths where nested.
FIELDS: dict[str, str] = {
    "id": "id",
    "title": "title",
    "created_date": "created_date",  # ISO 8601 with offset, e.g. 2026-09-25T18:59:00.000+00:00
    "full_text": "full_text",  # documents: list of {"document": "/uploads/…"} = attached files
    "file": "document",
    "gosorgan": "gosorgan.items",  # documents: publishing body
    "gosorgan_name": "project_name",
    "activities": "activities.items",  # documents: site section
    "activity_title": "title",
    "news": "data.news",  # GraphQL answer
    "body": "body",  # news text (HTML)
    "errors": "errors",  # GraphQL errors member
}
DOCUMENTS_PATH = "/api/v1/public/content-manager/documents"
GRAPHQL_PATH = "/graphql"
SORT = "created_date:DESC"
#: The documented query with only the fields used here (§4.2 lists more).
NEWS_QUERY = (
    'query {{ news(projects: "eq:{slug}", _lang: "{lang}", _page: 1, _size: {size}, '
    '_sort: "created_date:desc") {{ id title body created_date }} }}'
)
#: Human pages (client-rendered; linked, never fetched), §4.2.
DOCUMENT_PAGE = "/memleket/entities/{slug}/documents/details/{id}?lang={lang}"
NEWS_PAGE = "/memleket/entities/{slug}/press/news/details/{id}?lang={lang}"

#: Default ministries (slugs and bodies from SOURCES.md §4.3), with their Russian names.
DEFAULT_PROJECTS: dict[str, str] = {
    "adilet": "Министерство юстиции Республики Казахстан",
    "qriim": "Министерство внутренних дел Республики Казахстан",
    "enbek": "Министерство труда и социальной защиты населения Республики Казахстан",
    "mam": "Министерство культуры и информации Республики Казахстан",
    "dsm": "Министерство здравоохранения Республики Казахстан",
    "edu": "Министерство просвещения Республики Казахстан",
}
#: Title words that make a document an order (§4.4 classifies by «Приказ»; «бұйрық» is the
#: Kazakh word for it, not a value seen on the site).
ORDER_WORDS: tuple[str, ...] = ("приказ", "бұйрық")
DESCRIPTION_CHARS = 300
# ``[^<>]``: a body of unclosed ``<`` is stripped in linear time (``[^>]*`` was quadratic:
# 30 KB of ``<`` took 1.7 s, a megabyte half an hour).
_TAG = re.compile(r"<[^<>]*>")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _item_id(item: Any, where: str, url: str) -> str:
    return scalar_text(at_path(item, FIELDS["id"], url, where), where + FIELDS["id"], url)


def _title(item: Any, where: str, url: str) -> str:
    title = at_path(item, FIELDS["title"], url, where)
    if not isinstance(title, str):
        raise LayoutChanged(where + FIELDS["title"], url, "expected a string")
    return " ".join(title.split())


def _created(item: dict[str, Any], where: str, url: str) -> str | None:
    """The calendar date written in ``created_date`` (its date part, as the site states it;
    no time-zone shift is guessed). Absent or null → None."""
    value = item.get(FIELDS["created_date"])
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        raise LayoutChanged(where + FIELDS["created_date"], url,
                            f"not an ISO date: {value!r}") from None


def _names(item: dict[str, Any], list_path: str, name: str, where: str, url: str) -> list[str]:
    """Strings at ``list_path[].name``; an absent or null top-level member is empty, but a
    present member of another shape is a layout change."""
    if item.get(list_path.split(".", 1)[0]) is None:
        return []
    items = at_path(item, list_path, url, where)
    if not isinstance(items, list):
        raise LayoutChanged(where + list_path, url, "expected a list")
    out = []
    for i, entry in enumerate(items):
        value = entry.get(name) if isinstance(entry, dict) else None
        if not isinstance(value, str):
            raise LayoutChanged(f"{where}{list_path}[{i}].{name}", url, "expected a string")
        out.append(value)
    return out


def parse_documents(
    text: str, url: str, slug: str, agency: str | None = None, lang: str = "ru"
) -> list[Record]:
    """A documents listing (JSON array) → records; [] past the end."""
    data = json_of(text, url)
    if not isinstance(data, list):
        raise LayoutChanged("[] (top level)", url,
                            f"expected a JSON array of documents, got {type(data).__name__}")
    records = []
    for i, item in enumerate(data):
        where = f"[{i}]."
        if not isinstance(item, dict):
            raise LayoutChanged(f"[{i}]", url, "expected an object")
        doc_id, title = _item_id(item, where, url), _title(item, where, url)
        # A file link urllib refuses is kept as written.
        files = [join_url(url, f) or f for f in _names(item, FIELDS["full_text"],
                                                       FIELDS["file"], where, url)]
        folded = title.casefold()
        records.append(Record(
            source=KEY,
            external_id=f"doc:{slug}:{doc_id}",
            title=title,
            url=urljoin(url, DOCUMENT_PAGE.format(slug=slug, id=doc_id, lang=lang)),
            kind="order" if any(w in folded for w in ORDER_WORDS) else "document",
            created=_created(item, where, url),
            agency=agency,
            details={
                "project": slug,
                "files": files,
                "publisher": _names(item, FIELDS["gosorgan"], FIELDS["gosorgan_name"], where,
                                    url),
                "sections": _names(item, FIELDS["activities"], FIELDS["activity_title"],
                                   where, url),
            },
        ))
    return records


def parse_news(
    text: str, url: str, slug: str, agency: str | None = None, lang: str = "ru"
) -> list[Record]:
    """A GraphQL ``news`` answer → records. An ``errors`` member is a SourceError."""
    data = json_of(text, url)
    if not isinstance(data, dict):
        raise LayoutChanged("{}", url, "expected a GraphQL JSON object")
    errors = data.get(FIELDS["errors"])
    if errors:
        messages = [str(e.get("message", e)) if isinstance(e, dict) else str(e)
                    for e in (errors if isinstance(errors, list) else [errors])]
        raise SourceError(f"gov.kz GraphQL error for news of {slug!r}: "
                          f"{'; '.join(messages)} ({url})")
    items = at_path(data, FIELDS["news"], url)
    if not isinstance(items, list):
        raise LayoutChanged(FIELDS["news"], url, "expected a list")
    records = []
    for i, item in enumerate(items):
        where = f"{FIELDS['news']}[{i}]."
        if not isinstance(item, dict):
            raise LayoutChanged(where.rstrip("."), url, "expected an object")
        news_id, title = _item_id(item, where, url), _title(item, where, url)
        body = item.get(FIELDS["body"])
        # Context, not state (models.CONTEXT_DETAILS): an edited body is not an event.
        description = None
        if isinstance(body, str):
            plain = " ".join(html.unescape(_TAG.sub(" ", body)).split())
            description = plain[:DESCRIPTION_CHARS] or None
        records.append(Record(
            source=KEY,
            external_id=f"news:{slug}:{news_id}",
            title=title,
            url=urljoin(url, NEWS_PAGE.format(slug=slug, id=news_id, lang=lang)),
            kind="news",
            created=_created(item, where, url),
            agency=agency,
            language=lang,
            details={"project": slug, "description": description},
        ))
    return records


def projects_of(options: Mapping[str, Any], where: str) -> dict[str, str | None]:
    """Configured slugs → ministry names (a list of slugs, or a table slug = "name")."""
    raw = options.get("projects", DEFAULT_PROJECTS)
    if isinstance(raw, list):
        raw = {slug: DEFAULT_PROJECTS.get(slug) if isinstance(slug, str) else None
               for slug in raw}
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(f"{where} projects: a non-empty list of slugs or a table "
                          "slug = \"ministry name\"")
    for slug, name in raw.items():
        if not isinstance(slug, str) or not _SLUG.match(slug):
            raise ConfigError(f"{where} projects: bad slug {slug!r} (lower-case letters, "
                              "digits, '-' and '_')")
        if name is not None and not isinstance(name, str):
            raise ConfigError(f"{where} projects.{slug}: the ministry name must be a string")
    return dict(raw)


class KzGovkz(Source):
    """Ministry documents (REST) and news (GraphQL) on gov.kz, per ministry slug."""

    key = KEY
    title = "gov.kz — ministry documents and news"
    default_base_url = "https://www.gov.kz"
    option_names = frozenset({
        "projects", "page_size", "max_pages", "first_page", "created_after", "news",
        "news_size", "language", "documents_path", "graphql_path",
    })

    @classmethod
    def parse(cls, text: str, url: str) -> list[Record]:
        """A documents listing or a GraphQL news answer; the slug comes from the URL's
        ``projects`` parameter (add ``?projects=<slug>`` to a GraphQL URL)."""
        parts = split_url(url)
        if parts is None:
            raise UsageError(f"--url: not a URL: {url!r}")
        slugs = parse_qs(parts.query).get("projects")
        if not slugs:
            raise UsageError(f"{url}: give the URL with its projects=<slug> parameter")
        slug = slugs[0].split(":", 1)[-1]  # the eq:/contains: forms are used too (§4.2)
        agency = DEFAULT_PROJECTS.get(slug)
        if text.lstrip().startswith("["):
            return parse_documents(text, url, slug, agency)
        return parse_news(text, url, slug, agency)

    @classmethod
    def check_options(cls, options: Mapping[str, Any], where: str) -> None:
        super().check_options(options, where)
        projects_of(options, where)
        for name, default, low, top in (("page_size", 20, 1, 100), ("max_pages", 5, 1, 1000),
                                        ("first_page", 1, 0, 1), ("news_size", 20, 1, 100)):
            value = options.get(name, default)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= top:
                raise ConfigError(f"{where} {name}: an integer from {low} to {top}, "
                                  f"got {value!r}")
        if not isinstance(options.get("news", True), bool):
            raise ConfigError(f"{where} news: expected true or false")
        if options.get("language", "ru") not in ("ru", "kk", "en"):
            raise ConfigError(f"{where} language: 'ru', 'kk' or 'en'")
        after = options.get("created_after")
        if after is not None:
            try:
                if not isinstance(after, str) or len(after) < 19:
                    raise ValueError
                datetime.fromisoformat(after)
            except ValueError:
                raise ConfigError(f"{where} created_after: an ISO date-time such as "
                                  f"\"2026-09-01T00:00:00\", got {after!r}") from None
        for name in ("documents_path", "graphql_path"):
            path = options.get(name, "/")
            if not isinstance(path, str) or not path.startswith("/"):
                raise ConfigError(f"{where} {name}: a path starting with '/', got {path!r}")

    def crawl(self) -> Iterator[Record]:
        projects = projects_of(self.options, f"[sources.{self.name}]")
        lang: str = self.options.get("language", "ru")
        for slug, agency in projects.items():
            # News first: it is one request, so `tracker sources check --live` (a few pages
            # per source) exercises the GraphQL endpoint as well as the documents one.
            if self.options.get("news", True):
                yield from self._news(slug, agency or slug, lang)
            yield from self._documents(slug, agency or slug, lang)

    def _documents_url(self, slug: str, number: int) -> str:
        size = self.options.get("page_size", 20)
        params = [("projects", slug), ("page", str(number)), ("size", str(size)),
                  ("sort-by", SORT)]
        if self.options.get("created_after"):
            # gt: works; gte: answers HTTP 500 (§4.2).
            params.append(("created_date", f"gt:{self.options['created_after']}"))
        path = self.options.get("documents_path", DOCUMENTS_PATH)
        # Colons stay literal, as the documented URLs write them.
        return f"{self.base_url}{path}?{urlencode(params, safe=':')}"

    def _documents(self, slug: str, agency: str, lang: str) -> Iterator[Record]:
        size: int = self.options.get("page_size", 20)
        first: int = self.options.get("first_page", 1)  # most callers start at 1 (§4.2)
        max_pages: int = self.options.get("max_pages", 5)
        seen: set[str] = set()
        for number in range(first, first + max_pages):
            page = self.http.get(self._documents_url(slug, number))
            if page.not_modified:  # newest first: an unchanged page means nothing new
                self.pages_not_modified += 1
                return
            records = parse_documents(page_text(page), page.url, slug, agency, lang)
            for record in records:
                if record.external_id not in seen:  # items shift pages as new ones arrive
                    seen.add(record.external_id)
                    yield replace(record, source=self.name, evidence=page.sha256)
            if len(records) < size:
                return  # a short or empty page is the end of the list
            if all(r.external_id in self.known_ids for r in records):
                return
        self.warn(f"gov.kz {slug}: more unseen documents after max_pages = {max_pages} "
                  "pages (normal on a first run)")

    def _news(self, slug: str, agency: str, lang: str) -> Iterator[Record]:
        size = self.options.get("news_size", 20)
        query = NEWS_QUERY.format(slug=slug, lang=lang, size=size)
        url = f"{self.base_url}{self.options.get('graphql_path', GRAPHQL_PATH)}"
        page = self.http.post_json(url, {"query": query})
        for record in parse_news(page_text(page), page.url, slug, agency, lang):
            yield replace(record, source=self.name, evidence=page.sha256)

