"""The Documents screen's search index: every document's folded text and sort keys in
memory, so a keystroke is answered in milliseconds whatever the database.

Why in memory: SQLite folds only ASCII case (``LIKE`` cannot match «Насилие» to «насилие»)
and a ``LIKE '%word%'`` scan sorted by another column reads every row on each keystroke.
Here each word's matches are a set of ids, cached, and a longer word typed after a shorter
one only re-checks the shorter one's matches; a page walks a presorted order until it is
full. The index is built in a worker after the first paint and refreshed incrementally
when the event log moves; a snapshot is never changed once published (its caches only
grow), so searches in other threads never see it half-updated.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Engine

from tracker.views import DocFilter, SearchRow, match_states, search_rows

WORD_CACHE = 64


def fold(text: str) -> str:
    """Case- and ё-insensitive form used for searching."""
    return text.casefold().replace("ё", "е")


@dataclass
class Snapshot:
    """The index at one moment: rows and folded texts by id, matches by document."""

    rows: dict[int, SearchRow]
    texts: dict[int, str]
    goals: dict[int, dict[str, str]]
    max_changed: str
    _orders: dict[str, tuple[list[int], list[int]]] = field(default_factory=dict)
    _words: dict[str, frozenset[int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def order(self, sort: str) -> tuple[list[int], list[int]]:
        """Ids ascending by ``sort`` (ties by id), and the ids that have no value."""
        cached = self._orders.get(sort)
        if cached is not None:
            return cached
        rows = self.rows.values()
        if sort == "deadline":
            dated = sorted((r.deadline, r.id) for r in rows if r.deadline)
            result = ([i for _d, i in dated], sorted(r.id for r in rows if not r.deadline))
        elif sort == "id":
            result = (sorted(self.rows), [])
        else:
            pairs = sorted(({"changed": r.last_changed, "stage": r.stage, "source": r.source,
                             "title": fold(r.title)}[sort], r.id) for r in rows)  # fmt: skip
            result = ([i for _k, i in pairs], [])
        self._orders[sort] = result
        return result

    def word(self, word: str) -> frozenset[int]:
        """Ids of the documents containing ``word`` (folded), refining a cached shorter
        word when there is one (typing «насилие» letter by letter re-checks ever fewer)."""
        with self._lock:
            cached = self._words.get(word)
            base = max((w for w in self._words if w in word), key=len, default=None)
            pool = self._words[base] if base is not None else None
        if cached is not None:
            return cached
        texts = self.texts
        if pool is None:
            found = frozenset([i for i, text in texts.items() if word in text])
        else:
            get = texts.__getitem__
            found = frozenset([i for i in pool if word in get(i)])
        with self._lock:
            if len(self._words) >= WORD_CACHE:
                self._words.pop(next(iter(self._words)))
            self._words[word] = found
        return found

    def matching(self, filt: DocFilter, today: date) -> frozenset[int] | None:
        """The ids that pass the filter (None: every document)."""
        sets: list[frozenset[int]] = [self.word(fold(w)) for w in filt.words]
        if filt.goal or filt.triage:
            sets.append(frozenset(
                d for d, states in self.goals.items()
                if (not filt.goal or filt.goal in states)
                and (not filt.triage or (states.get(filt.goal) == filt.triage if filt.goal
                                         else filt.triage in states.values()))))
        rows = self.rows.values()
        if filt.source:
            sets.append(frozenset(r.id for r in rows if r.source == filt.source))
        if filt.stage:
            sets.append(frozenset(r.id for r in rows if r.stage == filt.stage))
        if filt.deadline_days is not None:
            start = today.isoformat()
            end = (today + timedelta(days=filt.deadline_days)).isoformat()
            sets.append(frozenset(r.id for r in rows
                                  if r.deadline and start <= r.deadline <= end))
        if not sets:
            return None
        sets.sort(key=len)
        return sets[0].intersection(*sets[1:])

    def candidates(self, filt: DocFilter) -> Iterator[int]:
        """Ids in the filter's order (documents without a deadline always last)."""
        main, tail = self.order(filt.sort)
        yield from (reversed(main) if filt.descending else main)
        yield from tail

    def search(self, filt: DocFilter, today: date, *, offset: int = 0,
               limit: int = 100) -> tuple[list[int], bool, int]:  # fmt: skip
        """A page of matching ids, whether more follow, and how many match in all."""
        allowed = self.matching(filt, today)
        total = len(self.rows) if allowed is None else len(allowed)
        if offset >= total:
            return [], False, total
        wanted = offset + limit
        found: list[int] = []
        if allowed is None:
            for doc_id in self.candidates(filt):
                found.append(doc_id)
                if len(found) >= wanted:
                    break
        elif allowed:
            for doc_id in self.candidates(filt):
                if doc_id in allowed:
                    found.append(doc_id)
                    if len(found) >= wanted:
                        break
        return found[offset:], total > wanted, total


class SearchIndex:
    """Holds the current :class:`Snapshot`; :meth:`refresh` replaces it (call it from a
    worker thread)."""

    def __init__(self) -> None:
        self.snapshot: Snapshot | None = None
        self._lock = threading.Lock()

    def ready(self, engine: Engine) -> Snapshot:
        """The snapshot, built first if there is none yet."""
        snapshot = self.snapshot
        return snapshot if snapshot is not None else self.refresh(engine)

    def refresh(self, engine: Engine) -> Snapshot:
        """Build the snapshot, or update it with documents changed since the last one
        (one refresh at a time; a caller that waited gets an incremental update)."""
        with self._lock:
            old = self.snapshot
            fetched = search_rows(engine, old.max_changed if old else None)
            changed = [r for r in fetched if old is None or old.rows.get(r.id) != r]
            rows = dict(old.rows) if old else {}
            texts = dict(old.texts) if old else {}
            for row in changed:
                rows[row.id] = row
                texts[row.id] = fold(f"{row.title}\n{row.text}\n{row.external_id}")
            newest = max((r.last_changed for r in fetched),
                         default=old.max_changed if old else "")
            snapshot = Snapshot(rows, texts, match_states(engine), newest)
            if old is not None and not changed:
                # The same documents: sorted orders and word matches still hold.
                snapshot._orders, snapshot._words = old._orders, old._words
                snapshot._lock = old._lock
            snapshot.order("changed")  # the default order, sorted here rather than on a key
            self.snapshot = snapshot
            return snapshot
