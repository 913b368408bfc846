"""Typed architecture and workload schema: units in key names, strict keys.

Every model rejects unknown keys; :func:`load_workload` turns any validation failure into one
:class:`~accelsim.errors.ConfigError` naming the YAML path and a hint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    PositiveInt,
    PrivateAttr,
    field_validator,
    model_validator,
)

Dataflow = Literal["ws", "os", "is"]
Scheme = Literal["int8", "fp16", "vq", "ssvq"]


class Strict(BaseModel):
    """Unknown keys, NaN and infinities are errors in every model."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class PEArrayConfig(Strict):
    """Systolic array: ``rows × cols`` MACs, SCALE-Sim dataflow, MAC precision."""

    rows: PositiveInt = 32
    cols: PositiveInt = 32
    dataflow: Dataflow = "ws"
    mac: Literal["int8", "fp16"] = "int8"


WidthBits = Annotated[int, Field(gt=0, multiple_of=8)]
"""An SRAM bank's word in bits: whole bytes (a port moves ``width_bits / 8 × banks`` B/cycle)."""


class BufferConfig(Strict):
    """An on-chip SRAM buffer. ``double_buffer`` gives each tile half the capacity."""

    size_KiB: PositiveFloat
    banks: PositiveInt = 8
    width_bits: WidthBits = 256
    double_buffer: bool = True


class CodebookBufferConfig(Strict):
    """SRAM that holds VQ/SSVQ codebooks (``banks`` serve one lookup each per cycle)."""

    size_KiB: PositiveFloat = 16
    banks: PositiveInt = 8
    width_bits: WidthBits = 128


class SRAMConfig(Strict):
    weight: BufferConfig = BufferConfig(size_KiB=128)
    input: BufferConfig = BufferConfig(size_KiB=128)
    output: BufferConfig = BufferConfig(size_KiB=64)
    codebook: CodebookBufferConfig = CodebookBufferConfig()


class DecoderConfig(Strict):
    """Sign-mask decoder: codebook lookups served per cycle and pipeline latency."""

    lookups_per_cycle: PositiveInt = 32
    pipeline_depth: PositiveInt = 2


class DramConfig(Strict):
    """Off-chip memory. ``preset`` names a DRAM standard, ``ideal`` or ``simple``.

    ``simple``: ``bandwidth_GBps`` × ``efficiency`` with a fixed ``latency_ns`` per request.
    For the JEDEC presets (``dram_presets.PRESET_NAMES``, docs/dram.md) every organisation field
    and any ``timing`` entry (in DRAM clock cycles, e.g. ``{tRCD: 24}``) can be overridden;
    ``mapping`` names the address mapping (default ``RoRaBaCoBgCh``), ``queue_depth`` is the
    controller queue per rank (64 B entries), ``page_policy`` keeps rows ``open`` after an
    access or precharges them once a request is done (``closed``), and posted writes drain from
    ``write_high_watermark`` down to ``write_low_watermark`` (fractions of the write queue).
    """

    preset: str = "LPDDR4-3200"
    channels: PositiveInt | None = None
    ranks: PositiveInt | None = None
    channel_width_bits: PositiveInt | None = None
    mapping: str | None = None
    queue_depth: PositiveInt = 32
    page_policy: Literal["open", "closed"] = "open"
    write_high_watermark: float = Field(0.8, gt=0, le=1)
    write_low_watermark: float = Field(0.2, ge=0, lt=1)
    bandwidth_GBps: PositiveFloat | None = None
    efficiency: float = Field(0.9, gt=0, le=1)
    latency_ns: float = Field(100.0, ge=0)
    timing: dict[str, float] = {}

    @model_validator(mode="after")
    def _known_preset(self) -> DramConfig:
        from accelsim.errors import did_you_mean
        from accelsim.memory.dram import presets as dram_presets

        names = ("ideal", "simple", *dram_presets.PRESET_NAMES)
        if self.preset not in names:
            raise ValueError(f"unknown DRAM preset {self.preset!r}{did_you_mean(self.preset, names)}")
        if self.write_low_watermark >= self.write_high_watermark:
            raise ValueError(f"write_low_watermark ({self.write_low_watermark}) must be below "
                             f"write_high_watermark ({self.write_high_watermark}); lower the low "
                             "watermark or raise the high one (defaults 0.2 and 0.8 of the write queue)")
        if self.preset == "simple" and self.bandwidth_GBps is None:
            raise ValueError("preset 'simple' needs bandwidth_GBps")
        if self.preset in ("ideal", "simple"):
            if self.timing or self.mapping:
                raise ValueError(
                    f"'timing' and 'mapping' apply to JEDEC presets, not {self.preset!r}; "
                    f"use e.g. preset: {dram_presets.PRESET_NAMES[0]}"
                )
            return self
        dram_presets.merged_timing(self.preset, self.timing)
        if self.mapping is not None:
            dram_presets.parse_mapping(self.mapping)
        return self


class VectorUnitConfig(Strict):
    """Vector unit for non-GEMM ops: ``lanes`` (default: the PE array's columns), its clock as a
    share of the accelerator clock, and overrides of the cycles per element per op kind."""

    lanes: PositiveInt | None = None
    clock_share: float = Field(1.0, gt=0, le=1)
    cycles_per_element: dict[str, PositiveFloat] = {}

    @model_validator(mode="after")
    def _known_ops(self) -> VectorUnitConfig:
        from accelsim.errors import did_you_mean
        from accelsim.plan.vector import CYCLES_PER_ELEMENT

        for op in self.cycles_per_element:
            if op not in CYCLES_PER_ELEMENT:
                raise ValueError(f"cycles_per_element: unknown op kind {op!r}"
                                 f"{did_you_mean(op, CYCLES_PER_ELEMENT)}")
        return self


