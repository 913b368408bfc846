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

Models: ``ideal`` and ``simple`` (:mod:`accelsim.memory.simple`) and the bank-level JEDEC
presets (:mod:`accelsim.memory.dram`).
"""

from __future__ import annotations

from typing import Protocol


class MemoryModel(Protocol):
    name: str
    peak_GBps: float

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
