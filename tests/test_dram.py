"""DRAM model: hand-computed command timing, state across calls, errors, energy, properties."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from accelsim.memory import make_memory
from accelsim.memory.dram.model import PRESET_NAMES, make_dram
from accelsim.memory.dram.presets import PRESETS, resolve
from accelsim.spec.config import DramConfig

TCK = 0.625  # DDR4-3200
KiB = 1024
# DDR4-3200 default mapping RoRaBaCoBgCh: burst g -> bg = g % 2, col = g//2 % 128,
# bank = g//256 % 4, rank = g//1024 % 2, row = g // 2048 (64 B bursts, 128 KiB per row sweep)
ROW = 128 * KiB


def ddr4(**kw):
    return make_dram(DramConfig(preset="DDR4-3200", **kw))


def test_presets_listed_and_peaks():
    assert set(PRESET_NAMES) == {
        "DDR4-2400", "DDR4-3200", "LPDDR4-2400", "LPDDR4-3200", "LPDDR4X-4266",
        "LPDDR5-6400", "HBM2-2000",
    }  # fmt: skip
    peaks = {p: make_dram(DramConfig(preset=p)).peak_GBps for p in PRESET_NAMES}
    assert peaks["DDR4-3200"] == pytest.approx(25.6)
    assert peaks["LPDDR4-3200"] == pytest.approx(6.4)
    assert peaks["LPDDR5-6400"] == pytest.approx(12.8)
    assert peaks["HBM2-2000"] == pytest.approx(256.0)  # 8 x 128-bit channels at 2 Gb/s
    assert make_dram(DramConfig(preset="HBM2-2000", channels=2)).peak_GBps == pytest.approx(64)
    assert isinstance(make_memory(DramConfig(preset="DDR4-2400")), type(ddr4()))


def test_row_miss_hit_and_conflict_latencies_hand_computed():
    m = ddr4()
    # closed bank: ACT@0, RD@tRCD=22, data 44..48, +tCTRL 2 -> 50 cycles
    assert m.request(0.0, 0, 64, False) == pytest.approx(50 * TCK)
    # open row hit at 100 ns (160 cycles): data at 160+CL, +tBL +tCTRL
    assert m.request(100.0, 128, 64, False) == pytest.approx(100 + (22 + 4 + 2) * TCK)
    # conflict (same bank, next row) at 200 ns: PRE, tRP, ACT, tRCD, CL, burst, tCTRL
    assert m.request(200.0, ROW, 64, False) == pytest.approx(200 + (22 + 22 + 22 + 4 + 2) * TCK)
    c = m.counters()
    assert (c["row_hits"], c["row_misses"], c["activates"]) == (1, 2, 2)


def test_a_later_row_hit_is_served_before_a_booked_conflict():
    """FR-FCFS across requests: row 0 open (ACT 0, RD 22); a conflict to row 1 books its PRE at
    tRAS = 52; a hit to row 0 arriving after it still fits before that PRE (RD at 22 + tCCD_L =
    30, + tRTP 12 = 42 <= 52), so it is served first; the conflict keeps its time."""
    m = ddr4()
    assert m.request(0.0, 0, 64, False) == pytest.approx(50 * TCK)
    assert m.request(0.0, ROW, 64, False) == pytest.approx((52 + 22 + 22 + 22 + 4 + 2) * TCK)
    assert m.request(0.0, 128, 64, False) == pytest.approx((30 + 22 + 4 + 2) * TCK)
    c = m.counters()
    assert (c["row_hits"], c["activates"]) == (1, 2)


def test_a_streamed_row_is_held_open_for_a_queue_of_hits():
    """Requests to row 0 arrive at cycles 0 and 4 (RDs at 22 and 30): one every 4 cycles, faster
    than the row serves them (tCCD_L 8), so a conflict arriving at 4 waits until a queue's worth
    of hits could follow: 32 entries x tBL 4 = 128 cycles after the last RD. PRE 158, ACT 180,
    RD 202, data 224..228, + tCTRL. A third hit arriving later goes first."""
    m = ddr4()
    m.request(0.0, 0, 64, False)
    m.request(4 * TCK, 128, 64, False)
    assert m.request(4 * TCK, ROW, 64, False) == pytest.approx((158 + 22 + 22 + 22 + 4 + 2) * TCK)
    assert m.request(4 * TCK, 256, 64, False) == pytest.approx((38 + 22 + 4 + 2) * TCK)
    assert m.counters()["row_hits"] == 2


def test_a_row_hold_covers_only_the_hits_predicted_before_the_precharge():
    """Requests to row 0 arrive at cycles 0 and 20 (RDs at 22 and 30): one every 20 cycles. A
    conflict arriving at 20 could precharge at tRAS = 52; the hits predicted at 40 (<= 52) and 60
    (<= 52 + tCCD_L 8) go first, the one at 80 (> 68) would not: PRE 68, ACT 90, RD 112, data
    134..138, + tCTRL."""
    m = ddr4()
    m.request(0.0, 0, 64, False)
    m.request(20 * TCK, 128, 64, False)
    assert m.request(20 * TCK, ROW, 64, False) == pytest.approx((68 + 22 + 22 + 22 + 4 + 2) * TCK)


def test_hits_arriving_at_one_instant_predict_no_more_hits():
    """Two requests to row 0 and a conflict all arrive at cycle 0 (one requester's burst of
    requests): the conflict waits only for the hits that are queued (RDs 22 and 30, tRAS): PRE 52,
    ACT 74, RD 96, data 118..122, + tCTRL."""
    m = ddr4()
    m.request(0.0, 0, 64, False)
    m.request(0.0, 128, 64, False)
    assert m.request(0.0, ROW, 64, False) == pytest.approx((52 + 22 + 22 + 22 + 4 + 2) * TCK)


def test_a_drained_write_is_no_arrival_that_predicts_hits():
    """A read of row 0 at cycle 0 (ACT 0, RD 22, data 44..48), a write to row 0 posted at cycle 1
    and drained then (data 50..54 after the read-to-write gap: WR 34), and a conflict arriving
    at cycle 1: the row has seen one request arrive, so no hit is predicted and the conflict
    precharges after the write's recovery (34 + CWL 16 + 4 + tWR 24 = 78): ACT 100, RD 122, data
    144..148, + tCTRL. (Counting the drain as a second arrival, one cycle after the read,
    predicted a stream and held the row a queue's worth, 128 cycles, after the WR: data 228.)"""
    m = ddr4()
    m.request(0.0, 0, 64, False)
    m.request(1 * TCK, 128, 64, True)
    assert m.flush(1 * TCK) == pytest.approx(54 * TCK)
    assert m.request(1 * TCK, ROW, 64, False) == pytest.approx((78 + 22 + 22 + 22 + 4 + 2) * TCK)


def test_write_queue_drains_from_the_high_to_the_low_watermark():
    """queue_depth 10 (64 B bursts on DDR4): high ceil(0.8 x 10) = 8, low floor(0.2 x 10) = 2.
    Seven posted writes wait; the eighth drains the oldest six (bursts 0..5: columns 0..2 of row 0
    in bank groups 0 and 1, so two ACTs and four hits); the last two wait for flush (two hits)."""
    m = ddr4(queue_depth=10)
    for g in range(7):
        assert m.request(0.0, g * 64, 64, True) == pytest.approx(2 * TCK)
    assert m.counters()["activates"] == 0
    m.request(0.0, 7 * 64, 64, True)
    c = m.counters()
    assert (c["activates"], c["row_hits"]) == (2, 4)
    m.flush(0.0)
    c = m.counters()
    assert (c["activates"], c["row_hits"]) == (2, 6)


def test_default_watermarks_are_80_and_20_percent_of_the_queue():
    """Default queue_depth 32: the 26th posted write (ceil 25.6) drains 20, leaving 6 (floor 6.4)."""
    m = ddr4()
    for g in range(25):
        m.request(0.0, g * 64, 64, True)
    assert m.counters()["activates"] == 0
    m.request(0.0, 25 * 64, 64, True)
    c = m.counters()
    assert c["activates"] + c["row_hits"] == 20


@pytest.mark.parametrize("key, value, needle", [
    ("write_high_watermark", 1.5, "arch.dram.write_high_watermark: Input should be less than or equal to 1"),
    ("write_low_watermark", 0.9, "write_low_watermark (0.9) must be below write_high_watermark (0.8)"),
    ("write_low_watermark", -1, "arch.dram.write_low_watermark: Input should be greater than or equal to 0"),
])
def test_bad_watermarks_exit_2_naming_the_key(capsys, key, value, needle):
    from accelsim.cli import main

    wl = str(Path(__file__).resolve().parents[1] / "workloads" / "examples" / "deit_tiny_ssvq.yaml")
    assert main(["validate", wl, "--set", f"arch.dram.{key}={value}"]) == 2
    assert needle in capsys.readouterr().err


def test_tras_delays_an_early_conflict():
    m = ddr4()
    m.request(0.0, 0, 64, False)  # ACT at 0
    # PRE waits for tRAS=52 (> RD 22 + tRTP 12), then tRP, tRCD, CL, burst, tCTRL
    assert m.request(0.0, ROW, 64, False) == pytest.approx((52 + 22 + 22 + 22 + 4 + 2) * TCK)


def test_trrd_and_tfaw_space_activates():
    m = ddr4()
    # five banks of rank 0: (bg0,ba0) (bg1,ba0) (bg0,ba1) (bg1,ba1) (bg0,ba2)
    done = [m.request(0.0, g * 64, 64, False) for g in (0, 1, 256, 257, 512)]
    acts = [0, 9, 18, 27, 48]  # tRRD_S 9 between groups; the 5th waits for tFAW 48
    assert done == pytest.approx([(a + 22 + 22 + 4 + 2) * TCK for a in acts])


def test_same_bank_group_columns_respect_tccd_l():
    m = ddr4()
    m.request(0.0, 0, 64, False)  # bg0 data 44..48
    # a second bg0 column in the open row: tCCD_L=8 after the first -> data 52..56
    assert m.request(0.0, 128, 64, False) == pytest.approx((52 + 4 + 2) * TCK)
    # a bg1 miss in between would fit the bus earlier but needs ACT: not before tRRD
    assert m.request(0.0, 64, 64, False) > 56 * TCK


def test_refresh_blocks_the_rank_and_closes_rows():
    m = ddr4()
    m.request(0.0, 0, 64, False)  # opens row 0 of bank 0
    t = resolve(DramConfig(preset="DDR4-3200")).timing
    ref0 = t.tREFI * 0.5 / 2  # rank 0's first refresh (ranks are staggered)
    t_ns = (ref0 + 10) * TCK  # inside the refresh: wait tRFC, then the row must be reopened
    done = m.request(t_ns, 128, 64, False)
    assert done == pytest.approx((ref0 + t.tRFC + 22 + 22 + 4 + 2) * TCK)
    assert m.counters()["refreshes"] >= 1
    assert m.counters()["row_misses"] == 2


def test_posted_writes_and_flush():
    m = ddr4()
    assert m.request(0.0, 0, 64, True) == pytest.approx(2 * TCK)  # accepted after tCTRL
    assert m.counters()["activates"] == 0  # still queued
    t_done = m.flush(0.0)
    assert t_done == pytest.approx((22 + 16 + 4) * TCK)  # ACT, tRCD, CWL, burst
    assert m.counters()["activates"] == 1


def test_write_to_read_turnaround():
    m = ddr4()
    m.request(0.0, 0, 64, False)  # open row 0 of bank 0
    m.request(0.0, 128, 64, True)
    m.flush(0.0)  # write data 52..56 (after the read's 44..48 + R->W bubble)
    # read after write, same bank group: data >= write end + tWTR_L + CL
    assert m.request(0.0, 256, 64, False) >= (56 + 12 + 22 + 4) * TCK


def test_bulk_request_bandwidth_and_state_persists():
    m = ddr4()
    done = m.request(0.0, 0, 64 * KiB, False)
    bw = 64 * KiB / done
    assert 0.85 * 25.6 < bw < 25.6
    c = m.counters()
    assert c["bursts"] == 1024 and c["activates"] == 8  # 4 banks x 2 bank groups
    # the last row of each bank stays open: a later small read of bank 3 (the last 16 KiB) hits
    t = done + 100
    assert m.request(t, 48 * KiB + 1024, 64, False) == pytest.approx(t + 28 * TCK)
    assert m.counters()["row_hits"] == c["row_hits"] + 1
    # bank 0 was done before rank 0's first refresh (tREFI / 4 = 3120 cycles, 1950 ns), which
    # closed its row: a read of it needs an ACT (tRCD 22 more)
    assert m.request(t, 1024, 64, False) == pytest.approx(t + (22 + 28) * TCK)


def test_streams_contend_for_the_bus():
    alone = ddr4().request(0.0, 0, 64 * KiB, False)
    m = ddr4()
    a = m.request(0.0, 0, 64 * KiB, False)
    b = m.request(0.0, 64 * ROW, 64 * KiB, False)  # other rows, same channel
    assert a == pytest.approx(alone)
    assert b >= a + 0.9 * 64 * KiB / 25.6


def test_row_in_one_bank_mapping_is_slower_for_sequential():
    good = ddr4().request(0.0, 0, 256 * KiB, False)
    row_major = ddr4(mapping="RoChRaBaBgCo").request(0.0, 0, 256 * KiB, False)
    assert 1.3 < row_major / good < 2.0  # tCCD_L-bound inside a row, partly hidden by window


def test_timing_overrides_take_effect():
    slow = make_dram(DramConfig(preset="DDR4-3200", timing={"tRCD": 30}))
    assert slow.request(0.0, 0, 64, False) == pytest.approx((30 + 22 + 4 + 2) * TCK)


def test_counters_and_energy_split():
    m = ddr4()
    m.request(0.0, 0, 4 * KiB, False)
    m.request(50.0, ROW, 100, True)
    m.flush(50.0)
    c = m.counters()
    assert c["read_bytes"] == 4 * KiB and c["write_bytes"] == 100 and c["requests"] == 2
    parts = ("energy_act_pJ", "energy_rdwr_pJ", "energy_ref_pJ", "energy_bg_pJ")
    assert c["energy_pJ"] == pytest.approx(sum(c[k] for k in parts))
    spec = m.spec
    assert c["energy_act_pJ"] == pytest.approx(c["activates"] * spec.e_act_pJ)
    assert c["energy_rdwr_pJ"] == pytest.approx(64 * spec.e_rd_burst_pJ + 2 * spec.e_wr_burst_pJ)
    assert c["row_hits"] + c["row_misses"] == c["bursts"]


@pytest.mark.parametrize(
    ("preset", "lo", "hi"),
    [("DDR4-3200", 15, 20), ("LPDDR4-3200", 4, 6), ("LPDDR5-6400", 3, 5), ("HBM2-2000", 3.5, 4.2)],
)
def test_streaming_energy_per_bit_matches_family(preset, lo, hi):
    m = make_dram(DramConfig(preset=preset))
    t = 0.0
    for i in range(32):
        t = m.request(t, i * 256 * KiB, 256 * KiB, False)
    c = m.counters()
    assert lo <= c["energy_pJ"] / (c["read_bytes"] * 8) <= hi


@pytest.mark.parametrize(
    ("kw", "needle"),
    [
        ({"timing": {"tRCDx": 24}}, "did you mean 'tRCD'"),
        ({"mapping": "RoRaBaCoBgCx"}, "did you mean 'RoRaBaCoBgCh'"),
        ({"preset": "DDR4-3300"}, "did you mean 'DDR4-3200'"),
        ({"preset": "simple", "bandwidth_GBps": 10, "timing": {"tRCD": 2}}, "JEDEC presets"),
        ({"timing": {"tRP": -1}}, "tRP must be > 0 cycles"),
        ({"timing": {"tRRD_S": 0}}, "tRRD_S must be > 0 cycles"),
        ({"page_policy": "half"}, "'open' or 'closed'"),
        ({"timing": {"tREFI": 0}}, "tREFI must be > 0 cycles"),
        ({"timing": {"tRCD": float("nan")}}, r"timing\.tRCD\s+Input should be a finite number"),
        ({"timing": {"tFAW": float("inf")}}, r"timing\.tFAW\s+Input should be a finite number"),
        ({"timing": {"tRAS": 10}}, r"tRCD \(22\) must not exceed tRAS \(10\)"),
        ({"timing": {"tCCD_S": 12}}, r"tCCD_S \(12\) must not exceed tCCD_L \(8\)"),
        ({"timing": {"tWTR_S": 20}}, r"tWTR_S \(20\) must not exceed tWTR_L \(12\)"),
        ({"timing": {"tRRD_S": 50, "tRRD_L": 50}}, r"tRRD_S \(50\) must not exceed tFAW \(48\)"),
        ({"timing": {"tRFC": 12460}}, r"tREFI \(12480\) must exceed tRFC \+ tRP \(12482\)"),
    ],
)
def test_bad_config_is_a_clear_error(kw, needle):
    kw = {"preset": "DDR4-3200", **kw}
    with pytest.raises(ValidationError, match=needle):
        DramConfig(**kw)


def test_every_preset_documents_its_timing_keys():
    from accelsim.memory.dram.presets import TIMING_KEYS

    for name, p in PRESETS.items():
        assert set(p["timing"]) == set(TIMING_KEYS), name


requests_st = st.lists(
    st.tuples(
        st.floats(0, 2000),  # time increment, ns
        st.integers(0, 1 << 26),  # address
        st.integers(1, 256 * KiB),  # bytes
        st.booleans(),
    ),
    min_size=1,
    max_size=25,
)


def _replay(preset, reqs):
    m = make_dram(DramConfig(preset=preset))
    t, out = 0.0, []
    for dt, addr, n, w in reqs:
        t += dt
        out.append(m.request(t, addr, n, w))
    out.append(m.flush(t))
    return out, m.counters()


@settings(max_examples=25, deadline=None)
@given(preset=st.sampled_from(PRESET_NAMES), reqs=requests_st)
def test_property_deterministic_causal_and_below_peak(preset, reqs):
    out, c = _replay(preset, reqs)
    out2, c2 = _replay(preset, reqs)
    assert out == out2 and c == c2
    t = 0.0
    for (dt, _, _, _), done in zip(reqs, out, strict=False):
        t += dt
        assert done >= t
    peak = make_dram(DramConfig(preset=preset)).peak_GBps
    total = c["read_bytes"] + c["write_bytes"]
    assert total / max(out) <= peak * 1.0001
    assert c["row_hits"] + c["row_misses"] == c["bursts"]


@settings(max_examples=15, deadline=None)
@given(
    preset=st.sampled_from(PRESET_NAMES),
    n=st.integers(2, 40),
    size=st.sampled_from([64, 256, 4 * KiB]),
)
def test_property_row_hits_never_slower_than_row_misses(preset, n, size):
    spec = resolve(DramConfig(preset=preset))
    sweep = spec.row_bytes * spec.banks_per_rank * spec.ranks * spec.channels
    for outstanding_in_flight in (False, True):
        times = {}
        for kind, stride in (("hit", 0), ("miss", sweep)):
            m = make_dram(DramConfig(preset=preset))
            t = done = 0.0
            for i in range(n):
                done = m.request(t, i * stride + (i * size) % 1024 * (kind == "hit"), size, False)
                t = 0.0 if outstanding_in_flight else done
            times[kind] = done
        assert times["hit"] <= times["miss"]


def test_closed_page_precharges_after_each_request():
    """page_policy closed: the bank precharges at its earliest precharge (tRAS = 52) after the
    request; a later access to the same row reopens it (ACT, tRCD) and a different row pays no tRP."""
    m = ddr4(page_policy="closed")
    assert m.request(0.0, 0, 64, False) == pytest.approx(50 * TCK)
    assert m.request(100.0, 128, 64, False) == pytest.approx(100 + (22 + 22 + 4 + 2) * TCK)
    assert m.request(200.0, ROW, 64, False) == pytest.approx(200 + (22 + 22 + 4 + 2) * TCK)
    # right after a request, the next ACT waits for the precharge: PRE 52 + tRP 22 = 74
    assert m.request(200.0 + 40 * TCK, ROW + 256, 64, False) == pytest.approx(
        (320 + 52 + 22 + 22 + 22 + 4 + 2) * TCK)
    c = m.counters()
    assert (c["row_hits"], c["activates"]) == (0, 4)
