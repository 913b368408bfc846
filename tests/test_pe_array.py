"""SCALE-Sim fold timing, checked against hand-worked values."""

import numpy as np
import pytest

from accelsim.plan.pe_array import compute_cycles, folds, utilization


def test_deit_fc1_ws_matches_scalesim_formula():
    # ceil(192/32) * ceil(768/32) folds of 2*32 + 32 + 197 - 2 cycles
    assert compute_cycles("ws", 32, 32, 197, 192, 768) == 6 * 24 * 291 == 41904


@pytest.mark.parametrize(
    "flow, expected_folds, per_fold",
    [
        ("ws", 2 * 2, 2 * 4 + 4 + 10 - 2),  # Sr=K=5, Sc=N=6, T=M=10
        ("os", 3 * 2, 4 + 4 + 5 - 2),  # Sr=M=10, Sc=N=6, T=K=5; nothing preloaded
        ("is", 2 * 3, 2 * 4 + 4 + 6 - 2),  # Sr=K=5, Sc=M=10, T=N=6
    ],
)
def test_partial_folds_cost_a_full_fold(flow, expected_folds, per_fold):
    assert folds(flow, 4, 4, 10, 5, 6) == expected_folds
    assert compute_cycles(flow, 4, 4, 10, 5, 6) == expected_folds * per_fold


@pytest.mark.parametrize("flow, M, K, N, scalesim_printed", [
    # SCALE-Sim 3.0's printed "Compute cycles" (one less than the cycle count), 32x32 array
    ("ws", 197, 192, 768, 41903), ("ws", 1, 4096, 512, 194559), ("os", 197, 192, 768, 42671),
    ("os", 64, 100, 50, 647), ("os", 1, 4096, 512, 66527), ("is", 197, 192, 768, 36203),
    ("is", 10, 5, 6, 99),
])
def test_matches_scalesim_runs(flow, M, K, N, scalesim_printed):
    assert compute_cycles(flow, 32, 32, M, K, N) == scalesim_printed + 1


def test_exact_fit_has_one_fold():
    assert compute_cycles("ws", 8, 8, 1, 8, 8) == 2 * 8 + 8 + 1 - 2


def test_utilization_is_macs_over_pe_cycles():
    assert utilization("ws", 4, 4, 10, 5, 6) == pytest.approx(300 / (80 * 16))
    assert 0 < utilization("ws", 32, 32, 197, 192, 768) < 1


def test_vectorised_matches_scalar():
    M = np.array([1, 17, 197])
    got = compute_cycles("os", 16, 8, M, 64, 40)
    assert list(got) == [compute_cycles("os", 16, 8, int(m), 64, 40) for m in M]


def test_unknown_dataflow():
    with pytest.raises(ValueError, match="dataflow"):
        compute_cycles("xs", 4, 4, 1, 1, 1)
