"""The DRAM model's large-request path against command timing worked by hand.

A request of many bursts to one row streams them ``tCCD`` apart once the row is open, so its
last data arrives ``open + CL + bursts x tCCD`` after it is issued (+ the controller's ``tCTRL``),
where opening costs nothing on a row hit, ``tRCD`` on a closed bank and ``tRP + tRCD`` on a row
conflict (precharge the open row, activate the new one). A second bank's activate, ``tRRD``
after the first, is hidden behind the first bank's bursts.

Geometry: LPDDR4-3200 (tCK 0.625 ns, CL 32, tRCD 29, tRP 27, tRRD 16, BL16 on a 16-bit channel:
32 B bursts, 8 clock cycles each, tCCD 8), one channel, one rank, 8 banks, mapping RoRaBaCoBgCh
(consecutive bursts fill a row, then the next bank). The tiny variant has 256 columns: a row is
16 bursts = 512 B and the 8 banks' rows repeat every 4 KiB.
"""

from __future__ import annotations

import dataclasses

import pytest

from accelsim.memory.dram.model import DramModel
from accelsim.memory.dram.presets import resolve
from accelsim.spec.config import DramConfig

TCK, CL, RCD, RP, CCD, CTRL = 0.625, 32, 29, 27, 8, 2
BURST = 32


def tiny() -> DramModel:
    spec = resolve(DramConfig(preset="LPDDR4-3200", mapping="RoRaBaCoBgCh"))
    assert (spec.tCK_ns, spec.tBL, spec.burst_bytes) == (TCK, CCD, BURST)
    t = spec.timing
    assert (t.CL, t.tRCD, t.tRP, t.tCCD_L, t.tCTRL) == (CL, RCD, RP, CCD, CTRL)
    return DramModel(dataclasses.replace(spec, columns=256))


ROW_B = 16 * BURST  # one row of one bank
ROWS_B = 8 * ROW_B  # row r of every bank


def test_closed_banks_cost_trcd_and_a_second_bank_opens_in_the_shadow():
    m = tiny()
    # 24 bursts: 16 in bank 0's row 0, 8 in bank 1's row 0 (its ACT at tRRD is hidden)
    assert m.request(0.0, 0, 24 * BURST, False) == pytest.approx((RCD + CL + 24 * CCD + CTRL) * TCK)
    c = m.counters()
    assert (c["activates"], c["row_hits"] + c["row_misses"]) == (2, 24)


def test_row_hit_costs_only_cl():
    m = tiny()
    m.request(0.0, 0, ROW_B, False)  # opens bank 0, row 0
    t = 1000.0
    assert m.request(t, 0, ROW_B, False) == pytest.approx(t + (CL + 16 * CCD + CTRL) * TCK)


def test_row_conflict_costs_trp_then_trcd():
    m = tiny()
    m.request(0.0, 0, ROW_B, False)  # opens bank 0, row 0
    t = 1000.0  # long after: tRAS, tRTP and the bus are no constraint
    done = m.request(t, ROWS_B, ROW_B, False)  # bank 0, row 1
    assert done == pytest.approx(t + (RP + RCD + CL + 16 * CCD + CTRL) * TCK)
    assert m.counters()["activates"] == 2


def test_conflict_hit_and_closed_differ_by_exactly_trp_and_trcd():
    def second(addr):
        m = tiny()
        m.request(0.0, 0, ROW_B, False)
        return m.request(1000.0, addr, 12 * BURST, False)

    closed = second(ROW_B)  # bank 1 was never opened
    hit, conflict = second(0), second(ROWS_B)
    assert closed - hit == pytest.approx(RCD * TCK)
    assert conflict - closed == pytest.approx(RP * TCK)


def test_full_geometry_conflict_on_a_large_request():
    # the preset as shipped: 64 bursts (2 KiB) per row, rows of the 8 banks repeat every 16 KiB
    m = DramModel(resolve(DramConfig(preset="LPDDR4-3200", mapping="RoRaBaCoBgCh")))
    m.request(0.0, 0, 2048, False)
    t = 1000.0
    assert m.request(t, 16384, 1024, False) == pytest.approx(t + (RP + RCD + CL + 32 * CCD + CTRL)
                                                               * TCK)


def test_a_request_that_wraps_around_the_banks_reopens_them_in_the_shadow():
    m = tiny()
    # 160 bursts: rows 0 of banks 0-7 (128 bursts), then rows 1 of banks 0 and 1 (32 bursts);
    # bank 0's row 0 is done ~128 bursts before its row 1 is needed: PRE + ACT are hidden
    done = m.request(0.0, 0, 160 * BURST, False)
    assert done == pytest.approx((RCD + CL + 160 * CCD + CTRL) * TCK)
    c = m.counters()
    assert (c["activates"], c["row_hits"]) == (10, 150)
    # again, with bank 1's row 1 left open beforehand: its row 0 visit is a conflict and its row 1
    # visit must reopen row 1, so it still takes two activates
    m = tiny()
    m.request(0.0, ROWS_B + ROW_B, 16 * BURST, False)
    before = m.counters()["activates"]
    t = 1000.0  # done before the first refresh (tREFI / 2 = 1.95 us)
    done = m.request(t, 0, 160 * BURST, False)
    assert m.counters()["activates"] - before == 10
    assert done == pytest.approx(t + (RCD + CL + 160 * CCD + CTRL) * TCK)


def test_a_full_read_queue_admits_the_next_read_at_the_first_ones_column_command():
    # DDR4-3200 with a one-entry queue: the first read (bank group 0) issues ACT at 0, RD at tRCD 22;
    # the second (bank group 1) enters at 22, ACT 22, RD 44, data 66..70, + tCTRL 2
    tck = 0.625
    m = DramModel(resolve(DramConfig(preset="DDR4-3200", mapping="RoRaBaCoBgCh", queue_depth=1)))
    assert m.request(0.0, 0, 64, False) == pytest.approx((22 + 22 + 4 + 2) * tck)
    assert m.request(0.0, 64, 64, False) == pytest.approx((22 + 22 + 22 + 4 + 2) * tck)
