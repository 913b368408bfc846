"""Model zoo, canonical layers, importers and the trace format shared by accelsim and quant."""

from workloads.layer import Layer

__all__ = ["Layer"]
