"""run_source(key): fetch → parse → upsert → events, with the run recorded either way."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from tracker.archive import Archive
from tracker.catalog import class_for
from tracker.config import Settings
from tracker.errors import EmptyResult, SourceError
from tracker.fetch import Fetcher
from tracker.health import assess
from tracker.matching import Goal
from tracker.matchrun import match_documents
from tracker.models import Record, RunSummary
from tracker.store import Store
from tracker.store.store import INTERRUPTED

log = logging.getLogger(__name__)


def record_health(
    key: str, default_stale: int | None, settings: Settings, store: Store, errors: list[str]
) -> None:
    """Assess and record the source's health after a run (a change becomes an event)."""
    configured = settings.source(key).stale_after_days
    stale = default_stale if configured is None else configured
    last_new = store.last_new_document(key)
    health, reason = assess(
        failures_in_a_row=store.consecutive_failures(key),
        last_error=errors[0] if errors else None,
        last_new_item=datetime.fromisoformat(last_new) if last_new else None,
        now=datetime.now(UTC),
        stale_after_days=stale or None,
    )
    store.set_health(key, health, reason)


def recover_interrupted_runs(settings: Settings, store: Store) -> list[str]:
    """Close the runs a dead process left ``running`` (as failures, see
    ``Store.close_interrupted_runs``) and re-assess those sources' health, so a source whose
    runs keep dying turns degraded, then broken, like one whose runs fail. Call only while
    holding the scheduler lock. Also removes the archive's temporary files a killed process
    left behind. Returns the sources concerned."""
    removed = Archive(settings.archive_dir).remove_stale_temporaries()
    if removed:
        log.info("removed %d temporary archive files left by a killed process", removed)
    sources = store.close_interrupted_runs()
    for key in sources:
        try:
            default_stale = class_for(key, settings).stale_after_days
        except Exception:  # a source since removed from the configuration
            continue
        log.warning("a run of %s was interrupted (the process ended before it finished)", key)
        record_health(key, default_stale, settings, store, [INTERRUPTED])
    return sources


def run_source(
    key: str,
    *,
    settings: Settings,
    store: Store,
    fetcher: Fetcher,
    on_record: Callable[[Record], None] | None = None,
    goals: Sequence[Goal] | None = None,
) -> RunSummary:
    """Run one source now. Never raises for a source failure: the failure is the run's
    recorded error, records already parsed from complete pages are kept, and nothing stored
    is deleted. Validators are saved only for a run that succeeded, so a failed run's pages
    are read in full next time."""
    cls = class_for(key, settings)
    source_settings = settings.source(key)
    run_id = store.start_run(key)
    fetcher.reset_stats()
    allow = source_settings.robots_override.paths if source_settings.robots_override else ()
    source = cls(
        fetcher.bound(allow),
        base_url=source_settings.base_url,
        options=source_settings.options,
        known_ids=store.known_ids(key),
        name=key,
    )
    records: list[Record] = []
    errors: list[str] = []
    try:
        for record in source.crawl():
            records.append(record)
            if on_record is not None:
                on_record(record)
        if not records and source.pages_not_modified == 0 and not source.may_be_empty:
            raise EmptyResult(f"{key} produced no records (the site may have changed)")
    except SourceError as exc:
        errors.append(str(exc))
    except Exception as exc:  # one broken source must never stop the others
        log.exception("source %s crashed", key)
        errors.append(f"unexpected {type(exc).__name__}: {exc}")
    stats = fetcher.reset_stats()
    warnings = list(source.warnings)
    redirects = [f"{origin} redirected to another host: {target}"
                 for origin, target in dict.fromkeys(stats.host_redirects)]
    warnings += redirects
    if errors and redirects:
        # The error may name a page nobody configured, or none: say how the run got there.
        errors[0] = f"{errors[0]} (note: {redirects[0]})"
    ok = not errors
    result = store.finish_run(
        run_id, key, records, stats, ok=ok, not_modified=source.pages_not_modified,
        errors=errors, warnings=warnings,
    )
    if goals is not None:
        # Matching follows in its own transaction: the run's data is already safe, and a
        # matcher problem must never cost the scraped records. finish_run queued the changed
        # documents; whatever an earlier process left queued (it died before matching) is
        # matched now too, so no match is lost.
        to_match = list(dict.fromkeys([*result.changed, *store.pending_matches()]))
        if to_match:
            match_documents(store, goals, to_match, run_id)
    record_health(key, cls.stale_after_days, settings, store, errors)
    return RunSummary(
        source=key, run_id=run_id, status="ok" if ok else "error",
        inserted=result.inserted, updated=result.updated, unchanged=result.unchanged,
        events=result.events, requests=stats.requests, bytes=stats.bytes,
        not_modified=source.pages_not_modified, errors=tuple(errors),
        warnings=tuple(warnings),
    )
