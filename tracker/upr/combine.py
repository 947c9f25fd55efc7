"""One document per recommendation across the UHRI export and UPR Info (pure).

Identity: ``<WG report symbol>:<paragraph>`` (e.g. ``A/HRC/28/10:124.6``) whenever the
symbol and the paragraph are known. The export gives both. A UPR Info row gets the symbol
from its cycle (the ``wg_reports`` table) and the paragraph from its text when the text
starts with it; otherwise it is joined to the export record of the same cycle with the same
text (compared without paragraph number, trailing "(States);", case and punctuation; the
recommending states break ties). What cannot be identified keeps a fallback id
``uhri:<AnnotationId>`` or ``upr-info:<sharedId>``, and a recommendation already stored under
a fallback id keeps it (ids never move), with both raw ids in ``details``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tracker.models import Record
from tracker.upr.parse import Rec, text_key
from tracker.upr.vocab import clean_labels, normalise_position, normalise_states, theme_groups

UPR_INFO_ENTITY = "https://upr-info-database.uwazi.io/entity/{}"
UN_DOCUMENT = "https://docs.un.org/en/{}"


@dataclass
class Combined:
    """The records to yield and what to report."""

    records: list[Record] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _para_sort(paragraph: str | None) -> tuple[int, ...]:
    if not paragraph:
        return (10**6,)
    return tuple(int(part) for part in paragraph.split(".") if part.isdigit())


def _primary_id(symbol: str | None, paragraph: str | None) -> str | None:
    return f"{symbol}:{paragraph}" if symbol and paragraph else None


def combine(
    api: Sequence[Rec],
    export: Sequence[Rec],
    *,
    source: str,
    wg_reports: Mapping[int, str],
    known_ids: Collection[str] = frozenset(),
    position_map: Mapping[str, str] | None = None,
    export_complete: bool = True,
) -> Combined:
    """Merge both inputs into one record per recommendation.

    ``export_complete`` is False when an export is configured but was not read in full this
    run (it answered 304, failed or was cut short): a UPR Info row then says nothing about
    the fields the export contributes (the theme groups come from both inputs' labels), so
    they are left out and the stored values are kept, instead of being recomputed from the
    UPR Info labels alone (a spurious ``details_changed``)."""
    out = Combined()
    by_cycle = {symbol: cycle for cycle, symbol in wg_reports.items()}
    pairs: dict[str, tuple[Rec | None, Rec | None]] = {}
    join_index: dict[tuple[int | None, str], list[str]] = {}
    for rec in export:
        if rec.cycle is None and rec.symbol in by_cycle:
            rec.cycle = by_cycle[rec.symbol]
        rid = _primary_id(rec.symbol, rec.paragraph) or f"uhri:{rec.raw_id}"
        if rid in pairs:
            out.warnings.append(f"export: two records for {rid} ({rec.raw_id} skipped)")
            continue
        pairs[rid] = (None, rec)
        join_index.setdefault((rec.cycle, text_key(rec.text)), []).append(rid)
    seen_api: set[str] = set()
    for rec in api:
        if rec.raw_id in seen_api:
            continue
        seen_api.add(rec.raw_id)
        if rec.symbol is None and rec.cycle is not None:
            rec.symbol = wg_reports.get(rec.cycle)
        rid = (_primary_id(rec.symbol, rec.paragraph) or _join(rec, join_index, pairs)
               or f"upr-info:{rec.raw_id}")
        other_api, other_export = pairs.get(rid, (None, None))
        if other_api is not None:
            out.warnings.append(f"UPR Info: two rows for {rid} ({rec.raw_id} kept apart)")
            rid = f"upr-info:{rec.raw_id}"
            other_export = None
        pairs[rid] = (rec, other_export)
    ordered = sorted(pairs.items(), key=lambda kv: _order(kv[1]))
    unknown_positions: dict[str, int] = {}
    no_position = 0
    for rid, (a, e) in ordered:
        record, problem = _record(source, _stable_id(rid, a, e, known_ids), a, e, position_map,
                                  export_complete)
        out.records.append(record)
        if problem == "none":
            no_position += 1
        elif problem:
            unknown_positions[problem] = unknown_positions.get(problem, 0) + 1
        if a and e and a.position_raw and e.position_raw:
            pa = normalise_position(a.position_raw, position_map)
            pe = normalise_position(e.position_raw, position_map)
            if pa and pe and pa.stage != pe.stage:
                out.warnings.append(
                    f"{record.external_id}: UHRI says {e.position_raw!r}, UPR Info says "
                    f"{a.position_raw!r} (UHRI kept)")
    for raw, count in sorted(unknown_positions.items()):
        out.warnings.append(f"unmapped position {raw!r} on {count} recommendation(s) "
                            "(stage unknown; add it to position_map)")
    if no_position:
        out.warnings.append(f"{no_position} recommendation(s) without a position (UPR Info "
                            "did not have them and export_position_field is not set)")
    return out


def _join(
    rec: Rec, index: Mapping[tuple[int | None, str], list[str]],
    pairs: Mapping[str, tuple[Rec | None, Rec | None]],
) -> str | None:
    """The export id with the same cycle and text (states break ties), not yet joined."""
    candidates = [rid for rid in index.get((rec.cycle, text_key(rec.text)), [])
                  if pairs[rid][0] is None]
    if len(candidates) > 1:
        mine = normalise_states(rec.states_raw).states
        candidates = [rid for rid in candidates if _states_of(pairs[rid][1]) == mine]
    return candidates[0] if len(candidates) == 1 else None


def _states_of(rec: Rec | None) -> list[str]:
    return normalise_states(rec.states_raw).states if rec is not None else []


def _order(pair: tuple[Rec | None, Rec | None]) -> tuple[Any, ...]:
    a, e = pair
    rec = e or a
    assert rec is not None
    return (rec.cycle or 0, rec.symbol or "", _para_sort(rec.paragraph), rec.raw_id)


def _stable_id(rid: str, a: Rec | None, e: Rec | None, known: Collection[str]) -> str:
    """A recommendation stored under a fallback id keeps it."""
    if rid in known:
        return rid
    for fallback in ((f"uhri:{e.raw_id}" if e else None),
                     (f"upr-info:{a.raw_id}" if a else None)):
        if fallback and fallback in known:
            return fallback
    return rid


def _record(
    source: str, external_id: str, a: Rec | None, e: Rec | None,
    position_map: Mapping[str, str] | None,
    export_complete: bool = True,
) -> tuple[Record, str | None]:
    """The record, and "none" (no position), the unmapped raw position, or None."""
    main = e or a
    assert main is not None
    position_raw = (e.position_raw if e else None) or (a.position_raw if a else None)
    position = normalise_position(position_raw, position_map)
    problem = "none" if position_raw is None else (None if position else position_raw)
    symbol = main.symbol or (a.symbol if a else None)
    paragraph = main.paragraph or (a.paragraph if a else None)
    states_raw = (e.states_raw if e and e.states_raw else None) or (a.states_raw if a else [])
    states = normalise_states(states_raw)
    details: dict[str, Any] = {
        "cycle": main.cycle if main.cycle is not None else (a.cycle if a else None),
        "symbol": symbol,
        "paragraph": paragraph,
        "state_under_review": (a.state if a and a.state else main.state),
        "recommending_states": states.states,
        "recommending_states_raw": states_raw,
        "non_state_tokens": states.other,
        "position_kind": position.kind if position else None,
    }
    labels: list[str] = []
    if e is not None:
        labels += e.themes_raw + e.persons_raw
        details.update({
            "uhri_id": e.raw_id, "uhri_document_id": e.document_id,
            "themes": clean_labels(e.themes_raw), "themes_raw": e.themes_raw,
            "affected_persons": clean_labels(e.persons_raw),
            "affected_persons_raw": e.persons_raw, "sdgs": e.sdgs,
        })
        if e.position_raw:
            details["position_uhri"] = e.position_raw
    if a is not None:
        labels += a.issues
        details.update({
            "upr_info_id": a.raw_id, "upr_info_url": UPR_INFO_ENTITY.format(a.raw_id),
            "issues": a.issues, "action_category": a.action_category,
        })
        if a.session is not None:
            details["session"] = a.session
        if a.position_raw:
            details["position_upr_info"] = a.position_raw
    if labels and (e is not None or export_complete):
        details["theme_groups"] = theme_groups(labels)
    # A value this run did not see is left out, so the stored one is kept (merge rule).
    details = {k: v for k, v in details.items() if v is not None}
    if symbol:
        url = UN_DOCUMENT.format(symbol)
    elif a is not None:
        url = UPR_INFO_ENTITY.format(a.raw_id)
    else:
        url = "https://uhri.ohchr.org/en/"
    record = Record(
        source=source,
        external_id=external_id,
        title=main.text,
        url=url,
        kind="recommendation",
        stage=position.stage if position else "unknown",
        status_raw=position_raw,
        doc_type="UPR recommendation",
        created=e.published if e else None,
        agency="; ".join(states.states) or None,
        language="en",
        details=details,
        evidence=(a.evidence if a else None) or (e.evidence if e else None),
    )
    return record, problem
