"""UPR recommendations for one state (Kazakhstan) from two inputs, as ONE source.

Inputs (../shared/SOURCES.md §8.1-8.2):

* **UPR Info database** (Uwazi JSON API, no auth): ``/api/search`` paged with ``limit`` and
  ``from`` until empty; filters are JSON with full ids (the state entity's ``sharedId``,
  Issues thesaurus ids from ``/api/thesauris``: an abbreviated id silently gives 0 rows);
  ``searchTerm`` is always sent as a quoted phrase.
* **UHRI bulk export** (one JSON array, ~360 MB): streamed, filtered to ``Countries`` ∋ the
  state and ``Body`` = ``- UPR``, never loaded whole. From a local file (``export_file``)
  or over HTTP (``export_url``), which needs the fetcher's streaming API
  (:class:`tracker.upr.export.StreamingHTTP`).

Both feed one store key, ``un_upr``, so a recommendation seen in both is one document
(identity and merging: :mod:`tracker.upr.combine`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sources._json import loads
from sources.base import Source
from tracker.errors import ConfigError, LayoutChanged, SourceError
from tracker.models import Record
from tracker.upr.combine import combine
from tracker.upr.export import ExportScan, StreamingHTTP, scan_export, scan_export_file
from tracker.upr.parse import SYMBOL, Malformed, Rec, parse_api_row, parse_export_item

KEY = "un_upr"
#: Documented UHRI export URL (SOURCES.md §8.1); used only when `export_url` is set to it.
UHRI_EXPORT_URL = "https://dataex.ohchr.org/uhri/export-results/export-full-en.json"
#: UPR Info "States" template (SOURCES.md §8.2: "Template ids seen in code").
STATES_TEMPLATE = "5d8cdec361cde0408222d3ec"
#: Working Group reports per state and cycle, from ../shared/LEGISLATION.md §2.1. Cycle 4
#: (probably A/HRC/59/10) is unverified and therefore not listed: set it in `wg_reports`.
KNOWN_WG_REPORTS: dict[str, dict[int, str]] = {
    "kazakhstan": {1: "A/HRC/14/10", 2: "A/HRC/28/10", 3: "A/HRC/43/10"},
}
_OPTIONS = frozenset({
    "state", "api", "api_state_id", "api_template", "api_filters", "issues", "search_terms",
    "page_size", "max_pages", "paragraph_field", "export_file", "export_url", "export_body",
    "export_position_field", "position_map", "wg_reports",
})


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


def wg_reports(options: Mapping[str, Any], where: str) -> dict[int, str]:
    """Cycle → WG report symbol: the known ones for the state, then the configured ones.
    A configured symbol that contradicts a known one is refused (A/HRC/43/11 is Angola's
    report, not Kazakhstan's)."""
    state = str(options.get("state", "Kazakhstan")).strip().casefold()
    known = dict(KNOWN_WG_REPORTS.get(state, {}))
    raw = options.get("wg_reports", {})
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} wg_reports: a table of cycle = \"A/HRC/n/m\"")
    out = dict(known)
    for cycle_text, symbol in raw.items():
        if not str(cycle_text).isdigit() or not isinstance(symbol, str) or not SYMBOL.match(
                symbol):
            raise ConfigError(f"{where} wg_reports: {cycle_text!r} = {symbol!r} is not "
                              "cycle number = \"A/HRC/<session>/<number>\"")
        cycle = int(cycle_text)
        if cycle in known and known[cycle] != symbol:
            raise ConfigError(f"{where} wg_reports: the cycle-{cycle} report on "
                              f"{options.get('state', 'Kazakhstan')} is {known[cycle]}, "
                              f"not {symbol}")
        out[cycle] = symbol
    return out


def quoted(term: str) -> str:
    """A search term as a quoted phrase (unquoted terms match everything on Uwazi)."""
    term = term.strip()
    return term if len(term) > 1 and term[0] == term[-1] == '"' else f'"{term}"'


