"""A workload's ``sweep:`` and ``zip:`` blocks expanded into design points.

``sweep:`` maps dotted config paths to value lists (a cartesian product); ``zip:`` maps paths
to lists of equal length that vary together (one axis). Axes nest in the order they are
written in the YAML, the first outermost, a ``zip:`` block counting as one axis; axes added
with ``--axis`` go innermost. A point is the base workload (without ``sweep``/``zip``) plus
one value per swept path, applied like ``--set`` overrides.

A malformed block (not a mapping, a value that is not a non-empty list, zip lists of
different lengths, a path that names no config key) is a :class:`ConfigError` for the whole
sweep; a *value* that does not validate only makes its point an ``error`` row.
"""

from __future__ import annotations

import copy
import itertools
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from accelsim.errors import ConfigError, did_you_mean

BLOCKS = ("sweep", "zip")


@dataclass(frozen=True)
class Point:
    """One design point: its position in the grid and the value of every swept path."""

    index: int
    values: dict[str, Any]

    def overrides(self) -> list[str]:
        """The point's values as ``path=value`` overrides (``arch.preset`` first)."""
        items = sorted(self.values.items(), key=lambda kv: kv[0] != "arch.preset")
        return [f"{path}={_yaml_scalar(value)}" for path, value in items]


@dataclass
class Grid:
    """A parsed sweep: the base workload mapping, its axes (dotted paths) and its points."""

    label: str
    name: str
    base: dict
    base_dir: Path
    base_overrides: tuple[str, ...]
    axes: list[str]
    points: list[Point] = field(default_factory=list)
    groups: list[list[str]] = field(default_factory=list)
    """The axes that vary together: one list per ``sweep:`` path, one per ``zip:`` block."""

    def build(self, point: Point):
        """The validated :class:`WorkloadConfig` of one point; raises ConfigError."""
        from accelsim.spec.loader import build_workload

        return build_workload(self.base, self.base_dir, self.label,
                              [*self.base_overrides, *point.overrides()])


def _yaml_scalar(value: Any) -> str:
    """A value as YAML flow text that parses back to the same value."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10**9)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def load_grid(path, overrides=(), axes=()) -> Grid:
    """Read a workload YAML file and expand its sweep (``axes``: extra ``path=[...]`` strings)."""
    from accelsim.spec.loader import read_yaml

    path = Path(path)
    data = read_yaml(path, "workload file")
    return grid_from_mapping(data, path.resolve().parent, str(path), overrides, axes)


def grid_from_mapping(data: Any, base_dir: Path, label: str, overrides=(), axes=()) -> Grid:
    """Expand the sweep of a raw workload mapping."""
    from accelsim.spec.loader import parse_override

    if not isinstance(data, dict):
        raise ConfigError(f"{label}: expected a mapping at the top level "
                          "(name:, arch:, model: ...)")
    for text in overrides:
        if parse_override(text)[0][0] in BLOCKS:
            raise ConfigError(f"--set {text}: the sweep grid cannot be set with --set; "
                              "use --axis PATH=[v1,v2,...] or edit the YAML's sweep: block")
    blocks: list[tuple[str, dict]] = [(k, data[k]) for k in data if k in BLOCKS
                                      and data[k] is not None]
    extra = {}
    for text in axes:
        keys, values = parse_override(text)
        extra[".".join(keys)] = values
    if extra:
        blocks.append(("--axis", extra))
    if not blocks:
        raise ConfigError(f"{label}: no sweep: or zip: block to expand; add one, e.g. "
                          "sweep: {arch.sram.weight.size_KiB: [64, 128, 256]} "
                          "(or pass --axis PATH=[v1,v2,...])")
    dims: list[tuple[list[str], list[tuple]]] = []
    seen: dict[str, str] = {}
    for block, spec in blocks:
        where = f"{label}: {block}" if block != "--axis" else "--axis"
        for path, rows in _parse_block(block, spec, where):
            for p in path:
                if p in seen:
                    raise ConfigError(f"{where}: {p} is already swept in {seen[p]}; "
                                      "give each path once")
                seen[p] = where
            dims.append((path, rows if block == "--axis" else _yaml_paths(path, rows, base_dir)))
    names = [p for paths, _ in dims for p in paths]
    points = []
    for i, combo in enumerate(itertools.product(*(rows for _, rows in dims))):
        values = {p: v for (paths, _), row in zip(dims, combo, strict=True)
                  for p, v in zip(paths, row, strict=True)}
        points.append(Point(i, values))
    base = {k: v for k, v in data.items() if k not in BLOCKS}
    name = str(base.get("name", Path(label).stem))
    return Grid(label, name, copy.deepcopy(base), Path(base_dir), tuple(overrides), names, points,
                [list(paths) for paths, _ in dims])


def _yaml_paths(paths: list[str], rows: list[tuple], base_dir: Path) -> list[tuple]:
    """Swept file paths written in the YAML, made absolute against the YAML's folder."""
    def fix(path: str, value):
        if not isinstance(value, str) or path not in ("traces", "onnx", "arch"):
            return value
        candidate = Path(base_dir) / value
        return str(candidate.resolve()) if path != "arch" or candidate.is_file() else value
    return [tuple(fix(p, v) for p, v in zip(paths, row, strict=True)) for row in rows]


