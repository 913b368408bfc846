"""Loading workload and architecture YAML: presets, relative paths, ``--set`` overrides, errors.

Order of resolution: read the workload YAML → resolve ``arch`` (path relative to the YAML, a
preset name, or an inline mapping, optionally with ``preset:`` + overrides) → apply ``--set``
dotted overrides → validate. Paths written in a YAML resolve against that YAML's folder; paths
given on the command line (``--set traces=...``) against the current folder. Any failure
becomes one :class:`ConfigError` naming the file and the YAML path, with a "did you mean" hint
for unknown keys.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from accelsim.errors import ConfigError, did_you_mean
from accelsim.spec import limits
from accelsim.spec.config import WorkloadConfig
from accelsim.spec.yaml_text import YamlSyntaxError, parse_text, read_text_yaml

DATA = Path(__file__).parent / "data"
# Keys that belong to one DRAM preset: a new ``dram.preset`` drops those not set in the same place.
DRAM_OWN_KEYS = ("channels", "ranks", "channel_width_bits", "timing")


@lru_cache(maxsize=1)
def arch_presets() -> dict[str, dict]:
    """Architecture presets by name (``accelsim/data/arch_presets.yaml``)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml where available: same data
    return yaml.load((DATA / "arch_presets.yaml").read_text(), Loader=loader)  # noqa: S506


