"""Golden outputs: every number the simulator produces, pinned for the cases in golden/cases.py.

For each case the per-layer CSV text (main and baseline, from ``accelsim.report.rows_to_csv``), the
summary totals, the baseline totals and the speedup must equal ``tests/golden/<case>.json``
exactly: CSV text string for string, totals after a JSON round trip (floats are written as their
repr, so every digit counts; 1 and 1.0 differ). Only ``accelsim.simulate`` and ``rows_to_csv``
are used, so the package can be restructured underneath and proven to give identical outputs.

Regenerate with ``python -m tests.golden.update [case ...]`` from the repository root.
A change that moves a number on purpose regenerates these files in the same commit and says why
in the message.
"""

from __future__ import annotations

import json

import pytest
from golden.cases import CASE_NAMES, CASES, GOLDEN_DIR, compare, compute, golden_path

UPDATE = "python -m tests.golden.update"


@pytest.mark.parametrize("case", CASES, ids=CASE_NAMES)
def test_golden(case, tmp_path):
    path = golden_path(case.name)
    assert path.is_file(), f"golden case {case.name!r}: no {path.name}; run `{UPDATE} {case.name}`"
    golden = json.loads(path.read_text(encoding="utf-8"))
    problem = compare(case.name, golden, compute(case, tmp_path))
    if problem:
        pytest.fail(f"{problem}\n(if intended: `{UPDATE} {case.name}` and say why in the commit)",
                    pytrace=False)


def test_every_golden_file_belongs_to_a_case():
    files = sorted(p.stem for p in GOLDEN_DIR.glob("*.json"))
    assert files == sorted(CASE_NAMES), f"stale or missing golden files; run `{UPDATE}`"
