"""Loading workload and architecture YAML: presets, relative paths, ``--set`` overrides, errors.

Order of resolution: read the workload YAML → resolve ``arch`` (path relative to the YAML, a
preset name, or an inline mapping, optionally with ``preset:`` + overrides) → apply ``--set``
dotted overrides → validate. Any failure becomes one :class:`ConfigError` naming the file and the
YAML path, with a "did you mean" hint for unknown keys.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from accelsim.errors import ConfigError, did_you_mean
from accelsim.spec.config import WorkloadConfig

DATA = Path(__file__).parent / "data"


@lru_cache(maxsize=1)
def arch_presets() -> dict[str, dict]:
    """Architecture presets by name (``accelsim/data/arch_presets.yaml``)."""
    return yaml.safe_load((DATA / "arch_presets.yaml").read_text())


def read_yaml(path: Path, what: str = "file") -> Any:
    """Parse a YAML file; missing or malformed files are a ConfigError."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: {what} not found (check the path; relative paths are resolved "
                          "against the file that names them)")
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}:{where} not valid YAML ({getattr(exc, 'problem', exc)})") from None


def deep_merge(base: dict, over: dict) -> dict:
    """``over`` on top of ``base`` (nested mappings merged, everything else replaced)."""
    out = copy.deepcopy(base)
    for key, val in over.items():
        if isinstance(val, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], val)
        else:
            out[key] = copy.deepcopy(val)
    return out


def resolve_arch(spec: Any, base_dir: Path, where: str) -> dict:
    """An ``arch:`` value (preset name, YAML path or mapping) as a plain mapping."""
    if isinstance(spec, str):
        presets = arch_presets()
        if spec in presets:
            return copy.deepcopy(presets[spec])
        path = (base_dir / spec).resolve()
        if spec.endswith((".yaml", ".yml")) or path.is_file():
            data = read_yaml(path, "arch file")
            return resolve_arch(data, path.parent, str(path))
        raise ConfigError(f"{where}: arch {spec!r} is neither an arch preset nor a file"
                          f"{did_you_mean(spec, presets)}")
    if isinstance(spec, dict):
        if "preset" in spec and not isinstance(spec.get("preset"), dict):
            name = spec["preset"]
            rest = {k: v for k, v in spec.items() if k != "preset"}
            return deep_merge(resolve_arch(name, base_dir, where), rest)
        return spec
    raise ConfigError(f"{where}: arch must be a preset name, a file path or a mapping, "
                      f"got {type(spec).__name__}")


def parse_override(text: str) -> tuple[list[str], Any]:
    """``a.b.c=value`` → (["a", "b", "c"], YAML-parsed value)."""
    if "=" not in text:
        raise ConfigError(f"--set {text!r}: expected dotted.path=value (e.g. --set batch=8)")
    path, _, raw = text.partition("=")
    keys = [k for k in path.strip().split(".") if k]
    if not keys:
        raise ConfigError(f"--set {text!r}: empty path")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return keys, value


def set_path(data: dict, keys: list[str], value: Any, label: str) -> None:
    """Set ``data[k0][k1]... = value``, creating mappings on the way."""
    node = data
    for depth, key in enumerate(keys[:-1]):
        nxt = node.get(key)
        if nxt is None:
            nxt = node[key] = {}
        if not isinstance(nxt, dict):
            raise ConfigError(f"{label}: {'.'.join(keys[:depth + 1])} is not a mapping")
        node = nxt
    node[keys[-1]] = value


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """Valid keys at the parent of ``loc`` in the schema (for "did you mean")."""
    cls: Any = model
    free_key = False  # the next part is a user key of a ``dict[str, Model]`` (e.g. a layer glob)
    for part in loc[:-1]:
        if isinstance(part, int) or cls is None:
            continue
        field = getattr(cls, "model_fields", {}).get(part)
        if field is None:
            if free_key:
                free_key = False
                continue
            return []
        free_key = "dict[" in str(field.annotation)
        cls = _model_of(field.annotation)
    return list(getattr(cls, "model_fields", {}) or [])


def _model_of(annotation) -> type[BaseModel] | None:
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def format_validation(exc: ValidationError, model: type[BaseModel], label: str) -> str:
    """One message per problem: ``file: yaml.path: what; hint``."""
    lines = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        path = ".".join(str(p) for p in loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            msg = f"unknown key{did_you_mean(loc[-1], _fields_at(model, loc))}"
        elif err["type"] == "missing":
            msg = "required key is missing"
        else:
            msg = err["msg"].removeprefix("Value error, ")
            if "input" in err and err["type"] not in ("value_error",) and not isinstance(
                    err["input"], dict | list):
                msg += f" (got {err['input']!r})"
        lines.append(f"{label}: {path}: {msg}")
    return "\n".join(lines)


def build_workload(data: Any, base_dir: Path, label: str, overrides=()) -> WorkloadConfig:
    """Validate a raw workload mapping (after arch resolution and overrides)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{label}: expected a mapping at the top level (name:, arch:, model: ...)")
    data = copy.deepcopy(data)
    if "arch" not in data:
        raise ConfigError(f"{label}: arch: required key is missing (a preset name such as "
                          f"{next(iter(arch_presets()))!r}, a file, or a mapping)")
    data["arch"] = resolve_arch(data["arch"], base_dir, f"{label}: arch")
    for text in overrides:
        keys, value = parse_override(text)
        if keys in (["arch"], ["arch", "preset"]):  # a whole new architecture
            data["arch"] = resolve_arch(value, base_dir, f"--set {text}")
            continue
        set_path(data, keys, value, f"--set {text}")
    for key in ("traces", "onnx"):
        if isinstance(data.get(key), str):
            data[key] = str((base_dir / data[key]).resolve())
    try:
        return WorkloadConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation(exc, WorkloadConfig, label)) from None


def load_workload(path, overrides=()) -> WorkloadConfig:
    """Read, resolve and validate a workload YAML file."""
    path = Path(path)
    data = read_yaml(path, "workload file")
    cfg = build_workload(data, path.resolve().parent, str(path), overrides)
    return cfg
