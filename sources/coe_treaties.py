"""Council of Europe Treaty Office: signatures and ratifications of one treaty (CETS 210,
the Istanbul Convention), one treaty-status document per state.

Structure (../shared/SOURCES.md §8.5; no real response is saved anywhere, so the tests use a
synthetic one built from this description): the chart page is a React shell whose source
carries ``window.conventions_api_url`` and ``window.conventions_api_key``; the JSON service
``<api_url>api/signatures?numSTE=210&langue=ENG`` wants that key in a ``token`` header and
answers three buckets ``[member states], [non-member states], [organisations]`` of rows with
``CodePays``, ``LibPaysOrga``, ``DateSignature``, ``DateConsentement`` (ratification or
accession), ``DateEntreeVigueur``, ``DateDenonciation``, ``DateEffetDenonciation``,
``DateSuspension`` and the flags ``Reserves``, ``Declarations``, ``Objections``,
``Territoires``, ``Communications``. A 401 means the key changed: it is re-read from the page
once. Kazakhstan is not a member: it can only accede on invitation (invited 2020-04-22,
../shared/LEGISLATION.md §4), so without a row of its own it is reported as ``invited``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from sources._json import loads
from sources.base import Source
from tracker.errors import ConfigError, FetchError, LayoutChanged
from tracker.models import Record

KEY = "coe_treaties"
CHART_PATH = "/en/web/conventions/full-list"
_API_URL = re.compile(r"""window\.conventions_api_url\s*=\s*['"]([^'"]+)['"]""")
_API_KEY = re.compile(r"""window\.conventions_api_key\s*=\s*['"]([^'"]+)['"]""")
_DMY = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
BUCKETS = ("member", "non_member", "organisation")
#: JSON fields of a row → our detail names (one place, so a live check can name them).
DATE_FIELDS = {
    "DateSignature": "signature", "DateConsentement": "consent",
    "DateEntreeVigueur": "in_force", "DateDenonciation": "denunciation",
    "DateEffetDenonciation": "denunciation_effective", "DateSuspension": "suspension",
}
FLAG_FIELDS = ("Reserves", "Declarations", "Objections", "Territoires", "Communications")
#: Invitations to accede (Art. 76) are decisions of the Committee of Ministers that the
#: chart does not show: LEGISLATION.md §4 (CoE GR-EXT(2023)6).
DEFAULT_INVITATIONS = {"Kazakhstan": "2020-04-22"}
TREATY_NAMES = {"210": "Istanbul Convention"}


@dataclass(frozen=True)
class Watched:
    """A state whose document exists even without a row (its id is pinned to its name)."""

    name: str
    code: str | None
    invited: str | None


def chart_url(base_url: str, treaty: str) -> str:
    """The public chart page that carries the service URL and token."""
    query = urlencode({"module": "signatures-by-treaty", "treatynum": treaty})
    return f"{base_url}{CHART_PATH}?{query}"


def read_token(html: str, url: str) -> tuple[str | None, str]:
    """(service URL or None, token) from the chart page source; LayoutChanged without a token."""
    key = _API_KEY.search(html)
    if key is None:
        raise LayoutChanged("window.conventions_api_key", url)
    api = _API_URL.search(html)
    return (api.group(1) if api else None), key.group(1)


def parse_date(value: Any, field: str, url: str) -> str | None:
    """ISO (``2011-05-11`` or ``2011-05-11T00:00:00``) or ``dd/mm/yyyy`` → ``YYYY-MM-DD``."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    iso = re.match(r"^(\d{4})-(\d{2})-(\d{2})", text)
    dmy = _DMY.match(text)
    if iso:
        parts = (int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    elif dmy:
        parts = (int(dmy.group(3)), int(dmy.group(2)), int(dmy.group(1)))
    else:
        raise LayoutChanged(field, url, f"unexpected date {text!r}")
    try:
        return date(*parts).isoformat()
    except ValueError:
        raise LayoutChanged(field, url, f"impossible date {text!r}") from None


def stage_of(dates: Mapping[str, str | None], bucket: str, invited: str | None,
             today: date) -> str:
    """not_party → invited → signed → ratified / acceded → in_force; denounced last."""
    if dates.get("denunciation") or dates.get("denunciation_effective"):
        return "denounced"
    if dates.get("consent"):
        in_force = dates.get("in_force")
        if in_force and in_force <= today.isoformat():
            return "in_force"
        return "acceded" if bucket == "non_member" and not dates.get("signature") else "ratified"
    if dates.get("signature"):
        return "signed"
    return "invited" if invited else "not_party"


def _summary(dates: Mapping[str, str | None], invited: str | None) -> str:
    parts = [f"{name} {value}" for name, value in dates.items() if value]
    if invited:
        parts.insert(0, f"invited {invited} (Committee of Ministers; not in the chart)")
    return "; ".join(parts) or "no signature, ratification or accession"


def parse_signatures(
    text: str, url: str, *, treaty: str = "210", watched: tuple[Watched, ...] = (),
    chart: str | None = None, today: date | None = None,
) -> list[Record]:
    """The signatures JSON → one record per state or organisation, plus one per watched
    state that has no row (``invited`` or ``not_party``)."""
    try:
        data = loads(text)
    except ValueError as exc:  # not JSON, nested too deeply, a 5,000-digit number
        raise LayoutChanged("JSON", url, str(exc)) from None
    if not isinstance(data, list) or len(data) != 3 or not all(isinstance(b, list) for b in data):
        raise LayoutChanged("[members], [non-members], [organisations]", url)
    today = today or date.today()
    name = TREATY_NAMES.get(treaty)
    label = f"CETS {treaty}" + (f" ({name})" if name else "")
    seen: set[str] = set()
    records = []
    for bucket, rows in zip(BUCKETS, data, strict=True):
        for row in rows:
            if not isinstance(row, dict) or not (row.get("LibPaysOrga") or row.get("CodePays")):
                raise LayoutChanged("LibPaysOrga / CodePays", url, f"row {row!r:.80}")
            country = str(row.get("LibPaysOrga") or row.get("CodePays")).strip()
            code = str(row.get("CodePays") or "").strip() or None
            mine = _watched(country, code, watched)
            dates = {ours: parse_date(row.get(theirs), theirs, url)
                     for theirs, ours in DATE_FIELDS.items()}
            invited = mine.invited if mine else None
            external_id = f"CETS{treaty}:{mine.name if mine else (code or country)}"
            seen.add(mine.name if mine else "")
            details: dict[str, Any] = {"treaty": treaty, "bucket": bucket, "code": code,
                                       "country": country, **dates}
            details["flags"] = {flag: row.get(flag) for flag in FLAG_FIELDS if flag in row}
            if invited:
                details["invited"] = invited
            records.append(Record(
                source=KEY, external_id=external_id, title=f"{label} — {country}",
                url=chart or url, kind="treaty_status",
                stage=stage_of(dates, bucket, invited, today),
                status_raw=_summary(dates, invited),
                language="en", details=details,
            ))
    for state in watched:
        if state.name not in seen:
            records.append(Record(
                source=KEY, external_id=f"CETS{treaty}:{state.name}",
                title=f"{label} — {state.name}", url=chart or url, kind="treaty_status",
                stage="invited" if state.invited else "not_party",
                status_raw=_summary({}, state.invited) + " (no row in the chart)",
                language="en",
                details={"treaty": treaty, "bucket": "absent", "country": state.name,
                         **({"invited": state.invited} if state.invited else {})},
            ))
    return records


def _watched(country: str, code: str | None, watched: tuple[Watched, ...]) -> Watched | None:
    for state in watched:
        if country.casefold() == state.name.casefold() or (state.code and code == state.code):
            return state
    return None


class CoeTreaties(Source):
    """Signatures and ratifications of one CoE treaty, one document per state."""

    key = KEY
    title = "Council of Europe Treaty Office — CETS 210 (Istanbul Convention)"
    default_base_url = "https://www.coe.int"
    option_names = frozenset({"treaty", "api_url", "watch_states", "state_codes",
                              "invitations"})

    @classmethod
    def parse(cls, text: str, url: str) -> list[Record]:
        return parse_signatures(text, url, watched=_watch_list({}, KEY))

    @classmethod
    def check_options(cls, options: Mapping[str, Any], where: str) -> None:
        super().check_options(options, where)
        treaty = options.get("treaty", "210")
        if not isinstance(treaty, str) or not treaty.isdigit():
            raise ConfigError(f"{where} treaty: the CETS number as a string, e.g. \"210\"")
        api_url = options.get("api_url", "")
        if not isinstance(api_url, str) or (api_url and not api_url.startswith("http")):
            raise ConfigError(f"{where} api_url: an http(s) URL ending in /")
        _watch_list(options, where)

    def crawl(self) -> Iterator[Record]:
        treaty = str(self.options.get("treaty", "210"))
        chart = chart_url(self.base_url, treaty)
        api_url, token = self._token(chart)
        url = f"{api_url}api/signatures?" + urlencode({"numSTE": treaty, "langue": "ENG"})
        try:
            page = self.http.get(url, headers={"token": token})
        except FetchError as exc:
            if exc.status != 401:
                raise
            # The key on the page changes now and then: read it again, try once more.
            api_url, token = self._token(chart)
            page = self.http.get(url, headers={"token": token})
        if page.not_modified or page.text is None:
            self.pages_not_modified += 1
            return
        watched = _watch_list(self.options, f"[sources.{self.name}]")
        for record in parse_signatures(page.text, page.url, treaty=treaty, watched=watched,
                                       chart=chart):
            yield replace(record, source=self.name, evidence=page.sha256)

    def _token(self, chart: str) -> tuple[str, str]:
        # Never conditional: a 304 would leave no page to read the key from.
        page = self.http.get(chart, conditional=False)
        assert page.text is not None
        api_url, token = read_token(page.text, page.url)
        configured = str(self.options.get("api_url", "")).strip()
        api_url = configured or api_url
        if not api_url:
            raise LayoutChanged("window.conventions_api_url", page.url)
        return (api_url if api_url.endswith("/") else api_url + "/"), token


def _watch_list(options: Mapping[str, Any], where: str) -> tuple[Watched, ...]:
    names = options.get("watch_states", ["Kazakhstan"])
    codes = options.get("state_codes", {})
    invitations = options.get("invitations", DEFAULT_INVITATIONS)
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise ConfigError(f"{where} watch_states: a list of state names as in the chart")
    for table, what in ((codes, "state_codes"), (invitations, "invitations")):
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise ConfigError(f"{where} {what}: a table of state name = string")
    for state, when in invitations.items():
        if not re.match(r"^\d{4}-\d{2}-\d{2}$", when):
            raise ConfigError(f"{where} invitations.{state}: a date YYYY-MM-DD, got {when!r}")
    return tuple(Watched(n, codes.get(n), invitations.get(n)) for n in names)
