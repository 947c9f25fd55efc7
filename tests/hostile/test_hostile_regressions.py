"""Regression tests for defects the hostile-input suite found outside the parsers: an
unusable charset label, Rich markup in a scraped id, C1/bidi characters in JSON printed to a
terminal, a 5,000-digit UPR cycle, quadratic tag stripping, Markdown links in the UPR report,
and an export nested deep enough to exhaust memory."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import write_home
from tests.hostile.strings import forbidden_in
from tests.store.test_links import put
from tracker.cli import main
from tracker.fetch import decode_body
from tracker.store import Store
from tracker.upr.parse import Malformed, parse_api_row, strip_html
from tracker.upr.report import md_cell


@pytest.mark.parametrize("label", ["idna", "punycode", "undefined", "rot13", "base64", "hex",
                                   "zlib", "uu"])
def test_a_page_declaring_an_unusable_charset_is_read_as_utf8(label: str) -> None:
    """A hostile page's Content-Type (or <meta>) charset made every fetch of it crash."""
    assert "З" in decode_body(b"<p>\xd0\x97 \xff</p>", f"text/html; charset={label}")
    assert "x" in decode_body(f'<meta charset="{label}"><p>x\xff</p>'.encode("latin-1"), None)


@pytest.fixture
def markup_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("TRACKER_HOME", raising=False)
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    home = write_home(tmp_path / "home", "")
    store = Store.open(f"sqlite:///{home / 'tracker.db'}")
    put(store, "kz_govkz", "[/x] [bold]id", "title", status_raw="\x9b31m\u202e")
    store.close()
    return home


def test_timeline_of_a_document_whose_id_looks_like_markup(
        markup_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--home", str(markup_home), "timeline", "kz_govkz:[/x] [bold]id"])
    assert info.value.code in (0, None)
    assert "timeline of kz_govkz:[/x] [bold]id" in capsys.readouterr().out


def test_json_output_to_a_terminal_has_no_c1_or_bidi_characters(
        markup_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--home", str(markup_home), "documents", "--json"])
    out = capsys.readouterr().out
    assert json.loads(out)[0]["status_raw"] == "\x9b31m\u202e"  # the data stays exact
    assert forbidden_in(out) == []


def test_upr_row_with_a_5000_digit_cycle_is_malformed_not_a_crash() -> None:
    row = {"sharedId": "r1", "metadata": {"recommendation": [{"value": "124.3 Adopt a law"}],
                                          "cycle": [{"label": "Cycle " + "3" * 5000}]}}
    with pytest.raises(Malformed):
        parse_api_row(row)


def test_upr_text_of_unclosed_brackets_is_stripped_quickly() -> None:
    start = time.perf_counter()
    strip_html("<p>Adopt</p>" + "<" * 40_000)
    assert time.perf_counter() - start < 0.5


def test_upr_markdown_cell_shows_link_syntax_literally() -> None:
    cell = md_cell("[click](javascript:alert(1)) ![pixel](https://evil.example/t.png)")
    assert "](" not in cell.replace("\\](", "")


_DEEP_EXPORT = """
import resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (700 * 2**20, resource.RLIM_INFINITY))
from tracker.upr.export import scan_export_file
path = Path(sys.argv[1])
path.write_text("[" * 40_000)
scan = scan_export_file(path, state="Kazakhstan", body="- UPR")
print("truncated:", bool(scan.truncated))
"""


def test_deeply_nested_export_is_refused_within_bounded_memory(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", _DEEP_EXPORT, str(tmp_path / "deep.json")],
                          capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-500:]
    assert "truncated: True" in done.stdout
