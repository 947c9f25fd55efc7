"""Query trees compiled into plans and evaluated on a document's field indexes.

Words, phrases, NEAR and EXCEPT have *occurrences* (word positions) in one field; AND, OR,
NOT and field scopes are true or false for the whole document. A positional node outside any
field scope is true when it occurs in any field.

Every plan carries a *trigger*: query-word ids of which at least one must be present for the
plan to be true (``None`` when no such set exists, e.g. under NOT). An OR of sixty synonyms
only evaluates the few children whose trigger words the document contains.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tracker.matching.index import FieldIndex, Lexicon, Occ
from tracker.matching.query import And, Except, Field, Near, Node, Not, Or, Phrase, Word

ALL_FIELDS: tuple[str, ...] = ("title", "text", "labels")


class Doc:
    """The fields of one document, the query words present, and a per-document cache."""

    def __init__(self, fields: Mapping[str, FieldIndex]) -> None:
        self.fields = fields
        present: set[int] = set()
        for index in fields.values():
            present.update(index.present)
        self.present = frozenset(present)
        self.cache: dict[tuple[int, str], list[Occ]] = {}
        self.chosen: dict[int, list[Plan]] = {}


@dataclass(frozen=True, slots=True)
class Hit:
    """A positional node found in one field: what, where, and every occurrence."""

    node: Node
    field: str
    occurrences: tuple[Occ, ...]


class Plan:
    """A compiled query node."""

    node: Node
    trigger: frozenset[int] | None = None
    positional = False

    def truth(self, doc: Doc, scope: Sequence[str]) -> bool:
        """Whether the node holds, looking only at the fields in ``scope``."""
        trigger = self.trigger
        if trigger is not None and trigger.isdisjoint(doc.present):
            return False
        for field in scope:
            index = doc.fields.get(field)
            if index is None or (trigger is not None and trigger.isdisjoint(index.present)):
                continue
            if self.occurrences(doc, field):
                return True
        return False

    def occurrences(self, doc: Doc, field: str) -> list[Occ]:
        """Occurrences in one field (positional plans only), cached per document."""
        key = (id(self), field)
        found = doc.cache.get(key)
        if found is None:
            index = doc.fields.get(field)
            found = [] if index is None else self._find(doc, index, field)
            doc.cache[key] = found
        return found

    def _find(self, doc: Doc, index: FieldIndex, field: str) -> list[Occ]:
        raise TypeError(f"not a positional node: {type(self.node).__name__}")

    def children(self) -> tuple[Plan, ...]:
        """Sub-plans, for explanations."""
        return ()


class WordPlan(Plan):
    positional = True

    def __init__(self, node: Word, term_id: int) -> None:
        self.node, self.term_id, self.trigger = node, term_id, frozenset({term_id})

    def truth(self, doc: Doc, scope: Sequence[str]) -> bool:
        # a word is true where it is present: no positions needed
        term_id = self.term_id
        for field in scope:
            index = doc.fields.get(field)
            if index is not None and term_id in index.present:
                return True
        return False

    def _find(self, doc: Doc, index: FieldIndex, field: str) -> list[Occ]:
        return index.occ(self.term_id)


class PhrasePlan(Plan):
    """Anchored on its longest word (likely the rarest); the others are checked beside it."""

    positional = True

    def __init__(self, node: Phrase, ids: list[int], anchor: int, joined: int | None) -> None:
        self.node, self.ids, self.anchor, self.joined = node, ids, anchor, joined
        self.trigger = frozenset({ids[anchor]} | ({joined} if joined is not None else set()))
        self._needs = frozenset(ids)

    def _find(self, doc: Doc, index: FieldIndex, field: str) -> list[Occ]:
        if not self._needs <= index.present:  # some word of the phrase is missing
            return index.occ(self.joined) if self.joined is not None else []
        ids, anchor, size = self.ids, self.anchor, len(self.ids)
        others = [(j, ids[j]) for j in range(size) if j != anchor]
        words, ids_at = index.words, index.ids_at
        found: list[Occ] = []
        for first, last in index.occ(ids[anchor]):
            start = first - anchor
            if first != last or start < 0 or start + size > len(words):
                continue
            for j, term_id in others:
                if term_id not in ids_at(start + j):
                    break
            else:
                found.append((start, start + size - 1))
        if self.joined is not None:
            found = sorted(set(found) | set(index.occ(self.joined)))
        return found


class OrPlan(Plan):
    def __init__(self, node: Or, items: list[Plan]) -> None:
        self.node, self.items = node, items
        self.positional = all(item.positional for item in items)
        triggers = [item.trigger for item in items]
        self.trigger = None if None in triggers else frozenset().union(*filter(None, triggers))
        self._always = [item for item in items if item.trigger is None]
        self._by_id: dict[int, list[int]] = {}
        for number, item in enumerate(items):
            for term_id in item.trigger or ():
                self._by_id.setdefault(term_id, []).append(number)
        self._keys = frozenset(self._by_id)
        self._words = frozenset(i.term_id for i in items if isinstance(i, WordPlan))

    def candidates(self, doc: Doc) -> list[Plan]:
        """The items that can be true given the words present, in query order."""
        chosen = doc.chosen.get(id(self))
        if chosen is None:
            numbers = {n for term_id in self._keys & doc.present for n in self._by_id[term_id]}
            if self._always:
                numbers.update(n for n, item in enumerate(self.items) if item.trigger is None)
            chosen = doc.chosen[id(self)] = [self.items[n] for n in sorted(numbers)]
        return chosen

    def truth(self, doc: Doc, scope: Sequence[str]) -> bool:
        if self._words and not self._words.isdisjoint(doc.present):
            # one of the plain words is present somewhere: is it in scope?
            for field in scope:
                index = doc.fields.get(field)
                if index is not None and not self._words.isdisjoint(index.present):
                    return True
        return any(
            item.truth(doc, scope)
            for item in self.candidates(doc)
            if not isinstance(item, WordPlan)
        )

    def _find(self, doc: Doc, index: FieldIndex, field: str) -> list[Occ]:
        return sorted({o for item in self.candidates(doc) for o in item.occurrences(doc, field)})

    def children(self) -> tuple[Plan, ...]:
        return tuple(self.items)


class NearPlan(Plan):
    positional = True

    def __init__(self, node: Near, items: list[Plan]) -> None:
        self.node, self.items, self.distance = node, items, node.distance
        known = [item.trigger for item in items if item.trigger is not None]
        self.trigger = min(known, key=len) if known else None

    def _find(self, doc: Doc, index: FieldIndex, field: str) -> list[Occ]:
        tagged: list[tuple[Occ, int]] = []
        for number, item in enumerate(self.items):
            found = item.occurrences(doc, field)
            if not found:
                return []
            tagged.extend((occ, number) for occ in found)
        tagged.sort()
        wanted, limit = len(self.items), self.distance + 1  # NEAR/N: N words between
        counts = [0] * wanted
        covered = left = 0
        windows: list[Occ] = []
        for right, (occ, number) in enumerate(tagged):
            covered += counts[number] == 0
            counts[number] += 1
            while occ[0] - tagged[left][0][1] > limit:
                counts[tagged[left][1]] -= 1
                covered -= counts[tagged[left][1]] == 0
                left += 1
            if covered < wanted:
                continue
            while counts[tagged[left][1]] > 1:
                counts[tagged[left][1]] -= 1
                left += 1
            window = tagged[left : right + 1]
            windows.append((window[0][0][0], max(t[0][1] for t in window)))
        return windows

    def children(self) -> tuple[Plan, ...]:
        return tuple(self.items)


class ExceptPlan(Plan):
    positional = True

    def __init__(self, node: Except, base: Plan, excluded: Plan) -> None:
        self.node, self.base, self.excluded, self.trigger = node, base, excluded, base.trigger

    def _find(self, doc: Doc, index: FieldIndex, field: str) -> list[Occ]:
        base = self.base.occurrences(doc, field)
        if not base:
            return base
        cut = self.excluded.occurrences(doc, field)
        return [o for o in base if not any(o[0] <= x[1] and x[0] <= o[1] for x in cut)]

    def children(self) -> tuple[Plan, ...]:
        return (self.base, self.excluded)


class AndPlan(Plan):
    def __init__(self, node: And, items: list[Plan]) -> None:
        self.node, self.items = node, items
        known = [item.trigger for item in items if item.trigger is not None]
        self.trigger = min(known, key=len) if known else None

    def truth(self, doc: Doc, scope: Sequence[str]) -> bool:
        if self.trigger is not None and self.trigger.isdisjoint(doc.present):
            return False
        return all(item.truth(doc, scope) for item in self.items)

    def children(self) -> tuple[Plan, ...]:
        return tuple(self.items)


class NotPlan(Plan):
    def __init__(self, node: Not, item: Plan) -> None:
        self.node, self.item = node, item

    def truth(self, doc: Doc, scope: Sequence[str]) -> bool:
        return not self.item.truth(doc, scope)

    def children(self) -> tuple[Plan, ...]:
        return (self.item,)


class FieldPlan(Plan):
    def __init__(self, node: Field, item: Plan) -> None:
        self.node, self.item, self.trigger, self.name = node, item, item.trigger, node.name

    def truth(self, doc: Doc, scope: Sequence[str]) -> bool:
        return self.name in scope and self.item.truth(doc, (self.name,))

    def children(self) -> tuple[Plan, ...]:
        return (self.item,)


def compile_plan(node: Node, lexicon: Lexicon) -> Plan:
    """Compile a query tree, registering its words in ``lexicon``."""
    if isinstance(node, Word):
        return WordPlan(node, lexicon.add(node, indexed=True))
    if isinstance(node, Phrase):
        anchor = max(range(len(node.words)), key=lambda i: (len(node.words[i].form), -i))
        ids = [lexicon.add(w, indexed=i == anchor) for i, w in enumerate(node.words)]
        joined = lexicon.add(node.joined, indexed=True) if node.joined is not None else None
        return PhrasePlan(node, ids, anchor, joined)
    if isinstance(node, Or):
        return OrPlan(node, [compile_plan(item, lexicon) for item in node.items])
    if isinstance(node, And):
        return AndPlan(node, [compile_plan(item, lexicon) for item in node.items])
    if isinstance(node, Near):
        return NearPlan(node, [compile_plan(item, lexicon) for item in node.items])
    if isinstance(node, Except):
        return ExceptPlan(
            node, compile_plan(node.base, lexicon), compile_plan(node.excluded, lexicon)
        )
    if isinstance(node, Not):
        return NotPlan(node, compile_plan(node.item, lexicon))
    return FieldPlan(node, compile_plan(node.item, lexicon))


def hits(plan: Plan, doc: Doc, scope: Sequence[str] = ALL_FIELDS) -> list[Hit]:
    """The words, phrases and NEAR/EXCEPT groups that make a true ``plan`` true."""
    found: list[Hit] = []
    _collect(plan, doc, scope, found)
    return found


def _collect(plan: Plan, doc: Doc, scope: Sequence[str], found: list[Hit]) -> None:
    if isinstance(plan, AndPlan):
        for item in plan.items:
            _collect(item, doc, scope, found)
    elif isinstance(plan, OrPlan):
        for item in plan.candidates(doc):
            if item.truth(doc, scope):
                _collect(item, doc, scope, found)
    elif isinstance(plan, FieldPlan):
        if plan.name in scope:
            _collect(plan.item, doc, (plan.name,), found)
    elif plan.positional:
        for field in scope:
            occurrences = plan.occurrences(doc, field)
            if occurrences:
                found.append(Hit(plan.node, field, tuple(occurrences)))
