"""Digests and alerts as plain text and HTML, readable on a phone; scraped text made safe.

Everything scraped is untrusted: control characters and bidirectional-override marks (which
can make a title read backwards, or hide text) are removed, runs of whitespace collapsed,
very long strings cut, and the HTML part escapes every value (``html.escape`` with quotes).
Links are only ever http(s) URLs; anything else is shown as text, never as a link. No
template engine: the markup is small, and building it with one escaping function in one
place is easier to audit than templates.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from urllib.parse import urlsplit

from tracker.digests import Deadline, Digest, DocItem, FollowUp, GoalSection, HealthChange
from tracker.textsafe import terminal_safe

#: Bidirectional controls and invisible marks: LRM/RLM/ALM, embeddings and overrides,
#: isolates, zero-width characters and the BOM.
_BIDI = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_SPACE = re.compile(r"\s+")
MAX_TEXT = 400
WIDTH = 76
_TONE_WORD = {"good": "Good news", "bad": "Bad news", "neutral": ""}
_TONE_COLOUR = {"good": "#1b7f3b", "bad": "#b3261e", "neutral": "#444444"}
_STANCE = {"support": "we support", "oppose": "we oppose", "watch": "watching"}
_FONT = "font-family:-apple-system,Segoe UI,Roboto,Arial,sans-serif;"


def clean(value: object, limit: int = MAX_TEXT) -> str:
    """Scraped text made inert: no control or bidi characters, one line, at most ``limit``."""
    text = _SPACE.sub(" ", _BIDI.sub("", terminal_safe(value))).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def safe_url(value: object) -> str | None:
    """The URL if it is a plain http(s) URL, else None (never a javascript: or data: link)."""
    text = clean(value, 2000)
    if not text or " " in text:
        return None
    try:
        parts = urlsplit(text)
    except ValueError:  # "Invalid IPv6 URL": an unbalanced "[" in the host failed the digest
        return None
    return text if parts.scheme in {"http", "https"} and parts.netloc else None


@dataclass(frozen=True)
class Rendered:
    """A message's subject and its two bodies."""

    subject: str
    text: str
    html: str


# -- plain text -------------------------------------------------------------------------------


def _wrap(text: str, indent: str = "  ") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ",
                         break_long_words=True, break_on_hyphens=False) or [indent]


def _doc_text(item: DocItem) -> list[str]:
    lines = _wrap("* " + clean(item.title), "")
    meta = f"{item.source} {clean(item.external_id, 40)} · {item.stage}"
    if item.discussion_until:
        meta += f" · comments until {item.discussion_until}"
    lines += _wrap(meta)
    for change in item.changes:
        word = _TONE_WORD[change.tone]
        lines += _wrap(f"{word + ': ' if word else ''}{clean(change.text)}")
    url = safe_url(item.url)
    if url:
        lines.append(f"  {url}")  # URLs are never wrapped: they must stay clickable
    return lines


def _deadline_line(d: Deadline) -> str:
    when = "today" if d.days_left == 0 else f"in {d.days_left} day{'s' if d.days_left != 1 else ''}"
    return f"{d.until} ({when})"


def _follow_line(f: FollowUp) -> str:
    due = "due today" if f.overdue_days == 0 else (
        f"overdue by {f.overdue_days} days" if f.overdue_days > 0 else f"due {f.due}")
    return f"{f.type}, follow-up {f.due} ({due}), action #{f.action_id}"


def _health_line(h: HealthChange) -> str:
    return f"{h.source}: {h.old} → {h.new} — {clean(h.reason)}"


