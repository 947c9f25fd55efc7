"""Matching wired to the store: the home's goals, documents → matcher → matches table."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tracker.matching import Goal, MatchInput, load_goals
from tracker.matching.engine import matcher_for
from tracker.matching.goals import default_goals_path
from tracker.store import Store
from tracker.store.matches import FoundMatch, MatchChanges, apply_matches, get_meta, set_meta
from tracker.store.schema import documents, match_pending

GOALS_NAME = "goals.toml"
_FINGERPRINT_KEY = "goals_fingerprint"
#: details keys whose text is matched as the document's body (sources put text there).
TEXT_DETAILS = ("text", "requisites", "snippet", "description", "summary", "body")
#: details keys holding labels (UPR themes and groups of persons).
LABEL_DETAILS = ("themes", "affected_persons", "labels")
_CHUNK = 500


def goals_path(home: Path) -> Path:
    """The home's goals file, or the shipped defaults when the home has none."""
    path = home / GOALS_NAME
    return path if path.exists() else default_goals_path()


def install_default_goals(home: Path) -> bool:
    """Copy the shipped goals into the home (0600) so staff can edit them; True if copied."""
    target = home / GOALS_NAME
    if target.exists():
        return False
    shutil.copyfile(default_goals_path(), target)
    os.chmod(target, 0o600)
    return True


def load_home_goals(home: Path) -> list[Goal]:
    """The goals staff edit (GoalsError names file:line:column on a bad query)."""
    return load_goals(goals_path(home))


def fingerprint(goals: Sequence[Goal]) -> str:
    """Changes whenever a goal's id or query changes."""
    blob = "\n".join(f"{g.id}\x00{g.query}" for g in goals)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def match_input(row: Mapping[str, Any]) -> MatchInput:
    """What the matcher reads of a stored document: title, body text and labels."""
    details = row.get("details") or {}
    text = "\n".join(str(details[k]) for k in TEXT_DETAILS if details.get(k))
    labels: list[str] = []
    for key in LABEL_DETAILS:
        value = details.get(key)
        if isinstance(value, list):
            labels.extend(str(v) for v in value)
        elif isinstance(value, str) and value:
            labels.append(value)
    return MatchInput(title=row.get("title") or "", text=text, labels=labels,
                      lang=row.get("language"))


def match_documents(
    store: Store, goals: Sequence[Goal], doc_ids: Iterable[int], run_id: int | None = None
) -> MatchChanges:
    """Match these stored documents against the goals and record the result."""
    matcher = matcher_for(goals)
    goal_ids = [g.id for g in goals]
    total = MatchChanges({}, {})
    ids = list(doc_ids)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        rows = [r for r in store.documents_by_id(chunk)]
        found = {
            int(row["id"]): [
                FoundMatch(m.goal, m.score, [r.to_dict() for r in m.reasons])
                for m in matcher.match(match_input(row))
            ]
            for row in rows
        }
        read = {int(row["id"]): row["content_hash"] for row in rows}
        with store.write() as conn:
            changes = apply_matches(conn, found, goal_ids=goal_ids, run_id=run_id)
            # Matched: no longer pending (same transaction as the verdict, see the queue).
            # Only documents still as they were read leave the queue. One that another run
            # changed meanwhile was already queued (finish_run found it there), and that
            # run's process may die before its own matching: the new version stays queued.
            now = {int(i): h for i, h in conn.execute(
                select(documents.c.id, documents.c.content_hash)
                .where(documents.c.id.in_(chunk)))}
            done = [i for i in chunk if now.get(i) == read.get(i)]
            if done:
                conn.execute(match_pending.delete().where(
                    match_pending.c.document_id.in_(done)))
        total.gained.update(changes.gained)
        total.lost.update(changes.lost)
    return total


def rematch_if_goals_changed(store: Store, goals: Sequence[Goal]) -> MatchChanges | None:
    """Re-match every stored document when the goals changed since the last matching;
    None when they did not."""
    current = fingerprint(goals)
    with store.engine.connect() as conn:
        if get_meta(conn, _FINGERPRINT_KEY) == current:
            return None
        ids = [int(i) for i in conn.execute(select(documents.c.id)).scalars()]
    changes = match_documents(store, goals, ids)
    with store.write() as conn:
        set_meta(conn, _FINGERPRINT_KEY, current)
    return changes
