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


def test_a_transfer_that_holds_a_refresh_says_where_it_pauses():
    """LPDDR4-3200 x16 (6.4 GB/s, tCK 0.625 ns): the first all-bank refresh starts at DRAM cycle
    3,123 (half a tREFI of 6,246), 1,951.9 ns. A 16 KiB read from t = 0 streams 2,560 ns of data
    from ~35 ns, so about three quarters of it (1,917 ns of 2,560) is in before the refresh, which
    then stops the transfer for tRFC = 448 cycles = 280 ns; a 4 KiB read ends before it: no pause."""
    from accelsim.memory import make_memory

    mem = make_memory(DramConfig(preset="LPDDR4-3200"))
    done = mem.request(0.0, 0, 16384, False)
    share, pause_ns = mem.pause
    assert pause_ns == 448 * 0.625
    assert abs(share - 1917 / 2560) < 0.01
    assert done > 2560 + pause_ns
    mem = make_memory(DramConfig(preset="LPDDR4-3200"))
    mem.request(0.0, 0, 4096, False)
    assert mem.pause == (0.0, 0.0)