class EnergyConfig(Strict):
    """Per-access energy table: a preset plus overrides of any entry (pJ)."""

    preset: Literal["default"] = "default"
    overrides: dict[str, float] = {}


class ArchConfig(Strict):
    name: str = "custom"
    clock_MHz: PositiveFloat = 800
    pe_array: PEArrayConfig = PEArrayConfig()
    sram: SRAMConfig = SRAMConfig()
    decoder: DecoderConfig = DecoderConfig()
    dram: DramConfig = DramConfig()
    vector_unit: VectorUnitConfig = VectorUnitConfig()
    energy: EnergyConfig = EnergyConfig()


class CompressionConfig(Strict):
    """Weight format: ``int8``/``fp16`` (dense) or ``vq``/``ssvq`` with ``k`` codewords of ``d``."""

    scheme: Scheme = "int8"
    k: PositiveInt | None = None
    d: PositiveInt | None = None
    codebook_dtype: Literal["fp16", "int8"] = "fp16"

    @model_validator(mode="after")
    def _kd(self) -> CompressionConfig:
        if self.scheme in ("vq", "ssvq"):
            if self.k is None or self.d is None:
                raise ValueError(f"scheme {self.scheme!r} needs k and d (e.g. k: 64, d: 8)")
            if self.k < 2:
                raise ValueError("k must be at least 2")
        elif self.k is not None or self.d is not None:
            raise ValueError(f"scheme {self.scheme!r} takes no k or d")
        return self

    @property
    def label(self) -> str:
        return self.scheme if self.k is None else f"{self.scheme}-k{self.k}-d{self.d}"


class LayerSpec(Strict):
    """An explicit layer in a workload's ``layers:`` list (canonical GEMM view)."""

    name: str
    op: Literal["linear", "conv", "matmul", "embedding", "softmax", "layernorm", "rmsnorm", "gelu",
                "silu", "relu", "add", "mul", "pool", "rope"] = "linear"
    M: PositiveInt
    K: PositiveInt = 1
    N: PositiveInt
    groups: PositiveInt = 1
    weights: bool = True
    in_elems: int = Field(0, ge=0)
    stride: PositiveInt = 1
    kernel: tuple[PositiveInt, PositiveInt] = (1, 1)
    weight_name: str = ""
    inputs: list[str] = []
    output: str = ""

    @model_validator(mode="after")
    def _vector_op(self) -> LayerSpec:
        from workloads.layer import VECTOR_OPS

        if self.op in VECTOR_OPS:
            if self.K != 1:
                raise ValueError(f"a {self.op} layer (vector op) has K=1; give its rows as M and "
                                 "the row length as N")
        return self


class MappingSpec(Strict):
    """Timeloop-style constraints on the mapping of the layers a ``mapping:`` glob matches.

    ``loop_order``: one order or a list of allowed orders, outermost first (permutations of
    ``mkn``); ``tile``: fixed tile sizes by dimension (``G``, ``M``, ``K``, ``N``; larger than the
    layer means the whole dimension); ``dataflow``: run these layers in this dataflow.
    """

    loop_order: list[str] | None = None
    tile: dict[Literal["G", "M", "K", "N"], PositiveInt] | None = None
    dataflow: Dataflow | None = None

    @field_validator("loop_order", mode="before")
    @classmethod
    def _orders(cls, value: Any) -> Any:
        orders = [value] if isinstance(value, str) else value
        for order in orders if isinstance(orders, list) else ():
            if not isinstance(order, str) or sorted(order) != ["k", "m", "n"]:
                raise ValueError(f"{order!r} is not a permutation of 'mkn' (loops outermost "
                                 "first, e.g. 'nkm')")
        return orders


class WorkloadConfig(Strict):
    """What ``python -m accelsim run`` takes. Exactly one of model / layers / onnx."""

    name: str = "workload"
    arch: ArchConfig
    model: str | None = None
    model_args: dict[str, Any] = {}
    layers: list[LayerSpec] | None = Field(None, min_length=1)
    onnx: Path | None = None
    batch: PositiveInt = 1
    compression: CompressionConfig = CompressionConfig()
    traces: Path | None = None
    baseline: CompressionConfig | None = CompressionConfig()
    seed: int = Field(0, ge=0, lt=2**64)
    traces_missing: Literal["error", "int8"] = "error"
    """A weight layer the trace lacks: an error, or (``int8``) fetched as INT8."""
    mapping: dict[str, MappingSpec] = {}
    """Mapping constraints by layer name or glob (``fnmatch``); the first matching entry applies."""
    sweep: dict[str, list[Any]] | None = None
    zip: dict[str, list[Any]] | None = None
    _source: str = PrivateAttr("")

    @property
    def source(self) -> str:
        """The file (or ``<workload>``) this config came from; error messages start with it."""
        return self._source

    @model_validator(mode="after")
    def _one_source(self) -> WorkloadConfig:
        given = [k for k in ("model", "layers", "onnx") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of 'model' (zoo name), 'layers' (explicit list) or 'onnx' (file); "
                f"got {given or 'none'}"
            )
        return self
