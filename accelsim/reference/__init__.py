"""A cycle-stepped reference model of the accelerator, written apart from the event engine.

It runs the same :class:`~accelsim.plan.plan.LayerPlan` (format, mapping, schedule, placement,
index streams: decisions, not timing) on the same memory model, but steps every unit once per
cycle and shares no timing code with :mod:`accelsim.engine`: DMA chunks land in SRAM at the
buffer's port width (:mod:`.transfer`, :mod:`.dma`), the systolic array ticks through each fold's
preload, skew and drain (:mod:`.systolic`, :mod:`.array`), the decoder looks codewords up group
by group from the real index stream (:mod:`.decoder`). Meant for small layers
(:data:`~accelsim.reference.run.MAX_COMPUTE_CYCLES`); ``python -m accelsim run W.yaml --reference``.
"""

from accelsim.reference.run import MAX_COMPUTE_CYCLES, simulate

__all__ = ["MAX_COMPUTE_CYCLES", "simulate"]