def digest_text(digest: Digest) -> str:
    """The plain-text part."""
    c = digest.counts
    out = [f"Advocacy tracker — digest for {digest.today.isoformat()}",
           f"{c['new']} new · {c['changes']} changes · {c['deadlines']} deadlines · "
           f"{c['follow_ups']} follow-ups · {c['health']} source changes", ""]
    if digest.deadlines:
        out.append(f"PUBLIC COMMENT CLOSES WITHIN {digest.deadline_days} DAYS")
        for d in digest.deadlines:
            out += _wrap(f"* {_deadline_line(d)}: {clean(d.title)}", "")
            url = safe_url(d.url)
            if url:
                out.append(f"  {url}")
        out.append("")
    for section in digest.goals:
        out.append(f"{clean(section.name).upper()} ({_STANCE.get(section.stance, section.stance)})")
        if section.new:
            out.append("New:")
            for item in section.new:
                out += _doc_text(item)
        if section.more:
            out.append(f"  … and {section.more} more: see `tracker documents` or the dashboard")
        if section.changed:
            out.append("Changes:")
            for item in section.changed:
                out += _doc_text(item)
        out.append("")
    if digest.follow_ups:
        out.append("YOUR FOLLOW-UPS")
        for f in digest.follow_ups:
            out += _wrap("* " + _follow_line(f), "")
            for title, _url in f.documents:
                out += _wrap("about: " + clean(title))
            if f.note:
                out += _wrap("note: " + clean(f.note))
        out.append("")
    if digest.health:
        out.append("SOURCES")
        for h in digest.health:
            out += _wrap("* " + _health_line(h), "")
        out.append("")
    if digest.is_empty:
        out += ["Nothing new for your goals since the last digest.", ""]
    out.append("-- \nSent by advocacy-tracker. Event range "
               f"{digest.from_event + 1}–{digest.to_event}.")
    return "\n".join(out) + "\n"


# -- HTML -----------------------------------------------------------------------------------


def _e(value: object, limit: int = MAX_TEXT) -> str:
    return escape(clean(value, limit), quote=True)


def _link(title: object, url: object) -> str:
    href = safe_url(url)
    text = _e(title)
    if href is None:
        return f"<strong>{text}</strong>"
    return f'<a href="{escape(href, quote=True)}" style="color:#0b57d0">{text}</a>'


def _doc_html(item: DocItem) -> str:
    meta = f"{_e(item.source)} {_e(item.external_id, 40)} · {_e(item.stage)}"
    if item.discussion_until:
        meta += f" · comments until {_e(item.discussion_until)}"
    changes = ""
    for change in item.changes:
        word = _TONE_WORD[change.tone]
        label = (f'<strong style="color:{_TONE_COLOUR[change.tone]}">{word}:</strong> '
                 if word else "")
        changes += f"<div>{label}{_e(change.text)}</div>"
    return (f'<li style="margin:0 0 10px 0">{_link(item.title, item.url)}'
            f'<div style="color:#555;font-size:13px">{meta}</div>{changes}</li>')


def _ul(items: Iterable[str]) -> str:
    return f'<ul style="padding-left:18px;margin:4px 0 12px 0">{"".join(items)}</ul>'


def _h(text: str) -> str:
    return f'<h2 style="font-size:17px;margin:18px 0 6px 0">{text}</h2>'


def _page(title: str, body: str) -> str:
    return ('<!DOCTYPE html><html><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title></head>"
            f'<body style="margin:0;padding:12px;{_FONT}font-size:15px;line-height:1.4;'
            'color:#111"><div style="max-width:640px;margin:0 auto;overflow-wrap:anywhere;'
            f'word-break:break-word">{body}</div></body></html>\n')


def _section_html(section: GoalSection) -> str:
    stance = _STANCE.get(section.stance, section.stance)
    parts = [_h(f"{_e(section.name)} <span style='color:#666;font-weight:normal'>"
                f"({escape(stance)})</span>")]
    if section.new:
        parts.append("<div><strong>New</strong></div>" + _ul(_doc_html(i) for i in section.new))
    if section.more:
        parts.append(f"<div>… and {section.more} more (see the dashboard)</div>")
    if section.changed:
        parts.append("<div><strong>Changes</strong></div>"
                     + _ul(_doc_html(i) for i in section.changed))
    return "".join(parts)


