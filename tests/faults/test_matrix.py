"""The fault matrix: every coded source × every fault, against servers on 127.0.0.1.

Each case (tests/faults/harness.py) starts from the source's seeded home, makes its site
faulty (tests/faults/faults.py), runs it and a healthy bystander source through one
fetcher, and checks: the run ends in bounded time; the source's run error and health say
what happened; the faulty page got a bounded number of requests; the bystander is
unaffected; nothing stored before was lost or altered. ``bench/fault_matrix.py`` runs the
same cases and prints them as a table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from sources.base import registry
from tests.faults.faults import BY_NAME, FAULTS, KNOWN_DEFECTS, check
from tests.faults.harness import Seeds, run_case
from tests.faults.sources import SPECS


def case_id(name: str, fault: str) -> str:
    """``kz_akorda-HTTP_404``: a test id without spaces or punctuation to quote."""
    return re.sub(r"[^A-Za-z0-9_\[\]-]+", "_", f"{name}-{fault}").strip("_")


def cases() -> list[object]:
    """Every spec × fault; a case failing for a known defect outside this change is a
    strict xfail naming it."""
    out: list[object] = []
    for name in SPECS:
        for fault in FAULTS:
            defect = KNOWN_DEFECTS.get((name, fault.name))
            marks = [pytest.mark.xfail(reason=defect, strict=True)] if defect else []
            out.append(pytest.param(name, fault.name, id=case_id(name, fault.name),
                                    marks=marks))
    return out


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeds]:
    """Seeded homes and their servers, shared by the cases of this module."""
    with Seeds(tmp_path_factory.mktemp("seeds")) as built:
        yield built


def test_every_coded_source_is_in_the_matrix() -> None:
    assert {spec.key for spec in SPECS.values()} == set(registry())


def test_known_defects_name_real_cases() -> None:
    assert all(name in SPECS and fault in BY_NAME for name, fault in KNOWN_DEFECTS)


@pytest.mark.parametrize(("name", "fault_name"), cases())
def test_fault(name: str, fault_name: str, seeds: Seeds, tmp_path: Path) -> None:
    fault = BY_NAME[fault_name]
    outcome = run_case(seeds, name, fault_name, fault.inject, tmp_path)
    problems = check(outcome, fault.expectation(name))
    assert problems == [], f"{name} × {fault_name}: {outcome.errors or outcome.warnings}"