def parse_saved(text: str, url: str, *, state: str = "Kazakhstan") -> list[Record]:
    """A saved UPR Info search response (``{rows: …}``) or export excerpt (a JSON array)."""
    try:
        data = loads(text)
    except ValueError as exc:  # not JSON, nested too deeply, a 5,000-digit number
        raise LayoutChanged("JSON", url, str(exc)) from None
    api: list[Rec] = []
    export: list[Rec] = []
    if isinstance(data, dict):
        if not isinstance(data.get("rows"), list):
            raise LayoutChanged("rows", url, "no rows list in the search response")
        api = [_saved(parse_api_row, row, f"rows[{i}]", url)
               for i, row in enumerate(data["rows"])]
    elif isinstance(data, list):
        export = [_saved(partial(parse_export_item, state=state), item, f"[{i}]", url)
                  for i, item in enumerate(data)]
    else:
        raise LayoutChanged("rows | [records]", url)
    return combine(api, export, source=KEY,
                   wg_reports=wg_reports({"state": state}, KEY)).records


def _saved(parse: Callable[[Any], Rec], item: Any, where: str, url: str) -> Rec:
    """One item of a saved file; a malformed one is a layout change naming the item."""
    try:
        return parse(item)
    except ValueError as exc:  # Malformed names the key; int() refuses 5,000-digit numbers
        raise LayoutChanged(where, url, str(exc)[:200]) from None


