"""Guards for parsers facing broken or hostile pages: URL joins that never raise, and
linear-time checks on how a page's entries nest.

URLs. ``urllib.parse`` raises ValueError ("Invalid IPv6 URL") for a host part with an
unbalanced ``[`` — one such link (a typo on a site, or a page built to hurt) made every parser
crash. :func:`join_url` and :func:`split_url` return None instead, and each parser treats
that as it treats a missing link.

Nesting. When entries (cards, rows, items) are nested inside each other — unclosed tags, or
a hostile page — every lookup inside an entry walks all the entries below it: quadratic
time, minutes for a page of a few hundred kilobytes. :func:`nesting_depths` looks at the
nesting in one pass (each ancestor is visited once over all entries), so a parser can refuse
such a page (LayoutChanged) before doing per-entry work.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import SplitResult, urljoin, urlsplit

from bs4 import Tag

from tracker.errors import LayoutChanged


def join_url(base: str, href: str) -> str | None:
    """``urljoin(base, href)``, or None when urllib refuses either of them."""
    try:
        return urljoin(base, href)
    except ValueError:
        return None


def split_url(url: str) -> SplitResult | None:
    """``urlsplit(url)``, or None when urllib refuses it."""
    try:
        return urlsplit(url)
    except ValueError:
        return None


def nesting_depths(entries: Sequence[Tag]) -> list[int]:
    """For each entry, how many of the other entries contain it (0: inside none)."""
    marked = {id(entry) for entry in entries}
    # node → number of entries among the node and its ancestors
    inside: dict[int, int] = {}
    depths = []
    for entry in entries:
        chain: list[Tag] = []
        node = entry.parent
        while node is not None and id(node) not in inside:
            chain.append(node)
            node = node.parent
        count = inside[id(node)] if node is not None else 0
        for above in reversed(chain):
            if id(above) in marked:
                count += 1
            inside[id(above)] = count
        depths.append(count)
        inside[id(entry)] = count + 1
    return depths


def refuse_nesting(entries: Sequence[Tag], selector: str, url: str, *, limit: int = 0) -> None:
    """LayoutChanged when an entry sits inside more than ``limit`` other entries."""
    deepest = max(nesting_depths(entries), default=0)
    if deepest > limit:
        raise LayoutChanged(selector, url, f"entries nested {deepest} deep inside each other "
                            f"(at most {limit} expected): broken or hostile markup")
