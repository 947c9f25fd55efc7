"""The shadow-report table: one row per recommendation, as Markdown or CSV.

Columns: recommendation, recommending state, position, goal(s), assessment, linked bills
with their current stage. Goals come from the matcher (``tracker.matching``: the home's
goals file, or the shipped defaults) when it is installed, united with the stored
``matches`` rows (a goal staff dismissed for the recommendation is left out); without the
matcher, from the stored rows alone. Scraped text is neutralised for each format.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracker.errors import ConfigError
from tracker.textsafe import csv_safe, terminal_safe

HEADERS = ("recommendation", "recommending state", "position", "goal(s)", "assessment",
           "linked bills (current stage)")


@dataclass(frozen=True)
class ReportRow:
    """One recommendation in the report (plain text; escaping happens per format)."""

    ref: str
    recommendation: str
    states: str
    position: str
    goals: tuple[str, ...]
    assessment: str
    linked: tuple[str, ...]

    def cells(self) -> tuple[str, ...]:
        """The six columns as text."""
        return (self.recommendation, self.states, self.position, "; ".join(self.goals),
                self.assessment, "; ".join(self.linked))


class GoalResolver:
    """Goal ids for a recommendation: matcher results ∪ stored matches − dismissed."""

    def __init__(self, goals_path: Path | None = None) -> None:
        self.method = "stored matches"
        self.note = ""
        self._goals: Any = None
        self._match: Any = None
        self._input: Any = None
        try:
            from tracker.matching import MatchInput, load_goals, match_document
        except ImportError:
            self.note = "tracker.matching is not installed: goals come from stored matches"
            return
        try:
            self._goals = load_goals(goals_path)
        except ConfigError as exc:
            self.note = f"goals file not usable ({exc}): goals come from stored matches"
            return
        self._match, self._input = match_document, MatchInput
        self.method = "matcher + stored matches"

    @property
    def goal_ids(self) -> list[str] | None:
        """Ids of the goals file's goals (None without the matcher)."""
        return None if self._goals is None else [g.id for g in self._goals]

    def goals_for(self, rec: dict[str, Any]) -> tuple[str, ...]:
        """Goal ids for one stored recommendation (see :func:`recommendations`)."""
        found: list[str] = list(rec.get("goals_stored", []))
        if self._goals is not None:
            details = rec.get("details", {})
            labels = [*details.get("themes_raw", []), *details.get("affected_persons_raw", []),
                      *details.get("issues", [])]
            doc = self._input(text=rec.get("title") or "", labels=labels, lang="en")
            found += [m.goal for m in self._match(doc, self._goals)]
        dismissed = set(rec.get("goals_dismissed", []))
        out: list[str] = []
        for goal in found:
            if goal not in dismissed and goal not in out:
                out.append(goal)
        return tuple(out)


def build_rows(recs: Sequence[dict[str, Any]], resolver: GoalResolver,
               goal: str | None = None) -> list[ReportRow]:
    """Report rows for stored recommendations (only those matching ``goal`` if given)."""
    rows = []
    for rec in recs:
        goals = resolver.goals_for(rec)
        if goal is not None and goal not in goals:
            continue
        details = rec["details"]
        paragraph = details.get("paragraph")
        text = f"{paragraph} {rec['title']}" if paragraph else rec["title"]
        states = details.get("recommending_states") or []
        assessment = rec.get("assessment")
        judged = "not assessed"
        if assessment:
            judged = assessment["status"] + (f" — {assessment['note']}" if assessment["note"]
                                             else "")
        linked = tuple(
            f"{r['kind']}: {r['title']} [{r['source']}:{r['external_id']}] — {r['stage']}"
            + (f" ({r['status_raw']})" if r.get("status_raw") else "")
            for r in rec.get("relations", []))
        rows.append(ReportRow(
            ref=f"{rec['source']}:{rec['external_id']}", recommendation=text,
            states="; ".join(states), position=rec.get("status_raw") or "—", goals=goals,
            assessment=judged, linked=linked,
        ))
    return rows


_MD_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()!|~#])")


def md_cell(value: object) -> str:
    """Text safe inside a Markdown table cell: control characters dropped, backslashes and
    Markdown punctuation escaped, ``<``/``>`` as entities (no raw HTML), newlines as ``<br>``."""
    text = terminal_safe(value).replace("\r\n", "\n").replace("\r", "\n")
    # Backslash-escape Markdown punctuation: a scraped "[x](javascript:…)" or "![](url)" must
    # stay text, not become a live link or a remote image in the shadow report.
    text = _MD_PUNCTUATION.sub(r"\\\1", text)
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    return "<br>".join(part.strip() for part in text.split("\n"))


def to_markdown(rows: Sequence[ReportRow], title: str, notes: Sequence[str] = ()) -> str:
    """A Markdown document: a heading, the table, then notes."""
    lines = [f"# {md_cell(title)}", "", "| " + " | ".join(HEADERS) + " |",
             "|" + "---|" * len(HEADERS)]
    for row in rows:
        lines.append("| " + " | ".join(md_cell(c) for c in row.cells()) + " |")
    lines.append("")
    lines += [f"_{md_cell(note)}_" for note in notes if note]
    return "\n".join(lines).rstrip() + "\n"


def to_csv(rows: Sequence[ReportRow]) -> str:
    """CSV with a header row; every cell neutralised against formula injection."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow([csv_safe(c) for c in row.cells()])
    return buffer.getvalue()
