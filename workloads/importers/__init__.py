"""Bring your own model: torch and ONNX importers that emit canonical layers.

Nothing here imports torch or onnx at import time; the front ends import them when called.

* :func:`from_torch` — an ``nn.Module`` and example inputs (torch.fx, eager fallback);
* :func:`load_onnx` — an ``.onnx`` file (``onnx`` + shape inference);
* :func:`load_model_file` — ``.onnx``, a ``.pt`` saved module, or ``module.py:factory``.
"""

from workloads.importers.model_file import load_model_file
from workloads.importers.onnx_import import load_onnx
from workloads.importers.result import (
    ImportFailure,
    ImportResult,
    UnsupportedOperatorWarning,
)
from workloads.importers.torch_import import from_torch

__all__ = [
    "ImportFailure",
    "ImportResult",
    "UnsupportedOperatorWarning",
    "from_torch",
    "load_model_file",
    "load_onnx",
]
