"""A validated workload's layers: from the zoo, an explicit ``layers:`` list, or an ONNX file."""

from __future__ import annotations

from accelsim.errors import ConfigError


def resolve_layers(cfg) -> list:
    """The workload's layers (zoo model, explicit list, or imported ONNX file)."""
    from workloads.layer import Layer

    if cfg.layers is not None:
        return [Layer(**spec.model_dump()) for spec in cfg.layers]
    if cfg.onnx is not None:
        from workloads import importers

        bad = set(cfg.model_args) - {"input_shape", "decode_context"}
        if bad:
            raise ConfigError(f"model_args.{sorted(bad)[0]}: not an ONNX import option "
                              "(accepted: input_shape, decode_context)")
        try:
            return importers.load_onnx(cfg.onnx, batch=cfg.batch, **cfg.model_args).layers
        except ValueError as exc:
            raise ConfigError(f"onnx: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"onnx: {cfg.onnx}: cannot read ({exc.strerror or exc})") from None
    from workloads import zoo

    try:
        return zoo.build(cfg.model, batch=cfg.batch, **cfg.model_args)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"model: {exc}") from None
