"""``load_model_file``: import a model named on the command line or in a workload.

Accepted forms:

* ``model.onnx`` — see :func:`workloads.importers.load_onnx`;
* ``model.pt`` / ``model.pth`` — a whole module saved with ``torch.save(module, path)`` (its
  class must be importable; the file is unpickled, so only load files you trust);
* ``path/to/module.py:factory`` — ``factory()`` returns an ``nn.Module`` or a tuple
  ``(module, example_inputs)``.

Torch models need example inputs: from the factory, or built from ``input_shape``
(``float32`` random values, or zeros for integer dtypes such as token ids).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path

from workloads.importers.onnx_import import load_onnx
from workloads.importers.result import ImportFailure, ImportResult
from workloads.importers.torch_import import from_torch

TORCH_SUFFIXES = (".pt", ".pth")


def parse_shape(text, origin: str = "input shape") -> tuple[int, ...] | None:
    """``"1,3,224,224"`` (or a sequence of ints) → ``(1, 3, 224, 224)``; ``None`` passes."""
    if text is None:
        return None
    parts = text.replace("x", ",").split(",") if isinstance(text, str) else list(text)
    try:
        shape = tuple(int(str(p).strip()) for p in parts if str(p).strip())
    except ValueError:
        raise ImportFailure(f"{origin}: expected comma-separated integers, got {text!r}") from None
    if not shape or any(d < 1 for d in shape):
        raise ImportFailure(f"{origin}: dims must be positive integers, got {text!r}")
    return shape


def _split_spec(spec: str) -> tuple[Path, str] | None:
    path, sep, factory = spec.rpartition(":")
    if sep and path.endswith(".py") and factory.isidentifier():
        return Path(path), factory
    return None


def _from_factory(path: Path, factory: str):
    if not path.is_file():
        raise ImportFailure(f"{path}: no such file")
    name = f"_accelsim_user_model_{abs(hash(str(path.resolve())))}"
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise ImportFailure(f"{path}: importing the file failed: {type(exc).__name__}: {exc}"
                            ) from None
    fn = getattr(module, factory, None)
    if not callable(fn):
        raise ImportFailure(f"{path}: has no callable {factory!r}")
    try:
        made = fn()
    except Exception as exc:
        raise ImportFailure(f"{path}: {factory}() failed: {type(exc).__name__}: {exc}") from None
    if isinstance(made, tuple) and len(made) == 2:
        return made[0], made[1]
    return made, None


def _from_saved(path: Path):
    import torch

    if not path.is_file():
        raise ImportFailure(f"{path}: no such file")
    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=False)
    except Exception as exc:
        hint = ""
        if isinstance(exc, AttributeError | ImportError):
            hint = " (the module's class must be importable here; or use 'module.py:factory')"
        raise ImportFailure(f"{path}: not a readable torch file: {type(exc).__name__}: "
                            f"{str(exc).splitlines()[0] if str(exc) else ''}{hint}") from None
    if isinstance(obj, torch.jit.ScriptModule):
        raise ImportFailure(f"{path}: TorchScript archives cannot be traced; save the eager "
                            "module with torch.save(module) or use module.py:factory")
    if isinstance(obj, dict):
        raise ImportFailure(f"{path}: holds a dict ({len(obj)} entries, a state dict?), not a "
                            "module; use 'module.py:factory' to build the model and load it")
    if not isinstance(obj, torch.nn.Module):
        raise ImportFailure(f"{path}: holds a {type(obj).__name__}, not a torch.nn.Module")
    return obj


def _example_inputs(origin, given, shape, dtype: str, batch: int | None) -> tuple:
    import torch

    if shape is not None:
        if batch is not None:
            shape = (batch, *shape[1:])
        torch_dtype = getattr(torch, dtype, None)
        if not isinstance(torch_dtype, torch.dtype):
            raise ImportFailure(f"{origin}: unknown input dtype {dtype!r}")
        if torch_dtype.is_floating_point:
            return (torch.randn(shape, generator=torch.Generator().manual_seed(0),
                                dtype=torch_dtype),)
        return (torch.zeros(shape, dtype=torch_dtype),)
    if given is None:
        raise ImportFailure(f"{origin}: torch models need example inputs: pass --input-shape "
                            "(e.g. 1,3,224,224) or return (module, inputs) from the factory")
    inputs = (given,) if isinstance(given, torch.Tensor) else tuple(given)
    if batch is not None:
        inputs = tuple(x[:1].expand(batch, *x.shape[1:]).clone()
                       if isinstance(x, torch.Tensor) and x.dim() else x for x in inputs)
    return inputs


def load_model_file(path_or_spec, input_shape: Sequence[int] | str | None = None,
                    decode_context: int | None = None, *, batch: int | None = None,
                    input_dtype: str = "float32") -> ImportResult:
    """Import the model named by ``path_or_spec`` (see the module docstring for the forms)."""
    spec = str(path_or_spec)
    shape = parse_shape(input_shape, f"{spec}: input shape")
    if spec.lower().endswith(".onnx"):
        return load_onnx(spec, batch=batch, input_shape=shape, decode_context=decode_context)
    factory = _split_spec(spec)
    if factory is not None:
        module, given = _from_factory(*factory)
        origin = factory[0]
    elif spec.lower().endswith(TORCH_SUFFIXES):
        module, given, origin = _from_saved(Path(spec)), None, Path(spec)
    else:
        raise ImportFailure(f"{spec}: unknown model type; expected a .onnx file, a .pt/.pth "
                            "saved torch module, or 'module.py:factory'")
    import torch

    if not isinstance(module, torch.nn.Module):
        raise ImportFailure(f"{origin}: factory returned a {type(module).__name__}, "
                            "not a torch.nn.Module")
    inputs = _example_inputs(origin, given, shape, input_dtype, batch)
    try:
        return from_torch(module, inputs, decode_context=decode_context)
    except ImportFailure as exc:
        raise ImportFailure(f"{origin}: {exc}") from None
