"""Stream the UHRI bulk export (a JSON array of ~267 000 records, ~360 MB) and keep only
one state's UPR records: never more than one record in memory besides those kept.

The export is read with ijson from any binary file-like object: a local file (plain or
``.gz``) or an HTTP body streamed by the fetcher (see :class:`StreamingHTTP`, the API the
source expects from the core fetcher). A stream that ends early or stops being JSON is
reported as ``truncated``; the records completely read before the cut are kept (each export
record stands alone, and the store never deletes anything).
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from tracker.errors import SourceError
from tracker.upr.parse import EXPORT_KEYS

#: How many malformed records are described in the warning (all are counted).
_MAX_EXAMPLES = 3


class ExportBody(Protocol):
    """A streamed HTTP body (the proposed ``Fetcher.stream`` result)."""

    @property
    def url(self) -> str: ...
    @property
    def not_modified(self) -> bool: ...

    def read(self, size: int = -1) -> bytes:
        """The next bytes of the body (b"" at the end); FetchError if the connection dies."""
        ...

    def keep(self, payload: bytes) -> str:
        """Archive what the caller kept of the body (instead of the whole body) together
        with the response's status, headers, byte count and the body's sha256; return the
        sha256 of that archive entry (the evidence of the records)."""
        ...


class StreamingHTTP(Protocol):
    """A fetcher that can stream a body: robots.txt, pacing and retries before the first
    byte, no size cap, conditional request; nothing archived until ``keep``."""

    def stream(
        self, url: str, *, conditional: bool = True, headers: Mapping[str, str] | None = None
    ) -> AbstractContextManager[ExportBody]: ...


@dataclass
class ExportScan:
    """What one pass over the export found."""

    records: list[dict[str, Any]] = field(default_factory=list)
    scanned: int = 0
    malformed: int = 0
    examples: list[str] = field(default_factory=list)
    #: Why the stream ended early (None: read to the end).
    truncated: str | None = None

    def note_malformed(self, why: str) -> None:
        """Count one malformed record and keep the first few descriptions."""
        self.malformed += 1
        if len(self.examples) < _MAX_EXAMPLES:
            self.examples.append(why)

    def malformed_warning(self) -> str | None:
        """One warning line about the malformed records, or None."""
        if not self.malformed:
            return None
        more = f" (and {self.malformed - len(self.examples)} more)" if (
            self.malformed > len(self.examples)) else ""
        return (f"export: {self.malformed} malformed record(s) skipped: "
                + "; ".join(self.examples) + more)


def _strings(value: Any) -> list[str] | None:
    """The value if it is a list of strings, else None."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


#: Deepest nesting accepted. Export records are a few levels deep; a bound keeps a broken or
#: hostile body from exhausting memory (ijson's prefixed events grow with the square of the
#: depth: 10,000 levels took 250 MB, 100,000 killed the process).
MAX_DEPTH = 64


class _TooDeep(Exception):
    """The export nests deeper than :data:`MAX_DEPTH`."""


def _top_level_items(ijson: Any, stream: Any) -> Iterator[Any]:
    """The elements of the export's top-level array, one at a time, built from ijson's
    prefix-less ``basic_parse`` events with the nesting depth bounded (``ijson.items`` builds a
    dotted prefix for every event, whose size grows with the depth)."""
    depth = 0
    builder: Any = None
    for event, value in ijson.basic_parse(stream, use_float=True):
        if event in ("start_map", "start_array"):
            depth += 1
            if depth > MAX_DEPTH:
                raise _TooDeep(f"nested deeper than {MAX_DEPTH} levels")
            if depth == 1:
                if event != "start_array":
                    return  # not an array: no records (the source reports the layout change)
                continue
        elif event in ("end_map", "end_array"):
            depth -= 1
            if depth == 0:
                return
        elif depth == 0:
            return  # a bare scalar: no records
        if depth == 1 and event not in ("end_map", "end_array"):
            yield value  # a scalar element of the top-level array (reported as malformed)
            continue
        if builder is None:
            builder = ijson.ObjectBuilder()
        builder.event(event, value)
        if depth == 1:  # the element that just ended is complete
            yield builder.value
            builder = None


def scan_export(
    stream: IO[bytes] | ExportBody | Any, *, state: str, body: str = "- UPR"
) -> ExportScan:
    """Read the export incrementally; keep the records whose ``Countries`` holds ``state``
    and whose ``Body`` is ``body`` (both compared with whitespace trimmed, any case)."""
    try:  # imported here: only the export input needs it (pyproject: ijson)
        import ijson
    except ImportError:
        raise SourceError("reading the UHRI export needs the ijson package "
                          "(pip install ijson)") from None
    scan = ExportScan()
    want_state = state.strip().casefold()
    want_body = body.strip().casefold()
    countries_key, body_key = EXPORT_KEYS["countries"], EXPORT_KEYS["body"]
    try:
        for item in _top_level_items(ijson, stream):
            scan.scanned += 1
            if not isinstance(item, dict):
                scan.note_malformed(f"item {scan.scanned}: not an object")
                continue
            countries = _strings(item.get(countries_key))
            mechanism = item.get(body_key)
            if countries is None or not isinstance(mechanism, str):
                ident = item.get(EXPORT_KEYS["id"], f"item {scan.scanned}")
                scan.note_malformed(f"{ident}: {countries_key} or {body_key} missing or "
                                    "of the wrong type")
                continue
            if mechanism.strip().casefold() != want_body:
                continue
            if any(c.strip().casefold() == want_state for c in countries):
                scan.records.append(item)
    except _TooDeep as exc:
        scan.truncated = f"not an export after {scan.scanned} records: {exc}"
    except ijson.JSONError as exc:
        scan.truncated = f"not valid JSON after {scan.scanned} records: {exc}"
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        scan.truncated = f"compressed stream cut after {scan.scanned} records: {exc}"
    except (SourceError, OSError) as exc:
        scan.truncated = f"stream failed after {scan.scanned} records: {exc}"
    return scan


def scan_export_file(path: Path, *, state: str, body: str = "- UPR") -> ExportScan:
    """:func:`scan_export` over a local file (``.gz`` is decompressed on the fly)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        return scan_export(handle, state=state, body=body)
