"""What the engine measures per layer, and the events that link its units."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LayerStats:
    """What the engine measured for one layer (cycles and DRAM counters)."""

    start: float = 0.0
    end: float = 0.0
    wb_end: float = 0.0
    compute: float = 0.0
    stall_dram: float = 0.0
    stall_decoder: float = 0.0
    stall_codebook: float = 0.0
    decoder_busy: float = 0.0
    decoder_conflicts: float = 0.0
    codebook_reads: float = 0.0
    bytes: dict = field(default_factory=dict)
    """DRAM bytes per stream charged to this layer."""
    mem: dict = field(default_factory=dict)
    """Differences of the memory model's counters over this layer's requests."""


class LayerEvents:
    """Per-layer simpy events through which the units hand work to each other."""

    def __init__(self, env, layers: int) -> None:
        self.written = [env.event() for _ in range(layers)]
        """The layer's last output tile is in DRAM (write-back → DMA: next layer's inputs)."""
        self.weights_issued = [env.event() for _ in range(layers)]
        """Every weight request of the layer is issued (DMA → codebook DMA: prefetch)."""
        self.codebook_ready = [env.event() for _ in range(layers)]
        """The layer's codebook is resident (codebook DMA → decoder)."""
        self.decoded = [env.event() for _ in range(layers)]
        """The layer's last weight tile is decoded (decoder → codebook DMA: buffer free)."""


def wait_until(env, until: float):
    """Advance to ``until`` (no event when it is now); ``yield from wait_until(env, t)``."""
    if until > env.now:
        yield env.timeout(until - env.now)
