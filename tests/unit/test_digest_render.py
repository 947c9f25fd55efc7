"""Rendering: hostile scraped text is inert in both parts; links only to http(s) pages."""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser

from tracker.digest_render import clean, digest_html, digest_text, safe_url
from tracker.digests import Change, Digest, DocItem, GoalSection

HOSTILE = ('<script>alert("x")</script><img src=x onerror=alert(1)> '
           "\u202eгоды 2026\u202c \u200fRTL\u200e " + "Ж" * 3000)


def digest_with(title: str, url: str) -> Digest:
    item = DocItem(1, title, url, "kz_legalacts", "<b>16000300</b>", "first_reading",
                   "2026-11-16", new=False,
                   changes=[Change("parliament → first_reading (<i>Одобрен</i>)", "bad", 7)])
    section = GoalSection("sogi", "SOGI <em>", "oppose", 2, changed=[item])
    return Digest("a@x", date(2026, 11, 12), 0, 7, goals=[section])


class Tags(HTMLParser):
    """Collects the tags and attributes of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs


def test_hostile_title_is_escaped_in_html() -> None:
    html = digest_html(digest_with(HOSTILE, "https://legalacts.egov.kz/npa/view?id=1"))
    parser = Tags()
    parser.feed(html)
    assert "script" not in parser.tags and "img" not in parser.tags
    assert "b" not in parser.tags and "i" not in parser.tags and "em" not in parser.tags
    assert not any(name.startswith("on") for name, _ in parser.attrs)
    assert "&lt;script&gt;" in html
    assert "\u202e" not in html and "\u200f" not in html and "\u202c" not in html
    assert "Ж" * 400 not in html and "Ж…" in html  # cut: a title cannot flood a phone
    assert "overflow-wrap:anywhere" in html  # long unbreakable words still wrap
    assert 'href="https://legalacts.egov.kz/npa/view?id=1"' in html


def test_hostile_title_in_text_part() -> None:
    text = digest_text(digest_with(HOSTILE, "https://legalacts.egov.kz/npa/view?id=1"))
    assert "\u202e" not in text and "\u200f" not in text
    for line in text.splitlines():
        if not line.strip().startswith("http"):
            assert len(line) <= 80, line
    assert "Bad news: parliament → first_reading" in text
    assert "  https://legalacts.egov.kz/npa/view?id=1" in text.splitlines()


def test_only_http_links() -> None:
    for bad in ("javascript:alert(1)", "data:text/html,<script>", "//evil", "https://a b",
                "ftp://x/y"):
        assert safe_url(bad) is None
        html = digest_html(digest_with("title", bad))
        assert "href=" not in html
        assert "javascript:" not in digest_text(digest_with("title", bad))
    assert safe_url("https://adilet.zan.kz/rus/docs/Z2400000072") is not None


def test_clean_removes_controls_and_collapses() -> None:
    assert clean("a\x1b[2Jb\n\n c\u2066d\u2069") == "a[2Jb cd"  # ESC gone: inert
    assert clean("x" * 10, limit=5) == "xxxx…"
