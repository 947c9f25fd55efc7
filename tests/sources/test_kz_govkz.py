"""kz_govkz parsers and options, on the synthetic fixtures (SOURCES.md §4.2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sources.kz_govkz import KzGovkz, parse_documents, parse_news
from tests.conftest import fixture_text, write_home
from tracker.catalog import load_home_settings
from tracker.errors import ConfigError, LayoutChanged, SourceError, UsageError

DOCS = ("https://www.gov.kz/api/v1/public/content-manager/documents"
        "?projects=adilet&page=1&size=3&sort-by=created_date:DESC")
GRAPHQL = "https://www.gov.kz/graphql"
MINJUST = "Министерство юстиции Республики Казахстан"


def text(name: str) -> str:
    return fixture_text("kz_govkz", name)


def test_documents_fields() -> None:
    records = parse_documents(text("documents_adilet_p1.json"), DOCS, "adilet", MINJUST)
    assert [r.external_id for r in records] == [
        "doc:adilet:90311", "doc:adilet:90305", "doc:adilet:90298"]
    order, report, _ = records
    assert order.url == "https://www.gov.kz/memleket/entities/adilet/documents/details/90311?lang=ru"
    assert order.title.startswith("Приказ Министра юстиции Республики Казахстан от 24 сентября")
    assert (order.kind, report.kind) == ("order", "document")
    # The date part as written (18:59 UTC): no time-zone shift is guessed.
    assert order.created == "2026-09-25"
    assert (order.agency, order.stage, order.status_raw) == (MINJUST, "unknown", None)
    assert order.details == {
        "project": "adilet",
        "files": ["https://www.gov.kz/uploads/2026/9/25/prikaz-812_original.pdf"],
        "publisher": [MINJUST],
        "sections": ["Нормативные правовые акты"],
    }
    assert len(report.details["files"]) == 2


def test_null_publisher_and_sections_are_empty() -> None:
    (record,) = parse_documents(text("documents_adilet_p2.json"), DOCS, "adilet")
    assert (record.details["publisher"], record.details["sections"]) == ([], [])
    assert record.created == "2020-03-02"


def test_empty_array_is_past_the_end() -> None:
    assert parse_documents(text("documents_empty.json"), DOCS, "adilet") == []


def test_object_instead_of_array_is_a_layout_change() -> None:
    with pytest.raises(LayoutChanged, match="JSON array") as caught:
        parse_documents(text("documents_wrong_shape.json"), DOCS, "adilet")
    assert caught.value.url == DOCS


def test_missing_title_names_the_key_path() -> None:
    with pytest.raises(LayoutChanged) as caught:
        parse_documents(text("documents_missing_title.json"), DOCS, "adilet")
    assert caught.value.selector == "[1].title"


@pytest.mark.parametrize(("body", "path"), [
    ('[{"title": "x"}]', "[0].id"),
    ('[{"id": 1, "title": "x", "created_date": "25.09.2026"}]', "[0].created_date"),
    ('[{"id": 1, "title": "x", "full_text": {"document": "/u"}}]', "[0].full_text"),
    ('[{"id": 1, "title": "x", "gosorgan": {"list": []}}]', "[0].gosorgan.items"),
    ('[{"id": 1, "title": "x", "activities": {"items": [{"name": "y"}]}}]',
     "[0].activities.items[0].title"),
])
def test_other_shape_changes_name_their_key_path(body: str, path: str) -> None:
    with pytest.raises(LayoutChanged) as caught:
        parse_documents(body, DOCS, "adilet")
    assert caught.value.selector == path


def test_news_fields() -> None:
    records = parse_news(text("news_adilet.json"), GRAPHQL, "adilet", MINJUST)
    assert [r.external_id for r in records] == ["news:adilet:77120", "news:adilet:77101"]
    first = records[0]
    assert first.url == "https://www.gov.kz/memleket/entities/adilet/press/news/details/77120?lang=ru"
    assert (first.kind, first.created, first.language, first.agency) == (
        "news", "2026-09-28", "ru", MINJUST)
    # Tags stripped, entities decoded (&nbsp; → a plain space); context, not a tracked field.
    assert first.details == {
        "project": "adilet",
        "description": "Состоялось заседание рабочей группы по проекту закона. "
                       "Участники обсудили поправки.",
    }


def test_graphql_errors_member_is_a_source_error() -> None:
    with pytest.raises(SourceError, match=r"GraphQL error for news of 'adilet': Cannot query "
                                          r"field \"body\"") as caught:
        parse_news(text("news_errors.json"), GRAPHQL, "adilet")
    assert not isinstance(caught.value, LayoutChanged)
    assert GRAPHQL in str(caught.value)


def test_news_wrong_shape_names_the_key_path() -> None:
    with pytest.raises(LayoutChanged) as caught:
        parse_news(text("news_wrong_shape.json"), GRAPHQL, "adilet")
    assert caught.value.selector == "data.news"


def test_parse_takes_the_slug_from_the_url() -> None:
    records = KzGovkz.parse(text("documents_adilet_p1.json"), DOCS.replace("adilet", "eq:adilet"))
    assert records[0].external_id == "doc:adilet:90311" and records[0].agency == MINJUST
    news = KzGovkz.parse(text("news_adilet.json"), GRAPHQL + "?projects=adilet")
    assert news[0].kind == "news"
    with pytest.raises(UsageError, match="projects"):
        KzGovkz.parse(text("news_adilet.json"), GRAPHQL)


def load(tmp_path: Path, table: str) -> None:
    write_home(tmp_path, f"[sources.kz_govkz]\n{table}\n")
    load_home_settings(tmp_path)


@pytest.mark.parametrize(("table", "key"), [
    ("projects = []", "projects"),
    ('projects = ["Adilet"]', "bad slug"),
    ("projects = { adilet = 1 }", "projects.adilet"),
    ("page_size = 500", "page_size"),
    ("first_page = 2", "first_page"),
    ('news = "yes"', "news"),
    ('language = "de"', "language"),
    ('created_after = "2026-09-01"', "created_after"),
    ('created_after = "yesterday"', "created_after"),
    ('graphql_path = "graphql"', "graphql_path"),
    ("activities = 555", "'activities'"),
])
def test_bad_options_name_the_key(tmp_path: Path, table: str, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        load(tmp_path, table)


def test_good_options_load(tmp_path: Path) -> None:
    load(tmp_path, 'projects = { adilet = "Минюст", sci = "Министерство науки" }\n'
                   'created_after = "2026-09-01T00:00:00"\nfirst_page = 0\nnews = false')
