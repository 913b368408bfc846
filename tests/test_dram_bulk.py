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
    assert (t["CL"], t["tRCD"], t["tRP"], t["tCCD_L"], t["tCTRL"]) == (CL, RCD, RP, CCD, CTRL)
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