class UnUpr(Source):
    """UPR recommendations for one state, from UPR Info's API and the UHRI export."""

    key = KEY
    title = "UPR recommendations (UPR Info database + UHRI export)"
    default_base_url = "https://upr-info-database.uwazi.io"
    option_names = _OPTIONS
    # A new cycle's recommendations arrive every ~4.5 years: no staleness expectation.
    stale_after_days = None

    @classmethod
    def parse(cls, text: str, url: str) -> list[Record]:
        return parse_saved(text, url)

    @classmethod
    def check_options(cls, options: Mapping[str, Any], where: str) -> None:
        super().check_options(options, where)
        for name in ("state", "api_state_id", "api_template", "paragraph_field",
                     "export_file", "export_url", "export_body", "export_position_field"):
            value = options.get(name, "")
            if not isinstance(value, str):
                raise ConfigError(f"{where} {name}: expected a string, got {value!r}")
        if not isinstance(options.get("api", True), bool):
            raise ConfigError(f"{where} api: expected true or false")
        for name in ("issues", "search_terms"):
            if name in options and not _is_str_list(options[name]):
                raise ConfigError(f"{where} {name}: expected a list of non-empty strings")
        for name, default in (("page_size", 100), ("max_pages", 50)):
            value = options.get(name, default)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{where} {name}: a positive integer, got {value!r}")
        if not isinstance(options.get("api_filters", {}), dict):
            raise ConfigError(f"{where} api_filters: a table (sent as Uwazi filters JSON)")
        position_map = options.get("position_map", {})
        if not isinstance(position_map, dict) or not all(
                v in ("supported", "noted", "unknown") for v in position_map.values()):
            raise ConfigError(f"{where} position_map: a table of raw value = "
                              "\"supported\" | \"noted\" | \"unknown\"")
        export_file = options.get("export_file", "")
        if export_file and not Path(export_file).expanduser().is_file():
            raise ConfigError(f"{where} export_file: no such file {export_file!r}")
        export_url = options.get("export_url", "")
        if export_url and not export_url.startswith(("http://", "https://")):
            raise ConfigError(f"{where} export_url: not an http(s) URL: {export_url!r}")
        if export_file and export_url:
            raise ConfigError(f"{where}: set export_file or export_url, not both")
        wg_reports(options, where)

    # -- crawl ------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """The state under review."""
        return str(self.options.get("state", "Kazakhstan")).strip()

    def crawl(self) -> Iterator[Record]:
        where = f"[sources.{self.name}]"
        api_recs = self._crawl_api() if self.options.get("api", True) else []
        scan, evidence = self._scan_export()
        export_recs: list[Rec] = []
        if scan is not None:
            export_recs = self._export_recs(scan, evidence)
        export_configured = bool(str(self.options.get("export_file", "")).strip()
                                 or str(self.options.get("export_url", "")).strip())
        export_complete = not export_configured or (scan is not None and not scan.truncated)
        combined = combine(
            api_recs, export_recs, source=self.name, wg_reports=wg_reports(self.options, where),
            known_ids=self.known_ids, position_map=self.options.get("position_map", {}),
            export_complete=export_complete,
        )
        for warning in combined.warnings:
            self.warn(warning)
        records = combined.records
        if not export_complete:
            # A UPR Info row that found no export record may have lost it to the cut, or to
            # an export that answered 304 (its record is stored under its paragraph id, which
            # only the export's text joins it to): it is not stored under a fallback id now
            # (ids never move, so that would be a duplicate for good), but next time.
            keep = [r for r in records if not r.external_id.startswith("upr-info:")
                    or r.external_id in self.known_ids]
            if len(keep) < len(records):
                self.warn(f"{len(records) - len(keep)} UPR Info row(s) without a paragraph "
                          "left for the next complete export")
            records = keep
        yield from records
        if scan is not None and scan.truncated:
            # Records complete before the cut were yielded (and are kept); the run fails so
            # no validators are saved and the next run reads the export in full again.
            raise SourceError(f"UHRI export truncated: {scan.truncated}")

    # -- UPR Info -----------------------------------------------------------------------

    def _api_json(self, path: str, params: Mapping[str, str]) -> tuple[Any, str, str]:
        url = f"{self.base_url}/api/{path}?{urlencode(params)}"
        page = self.http.get(url, conditional=False)
        assert page.text is not None
        try:
            return loads(page.text), page.url, page.sha256
        except ValueError as exc:
            raise LayoutChanged("JSON", page.url, str(exc)) from None

    def _state_id(self) -> str:
        configured = str(self.options.get("api_state_id", "")).strip()
        if configured:
            return configured
        params = {"types": json.dumps([STATES_TEMPLATE]), "searchTerm": quoted(self.state),
                  "limit": "30", "from": "0", "language": "en"}
        data, url, _ = self._api_json("search", params)
        rows = data.get("rows") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise LayoutChanged("rows", url, "States search")
        for row in rows:
            if (isinstance(row, dict) and str(row.get("title", "")).strip().casefold()
                    == self.state.casefold() and isinstance(row.get("sharedId"), str)):
                return str(row["sharedId"])
        raise SourceError(f"UPR Info: no States entity titled {self.state!r} ({url}); "
                          "set api_state_id")

    def _issue_ids(self, labels: list[str]) -> list[str]:
        data, url, _ = self._api_json("thesauris", {})
        rows = data.get("rows") if isinstance(data, dict) else data
        if not isinstance(rows, list):
            raise LayoutChanged("rows", url, "thesauri")
        for thesaurus in rows:
            if isinstance(thesaurus, dict) and thesaurus.get("name") == "Issues":
                values = {str(v.get("label", "")).casefold(): str(v.get("id"))
                          for v in thesaurus.get("values") or [] if isinstance(v, dict)}
                missing = [label for label in labels if label.casefold() not in values]
                if missing:
                    raise SourceError(f"UPR Info: no Issues value {missing[0]!r} ({url})")
                return [values[label.casefold()] for label in labels]
        raise LayoutChanged("rows[name=Issues]", url, "no Issues thesaurus")

    def _crawl_api(self) -> list[Rec]:
        filters: dict[str, Any] = {"state_under_review": {"values": [self._state_id()]}}
        issues = self.options.get("issues", [])
        if issues:
            filters["issues"] = {"values": self._issue_ids(list(issues))}
        filters.update(self.options.get("api_filters", {}))
        terms: list[str | None] = [quoted(t) for t in self.options.get("search_terms", [])]
        recs: list[Rec] = []
        for term in terms or [None]:
            recs.extend(self._page_through(filters, term))
        return recs

    def _page_through(self, filters: Mapping[str, Any], term: str | None) -> list[Rec]:
        size = int(self.options.get("page_size", 100))
        max_pages = int(self.options.get("max_pages", 50))
        template = str(self.options.get("api_template", "")).strip()
        paragraph_field = str(self.options.get("paragraph_field", ""))
        recs: list[Rec] = []
        offset = 0
        other_states = 0
        for number in range(max_pages):
            params = {"filters": json.dumps(filters, separators=(",", ":"), sort_keys=True),
                      "limit": str(size), "from": str(offset), "language": "en"}
            if template:
                params["types"] = json.dumps([template])
            if term:
                params["searchTerm"] = term
            data, url, sha = self._api_json("search", params)
            if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
                raise LayoutChanged("rows", url, "search response without a rows list")
            rows = data["rows"]
            total = data.get("totalRows")
            if number == 0 and total == 0:
                self.warn(f"UPR Info: 0 rows for filters {params['filters']} (a filter id may "
                          "be wrong: Uwazi answers 0 rows, not an error, for unknown ids)")
            for row in rows:
                try:
                    rec = parse_api_row(row, paragraph_field=paragraph_field)
                except Malformed as exc:
                    self.warn(f"UPR Info: malformed row skipped at {url}: {exc}")
                    continue
                if rec.state and rec.state.casefold() != self.state.casefold():
                    other_states += 1
                    continue
                recs.append(replace(rec, evidence=sha))
            offset += len(rows)
            if not rows or (isinstance(total, int) and offset >= total):
                break
        else:
            self.warn(f"UPR Info: stopped after max_pages = {max_pages} ({offset} rows read)")
        if other_states:
            self.warn(f"UPR Info: {other_states} rows for other states dropped (check the "
                      "state filter)")
        return recs

    # -- UHRI export --------------------------------------------------------------------

    def _scan_export(self) -> tuple[ExportScan | None, str | None]:
        """The export scanned (None when not configured or unchanged) and its evidence."""
        body = str(self.options.get("export_body", "- UPR"))
        export_file = str(self.options.get("export_file", "")).strip()
        export_url = str(self.options.get("export_url", "")).strip()
        if export_file:
            path = Path(export_file).expanduser()
            return scan_export_file(path, state=self.state, body=body), None
        if not export_url:
            return None, None
        stream = getattr(self.http, "stream", None)  # every core fetcher has it
        if stream is None:
            raise SourceError("export_url needs the fetcher's streaming API (Fetcher.stream), "
                              "which this installation lacks; download the export and set "
                              "export_file instead")
        http: StreamingHTTP = self.http  # type: ignore[assignment]
        with http.stream(export_url) as response:
            if response.not_modified:
                self.pages_not_modified += 1
                return None, None
            scan = scan_export(response, state=self.state, body=body)
            kept = json.dumps(scan.records, ensure_ascii=False, sort_keys=True).encode()
            evidence = response.keep(kept)
        return scan, evidence

    def _export_recs(self, scan: ExportScan, evidence: str | None) -> list[Rec]:
        position_field = str(self.options.get("export_position_field", ""))
        recs: list[Rec] = []
        for item in scan.records:
            try:
                rec = parse_export_item(item, state=self.state, position_field=position_field)
            except Malformed as exc:
                scan.note_malformed(str(exc))
                continue
            recs.append(replace(rec, evidence=evidence))
        warning = scan.malformed_warning()
        if warning:
            self.warn(warning)
        if scan.scanned == 0 and not scan.truncated:
            raise LayoutChanged("[records]", "UHRI export", "no records: not a JSON array?")
        if scan.malformed and (scan.malformed >= scan.scanned or (scan.records and not recs)):
            raise LayoutChanged(scan.examples[0], "UHRI export", "every record malformed")
        if not recs and not scan.truncated:
            self.warn(f"UHRI export: no UPR record for {self.state} among {scan.scanned}")
        return recs