def _parse_block(block: str, spec: Any, where: str) -> list[tuple[list[str], list[tuple]]]:
    """One block as axes: each a list of paths and the list of value tuples it takes."""
    if not isinstance(spec, dict) or not spec:
        raise ConfigError(f"{where}: expected a mapping of dotted paths to value lists, e.g. "
                          f"{block if block != '--axis' else 'sweep'}: "
                          "{arch.sram.weight.size_KiB: [64, 128]}")
    for path, values in spec.items():
        if not isinstance(path, str):
            raise ConfigError(f"{where}: key {path!r} is not a dotted path (write it as text)")
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{where}.{path}: expected a non-empty list of values, "
                              f"got {values!r} (write [{values!r}] for a single value)")
        check_path(path, f"{where}.{path}")
    if block != "zip":
        return [([p], [(v,) for v in vals]) for p, vals in spec.items()]
    lengths = {p: len(v) for p, v in spec.items()}
    if len(set(lengths.values())) > 1:
        listing = ", ".join(f"{p}: {n}" for p, n in lengths.items())
        raise ConfigError(f"{where}: zip lists must have the same length; got {listing}")
    return [(list(spec), list(zip(*spec.values(), strict=True)))]


def _kind(annotation) -> tuple[str, type[BaseModel] | None]:
    """What a schema field holds: ("model", cls) | ("mapping", None) | ("list"|"scalar", None)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        kinds = [_kind(a) for a in args]
        for k in ("model", "mapping", "list"):
            for found in kinds:
                if found[0] == k:
                    return found
        return "scalar", None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "model", annotation
    if origin is dict or annotation is dict:
        return "mapping", None
    if origin in (list, tuple) or annotation in (list, tuple):
        return "list", None
    return "scalar", None


def check_path(path: str, where: str) -> None:
    """Raise ConfigError unless ``path`` names a key of the workload schema."""
    from accelsim.spec.config import WorkloadConfig

    keys = path.split(".")
    if any(not k for k in keys):
        raise ConfigError(f"{where}: empty key in dotted path {path!r}")
    if keys[0] in BLOCKS:
        raise ConfigError(f"{where}: cannot sweep the {keys[0]}: block itself")
    if keys[:2] == ["arch", "preset"] and len(keys) == 2:
        return
    cls: type[BaseModel] = WorkloadConfig
    for depth, key in enumerate(keys):
        fields = cls.model_fields
        if key not in fields:
            valid = [f for f in fields if f not in BLOCKS] + (["preset"] if depth == 1
                                                               and keys[0] == "arch" else [])
            raise ConfigError(f"{where}: unknown key {key!r}{did_you_mean(key, valid)}")
        kind, sub = _kind(fields[key].annotation)
        last = depth == len(keys) - 1
        if last or kind == "mapping":
            return
        if kind != "model":
            what = "a list (sweep the whole list instead)" if kind == "list" else "a value"
            raise ConfigError(f"{where}: {'.'.join(keys[:depth + 1])} is {what}, "
                              f"it has no key {keys[depth + 1]!r}")
        cls = sub
