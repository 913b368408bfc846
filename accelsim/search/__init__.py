"""Mapping selection by simulation: the mapper's near-tied candidates, simulated layer by layer."""
