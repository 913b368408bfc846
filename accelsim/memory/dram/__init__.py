"""The bank-level DRAM model: JEDEC presets as data, address layout, timing model, bench."""
