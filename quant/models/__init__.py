"""Torch re-implementations of real models whose weights ship offline (no transformers needed)."""
