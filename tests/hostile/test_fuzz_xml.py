"""Fuzzing the feed parsers (RSS / Atom) with mutated feeds, entity bombs and external entities.

No real feed of these sites was ever saved: the seeds are the synthetic fixtures. On top of the
random mutations, every feed is also tried with a "billion laughs" DTD and with external
entities (a local file, a network URL): none may be expanded or fetched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sources import kz_adilet as adilet
from sources import kz_akorda as akorda
from sources.generic_feed import FeedSource
from tests.hostile.mutations import (
    Op,
    check_parse,
    fuzz_settings,
    mutate,
    operations,
    seeds,
)

pytestmark = [pytest.mark.filterwarnings("ignore::bs4.XMLParsedAsHTMLWarning"),
              pytest.mark.filterwarnings("ignore::bs4.MarkupResemblesLocatorWarning")]

ADILET_RSS = "https://old.adilet.zan.kz/rus/docs/rss"
AKORDA_RSS = "https://www.akorda.kz/ru/rss"
FEEDS = ("kz_akorda", "kz_adilet", "generic")

PARSERS: dict[str, Callable[[str], Any]] = {
    "kz_adilet.parse_rss": lambda t: adilet.parse_rss(t, ADILET_RSS),
    "KzAdilet.parse (feed URL)": lambda t: adilet.KzAdilet.parse(t, ADILET_RSS),
    "kz_akorda.parse_rss": lambda t: akorda.parse_rss(t, AKORDA_RSS),
    "KzAkorda.parse": lambda t: akorda.KzAkorda.parse(t, AKORDA_RSS),
    "feed parse_configured": lambda t: FeedSource.parse_configured(
        "feed", {"url": AKORDA_RSS, "fields": {"status": "category", "agency": "dc:creator"}},
        t, ""),
}


@pytest.mark.parametrize("name", list(PARSERS))
@fuzz_settings(examples=80)
@given(data=st.data(), ops=operations())
def test_mutated_feeds_give_records_or_a_clear_error(name: str, data: st.DataObject,
                                                     ops: list[Op]) -> None:
    feeds = seeds(FEEDS, suffixes=(".xml",))
    text = mutate(feeds[data.draw(st.integers(0, len(feeds) - 1), label="feed")], ops)
    check_parse(PARSERS[name], text)


@pytest.mark.parametrize("name", list(PARSERS))
@pytest.mark.parametrize("external", [False, True], ids=["billion-laughs", "external-entities"])
def test_entity_bombs_are_never_expanded(name: str, external: bool) -> None:
    """Every feed, with the bomb's entity referenced in its first element: records whose text
    holds no expansion (no "aaaa…", no /etc/passwd), or a clear error."""
    for feed in seeds(FEEDS, suffixes=(".xml",)):
        result = check_parse(PARSERS[name], mutate(feed, [("bomb", external)]))
        for record in result if isinstance(result, list) else []:
            flat = repr(record)
            assert "aaaaaaaaaaaaaaaaaaaa" not in flat and "root:" not in flat
