"""What an importer returns, the error it raises, and the warning for operators it cannot lower."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

from workloads.layer import Layer


class ImportFailure(ValueError):
    """A model file or module could not be imported; the message names the file and the reason."""


class UnsupportedOperatorWarning(UserWarning):
    """Operators were found that the importer cannot lower to canonical layers."""


@dataclass
class ImportResult:
    """Canonical layers of an imported model plus the operators that were not lowered.

    ``unsupported`` maps an operator name (torch function / module class / ONNX op type) to how
    many times it occurs; those operators carry work the simulator does not see.
    ``source`` says which front end produced the layers (``fx``, ``eager`` or ``onnx``).
    """

    layers: list[Layer]
    unsupported: dict[str, int] = field(default_factory=dict)
    source: str = ""

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)


def unsupported_message(unsupported: dict[str, int], origin: str) -> str:
    """One line listing unsupported operators with their counts, most frequent first."""
    items = sorted(unsupported.items(), key=lambda kv: (-kv[1], kv[0]))
    listed = ", ".join(f"{name} x{count}" for name, count in items)
    total = sum(unsupported.values())
    return (
        f"{origin}: {total} operator call(s) not lowered to layers and not simulated: {listed}"
    )


def warn_unsupported(unsupported: dict[str, int], origin: str) -> None:
    """Emit one :class:`UnsupportedOperatorWarning` when anything was left out."""
    if unsupported:
        warnings.warn(unsupported_message(unsupported, origin), UnsupportedOperatorWarning,
                      stacklevel=3)


class LayerNamer:
    """Hands out unique layer names: the second use of ``base`` becomes ``base_1`` and so on."""

    def __init__(self) -> None:
        self._used: dict[str, int] = {}

    def __call__(self, base: str) -> str:
        base = base or "layer"
        if base not in self._used:
            self._used[base] = 0
            return base
        while True:
            self._used[base] += 1
            candidate = f"{base}_{self._used[base]}"
            if candidate not in self._used:
                self._used[candidate] = 0
                return candidate
