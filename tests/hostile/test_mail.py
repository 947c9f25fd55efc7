"""Hostile strings in email: digests (preview_digest, a real send to a local SMTP server,
`tracker digest --preview [--html]`) and the deadline and health alerts.

Every scraped value is seeded through the real store API and matched by the real matcher
(tests/test_mail_support.py). Checked: subject and headers carry no scraped text; the text
part has no control or bidi character and stays readable (wrapped, long titles cut); the
HTML part has only the template's tags, no event-handler attribute and only http(s) links.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from email.message import EmailMessage
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.hostile.strings import FORBIDDEN, HOSTILE, HOSTILE_URLS, forbidden_in, short
from tests.test_mail_support import (
    GOALS_TOML,
    WOMEN,
    add_action,
    context,
    mail_settings,
    parts,
    put,
    smtp_server,
)
from tracker.alerts import preview_digest, send_digest
from tracker.cli import main
from tracker.digest_render import (
    WIDTH,
    DeadlineAlertItem,
    Rendered,
    render_deadline_alert,
    render_health_alert,
)
from tracker.digests import HealthChange
from tracker.store import Store

AIGERIM = "aigerim@ngo.example"
TEMPLATE_TAGS = {"html", "head", "meta", "title", "body", "div", "h1", "h2", "span", "ul", "li",
                 "strong", "a", "p", "code"}
NOTES = """
[[recipients]]
email = "aigerim@ngo.example"
goals = ["domestic-violence"]
staff = "aigerim"
action_notes = true
"""


class _Tags(HTMLParser):
    """Every start tag and attribute of a document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes += attrs


def expected(text: str) -> str:
    """What the mail shows of ``text``: forbidden and joiner characters gone, one line."""
    return " ".join(FORBIDDEN.sub("", text).replace("\u200c", "").replace("\u200d", "").split())


def seed(store: Store, until: date) -> None:
    """One matched document per hostile string (some with hostile URLs), deadlines soon,
    and due follow-ups whose notes are hostile."""
    for i, text in enumerate(HOSTILE):
        url = HOSTILE_URLS[i % len(HOSTILE_URLS)] if i % 2 else f"https://x.kz/npa?id={i}"
        doc = put(store, f"m{i}", f"{text} {WOMEN}", stage="public_discussion",
                  discussion_until=until.isoformat(), url=url, status_raw=text[:300])
        if i % 4 == 0:
            add_action(store, staff="aigerim", summary=text[:4000], document_id=doc,
                       follow_up=until - timedelta(days=2))


def check_inert(rendered: Rendered, *, literal: bool = True) -> None:
    """The three parts of a message are harmless; short strings appear as written."""
    assert "\n" not in rendered.subject and "\r" not in rendered.subject
    assert "bold" not in rendered.subject and "<" not in rendered.subject
    text, page = rendered.text, rendered.html
    assert forbidden_in(text) == [] and forbidden_in(page) == []
    assert len(text) < 300_000 and len(page) < 600_000  # two 1 MB titles, cut
    for line in text.splitlines():
        is_url = line.startswith("  http")
        assert len(line) <= WIDTH or is_url, line[:100]
        if is_url:
            assert " " not in line.strip() and line.strip().startswith(("http://", "https://"))
    tags = _Tags()
    tags.feed(page)
    assert tags.tags <= TEMPLATE_TAGS, tags.tags - TEMPLATE_TAGS
    for name, value in tags.attributes:
        assert not name.startswith("on"), name
        if name == "href":
            assert value is not None and value.startswith(("http://", "https://"))
            assert not any(c in value for c in ' "<>\\\r\n'), value
    if literal:
        flat_text = " ".join(text.split())
        for value in short():
            shown = expected(value)[:40]
            assert shown in flat_text, value
            assert escape(shown, quote=True) in page, value


def test_digest_preview_is_inert_and_literal(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 't.db'}")
    seed(store, date(2026, 11, 14))
    mail = mail_settings(2525, extra="[digest]\nmax_items = 200\n", recipients=NOTES)
    digest, rendered = preview_digest(context(store, mail), mail.recipients[0])
    assert len(digest.deadlines) == len(HOSTILE)
    assert digest.follow_ups and all(f.note for f in digest.follow_ups)
    check_inert(rendered)
    store.close()


def _headers(msg: EmailMessage) -> set[str]:
    return {name.lower() for name in msg}


def test_sent_digest_has_no_injected_header(tmp_path: Path) -> None:
    """Through a real SMTP server and parsed back: only the composer's headers."""
    store = Store.open(f"sqlite:///{tmp_path / 't.db'}")
    seed(store, date(2026, 11, 14))
    with smtp_server() as (inbox, port):
        mail = mail_settings(port, extra="[digest]\nmax_items = 200\n", recipients=NOTES)
        assert send_digest(context(store, mail), mail.recipients[0]).status == "sent"
        (msg,) = inbox.to(AIGERIM)
    assert "bcc" not in _headers(msg) and "x-injected" not in _headers(msg)
    text, page = parts(msg)
    check_inert(Rendered(str(msg["Subject"]), text, page), literal=False)
    assert "\\[bold\\]" not in text and "[bold]bold[/bold]" in text
    store.close()


def test_alerts_are_inert() -> None:
    items = [DeadlineAlertItem(text, HOSTILE_URLS[i % len(HOSTILE_URLS)], "2026-11-14",
                               i % 3, ("domestic-violence",))  # goal ids: goals.toml's
             for i, text in enumerate(HOSTILE)]
    check_inert(render_deadline_alert(items, "[tracker]"), literal=False)
    changes = [HealthChange(f"src{i}", "ok", "broken", text, "2026-11-12T03:00:00+00:00")
               for i, text in enumerate(HOSTILE)]
    health = render_health_alert(changes, "[tracker]")
    check_inert(health, literal=False)
    flat = " ".join(health.text.split())
    for value in short():
        assert expected(value)[:40] in flat, value


def test_cli_digest_preview_prints_nothing_harmful(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """`tracker digest --preview` (text and --html) prints to a terminal."""
    monkeypatch.delenv("TRACKER_HOME", raising=False)
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    home = tmp_path / "home"
    home.mkdir()
    (home / "tracker.toml").write_text(
        '[smtp]\nhost = "127.0.0.1"\nport = 2525\nsecurity = "none"\n'
        'from = "tracker@ngo.example"\n[digest]\nmax_items = 200\n' + NOTES, encoding="utf-8")
    (home / "goals.toml").write_text(GOALS_TOML, encoding="utf-8")
    store = Store.open(f"sqlite:///{home / 'tracker.db'}")
    seed(store, datetime.now().date() + timedelta(days=2))
    store.close()
    for extra in ([], ["--html"]):
        with pytest.raises(SystemExit) as info:
            main(["--home", str(home), "digest", "--preview", *extra])
        out, err = capsys.readouterr()
        assert info.value.code in (0, None), err
        assert forbidden_in(out) == [] and "[bold]bold[/bold]" in out
