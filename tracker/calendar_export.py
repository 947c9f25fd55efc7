"""Deadlines and follow-ups as an iCalendar file (RFC 5545) that calendar apps import.

Three kinds of all-day events, each with a stable UID so that re-importing updates them:

- public-comment deadlines (``documents.discussion_until``) of documents with an active,
  not dismissed match — or of every document when ``include_all``;
- treaty-body deadlines: documents of the ``un_treaty_deadlines`` source of kind
  ``deadline`` (due date in ``discussion_until``);
- follow-up dates of open actions.

Calendars are often synced to third-party services, so no sealed field (summary, outcome,
next step, counterpart person, comment text) is ever written here, and a sensitive action's
follow-up is titled generically (``Follow-up (action #12)``) without its institution or
documents.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any
from urllib.parse import urlsplit

from icalendar import Calendar, Event

from tracker.actions import list_actions
from tracker.seal import Vault
from tracker.store import Store
from tracker.store import actions as sa
from tracker.textsafe import terminal_safe

TREATY_SOURCE = "un_treaty_deadlines"
PRODID = "-//advocacy-tracker//calendar export//EN"
_DOMAIN = "advocacy-tracker"
_MAX_TITLE = 200
#: A scraped title of a megabyte must not make an event (or the whole file) one that calendar
#: services refuse: descriptions are cut too.
_MAX_DESCRIPTION = 2000
#: A URL property is written as is (RFC 5545 does not escape URIs, and icalendar refuses CR
#: or LF with a ValueError that failed the whole export): only plain http(s) URLs are kept.
_PLAIN_URL = re.compile(r"https?://\S+")


def build_calendar(store: Store, vault: Vault, *, since: dt.date, now: dt.datetime,
                   include_all: bool = False) -> Calendar:
    """The calendar: deadlines on or after ``since``, and every open follow-up (overdue
    ones included: they are still to do). ``now`` is the DTSTAMP (UTC)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "advocacy-tracker")
    stamp = now.astimezone(dt.UTC)
    after = since.isoformat()
    for doc in sa.deadline_documents(store, since=after, matched_only=not include_all):
        if doc["source"] == TREATY_SOURCE:
            continue
        cal.add_component(_event(
            uid=_uid("comment-deadline", doc["source"], doc["external_id"]),
            day=doc["discussion_until"], stamp=stamp,
            title=f"Comment deadline: {doc['title']}",
            description=f"Public comments close. {doc['source']}:{doc['external_id']}",
            url=doc["url"], category="comment-deadline"))
    for doc in sa.deadline_documents(store, since=after, matched_only=False,
                                     source=TREATY_SOURCE):
        if doc["kind"] != "deadline":
            continue
        cal.add_component(_event(
            uid=_uid("treaty-deadline", doc["source"], doc["external_id"]),
            day=doc["discussion_until"], stamp=stamp,
            title=f"Treaty-body deadline: {doc['title']}",
            description=f"{doc['source']}:{doc['external_id']}", url=doc["url"],
            category="treaty-deadline"))
    actions = list_actions(store, vault, sa.ActionFilter(open_follow_ups=True))
    refs = sa.documents_by_id(store, {d for a in actions if not a.sensitive for d in a.documents})
    for action in actions:
        assert action.follow_up is not None
        if action.sensitive:
            title, description = f"Follow-up (action #{action.id})", ""
        else:
            title = f"Follow-up: {action.type.replace('_', ' ')}"
            if action.counterpart_institution:
                title += f" — {action.counterpart_institution}"
            docs = [refs[d] for d in action.documents if d in refs]
            description = "; ".join(
                f"{d['source']}:{d['external_id']} {_clean(d['title'])[:_MAX_TITLE]}"
                for d in docs)
        description = (description + "\n" if description else "") + \
            f"tracker actions show {action.id}"
        cal.add_component(_event(uid=_uid("follow-up", str(action.id)), day=action.follow_up,
                                 stamp=stamp, title=title, description=description,
                                 url=None, category="follow-up"))
    return cal


def calendar_bytes(cal: Calendar) -> bytes:
    """The file's content (CRLF lines, folded at 75 octets, as RFC 5545 wants)."""
    data: bytes = cal.to_ical()
    return data


def _event(*, uid: str, day: str, stamp: dt.datetime, title: str, description: str,
           url: str | None, category: str) -> Event:
    start = dt.date.fromisoformat(day)
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", start + dt.timedelta(days=1))
    event.add("summary", _clean(title)[:_MAX_TITLE])
    if description:
        event.add("description", _clean(description, keep_newlines=True)[:_MAX_DESCRIPTION])
    if url and _plain_url(url):
        event.add("url", url)
    event.add("categories", [category])
    event.add("transp", "TRANSPARENT")
    return event


def _plain_url(url: str) -> bool:
    """An http(s) URL with a host and no white space, control or bidi characters."""
    if not _PLAIN_URL.fullmatch(url) or terminal_safe(url) != url:
        return False
    try:
        return bool(urlsplit(url).netloc)
    except ValueError:  # "Invalid IPv6 URL"
        return False


def _uid(*parts: Any) -> str:
    digest = hashlib.sha256("\x00".join(map(str, parts)).encode("utf-8")).hexdigest()[:32]
    return f"{parts[0]}-{digest}@{_DOMAIN}"


def _clean(text: str, keep_newlines: bool = False) -> str:
    cleaned = terminal_safe(text)
    return cleaned if keep_newlines else " ".join(cleaned.split())
