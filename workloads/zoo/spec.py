"""A zoo entry: builder, accepted parameters with validation, and its one-line description."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field

from workloads.layer import Layer


def suggest(word: str, options: list[str]) -> str:
    """A "did you mean" fragment (empty when nothing is close)."""
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else ""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Param:
    """One user-settable model parameter.

    ``choices`` restricts a string parameter; otherwise the type is ``kind`` (bool or a positive
    int). A ``derived`` parameter is computed from the others when not given: its ``default`` is
    what that gives with all defaults (shown to users) and the builder sees it only when given.
    """

    default: object
    help: str
    choices: tuple[str, ...] = ()
    kind: type = int
    derived: bool = False

    def check(self, model: str, name: str, value: object) -> None:
        """Raise ValueError naming the parameter when ``value`` is not acceptable."""
        where = f"{model}: parameter {name!r}"
        if self.choices:
            if value not in self.choices:
                raise ValueError(f"{where} must be one of {', '.join(self.choices)}; got {value!r}")
        elif self.kind is bool:
            if not isinstance(value, bool):
                raise ValueError(f"{where} must be true or false; got {value!r}")
        elif not _is_int(value) or value < 1:
            raise ValueError(f"{where} must be a positive integer; got {value!r}")


@dataclass(frozen=True)
class Model:
    """A zoo model: ``model(batch=1, **params)`` returns its canonical layers."""

    name: str
    builder: Callable[..., list[Layer]]
    description: str
    source: str
    params: dict[str, Param] = field(default_factory=dict)

    def defaults(self) -> dict[str, object]:
        """Accepted parameters and their defaults."""
        return {k: p.default for k, p in self.params.items()}

    def describe(self) -> str:
        """One line: what the model is and where its architecture comes from."""
        return f"{self.description} ({self.source})"

    def __call__(self, batch: int = 1, **kwargs: object) -> list[Layer]:
        if not _is_int(batch) or batch < 1:
            raise ValueError(f"{self.name}: batch must be a positive integer; got {batch!r}")
        accepted = list(self.params)
        for key, value in kwargs.items():
            if key not in self.params:
                hint = suggest(key, accepted)
                ok = ", ".join(accepted) if accepted else "none"
                raise ValueError(
                    f"{self.name}: unknown parameter {key!r}{hint} (accepted: {ok})"
                )
            self.params[key].check(self.name, key, value)
        fixed = {k: p.default for k, p in self.params.items() if not p.derived}
        values = {**fixed, **kwargs}
        try:
            return self.builder(batch, **values)
        except ValueError as exc:
            raise ValueError(f"{self.name}: {exc}") from None
