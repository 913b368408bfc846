"""Off-chip memory: the interface the engine sees, and the factory for the configured model.

A memory model is stateful and is called in non-decreasing time order (simulation order):

``request(t_ns, addr, nbytes, write) -> t_done_ns``
    Issue one request (a whole tile of one stream) at ``t_ns``; returns when its last byte
    has arrived (read) or been accepted (write). The model keeps its own bus/bank state, so
    concurrent streams contend for bandwidth.
``counters() -> dict[str, float]``
    Cumulative statistics: at least ``read_bytes``, ``write_bytes``, ``energy_pJ``; bank-level
    models add ``row_hits``, ``row_misses`` ... The engine takes differences per layer.
``peak_GBps``
    Peak bandwidth (roofline, bound checks).
``burst_B``
    The unit data arrives in (a DRAM burst; 1 for the analytic models): the first bytes of a
    transfer are usable once a whole burst of them is in.
``pause``
    Of the last request: (share of its data delivered before a refresh inside the transfer, the
    refresh's ns), (0, 0) when none: the first bytes of a transfer that holds a refresh are in
    before it.
``burst_ends``
    Of the last request, a read the model scheduled burst by burst: when each of its bursts is
    in (ns, address order), so the first bytes are usable when their bursts are; None when the
    model does not say (large reads, writes, the analytic models).

Models: ``ideal`` and ``simple`` (:mod:`accelsim.memory.simple`) and the bank-level JEDEC
presets (:mod:`accelsim.memory.dram`).
"""

from __future__ import annotations

from typing import Protocol


class MemoryModel(Protocol):
    name: str
    peak_GBps: float
    burst_B: int
    pause: tuple[float, float]
    burst_ends: list[float] | None

    def request(self, t_ns: float, addr: int, nbytes: int, write: bool) -> float: ...

    def counters(self) -> dict[str, float]: ...


def make_memory(cfg) -> MemoryModel:
    """Build the memory model named by a :class:`~accelsim.spec.config.DramConfig`."""
    from accelsim.memory.simple import IdealMemory, SimpleMemory

    if cfg.preset == "ideal":
        return IdealMemory()
    if cfg.preset == "simple":
        return SimpleMemory(cfg.bandwidth_GBps, cfg.efficiency, cfg.latency_ns)
    from accelsim.memory.dram.model import make_dram

    return make_dram(cfg)


def peak_GBps(cfg) -> float:
    """Peak bandwidth of the configured memory, without building its model."""
    if cfg.preset == "ideal":
        return float("inf")
    if cfg.preset == "simple":
        return cfg.bandwidth_GBps
    from accelsim.memory.dram.presets import resolve

    return resolve(cfg).peak_GBps


def effective_dram(cfg) -> dict:
    """The DRAM a config resolves to: preset, channels, width, ranks and peak bandwidth."""
    if cfg.preset in ("ideal", "simple"):
        return {"preset": cfg.preset, "channels": None, "channel_width_bits": None, "ranks": None,
                "peak_GBps": peak_GBps(cfg)}
    from accelsim.memory.dram.presets import resolve

    spec = resolve(cfg)
    return {"preset": cfg.preset, "channels": spec.channels,
            "channel_width_bits": spec.channel_width_bits, "ranks": spec.ranks,
            "peak_GBps": spec.peak_GBps}


def describe_dram(eff: dict) -> str:
    """One line for the console, e.g. ``HBM2-2000, 8 ch × 128 bit, 1 rank, 256.0 GB/s peak``."""
    if eff["preset"] == "ideal":
        return "ideal (no DRAM time)"
    if eff["channels"] is None:
        return f"{eff['preset']}, {eff['peak_GBps']:.1f} GB/s peak"
    ranks = eff["ranks"]
    return (f"{eff['preset']}, {eff['channels']} ch × {eff['channel_width_bits']} bit, "
            f"{ranks} rank{'s' if ranks > 1 else ''}, {eff['peak_GBps']:.1f} GB/s peak")
