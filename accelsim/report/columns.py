"""The names of what accelsim reports: DRAM streams and the columns they become.

One list: a stream added here appears in ``layers.csv``, the summary totals and ``sweep.csv``.

=============  =========  ============================  ===================================
stream         direction  ``layers.csv`` column         what
=============  =========  ============================  ===================================
weights        read       ``dram_read_weights_B``       INT8/FP16 weights
scales         read       ``dram_read_scales_B``        INT8 per-channel fp16 scales
index          read       ``dram_read_index_B``         VQ/SSVQ packed codeword indices
sign           read       ``dram_read_sign_B``          SSVQ sign bits
codebook       read       ``dram_read_codebook_B``      VQ/SSVQ codebooks (reloads included)
operand        read       ``dram_read_operand_B``       the second activation of A×B matmuls
embedding      read       ``dram_read_embedding_B``     looked-up embedding rows
input          read       ``dram_read_input_B``         activations read by a layer
psum_read      read       ``dram_read_psum_read_B``     partial sums read back
output         write      ``dram_write_output_B``       finished outputs
psum_write     write      ``dram_write_psum_B``         partial-sum spills
=============  =========  ============================  ===================================
"""

from __future__ import annotations

READ_STREAMS = ("weights", "scales", "index", "sign", "codebook", "operand", "embedding", "input",
                "psum_read")
"""DRAM read streams, each a ``dram_read_<stream>_B`` column."""
WEIGHT_STREAMS = ("weights", "scales", "index", "sign", "codebook")
"""The read streams that carry a layer's weights (for bits fetched per weight)."""
WRITE_STREAMS = {"output": "output", "psum": "psum_write"}
"""Write columns ``dram_write_<key>_B`` → the engine's stream name."""


def read_column(stream: str) -> str:
    return f"dram_read_{stream}_B"


def write_column(key: str) -> str:
    return f"dram_write_{key}_B"


STREAM_COLUMNS = (*(read_column(s) for s in READ_STREAMS), *(write_column(k) for k in WRITE_STREAMS))
"""Every per-stream byte column, in ``layers.csv`` / ``sweep.csv`` order."""
