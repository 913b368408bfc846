"""A validated workload's layers: from the zoo, an explicit ``layers:`` list, or an ONNX file."""

from __future__ import annotations

from accelsim.errors import ConfigError


def resolve_layers(cfg) -> list:
    """The workload's layers (zoo model, explicit list, or imported ONNX file) as a checked
    tensor graph (``workloads.graph.connect``)."""
    from workloads.graph import GraphError, connect

    layers, strict = _source_layers(cfg)
    try:
        return connect(layers, strict=strict)
    except GraphError as exc:
        where = "layers" if cfg.layers is not None else "onnx" if cfg.onnx is not None else "model"
        raise ConfigError(f"{where}: {exc}") from None


def _source_layers(cfg) -> tuple[list, bool]:
    """The layers as given, and whether a missing ``inputs`` must chain exactly."""
    from workloads.layer import Layer

    if cfg.layers is not None:
        return [Layer(**{**spec.model_dump(), "inputs": tuple(spec.inputs)})
                for spec in cfg.layers], True
    if cfg.onnx is not None:
        from workloads import importers

        bad = set(cfg.model_args) - {"input_shape", "decode_context"}
        if bad:
            raise ConfigError(f"model_args.{sorted(bad)[0]}: not an ONNX import option "
                              "(accepted: input_shape, decode_context)")
        try:
            return importers.load_onnx(cfg.onnx, batch=cfg.batch, **cfg.model_args).layers, False
        except ValueError as exc:
            raise ConfigError(f"onnx: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"onnx: {cfg.onnx}: cannot read ({exc.strerror or exc})") from None
    from workloads import zoo

    try:
        return zoo.build(cfg.model, batch=cfg.batch, **cfg.model_args), True
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"model: {exc}") from None
