"""Model zoo: published architectures as lists of canonical layers (shapes only, no weights).

``build("deit_tiny", batch=1, seq_len=...)`` returns ``list[Layer]``; ``MODELS`` maps each name
to its entry, ``params(name)`` gives the accepted parameters with defaults and
``describe(name)`` a one-line description with the source paper. Norms, activations,
residual adds and pooling are not modelled. See docs/zoo.md.
"""

from workloads.zoo.registry import MODELS, build, describe, get, params
from workloads.zoo.spec import Model, Param

__all__ = ["MODELS", "Model", "Param", "build", "describe", "get", "params"]
