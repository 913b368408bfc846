"""PLACEHOLDER (replaced by the DRAM subsystem issue): JEDEC preset peaks behind SimpleMemory."""

from __future__ import annotations

# name -> (data rate MT/s, channel width bits, channels)
_PEAKS = {
    "DDR4-2400": (2400, 64, 1),
    "DDR4-3200": (3200, 64, 1),
    "LPDDR4-2400": (2400, 16, 1),
    "LPDDR4-3200": (3200, 16, 1),
    "LPDDR4X-4266": (4266, 16, 1),
    "LPDDR5-6400": (6400, 16, 1),
    "HBM2-2000": (2000, 128, 8),
}
PRESET_NAMES = tuple(_PEAKS)


def make_dram(cfg):
    """A memory model for a JEDEC preset (placeholder: simple peak × efficiency)."""
    from accelsim.memory import SimpleMemory

    rate, width, channels = _PEAKS[cfg.preset]
    width = cfg.channel_width_bits or width
    channels = cfg.channels or channels
    peak = rate * 1e6 * width / 8 * channels / 1e9
    return SimpleMemory(peak_GBps=peak, efficiency=cfg.efficiency, latency_ns=cfg.latency_ns, name=cfg.preset)
