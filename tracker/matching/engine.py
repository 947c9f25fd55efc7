"""Match documents to goals: pure functions, no database, no network.

>>> goals = load_goals()                           # doctest: +SKIP
>>> match_document(MatchInput(title="...", text="..."), goals)   # doctest: +SKIP
[GoalMatch(goal='domestic-violence', score=0.63, reasons=[Reason(...)])]

:class:`Matcher` compiles the words of all goals into one lexicon once; each document is
normalised and tokenised once per field, and every goal is evaluated on the resulting
occurrence lists. :func:`match_document` keeps a compiled matcher for the last goal lists.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tracker.matching.evaluate import ALL_FIELDS, Doc, Hit, Plan, compile_plan, hits
from tracker.matching.goals import Goal
from tracker.matching.index import FieldIndex, Lexicon

#: Weight of one found term by field (title words say most about a document).
FIELD_WEIGHTS = {"title": 3.0, "labels": 2.0, "text": 1.0}
SNIPPET_CONTEXT = 60
MAX_REASONS = 10
_TERM_LIMIT = 120


@dataclass(frozen=True)
class MatchInput:
    """A document to match: ``labels`` are e.g. UPR themes; ``lang`` is informative only
    (words are analysed per token, so mixed-language documents work)."""

    title: str = ""
    text: str = ""
    labels: Sequence[str] = ()
    lang: str | None = None


@dataclass(frozen=True)
class Reason:
    """Why a goal matched: the query ``term`` found in ``field``, quoted from the original."""

    field: str
    term: str
    snippet: str

    def to_dict(self) -> dict[str, str]:
        """``{"field", "term", "snippet"}`` for JSON output and the store."""
        return {"field": self.field, "term": self.term, "snippet": self.snippet}


@dataclass(frozen=True)
class GoalMatch:
    """A goal that matched a document, with a score in (0, 1) and the reasons."""

    goal: str
    score: float
    reasons: list[Reason] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """``{"goal", "score", "reasons": [...]}`` as in ``tracker match --json``."""
        return {
            "goal": self.goal,
            "score": self.score,
            "reasons": [reason.to_dict() for reason in self.reasons],
        }


class Matcher:
    """The goals compiled once; :meth:`match` is then cheap per document."""

    def __init__(self, goals: Iterable[Goal]) -> None:
        self.goals: tuple[Goal, ...] = tuple(goals)
        self.lexicon = Lexicon()
        self.plans: list[Plan] = [compile_plan(g.compiled.root, self.lexicon) for g in self.goals]
        self._terms: dict[int, str] = {}

    def prepare(self, doc: MatchInput) -> Doc:
        """Normalise and index one document (once, for every goal)."""
        fields: dict[str, FieldIndex] = {}
        if doc.title:
            fields["title"] = FieldIndex([doc.title], self.lexicon)
        if doc.text:
            fields["text"] = FieldIndex([doc.text], self.lexicon)
        if doc.labels:
            labels = [" ".join(label.split()) for label in doc.labels]
            fields["labels"] = FieldIndex(labels, self.lexicon)
        return Doc(fields)

    def match(self, doc: MatchInput) -> list[GoalMatch]:
        """The goals ``doc`` matches, in goals-file order."""
        prepared = self.prepare(doc)
        if not prepared.present:
            return []
        selected: list[tuple[Goal, float, list[tuple[Hit, str]]]] = []
        for goal, plan in zip(self.goals, self.plans, strict=True):
            if plan.truth(prepared, ALL_FIELDS):
                selected.append((goal, *_select(goal, hits(plan, prepared), self._terms)))
        if not selected:
            return []
        # one pass per field finds the character offsets of every quoted occurrence
        wanted: dict[str, set[int]] = {}
        for _goal, _score, chosen in selected:
            for hit, _term in chosen:
                wanted.setdefault(hit.field, set()).update(hit.occurrences[0])
        spans = {name: prepared.fields[name].original_spans(at) for name, at in wanted.items()}
        matches: list[GoalMatch] = []
        for goal, score, chosen in selected:
            reasons = []
            for hit, term in chosen:
                first, last = hit.occurrences[0]
                where = spans[hit.field]
                original = prepared.fields[hit.field].norm.original
                snippet = make_snippet(original, where[first][0], where[last][1])
                reasons.append(Reason(hit.field, term, snippet))
            matches.append(GoalMatch(goal.id, score, reasons))
        return matches


def _select(
    goal: Goal, found: list[Hit], terms: dict[int, str]
) -> tuple[float, list[tuple[Hit, str]]]:
    """The score, and the hits to quote (one per field and query term, title first)."""
    order = {"title": 0, "labels": 1, "text": 2}
    found = sorted(found, key=lambda h: (order.get(h.field, 3), h.occurrences[0][0]))
    raw = 0.0
    chosen: list[tuple[Hit, str]] = []
    seen: set[tuple[str, str]] = set()
    for hit in found:
        term = terms.get(id(hit.node))
        if term is None:
            term = goal.compiled.text_of(hit.node)
            if len(term) > _TERM_LIMIT:
                term = term[: _TERM_LIMIT - 1] + "…"
            terms[id(hit.node)] = term  # the node lives as long as the goal (and the matcher)
        if (hit.field, term) in seen:
            continue
        seen.add((hit.field, term))
        raw += FIELD_WEIGHTS.get(hit.field, 1.0) * (1.0 + math.log(len(hit.occurrences)))
        if len(chosen) < MAX_REASONS:
            chosen.append((hit, term))
    return round(1.0 - math.exp(-raw / 3.0), 3), chosen


def make_snippet(original: str, start: int, end: int, context: int = SNIPPET_CONTEXT) -> str:
    """``original[start:end]`` with some context (whole words, one line), whitespace collapsed."""
    line_start = original.rfind("\n", 0, start) + 1
    line_end = original.find("\n", end)
    stop = len(original) if line_end < 0 else line_end
    lo = max(line_start, start - context)
    hi = min(stop, end + context)
    if lo > line_start:
        space = original.find(" ", lo, start)
        lo = space + 1 if space >= 0 else lo
    if hi < stop:
        space = original.rfind(" ", end, hi)
        hi = space if space >= 0 else hi
    body = " ".join(original[lo:hi].split())
    head = "…" if lo > 0 else ""
    tail = "…" if hi < len(original) else ""
    return f"{head}{body}{tail}"


_CACHE: dict[tuple[int, ...], tuple[tuple[Goal, ...], Matcher]] = {}


def matcher_for(goals: Sequence[Goal]) -> Matcher:
    """A compiled :class:`Matcher` for ``goals``, reused while the same goal objects are used."""
    key = tuple(id(goal) for goal in goals)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached[1]
    matcher = Matcher(goals)
    if len(_CACHE) >= 8:
        _CACHE.clear()
    _CACHE[key] = (matcher.goals, matcher)  # holding the goals keeps their ids unique
    return matcher


def match_document(doc: MatchInput, goals: Sequence[Goal]) -> list[GoalMatch]:
    """The goals ``doc`` matches (only those), in the order of ``goals``, with reasons."""
    return matcher_for(goals).match(doc)
