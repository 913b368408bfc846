"""The canonical layer: every operator lowered to a (grouped) GEMM.

Conventions (shared by the simulator, the quantizer and the importers):

* ``M``, ``K``, ``N`` describe **one group**: ``M`` output positions (× batch for weight layers),
  ``K`` reduction length, ``N`` output channels of that group.
* ``groups`` independent GEMMs of that size run one after another (grouped / depthwise conv,
  attention heads × batch for activation-activation matmuls).
* Weight layers store their weights as a torch-ordered matrix ``[groups·N, K]``
  (``[out, in]`` for Linear, ``[K_out, C/g·R·S]`` for conv), which is what traces hold.
* ``weights=False`` marks an activation × activation matmul (attention scores / context): its
  second operand is streamed like an activation and is never compressed.
* Vector ops (``VECTOR_OPS``: softmax, norms, activations, elementwise add/mul, pooling, rotary)
  run on the vector unit, not the PE array: ``groups × M`` rows of ``N`` output elements,
  ``K = 1``, no weights, no MACs; ``in_elems`` is the elements read from *each* input tensor
  (default ``groups·M·N``; a pool reads more than it writes).
* Tensors: a layer reads the activation tensors named in ``inputs`` and writes one tensor named
  ``output`` (default: the layer's name). ``external`` names a tensor that starts in DRAM. An
  empty ``inputs`` means "the previous layer's output" (see :mod:`workloads.graph`). For a
  matmul the second input is its streamed operand.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

GEMM_OPS = ("linear", "conv", "matmul", "embedding")
VECTOR_OPS = ("softmax", "layernorm", "rmsnorm", "gelu", "silu", "relu", "add", "mul", "pool",
              "rope")
OPS = GEMM_OPS + VECTOR_OPS
EXTERNAL = "external"
"""Input name of a tensor that starts in DRAM (a model input, or data from elsewhere)."""


@dataclass(frozen=True)
class Layer:
    """One operator in GEMM form; see the module docstring for the conventions."""

    name: str
    op: str
    M: int
    K: int
    N: int
    groups: int = 1
    weights: bool = True
    in_elems: int = 0
    """Input activation elements read for the whole layer (0 → groups·M·K, the GEMM view)."""
    stride: int = 1
    kernel: tuple[int, int] = (1, 1)
    weight_name: str = ""
    """Name of the weight tensor (trace matching); defaults to ``name``."""
    inputs: tuple[str, ...] = ()
    """Activation tensors read (``external``: from DRAM); empty: the previous layer's output."""
    output: str = ""
    """Name of the tensor written; defaults to ``name``."""
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"layer {self.name!r}: op must be one of {OPS}, got {self.op!r}")
        for dim in ("M", "K", "N", "groups"):
            value = getattr(self, dim)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"layer {self.name!r}: {dim} must be a positive integer, got {value!r}")
        vector = self.op in VECTOR_OPS
        if vector:
            if self.K != 1:
                raise ValueError(f"layer {self.name!r}: a {self.op} (vector op) has K=1")
            object.__setattr__(self, "weights", False)
        if self.in_elems == 0:
            object.__setattr__(self, "in_elems", self.groups * self.M * (self.N if vector else self.K))
        if not self.weight_name:
            object.__setattr__(self, "weight_name", self.name)
        if not self.output:
            object.__setattr__(self, "output", self.name)
        object.__setattr__(self, "inputs", tuple(self.inputs))

    @property
    def unit(self) -> str:
        """Where the layer runs: ``vector`` (vector unit) or ``pe`` (PE array; embedding gathers
        too, as DMA traffic without MACs)."""
        return "vector" if self.op in VECTOR_OPS else "pe"

    @property
    def macs(self) -> int:
        if self.unit == "vector":
            return 0
        return self.groups * self.M * self.K * self.N

    @property
    def weight_elems(self) -> int:
        """Elements of the stationary operand (weights, or the second activation operand)."""
        if self.unit == "vector":
            return 0
        return self.groups * self.K * self.N

    @property
    def out_elems(self) -> int:
        return self.groups * self.M * self.N

    @property
    def weight_shape(self) -> tuple[int, int]:
        """Torch-ordered 2-D weight shape ``[out, in]`` as stored in traces."""
        return (self.groups * self.N, self.K)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["kernel"] = list(self.kernel)
        d["inputs"] = list(self.inputs)
        return d
