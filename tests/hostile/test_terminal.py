"""Hostile strings stored through the real API, then printed by `tracker documents`,
`tracker events` and `tracker timeline` (through tracker.cli.main, as a person runs them).

Shown literally: Rich markup, emoji codes and HTML appear as typed; harmlessly: no escape
sequence, control, bidi or invisible character reaches the terminal.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import write_home
from tests.hostile.strings import HOSTILE, forbidden_in, short, visible
from tests.store.test_links import put
from tracker.cli import main
from tracker.store import Store

_BOX = re.compile("[\u2500-\u257f]")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A home whose store holds, for each hostile string: a document titled with it (``h<i>``,
    its id hostile too for the short ones), and a document whose title and status changed
    away from it (``c<i>``: its events carry the string)."""
    path = write_home(tmp_path_factory.mktemp("hostile") / "home", "")
    store = Store.open(f"sqlite:///{path / 'tracker.db'}")
    for i, text in enumerate(HOSTILE):
        put(store, "kz_govkz", f"h{i}", text, status_raw=text[:300], stage="drafting")
        if len(text) < 2000:
            put(store, "kz_govkz", f"id{i}:{text}", f"hostile id {i}")
        put(store, "kz_govkz", f"c{i}", text, stage="drafting")
        put(store, "kz_govkz", f"c{i}", f"clean title {i}", stage="parliament",
            status_raw=text[:300])
    store.close()
    yield path


def run(home: Path, argv: list[str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> str:
    """Run ``tracker --home HOME argv``; return its standard output (exit code 0)."""
    monkeypatch.delenv("TRACKER_HOME", raising=False)
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "3000")  # no wrapping: a string must appear in one piece
    with pytest.raises(SystemExit) as info:
        main(["--home", str(home), *argv])
    out, err = capsys.readouterr()
    assert info.value.code in (0, None), err
    return out


def _flat(out: str) -> str:
    """Output without the table's box drawing, white space runs collapsed (cells are padded,
    and a cell Rich wraps continues on the next row between empty cells)."""
    return " ".join(_BOX.sub(" ", out).split())


def shown(text: str, flat: str) -> bool:
    """``text`` is in the flattened output; a multi-line value line by line (a table cell
    puts each line of it on its own row of the table)."""
    return all(visible(line) in flat for line in text.split("\n"))


def test_documents_table_shows_titles_and_ids_literally(
        home: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    start = time.perf_counter()
    out = run(home, ["documents"], capsys, monkeypatch)
    assert time.perf_counter() - start < 60
    assert forbidden_in(out) == []
    flat = _flat(out)
    for text in short():
        assert shown(text, flat), text
        assert shown(f"id{HOSTILE.index(text)}:{text}", flat), text
    assert "[bold]bold[/bold]" in out and "[link=https://evil.example/phish]" in out
    assert ":warning: :skull:" in out  # Rich emoji codes are not expanded


def test_events_table_shows_changes_literally(home: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    out = run(home, ["events"], capsys, monkeypatch)
    assert forbidden_in(out) == []
    flat = _flat(out)
    for text in short():
        assert shown(text[:80], flat), text  # the title column shows 80 characters
        assert shown(f"title was: {text}", flat), text
    assert "[red on white blink]alarm[/]" in out


@pytest.mark.parametrize("index", range(len(HOSTILE)))
def test_timeline_shows_old_titles_and_statuses_literally(
        home: Path, index: int, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    out = run(home, ["timeline", f"kz_govkz:c{index}"], capsys, monkeypatch)
    assert forbidden_in(out) == []
    text = HOSTILE[index]
    if len(text) < 2000:
        flat = _flat(out)
        assert shown(f"title was: {text}", flat)
        assert shown(f"drafting → parliament ({text})", flat)


def test_json_output_keeps_the_exact_text(home: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """--json is for programs: the stored text comes back exactly (JSON escapes C0)."""
    docs = {d["external_id"]: d for d in json.loads(run(home, ["documents", "--json"], capsys,
                                                        monkeypatch))}
    for i, text in enumerate(HOSTILE):
        assert docs[f"h{i}"]["title"] == text
    assert "\x1b" not in json.dumps(docs["h5"]["title"])
