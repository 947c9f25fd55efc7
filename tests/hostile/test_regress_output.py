"""Regression tests for the defects found on the output side (terminal, CSV, reports, mail,
calendar). Each test names the defect; the broad checks are in test_terminal.py,
test_mail.py and test_exports.py.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from icalendar import Calendar

from tests.store.test_actions import put_doc, put_match, record
from tracker.calendar_export import build_calendar, calendar_bytes
from tracker.digest_render import safe_url
from tracker.reports import ActionLine, GoalSection, Report, render_html, render_markdown
from tracker.seal import open_vault
from tracker.store import Store
from tracker.textsafe import csv_safe, terminal_safe

NOW = dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("mark", ["\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069",
                                  "\u200e", "\u200f", "\u061c", "\u200b", "\u2060", "\ufeff"])
def test_terminal_safe_drops_bidi_and_invisible_marks(mark: str) -> None:
    """Defect: the Arabic letter mark, zero-width space, word joiner and BOM reached the
    terminal (bidi overrides and isolates were already stripped, commit 6a983b3); the whole
    set is pinned here."""
    assert terminal_safe(f"a{mark}b") == "ab"


def test_terminal_safe_keeps_joiners_and_scripts() -> None:
    text = "👨\u200d👩\u200d👧 می\u200cخواهم Қазақстан مرحبا"
    assert terminal_safe(text) == text


@pytest.mark.parametrize("value", ["  =1+1", "\n=1+1", " \t@SUM(A1)", "\u202e=1+1",
                                   "\u200b+1", "\ufeff-1+1"])
def test_csv_safe_sees_a_formula_behind_white_space_or_marks(value: str) -> None:
    """Defect: only the very first character was checked, so white space or an invisible
    mark in front of "=" let the formula through to importers that trim cells."""
    assert csv_safe(value).startswith("'")


def test_csv_safe_leaves_plain_text() -> None:
    assert csv_safe("О правах женщин") == "О правах женщин"
    assert csv_safe("a = b") == "a = b"


def _report(title: str) -> Report:
    section = GoalSection("dv", "Domestic violence", tracked=1,
                          deadlines=[("2026-03-20", "kz_legalacts:1", title, "open")])
    section.actions.append(ActionLine("2026-03-01", "meeting", title, None, title, None, "open",
                                      ["kz_legalacts:1"]))
    return Report("2026-01-01", "2026-03-31", "2026-03-31T00:00:00Z", True, False, [section])


def test_markdown_report_escapes_entities() -> None:
    """Defect: "&lt;b&gt;" in a title was shown by Markdown viewers as "<b>"."""
    text = render_markdown(_report("&lt;b&gt; &amp; AT&T"))
    assert "\\&lt;b\\&gt; \\&amp; AT\\&T" in text


def test_html_report_drops_bidi_and_control_characters() -> None:
    """Defect: render_html escaped HTML but kept U+202E and ESC in the page."""
    page = render_html(_report("evil\u202etxt.exe \x1b[31m<b>"))
    assert "\u202e" not in page and "\x1b" not in page
    assert "eviltxt.exe [31m&lt;b&gt;" in page


@pytest.mark.parametrize("url", ["http://[evil", "https://[::1/x", "http://[v1.x"])
def test_digest_url_urllib_refuses_is_no_link(url: str) -> None:
    """Defect: urlsplit raised ValueError ("Invalid IPv6 URL") and the digest failed."""
    assert safe_url(url) is None


def test_calendar_export_survives_hostile_urls_and_huge_titles(tmp_path: Path) -> None:
    """Defects: a stored URL with CR/LF made icalendar raise ValueError (no file at all);
    "http://[" crashed on urlsplit; a bidi mark in a URL was written as is; a 1 MB title
    went whole into a follow-up's description."""
    store = Store.open(f"sqlite:///{tmp_path / 't.db'}")
    urls = ["https://ok.example/a\r\nATTACH:https://evil.example", "http://[evil/x",
            "https://ok.example/\u202etxt.exe", "https://ok.example/fine"]
    docs = []
    for i, url in enumerate(urls):
        doc = put_doc(store, "kz_legalacts", str(i), "A" * 1_000_000 if i == 0 else f"T{i}",
                      discussion_until="2026-03-20", url=url)
        put_match(store, doc, "domestic-violence")
        docs.append(doc)
    vault = open_vault(store, None)
    record(store, vault, follow_up="2026-03-18", documents=tuple(docs))
    data = calendar_bytes(build_calendar(store, vault, since=dt.date(2026, 3, 1), now=NOW))
    assert len(data) < 20_000
    events = Calendar.from_ical(data).walk("VEVENT")
    assert sorted(str(e["URL"]) for e in events if "URL" in e) == ["https://ok.example/fine"]
    (follow_up,) = [e for e in events if str(e["SUMMARY"]).startswith("Follow-up")]
    assert len(str(follow_up["DESCRIPTION"])) <= 2000
    store.close()
