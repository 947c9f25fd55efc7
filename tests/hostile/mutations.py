"""Mutated real pages for the parser fuzz tests, and the one rule every parser must follow.

A mutation is a short list of operations (hypothesis draws them, and shrinks a failure to the
fewest and smallest): byte flips decoded the way the fetcher decodes (UTF-8 with
replacement, so invalid UTF-8 becomes U+FFFD exactly as in production), truncation, deleted
and duplicated tags, huge attribute values, deep nesting, hostile tokens, XML entity bombs
and external entities, junk before the document, and — for JSON — values swapped for hostile
ones inside the parsed tree (lone-surrogate escapes, 5,000-digit numbers, dates out of range).

The rule (:func:`check_parse`): a parser returns records that the store can write, or raises
LayoutChanged, NoContent, SourceError or UsageError with a message — nothing else, within
:data:`TIME_LIMIT` seconds and :data:`MEMORY_LIMIT` bytes of extra address space.

Knobs: ``HOSTILE_EXAMPLES=<factor>`` multiplies every test's example count (for a long run),
``HOSTILE_RANDOM=1`` draws new examples each run instead of the fixed, reproducible set.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import resource
import signal
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES
from tests.shared_data import shared_dir
from tracker.errors import LayoutChanged, NoContent, SourceError, UsageError
from tracker.models import Record

ALLOWED = (LayoutChanged, NoContent, SourceError, UsageError)
#: Seconds one parse may take (a hang fails the test instead of stalling the suite).
TIME_LIMIT = 10.0
#: Extra address space one parse may take (the largest mutated page is about 1 MB).
MEMORY_LIMIT = 1 << 30
_FACTOR = max(1, int(os.environ.get("HOSTILE_EXAMPLES", "1") or "1"))


def fuzz_settings(examples: int, deadline_seconds: float = 3.0) -> settings:
    """Bounded settings: ``examples`` (times HOSTILE_EXAMPLES), a per-example deadline, no
    example database (nothing written into the working tree)."""
    return settings(
        max_examples=examples * _FACTOR,
        deadline=timedelta(seconds=deadline_seconds),
        database=None,
        derandomize=os.environ.get("HOSTILE_RANDOM", "") != "1",
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# -- seeds ------------------------------------------------------------------------------------


@cache
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def seeds(fixture_dirs: Sequence[str] = (), shared: Sequence[str] = (),
          suffixes: tuple[str, ...] = (".html", ".xml", ".json")) -> list[str]:
    """Texts of the synthetic fixtures in ``tests/sources/fixtures/<dir>`` and of the real
    saved pages under ``<shared>/kz-samples/<dir>`` (read in place; the test is skipped
    without the shared folder, and fails without it when CI=true)."""
    paths = [p for d in fixture_dirs for p in sorted((FIXTURES / d).iterdir())
             if p.suffix in suffixes]
    if shared:
        root = shared_dir() / "kz-samples"
        paths += [p for d in shared for p in sorted((root / d).iterdir())
                  if p.suffix in suffixes]
    assert paths, "no seed pages"
    return [_read(p) for p in paths]


# -- mutations --------------------------------------------------------------------------------

_TAG = re.compile(r"<[^<>]{0,300}>")
_NAME = re.compile(r"[\w:-]*")
_NESTS = ("<div>", "<b>", "<a href='/rus/docs/K1'>", "<table><tr><td>", "<li>", "<h3>",
          "<div class='contentlist'>", "<article class='news-item'>", "<item>", "<entry>",
          "<div class='post_holder'>", "<tr>", "[", '{"a":', "«")
_TOKENS = ("\x00", "\x1b[31m", "\x07", "\x7f", "\x85", "]]>", "<!--", "-->", "<![CDATA[", "&#0;",
           "&#xD800;", "&#x110000;", "&bogus;", "&amp;", "\u202e", "\ufeff", "<script>",
           '"', "'", "<", ">", "&", "\r\n", "totalPages: " + "9" * 5000, "9" * 5000,
           "<?xml version='1.0' encoding='utf-16'?>", "<!DOCTYPE html>", "null", "}", "]",
           "«закон «", "Найдено: " + "1" * 5000, "Fri, 31 Dec 9999 23:00:00 -0500",
           "9999-12-31T23:59:59-12:00", "31/12/9999", "00.00.0000", "javascript:alert(1)",
           "http://[", "<a href='http://[x/rus/docs/K1?id=1'>x</a>", "<link>http://[x</link>")
_BAD_BYTES = (b"\xff", b"\xfe\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80",
              b"\xe2\x82", b"\x00")
_BOMB = ('<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
         '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
         '<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">'
         '<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">'
         '<!ENTITY x SYSTEM "file:///etc/passwd"><!ENTITY n SYSTEM "http://127.0.0.1:9/x">]>')
_PREFIXES = ("\ufeff", "\ufeff\ufeff", " \ufeff", "\n\n", "<!-- c -->" * 40, "<!---->" * 40,
             "\x00", "<?xml version='1.0'?>")

Op = tuple[Any, ...]
_pos = st.integers(min_value=0, max_value=2**31)


def operations() -> st.SearchStrategy[list[Op]]:
    """One to four textual mutation operations."""
    op = st.one_of(
        st.tuples(st.just("flip"), st.lists(_pos, min_size=1, max_size=12)),
        st.tuples(st.just("bad_bytes"), _pos, st.sampled_from(_BAD_BYTES)),
        st.tuples(st.just("truncate"), _pos),
        st.tuples(st.just("delete_tag"), _pos, st.integers(1, 20)),
        st.tuples(st.just("duplicate"), _pos, st.sampled_from((40, 400, 4000)),
                  st.sampled_from((2, 10, 40))),
        st.tuples(st.just("huge_attr"), _pos, st.sampled_from('a"\'=«%&<'),
                  st.sampled_from((1_000, 50_000, 300_000))),
        st.tuples(st.just("nest"), _pos, st.sampled_from(_NESTS),
                  st.sampled_from((10, 300, 3000))),
        st.tuples(st.just("token"), _pos, st.sampled_from(_TOKENS)),
        st.tuples(st.just("bomb"), st.booleans()),
        st.tuples(st.just("prefix"), st.sampled_from(_PREFIXES)),
        st.tuples(st.just("swap"), _pos, _pos),
    )
    return st.lists(op, min_size=1, max_size=4)


def mutate(text: str, ops: Sequence[Op]) -> str:
    """``text`` after ``ops`` (positions are taken modulo the current length)."""
    for op in ops:
        text = _APPLY[op[0]](text, *op[1:])
    return text


def _at(text: str, pos: int) -> int:
    return pos % (len(text) + 1)


def _flip(text: str, positions: list[int]) -> str:
    data = bytearray(text.encode("utf-8"))
    for pos in positions:
        if data:
            data[pos % len(data)] ^= 1 << (pos % 8)
    return data.decode("utf-8", errors="replace")  # as tracker.fetch.decode_body does


def _bad_bytes(text: str, pos: int, raw: bytes) -> str:
    data = text.encode("utf-8")
    at = pos % (len(data) + 1)
    return (data[:at] + raw + data[at:]).decode("utf-8", errors="replace")


def _tags(text: str) -> list[re.Match[str]]:
    return list(_TAG.finditer(text))


def _delete_tag(text: str, pos: int, count: int) -> str:
    tags = _tags(text)
    for _ in range(min(count, len(tags))):
        tag = tags.pop(pos % len(tags))
        text = text[:tag.start()] + text[tag.end():]
        tags = _tags(text)
    return text


def _duplicate(text: str, pos: int, length: int, times: int) -> str:
    tags = _tags(text)
    start = tags[pos % len(tags)].start() if tags else _at(text, pos)
    piece = text[start:start + length]
    return text[:start] + piece * times + text[start:]


def _huge_attr(text: str, pos: int, char: str, size: int) -> str:
    tags = [t for t in _tags(text) if t.group()[1:2].isalpha()]
    if not tags:
        return text + char * size
    tag = tags[pos % len(tags)]
    name = _NAME.match(tag.group(), 1)
    at = tag.start() + (name.end() if name else 1)
    return text[:at] + f' data-x="{char * size}"' + text[at:]


def _nest(text: str, pos: int, opener: str, depth: int) -> str:
    at = _at(text, pos)
    return text[:at] + opener * depth + text[at:]


def _token(text: str, pos: int, token: str) -> str:
    at = _at(text, pos)
    return text[:at] + token + text[at:]


def _bomb(text: str, external: bool) -> str:
    reference = "&x;&n;" if external else "&g;"
    declaration = re.match(r"^\ufeff?\s*<\?xml[^>]*\?>", text)
    head = declaration.end() if declaration else 0
    body = text[head:]
    first = re.search(r"<(title|link|description|item|entry)>", body)
    if first:
        body = body[:first.end()] + reference + body[first.end():]
    return text[:head] + _BOMB + body


def _prefix(text: str, junk: str) -> str:
    return junk + text


def _swap(text: str, a: int, b: int) -> str:
    i, j = sorted((_at(text, a), _at(text, b)))
    return text[j:] + text[i:j] + text[:i]


_APPLY: dict[str, Callable[..., str]] = {
    "flip": _flip, "bad_bytes": _bad_bytes, "truncate": lambda t, p: t[:_at(t, p)],
    "delete_tag": _delete_tag, "duplicate": _duplicate, "huge_attr": _huge_attr,
    "nest": _nest, "token": _token, "bomb": _bomb, "prefix": _prefix, "swap": _swap,
}

# -- JSON mutations ----------------------------------------------------------------------------

_BIG = "__BIG_NUMBER__"
#: Hostile JSON values (``_BIG`` becomes a 5,000-digit number, which json.dumps cannot write).
JSON_VALUES: tuple[Any, ...] = (
    None, True, False, 0, -1, 2**70, 1.5, float("nan"), float("inf"), 1e308, _BIG, "", " ",
    "\ud800", "a\udc00b", "\x00\x1b[31m", "=cmd|' /C calc'!A0", "<script>alert(1)</script>",
    "x" * 100_000, "2026-13-45", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00",
    "Fri, 31 Dec 9999 23:00:00 -0500", "1" * 5000, "/docs/K1", "javascript:alert(1)",
    "http://[x/a.pdf", [], {},
    [None], {"a": None}, ["x", 1], [{"x": 1}], {"message": "boom"},
)


def json_operations() -> st.SearchStrategy[list[Op]]:
    """One to four mutations of the parsed tree, serialised back (escapes kept ASCII, so a
    lone surrogate arrives as the ``\\ud800`` escape an API would send)."""
    op = st.one_of(
        st.tuples(st.just("set"), _pos, st.integers(0, len(JSON_VALUES) - 1)),
        st.tuples(st.just("delete"), _pos),
        st.tuples(st.just("wrap"), _pos, st.booleans()),
        st.tuples(st.just("rename"), _pos),
        st.tuples(st.just("repeat"), _pos, st.sampled_from((2, 200))),
        st.tuples(st.just("deep"), _pos, st.sampled_from((10, 5000))),
    )
    return st.lists(op, min_size=1, max_size=4)


def mutate_json(text: str, ops: Sequence[Op]) -> str:
    """``text`` (a JSON document) after ``ops``; then written back as JSON text."""
    data = json.loads(text)
    deep: list[tuple[int, int]] = []
    for op in ops:
        paths = list(_paths(data))
        path = paths[op[1] % len(paths)]
        node = _get(data, path)
        if op[0] == "set":
            data = _set(data, path, json.loads(json.dumps(JSON_VALUES[op[2]])))
        elif op[0] == "delete" and path:
            del _get(data, path[:-1])[path[-1]]
        elif op[0] == "wrap":
            data = _set(data, path, [node] if op[2] else {"value": node})
        elif op[0] == "rename" and isinstance(node, dict) and node:
            key = sorted(node)[op[1] % len(node)]
            node[key + "_renamed"] = node.pop(key)
        elif op[0] == "repeat" and isinstance(node, list) and node:
            node.extend(json.loads(json.dumps(node[0])) for _ in range(op[2]))
        elif op[0] == "deep":
            deep.append((op[1], op[2]))
    out = json.dumps(data).replace(f'"{_BIG}"', "9" * 5000)
    for pos, depth in deep:  # nesting past json's recursion limit, as raw text
        at = pos % (len(out) + 1)
        out = out[:at] + "[" * depth + out[at:]
    return out


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    stack = [(value, path)]
    while stack:
        node, here = stack.pop()
        yield here
        if isinstance(node, dict):
            stack.extend((v, (*here, k)) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, (*here, i)) for i, v in enumerate(node))


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def _set(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    _get(value, path[:-1])[path[-1]] = new
    return value


# -- the rule ---------------------------------------------------------------------------------


class Hang(BaseException):  # BaseException: no parser's `except Exception` eats it
    """A parse ran past TIME_LIMIT."""


def _address_space() -> int | None:
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmSize:\s+(\d+) kB", status, re.M)
    return int(found.group(1)) * 1024 if found else None


@contextmanager
def bounded(seconds: float = TIME_LIMIT, memory: int = MEMORY_LIMIT) -> Iterator[None]:
    """Run the body with an alarm after ``seconds`` and the address space capped at its
    current size plus ``memory`` (Linux); a hang or a blow-up fails the test clearly."""
    def alarm(signum: int, frame: object) -> None:
        raise Hang(f"parse took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    used = _address_space()
    cap = None if used is None else used + memory
    if cap is not None and (hard == resource.RLIM_INFINITY or cap < hard):
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except MemoryError:
        pytest.fail(f"memory blow-up: more than {memory >> 20} MiB for one parse")
    except Hang as exc:
        pytest.fail(str(exc))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        signal.signal(signal.SIGALRM, previous)


def storable(record: Record) -> None:
    """What the store needs of a record: text fields that are text (UTF-8, so no lone
    surrogate), JSON-serialisable details, an id and a title."""
    assert isinstance(record, Record), type(record)
    assert isinstance(record.external_id, str) and record.external_id
    assert isinstance(record.title, str)
    json.dumps(dataclasses.asdict(record), ensure_ascii=False).encode("utf-8")


def check_parse(parse: Callable[[str], object], text: str) -> object:
    """Run ``parse`` under :func:`bounded`; an allowed error must carry a message, records
    must be storable. Returns what the parser returned (None after an allowed error)."""
    with bounded():
        try:
            result = parse(text)
        except ALLOWED as exc:
            assert str(exc).strip(), f"{type(exc).__name__} without a message"
            return None
    found = result if isinstance(result, list) else []
    for record in found:
        storable(record)
    return result