def read_yaml(path: Path, what: str = "file") -> Any:
    """Parse a YAML file strictly (:mod:`accelsim.spec.yaml_text`); every problem is a ConfigError."""
    path = Path(path)
    if not _is_file(path):
        raise ConfigError(f"{path}: {what} not found (check the path; relative paths are resolved "
                          "against the file that names them)")
    return read_text_yaml(path)


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False where the name itself is unusable (e.g. too long)."""
    try:
        return path.is_file()
    except OSError:
        return False


def deep_merge(base: dict, over: dict) -> dict:
    """``over`` on top of ``base`` (nested mappings merged, everything else replaced)."""
    out = copy.deepcopy(base)
    for key, val in over.items():
        if isinstance(val, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], val)
        else:
            out[key] = copy.deepcopy(val)
    return out


def resolve_arch(spec: Any, base_dir: Path, where: str, chain: tuple = ()) -> dict:
    """An ``arch:`` value (preset name, YAML path or mapping) as a plain mapping.

    ``chain`` holds the arch files already being resolved, so a file whose ``preset:`` names
    itself (directly or through others) is an error, not endless recursion."""
    if isinstance(spec, str):
        presets = arch_presets()
        if spec in presets:
            return copy.deepcopy(presets[spec])
        path = (base_dir / spec).resolve()
        if spec.endswith((".yaml", ".yml")) or _is_file(path):
            if path in chain:
                loop = " → ".join(str(p) for p in (*chain[chain.index(path):], path))
                raise ConfigError(f"{where}: arch files name each other in a cycle: {loop}; "
                                  "one of them must name a preset or give the arch itself")
            data = read_yaml(path, "arch file")
            return resolve_arch(data, path.parent, str(path), (*chain, path))
        raise ConfigError(f"{where}: arch {spec!r} is neither an arch preset nor a file"
                          f"{did_you_mean(spec, presets)}")
    if isinstance(spec, dict):
        if "preset" in spec and not isinstance(spec.get("preset"), dict):
            name = spec["preset"]
            rest = {k: v for k, v in spec.items() if k != "preset"}
            base = resolve_arch(name, base_dir, where, chain)
            new_dram = rest.get("dram")
            if isinstance(new_dram, dict) and "preset" in new_dram:
                _new_dram_preset(base, new_dram["preset"], set(new_dram))
            return deep_merge(base, rest)
        return spec
    raise ConfigError(f"{where}: arch must be a preset name, a file path or a mapping, "
                      f"got {type(spec).__name__}")


def _new_dram_preset(arch: dict, preset: Any, kept: set[str]) -> None:
    """Give ``arch`` a new DRAM preset: its organisation and timing keys are dropped unless
    they are in ``kept`` (set in the same place as the preset)."""
    dram = arch.get("dram")
    if not isinstance(dram, dict) or dram.get("preset") == preset:
        return
    for key in DRAM_OWN_KEYS:
        if key not in kept:
            dram.pop(key, None)


def parse_override(text: str) -> tuple[list[str], Any]:
    """``a.b.c=value`` → (["a", "b", "c"], YAML-parsed value)."""
    if "=" not in text:
        raise ConfigError(f"--set {text!r}: expected dotted.path=value (e.g. --set batch=8)")
    path, _, raw = text.partition("=")
    keys = [k for k in path.strip().split(".") if k]
    if not keys:
        raise ConfigError(f"--set {text!r}: empty path")
    if not raw.strip():
        return keys, ""
    try:
        return keys, parse_text(raw, f"--set {text}")
    except YamlSyntaxError:  # not YAML: the text itself
        return keys, raw


def override_items(overrides) -> list[tuple[str, list[str], Any]]:
    """Overrides as (label, keys, value): from ``path=value`` strings (values parsed as YAML)
    or from a mapping of dotted paths to values (used as given)."""
    if isinstance(overrides, dict):
        items = []
        for path, value in overrides.items():
            keys = [k for k in str(path).split(".") if k]
            if not isinstance(path, str) or not keys:
                raise ConfigError(f"overrides: key {path!r} is not a dotted path "
                                  "(e.g. {'arch.dram.preset': 'LPDDR5-6400'})")
            items.append((f"overrides[{path!r}] = {value!r}", keys, value))
        return items
    if isinstance(overrides, str):
        overrides = [overrides]
    return [(f"--set {text}", *parse_override(text)) for text in overrides]


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
                got = repr(err["input"])
                msg += f" (got {got if len(got) <= 60 else got[:57] + '...'})"
        lines.append(f"{label}: {path}: {msg}")
    return "\n".join(lines)


PATH_KEYS = ("traces", "onnx")
"""Top-level workload keys that hold file paths."""


def _resolve_paths(data: dict, base_dir: Path) -> None:
    for key in PATH_KEYS:
        if isinstance(data.get(key), str):
            data[key] = str((base_dir / data[key]).resolve())


def build_workload(data: Any, base_dir: Path, label: str, overrides=(),
                   override_dir: Path | None = None) -> WorkloadConfig:
    """Validate a raw workload mapping (after arch resolution and overrides).

    Paths written in ``data`` resolve against ``base_dir`` (the YAML's folder); paths given by
    ``overrides`` (``--set traces=...``, ``--set arch=file.yaml``) against ``override_dir``
    (default: the current folder).
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{label}: expected a mapping at the top level (name:, arch:, model: ...)")
    data = copy.deepcopy(data)
    if "arch" not in data:
        raise ConfigError(f"{label}: arch: required key is missing (a preset name such as "
                          f"{next(iter(arch_presets()))!r}, a file, or a mapping)")
    data["arch"] = resolve_arch(data["arch"], base_dir, f"{label}: arch")
    _resolve_paths(data, base_dir)
    here = Path.cwd() if override_dir is None else Path(override_dir)
    items = list(override_items(overrides))
    dram_keys = {keys[2] for _, keys, _ in items if keys[:2] == ["arch", "dram"] and len(keys) > 2}
    for text, keys, value in items:
        if keys in (["arch"], ["arch", "preset"]):  # a whole new architecture
            data["arch"] = resolve_arch(value, here, text)
            continue
        if len(keys) == 1 and keys[0] in PATH_KEYS and isinstance(value, str):
            value = str((here / value).resolve())
        if keys == ["arch", "dram", "preset"] and isinstance(data["arch"], dict):
            _new_dram_preset(data["arch"], value, dram_keys)
        set_path(data, keys, value, text)
    try:
        cfg = WorkloadConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation(exc, WorkloadConfig, label)) from None
    limits.check_config(cfg, label)
    cfg._source = label
    return cfg


def load_workload(path, overrides=()) -> WorkloadConfig:
    """Read, resolve and validate a workload YAML file."""
    path = Path(path)
    data = read_yaml(path, "workload file")
    cfg = build_workload(data, path.resolve().parent, str(path), overrides)
    return cfg
