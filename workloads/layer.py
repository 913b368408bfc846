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
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

OPS = ("linear", "conv", "matmul", "embedding")


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
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"layer {self.name!r}: op must be one of {OPS}, got {self.op!r}")
        for dim in ("M", "K", "N", "groups"):
            value = getattr(self, dim)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"layer {self.name!r}: {dim} must be a positive integer, got {value!r}")
        if self.in_elems == 0:
            object.__setattr__(self, "in_elems", self.groups * self.M * self.K)
        if not self.weight_name:
            object.__setattr__(self, "weight_name", self.name)

    @property
    def macs(self) -> int:
        return self.groups * self.M * self.K * self.N

    @property
    def weight_elems(self) -> int:
        """Elements of the stationary operand (weights, or the second activation operand)."""
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
        return d