def digest_html(digest: Digest) -> str:
    """The HTML part (inline styles only: mail clients drop style sheets)."""
    c = digest.counts
    body = [f'<h1 style="font-size:20px;margin:0 0 4px 0">Digest for '
            f"{digest.today.isoformat()}</h1>",
            f'<div style="color:#555">{c["new"]} new · {c["changes"]} changes · '
            f'{c["deadlines"]} deadlines · {c["follow_ups"]} follow-ups · '
            f'{c["health"]} source changes</div>']
    if digest.deadlines:
        body.append(_h(f"Public comment closes within {digest.deadline_days} days"))
        body.append(_ul(f"<li><strong>{escape(_deadline_line(d))}</strong>: "
                        f"{_link(d.title, d.url)}</li>" for d in digest.deadlines))
    body += [_section_html(s) for s in digest.goals]
    if digest.follow_ups:
        body.append(_h("Your follow-ups"))
        items = []
        for f in digest.follow_ups:
            about = "".join(f"<div>about: {_link(t, u)}</div>" for t, u in f.documents)
            note = f"<div>note: {_e(f.note)}</div>" if f.note else ""
            items.append(f"<li>{escape(_follow_line(f))}{about}{note}</li>")
        body.append(_ul(items))
    if digest.health:
        body.append(_h("Sources"))
        body.append(_ul(f"<li>{_e(_health_line(h))}</li>" for h in digest.health))
    if digest.is_empty:
        body.append("<p>Nothing new for your goals since the last digest.</p>")
    body.append(f'<p style="color:#777;font-size:12px">Sent by advocacy-tracker. Event range '
                f"{digest.from_event + 1}–{digest.to_event}.</p>")
    return _page("Advocacy tracker digest", "".join(body))


def render_digest(digest: Digest, subject_line: str) -> Rendered:
    """Both parts of a digest."""
    return Rendered(subject_line, digest_text(digest), digest_html(digest))


# -- alerts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineAlertItem:
    """A matched document whose public-comment deadline crossed a threshold."""

    title: str
    url: str
    until: str
    days_left: int
    goals: tuple[str, ...]


def render_deadline_alert(items: Sequence[DeadlineAlertItem], prefix: str) -> Rendered:
    """One email for every deadline that crossed a threshold in this check."""
    soonest = min(i.days_left for i in items)
    when = "today" if soonest <= 0 else f"in {soonest} day{'s' if soonest != 1 else ''}"
    subject_line = f"{prefix} deadline alert: public comment closes {when}".strip()
    text = ["Public comment closes soon on documents matching your goals:", ""]
    html_items = []
    for i in items:
        left = "today" if i.days_left <= 0 else f"in {i.days_left} days"
        text += _wrap(f"* {i.until} ({left}): {clean(i.title)}", "")
        text += _wrap("goals: " + ", ".join(i.goals))
        url = safe_url(i.url)
        if url:
            text.append(f"  {url}")
        html_items.append(f"<li><strong>{escape(i.until)} ({left})</strong>: "
                          f"{_link(i.title, i.url)}<div style='color:#555'>goals: "
                          f"{_e(', '.join(i.goals))}</div></li>")
    text += ["", "-- ", "Sent by advocacy-tracker (deadline alert)."]
    html = _page("Deadline alert", _h("Public comment closes soon") + _ul(html_items))
    return Rendered(subject_line, "\n".join(text) + "\n", html)


def render_health_alert(changes: Sequence[HealthChange], prefix: str) -> Rendered:
    """One email for the source-health changes found in this check."""
    broken = [c for c in changes if c.new != "ok"]
    state = "problem" if broken else "recovered"
    names = ", ".join(sorted({clean(c.source, 40) for c in changes}))
    subject_line = f"{prefix} source {state}: {names}".strip()
    text = ["Source health changed:", ""]
    for c in changes:
        text += _wrap(f"* {c.at[:16]} {_health_line(c)}", "")
    text += ["", "A broken source means documents may be missed: check `tracker sources`.",
             "-- ", "Sent by advocacy-tracker (health alert)."]
    html = _page("Source health", _h("Source health changed")
                 + _ul(f"<li>{_e(c.at[:16])} {_e(_health_line(c))}</li>" for c in changes)
                 + "<p>A broken source means documents may be missed: check "
                   "<code>tracker sources</code>.</p>")
    return Rendered(subject_line, "\n".join(text) + "\n", html)
