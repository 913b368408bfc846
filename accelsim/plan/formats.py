"""Weight formats: DRAM bytes per stream and the index stream of each layer.

Formats: ``int8`` (1 B/weight + fp16 per-channel scales), ``fp16`` (2 B/weight), ``vq`` (packed
``ceil(log2 k)``-bit indices per ``d``-vector + a ``k×d`` codebook), ``ssvq`` (VQ over magnitudes
+ one sign bit per weight). Byte counts come from the trace format module
(:func:`workloads.trace.stream_bytes`), so synthetic and trace-driven runs count the same bytes.

Indices come from a real trace (``traces:`` in the workload; checksums verified, shapes matched
by layer name) or, without one, are synthetic: uniform in ``[0, k)`` from a per-layer seed (the
decoder times a fixed seeded sample of them and scales it to each tile's lookup count).
With a trace, a weight layer it does not contain is an error unless the workload says
``traces_missing: int8`` (then it is fetched as INT8, e.g. a patch embedding or classifier head
the quantizer keeps at 8 bits); without a trace, every weight layer uses the workload's
compression.
Activation × activation matmuls (``weights: false``) stream their second operand uncompressed.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from accelsim.errors import ConfigError

ACT_BYTES = {"int8": 1, "fp16": 2}


@dataclass(frozen=True)
class LayerFormat:
    """How one layer's stationary operand is stored and fetched."""

    scheme: str
    elems: int
    streams: dict
    """DRAM bytes per weight stream for the whole layer (codebook excluded)."""
    codebook_bytes: int = 0
    k: int = 0
    d: int = 1
    codebook_dtype: str = "fp16"
    index_source: object = None
    """Callable returning the layer's real index stream (vector order) from a trace; None for
    dense formats and for synthetic indices."""
    synthetic_seed: tuple = ()
    """Seed of the synthetic (uniform) indices when there is no trace."""

    @property
    def w_bits(self) -> float:
        """Bits per weight element that occupy the weight buffer and DRAM bus."""
        return 8.0 * sum(self.streams.values()) / self.elems

    @property
    def compressed(self) -> bool:
        return self.scheme in ("vq", "ssvq")

    @property
    def synthetic(self) -> bool:
        return self.index_source is None

    @cached_property
    def indices(self) -> np.ndarray:
        """The real index stream of the layer (traces only)."""
        return self.index_source()

    def sample_indices(self, count: int) -> np.ndarray:
        """``count`` seeded uniform indices: the synthetic stream's statistics, without
        materialising a stream as long as the layer (billions of indices for an LLM)."""
        return np.random.default_rng(self.synthetic_seed).integers(0, self.k, size=count)


def layer_format(layer, comp, act_bytes: int, seed: int = 0, trace=None) -> LayerFormat:
    """The :class:`LayerFormat` of ``layer`` under compression config ``comp``."""
    from workloads.trace import stream_bytes

    if not layer.weights:
        return LayerFormat("act", layer.weight_elems, {"operand": layer.weight_elems * act_bytes})
    if trace is not None:
        tl = trace_layer(trace, layer)
        if tl is not None:
            return _from_trace(layer, tl)
        # a weight layer the trace leaves out (e.g. a patch embedding or classifier head that
        # the quantizer keeps at 8 bits) is fetched as INT8
        comp = comp.model_copy(update={"scheme": "int8", "k": None, "d": None})
    sb = stream_bytes(layer.weight_shape, comp.scheme, comp.k, comp.d, comp.codebook_dtype)
    streams = {s: sb[s] for s in ("index", "sign", "weights", "scales") if sb[s]}
    if comp.scheme in ("vq", "ssvq"):
        out, inp = layer.weight_shape
        return LayerFormat(comp.scheme, layer.weight_elems, streams, sb["codebook"], comp.k,
                           comp.d, comp.codebook_dtype,
                           synthetic_seed=(seed, zlib.crc32(layer.weight_name.encode())))
    return LayerFormat(comp.scheme, layer.weight_elems, streams)


def trace_layer(trace, layer):
    """The trace entry for ``layer`` (by weight name) with its shape checked."""
    tl = trace.layers.get(layer.weight_name)
    if tl is None:
        return None
    if tuple(tl.weight_shape) != tuple(layer.weight_shape):
        raise ConfigError(
            f"{trace.path}: layer {layer.weight_name!r} has weight shape {tuple(tl.weight_shape)} "
            f"in the trace but {tuple(layer.weight_shape)} in the workload (wrong model or batch?)"
        )
    return tl


def _from_trace(layer, tl) -> LayerFormat:
    streams = {s: int(tl.bytes.get(s, 0)) for s in ("index", "sign", "weights", "scales")}
    streams = {s: b for s, b in streams.items() if b}
    cb = int(tl.bytes.get("codebook", 0))
    if tl.scheme in ("vq", "ssvq"):
        return LayerFormat(tl.scheme, layer.weight_elems, streams, cb, int(tl.k), int(tl.d),
                           tl.codebook_dtype, tl.indices)
    return LayerFormat(tl.scheme, layer.weight_elems, streams)


def load_trace(path, model_layers, comp, missing: str = "error"):
    """Open a trace directory for a workload; a bad trace is a ConfigError naming the file.

    ``missing``: ``error`` (a weight layer without a trace entry is a ConfigError) or ``int8``."""
    from workloads.trace import TraceError, read_trace

    try:
        trace = read_trace(path, verify=True)
    except TraceError as exc:
        raise ConfigError(f"traces: {exc}") from None
    except OSError as exc:  # e.g. a name too long for the file system
        raise ConfigError(f"traces: {path}: cannot read ({exc.strerror or exc})") from None
    first = next(iter(trace.layers.values()), None)
    got = (trace.scheme, first.k if first else None, first.d if first else None)
    if got[0] != comp.scheme or (comp.k is not None and got[1:] != (comp.k, comp.d)):
        raise ConfigError(
            f"traces: {path}: trace is {got[0]} k={got[1]} d={got[2]} but the workload's "
            f"compression is {comp.label}; make them agree"
        )
    names = {la.weight_name for la in model_layers if la.weights}
    if not names & set(trace.layers):
        raise ConfigError(
            f"traces: {path}: none of its {len(trace.layers)} layers matches a weight layer of the "
            f"workload by name (trace has e.g. {next(iter(trace.layers), '-')!r}, workload has e.g. "
            f"{next(iter(sorted(names)), '-')!r})"
        )
    absent = sorted(names - set(trace.layers))
    if absent and missing == "error":
        raise ConfigError(
            f"traces: {path}: {len(absent)} weight layer(s) of the workload have no entry in the "
            f"trace (e.g. {absent[0]!r}); add them to the trace, or set `traces_missing: int8` "
            "in the workload to fetch them as INT8"
        )
    return trace
