"""JEDEC DRAM presets as data, and their resolution into a :class:`DramSpec`.

Every preset is a plain dict: organisation, timing in DRAM clock cycles (``tCK_ns`` each), and the
per-device currents (IDD, mA) from which per-operation energies are derived the DRAMPower /
DRAMsim3 way, plus an interface (I/O) energy per bit. Sources per preset are in ``docs/dram.md``.
This module is pure Python (no numpy) so that config validation stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

# Timing keys accepted in ``dram.timing`` overrides (DRAM clock cycles).
# CL/CWL read/write latency; tRTRS rank-to-rank switch; tCTRL controller+PHY pipeline latency
# added to every request (not a JEDEC parameter).
TIMING_KEYS = (
    "CL", "CWL", "tRCD", "tRP", "tRAS", "tCCD_S", "tCCD_L", "tRRD_S", "tRRD_L", "tFAW",
    "tWR", "tWTR_S", "tWTR_L", "tRTP", "tRFC", "tREFI", "tRTRS", "tCTRL",
)  # fmt: skip

MAPPING_FIELDS = ("Ro", "Ch", "Ra", "Ba", "Bg", "Co")
# Named mappings, most significant field first (any permutation of MAPPING_FIELDS is accepted).
MAPPINGS = {
    "RoRaBaCoBgCh": "bank-group interleaved: consecutive bursts alternate channel, then bank group",
    "RoChRaBaBgCo": "row in one bank (DRAMsim3's default rochrababgco): a whole row, then next bg",
    "RoBaRaCoBgCh": "bank-group interleaved with ranks below banks",
    "RoCoRaBaBgCh": "cache-line interleaved: every burst to the next bank (random-like)",
}
DEFAULT_MAPPING = "RoRaBaCoBgCh"


def _ddr4(rate, tck, cl, cwl, rcd, rp, ras, ccd_l, rrd_s, rrd_l, faw, wr, wtr_s, wtr_l, rtp,
          rfc, refi, idd):  # fmt: skip
    return {
        "family": "DDR4", "data_rate_MTps": rate, "tCK_ns": tck, "beats_per_clock": 2,
        "channels": 1, "ranks": 2, "channel_width_bits": 64, "device_width_bits": 16,
        "bankgroups": 2, "banks_per_group": 4, "rows": 65536, "columns": 1024, "BL": 8,
        "timing": {
            "CL": cl, "CWL": cwl, "tRCD": rcd, "tRP": rp, "tRAS": ras, "tCCD_S": 4,
            "tCCD_L": ccd_l, "tRRD_S": rrd_s, "tRRD_L": rrd_l, "tFAW": faw, "tWR": wr,
            "tWTR_S": wtr_s, "tWTR_L": wtr_l, "tRTP": rtp, "tRFC": rfc, "tREFI": refi,
            "tRTRS": 1, "tCTRL": 2,
        },
        "power": {"VDD": 1.2, **idd, "io_pJ_per_bit": 7.0},
    }  # fmt: skip


def _lpddr4(rate, tck, cl, cwl, rcd, rp, ras, rrd, faw, wr, wtr, rtp, rfc, refi, idd, io):
    return {
        "family": "LPDDR4", "data_rate_MTps": rate, "tCK_ns": tck, "beats_per_clock": 2,
        "channels": 1, "ranks": 1, "channel_width_bits": 16, "device_width_bits": 16,
        "bankgroups": 1, "banks_per_group": 8, "rows": 65536, "columns": 1024, "BL": 16,
        "timing": {
            "CL": cl, "CWL": cwl, "tRCD": rcd, "tRP": rp, "tRAS": ras, "tCCD_S": 8,
            "tCCD_L": 8, "tRRD_S": rrd, "tRRD_L": rrd, "tFAW": faw, "tWR": wr, "tWTR_S": wtr,
            "tWTR_L": wtr, "tRTP": rtp, "tRFC": rfc, "tREFI": refi, "tRTRS": 2, "tCTRL": 2,
        },
        "power": {"VDD": 1.1, **idd, "io_pJ_per_bit": io},
    }  # fmt: skip


PRESETS: dict[str, dict] = {
    # DRAMsim3 DDR4_8Gb_x16_3200.ini: JEDEC DDR4-3200AA 22-22-22
    "DDR4-3200": _ddr4(3200, 0.625, 22, 16, 22, 22, 52, 8, 9, 11, 48, 24, 4, 12, 12, 560, 12480,
                       {"IDD0": 95, "IDD2N": 37, "IDD3N": 56, "IDD4R": 302, "IDD4W": 278,
                        "IDD5": 280}),
    # DRAMsim3 DDR4_8Gb_x16_2400.ini (DDR4-2400T 17-17-17)
    "DDR4-2400": _ddr4(2400, 0.8333, 17, 12, 17, 17, 39, 6, 7, 8, 36, 18, 3, 9, 9, 420, 9360,
                       {"IDD0": 80, "IDD2N": 34, "IDD3N": 47, "IDD4R": 243, "IDD4W": 228,
                        "IDD5": 280}),
    # JESD209-4 core timings as tabulated in Ramulator's LPDDR4.h (x16 channel, 8 banks)
    "LPDDR4-2400": _lpddr4(2400, 0.8333, 25, 14, 22, 20, 51, 12, 48, 21, 12, 11, 336, 4685,
                           {"IDD0": 28, "IDD2N": 7, "IDD3N": 11, "IDD4R": 120, "IDD4W": 110,
                            "IDD5": 90}, 1.2),
    "LPDDR4-3200": _lpddr4(3200, 0.625, 32, 18, 29, 27, 68, 16, 64, 28, 16, 14, 448, 6246,
                           {"IDD0": 32, "IDD2N": 8, "IDD3N": 12, "IDD4R": 150, "IDD4W": 135,
                            "IDD5": 100}, 1.2),
    # JESD209-4B (LPDDR4X) at tCK 0.469 ns; same ns values, converted like the two above
    "LPDDR4X-4266": _lpddr4(4266, 0.469, 39, 21, 39, 37, 90, 22, 86, 38, 22, 18, 597, 8324,
                            {"IDD0": 36, "IDD2N": 8, "IDD3N": 13, "IDD4R": 190, "IDD4W": 170,
                             "IDD5": 100}, 0.7),
    # Ramulator 2.0 LPDDR5_6400 (CK 800 MHz, WCK 4:1, 8 beats per CK), bank-group mode
    "LPDDR5-6400": {
        "family": "LPDDR5", "data_rate_MTps": 6400, "tCK_ns": 1.25, "beats_per_clock": 8,
        "channels": 1, "ranks": 1, "channel_width_bits": 16, "device_width_bits": 16,
        "bankgroups": 4, "banks_per_group": 4, "rows": 65536, "columns": 1024, "BL": 16,
        "timing": {
            "CL": 20, "CWL": 11, "tRCD": 15, "tRP": 15, "tRAS": 34, "tCCD_S": 2, "tCCD_L": 4,
            "tRRD_S": 4, "tRRD_L": 4, "tFAW": 16, "tWR": 28, "tWTR_S": 5, "tWTR_L": 10,
            "tRTP": 4, "tRFC": 224, "tREFI": 3125, "tRTRS": 2, "tCTRL": 2,
        },
        "power": {"VDD": 1.05, "IDD0": 40, "IDD2N": 10, "IDD3N": 15, "IDD4R": 280,
                  "IDD4W": 250, "IDD5": 120, "io_pJ_per_bit": 0.8},
    },  # fmt: skip
    # DRAMsim3 HBM2_8Gb_x128.ini (legacy 128-bit channels, 8 per stack), JESD235 tCCD_S/L
    "HBM2-2000": {
        "family": "HBM2", "data_rate_MTps": 2000, "tCK_ns": 1.0, "beats_per_clock": 2,
        "channels": 8, "ranks": 1, "channel_width_bits": 128, "device_width_bits": 128,
        "bankgroups": 4, "banks_per_group": 4, "rows": 32768, "columns": 64, "BL": 4,
        "timing": {
            "CL": 14, "CWL": 4, "tRCD": 14, "tRP": 14, "tRAS": 34, "tCCD_S": 2, "tCCD_L": 4,
            "tRRD_S": 4, "tRRD_L": 6, "tFAW": 30, "tWR": 16, "tWTR_S": 6, "tWTR_L": 8,
            "tRTP": 4, "tRFC": 260, "tREFI": 3900, "tRTRS": 2, "tCTRL": 2,
        },
        "power": {"VDD": 1.2, "IDD0": 65, "IDD2N": 40, "IDD3N": 55, "IDD4R": 390,
                  "IDD4W": 500, "IDD5": 250, "io_pJ_per_bit": 1.5},
    },  # fmt: skip
}
PRESET_NAMES = tuple(PRESETS)


def parse_mapping(name: str) -> tuple[str, ...]:
    """Split a mapping name such as ``RoRaBaCoBgCh`` into its fields (MSB first).

    Raises ValueError with a did-you-mean hint unless it is a permutation of the six fields.
    """
    fields = tuple(name[i : i + 2] for i in range(0, len(name), 2))
    if len(name) != 12 or sorted(fields) != sorted(MAPPING_FIELDS):
        from accelsim.errors import did_you_mean

        raise ValueError(
            f"unknown DRAM address mapping {name!r}{did_you_mean(name, MAPPINGS)} "
            f"(any order of the fields {', '.join(MAPPING_FIELDS)}, most significant first)"
        )
    return fields


# JEDEC relations the model relies on: (smaller, larger) — the first may not exceed the second.
TIMING_ORDER = (
    ("tRCD", "tRAS"),  # the row stays open at least until its first column command
    ("tCCD_S", "tCCD_L"), ("tRRD_S", "tRRD_L"), ("tWTR_S", "tWTR_L"),
    ("tRRD_S", "tFAW"),  # four ACTs per tFAW window
)  # fmt: skip


def check_timing_keys(timing: dict) -> None:
    """Raise ValueError naming the first unknown or non-finite / non-positive timing override.

    Every JEDEC value must be finite and > 0 cycles; ``tCTRL`` (a pipeline latency) may be 0.
    """
    import math

    from accelsim.errors import did_you_mean

    for key, value in timing.items():
        if key not in TIMING_KEYS:
            raise ValueError(f"unknown DRAM timing {key!r}{did_you_mean(key, TIMING_KEYS)}")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"DRAM timing {key} must be a finite number of cycles, got {value!r}")
        if value < 0 or (value == 0 and key != "tCTRL"):
            raise ValueError(f"DRAM timing {key} must be > 0 cycles, got {value}")


def check_timing_relations(timing: dict, preset: str) -> None:
    """Raise ValueError naming the key when merged timing breaks a relation the model relies on."""
    for small, large in TIMING_ORDER:
        if timing[small] > timing[large]:
            raise ValueError(f"DRAM timing {small} ({timing[small]:g}) must not exceed {large} "
                             f"({timing[large]:g}) on {preset}; raise {large} or lower {small}")
    busy = timing["tRFC"] + timing["tRP"]
    if busy >= timing["tREFI"]:
        raise ValueError(f"DRAM timing tREFI ({timing['tREFI']:g}) must exceed tRFC + tRP ({busy:g}) "
                         f"on {preset}: refresh would leave no time for data")


def merged_timing(preset: str, overrides: dict) -> dict:
    """A preset's timing with ``overrides`` on top, every value and relation checked."""
    check_timing_keys(overrides)
    timing = {**PRESETS[preset]["timing"], **overrides}
    check_timing_relations(timing, preset)
    return timing


