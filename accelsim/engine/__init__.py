"""The discrete-event engine and its units (see :mod:`accelsim.engine.engine`)."""

from accelsim.engine.engine import Engine
from accelsim.engine.stats import LayerStats

__all__ = ["Engine", "LayerStats"]
