"""The same bytes cost the same whatever the request granularity: one request of n bursts and n
one-burst requests issued together finish together (issue 13)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.memory.dram.model import PRESET_NAMES, SMALL_BURSTS, make_dram
from accelsim.spec.config import DramConfig


def _finish(preset: str, warm: list, t0: float, addr: int, nbytes: int, piece: int) -> float:
    """When ``nbytes`` at ``addr`` issued at ``t0`` as requests of ``piece`` bytes are all done,
    after the ``warm`` requests (issue ns, address, bytes) on a fresh model."""
    m = make_dram(DramConfig(preset=preset))
    for t, a, b in warm:
        m.request(t, a, b, False)
    return max(m.request(t0, addr + off, min(piece, nbytes - off), False)
               for off in range(0, nbytes, piece))


@settings(max_examples=60, deadline=None)
@given(preset=st.sampled_from(PRESET_NAMES), data=st.data())
def test_one_request_or_one_burst_requests_finish_together(preset, data):
    """Up to SMALL_BURSTS bursts per channel both are scheduled burst by burst, FR-FCFS across
    requests, so they finish at the same time, after any earlier traffic."""
    spec = make_dram(DramConfig(preset=preset)).spec
    bb = spec.burst_bytes
    n = data.draw(st.integers(1, SMALL_BURSTS * spec.channels))
    addr = data.draw(st.integers(0, (1 << 24) // bb)) * bb
    warm = data.draw(st.lists(st.tuples(st.floats(0, 200), st.integers(0, 1 << 24),
                                        st.integers(1, 512)), max_size=6))
    warm = sorted(warm)
    t0 = data.draw(st.floats(warm[-1][0] if warm else 0.0, 400))
    one = _finish(preset, warm, t0, addr, n * bb, n * bb)
    many = _finish(preset, warm, t0, addr, n * bb, bb)
    assert one == pytest.approx(many, rel=1e-12)


def test_engine_tiles_and_the_same_bytes_in_64B_requests_finish_together():
    """LPDDR4-3200 (32 B bursts, 12 and 9 bursts: timed in closed form): a 373 B tile of row 0
    in bank 0, then a 288 B tile of another row of bank 0, both issued at 0. As one request each
    or as 64 B requests, the conflict precharges tRTP after the first tile's last read, so both
    finish at the same times."""
    tiles = ((0x0, 373), (0x4000 * 5, 288))  # bank 0, rows 0 and 5 (16 KiB per row sweep)
    ends = {}
    for piece in (1 << 20, 64):
        m = make_dram(DramConfig(preset="LPDDR4-3200"))
        ends[piece] = [max(m.request(0.0, a + off, min(piece, n - off), False)
                           for off in range(0, n, piece)) for a, n in tiles]
    assert ends[1 << 20] == pytest.approx(ends[64], rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(preset=st.sampled_from(PRESET_NAMES), data=st.data())
def test_a_large_read_is_no_slower_than_its_bursts_while_a_request_is_in_flight(preset, data):
    """A read of up to 64 bursts per channel (timed in closed form or split) issued while an
    earlier request of up to 8 KiB is still in flight finishes no later than the same bytes as
    one-burst requests issued together: banks that are ready early start their bursts while
    the others wait, as FR-FCFS lets them (the closed form used to wait for every bank of the
    first block, then start after the earlier traffic's last burst)."""
    spec = make_dram(DramConfig(preset=preset)).spec
    bb = spec.burst_bytes
    n = data.draw(st.integers(SMALL_BURSTS + 1, 64 * spec.channels))
    addr = data.draw(st.integers(0, (1 << 24) // bb)) * bb
    t_w = data.draw(st.floats(0, 200))
    warm = [(t_w, data.draw(st.integers(0, 1 << 24)), data.draw(st.integers(1, 8192)))]
    t0 = data.draw(st.floats(t_w, t_w + 300))
    one = _finish(preset, warm, t0, addr, n * bb, n * bb)
    many = _finish(preset, warm, t0, addr, n * bb, bb)
    assert one <= many * (1 + 1e-12)


@pytest.mark.parametrize(("issue", "after"), [(1425, 143.0), (1428, 143.0), (1430, 143.0 + 224)])
def test_a_refresh_stalls_a_large_read_only_if_it_blocks_one_of_its_column_commands(issue, after):
    """LPDDR5-6400 (tCK 1.25 ns), fresh model: 53 bursts (1,696 B, 4 bank groups) issued at
    cycle ``issue``: ACTs at once, data from issue + tRCD 15 + CL 20, 53 × 2 cycles, + tCTRL 2
    = 143 cycles. The first refresh starts at tREFI/2 = 1562.5 and blocks commands from
    1562.5 − tRP 15 = 1547.5: the last column command, 22 cycles before the data end
    (CL 20 + one burst), is at issue + 119, before 1547.5 up to issue 1428, so the read is not
    stalled; issued at 1430 it is, by tRFC 224 (its data end crosses the refresh's start in all
    three cases)."""
    m = make_dram(DramConfig(preset="LPDDR5-6400"))
    tck = m.spec.tCK_ns
    assert m.request(issue * tck, 0, 53 * 32, False) / tck - issue == pytest.approx(after, abs=1e-9)


# (issue ns → cycles given below, address, bytes, write); the third request is the large read
_HIT_BEHIND_CONFLICT = {
    # LPDDR5-6400: row 0 of bank 0 read and written (tWR holds its precharge), then a 392 B read
    # of row 2 (13 bursts: closed form) and a 256 B read of row 0 issued at the same cycle
    "write recovery": ("LPDDR5-6400", [(0.0, 0x40000000000, 256, False), (238.0, 0x40000000100, 256, False),
                                       (422.0, 0x11000000000, 288, True), (422.0, 0x10000, 392, False),
                                       (422.0, 0x40000000000, 256, False)]),
    # LPDDR4-3200: a stream of row 0 (held open until the refresh at 9,369 − tRP), a 1,600 B
    # read of row 32 of the same bank, then a 256 B read of row 0 before the refresh
    "refresh": ("LPDDR4-3200", [(9100.0, 0x0, 256, False), (9104.0, 0x100, 256, False),
                                (9104.0, 0x10000080000, 1600, False), (9136.0, 0x40000000000, 256, False)]),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(_HIT_BEHIND_CONFLICT))
def test_a_hit_behind_a_large_conflicting_read_is_served_before_its_precharge(case):
    """A read of a row that a large (closed-form) read of another row of its bank is closing,
    issued while that row is still open, goes first (FR-FCFS), as it does when the large read
    is issued as one-burst requests: both forms give the hit (and every earlier request) the
    same completion, and the hit is done before the large read. (The closed form used to book
    its rows as open from its arrival, so the hit waited for the whole read: 185 against 72
    cycles in the first case, 1,270 against 219 in the second.)"""
    preset, reqs = _HIT_BEHIND_CONFLICT[case]
    ends = {}
    for piece in (1 << 20, None):
        m = make_dram(DramConfig(preset=preset))
        tck, bb = m.spec.tCK_ns, m.spec.burst_bytes
        out = []
        for i, (t, a, n, w) in enumerate(reqs):
            p = bb if piece is None and i == len(reqs) - 2 else 1 << 20
            out.append(max(m.request(t * tck, a + o, min(p, n - o), w) for o in range(0, n, p)) / tck)
        ends[piece] = out
    one, bursts = ends[1 << 20], ends[None]
    assert one[:-2] + one[-1:] == pytest.approx(bursts[:-2] + bursts[-1:], rel=1e-12)
    assert one[-2] <= bursts[-2]  # the large read itself: as in the property test above
    assert bursts[-1] < bursts[-2]


def test_a_small_read_reports_when_each_burst_is_in():
    """A read scheduled burst by burst reports each burst's data end (address order), so the
    engine takes a tile's first rows when the bursts holding them are in rather than from the
    peak rate back from the last byte: LPDDR5-6400 (tCK 1.25 ns, 2 tCK a 32 B burst), fresh
    model, 168 B at 0 (6 bursts over 4 bank groups): the first burst's data from tRCD 15 + CL 20
    = 35 cycles, in by 35 + 2 + tCTRL 2 = 39 (at 800 MHz, 39 accelerator cycles), the last at
    the completion; an unaligned lead spans two bursts. Large reads, writes and ideal memory report
    none."""
    from accelsim.engine.port import MemoryPort
    from accelsim.engine.stats import LayerStats
    from accelsim.memory import make_memory

    m = make_dram(DramConfig(preset="LPDDR5-6400"))
    done = m.request(0.0, 0, 168, False)
    ends = m.burst_ends
    assert len(ends) == 6 and max(ends) == done
    assert ends[0] == pytest.approx(39 * 1.25)
    port = MemoryPort(make_dram(DramConfig(preset="LPDDR5-6400")), 800.0, [LayerStats()],
                      count_memory=False)
    done = port.access(0.0, 0, "input", 0, 168, False)
    assert port.lead_in(32) == 39 and port.lead_in(168) == done
    port.access(1000.0, 0, "input", 0x10010, 64, False)  # 16 B into a burst: 2 + 1 bursts
    assert port.lead_in(32) == math.ceil(max(port._ends[:2]) * 0.8 - 1e-9)
    for nbytes, write in ((SMALL_BURSTS * 32 + 32, False), (64, True)):
        m.request(5000.0, 1 << 20, nbytes, write)
        assert m.burst_ends is None
    ideal = MemoryPort(make_memory(DramConfig(preset="ideal")), 800.0, [LayerStats()],
                       count_memory=False)
    ideal.access(0.0, 0, "input", 0, 64, False)
    assert ideal.lead_in(32) is None
