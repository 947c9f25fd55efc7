"""Config-defined sources in tracker.toml: validation errors (one line naming file and key),
the catalog, and `tracker parse NAME FILE` through the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sources.generic_feed import FeedSource
from sources.generic_html import HtmlSource
from sources.generic_json import JsonSource
from tests.conftest import fixture_text
from tests.sources.test_generic_e2e import generic_home
from tracker.catalog import all_sources, class_for, enabled_sources, load_home_settings
from tracker.cli import main
from tracker.errors import ConfigError

HTML = ('[sources.my_html]\ntype = "html"\nbase_url = "https://senate.parlam.kz"\n'
        'url = "/ru-RU/lawProjects/index"\nitem = "table.table-lawprojects tbody tr"\n'
        'fields = { id = "td:nth-of-type(2)", title = "td:nth-of-type(1) a", '
        'url = "td:nth-of-type(1) a@href", date = "td:nth-of-type(3)" }\n'
        'date_format = "%d.%m.%Y"\nnext = "ul.pagination li.next a"\n')
FEED = '[sources.my_feed]\ntype = "feed"\nurl = "https://www.akorda.kz/ru/rss"\n'
JSON = ('[sources.my_json]\ntype = "json"\nurl = "https://m.kz/api/core/draft-laws/?limit=20"\n'
        'items = "result"\nfields = { id = "id", title = "title", status = "status" }\n'
        'page_param = "offset"\nstart = 0\npage_step = 20\nmax_pages = 3\n'
        'status_stages = { "Одобрен в первом чтении" = "first_reading" }\n')


@pytest.fixture(autouse=True)
def no_env_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACKER_HOME", raising=False)
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)


def test_each_type_loads_and_is_listed(tmp_path: Path) -> None:
    settings = generic_home(tmp_path / "home", HTML + FEED + JSON)
    assert class_for("my_html", settings) is HtmlSource
    assert class_for("my_feed", settings) is FeedSource
    assert class_for("my_json", settings) is JsonSource
    assert {"my_html", "my_feed", "my_json"} <= set(all_sources(settings))
    assert sorted(enabled_sources(settings)) == ["my_feed", "my_html", "my_json"]
    assert settings.source("my_json").options["page_step"] == 20
    assert "type" not in settings.source("my_html").options


BAD = [
    ('[sources.my_src]\ntype = "html"\nurl = "https://x.kz/"\nfields = { title = "a" }\n',
     "[sources.my_src] item: required"),
    ('[sources.my_src]\ntype = "html"\nurl = "https://x.kz/"\nitem = "li"\n'
     'fields = { title = "a", body = "p" }\n',
     "[sources.my_src] fields.body: unknown field (known: id, title, url, date, status, "
     "agency, text)"),
    ('[sources.my_src]\ntype = "xml"\nurl = "https://x.kz/"\n',
     "[sources.my_src] type: unknown source type 'xml' (known: feed, html, json)"),
    ('[sources.my_src]\ntype = "html"\nitem = "li"\nfields = { title = "a" }\n',
     "[sources.my_src] url: required"),
    ('[sources.my_src]\ntype = "html"\nurl = "ftp://x.kz/"\nitem = "li"\n'
     'fields = { title = "a" }\n', "[sources.my_src] url: not an http(s) URL or a path"),
    ('[sources.my_src]\ntype = "json"\nurl = "/x"\n', "[sources.my_src] fields: required"),
    ('[sources.my_src]\ntype = "html"\nurl = "/x"\nitem = "li"\nfields = { url = "a@href" }\n',
     "[sources.my_src] fields.title: required"),
    ('[sources.my_src]\ntype = "html"\nurl = "/x"\nitem = "li"\nfields = { title = "a[" }\n',
     "[sources.my_src] fields.title: not a CSS selector: 'a['"),
    ('[sources.my_src]\ntype = "html"\nurl = "/x"\nitem = "li@id"\nfields = { title = "a" }\n',
     "[sources.my_src] item: a CSS selector without @attribute"),
    ('[sources.my_src]\ntype = "html"\nurl = "/x"\nitem = "li"\nfields = { title = "a" }\n'
     "max_pages = 3\n", "[sources.my_src] max_pages: only used with next"),
    ('[sources.my_src]\ntype = "html"\nurl = "/x"\nitem = "li"\nfields = { title = "a" }\n'
     'next = "a.next"\nmax_pages = 0\n', "[sources.my_src] max_pages: an integer >= 1, got 0"),
    ('[sources.my_src]\ntype = "html"\nurl = "/x"\nitem = "li"\nfields = { title = "a" }\n'
     'selector = "li"\n', "[sources.my_src] unknown key 'selector' for a 'html' source"),
    ('[sources.my_src]\ntype = "feed"\nurl = "/rss"\n'
     'status_stages = { "Архив" = "archived" }\n',
     "[sources.my_src] status_stages.Архив: unknown stage 'archived'"),
    ('[sources.my_src]\ntype = "feed"\nurl = "/rss"\ndate_format = "dd.mm.yyyy"\n',
     "[sources.my_src] date_format: a strptime format"),
    ('[sources.my_src]\ntype = "feed"\nurl = "/rss"\nmay_be_empty = "yes"\n',
     "[sources.my_src] may_be_empty: expected true or false"),
    ('[sources.my_src]\ntype = "feed"\nurl = "/rss"\nfields = { status = "category > b" }\n',
     "[sources.my_src] fields.status: a child element's name"),
    ('[sources.my_src]\ntype = "json"\nurl = "/api"\nfields = { title = "a..b" }\n',
     "[sources.my_src] fields.title: not a dotted path: 'a..b'"),
    ('[sources.my_src]\ntype = "json"\nurl = "/api"\nfields = { title = "t" }\nstart = 0\n',
     "[sources.my_src] start: only used with page_param"),
    ('[sources.my_src]\ntype = "json"\nurl = "/api"\nitems = 3\nfields = { title = "t" }\n',
     "[sources.my_src] items: a dotted path"),
    ('[sources.kz_legalacts]\ntype = "html"\nurl = "/x"\n',
     "[sources.kz_legalacts] type: 'kz_legalacts' is a built-in source"),
]


@pytest.mark.parametrize(("table", "message"), BAD, ids=[m.split("] ")[1][:30] for _, m in BAD])
def test_bad_table_is_a_one_line_config_error(tmp_path: Path, table: str, message: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "tracker.toml").write_text(table, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_home_settings(home)
    text = str(info.value)
    assert text.startswith(f"{home / 'tracker.toml'}: ")
    assert message in text
    assert "\n" not in text


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_cli_parse_config_defined_source_json(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    home = generic_home(tmp_path / "home", HTML).home
    page = tmp_path / "senate.html"
    page.write_text(fixture_text("generic", "senate_p1.html"), encoding="utf-8")
    code, out, err = run(["--home", str(home), "parse", "my_html", str(page), "--json"], capsys)
    assert code == 0, err
    rows = json.loads(out)
    assert [r["external_id"] for r in rows] == ["1201", "1198", "1190"]
    # No --url: the relative `url` option is joined to base_url, links resolved against it.
    assert rows[1]["url"] == "https://senate.parlam.kz/ru-RU/lawProjects/details/1198"
    assert rows[1]["created"] == "2026-08-28" and rows[1]["source"] == "my_html"


def test_cli_parse_layout_change_is_a_clear_error(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    home = generic_home(tmp_path / "home", HTML).home
    page = tmp_path / "redesigned.html"
    page.write_text(fixture_text("generic", "senate_redesigned.html"), encoding="utf-8")
    code, _, err = run(["--home", str(home), "parse", "my_html", str(page), "--url",
                        "https://senate.parlam.kz/ru-RU/lawProjects/index"], capsys)
    assert code == 1
    assert "layout changed" in err and "table.table-lawprojects tbody tr" in err


def test_every_toml_example_in_the_docs_loads(tmp_path: Path) -> None:
    doc = (Path(__file__).parents[2] / "docs" / "config-sources.md").read_text("utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", doc, re.DOTALL)
    assert len(blocks) == 5
    settings = generic_home(tmp_path / "home", "\n".join(blocks))
    assert settings.configured_types == {
        "akorda_news": "feed", "ministry_feed": "feed", "senate_bills": "html",
        "adilet_news": "html", "mazhilis_bills": "json"}
    assert settings.source("mazhilis_bills").options["fields"]["agency"] == "initiator.name"
