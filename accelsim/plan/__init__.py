"""Planning before simulation: formats, mapping, schedule, placement and decoder work per layer."""