@dataclass(frozen=True, slots=True)
class Timing:
    """JEDEC timing of one DRAM in DRAM clock cycles (the keys of ``TIMING_KEYS``)."""

    CL: float
    CWL: float
    tRCD: float
    tRP: float
    tRAS: float
    tCCD_S: float
    tCCD_L: float
    tRRD_S: float
    tRRD_L: float
    tFAW: float
    tWR: float
    tWTR_S: float
    tWTR_L: float
    tRTP: float
    tRFC: float
    tREFI: float
    tRTRS: float
    tCTRL: float

    @property
    def tRC(self) -> float:
        return self.tRAS + self.tRP


@dataclass(frozen=True)
class DramSpec:
    """A fully resolved DRAM system: organisation, timing (cycles), energies (pJ), mapping."""

    name: str
    tCK_ns: float
    channels: int
    ranks: int
    bankgroups: int
    banks_per_group: int
    rows: int
    columns: int
    BL: int
    channel_width_bits: int
    tBL: float  # data-bus cycles per burst
    timing: Timing
    mapping: tuple[str, ...]
    queue_depth: int
    write_watermarks: tuple[float, float]  # (high, low) fractions of the write queue
    closed_page: bool  # precharge every bank a request touched once the request is done
    e_act_pJ: float  # one ACT + PRE of a rank-wide row
    e_rd_burst_pJ: float
    e_wr_burst_pJ: float
    e_ref_pJ: float  # one all-bank refresh of one rank
    p_bg_mW: float  # background (active standby) per rank

    @property
    def burst_bytes(self) -> int:
        return self.BL * self.channel_width_bits // 8

    @property
    def bursts_per_row(self) -> int:
        return self.columns // self.BL

    @property
    def row_bytes(self) -> int:
        return self.columns * self.channel_width_bits // 8

    @property
    def banks_per_rank(self) -> int:
        return self.bankgroups * self.banks_per_group

    @property
    def peak_GBps(self) -> float:
        return self.burst_bytes / (self.tBL * self.tCK_ns) * self.channels


