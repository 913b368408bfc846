"""Refresh counts: the same whatever was asked before, and the closed form of the schedule."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.memory.dram.presets import PRESET_NAMES, resolve
from accelsim.memory.dram.refresh import Refresh
from accelsim.spec.config import DramConfig


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(preset=st.sampled_from(PRESET_NAMES), ranks=st.sampled_from([1, 2, 4]),
       xs=st.lists(st.tuples(st.integers(0, 3), st.floats(-100.0, 1e6)), max_size=60))
def test_cached_counts_equal_fresh_counts(preset, ranks, xs):
    """Any sequence of questions (any rank, any order, refresh boundaries included) gets the
    count a fresh schedule computes (the schedule keeps state between questions), and that is
    the number of refresh starts offset + j × tREFI (j = 0, 1, ...) at or before the cycle."""
    timing = resolve(DramConfig(preset=preset)).timing
    cached = Refresh(timing, ranks)
    for ra, x in xs:
        ra %= ranks
        k = int(x // timing.tREFI)
        for y in (x, cached.offset[ra] + k * timing.tREFI):  # also exactly on a refresh start
            fresh = Refresh(timing, ranks).count(ra, y)
            assert cached.count(ra, y) == fresh
            assert fresh == sum(1 for j in range(k + 3) if cached.offset[ra] + j * timing.tREFI <= y)