def _energies(p: dict, t: dict, tck: float, tbl: float, devices: int, burst_bits: int) -> dict:
    """Per-operation energies from IDD currents (mA) and VDD (V): mA·ns·V = pJ."""
    v = p["VDD"]
    t_rc = t["tRAS"] + t["tRP"]
    act = (p["IDD0"] * t_rc - (p["IDD3N"] * t["tRAS"] + p["IDD2N"] * t["tRP"])) * tck * v
    rd = (p["IDD4R"] - p["IDD3N"]) * tbl * tck * v
    wr = (p["IDD4W"] - p["IDD3N"]) * tbl * tck * v
    ref = (p["IDD5"] - p["IDD3N"]) * t["tRFC"] * tck * v
    io = p["io_pJ_per_bit"] * burst_bits
    return {
        "e_act_pJ": max(act, 0.0) * devices,
        "e_rd_burst_pJ": rd * devices + io,
        "e_wr_burst_pJ": wr * devices + io,
        "e_ref_pJ": ref * devices,
        "p_bg_mW": p["IDD3N"] * v * devices,
    }


def resolve(cfg) -> DramSpec:
    """Resolve a :class:`~accelsim.spec.config.DramConfig` (JEDEC preset + overrides) to a spec."""
    if cfg.preset not in PRESETS:
        from accelsim.errors import did_you_mean

        raise ValueError(f"unknown DRAM preset {cfg.preset!r}{did_you_mean(cfg.preset, PRESETS)}")
    p = PRESETS[cfg.preset]
    timing = merged_timing(cfg.preset, cfg.timing)
    width = cfg.channel_width_bits or p["channel_width_bits"]
    devices = max(1, width // p["device_width_bits"])
    tbl = p["BL"] / p["beats_per_clock"]
    energies = _energies(p["power"], timing, p["tCK_ns"], tbl, devices, p["BL"] * width)
    return DramSpec(
        name=cfg.preset,
        tCK_ns=p["tCK_ns"],
        channels=cfg.channels or p["channels"],
        ranks=cfg.ranks or p["ranks"],
        bankgroups=p["bankgroups"],
        banks_per_group=p["banks_per_group"],
        rows=p["rows"],
        columns=p["columns"],
        BL=p["BL"],
        channel_width_bits=width,
        tBL=tbl,
        timing=Timing(**timing),
        mapping=parse_mapping(cfg.mapping or DEFAULT_MAPPING),
        queue_depth=cfg.queue_depth,
        write_watermarks=(getattr(cfg, "write_high_watermark", 0.8),
                          getattr(cfg, "write_low_watermark", 0.2)),
        closed_page=getattr(cfg, "page_policy", "open") == "closed",
        **energies,
    )

